import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { StorageRejectedError, StorageUnavailableError } from '../../../lambdas/common/storage-errors';
import { RecordNotFoundError } from '../../../lambdas/records/record-store';
import { buildRecord, type CheckRecord, type RecordStatus } from '../../../lambdas/records/record';
import { createRecordStore, type RecordStore } from '../../../lambdas/records/record-store';
import { DEFAULT_RETENTION_POLICY, computeRetention } from '../../../lambdas/records/retention';
import { INDEXES } from '../../../lambdas/records/table-schema';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { TEST_KEY } from '../../support/identifier-key';

let emulators: Emulators;
let records: RecordStore;
let dynamo: DynamoDBDocumentClient;
beforeAll(async () => {
  emulators = await startEmulators();
  dynamo = emulators.dynamoClient();
  records = createRecordStore({ client: dynamo, tableName: emulators.tableName });
});
afterAll(() => emulators.close());

const now = new Date('2026-03-19T10:40:00.000Z');
let n = 0;
function recordOf(status: RecordStatus, checkId: string, outcome: string = status): CheckRecord {
  const check = { provider: 'liveness' as const, checkId, checkRef: checkRefOf(TEST_KEY, 'liveness', checkId), createdAt: '2026-03-19T10:31:06Z' };
  const { retention } = computeRetention(DEFAULT_RETENTION_POLICY, { provider: 'liveness', outcome, now });
  return buildRecord({ check, status, outcome, retention, archivedAt: now });
}
const freshId = () => `token-${++n}-${Date.now()}`;

