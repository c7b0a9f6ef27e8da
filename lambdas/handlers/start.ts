/**
 * Start function: EventBridge `Check Created` → StartExecution with a deterministic name, so a duplicate event never
 * starts a second workflow.
 *
 * Failure path (documented in lib/constructs/check-trigger.ts): an invalid event throws InvalidEventError; the
 * asynchronous invocation fails, Lambda retries it twice, then its on-failure destination puts the event and the
 * error (type and message: field paths, no values) in the dead-letter queue. Failures to deliver the event to this
 * function at all land in the same queue through the EventBridge target's DLQ.
 *
 * The SFN endpoint follows the SDK's standard `AWS_ENDPOINT_URL_SFN` variable (local mode points it at the local
 * executor).
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ArchiverError, ConfigurationError } from '../common/errors';
import { identifierKeyFromEnv, type IdentifierKeySource } from '../common/identifier-key';
import { logger, metrics } from '../common/powertools';
import { executionNameOf, InvalidEventError, parseCheckCreated, workflowInputOf } from '../events/check-created';
import type { WorkflowState } from '../checks/workflow-contract';

/** StartExecution failed for a reason other than a duplicate: worth the asynchronous invocation's retries. */
export class StartExecutionFailedError extends ArchiverError {
  override readonly name = 'StartExecutionFailedError';
  readonly retryable = true;
}

export interface StartResult {
  status: 'started' | 'duplicate';
  provider: string;
  checkRef: string;
  executionName: string;
  executionArn?: string;
}

export interface StartDependencies {
  sfn: Pick<SFNClient, 'send'>;
  stateMachineArn: string | undefined;
  /** The key checkRefs are derived with (IDENTIFIER_KEY_SECRET_ARN). */
  identifierKey: IdentifierKeySource;
  /** How far an event's createdAt may be from its time (CREATED_AT_SKEW_SECONDS). @default one day */
  createdAtSkewSeconds?: number;
  logger: Pick<Logger, 'info' | 'error'>;
  metrics: Pick<Metrics, 'addMetric' | 'publishStoredMetrics'>;
}

/**
 * Validates one event and starts its workflow. Resolves for a started or duplicate check; rejects with
 * InvalidEventError, ConfigurationError or StartExecutionFailedError. Logs provider and checkRef, never the checkId.
 */
export async function startCheck(event: unknown, deps: StartDependencies): Promise<StartResult> {
  const { sfn, stateMachineArn, logger: log, metrics: m } = deps;
  if (!stateMachineArn) throw new ConfigurationError('STATE_MACHINE_ARN is not set');

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
  const executionName = executionNameOf(input.check);
  const base = { provider, checkRef, executionName };
  if (input.check.createdAtClaimed) log.info('createdAt too far from the event time: the event time is used', base);
  try {
    const out = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }),
    );
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

function count(m: StartDependencies['metrics'], name: 'ChecksStarted' | 'DuplicateEvents' | 'InvalidEvents'): void {
  m.addMetric(name, MetricUnit.Count, 1);
  m.publishStoredMetrics();
}

/** The EventBridge event id, when it looks like one (it is a UUID; anything else is not echoed). */
function safeEventId(event: unknown): string | undefined {
  const id = (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id) ? id : undefined;
}

// Throttled StartExecution calls are retried inside the invocation first (standard retry, jittered backoff, within the
// 15 s timeout): Lambda's own async retries are only two, and a liveness check's images do not wait long.
const sfnClient = new SFNClient({ maxAttempts: 6 });

const createdAtSkewSeconds = process.env.CREATED_AT_SKEW_SECONDS ? Number(process.env.CREATED_AT_SKEW_SECONDS) : undefined;
if (createdAtSkewSeconds !== undefined && !(Number.isInteger(createdAtSkewSeconds) && createdAtSkewSeconds > 0)) {
  throw new ConfigurationError('environment variable CREATED_AT_SKEW_SECONDS must be a positive integer');
}

const identifierKey = identifierKeyFromEnv(process.env);

/** Lambda entry point (asynchronous invocation by the EventBridge rule). */
export const handler = (event: unknown): Promise<StartResult> =>
  startCheck(event, { sfn: sfnClient, stateMachineArn: process.env.STATE_MACHINE_ARN, identifierKey, createdAtSkewSeconds, logger, metrics });
