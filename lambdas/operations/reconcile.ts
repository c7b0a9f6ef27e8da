/**
 * Reconcile, driven by records: every check that was started must end with a final record. The start function writes
 * a `started` item for each check; items that are not final (started, escalated under review, error records worth a
 * retry) sit in a sparse index with the time reconcile should look at them (lambdas/records/open-checks.ts). Reconcile
 * queries that index for the checks that are due — its work is O(due open checks), never a listing of executions —
 * and for each one:
 *
 * 1. claims it (a conditional write on the `reconcileAt` it read): two reconciles at once (the schedule and an
 *    operator) never act on one check twice;
 * 2. asks Step Functions about the check's current execution (the name is in the item). RUNNING — or anything it
 *    cannot be sure has ended — is left alone and looked at later: reconcile never starts a second execution while
 *    one runs;
 * 3. an execution that ended without a final record is redriven (it resumes where it stopped) or restarted as
 *    `{provider}-{checkRef}-r{n}` with the same input; an `error` record is retried the same way while the check's
 *    evidence may still be had (RETRY_WINDOW_SECONDS, at most MAX_RETRIES), unless its error can never succeed;
 * 4. what it cannot recover is parked: it stays listed (`audit-archiver reconcile --parked`), is counted
 *    (UnrecoverableChecks alarm), and is never silently dropped. A check with a `started` item and no execution is an
 *    event that never got one (its start failed and the event is in the dead-letter queue): reported, looked at again,
 *    parked only once the dead-letter queue can no longer hold its event.
 *
 * Bounded in time: it stops before `timeLeft` runs out and the rest stays due for the next run. Reports name checks by
 * provider and checkRef only; the execution input (which holds the checkId) is read only to restart a check.
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLimiter } from '../archive/limiter';
import { PROVIDERS, type ProviderName } from '../checks/check-status';
import type { WorkflowCheck, WorkflowState } from '../checks/workflow-contract';
import { storageErrorFrom } from '../common/storage-errors';
import { executionNameOf } from '../events/check-created';
import { PARKED_PREFIX, allOpenShards, nextLookAt, parkedAt } from '../records/open-checks';
import { OPEN_CHECKS_INDEX, recordKeyOf } from '../records/table-schema';
import { restartNameOf } from './execution-names';

export interface ReconcileOptions {
  sfn: Pick<SFNClient, 'send'>;
  /** Each provider's workflow: a check is described, redriven and restarted on its own provider's state machine. */
  stateMachineArns: Partial<Record<ProviderName, string>>;
  dynamo: Pick<DynamoDBDocumentClient, 'send'>;
  tableName: string;
  now: Date;
  /** Recover what is found. False: report what would be done and change nothing (a dry run). */
  restart: boolean;
  /** Also retry `error` records past their retry window or retries, and errors that would otherwise be parked. */
  retryFailed?: boolean;
  /** Milliseconds this run may still work; it stops (the rest stays due) when fewer than STOP_RESERVE_MS remain. */
  timeLeft?: () => number;
  /** Items per index page. Default 100. */
  pageSize?: number;
  /** Checks acted on at the same time. Default 8. */
  concurrency?: number;
}

export type ReconcileAction =
  | 'redriven'
  | 'restarted'
  | 'retried'
  | 'parked'
  | 'no-execution'
  | 'would-redrive'
  | 'would-restart'
  | 'would-retry'
  | 'would-park'
  | 'failed';

/** One check reconcile did something about (checks still running are counted, not listed). */
export interface ReconcileLine {
  provider: ProviderName;
  checkRef: string;
  /** The item's status: started, escalated or error. */
  status: string;
  executionName: string;
  /** What Step Functions said about it (or ExecutionDoesNotExist). */
  executionStatus: string;
  action: ReconcileAction;
  newExecutionName?: string;
  /** failed / parked: why (error names and fixed words, never input). */
  reason?: string;
}

export interface ReconcileReport {
  generatedAt: string;
  dryRun: boolean;
  /** Open checks found due, and how they stand. */
  due: number;
  running: number;
  /** Taken by another reconcile between the query and the claim. */
  claimedElsewhere: number;
  /** Final by the time they were looked at (recorded meanwhile). */
  recorded: number;
  redriven: number;
  restarted: number;
  retried: number;
  parked: number;
  withoutExecution: number;
  failed: number;
  /** True when the run stopped for time: due checks remain for the next run. */
  stoppedForTime: boolean;
  lines: ReconcileLine[];
}

