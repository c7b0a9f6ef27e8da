/**
 * Reconcile: every check whose workflow was started must end with a record. Lists the state machine's executions,
 * groups them by check (execution names, see execution-names.ts), looks each check's record up, and recovers the
 * checks whose workflows ended without one: RedriveExecution when Step Functions allows it (the execution resumes
 * where it stopped, same name), otherwise a new execution `{name}-r{n}` with the same input. Idempotent: a second run
 * finds the redriven or restarted executions running (or recorded) and leaves them alone; two concurrent runs pick
 * the same restart name, which Step Functions starts once.
 *
 * Reports name checks by provider + checkRef only. The execution input holds the checkId (a liveness token): it is
 * read to restart a check and never leaves this module except as that execution's input.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createLimiter } from '../archive/limiter';
import type { ProviderName } from '../checks/check-status';
import type { RecordStore } from '../records/record-store';
import type { WorkflowCheck, WorkflowState } from '../checks/workflow-contract';
import { parseExecutionName, restartNameOf } from './execution-names';

export interface ReconcileOptions {
  sfn: Pick<SFNClient, 'send'>;
  stateMachineArn: string;
  records: Pick<RecordStore, 'get'>;
  now: Date;
  /** Only executions started at or after this. Default: 90 days before `now` (Step Functions' own horizon). */
  since?: Date;
  /** Recover what is found. False: report what would be done and change nothing (a dry run). */
  restart: boolean;
  /** Also recover checks whose record says their workflow failed (status `error`), by a new execution. */
  retryFailed?: boolean;
  /** Checks looked at in parallel. Default 4. */
  concurrency?: number;
  /** ListExecutions page size (1–1000). Default 100. */
  pageSize?: number;
}

export type ReconcileAction = 'redriven' | 'restarted' | 'would-redrive' | 'would-restart' | 'failed';

/** One check that needed recovery: what its latest execution was, and what was done. */
export interface ReconcileLine {
  provider: ProviderName;
  checkRef: string;
  /** The check's latest execution (by start) and its status. */
  executionName: string;
  executionStatus: ExecutionStatus;
  /** Present when the check has a record (only with retryFailed: an `error` record). */
  recordStatus?: string;
  action: ReconcileAction;
  /** restarted / would-restart: the new execution's name. */
  newExecutionName?: string;
  /** failed: the error's name (never its message, which may quote input). */
  reason?: string;
}

export interface ReconcileReport {
  generatedAt: string;
  since: string;
  dryRun: boolean;
  /** Executions listed (started since `since`). */
  executions: number;
  /** Executions whose names are not check names (started by hand): ignored. */
  unrecognized: number;
  /** Checks seen, and how they stand. */
  checks: number;
  recorded: number;
  running: number;
  /** Checks whose workflows ended without a record (or with an error record, with retryFailed). */
  unrecorded: number;
  redriven: number;
  restarted: number;
  failed: number;
  lines: ReconcileLine[];
}

/** Step Functions keeps closed executions (and their names) 90 days. */
const HORIZON_DAYS = 90;
const REDRIVABLE_STATUSES: ReadonlySet<string> = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
const IN_PROGRESS_STATUSES: ReadonlySet<string> = new Set(['RUNNING', 'PENDING_REDRIVE']);
/** Restart names tried when a name is already taken by an execution outside the listing window. */
const RESTART_NAME_ATTEMPTS = 5;

interface CheckExecutions {
  provider: ProviderName;
  checkRef: string;
  executions: ExecutionListItem[];
  /** Highest restart number among the listed executions. */
  lastRestart: number;
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const { now } = options;
  const since = options.since ?? new Date(now.getTime() - HORIZON_DAYS * 86_400_000);
  const listed = await listExecutions(options, since);

  const groups = new Map<string, CheckExecutions>();
  let unrecognized = 0;
  for (const execution of listed) {
    const parsed = parseExecutionName(execution.name ?? '');
    if (!parsed) {
      unrecognized++;
      continue;
    }
    const key = `${parsed.provider}#${parsed.checkRef}`;
    const group = groups.get(key) ?? { provider: parsed.provider, checkRef: parsed.checkRef, executions: [], lastRestart: 0 };
    group.executions.push(execution);
    group.lastRestart = Math.max(group.lastRestart, parsed.restart);
    groups.set(key, group);
  }

  const report: ReconcileReport = {
    generatedAt: now.toISOString(),
    since: since.toISOString(),
    dryRun: !options.restart,
    executions: listed.length,
    unrecognized,
    checks: groups.size,
    recorded: 0,
    running: 0,
    unrecorded: 0,
    redriven: 0,
    restarted: 0,
    failed: 0,
    lines: [],
  };
  const limit = createLimiter(options.concurrency ?? 4);
  await Promise.all(
    [...groups.values()].map((group) =>
      limit(async () => {
        const outcome = await reconcileCheck(options, group);
        if (outcome === 'recorded' || outcome === 'running') {
          report[outcome]++;
          return;
        }
        report.unrecorded++;
        if (outcome.action === 'redriven') report.redriven++;
        else if (outcome.action === 'restarted') report.restarted++;
        else if (outcome.action === 'failed') report.failed++;
        report.lines.push(outcome);
      }),
    ),
  );
  report.lines.sort((a, b) => a.provider.localeCompare(b.provider) || a.checkRef.localeCompare(b.checkRef));
  return report;
}

