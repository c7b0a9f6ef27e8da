/**
 * The start path as deployed, on this machine: an SQS queue between the event bus and the start function, and its
 * dead-letter queue, served by local-aws-sqs (an SQS emulator in Node that speaks the SQS JSON protocol the SDK uses:
 * queues, visibility timeouts, receive counts, redrive policies, message attributes). Events go in as the EventBridge
 * rule's SQS target puts them (the event JSON as the body); an event source mapping stand-in receives batches and
 * calls the real start handler with SQS events, deletes what it acknowledged and leaves its batch item failures to come
 * back after the visibility timeout — Lambda's own poller, in a few lines. Differences from AWS, on purpose: the
 * visibility timeout is seconds (AWS: 90 s), so retries show up quickly; the poller does not scale with the backlog,
 * it runs `concurrency` batches at a time (the mapping's maxConcurrency).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { MessageOutcome } from '../lambdas/handlers/start';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators';

export interface StartQueueOptions {
  /** The start function's batch entry point (returns the SQS response and what became of each message). */
  consumer: (event: SQSEvent) => Promise<{ response: SQSBatchResponse; outcomes: MessageOutcome[] }>;
  /** Batches handled at the same time (the event source mapping's maxConcurrency). @default 2 */
  concurrency?: number;
  /** Messages per batch. @default 10 */
  batchSize?: number;
  /** Seconds a received message stays invisible (its retry delay here). @default 2 */
  visibilityTimeoutSeconds?: number;
  /** Receives before the queue's redrive policy moves a message to the dead-letter queue. @default 8 */
  maxReceiveCount?: number;
}

export interface StartQueue {
  endpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Puts an event on the queue as the rule's SQS target would, and resolves with what became of it. */
  submit(event: unknown, attributes?: Record<string, string>): Promise<MessageOutcome>;
  /** Messages waiting in the start queue and in the dead-letter queue (visible and in flight). */
  depth(): Promise<{ queued: number; deadLettered: number }>;
  /** Resolves when the start queue is empty and no batch is being handled. */
  drained(): Promise<void>;
  sqsClient(): SQSClient;
  close(): Promise<void>;
}

export async function startStartQueue(options: StartQueueOptions): Promise<StartQueue> {
  const { createSqsServer } = await import('local-aws-sqs');
  const server: Server = await createSqsServer({ port: 0, hostname: '127.0.0.1', region: LOCAL_REGION, emulateLazyQueues: false, emulateQueueCreationLifecycle: false });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sqs = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const { QueueUrl: deadLetterQueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'audit-archiver-dead-letters' }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }));
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'audit-archiver-checks',
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 2),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: options.maxReceiveCount ?? 8 }),
      },
    }),
  );

  const waiters = new Map<string, (outcome: MessageOutcome) => void>();
  let closed = false;
  let busy = 0;
  const pollers = Array.from({ length: options.concurrency ?? 2 }, () => poll());

  async function poll(): Promise<void> {
    while (!closed) {
      let messages: Message[] = [];
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: options.batchSize ?? 10,
            WaitTimeSeconds: 1,
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = received.Messages ?? [];
      } catch {
        if (closed) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (messages.length === 0) continue;
      busy++;
      try {
        const { response, outcomes } = await options.consumer({ Records: messages.map((m) => recordOf(m, queueUrl!)) });
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        const done = messages.filter((m) => !failed.has(m.MessageId!));
        if (done.length > 0) {
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
        }
        for (const outcome of outcomes) {
          if (outcome.outcome === 'retry') continue;
          waiters.get(outcome.messageId)?.(outcome);
          waiters.delete(outcome.messageId);
        }
      } catch {
        // The function failed as a whole: every message of the batch comes back after the visibility timeout.
      } finally {
        busy--;
      }
    }
  }

  async function depth(): Promise<{ queued: number; deadLettered: number }> {
    const count = async (url: string) => {
      const { Attributes: a } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(a?.ApproximateNumberOfMessages ?? 0) + Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0);
    };
    return { queued: await count(queueUrl!), deadLettered: await count(deadLetterQueueUrl!) };
  }

  return {
    endpoint,
    queueUrl: queueUrl!,
    deadLetterQueueUrl: deadLetterQueueUrl!,
    async submit(event, attributes = {}) {
      const { MessageId } = await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(event ?? null),
          MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
        }),
      );
      return new Promise((resolve) => waiters.set(MessageId!, resolve));
    },
    depth,
    async drained() {
      for (;;) {
        if (busy === 0 && (await depth()).queued === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    sqsClient: () => sqs,
    async close() {
      closed = true;
      await Promise.all(pollers);
      sqs.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An SQS message as Lambda's event source mapping hands it to the function. */
function recordOf(message: Message, queueUrl: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType ?? 'String' } as never]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:123456789012:${queueUrl.split('/').pop()}`,
    awsRegion: LOCAL_REGION,
  };
}
