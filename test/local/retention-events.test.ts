/**
 * The retention events end to end in local mode: Check Created through the synthesized workflow and the real handlers,
 * then Relationship Closed, Erasure Requested and the local TTL sweeper through the retention handler, as
 * `npm start -- --events FILE` delivers them — records in dynalite, objects in s3rver, receipts that verify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_POLICY } from '../../lambdas/records/retention';
import { isTombstone } from '../../lambdas/records/record';
import { createRetentionDeps, type RetentionDeps } from '../../lambdas/retention/deps';
import { archivePrefix } from '../../lambdas/archive/keys';
import { fixedIdentifierKey } from '../../lambdas/common/identifier-key';
import { startLocalStack, type LocalStack } from '../../local/local-stack';

let stack: LocalStack;
let deps: RetentionDeps;
const event = (detailType: string, detail: unknown, time = new Date().toISOString()) => ({
  version: '0',
  id: `evt-${Math.random()}`,
  source: 'audit-archiver.checks',
  'detail-type': detailType,
  account: '000000000000',
  region: 'us-east-1',
  time,
  resources: [],
  detail,
});

beforeAll(async () => {
  stack = await startLocalStack({ timeFactor: 100, notice: () => {} });
  deps = createRetentionDeps({
    dynamo: stack.emulators.dynamoClient(),
    tableName: stack.emulators.tableName,
    ledgerTableName: stack.emulators.ledgerTableName,
    s3: stack.emulators.s3Client(),
    bucket: stack.emulators.bucketName,
    receiptsBucket: stack.emulators.receiptsBucketName,
    objectLock: false,
    identifierKey: fixedIdentifierKey(stack.identifierKey),
    policy: DEFAULT_RETENTION_POLICY,
  });
}, 240_000);
afterAll(() => stack?.close());

describe('retention events in local mode', () => {
  it('close → extend, erase allowed, erase refused, and the TTL sweeper leaves the open relationship alone', async () => {
    const kyc = stack.fakeProviders!.addCheck({ provider: 'kyc', clientKey: 'client-local-1', tasks: [{ type: 'selfie' }] });
    const liveness = stack.fakeProviders!.addCheck({ provider: 'liveness', passed: true, auditFrames: 2 });
    const started = [
      await stack.submit(event('Check Created', { provider: 'kyc', checkId: kyc.checkId, clientKey: kyc.clientKey })),
      await stack.submit(event('Check Created', { provider: 'liveness', checkId: liveness.checkId, subjectKey: kyc.clientKey })),
    ];
    expect(started.map((s) => s.status)).toEqual(['started', 'started']);
    await stack.stepFunctions.idle();
    const [kycRef, livenessRef] = started.map((s) => s.checkRef!);
    const kycRecord = (await deps.records.get('kyc', kycRef!))!;
    expect(kycRecord).toMatchObject({ status: 'archived', retentionClass: 'aml-cdd', relationshipOpen: true });
    expect((await deps.records.get('liveness', livenessRef!))?.clientKeyHash).toBe(kycRecord.clientKeyHash); // one subject, both checks

    // Nothing has expired: the sweeper removes nothing.
    expect(await stack.sweepExpired()).toBe(0);

    const closedAt = new Date().toISOString();
    expect(await stack.submit(event('Relationship Closed', { clientKey: kyc.clientKey, closedAt }))).toEqual({ status: 'applied' });
    const closed = (await deps.records.get('kyc', kycRef!))!;
    expect(closed.relationshipOpen).toBeUndefined();
    expect(closed.retainUntil).toBe(new Date(Date.parse(closedAt) + 1825 * 86_400_000).toISOString());
    expect(closed.ttl).toBe(Math.floor(Date.parse(closed.retainUntil) / 1000));

    expect(await stack.submit(event('Erasure Requested', { clientKey: kyc.clientKey, requestId: 'DSR-local-1' }))).toEqual({ status: 'applied' });
    expect(isTombstone(await deps.records.get('liveness', livenessRef!))).toBe(true);
    expect((await deps.objects.keys('')).filter((key) => key.includes(livenessRef!))).toEqual([]); // every object gone
    expect(await deps.records.get('kyc', kycRef!)).toMatchObject({ status: 'archived' }); // refused: AML obligation
    expect(await deps.ledger.erasuresOf('kyc', kycRef!)).toEqual([expect.objectContaining({ requestId: 'DSR-local-1', due: closed.retainUntil })]);
    expect(await deps.objects.keys(archivePrefix('kyc', kycRef!))).not.toEqual([]);

    // An invalid retention event is refused with the paths at fault, never a value.
    const invalid = await stack.submit(event('Relationship Closed', { clientKey: 'client-secret-name', closedAt: 'soon' }));
    expect(invalid.status).toBe('invalid');
    expect(invalid.reason).toContain('detail.closedAt');
    expect(invalid.reason).not.toContain('client-secret-name');

    const verified = await deps.receipts.verify();
    expect(verified).toMatchObject({ ok: true, receipts: 1 });
  });
});