describe('record store on dynalite', () => {
  it('writes one item per check; a higher rank replaces, a lower rank never overwrites', async () => {
    const id = freshId();
    const escalated = recordOf('escalated', id, 'uncertain');
    expect(await records.write(escalated)).toEqual({ written: true, record: escalated });

    const archived = { ...recordOf('archived', id, 'passed'), manifestSha256: 'c'.repeat(64) };
    expect((await records.write(archived)).written).toBe(true);

    const error = recordOf('error', id);
    const attempt = await records.write(error);
    expect(attempt.written).toBe(false);
    expect(attempt.record.status).toBe('archived');

    // The first final answer wins: the same rank rewrites only its own twin (the same manifest anchored).
    expect((await records.write(archived)).written).toBe(true);
    expect(await records.get('liveness', archived.checkRef)).toEqual(archived);

    const { Items } = await dynamo.send(
      new QueryCommand({
        TableName: emulators.tableName,
        IndexName: INDEXES.byOutcome.indexName,
        KeyConditionExpression: 'providerOutcome = :o',
        ExpressionAttributeValues: { ':o': archived.providerOutcome },
      }),
    );
    expect(Items?.filter((item) => item.pk === archived.pk)).toHaveLength(1);
  });

  it('an equal-rank race: the second final answer, anchoring another manifest, never replaces the first', async () => {
    const id = freshId();
    const first = { ...recordOf('archived', id, 'passed'), manifestSha256: 'a'.repeat(64) };
    const second = { ...recordOf('archived-partial', id, 'passed'), manifestSha256: 'b'.repeat(64) };
    const [a, b] = await Promise.all([records.write(first), records.write(second)]);
    expect([a.written, b.written].sort()).toEqual([false, true]);
    const stored = await records.get('liveness', first.checkRef);
    const winner = a.written ? first : second;
    expect(stored?.manifestSha256).toBe(winner.manifestSha256);
    // The loser is told which record stands; its retry changes nothing, the winner's own retry is idempotent.
    expect((a.written ? b : a).record.manifestSha256).toBe(winner.manifestSha256);
    expect((await records.write(a.written ? second : first)).written).toBe(false);
    expect((await records.write(winner)).written).toBe(true);
    // Errors (below the final ranks) may be rewritten by a retry.
    const id2 = freshId();
    expect((await records.write(recordOf('error', id2))).written).toBe(true);
    expect((await records.write({ ...recordOf('error', id2), detail: 'again' })).written).toBe(true);
  });

  it('a lease keeps every other writer out until it is released or expires', async () => {
    const id = freshId();
    const record = recordOf('archived', id, 'passed');
    const now = new Date();
    const lease = { owner: 'run-a', until: now.getTime() + 60_000 };
    expect(await records.acquireLease('liveness', record.checkRef, lease, 3, now)).toEqual({ acquired: true });
    expect(await records.acquireLease('liveness', record.checkRef, { owner: 'run-b', until: now.getTime() + 60_000 }, 3, now)).toEqual({ acquired: false, heldUntil: lease.until });
    // A write without the lease is refused while it is held; the holder's goes through and ends the lease.
    expect((await records.write(record)).written).toBe(false);
    expect((await records.write(record, { lease })).written).toBe(true);
    const stored = await records.get('liveness', record.checkRef);
    expect(stored?.leaseOwner).toBeUndefined();
    // A final record refuses every later lease of a rank that cannot replace it.
    expect(await records.acquireLease('liveness', record.checkRef, { owner: 'run-c', until: now.getTime() + 60_000 }, 2, now)).toMatchObject({ acquired: false, superseded: { status: 'archived' } });
    // An expired lease is taken over.
    const id2 = freshId();
    const ref2 = recordOf('error', id2).checkRef;
    await records.acquireLease('liveness', ref2, { owner: 'dead', until: now.getTime() - 1 }, 0, new Date(now.getTime() - 5_000));
    expect(await records.acquireLease('liveness', ref2, { owner: 'alive', until: now.getTime() + 1_000 }, 0, now)).toEqual({ acquired: true });
  });

  it('begin and markSeen: a started item once per check, and a marker that tells an expired record from a race', async () => {
    const id = freshId();
    const ref = recordOf('archived', id).checkRef;
    const { startedItemOf } = await import('../../../lambdas/records/open-checks');
    const item = startedItemOf({ provider: 'liveness', checkRef: ref, createdAt: now.toISOString(), executionName: `liveness-${ref}`, startId: 's1', now });
    expect(await records.begin(item)).toEqual({ created: true });
    expect(await records.begin({ ...item, startId: 's2' })).toMatchObject({ created: false, existing: { status: 'started', startId: 's1' } });
    expect(await records.markSeen('liveness', ref, 's1', now)).toBe(true);
    expect(await records.markSeen('liveness', ref, 's1', now)).toBe(true);
    expect(await records.markSeen('liveness', ref, 's9', now)).toBe(false);
    await records.abandonStarted('liveness', ref, 's1');
    expect(await records.get('liveness', ref)).toBeUndefined();
  });

  it('legal hold removes ttl, survives a rewrite of the record, and release restores ttl from retainUntil', async () => {
    const id = freshId();
    const escalated = recordOf('escalated', id, 'uncertain');
    await records.write(escalated);
    const held = await records.applyLegalHold('liveness', escalated.checkRef, { now, reason: 'case 42' });
    expect(held.legalHold).toBe(true);
    expect(held.legalHoldReason).toBe('case 42');
    expect(held.ttl).toBeUndefined();

    // The engine's final write does not know about the hold: the store keeps it.
    const final = recordOf('archived', id, 'passed');
    const { written, record } = await records.write(final);
    expect(written).toBe(true);
    expect(record.legalHold).toBe(true);
    const stored = await records.get('liveness', final.checkRef);
    expect(stored).toMatchObject({ status: 'archived', legalHold: true, legalHoldSince: now.toISOString(), legalHoldReason: 'case 42' });
    expect(stored?.ttl).toBeUndefined();

    const released = await records.releaseLegalHold('liveness', final.checkRef);
    expect(released.legalHold).toBeUndefined();
    expect(released.ttl).toBe(Math.floor(Date.parse(final.retainUntil) / 1000));
    expect(await records.releaseLegalHold('liveness', final.checkRef)).toEqual(released);
  });

  it('legal-hold operations on an unknown check throw RecordNotFoundError', async () => {
    await expect(records.applyLegalHold('kyc', 'f'.repeat(32), { now })).rejects.toBeInstanceOf(RecordNotFoundError);
    await expect(records.releaseLegalHold('kyc', 'f'.repeat(32))).rejects.toBeInstanceOf(RecordNotFoundError);
  });
});

describe('record store failures (aws-sdk-client-mock)', () => {
  const mockedDoc = () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
    return { doc, mock: mockClient(doc) };
  };

  it('throttling becomes a retryable StorageUnavailableError', async () => {
    const { doc, mock } = mockedDoc();
    mock.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));
    const store = createRecordStore({ client: doc, tableName: 't' });
    const error = await store.write(recordOf('archived', freshId())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as StorageUnavailableError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/ProvisionedThroughputExceededException/);
  });

  it('a missing table is a non-retryable StorageRejectedError', async () => {
    const { doc, mock } = mockedDoc();
    mock.on(GetCommand).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    const store = createRecordStore({ client: doc, tableName: 't' });
    await expect(store.get('kyc', 'a'.repeat(32))).rejects.toBeInstanceOf(StorageRejectedError);
  });

  it('gives up with StorageUnavailableError when the condition keeps failing under contention', async () => {
    const { doc, mock } = mockedDoc();
    const record = recordOf('archived', freshId());
    mock.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    mock.on(GetCommand).resolves({ Item: { ...record, status: 'error', statusRank: 0 } });
    const store = createRecordStore({ client: doc, tableName: 't' });
    await expect(store.write(record)).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(mock.commandCalls(PutCommand)).toHaveLength(3);
  });
});
