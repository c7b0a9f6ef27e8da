/**
 * Relationship close, interactions, erasure requests and deletion receipts on dynalite and s3rver: records written as
 * the archive writes them, objects in the bucket, the ledger table and the receipts bucket as local mode creates them.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { archivePrefix, legacyArchivePrefix } from '../../../lambdas/archive/keys';
import { checkRefOf, subjectHashOf } from '../../../lambdas/checks/check-ref';
import type { ProviderName } from '../../../lambdas/checks/check-status';
import { buildRecord, isTombstone, type CheckRecord } from '../../../lambdas/records/record';
import { DEFAULT_RETENTION_POLICY, computeRetention, plusDays } from '../../../lambdas/records/retention';
import { receiptSortKey } from '../../../lambdas/records/ledger';
import { SEEN_HORIZON_DAYS } from '../../../lambdas/records/open-checks';
import { TTL_ATTRIBUTE, seenKeyOf } from '../../../lambdas/records/table-schema';
import { createRetentionDeps, type RetentionDeps } from '../../../lambdas/retention/deps';
import { carryOutDueErasures, requestErasure, RELATIONSHIP_OPEN_TEXT, HOLD_TEXT } from '../../../lambdas/retention/erasure';
import { closeRelationship, InvalidRetentionRequestError, noteInteraction } from '../../../lambdas/retention/relationship';
import { receiptKeyOf } from '../../../lambdas/retention/receipt-seal';
import { receiptsForStream } from '../../../lambdas/retention/stream';
import { keysOfCheck } from '../../../lambdas/retention/evidence-objects';
import { isLifecycleExpiration, lifecycleReceipt } from '../../../lambdas/retention/lifecycle';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { sweepExpired } from '../../../local/ttl-sweeper';
import { TEST_KEY, testKeySource } from '../../support/identifier-key';

let emulators: Emulators;
let deps: RetentionDeps;
let clock: Date;
let n = 0;

beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(() => emulators.close());
beforeEach(() => {
  clock = new Date('2026-03-19T10:40:00.000Z');
  deps = createRetentionDeps({
    dynamo: emulators.dynamoClient(),
    tableName: emulators.tableName,
    ledgerTableName: emulators.ledgerTableName,
    s3: emulators.s3Client(),
    bucket: emulators.bucketName,
    receiptsBucket: emulators.receiptsBucketName,
    objectLock: false,
    identifierKey: testKeySource,
    policy: DEFAULT_RETENTION_POLICY,
    now: () => clock,
  });
});

/**
 * A check archived now, as the engine writes it: its record (with what the ledger knows of the subject) and two objects
 * — under the first, date-first key layout with `legacyKeys` (a check archived before the hash-first keys).
 */
async function archive(provider: ProviderName, outcome: string, subjectKey: string, status: CheckRecord['status'] = 'archived', legacyKeys = false): Promise<CheckRecord> {
  const checkId = `check-${++n}-${Date.now()}`;
  const check = { provider, checkId, checkRef: checkRefOf(TEST_KEY, provider, checkId), createdAt: clock.toISOString() };
  const subjectHash = subjectHashOf(TEST_KEY, subjectKey);
  const subject = (await deps.ledger.subject(subjectHash)) ?? {};
  const { retention } = computeRetention(DEFAULT_RETENTION_POLICY, { provider, outcome, subject, createdAt: check.createdAt, now: clock });
  const record = buildRecord({ check, status, outcome, retention, archivedAt: clock, subjectHash });
  await deps.records.write(record);
  const prefix = legacyKeys ? legacyArchivePrefix(provider, check.createdAt, check.checkRef) : archivePrefix(provider, check.checkRef);
  for (const name of ['result.json', 'images/0.png']) {
    await emulators.s3Client().send(new PutObjectCommand({ Bucket: emulators.bucketName, Key: `${prefix}${name}`, Body: 'evidence' }));
  }
  return record;
}

