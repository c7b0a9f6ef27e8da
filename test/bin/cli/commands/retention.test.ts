/**
 * `relationship close`, `erase` and `receipts` through the CLI in-process, on an archive the engine wrote from the
 * fake providers (dynalite, s3rver, the ledger table and receipts bucket as local mode creates them).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditTarget } from '../../../../bin/cli/target';
import { receiptSortKey } from '../../../../lambdas/records/ledger';
import { startEmulators, type Emulators } from '../../../../local/emulators';
import { buildArchive, daysAgo, type Fixture } from '../../../lambdas/audit/archive-fixture';
import { runAudit } from '../../cli-io';

let emulators: Emulators;
let fixture: Fixture;
beforeAll(async () => {
  emulators = await startEmulators();
  fixture = await buildArchive(emulators);
});
afterAll(async () => {
  await fixture?.close();
  await emulators?.close();
});

const openTarget = async (): Promise<AuditTarget> => ({
  kind: 'local',
  label: 'test archive',
  deps: fixture.audit,
  objectLock: false,
  retention: { ledgerTableName: emulators.ledgerTableName, receiptsBucket: emulators.receiptsBucketName },
  async close() {},
});
const audit = (...argv: string[]) => runAudit(argv, { openTarget });
const ref = (label: string) => fixture.checks[label]!.record.checkRef;

describe('audit-archiver relationship, erase and receipts', () => {
  it('relationship close gives the open KYC record of that client an end: closedAt + 5 years, with a ttl', async () => {
    const before = await fixture.audit.records.get('kyc', ref('kyc-success'));
    expect(before).toMatchObject({ retentionClass: 'aml-cdd', relationshipOpen: true });
    expect(before?.ttl).toBeUndefined();

    const open = await audit('show', 'kyc', ref('kyc-success'));
    expect(open.out).toMatch(/clock:\s+5 years after the relationship ends; relationship open/);
    expect((await audit('query', 'kyc')).out).toContain('relationship open');

    const closedAt = new Date().toISOString(); // after the archive: the class's years count from here
    const { code, out, err } = await audit('relationship', 'close', 'client-e2e-1', '--closed-at', closedAt);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain('1 records extended');
    expect(out).toContain(ref('kyc-success'));
    expect(out).not.toContain(ref('kyc-other')); // another client

    const after = await fixture.audit.records.get('kyc', ref('kyc-success'));
    const until = new Date(Date.parse(closedAt) + 1825 * 86_400_000).toISOString();
    expect(after).toMatchObject({ relationshipClosedAt: closedAt, retainUntil: until, ttl: Math.floor(Date.parse(until) / 1000) });
    expect(after?.relationshipOpen).toBeUndefined();
    expect((await fixture.audit.records.get('kyc', ref('kyc-other')))?.relationshipOpen).toBe(true);
    expect((await audit('show', 'kyc', ref('kyc-success'))).out).toMatch(/clock:\s+5 years after the relationship ended \d{4}-/);

    expect((await audit('relationship', 'close', 'client-e2e-1')).code).toBe(2);
    expect((await audit('relationship', 'close', 'client-e2e-1', '--closed-at', '2999-01-01T00:00:00Z')).code).toBe(2);
  });

  it('erase erases a liveness check at once (show then says when and why) and refuses a KYC check, naming the basis', async () => {
    const erased = await audit('erase', 'liveness', ref('liveness-passed'), '--request-id', 'DSR-100', '--reason', 'data subject request');
    expect(erased.code).toBe(0);
    expect(erased.out).toMatch(/erased\s+biometric-short\s+\d+ objects/);
    const show = await audit('show', 'liveness', ref('liveness-passed'));
    expect(show.code).toBe(3);
    expect(show.err).toContain('was erased');
    expect(show.err).toContain('DSR-100');

    const refused = await audit('erase', '--client', 'client-e2e-2', '--request-id', 'DSR-101');
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/refused\s+aml-cdd/);
    expect(refused.out).toContain('31 CFR 1020.220');
    expect(refused.out).toContain('when the relationship ends');
    expect(refused.err).toContain('1 check refused');
    expect((await fixture.audit.records.get('kyc', ref('kyc-other')))?.status).not.toBe('erased');

    expect((await audit('erase', 'liveness', ref('liveness-failed'))).code).toBe(2); // no request id
  });

  it('receipts lists the erasure and --verify fails once a receipt is edited', async () => {
    const list = await audit('receipts', '--json');
    expect(list.code).toBe(0);
    const receipts = JSON.parse(list.out) as Array<{ seq: number; kind: string; checkRef: string; request?: { id: string } }>;
    const mine = receipts.find((r) => r.checkRef === ref('liveness-passed'))!;
    expect(mine).toMatchObject({ kind: 'erasure', request: { id: 'DSR-100' } });

    const ok = await audit('receipts', '--verify');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('chain verified');

    const key = { pk: 'receipts', sk: receiptSortKey(mine.seq) };
    const dynamo = emulators.dynamoClient();
    const { Item } = await dynamo.send(new GetCommand({ TableName: emulators.ledgerTableName, Key: key }));
    await dynamo.send(new PutCommand({ TableName: emulators.ledgerTableName, Item: { ...Item!, body: String(Item!.body).replace('DSR-100', 'DSR-999') } }));
    const broken = await audit('receipts', '--verify');
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('CHAIN BROKEN');
    expect(broken.out).toContain(`receipt ${mine.seq} was edited`);
  });
});
