/**
 * Dead letters come back: against a real SQS protocol peer (local-aws-sqs), sealed with a local key as local mode does
 * (the KMS sealer has the same shape; its calls are tested with aws-sdk-client-mock below).
 */
import { TEST_KEY } from '../../support/identifier-key';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { createLocalSealer, parseDeadLetter, sealDeadLetter } from '../../../lambdas/events/dead-letters';
import { createKmsSealer } from '../../../lambdas/events/sealer-runtime';
import { listDeadLetters, redriveDeadLetters } from '../../../lambdas/operations/dead-letter-queue';

const TOKEN = 'lt_dead-letter-secret-token-0123456789';
const event = (checkId: unknown, time = '2026-03-04T05:06:07Z') => ({
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  source: 'audit-archiver.checks',
  'detail-type': 'Check Created',
  time,
  detail: { provider: 'liveness', checkId, createdAt: '2026-03-04T05:00:00Z' },
});

let server: Server;
let sqs: SQSClient;
let dlq: string;
let startQueue: string;
const sealer = createLocalSealer(randomBytes(32));

beforeAll(async () => {
  const { createSqsServer } = await import('local-aws-sqs');
  server = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateLazyQueues: false, emulateQueueCreationLifecycle: false });
  sqs = new SQSClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'dlq' }))).QueueUrl!;
  startQueue = (await sqs.send(new CreateQueueCommand({ QueueName: 'start' }))).QueueUrl!;
});
afterAll(async () => {
  sqs.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('dead-letter redrive (local-aws-sqs)', () => {
  it('seals raw letters, replays the replayable ones with their original event, leaves the rest listed; no token in clear', async () => {
    const now = () => new Date('2026-03-04T06:00:00Z');
    const throttled = await sealDeadLetter(sealer, { body: JSON.stringify(event(TOKEN)), reason: { name: 'StartExecutionFailedError', message: 'StartExecution failed: ThrottlingException (HTTP 400)' }, replayable: true, attempts: 5, replays: 0, now: now(), key: TEST_KEY });
    const invalid = await sealDeadLetter(sealer, { body: JSON.stringify(event([TOKEN])), reason: { name: 'InvalidEventError', message: 'detail.checkId (invalid_type)' }, replayable: false, attempts: 1, replays: 0, now: now(), key: TEST_KEY });
    const raw = JSON.stringify(event(`${TOKEN}-raw`, '2026-03-04T05:30:00Z'));
    for (const body of [JSON.stringify(throttled), JSON.stringify(invalid), raw]) await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: body }));

    const before = await listDeadLetters({ sqs, deadLetterQueueUrl: dlq, now });
    expect(before).toHaveLength(3);
    expect(before.filter((l) => l.kind === 'raw')).toHaveLength(1);
    expect(before.find((l) => l.replayable === false)).toMatchObject({ provider: 'liveness', reason: 'InvalidEventError: detail.checkId (invalid_type)' });
    expect(JSON.stringify(before)).not.toContain(TOKEN);

    const report = await redriveDeadLetters({ sqs, deadLetterQueueUrl: dlq, startQueueUrl: startQueue, sealer, identifierKey: TEST_KEY, now });
    expect(report).toMatchObject({ sealed: 1, replayed: 2, left: 1, failed: 0 });
    expect(report.replays.map((r) => r.checkRef).sort()).toEqual([checkRefOf(TEST_KEY, 'liveness', TOKEN), checkRefOf(TEST_KEY, 'liveness', `${TOKEN}-raw`)].sort());

    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: startQueue, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
    const replayed = (Messages ?? []).map((m) => ({ body: JSON.parse(m.Body!), replays: m.MessageAttributes?.replays?.StringValue }));
    // The original events, byte for byte in meaning: their time and createdAt are the check's, not the replay's.
    expect(replayed.map((r) => r.body).sort((a, b) => a.time.localeCompare(b.time))).toEqual([event(TOKEN), event(`${TOKEN}-raw`, '2026-03-04T05:30:00Z')]);
    expect(replayed.map((r) => r.replays)).toEqual(['1', '1']);

    // The letter left behind is counted by its time in the queue (what the DeadLettersAging alarm watches).
    expect(report.oldestLeftSeconds).toBeGreaterThanOrEqual(0);
    const later = await redriveDeadLetters({ sqs, deadLetterQueueUrl: dlq, startQueueUrl: startQueue, sealer, identifierKey: TEST_KEY, now: () => new Date(Date.now() + 2 * 86_400_000) });
    expect(later).toMatchObject({ replayed: 0, left: 1 });
    expect(later.oldestLeftSeconds).toBeGreaterThanOrEqual(2 * 86_400 - 5);
    expect(later.oldestLeftSeconds).toBeLessThan(2 * 86_400 + 60);

    const after = await listDeadLetters({ sqs, deadLetterQueueUrl: dlq, now });
    expect(after).toEqual([expect.objectContaining({ kind: 'sealed', replayable: false })]);
    // Letters replayed too often are left to an operator; an operator's replay (--all, no limit) takes the invalid one too.
    const forced = await redriveDeadLetters({ sqs, deadLetterQueueUrl: dlq, startQueueUrl: startQueue, sealer, identifierKey: TEST_KEY, now, replay: 'all', maxReplays: Number.POSITIVE_INFINITY });
    expect(forced).toMatchObject({ replayed: 1, left: 0 });
    expect(await listDeadLetters({ sqs, deadLetterQueueUrl: dlq, now })).toEqual([]);
  });

  it('a letter replayed three times is left for an operator', async () => {
    const letter = await sealDeadLetter(sealer, { body: JSON.stringify(event(TOKEN)), reason: { name: 'StartExecutionFailedError', message: 'x' }, replayable: true, attempts: 5, replays: 3, now: new Date(), key: TEST_KEY });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: JSON.stringify(letter) }));
    expect(await redriveDeadLetters({ sqs, deadLetterQueueUrl: dlq, startQueueUrl: startQueue, sealer, identifierKey: TEST_KEY, now: () => new Date() })).toMatchObject({ replayed: 0, left: 1 });
  });
});

describe('KMS sealer (aws-sdk-client-mock: no KMS here)', () => {
  it('seals under a data key bound to the letter (encryption context) and opens only with the same context', async () => {
    const kms = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(kms);
    const dataKey = randomBytes(32);
    mock.on(GenerateDataKeyCommand).resolves({ Plaintext: new Uint8Array(dataKey), CiphertextBlob: new Uint8Array(Buffer.from('wrapped-key')) });
    mock.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(dataKey) });
    const kmsSealer = createKmsSealer(kms, 'arn:aws:kms:us-east-1:111122223333:key/abc');
    const letter = await sealDeadLetter(kmsSealer, { body: JSON.stringify(event(TOKEN)), reason: { name: 'X', message: 'y' }, replayable: true, attempts: 1, replays: 0, now: new Date('2026-03-04T06:00:00Z'), key: TEST_KEY });
    expect(JSON.stringify(letter)).not.toContain(TOKEN);
    const generate = mock.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input;
    expect(generate).toMatchObject({ KeySpec: 'AES_256', EncryptionContext: { purpose: 'audit-archiver-dead-letter', checkRef: checkRefOf(TEST_KEY, 'liveness', TOKEN) } });
    const { openDeadLetter } = await import('../../../lambdas/events/dead-letters');
    expect(JSON.parse(await openDeadLetter(kmsSealer, parseDeadLetter(JSON.stringify(letter))!))).toEqual(event(TOKEN));
    expect(mock.commandCalls(DecryptCommand)[0]!.args[0].input.EncryptionContext).toEqual(generate.EncryptionContext);
  });
});
