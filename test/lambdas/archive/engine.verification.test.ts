import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck } from '../../../lambdas/archive/engine';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { FIXED_NOW, getRecord, harness, listKeys, makeCheck, manifestOf, readJson, readObject, stubClient, type Harness } from '../../support/archive-harness';
import { sha256 } from '../../support/images';
import { VERIFICATION_COMPLETED, VERIFICATION_ESCALATED, verificationComplete, verificationEscalated } from '../../support/answers';

let emulators: Emulators;
let h: Harness;
beforeAll(async () => {
  emulators = await startEmulators();
  h = harness(emulators);
});
afterAll(() => emulators.close());

describe('archiveCheck: content verification (metadata only)', () => {
  it('keeps the full answer as result.json and records verdict, decision and confidence', async () => {
    const check = makeCheck('verification', { checkId: 'ver_abc123def456' });
    const output = await archiveCheck(h.deps(stubClient('verification', verificationComplete())), check);
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({
      status: 'archived',
      outcome: 'true',
      decision: 'accept',
      confidence: 0.95,
      providerStatus: 'completed',
      providerCreatedAt: '2024-01-15T10:30:00.000Z',
      completedAt: '2024-01-15T10:30:02.000Z',
      retentionClass: 'verification',
      objects: 3,
    });
    expect(output).toEqual({ status: 'archived', objects: 3, bytes: record!.bytes, images: 0 });
    const prefix = `${check.checkRef.slice(0, 2)}/verification/${check.checkRef}/`;
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual([`${prefix}answer.json`, `${prefix}manifest.json`, `${prefix}result.json`]);
    expect(await readJson(h.s3, emulators.bucketName, `${prefix}result.json`)).toEqual(VERIFICATION_COMPLETED);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    const answerBytes = await readObject(h.s3, emulators.bucketName, `${prefix}answer.json`);
    const resultBytes = await readObject(h.s3, emulators.bucketName, `${prefix}result.json`);
    expect(answerBytes.toString()).toBe(JSON.stringify(VERIFICATION_COMPLETED));
    expect(manifest.objects).toEqual([
      {
        key: `${prefix}answer.json`,
        sha256: sha256(answerBytes),
        bytes: answerBytes.length,
        contentType: 'application/json',
        source: { kind: 'answer-as-received', httpStatus: 200, receivedAt: FIXED_NOW.toISOString(), contentType: 'application/json' },
        archivedAt: FIXED_NOW.toISOString(),
      },
      { key: `${prefix}result.json`, sha256: sha256(resultBytes), bytes: resultBytes.length, contentType: 'application/json', source: { kind: 'provider-answer' }, archivedAt: FIXED_NOW.toISOString() },
    ]);
    expect(manifest.missing).toEqual([]);
  });

  it('an escalated verification is archived as escalated, then the final answer replaces record, result.json and manifest', async () => {
    const check = makeCheck('verification');
    const client = stubClient('verification', verificationEscalated(), verificationComplete());
    const deps = h.deps(client);

    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'escalated', objects: 3 });
    const escalated = await getRecord(h.dynamo, emulators.tableName, check);
    expect(escalated).toMatchObject({
      status: 'escalated',
      outcome: 'uncertain',
      confidence: 0.45,
      escalation: { reason: 'low_confidence', priority: 'high', deadline: '2024-01-16T10:30:00.000Z', status: 'pending' },
    });
    const prefix = `${check.checkRef.slice(0, 2)}/verification/${check.checkRef}/`;
    expect(await readJson(h.s3, emulators.bucketName, `${prefix}result.json`)).toEqual(VERIFICATION_ESCALATED);

    const later = new Date(FIXED_NOW.getTime() + 86_400_000);
    expect(await archiveCheck({ ...deps, now: () => later }, check)).toMatchObject({ status: 'archived', objects: 3 });
    const final = await getRecord(h.dynamo, emulators.tableName, check);
    expect(final).toMatchObject({ status: 'archived', outcome: 'true', decision: 'accept', archivedAt: later.toISOString() });
    expect(final!.escalation).toBeUndefined();
    expect(await readJson(h.s3, emulators.bucketName, `${prefix}result.json`)).toEqual(VERIFICATION_COMPLETED);
    const manifest = await manifestOf(h.s3, emulators.bucketName, final!);
    expect(manifest.status).toBe('archived');
    expect(manifest.objects[1]!.sha256).toBe(sha256(await readObject(h.s3, emulators.bucketName, `${prefix}result.json`)));
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual([`${prefix}answer.json`, `${prefix}manifest.json`, `${prefix}result.json`]);

    // A late escalated answer (another execution) never turns the final record back.
    const stale = stubClient('verification', verificationEscalated());
    expect(await archiveCheck({ ...deps, client: stale }, check)).toMatchObject({ status: 'archived' });
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toEqual(final);
    expect(await readJson(h.s3, emulators.bucketName, `${prefix}result.json`)).toEqual(VERIFICATION_COMPLETED);
  });
});