/** All executions started since `since`, newest first (as ListExecutions orders them), every status. */
async function listExecutions(options: ReconcileOptions, since: Date): Promise<ExecutionListItem[]> {
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await options.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: options.stateMachineArn, maxResults: options.pageSize ?? 100, nextToken }),
    );
    for (const execution of page.executions ?? []) {
      // Newest first: the first one older than the window ends the listing.
      if (execution.startDate && execution.startDate < since) return executions;
      executions.push(execution);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return executions;
}

async function reconcileCheck(options: ReconcileOptions, group: CheckExecutions): Promise<'recorded' | 'running' | ReconcileLine> {
  if (group.executions.some((e) => IN_PROGRESS_STATUSES.has(e.status ?? ''))) return 'running';
  const record = await options.records.get(group.provider, group.checkRef);
  const failedRecord = record?.status === 'error' && options.retryFailed === true;
  if (record && !failedRecord) return 'recorded';

  const latest = latestOf(group.executions);
  const line: ReconcileLine = {
    provider: group.provider,
    checkRef: group.checkRef,
    executionName: latest.name ?? '',
    executionStatus: latest.status ?? 'FAILED',
    ...(record && { recordStatus: record.status }),
    action: 'failed',
  };
  try {
    const described = await options.sfn.send(new DescribeExecutionCommand({ executionArn: latest.executionArn }));
    const check = checkOf(described.input, group);
    // An error record means the workflow ran to its end: resuming it would only fail again. Start it afresh.
    const redrivable =
      !failedRecord && REDRIVABLE_STATUSES.has(described.status ?? '') && described.redriveStatus === 'REDRIVABLE';
    if (!options.restart) {
      return redrivable
        ? { ...line, action: 'would-redrive' }
        : { ...line, action: 'would-restart', newExecutionName: restartNameOf(group, group.lastRestart + 1) };
    }
    if (redrivable && (await redrive(options, latest, described.redriveCount ?? 0, group.checkRef))) {
      return { ...line, action: 'redriven' };
    }
    const newExecutionName = await restartCheck(options, check, group.lastRestart + 1);
    return { ...line, action: 'restarted', newExecutionName };
  } catch (error) {
    return { ...line, action: 'failed', reason: errorName(error) };
  }
}

/** The execution started last; among equal starts, the higher restart. */
function latestOf(executions: ExecutionListItem[]): ExecutionListItem {
  const restartOf = (e: ExecutionListItem) => parseExecutionName(e.name ?? '')?.restart ?? 0;
  return executions.reduce((latest, e) => {
    const byDate = (e.startDate?.getTime() ?? 0) - (latest.startDate?.getTime() ?? 0);
    return byDate > 0 || (byDate === 0 && restartOf(e) > restartOf(latest)) ? e : latest;
  });
}

/** RedriveExecution; false when Step Functions says it cannot (the caller restarts instead). */
async function redrive(options: ReconcileOptions, execution: ExecutionListItem, redriveCount: number, checkRef: string): Promise<boolean> {
  try {
    await options.sfn.send(
      // The same token from two concurrent runs makes one redrive.
      new RedriveExecutionCommand({ executionArn: execution.executionArn, clientToken: `${checkRef}-${redriveCount}` }),
    );
    return true;
  } catch (error) {
    if (errorName(error) === 'ExecutionNotRedrivable') return false;
    throw error;
  }
}

/** StartExecution `{name}-r{n}` with the check as the start function gave it; skips names already taken. */
async function restartCheck(options: ReconcileOptions, check: WorkflowCheck, firstRestart: number): Promise<string> {
  const input: WorkflowState = { check };
  for (let restart = firstRestart; restart < firstRestart + RESTART_NAME_ATTEMPTS; restart++) {
    const name = restartNameOf(check, restart);
    try {
      await options.sfn.send(
        new StartExecutionCommand({ stateMachineArn: options.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return name;
    } catch (error) {
      if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
    }
  }
  throw new RestartNamesTakenError(`restart names r${firstRestart}..r${firstRestart + RESTART_NAME_ATTEMPTS - 1} are taken`);
}

/** Every candidate restart name is taken by an execution outside the listing window. */
export class RestartNamesTakenError extends Error {
  override readonly name = 'RestartNamesTakenError';
}

/** The execution input does not hold the check its name says (started by hand, or the input is not available). */
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
    throw new UnexpectedExecutionInputError('execution input does not hold the check its name says');
  }
  return check as WorkflowCheck;
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[\w.]{1,80}$/.test(name) ? name : 'UnknownError';
}

/** Lines for a terminal or a log: counts first, then one line per check (provider, checkRef, what was done). */
export function formatReport(report: ReconcileReport): string[] {
  const mode = report.dryRun ? ' (dry run: nothing changed)' : '';
  const lines = [
    `reconcile since ${report.since}${mode}`,
    `executions: ${report.executions} (${report.unrecognized} not named after a check, ignored)`,
    `checks: ${report.checks}: ${report.recorded} recorded, ${report.running} running, ${report.unrecorded} without a record`,
  ];
  if (!report.dryRun) {
    lines.push(`recovered: ${report.redriven} redriven, ${report.restarted} restarted; ${report.failed} failed`);
  }
  for (const line of report.lines) {
    const record = line.recordStatus ? ` record=${line.recordStatus}` : '';
    const next = line.newExecutionName ? ` as ${line.newExecutionName}` : '';
    const reason = line.reason ? ` (${line.reason})` : '';
    lines.push(`  ${line.provider} ${line.checkRef} ${line.executionStatus}${record}: ${line.action}${next}${reason}`);
  }
  return lines;
}
