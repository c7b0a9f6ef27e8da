/**
 * A local stand-in for the poll queue: SQS SendMessage over the SQS JSON protocol, so the poll function's real
 * @aws-sdk/client-sqs call reaches it (AWS_ENDPOINT_URL_SQS), and delivery to the poll function the way a Lambda event
 * source does: SQS events, partial batch responses, a failed message delivered again after the visibility timeout and
 * dead-lettered after maxReceiveCount receives. Delays and the visibility timeout run at `timeFactor` times real speed,
 * like Wait states. One message per event (Lambda batches what it finds; locally there is rarely more than one).
 * Nothing is logged: messages carry check ids and task tokens.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { StepFunctionsApiError } from './step-functions/errors';
import { serveJsonProtocol } from './step-functions/protocol';

export interface LocalPollQueueOptions {
  timeFactor: number;
  /** The function fed by the queue (called through this, so it may be imported after the queue starts). */
  consumer: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** @default 360, as deployed (lib/constructs/poll-queue.ts) */
  visibilityTimeoutSeconds?: number;
  /** @default 3, as deployed */
  maxReceiveCount?: number;
  /** @default 'audit-archiver-poll-local' */
  queueName?: string;
}

export interface LocalPollQueue {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_SQS. */
  endpoint: string;
  queueUrl: string;
  /** Sends a message as Step Functions' sqs:sendMessage integration would. */
  send(body: string, delaySeconds?: number): void;
  /** Messages sent so far (by Step Functions and by the function). */
  sent(): number;
  /** Messages that went to the dead-letter queue. */
  deadLettered(): number;
  /** Stops delivering: pending messages are dropped, deliveries under way finish. */
  close(): Promise<void>;
}

const MAX_DELAY_SECONDS = 900;
const MAX_BODY_BYTES = 256 * 1024;
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export async function startLocalPollQueue(options: LocalPollQueueOptions): Promise<LocalPollQueue> {
  const { timeFactor } = options;
  const visibilityMs = ((options.visibilityTimeoutSeconds ?? 360) * 1000) / timeFactor;
  const maxReceives = options.maxReceiveCount ?? 3;
  const queueName = options.queueName ?? 'audit-archiver-poll-local';
  const timers = new Set<NodeJS.Timeout>();
  const deliveries = new Set<Promise<void>>();
  let closed = false;
  let sentCount = 0;
  let deadCount = 0;

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) run();
    }, ms);
    timers.add(timer);
  };

  const deliver = (message: { id: string; body: string; sentAt: number; receives: number }) => {
    message.receives += 1;
    const record = {
      messageId: message.id,
      receiptHandle: `${message.id}#${message.receives}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receives),
        SentTimestamp: String(message.sentAt),
        SenderId: ACCOUNT,
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: md5(message.body),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName}`,
      awsRegion: REGION,
    };
    const delivery = options
      .consumer({ Records: [record] })
      .then((response) => (response?.batchItemFailures ?? []).some((failure) => failure.itemIdentifier === message.id))
      .catch(() => true)
      .then((failed) => {
        if (!failed) return;
        if (message.receives >= maxReceives) deadCount += 1;
        else later(visibilityMs, () => deliver(message));
      });
    deliveries.add(delivery);
    void delivery.finally(() => deliveries.delete(delivery));
  };

  const send = (body: string, delaySeconds = 0) => {
    if (closed) throw new StepFunctionsApiError('QueueDoesNotExist', 'The local poll queue is closed');
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
      throw new StepFunctionsApiError('InvalidParameterValue', `DelaySeconds must be an integer from 0 to ${MAX_DELAY_SECONDS}`);
    }
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new StepFunctionsApiError('InvalidParameterValue', 'Message too long');
    sentCount += 1;
    const message = { id: randomUUID(), body, sentAt: Date.now(), receives: 0 };
    later((delaySeconds * 1000) / timeFactor, () => deliver(message));
    return message.id;
  };

  let queueUrl = '';
  const server = await serveJsonProtocol(
    {
      SendMessage: (request) => {
        if (request.QueueUrl !== queueUrl) throw new StepFunctionsApiError('QueueDoesNotExist', 'The specified queue does not exist.');
        if (typeof request.MessageBody !== 'string') throw new StepFunctionsApiError('MissingParameter', 'MessageBody is required');
        const delay = request.DelaySeconds === undefined ? 0 : request.DelaySeconds;
        const id = send(request.MessageBody, delay as number);
        return { MessageId: id, MD5OfMessageBody: md5(request.MessageBody) };
      },
    },
    'AmazonSQS.',
  );
  queueUrl = `${server.endpoint}/${ACCOUNT}/${queueName}`;

  return {
    endpoint: server.endpoint,
    queueUrl,
    send: (body, delaySeconds) => void send(body, delaySeconds),
    sent: () => sentCount,
    deadLettered: () => deadCount,
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all([...deliveries]);
      await server.close();
    },
  };
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