/** Retries of an error record reconcile makes at most. */
export const MAX_RETRIES = 3;
/**
 * How long after the check's creation an error record is still worth a retry: while its provider may still serve
 * the evidence (liveness frames ~30 minutes after completion, KYC and verification answers for their polling budget).
 */
export const RETRY_WINDOW_SECONDS: Record<ProviderName, number> = { liveness: 3_600, kyc: 86_400, verification: 86_400 };
/** Errors another try cannot fix: the answer broke the provider's contract, or the check's reference is unusable. */
const NEVER_SUCCEEDS = new Set(['ProviderContractError', 'InvalidCheckInputError', 'ResponseTooLargeError']);
/** How long a claim keeps other reconciles off a check (longer than acting on it takes). */
const CLAIM_MS = 10 * 60_000;
/** A started item without an execution is looked at again after this, while its event may come back. */
const NO_EXECUTION_LOOK_MS = 3_600_000;
/** The dead-letter queue keeps an event 14 days: past that (and a day), a check without an execution is parked. */
const EVENT_HORIZON_MS = 15 * 86_400_000;
/** Stop this much before the time runs out. */
export const STOP_RESERVE_MS = 10_000;

const REDRIVABLE = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

interface OpenItem {
  pk: string;
  openShard: string;
  reconcileAt: string;
  provider: ProviderName;
  checkRef: string;
  status: string;
  executionName?: string;
  restarts?: number;
  startedAt?: string;
  createdAt?: string;
  retries?: number;
  error?: { name?: string };
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const { now } = options;
  const runId = randomUUID();
  const report: ReconcileReport = {
    generatedAt: now.toISOString(),
    dryRun: !options.restart,
    due: 0,
    running: 0,
    claimedElsewhere: 0,
    recorded: 0,
    redriven: 0,
    restarted: 0,
    retried: 0,
    parked: 0,
    withoutExecution: 0,
    failed: 0,
    stoppedForTime: false,
    lines: [],
  };
  const timeLeft = options.timeLeft ?? (() => Number.POSITIVE_INFINITY);
  const limit = createLimiter(options.concurrency ?? 8);

  // With retryFailed, the parked checks are looked at again too (after the operator fixed the cause).
  const passes: Array<'due' | 'parked'> = options.retryFailed ? ['due', 'parked'] : ['due'];
  for (const [shard, pass] of allOpenShards().flatMap((shard) => passes.map((pass) => [shard, pass] as const))) {
    let startKey: Record<string, unknown> | undefined;
    do {
      if (timeLeft() < STOP_RESERVE_MS) {
        report.stoppedForTime = true;
        break;
      }
      const page = await queryDue(options, shard, pass, startKey);
      startKey = page.LastEvaluatedKey;
      await Promise.all(
        (page.Items ?? []).map((item) =>
          limit(async () => {
            if (timeLeft() < STOP_RESERVE_MS) {
              report.stoppedForTime = true;
              return;
            }
            report.due++;
            const outcome = await reconcileCheck(options, item as OpenItem, runId);
            tally(report, outcome);
          }),
        ),
      );
    } while (startKey && !report.stoppedForTime);
    if (report.stoppedForTime) break;
  }
  report.lines.sort((a, b) => a.provider.localeCompare(b.provider) || a.checkRef.localeCompare(b.checkRef));
  return report;
}

type Outcome = 'running' | 'claimed-elsewhere' | 'recorded' | ReconcileLine;

function tally(report: ReconcileReport, outcome: Outcome): void {
  if (outcome === 'running') report.running++;
  else if (outcome === 'claimed-elsewhere') report.claimedElsewhere++;
  else if (outcome === 'recorded') report.recorded++;
  else {
    report.lines.push(outcome);
    const counts: Partial<Record<ReconcileAction, keyof ReconcileReport>> = {
      redriven: 'redriven',
      restarted: 'restarted',
      retried: 'retried',
      parked: 'parked',
      'no-execution': 'withoutExecution',
      failed: 'failed',
    };
    const key = counts[outcome.action];
    if (key) (report[key] as number)++;
  }
}

