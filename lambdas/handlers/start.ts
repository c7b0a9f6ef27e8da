/**
 * Start function: `Check Created` events arrive through an SQS queue (the EventBridge rule's target), in batches, at a
 * bounded concurrency — a burst waits in the queue instead of being throttled away. For each event: validate, write the
 * check's `started` item (lowest rank, no personal data: reconcile's view of open checks), mark the check as seen,
 * then StartExecution with a deterministic name. Duplicates start nothing: a check that has an item (any status) or a
 * "seen" marker never gets a second workflow, whether the duplicate comes within the execution name's 90 days, after
 * them, or after the record itself expired.
 *
 * Failures, per message (partial batch responses): an event outside the contract is dead-lettered at once (sealed, see
 * lambdas/events/dead-letters.ts) and acknowledged; a StartExecution or DynamoDB failure is retried — inside the
 * invocation first (the SDK's throttling retries), then by the queue's redelivery — and dead-lettered, sealed, after
 * MAX_START_RECEIVES receives. A throttled StartExecution is the quota's doing, not the event's: it waits longer on
 * each receive (throttleBackoffSeconds) and is never dead-lettered by this function. The queue's own redrive policy (more receives) is the last resort for a function that
 * cannot even seal; the scheduled redrive seals what it moved there.
 */
import { randomUUID } from 'node:crypto';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLimiter } from '../archive/limiter';
import { ArchiverError, ConfigurationError } from '../common/errors';
import { providerMapEnv, requiredEnv } from '../common/environment';
import { identifierKeyFromEnv, type IdentifierKeySource } from '../common/identifier-key';
import { logger, metrics } from '../common/powertools';
import { executionNameOf, InvalidEventError, parseCheckCreated, workflowInputOf } from '../events/check-created';
import { sealDeadLetter, type ReplaySealer } from '../events/dead-letters';
import { sealerFromEnv } from '../events/sealer-runtime';
import type { WorkflowState } from '../checks/workflow-contract';
import type { ProviderName } from '../checks/check-status';
import { startedItemOf } from '../records/open-checks';
import { createDynamoDocumentClient, createRecordStore, type RecordStore } from '../records/record-store';

/** StartExecution failed for a reason other than a duplicate: worth the queue's redelivery. */
export class StartExecutionFailedError extends ArchiverError {
  override readonly name = 'StartExecutionFailedError';
  readonly retryable = true;
}

export interface StartResult {
  /** `duplicate`: the check already has a workflow, a record, or had one that expired (`expired: true`). */
  status: 'started' | 'duplicate';
  provider: string;
  checkRef: string;
  executionName: string;
  executionArn?: string;
  expired?: true;
}

export interface StartDependencies {
  sfn: Pick<SFNClient, 'send'>;
  /** Each provider's workflow (STATE_MACHINE_ARNS): a check starts on its own provider's state machine only. */
  stateMachineArns: Partial<Record<ProviderName, string>>;
  records: Pick<RecordStore, 'begin' | 'markSeen' | 'abandonStarted'>;
  now: () => Date;
  /** The key checkRefs are derived with (IDENTIFIER_KEY_SECRET_ARN). */
  identifierKey: IdentifierKeySource;
  /** How far an event's createdAt may be from its time (CREATED_AT_SKEW_SECONDS). @default one day */
  createdAtSkewSeconds?: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'addMetric' | 'publishStoredMetrics'>;
}

/** Step Functions forgets execution names after 90 days: past that a started item is reconcile's, not a restart's. */
const NAME_REUSE_MS = 89 * 86_400_000;

/**
 * Validates one event and starts its workflow. Resolves for a started or duplicate check; rejects with
 * InvalidEventError, ConfigurationError, StartExecutionFailedError or a storage error. Logs provider and checkRef,
 * never the checkId.
 */
