import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startLocalPollQueue, type LocalPollQueue } from '../../local/poll-queue';

describe('local poll queue', () => {
  let queue: LocalPollQueue | undefined;
  afterEach(async () => {
    await queue?.close();
    queue = undefined;
  });

  it('takes the real SDK SendMessage (MD5 checked by the client), delays it at timeFactor, delivers an SQS event', async () => {
    const events: SQSEvent[] = [];
    queue = await startLocalPollQueue({ timeFactor: 100, consumer: async (event) => void events.push(event) });
    const sqs = new SQSClient({ endpoint: queue.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const sentAt = Date.now();
    const answer = await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: '{"taskToken":"t"}', DelaySeconds: 30 }));
    expect(answer.MessageId).toBeTruthy();
    await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 2_000 });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(290); // 30 s at 100×
    expect(events[0]!.Records[0]).toMatchObject({ body: '{"taskToken":"t"}', eventSource: 'aws:sqs', attributes: { ApproximateReceiveCount: '1' } });
    const refused = await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'x', DelaySeconds: 901 })).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(Error);
    sqs.destroy();
  });

  it('delivers a failed message again after the visibility timeout, and dead-letters it after maxReceiveCount', async () => {
    const receives: string[] = [];
    queue = await startLocalPollQueue({
      timeFactor: 1000,
      visibilityTimeoutSeconds: 60,
      maxReceiveCount: 3,
      consumer: async (event) => {
        const record = event.Records[0]!;
        receives.push(record.attributes.ApproximateReceiveCount);
        if (record.body === 'throws') throw new Error('crashed');
        return { batchItemFailures: record.body === 'fails' ? [{ itemIdentifier: record.messageId }] : [] };
      },
    });
    queue.send('fails');
    await vi.waitFor(() => expect(queue!.deadLettered()).toBe(1), { timeout: 2_000 });
    expect(receives).toEqual(['1', '2', '3']);
    queue.send('throws');
    queue.send('fine');
    await vi.waitFor(() => expect(queue!.deadLettered()).toBe(2), { timeout: 2_000 });
    expect(queue.sent()).toBe(3);
  });
});