async function queryDue(options: ReconcileOptions, shard: string, pass: 'due' | 'parked', startKey?: Record<string, unknown>) {
  try {
    return await options.dynamo.send(
      new QueryCommand({
        TableName: options.tableName,
        IndexName: OPEN_CHECKS_INDEX.indexName,
        KeyConditionExpression: pass === 'due' ? 'openShard = :shard AND reconcileAt <= :now' : 'openShard = :shard AND begins_with(reconcileAt, :now)',
        ExpressionAttributeValues: { ':shard': shard, ':now': pass === 'due' ? options.now.toISOString() : PARKED_PREFIX },
        Limit: options.pageSize ?? 100,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
  } catch (error) {
    throw storageErrorFrom(error, 'DynamoDB Query of open checks');
  }
}

async function reconcileCheck(options: ReconcileOptions, seen: OpenItem, runId: string): Promise<Outcome> {
  const { now } = options;
  if (!(PROVIDERS as readonly string[]).includes(seen.provider) || !/^[0-9a-f]{32}$/.test(seen.checkRef ?? '')) return 'recorded';
  if (options.restart && !(await claim(options, seen, runId))) return 'claimed-elsewhere';
  const item = await getItem(options, seen);
  if (!item?.openShard) return 'recorded';
  const executionName = item.executionName ?? executionNameOf(item);
  const line: ReconcileLine = {
    provider: item.provider,
    checkRef: item.checkRef,
    status: item.status,
    executionName,
    executionStatus: 'UNKNOWN',
    action: 'failed',
  };
  try {
    const described = await describe(options, item.provider, executionName);
    if (!described) {
      line.executionStatus = 'ExecutionDoesNotExist';
      const since = Date.parse(item.startedAt ?? item.createdAt ?? '');
      if (item.status === 'started' && Number.isFinite(since) && now.getTime() - since < EVENT_HORIZON_MS) {
        // The event never got an execution (its start failed): it waits in the dead-letter queue, or comes back.
        await reschedule(options, item, runId, new Date(now.getTime() + NO_EXECUTION_LOOK_MS).toISOString());
        return { ...line, action: 'no-execution' };
      }
      return park(options, item, runId, line, 'no execution and no event left to start one');
    }
    line.executionStatus = described.status ?? 'UNKNOWN';
    if (!ENDED.has(described.status ?? '')) {
      // RUNNING, PENDING_REDRIVE, or a status not known here: never a second execution while one may run.
      await reschedule(options, item, runId, nextLookAt(item.startedAt, now));
      return 'running';
    }
    if (item.status === 'error') return await retryError(options, item, runId, line, described);
    const redrivable = REDRIVABLE.has(described.status ?? '') && described.redriveStatus === 'REDRIVABLE';
    if (!options.restart) {
      return redrivable ? { ...line, action: 'would-redrive' } : { ...line, action: 'would-restart', newExecutionName: restartNameOf(item, (item.restarts ?? 0) + 1) };
    }
    if (redrivable && (await redrive(options, described, item.checkRef))) {
      await reschedule(options, item, runId, nextLookAt(undefined, now));
      return { ...line, action: 'redriven' };
    }
    const newExecutionName = await restart(options, item, runId, described);
    return { ...line, action: 'restarted', newExecutionName };
  } catch (error) {
    return { ...line, action: 'failed', reason: errorName(error) };
  }
}

/** An `error` record whose execution has ended: retried by a fresh execution while it can still succeed, else parked. */
async function retryError(options: ReconcileOptions, item: OpenItem, runId: string, line: ReconcileLine, described: DescribeExecutionCommandOutput): Promise<Outcome> {
  const created = Date.parse(item.createdAt ?? '');
  const inWindow = Number.isFinite(created) && options.now.getTime() - created < RETRY_WINDOW_SECONDS[item.provider] * 1000;
  const retries = item.retries ?? 0;
  const errorName = item.error?.name ?? 'UnknownError';
  const worthIt = options.retryFailed === true || (inWindow && retries < MAX_RETRIES && !NEVER_SUCCEEDS.has(errorName));
  if (!worthIt) {
    const reason = NEVER_SUCCEEDS.has(errorName) ? `${errorName} does not succeed on a retry` : retries >= MAX_RETRIES ? `${retries} retries failed` : 'its evidence window has passed';
    return park(options, item, runId, line, reason);
  }
  if (!options.restart) return { ...line, action: 'would-retry', newExecutionName: restartNameOf(item, (item.restarts ?? 0) + 1) };
  const newExecutionName = await restart(options, item, runId, described, { retries: retries + 1 });
  return { ...line, action: 'retried', newExecutionName };
}

async function claim(options: ReconcileOptions, item: OpenItem, runId: string): Promise<boolean> {
  try {
    await options.dynamo.send(
      new UpdateCommand({
        TableName: options.tableName,
        Key: { pk: recordKeyOf(item.provider, item.checkRef) },
        UpdateExpression: 'SET reconcileAt = :claimed, reconcileClaim = :run',
        ConditionExpression: 'reconcileAt = :seen',
        ExpressionAttributeValues: { ':claimed': new Date(options.now.getTime() + CLAIM_MS).toISOString(), ':run': runId, ':seen': item.reconcileAt },
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: unknown })?.name === 'ConditionalCheckFailedException') return false;
    throw storageErrorFrom(error, 'DynamoDB UpdateItem (claim)');
  }
}

async function getItem(options: ReconcileOptions, item: OpenItem): Promise<OpenItem | undefined> {
  try {
    const { Item } = await options.dynamo.send(
      new GetCommand({ TableName: options.tableName, Key: { pk: recordKeyOf(item.provider, item.checkRef) }, ConsistentRead: true }),
    );
    return Item as OpenItem | undefined;
  } catch (error) {
    throw storageErrorFrom(error, 'DynamoDB GetItem');
  }
}

/** The next look, and what changed, written only while this run's claim holds (a final record removes the item). */
async function reschedule(options: ReconcileOptions, item: OpenItem, runId: string, at: string, set: Record<string, unknown> = {}): Promise<void> {
  if (!options.restart) return;
  const names = Object.keys(set);
  try {
    await options.dynamo.send(
      new UpdateCommand({
        TableName: options.tableName,
        Key: { pk: recordKeyOf(item.provider, item.checkRef) },
        UpdateExpression: `SET reconcileAt = :at${names.map((name, i) => `, #f${i} = :v${i}`).join('')} REMOVE reconcileClaim`,
        ConditionExpression: 'reconcileClaim = :run AND attribute_exists(openShard)',
        ...(names.length > 0 ? { ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])) } : {}),
        ExpressionAttributeValues: { ':at': at, ':run': runId, ...Object.fromEntries(names.map((name, i) => [`:v${i}`, set[name]])) },
      }),
    );
  } catch (error) {
    // The check was recorded meanwhile (its item left the index) or another run took it after the claim expired.
    if ((error as { name?: unknown })?.name !== 'ConditionalCheckFailedException') throw storageErrorFrom(error, 'DynamoDB UpdateItem');
  }
}

