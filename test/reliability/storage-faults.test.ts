/**
 * S3 and DynamoDB faults the emulators cannot produce, injected with aws-sdk-client-mock into the SDK clients of the
 * local stack's own handlers (every other request reaches s3rver and dynalite): throttling is retried by the workflow
 * until the archive converges; a bucket that refuses writes ends in a truthful error record with nothing half-written;
 * an archive step that dies after its uploads and before its record is recorded as an error whose manifest accounts
 * for what it stored, and a re-run of the workflow archives the check — one record, no orphan, every sha256 matching.
 */
import { expect } from 'vitest';
import { buildScenario } from '../../local/reliability/scenarios';
import { describeReliability } from './support';

const THROTTLING = 10;
const CRASHES = 8;

describeReliability({
  name: 'storage-faults',
  source: 'test/reliability/storage-faults.test.ts',
  options: { storageFaults: true },
  scenarios: [() => buildScenario('S3 and DynamoDB throttling and refusals', THROTTLING, 631), () => buildScenario('crash after uploads, before the record', CRASHES, 632)],
  expectations: {
    'S3 and DynamoDB throttling and refusals': async (f, s) => {
      // Two of every five checks meet S3 throttling, two DynamoDB throttling, one a bucket that refuses writes.
      expect(f.statuses).toEqual({ archived: 8, error: 2 });
      const counts = s.storageFaults!.counts();
      expect(counts.s3Throttled).toBeGreaterThanOrEqual(4);
      expect(counts.dynamoThrottled).toBeGreaterThanOrEqual(4);
      expect(counts.s3Denied).toBeGreaterThanOrEqual(2);
      const refused = (await s.stack.records()).filter((r) => r.status === 'error');
      expect(refused.map((r) => [r.error?.name, r.objects])).toEqual([
        ['StorageRejectedError', 0],
        ['StorageRejectedError', 0],
      ]);
    },
    'crash after uploads, before the record': (f, s) => {
      expect(s.storageFaults!.counts().crashes).toBe(CRASHES);
      // The crash left objects behind; the failure path's error record already accounts for every one of them (its
      // manifest lists them), so there is no orphan even before the re-run, which then archives the check.
      expect(f.orphansBeforeRerun).toBe(0);
      expect(f.reruns).toBe(CRASHES);
      expect(f.statuses).toEqual({ archived: 4, 'archived-partial': 4 });
    },
  },
});
