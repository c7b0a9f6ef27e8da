/**
 * Provider drift (issue 12): answers the documents allow but do not spell out — nulls, numbers and booleans as
 * strings, fields nobody announced, timestamps without an offset, undocumented status and task-type words, images in
 * every accepted form and in forms that must be kept in quarantine — derived from every example body of the three
 * documents (local/reliability/drift.ts), served by the fake providers, and run through the local stack. Each
 * check ends in exactly one record, never `error` for a terminal answer; the answer is stored byte for byte; every
 * image it references is archived with its sha256.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import type { Manifest } from '../../lambdas/archive/manifest';
import { answerBytes } from '../../local/fake-providers';
import { driftChecks } from '../../local/reliability/drift';
import type { Session } from '../../local/reliability/session';
import { describeReliability } from './support';

/** Variants of each documented example (twelve examples, plus one each with every image form). */
const PER_EXAMPLE = Number(process.env.DRIFT_PER_EXAMPLE ?? 4);
const checks = driftChecks({ perExample: PER_EXAMPLE });

async function read(session: Session, key: string): Promise<Buffer> {
  const { Body } = await session.stack.emulators.s3Client().send(new GetObjectCommand({ Bucket: session.stack.emulators.bucketName, Key: key }));
  return Buffer.from(await Body!.transformToByteArray());
}

describeReliability({
  name: 'provider-drift',
  source: 'test/reliability/provider-drift.test.ts',
  scenarios: [() => ({ name: 'provider drift', checks })],
  expectations: {
    'provider drift': async (f, session) => {
      expect(f.statuses.error).toBeUndefined();
      const records = new Map((await session.stack.records()).map((record) => [`${record.provider}/${record.checkRef}`, record]));
      const baseUrl = session.stack.fakeProviders!.baseUrl;
      const problems: string[] = [];
      for (const check of checks) {
        const { provider, checkId } = check.script;
        const record = records.get(`${provider}/${checkRefOf(session.stack.identifierKey, provider, checkId)}`)!;
        const clientKey = 'clientKey' in check.script ? check.script.clientKey : undefined;
        const sent = answerBytes(check.script, check.script.answers.length - 1, baseUrl, { checkId, ...(clientKey ? { clientKey } : {}) });
        // Byte for byte, but for a liveness token the provider echoed (none of these answers echo it).
        if (!record.answerKey || !(await read(session, record.answerKey)).equals(sent)) problems.push(`${check.label}: answer not kept byte for byte`);
        const manifest = JSON.parse((await read(session, record.manifestKey!)).toString('utf8')) as Manifest;
        const stored = new Set(manifest.objects.map((object) => object.sha256));
        const lost = check.images.filter((sha) => !stored.has(sha));
        if (lost.length > 0) problems.push(`${check.label}: ${lost.length} of ${check.images.length} images not archived`);
        if ((record.quarantined?.count ?? 0) !== check.quarantined) {
          problems.push(`${check.label}: ${record.quarantined?.count ?? 0} items in quarantine, ${check.quarantined} expected`);
        }
      }
      expect(problems).toEqual([]);
      // The suite exercised what it claims: images in both ends, and drift the records name.
      expect(checks.reduce((sum, check) => sum + check.images.length, 0)).toBeGreaterThan(checks.length);
      expect(checks.some((check) => check.quarantined > 0)).toBe(true);
      expect([...records.values()].some((record) => (record.uninterpreted?.length ?? 0) + (record.readAsUtc?.length ?? 0) > 0)).toBe(true);
    },
  },
});
