import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDeps, queryRecords, type AuditDeps } from '../../../lambdas/audit';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { buildRecord, type CheckRecord } from '../../../lambdas/records/record';
import { createRecordStore } from '../../../lambdas/records/record-store';
import { DEFAULT_RETENTION_POLICY, computeRetention } from '../../../lambdas/records/retention';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { TEST_KEY, testKeySource } from '../../support/identifier-key';

const DAY = '2026-03-19';
/** 65 records a shard: more than one DynamoDB page of each (LastEvaluatedKey inside every shard). */
const SHARDS = 4;
const NOW = new Date('2026-09-01T00:00:00.000Z');
let emulators: Emulators;
let deps: AuditDeps;
const visible: string[] = [];

/** 260 records of one group (verification, one day) over 4 shards: most archived long ago and past retention. */
beforeAll(async () => {
  emulators = await startEmulators();
  const dynamo = emulators.dynamoClient();
  const records = createRecordStore({ client: dynamo, tableName: emulators.tableName });
  deps = auditDeps({ identifierKey: testKeySource, dynamo, tableName: emulators.tableName, s3: emulators.s3Client(), bucket: emulators.bucketName, now: () => NOW, indexShards: SHARDS });
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 260; i++) {
    const keep = i === 5 || i === 230 || i === 255;
    const checkId = `ver_${String(i).padStart(4, '0')}`;
    const check = { provider: 'verification' as const, checkId, checkRef: checkRefOf(TEST_KEY, 'verification', checkId), createdAt: `${DAY}T${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00.000Z` };
    // Archived on the day (365 days: visible on NOW) or two years before (past retention on NOW).
    const archivedAt = keep ? new Date(`${DAY}T23:00:00Z`) : new Date('2024-01-01T00:00:00Z');
    const { retention } = computeRetention(DEFAULT_RETENTION_POLICY, { provider: 'verification', outcome: 'true', now: archivedAt });
    if (keep) visible.push(check.checkRef);
    writes.push(records.write(buildRecord({ check, status: 'archived', outcome: 'true', retention, archivedAt }, { indexShards: SHARDS })));
  }
  await Promise.all(writes);
});
afterAll(() => emulators?.close());

describe('paging through records filtered after DynamoDB\'s Limit', () => {
  it('keeps reading past empty and short DynamoDB pages until the page is full', async () => {
    const page = await queryRecords(deps, { provider: 'verification', from: DAY, to: DAY, limit: '3' });
    expect(page.items.map((r) => r.checkRef)).toEqual(visible);
    expect(page.next).toBeUndefined();
  });

  it('within a round budget returns short (even empty) pages with a token, and the tokens lead to every record once', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | undefined;
    for (let i = 0; i < 40; i++) {
      const page = await queryRecords(deps, { provider: 'verification', from: DAY, to: DAY, limit: '2', ...(next ? { next } : {}) }, { maxRounds: 1 });
      seen.push(...page.items.map((r) => r.checkRef));
      sizes.push(page.items.length);
      next = page.next;
      if (!next) break;
    }
    expect(seen).toEqual(visible);
    expect(sizes.some((size) => size < 2)).toBe(true); // rounds that read only records past retention
    expect(next).toBeUndefined();
  });

  it('resumes right after the last record kept when DynamoDB returned more than the page holds', async () => {
    // In mid-2024 all 260 are within retention; each shard's Limit evaluates 25, the page keeps 7.
    const onTheDay = { ...deps, now: () => new Date('2024-06-01T00:00:00Z') };
    const seen: CheckRecord[] = [];
    let next: string | undefined;
    do {
      const page = await queryRecords(onTheDay, { provider: 'verification', from: DAY, to: DAY, limit: '7', ...(next ? { next } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items);
      next = page.next;
    } while (next);
    expect(seen).toHaveLength(260);
    expect(new Set(seen.map((r) => r.checkRef)).size).toBe(260);
    // In createdAt order across the four shards, page after page.
    expect(seen.map((r) => r.createdAt)).toEqual(seen.map((r) => r.createdAt).sort());
  });
});
