/**
 * `audit-archiver dead-letters list|replay` against a real SQS protocol peer (local-aws-sqs) and a local key file, as an
 * operator runs it against a local stack: arguments, output without check ids, replay into the start queue, exit codes.
 * The redrive logic itself: test/lambdas/operations/dead-letter-queue.test.ts.
 */
import { TEST_KEY } from '../../../support/identifier-key';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../../lambdas/checks/check-ref';
import { createLocalSealer, sealDeadLetter } from '../../../../lambdas/events/dead-letters';
import { runAudit } from '../../cli-io';

const TOKEN = 'lt_cli-dead-letter-token-0123456789abcdef';
const event = {
  id: '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5',
  source: 'audit-archiver.checks',
  'detail-type': 'Check Created',
  time: '2026-03-04T05:06:07Z',
  detail: { provider: 'liveness', checkId: TOKEN, createdAt: '2026-03-04T05:00:00Z' },
};

let server: Server;
let sqs: SQSClient;
let endpoint: string;
let dlq: string;
let startQueue: string;
let dir: string;
let keyFile: string;
const key = randomBytes(32);

beforeAll(async () => {
  const { createSqsServer } = await import('local-aws-sqs');
  server = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateLazyQueues: false, emulateQueueCreationLifecycle: false });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'cli-dlq' }))).QueueUrl!;
  startQueue = (await sqs.send(new CreateQueueCommand({ QueueName: 'cli-start' }))).QueueUrl!;
  dir = await mkdtemp(join(tmpdir(), 'dead-letters-cli-'));
  keyFile = join(dir, 'dead-letter.key');
  await writeFile(keyFile, key);
});
afterAll(async () => {
  sqs.destroy();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('audit-archiver dead-letters', () => {
  it('lists sealed letters by provider and checkRef, never the check id, and replays the original event', async () => {
    const letter = await sealDeadLetter(createLocalSealer(key), {
      body: JSON.stringify(event),
      reason: { name: 'StartExecutionFailedError', message: 'StartExecution failed: ThrottlingException (HTTP 400)' },
      replayable: true,
      attempts: 5,
      replays: 0,
      now: new Date('2026-03-04T06:00:00Z'),
      key: TEST_KEY,
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: JSON.stringify(letter) }));
    const checkRef = checkRefOf(TEST_KEY, 'liveness', TOKEN);

    const listed = await runAudit(['dead-letters', 'list', '--queue', dlq, '--sqs-endpoint', endpoint]);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('dead letters: 1');
    expect(listed.out).toContain(`liveness ${checkRef} created 2026-03-04T05:00:00Z`);
    expect(listed.out).toContain('StartExecutionFailedError');
    expect(listed.out + listed.err).not.toContain(TOKEN);

    const json = await runAudit(['dead-letters', 'list', '--queue', dlq, '--sqs-endpoint', endpoint, '--json']);
    expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ kind: 'sealed', provider: 'liveness', checkRef, replayable: true, replays: 0 })]);

    const replayed = await runAudit(['dead-letters', 'replay', '--queue', dlq, '--to', startQueue, '--local-key-file', keyFile, '--sqs-endpoint', endpoint]);
    expect(replayed.code).toBe(0);
    expect(replayed.out).toContain('replayed 1, sealed 0, left 0, failed 0');
    expect(replayed.out + replayed.err).not.toContain(TOKEN);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: startQueue, MaxNumberOfMessages: 10 }));
    expect((Messages ?? []).map((m) => JSON.parse(m.Body!))).toEqual([event]);
    expect((await runAudit(['dead-letters', 'list', '--queue', dlq, '--sqs-endpoint', endpoint])).out).toContain('dead letters: 0');
  });

  it('a letter sealed under another key is not replayed: exit 1, and it stays in the queue', async () => {
    const letter = await sealDeadLetter(createLocalSealer(randomBytes(32)), {
      body: JSON.stringify(event),
      reason: { name: 'StartExecutionFailedError', message: 'x' },
      replayable: true,
      attempts: 5,
      replays: 0,
      now: new Date('2026-03-04T06:00:00Z'),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: JSON.stringify(letter) }));
    const replayed = await runAudit(['dead-letters', 'replay', '--queue', dlq, '--to', startQueue, '--local-key-file', keyFile, '--sqs-endpoint', endpoint]);
    expect(replayed.code).toBe(1);
    expect(replayed.out).toContain('replayed 0, sealed 0, left 0, failed 1');
    expect((await runAudit(['dead-letters', 'list', '--queue', dlq, '--sqs-endpoint', endpoint])).out).toContain('dead letters: 1');
  });

  it('refuses missing arguments with a usage error', async () => {
    expect((await runAudit(['dead-letters', 'list'])).code).toBe(2);
    expect((await runAudit(['dead-letters', 'purge', '--queue', dlq])).code).toBe(2);
    const noKey = await runAudit(['dead-letters', 'replay', '--queue', dlq, '--to', startQueue, '--sqs-endpoint', endpoint]);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('--key');
  });
});