async function objectsOf(record: CheckRecord): Promise<string[]> {
  return keysOfCheck(deps.objects, record);
}

const years = (iso: string, count: number) => plusDays(iso, count * 365);

describe('relationship clock', () => {
  it('an open relationship never expires a KYC record; a close N years later expires it N + 5 years after archive, never earlier', async () => {
    const client = `client-${Date.now()}-a`;
    const kyc = await archive('kyc', 'success', client);
    expect(kyc.relationshipOpen).toBe(true);
    expect(kyc.ttl).toBeUndefined();
    expect(kyc.retainUntil).toBe(years(kyc.archivedAt, 5)); // the floor: what the Object Lock date is set to

    const liveness = await archive('liveness', 'passed', client);

    clock = new Date(years(kyc.archivedAt, 8)); // eight years of relationship: still kept
    expect((await deps.records.get('kyc', kyc.checkRef))?.ttl).toBeUndefined();

    const closedAt = years(kyc.archivedAt, 3);
    const closed = await closeRelationship(deps, { subjectKey: client, closedAt });
    expect(closed.changed).toEqual([expect.objectContaining({ provider: 'kyc', checkRef: kyc.checkRef, retainUntil: years(closedAt, 5), from: kyc.retainUntil })]);
    expect(closed.unchanged).toBe(1); // the liveness check is on its own clock
    const after = (await deps.records.get('kyc', kyc.checkRef))!;
    expect(after).toMatchObject({ retainUntil: years(kyc.archivedAt, 8), relationshipClosedAt: closedAt, ttl: Math.floor(Date.parse(years(kyc.archivedAt, 8)) / 1000) });
    expect(after.relationshipOpen).toBeUndefined();
    expect((await deps.records.get('liveness', liveness.checkRef))?.retainUntil).toBe(liveness.retainUntil);

    // An earlier close date changes nothing (a close never shortens); a longer period extends.
    expect((await closeRelationship(deps, { subjectKey: client, closedAt: years(kyc.archivedAt, 1) })).changed).toEqual([]);
    const longer = await closeRelationship(deps, { subjectKey: client, closedAt, retentionYears: 7 });
    expect(longer.changed[0]?.retainUntil).toBe(years(closedAt, 7));

    // A check archived after the close starts on the closed clock: it expires, with ttl, 7 years after the close
    // at the earliest from its archive (never under the class's 5 years).
    const late = await archive('kyc', 'success', client);
    expect(late.relationshipOpen).toBeUndefined();
    expect(late.ttl).toBeDefined();
    expect(late.retainUntil).toBe(years(late.archivedAt, 5) > years(closedAt, 7) ? years(late.archivedAt, 5) : years(closedAt, 7));
  });

  it('refuses a close dated in the future or an unusable period, naming the field', async () => {
    await expect(closeRelationship(deps, { subjectKey: 'x', closedAt: '2031-01-01T00:00:00Z' })).rejects.toThrow(InvalidRetentionRequestError);
    await expect(closeRelationship(deps, { subjectKey: 'x', closedAt: 'yesterday' })).rejects.toThrow(/closedAt/);
    await expect(closeRelationship(deps, { subjectKey: 'x', closedAt: clock.toISOString(), retentionYears: -1 })).rejects.toThrow(/retentionYears/);
  });

  it('a newer interaction moves the biometric cap later, never past the class; an older one changes nothing', async () => {
    const subject = `subject-${Date.now()}-b`;
    const failed = await archive('liveness', 'failed', subject); // liveness-failed: 365 days, capped at 3 years after the last interaction
    expect(failed.lastInteractionDays).toBe(1095);
    expect(failed.retainUntil).toBe(plusDays(failed.archivedAt, 365));
    clock = new Date(plusDays(failed.archivedAt, 30));
    const moved = await noteInteraction(deps, { subjectKey: subject, at: clock.toISOString() });
    // The class's 365 days still come first: nothing to move.
    expect(moved.changed).toEqual([]);
    expect((await deps.ledger.subject(subjectHashOf(TEST_KEY, subject)))?.lastInteractionAt).toBe(clock.toISOString());
    const older = await noteInteraction(deps, { subjectKey: subject, at: failed.archivedAt });
    expect(older.lastInteractionAt).toBe(clock.toISOString());
  });
});