export async function startCheck(event: unknown, deps: StartDependencies): Promise<StartResult> {
  const { sfn, stateMachineArns, records, logger: log, metrics: m } = deps;

  let input: WorkflowState;
  try {
    const parsed = parseCheckCreated(event);
    input = workflowInputOf(parsed, { key: await deps.identifierKey.get(), maxSkewSeconds: deps.createdAtSkewSeconds });
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    log.error('Invalid Check Created event', { eventId: safeEventId(event), issues: error.issues });
    count(m, 'InvalidEvents');
    throw error;
  }

  const { provider, checkRef } = input.check;
  // The validated provider picks the workflow (whose functions hold that provider's secret and no other).
  const stateMachineArn = stateMachineArns[provider];
  if (!stateMachineArn) throw new ConfigurationError(`STATE_MACHINE_ARNS has no workflow for ${provider}`);
  const executionName = executionNameOf(input.check);
  const base = { provider, checkRef, executionName };
  if (input.check.createdAtClaimed) log.info('createdAt too far from the event time: the event time is used', base);
  const now = deps.now();
  const startId = randomUUID();
  const begun = await records.begin(
    startedItemOf({ provider, checkRef, createdAt: input.check.createdAt, executionName, startId, now }),
  );
  if (!begun.created) {
    const { existing } = begun;
    if (existing.status !== 'started') {
      log.info('Duplicate check event: the check has its record', base);
      count(m, 'DuplicateEvents');
      return { status: 'duplicate', ...base };
    }
    // Started, not yet recorded: this may be the redelivery of an event whose start failed half-way.
    await records.markSeen(provider, checkRef, (existing as { startId?: string }).startId ?? startId, now);
    const startedAt = Date.parse((existing as { startedAt?: string }).startedAt ?? '');
    if (Number.isFinite(startedAt) && now.getTime() - startedAt > NAME_REUSE_MS) {
      log.info('Duplicate check event: its workflow is older than execution names are kept (reconcile follows it)', base);
      count(m, 'DuplicateEvents');
      return { status: 'duplicate', ...base };
    }
  } else if (!(await records.markSeen(provider, checkRef, startId, now))) {
    // The check was seen before and its item is gone: its record expired (or was erased). Nothing starts again.
    await records.abandonStarted(provider, checkRef, startId);
    log.warn('Duplicate check event after the check\'s record expired: nothing started', base);
    count(m, 'DuplicateEvents');
    return { status: 'duplicate', ...base, expired: true };
  }

  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }));
    log.info('Check workflow started', { ...base, executionArn: out.executionArn });
    count(m, 'ChecksStarted');
    return { status: 'started', ...base, executionArn: out.executionArn };
  } catch (error) {
    const name = (error as { name?: unknown } | undefined)?.name;
    if (name === 'ExecutionAlreadyExists') {
      log.info('Duplicate check event: its workflow already exists', base);
      count(m, 'DuplicateEvents');
      return { status: 'duplicate', ...base };
    }
    const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    const reason = `${typeof name === 'string' ? name : 'UnknownError'}${status ? ` (HTTP ${status})` : ''}`;
    log.error('StartExecution failed', { ...base, reason });
    throw new StartExecutionFailedError(`StartExecution failed: ${reason}`, { cause: error });
  }
}

/** Receives of one message before the start function dead-letters it itself (the queue's redrive allows more). */
export const MAX_START_RECEIVES = 5;
/** Events of one batch started at the same time (the event source mapping bounds the batches in flight). */
const EVENTS_IN_PARALLEL = 5;

export interface StartBatchDependencies extends StartDependencies {
  deadLetters: { send(body: string, attributes: Record<string, string>): Promise<void> };
  sealer: ReplaySealer;
  /** Keeps a message out of sight this long before its next receive (ChangeMessageVisibility on the start queue). */
  backOff?: (record: SQSRecord, seconds: number) => Promise<void>;
  /** The first throttled receive's wait, doubled on each later one. @default THROTTLE_BACKOFF_SECONDS */
  throttleBackoffSeconds?: number;
}

/** The first wait of a throttled start: the start queue's visibility timeout (lib/defaults.ts START_QUEUE). */
export const THROTTLE_BACKOFF_SECONDS = 90;
/** SQS's longest visibility timeout. */
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * How long a throttled message waits before its `receives + 1`th receive: the base doubled per receive, jittered by up
 * to a tenth so a burst does not come back in step, within SQS's 12 hours. With the queue's 8 receives and 90 s, an
 * event waits out more than three hours of throttling before the queue's own redrive takes it.
 */
export function throttleBackoffSeconds(receives: number, base = THROTTLE_BACKOFF_SECONDS, random = Math.random): number {
  const wait = base * 2 ** Math.max(0, receives - 1);
  return Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(wait * (1 + random() / 10)));
}

/** StartExecution refused for want of quota: the account's bucket ran dry, the event itself is fine. */
function throttledStart(error: unknown): boolean {
  return error instanceof StartExecutionFailedError && (error.cause as { name?: unknown } | undefined)?.name === 'ThrottlingException';
}

/** What became of one message of a batch (local mode and tests read these; the queue sees only the failures). */
export type MessageOutcome =
  | { messageId: string; outcome: 'started' | 'duplicate'; provider: string; checkRef: string }
  | { messageId: string; outcome: 'dead-lettered'; reason: string }
  | { messageId: string; outcome: 'retry'; reason: string };

/** One SQS batch: every message started, found duplicate, dead-lettered (sealed) or left for redelivery. */
export async function startBatch(event: SQSEvent, deps: StartBatchDependencies): Promise<{ response: SQSBatchResponse; outcomes: MessageOutcome[] }> {
  const limit = createLimiter(EVENTS_IN_PARALLEL);
  const outcomes = await Promise.all(event.Records.map((record) => limit(() => startMessage(record, deps))));
  const failures = outcomes.filter((o) => o.outcome === 'retry').map((o) => ({ itemIdentifier: o.messageId }));
  return { response: { batchItemFailures: failures }, outcomes };
}