async function park(options: ReconcileOptions, item: OpenItem, runId: string, line: ReconcileLine, reason: string): Promise<ReconcileLine> {
  if (!options.restart) return { ...line, action: 'would-park', reason };
  await reschedule(options, item, runId, parkedAt(options.now), { parkReason: reason });
  return { ...line, action: 'parked', reason };
}

/** The provider's state machine; a provider without one is this run's configuration fault (the check's line fails). */
function stateMachineOf(options: ReconcileOptions, provider: ProviderName): string {
  const arn = options.stateMachineArns[provider];
  if (!arn) throw new MissingStateMachineError(`no state machine for ${provider}`);
  return arn;
}

/** Reconcile was given no state machine for a check's provider. */
export class MissingStateMachineError extends Error {
  override readonly name = 'MissingStateMachineError';
}

async function describe(options: ReconcileOptions, provider: ProviderName, name: string): Promise<DescribeExecutionCommandOutput | undefined> {
  const executionArn = `${stateMachineOf(options, provider).replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    return await options.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (errorName(error) === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

/** RedriveExecution; false when Step Functions says it cannot (the caller restarts instead). */
async function redrive(options: ReconcileOptions, described: DescribeExecutionCommandOutput, checkRef: string): Promise<boolean> {
  try {
    // The same token from two reconciles makes one redrive.
    await options.sfn.send(new RedriveExecutionCommand({ executionArn: described.executionArn, clientToken: `${checkRef}-${described.redriveCount ?? 0}` }));
    return true;
  } catch (error) {
    if (errorName(error) === 'ExecutionNotRedrivable') return false;
    throw error;
  }
}

/**
 * StartExecution `{name}-r{n}` with the check as the start function gave it, then the item names it. The name is
 * deterministic: a reconcile that died between the two finds it taken next time, and takes it as started.
 */
async function restart(
  options: ReconcileOptions,
  item: OpenItem,
  runId: string,
  described: DescribeExecutionCommandOutput,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const check = checkOf(described.input, item);
  const restarts = (item.restarts ?? 0) + 1;
  const name = restartNameOf(check, restarts);
  const input: WorkflowState = { check };
  try {
    await options.sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineOf(options, check.provider), name, input: JSON.stringify(input) }));
  } catch (error) {
    if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
  }
  const now = options.now;
  await reschedule(options, item, runId, nextLookAt(undefined, now), { executionName: name, restarts, startedAt: now.toISOString(), ...extra });
  return name;
}

/** The execution input does not hold the check its item says (started by hand, or the input is not available). */
export class UnexpectedExecutionInputError extends Error {
  override readonly name = 'UnexpectedExecutionInputError';
}

function checkOf(input: string | undefined, expected: { provider: ProviderName; checkRef: string }): WorkflowCheck {
  let check: Partial<WorkflowCheck> | undefined;
  try {
    check = (JSON.parse(input ?? '') as Partial<WorkflowState> | null)?.check;
  } catch {
    throw new UnexpectedExecutionInputError('execution input is not JSON');
  }
  if (
    !check ||
    check.provider !== expected.provider ||
    check.checkRef !== expected.checkRef ||
    typeof check.checkId !== 'string' ||
    typeof check.createdAt !== 'string'
  ) {
    throw new UnexpectedExecutionInputError('execution input does not hold the check its item says');
  }
  return check as WorkflowCheck;
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[\w.]{1,80}$/.test(name) ? name : 'UnknownError';
}

/** Checks reconcile parked (could not recover): provider, checkRef, when and why. */
export async function listParked(options: Pick<ReconcileOptions, 'dynamo' | 'tableName'>): Promise<Array<{ provider: string; checkRef: string; parkedAt: string; status: string }>> {
  const parked: Array<{ provider: string; checkRef: string; parkedAt: string; status: string }> = [];
  for (const shard of allOpenShards()) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await options.dynamo.send(
        new QueryCommand({
          TableName: options.tableName,
          IndexName: OPEN_CHECKS_INDEX.indexName,
          KeyConditionExpression: 'openShard = :shard AND begins_with(reconcileAt, :parked)',
          ExpressionAttributeValues: { ':shard': shard, ':parked': PARKED_PREFIX },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of (page.Items ?? []) as OpenItem[]) {
        parked.push({ provider: item.provider, checkRef: item.checkRef, parkedAt: item.reconcileAt.slice(PARKED_PREFIX.length), status: item.status });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return parked;
}

/** Lines for a terminal or a log: counts first, then one line per check (provider, checkRef, what was done). */
export function formatReport(report: ReconcileReport): string[] {
  const mode = report.dryRun ? ' (dry run: nothing changed)' : '';
  const lines = [
    `reconcile at ${report.generatedAt}${mode}`,
    `open checks due: ${report.due}: ${report.running} still running, ${report.recorded} recorded meanwhile, ${report.claimedElsewhere} taken by another reconcile`,
  ];
  if (!report.dryRun) {
    lines.push(
      `recovered: ${report.redriven} redriven, ${report.restarted} restarted, ${report.retried} error records retried; ` +
        `${report.withoutExecution} events without an execution; ${report.parked} parked; ${report.failed} failed`,
    );
  }
  if (report.stoppedForTime) lines.push('stopped for time: the remaining due checks wait for the next run');
  for (const line of report.lines) {
    const next = line.newExecutionName ? ` as ${line.newExecutionName}` : '';
    const reason = line.reason ? ` (${line.reason})` : '';
    lines.push(`  ${line.provider} ${line.checkRef} ${line.status} ${line.executionStatus}: ${line.action}${next}${reason}`);
  }
  return lines;
}
