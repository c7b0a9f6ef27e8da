import { GetObjectCommand, GetObjectLockConfigurationCommand, GetObjectTaggingCommand, PutObjectLegalHoldCommand, PutObjectTaggingCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageRejectedError } from '../../../lambdas/common/storage-errors';
import { LegalHoldIncompleteError, applyHold, detectObjectLock, findRecord, queryRecords, releaseHold, type AuditDeps } from '../../../lambdas/audit';
import type { Manifest } from '../../../lambdas/archive/manifest';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { getRecord, readJson } from '../../support/archive-harness';
import { buildArchive, daysAgo, type Fixture } from './archive-fixture';

let emulators: Emulators;
let fixture: Fixture;
beforeAll(async () => {
  emulators = await startEmulators();
  fixture = await buildArchive(emulators, [
    { label: 'kyc', script: { provider: 'kyc', tasks: [{ type: 'document', imagesFull: 2 }] }, day: daysAgo(5) },
    { label: 'old', script: { provider: 'verification' }, day: daysAgo(200), archivedDaysAgo: 200 },
  ]);
});
afterAll(async () => {
  await fixture?.close();
  await emulators?.close();
});

const awsError = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

/**
 * s3rver has no Object Lock: a client whose legal-hold calls are mocked and whose reads go to s3rver, so the
 * manifest the hold walks is the real one.
 */
function objectLockDeps(): { deps: AuditDeps; s3: AwsStub<any, any, any> } {
  const client = new S3Client({});
  const s3 = mockClient(client);
  s3.on(GetObjectCommand).callsFake((input) => fixture.harness.s3.send(new GetObjectCommand(input)));
  s3.on(PutObjectLegalHoldCommand).resolves({});
  s3.on(GetObjectTaggingCommand).callsFake((input) => fixture.harness.s3.send(new GetObjectTaggingCommand(input)));
  s3.on(PutObjectTaggingCommand).callsFake((input) => fixture.harness.s3.send(new PutObjectTaggingCommand(input)));
  return { deps: { ...fixture.audit, s3: client }, s3 };
}