describe('erasure requests and receipts', () => {
  it('erases an erasable check at once: every object, the record replaced by a tombstone without personal data, a receipt that verifies', async () => {
    const subject = `subject-${Date.now()}-c`;
    const liveness = await archive('liveness', 'passed', subject);
    expect(await objectsOf(liveness)).toHaveLength(2);

    const result = await requestErasure(deps, { target: { provider: 'liveness', checkRef: liveness.checkRef }, requestId: 'DSR-1', reason: 'art. 17 request' });
    expect(result.checks).toEqual([expect.objectContaining({ outcome: 'erased', objects: 2, versions: 2, retentionClass: 'biometric-short' })]);
    expect(await objectsOf(liveness)).toEqual([]);
    const tombstone = await deps.records.get('liveness', liveness.checkRef);
    expect(isTombstone(tombstone)).toBe(true);
    expect(tombstone).not.toHaveProperty('clientKeyHash');
    expect(tombstone).not.toHaveProperty('createdAt');
    expect(tombstone).toMatchObject({ erasure: { requestId: 'DSR-1', reason: 'art. 17 request' }, retentionClass: 'biometric-short' });

    const receipts = [];
    for await (const stored of deps.receipts.list()) receipts.push(stored.receipt);
    const mine = receipts.find((r) => r.checkRef === liveness.checkRef)!;
    expect(mine).toMatchObject({ kind: 'erasure', provider: 'liveness', retentionClass: 'biometric-short', deleted: { record: true, objects: 2 }, request: { id: 'DSR-1' } });
    expect(JSON.stringify(mine)).not.toContain(subject);
    expect((await deps.receipts.verify()).ok).toBe(true);

    // Again: already erased, no second receipt.
    expect((await requestErasure(deps, { target: { provider: 'liveness', checkRef: liveness.checkRef }, requestId: 'DSR-1' })).checks[0]?.outcome).toBe('already-erased');
  });

  it('erases a check archived under the first key layout ({provider}/yyyy/mm/dd/…) all the same', async () => {
    const liveness = await archive('liveness', 'passed', `subject-${Date.now()}-c2`, 'archived', true);
    const [key] = await objectsOf(liveness);
    expect(key).toMatch(new RegExp(`^liveness/\\d{4}/\\d{2}/\\d{2}/${liveness.checkRef}/`));
    const result = await requestErasure(deps, { target: { provider: 'liveness', checkRef: liveness.checkRef }, requestId: 'DSR-legacy' });
    expect(result.checks).toEqual([expect.objectContaining({ outcome: 'erased', objects: 2 })]);
    expect(await deps.objects.keys(legacyArchivePrefix('liveness', liveness.createdAt, liveness.checkRef))).toEqual([]);
  });

  it('refuses a KYC check under the AML obligation, names the basis and the date, and carries the request out on that date', async () => {
    const client = `client-${Date.now()}-d`;
    const kyc = await archive('kyc', 'success', client);
    const refused = await requestErasure(deps, { target: { subjectKey: client }, requestId: 'DSR-2' });
    expect(refused.checks).toEqual([expect.objectContaining({ outcome: 'refused', erasableFrom: RELATIONSHIP_OPEN_TEXT, basis: expect.stringContaining('31 CFR 1020.220') })]);
    expect(await objectsOf(kyc)).toHaveLength(2);

    // The close gives the refused request its date.
    const closedAt = years(kyc.archivedAt, 1);
    clock = new Date(closedAt);
    await closeRelationship(deps, { subjectKey: client, closedAt });
    const due = years(closedAt, 5);
    expect(await deps.ledger.erasuresOf('kyc', kyc.checkRef)).toEqual([expect.objectContaining({ due, requestId: 'DSR-2' })]);
    const again = await requestErasure(deps, { target: { provider: 'kyc', checkRef: kyc.checkRef }, requestId: 'DSR-3' });
    expect(again.checks[0]).toMatchObject({ outcome: 'refused', erasableFrom: due });

    // Nothing is erased early…
    clock = new Date(Date.parse(due) - 1000);
    expect((await carryOutDueErasures(deps)).erased.filter((c) => c.checkRef === kyc.checkRef)).toEqual([]);
    expect(await objectsOf(kyc)).toHaveLength(2);
    // …and on the date it is.
    clock = new Date(Date.parse(due) + 1000);
    const swept = await carryOutDueErasures(deps);
    expect(swept.erased).toEqual(expect.arrayContaining([expect.objectContaining({ checkRef: kyc.checkRef, outcome: 'erased' })]));
    expect(await objectsOf(kyc)).toEqual([]);
    expect(isTombstone(await deps.records.get('kyc', kyc.checkRef))).toBe(true);
    expect(await deps.ledger.erasuresOf('kyc', kyc.checkRef)).toEqual([]);
    expect((await deps.receipts.verify()).ok).toBe(true);
  });

  it('a legal hold blocks an erasure of an erasable class; the request waits for the release', async () => {
    const subject = `subject-${Date.now()}-e`;
    const liveness = await archive('liveness', 'passed', subject);
    await deps.records.applyLegalHold('liveness', liveness.checkRef, { now: clock, reason: 'matter 7' });
    const refused = await requestErasure(deps, { target: { subjectKey: subject }, requestId: 'DSR-4' });
    expect(refused.checks[0]).toMatchObject({ outcome: 'refused', basis: 'legal hold (matter 7)', erasableFrom: HOLD_TEXT });
    clock = new Date(plusDays(clock.toISOString(), 2));
    expect((await carryOutDueErasures(deps)).deferred).toEqual(expect.arrayContaining([expect.objectContaining({ checkRef: liveness.checkRef, outcome: 'refused' })]));
    expect(await objectsOf(liveness)).toHaveLength(2);

    await deps.records.releaseLegalHold('liveness', liveness.checkRef);
    clock = new Date(plusDays(clock.toISOString(), 2));
    expect((await carryOutDueErasures(deps)).erased).toEqual(expect.arrayContaining([expect.objectContaining({ checkRef: liveness.checkRef })]));
    expect(await objectsOf(liveness)).toEqual([]);
  });

  it('an edited, removed or re-sealed receipt makes verify fail and says which', async () => {
    const liveness = await archive('liveness', 'passed', `subject-${Date.now()}-f`);
    const { checks } = await requestErasure(deps, { target: { provider: 'liveness', checkRef: liveness.checkRef }, requestId: 'DSR-5' });
    const seq = (checks[0] as { receiptSeq: number }).receiptSeq;
    expect((await deps.receipts.verify()).ok).toBe(true);

    const key = { pk: 'receipts', sk: receiptSortKey(seq) };
    const { Item } = await deps.dynamo.send(new GetCommand({ TableName: emulators.ledgerTableName, Key: key }));
    const edited = { ...Item!, body: String(Item!.body).replace('DSR-5', 'DSR-X') };
    await deps.dynamo.send(new PutCommand({ TableName: emulators.ledgerTableName, Item: edited }));
    const afterEdit = await deps.receipts.verify();
    expect(afterEdit.ok).toBe(false);
    expect(afterEdit.problems).toEqual(expect.arrayContaining([`receipt ${seq} was edited: its text no longer matches its sha256`]));

    await deps.dynamo.send(new PutCommand({ TableName: emulators.ledgerTableName, Item: Item! }));
    expect((await deps.receipts.verify()).ok).toBe(true);
    // The sealed copy differs (s3rver lets it be overwritten; S3 Object Lock would not).
    const sealed = await emulators.s3Client().send(new GetObjectCommand({ Bucket: emulators.receiptsBucketName, Key: receiptKeyOf(seq) }));
    const text = await sealed.Body!.transformToString();
    await emulators.s3Client().send(new PutObjectCommand({ Bucket: emulators.receiptsBucketName, Key: receiptKeyOf(seq), Body: text.replace('DSR-5', 'DSR-Y') }));
    expect((await deps.receipts.verify()).problems).toEqual(expect.arrayContaining([`receipt ${seq} differs from its sealed copy`]));
    await emulators.s3Client().send(new PutObjectCommand({ Bucket: emulators.receiptsBucketName, Key: receiptKeyOf(seq), Body: text }));

    await deps.dynamo.send(new DeleteCommand({ TableName: emulators.ledgerTableName, Key: key }));
    const afterDelete = await deps.receipts.verify();
    expect(afterDelete.ok).toBe(false);
    expect(afterDelete.problems.join('\n')).toMatch(/missing from the chain/);
    await deps.dynamo.send(new PutCommand({ TableName: emulators.ledgerTableName, Item: Item! }));
  });
});