async function startMessage(record: SQSRecord, deps: StartBatchDependencies): Promise<MessageOutcome> {
  const { messageId } = record;
  const receives = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
  const replays = Number(record.messageAttributes?.replays?.stringValue ?? '0') || 0;
  let event: unknown;
  try {
    event = JSON.parse(record.body);
  } catch {
    event = undefined;
  }
  try {
    const result = await startCheck(event ?? record.body, deps);
    return { messageId, outcome: result.status, provider: result.provider, checkRef: result.checkRef };
  } catch (error) {
    const name = (error as { name?: unknown })?.name;
    const reason = { name: typeof name === 'string' ? name : 'UnknownError', message: messageOf(error) };
    const invalid = error instanceof InvalidEventError;
    // Back-pressure, not loss: a throttled start is never dead-lettered for it. It waits longer on each receive
    // (the queue's redrive policy stays the last resort), so a burst past the quota drains as the bucket refills.
    if (throttledStart(error)) {
      await deps.backOff?.(record, throttleBackoffSeconds(receives, deps.throttleBackoffSeconds)).catch(() => undefined);
      return { messageId, outcome: 'retry', reason: reason.name };
    }
    if (!invalid && receives < MAX_START_RECEIVES) return { messageId, outcome: 'retry', reason: reason.name };
    try {
      const letter = await sealDeadLetter(deps.sealer, { body: record.body, reason, replayable: !invalid, attempts: receives, replays, now: deps.now(), key: await deps.identifierKey.get() });
      await deps.deadLetters.send(JSON.stringify(letter), { reason: letter.reason.name, ...(letter.checkRef ? { checkRef: letter.checkRef } : {}) });
      count(deps.metrics, 'EventsDeadLettered');
      return { messageId, outcome: 'dead-lettered', reason: `${reason.name}: ${reason.message}` };
    } catch (sealError) {
      deps.logger.error('dead letter could not be written: the message stays in the queue', { error: (sealError as Error)?.name });
      return { messageId, outcome: 'retry', reason: reason.name };
    }
  }
}

/** Error messages of our own errors carry field paths and names only; anything else is reduced to its name. */
function messageOf(error: unknown): string {
  return error instanceof ArchiverError ? error.message.slice(0, 500) : `${(error as Error)?.name ?? 'error'}`;
}

function count(m: StartDependencies['metrics'], name: 'ChecksStarted' | 'DuplicateEvents' | 'InvalidEvents' | 'EventsDeadLettered'): void {
  m.addMetric(name, MetricUnit.Count, 1);
  m.publishStoredMetrics();
}

/** The EventBridge event id, when it looks like one (it is a UUID; anything else is not echoed). */
function safeEventId(event: unknown): string | undefined {
  const id = (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id) ? id : undefined;
}

/** The function's wiring from its environment (built at the first batch: local mode sets the environment late). */
export function startDepsFromEnv(env: NodeJS.ProcessEnv = process.env): StartBatchDependencies {
  // Throttled StartExecution calls are retried inside the invocation first (standard retry, jittered backoff).
  const sfn = new SFNClient({ maxAttempts: 6 });
  const queueUrl = requiredEnv(env, 'DEAD_LETTER_QUEUE_URL');
  // Reached at its own URL's host: in AWS that is the regional SQS endpoint; in local mode the generic SQS endpoint
  // is another queue's (the poll queue's).
  const sqs = new SQSClient({ endpoint: new URL(queueUrl).origin });
  const startQueueUrl = env.START_QUEUE_URL;
  const throttleBackoff = env.START_THROTTLE_BACKOFF_SECONDS ? Number(env.START_THROTTLE_BACKOFF_SECONDS) : undefined;
  if (throttleBackoff !== undefined && !(Number.isInteger(throttleBackoff) && throttleBackoff > 0)) {
    throw new ConfigurationError('environment variable START_THROTTLE_BACKOFF_SECONDS must be a positive integer');
  }
  const createdAtSkewSeconds = env.CREATED_AT_SKEW_SECONDS ? Number(env.CREATED_AT_SKEW_SECONDS) : undefined;
  if (createdAtSkewSeconds !== undefined && !(Number.isInteger(createdAtSkewSeconds) && createdAtSkewSeconds > 0)) {
    throw new ConfigurationError('environment variable CREATED_AT_SKEW_SECONDS must be a positive integer');
  }
  return {
    sfn,
    stateMachineArns: providerMapEnv(env, 'STATE_MACHINE_ARNS'),
    identifierKey: identifierKeyFromEnv(env),
    ...(createdAtSkewSeconds !== undefined ? { createdAtSkewSeconds } : {}),
    records: createRecordStore({ client: createDynamoDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }), tableName: requiredEnv(env, 'TABLE_NAME') }),
    now: () => new Date(),
    logger,
    metrics,
    sealer: sealerFromEnv(env),
    ...(throttleBackoff !== undefined ? { throttleBackoffSeconds: throttleBackoff } : {}),
    ...(startQueueUrl
      ? {
          async backOff(record: SQSRecord, seconds: number) {
            await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: startQueueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }));
          },
        }
      : {}),
    deadLetters: {
      async send(body, attributes) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: body,
            MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
          }),
        );
      },
    },
  };
}

let deps: StartBatchDependencies | undefined;

/** Lambda entry point (SQS event source mapping, ReportBatchItemFailures). */
export const handleBatch = (event: SQSEvent) => startBatch(event, (deps ??= startDepsFromEnv()));
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => (await handleBatch(event)).response;