describe('legal hold', () => {
  it('round-trips on the record without Object Lock: no ttl and visible while held, ttl back after release', async () => {
    const { record, check } = fixture.checks.kyc!;
    const manifest = await readJson<Manifest>(fixture.harness.s3, emulators.bucketName, record.manifestKey!);
    const keys = [record.manifestKey!, ...manifest.objects.map((o) => o.key)];
    const tagsOf = async (key: string) =>
      Object.fromEntries(
        ((await fixture.harness.s3.send(new GetObjectTaggingCommand({ Bucket: emulators.bucketName, Key: key }))).TagSet ?? []).map((t) => [t.Key, t.Value]),
      );
    const held = await applyHold(fixture.audit, record, { objectLock: false, reason: 'matter 2026-117' });
    expect(held).toMatchObject({ objects: keys.length, objectLock: false, record: { legalHold: true, legalHoldReason: 'matter 2026-117' } });
    // No lifecycle rule matches the hold's tag: nothing expires the objects while it lasts. Their sha256 tag stays.
    for (const key of keys) expect((await tagsOf(key))['retention-class'], key).toBe('legal-hold');
    const image = manifest.objects.find((o) => o.source.kind === 'kyc-image')!;
    expect((await tagsOf(image.key)).sha256).toBe(image.sha256);
    const stored = await getRecord(fixture.harness.dynamo, emulators.tableName, check);
    expect(stored!.ttl).toBeUndefined();
    expect(stored!.legalHoldSince).toEqual(expect.any(String));
    // Idempotent: the first hold's date stays.
    expect((await applyHold(fixture.audit, record, { objectLock: false })).record.legalHoldSince).toBe(stored!.legalHoldSince);

    const released = await releaseHold(fixture.audit, record, { objectLock: false });
    expect(released.record.legalHold).toBeUndefined();
    for (const key of keys) expect((await tagsOf(key))['retention-class'], key).toBe(record.retentionClass);
    // A KYC session of a client whose relationship is still open: released, it still does not expire.
    expect(record.relationshipOpen).toBe(true);
    expect((await getRecord(fixture.harness.dynamo, emulators.tableName, check))!.ttl).toBeUndefined();
  });

  it('a record past retention stays visible only while held', async () => {
    const { record } = fixture.checks.old!;
    const auditNow = { ...fixture.audit, now: () => new Date(Date.parse(record.retainUntil) + 86_400_000) };
    const visible = async () => (await queryRecords(auditNow, { provider: 'verification', outcome: 'true' })).items.length;
    expect(await visible()).toBe(0);
    await fixture.harness.records.applyLegalHold('verification', record.checkRef, { now: new Date() });
    expect(await visible()).toBe(1);
    expect((await findRecord(auditNow, 'verification', record.checkRef)).legalHold).toBe(true);
    await releaseHold(auditNow, { ...record, legalHold: true }, { objectLock: false });
    expect(await visible()).toBe(0);
    // Expiry is back: DynamoDB's TTL takes it from its retainUntil.
    expect((await fixture.harness.records.get('verification', record.checkRef))!.ttl).toBe(Math.floor(Date.parse(record.retainUntil) / 1000));
  });

  it('with Object Lock puts an S3 legal hold on the manifest and every object it lists, then lifts them all', async () => {
    const { record } = fixture.checks.kyc!;
    const manifest = await readJson<Manifest>(fixture.harness.s3, emulators.bucketName, record.manifestKey!);
    const keys = [record.manifestKey!, ...manifest.objects.map((o) => o.key)].sort();
    const { deps, s3 } = objectLockDeps();

    const held = await applyHold(deps, record, { objectLock: true });
    expect(held.objects).toBe(keys.length);
    const holdCalls = s3.commandCalls(PutObjectLegalHoldCommand).map((call) => call.args[0].input);
    expect(holdCalls.map((input) => input.Key).sort()).toEqual(keys);
    expect(holdCalls.every((input) => input.Bucket === emulators.bucketName && input.LegalHold?.Status === 'ON')).toBe(true);

    s3.resetHistory();
    const released = await releaseHold(deps, held.record, { objectLock: true });
    expect(released.objects).toBe(keys.length);
    expect(s3.commandCalls(PutObjectLegalHoldCommand).every((call) => call.args[0].input.LegalHold?.Status === 'OFF')).toBe(true);
    expect(released.record.legalHold).toBeUndefined();
    s3.restore();
  });

  it('a failed object hold is reported and leaves the record held (run it again); a failed release leaves it held too', async () => {
    const { record, check } = fixture.checks.kyc!;
    const { deps, s3 } = objectLockDeps();
    s3.on(PutObjectLegalHoldCommand, { Key: record.resultKey! }).rejects(awsError('AccessDenied', 403));
    const error = await applyHold(deps, record, { objectLock: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LegalHoldIncompleteError);
    expect((error as Error).message).toMatch(/^1 of \d+ objects of kyc check [0-9a-f]{32} kept their legal hold state \(S3 PutObjectLegalHold failed: AccessDenied \(HTTP 403\)\); run the command again$/);
    expect((await getRecord(fixture.harness.dynamo, emulators.tableName, check))!.legalHold).toBe(true);

    await expect(releaseHold(deps, record, { objectLock: true })).rejects.toBeInstanceOf(LegalHoldIncompleteError);
    expect((await getRecord(fixture.harness.dynamo, emulators.tableName, check))!.legalHold).toBe(true);
    s3.restore();
    await releaseHold(fixture.audit, record, { objectLock: false });
  });

  it('detects Object Lock from the bucket configuration', async () => {
    const { deps, s3 } = objectLockDeps();
    s3.on(GetObjectLockConfigurationCommand)
      .resolvesOnce({ ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })
      .rejectsOnce(awsError('ObjectLockConfigurationNotFoundError', 404))
      .rejectsOnce(awsError('AccessDenied', 403));
    expect(await detectObjectLock(deps)).toBe(true);
    expect(await detectObjectLock(deps)).toBe(false);
    await expect(detectObjectLock(deps)).rejects.toBeInstanceOf(StorageRejectedError);
    s3.restore();
  });
});