describe('expiry receipts (the TTL sweep seen through the stream)', () => {
  const sweep = () =>
    sweepExpired({ dynamo: deps.dynamo, tableName: emulators.tableName, now: clock, deliver: (event) => receiptsForStream(deps, (event as { Records: never[] }).Records) });

  it('deletes nothing early; at its date a record goes with a receipt, and its objects are handed to the expired lifecycle rule', async () => {
    const client = `client-${Date.now()}-g`;
    const verification = await archive('verification', 'authentic', `subject-${Date.now()}-g`);
    const legacy = await archive('verification', 'authentic', `subject-${Date.now()}-g2`, 'archived', true);
    const kyc = await archive('kyc', 'success', client);

    clock = new Date(Date.parse(verification.retainUntil) - 1000);
    await sweep();
    expect(await deps.records.get('verification', verification.checkRef)).toBeDefined();

    clock = new Date(years(kyc.archivedAt, 9)); // the KYC relationship is still open: it stays
    await sweep();
    expect(await deps.records.get('verification', verification.checkRef)).toBeUndefined();
    expect(await deps.records.get('kyc', kyc.checkRef)).toBeDefined();

    const receipts = [];
    for await (const stored of deps.receipts.list()) receipts.push(stored.receipt);
    expect(receipts.filter((r) => r.checkRef === kyc.checkRef)).toEqual([]);
    expect(receipts.find((r) => r.checkRef === verification.checkRef)).toMatchObject({
      kind: 'expiry',
      by: 'dynamodb-ttl',
      retentionClass: 'verification',
      retainedUntil: verification.retainUntil,
      deleted: { record: true, objects: 2, handedToLifecycle: 2 },
    });
    // A check archived under the first key layout expires the same way: its objects are found under their old folder.
    expect(receipts.find((r) => r.checkRef === legacy.checkRef)).toMatchObject({ kind: 'expiry', deleted: { record: true, objects: 2, handedToLifecycle: 2 } });
    for (const record of [verification, legacy]) {
      const key = (await objectsOf(record))[0]!;
      const { TagSet } = await emulators.s3Client().send(new GetObjectTaggingCommand({ Bucket: emulators.bucketName, Key: key }));
      expect(TagSet).toContainEqual({ Key: 'retention-class', Value: 'expired' });
    }
    expect((await deps.receipts.verify()).ok).toBe(true);
  });

  it('the record\'s removal moves its seen marker 400 days past it: a start then is refused; the marker\'s own expiry is no receipt', async () => {
    const record = await archive('verification', 'authentic', `subject-${Date.now()}-m`);
    clock = new Date(Date.parse(record.retainUntil) + 1000);
    await sweep();
    expect(await deps.records.get('verification', record.checkRef)).toBeUndefined();
    const marker = (await deps.dynamo.send(new GetCommand({ TableName: emulators.tableName, Key: { pk: seenKeyOf('verification', record.checkRef) } }))).Item;
    expect(marker?.[TTL_ATTRIBUTE]).toBe(Math.floor(clock.getTime() / 1000) + SEEN_HORIZON_DAYS * 86_400);
    // A replayed event now: its start finds the marker of an earlier incarnation and starts nothing.
    expect(await deps.records.markSeen('verification', record.checkRef, 'a-later-start', clock)).toBe(false);

    const receiptsBefore = [];
    for await (const stored of deps.receipts.list()) receiptsBefore.push(stored.receipt);
    clock = new Date((marker![TTL_ATTRIBUTE] as number) * 1000 + 1000);
    await sweep();
    expect((await deps.dynamo.send(new GetCommand({ TableName: emulators.tableName, Key: { pk: seenKeyOf('verification', record.checkRef) } }))).Item).toBeUndefined();
    const receiptsAfter = [];
    for await (const stored of deps.receipts.list()) receiptsAfter.push(stored.receipt);
    expect(receiptsAfter.filter((r) => r.checkRef === record.checkRef)).toEqual(receiptsBefore.filter((r) => r.checkRef === record.checkRef));
  });

  it('a lifecycle expiration reported by S3 becomes a receipt naming the check, the key and the version', async () => {
    const checkRef = 'a'.repeat(32);
    const event = {
      id: 'evt-lifecycle-1',
      source: 'aws.s3' as const,
      'detail-type': 'Object Deleted' as const,
      time: '2026-06-01T03:00:00Z',
      detail: { bucket: { name: 'b' }, object: { key: `verification/2025/05/30/${checkRef}/result.json`, 'version-id': 'v1' }, reason: 'Lifecycle Expiration', 'deletion-type': 'Permanently Deleted' },
    };
    expect(isLifecycleExpiration(event)).toBe(true);
    expect(isLifecycleExpiration({ ...event, detail: { ...event.detail, reason: 'DeleteObject' } })).toBe(false);
    const first = await lifecycleReceipt(deps, event);
    const again = await lifecycleReceipt(deps, event); // redelivered: the same receipt
    expect(again.receipt.seq).toBe(first.receipt.seq);
    expect(first.receipt).toMatchObject({ kind: 'lifecycle-expiration', provider: 'verification', checkRef, by: 's3-lifecycle', deleted: { versionId: 'v1', deletionType: 'Permanently Deleted' } });
    // Keys of the current layout name their check too.
    const current = { ...event, id: 'evt-lifecycle-2', detail: { ...event.detail, object: { key: `${archivePrefix('kyc', checkRef)}manifest.json`, 'version-id': 'v2' } } };
    expect((await lifecycleReceipt(deps, current)).receipt).toMatchObject({ provider: 'kyc', checkRef });
  });

  it('a record deleted by anyone but the TTL process gets a record-deleted receipt, so it shows', async () => {
    const liveness = await archive('liveness', 'failed', `subject-${Date.now()}-h`);
    await deps.dynamo.send(new DeleteCommand({ TableName: emulators.tableName, Key: { pk: liveness.pk } }));
    const { marshall } = await import('@aws-sdk/util-dynamodb');
    await receiptsForStream(deps, [
      { eventID: 'evt-manual-1', eventName: 'REMOVE', userIdentity: undefined, dynamodb: { OldImage: marshall(liveness, { removeUndefinedValues: true }) } },
    ]);
    // Redelivered: no second receipt.
    await receiptsForStream(deps, [{ eventID: 'evt-manual-1', eventName: 'REMOVE', dynamodb: { OldImage: marshall(liveness, { removeUndefinedValues: true }) } }]);
    const mine = [];
    for await (const stored of deps.receipts.list()) if (stored.receipt.checkRef === liveness.checkRef) mine.push(stored.receipt);
    expect(mine).toEqual([expect.objectContaining({ kind: 'record-deleted', by: 'unknown' })]);
  });
});
