/**
 * Dead letters come back. The scheduled redrive (and `audit-archiver dead-letters replay`) reads the dead-letter
 * queue and:
 * - seals a raw message (an event EventBridge could not deliver, or one the start queue's redrive policy moved): the
 *   sealed copy goes back to the queue, the raw one is deleted — a liveness token sits there in clear at most one
 *   redrive period;
 * - replays a sealed dead letter that can help (not an event outside the contract) and has not been replayed too
 *   often: the original event — its own `time` and `createdAt`, so the check keeps its dates — goes to the start
 *   queue again, the dead letter is deleted. A replay that fails again comes back with one more replay counted;
 * - leaves everything else (listed by `dead-letters list`, alarmed on by age well before the queue's 14 days).
 * Duplicates are harmless: a check with an item or a seen marker starts nothing.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { IdentifierKey } from '../checks/check-ref';
import { openDeadLetter, parseDeadLetter, sealDeadLetter, type DeadLetter, type ReplaySealer } from '../events/dead-letters';

export interface DeadLetterQueueOptions {
  sqs: Pick<SQSClient, 'send'>;
  deadLetterQueueUrl: string;
  now: () => Date;
}

/** What `list` shows of one message: never a check id (sealed letters carry none in clear; raw ones are not shown). */
export interface ListedDeadLetter {
  messageId: string;
  /** `raw`: not sealed yet (the next redrive seals it); its content is not shown. */
  kind: 'sealed' | 'raw';
  provider?: string;
  checkRef?: string;
  createdAt?: string;
  deadLetteredAt?: string;
  reason?: string;
  replayable?: boolean;
  replays?: number;
  attempts?: number;
}

const LIST_VISIBILITY_SECONDS = 5;

/** Every message in the queue, peeked (each stays where it is, visible again seconds later). At most `max`. */
export async function listDeadLetters(options: DeadLetterQueueOptions, max = 10_000): Promise<ListedDeadLetter[]> {
  // Each receive hides what it returned for a few seconds, so the next one returns others; then all reappear.
  const seen = new Map<string, ListedDeadLetter>();
  const handles: string[] = [];
  while (seen.size < max) {
    const { Messages } = await options.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: options.deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: LIST_VISIBILITY_SECONDS, MessageAttributeNames: ['All'] }),
    );
    const fresh = (Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.set(message.MessageId!, listed(message));
      handles.push(message.ReceiptHandle!);
    }
  }
  for (const receiptHandle of handles) {
    await options.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: options.deadLetterQueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })).catch(() => undefined);
  }
  return [...seen.values()];
}

function listed(message: Message): ListedDeadLetter {
  const letter = parseDeadLetter(message.Body ?? '');
  if (!letter) return { messageId: message.MessageId!, kind: 'raw' };
  return {
    messageId: message.MessageId!,
    kind: 'sealed',
    ...(letter.provider ? { provider: letter.provider } : {}),
    ...(letter.checkRef ? { checkRef: letter.checkRef } : {}),
    ...(letter.createdAt ? { createdAt: letter.createdAt } : {}),
    deadLetteredAt: letter.deadLetteredAt,
    reason: `${letter.reason.name}: ${letter.reason.message}`,
    replayable: letter.replayable,
    replays: letter.replays,
    attempts: letter.attempts,
  };
}

export interface RedriveOptions extends DeadLetterQueueOptions {
  startQueueUrl: string;
  sealer: ReplaySealer;
  /** Names raw letters by checkRef when given (the redrive function holds it; the CLI may not). */
  identifierKey?: IdentifierKey;
  /** Which sealed letters to replay: the replayable ones (default), or all (an operator who fixed the producer). */
  replay?: 'replayable' | 'all';
  /** Only this check's letters. */
  checkRef?: string;
  /** Letters replayed this often already are left to an operator. Default 3; an operator's replay ignores it. */
  maxReplays?: number;
  /** Milliseconds left; stops when fewer than 10 s remain. */
  timeLeft?: () => number;
}

export interface RedriveReport {
  sealed: number;
  replayed: number;
  left: number;
  failed: number;
  /** Provider and checkRef of each replayed letter (never a check id). */
  replays: Array<{ provider?: string; checkRef?: string; createdAt?: string }>;
  /**
   * Seconds the oldest letter that stays has been in the queue (SQS drops it at 14 days); 0 when none stays. SQS's own
   * ApproximateAgeOfOldestMessage stops counting a message received three times, which every redrive run does.
   */
  oldestLeftSeconds: number;
}

/** Seconds a message stays invisible while this run works on it. */
const WORK_VISIBILITY_SECONDS = 60;

export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveReport> {
  const report: RedriveReport = { sealed: 0, replayed: 0, left: 0, failed: 0, replays: [], oldestLeftSeconds: 0 };
  const timeLeft = options.timeLeft ?? (() => Number.POSITIVE_INFINITY);
  const handled = new Set<string>();
  const left: string[] = [];
  while (timeLeft() > 10_000) {
    const { Messages } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: WORK_VISIBILITY_SECONDS,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        // The older name of the same request field, which SQS still reads and local-aws-sqs reads only.
        AttributeNames: ['All'],
      }),
    );
    const fresh = (Messages ?? []).filter((m) => m.MessageId && !handled.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      handled.add(message.MessageId!);
      try {
        const outcome = await redriveOne(options, message);
        if (outcome === 'left') {
          report.left++;
          left.push(message.ReceiptHandle!);
          report.oldestLeftSeconds = Math.max(report.oldestLeftSeconds, ageSeconds(message, options.now()));
        }
        else if (outcome === 'sealed') report.sealed++;
        else {
          report.replayed++;
          report.replays.push(outcome);
        }
      } catch {
        // Not replayed (its blob does not open, or the start queue refused it): it stays, visible again below.
        report.failed++;
        left.push(message.ReceiptHandle!);
        report.oldestLeftSeconds = Math.max(report.oldestLeftSeconds, ageSeconds(message, options.now()));
      }
    }
  }
  // What stays is visible again at once (kept hidden during the run, so no receive returned it twice).
  for (const receiptHandle of left) {
    await options.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: options.deadLetterQueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })).catch(() => undefined);
  }
  return report;
}

/** How long a message has been in the queue: since it was sent, or moved here (the time its retention counts from). */
function ageSeconds(message: Message, now: Date): number {
  const sent = Number(message.Attributes?.SentTimestamp);
  return Number.isFinite(sent) && sent > 0 ? Math.max(0, Math.floor((now.getTime() - sent) / 1000)) : 0;
}

type OneOutcome = 'left' | 'sealed' | { provider?: string; checkRef?: string; createdAt?: string };

async function redriveOne(options: RedriveOptions, message: Message): Promise<OneOutcome> {
  const { sqs, deadLetterQueueUrl } = options;
  const body = message.Body ?? '';
  const letter = parseDeadLetter(body);
  if (!letter) {
    // Raw: moved here by the queue's redrive policy, or by EventBridge (which says why in ERROR_CODE).
    const code = message.MessageAttributes?.ERROR_CODE?.StringValue;
    const sealed = await sealDeadLetter(options.sealer, {
      body,
      reason: { name: code && /^[\w.-]{1,80}$/.test(code) ? code : 'MaxReceiveCountExceeded', message: 'delivered to the dead-letter queue unsealed' },
      replayable: true,
      attempts: 0,
      replays: 0,
      now: options.now(),
      ...(options.identifierKey ? { key: options.identifierKey } : {}),
    });
    await send(sqs, deadLetterQueueUrl, JSON.stringify(sealed), { reason: sealed.reason.name, ...(sealed.checkRef ? { checkRef: sealed.checkRef } : {}) });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
    return 'sealed';
  }
  if (!selected(options, letter)) return 'left';
  const original = await openDeadLetter(options.sealer, letter);
  await send(sqs, options.startQueueUrl, original, { replays: String(letter.replays + 1) });
  await sqs.send(new DeleteMessageCommand({ QueueUrl: deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
  return { ...(letter.provider ? { provider: letter.provider } : {}), ...(letter.checkRef ? { checkRef: letter.checkRef } : {}), ...(letter.createdAt ? { createdAt: letter.createdAt } : {}) };
}

function selected(options: RedriveOptions, letter: DeadLetter): boolean {
  if (options.checkRef !== undefined && letter.checkRef !== options.checkRef) return false;
  if (options.replay !== 'all' && !letter.replayable) return false;
  return options.maxReplays === undefined ? letter.replays < 3 : letter.replays < options.maxReplays;
}

async function send(sqs: Pick<SQSClient, 'send'>, queueUrl: string, body: string, attributes: Record<string, string>): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
    }),
  );
}
