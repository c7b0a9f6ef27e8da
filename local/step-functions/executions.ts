/**
 * The executions of one state machine with the semantics of the Step Functions API: name uniqueness, idempotent
 * StartExecution, statuses, a concurrency limit (executions beyond it wait, shown as RUNNING), stop, redrive, listing
 * and history pagination. Executions run in the background on the engine; nothing here logs execution data.
 *
 * RedriveExecution resumes as AWS does: at the top-level state the execution was in when it failed, timed out or was
 * aborted, with the input that state had (a Fail state reached through a Catch fails again; a Task is run again with
 * fresh retries), under the same name and ARN with redriveCount + 1, an ExecutionRedriven history event and the
 * state machine's timeout counted from the redrive. Differences from AWS, on purpose: names stay taken for the life
 * of the process (AWS: 90 days); a failure inside a Parallel or Map state resumes at that state with all its branches
 * or iterations (AWS redrives only those that failed).
 */
import { randomUUID } from 'node:crypto';
import type { Engine, LibraryEvent, Run, RunOutcome } from './engine';
import { StepFunctionsApiError } from './errors';
import { ExecutionHistory, withoutExecutionData, type HistoryEvent } from './history';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** A snapshot of one execution (input and output are the JSON strings, as the API returns them). */
export interface ExecutionRecord {
  name: string;
  arn: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  /** States entered plus retries: the state transitions Step Functions bills. Accumulates over redrives. */
  transitions: number;
  /** History events recorded (GetExecutionHistory). */
  events: number;
  redriveCount: number;
  redriveDate?: Date;
}

interface Execution extends ExecutionRecord {
  seq: number;
  history: ExecutionHistory;
  run?: Run;
  /** The top-level state last entered and its input: where a redrive resumes. */
  current?: { state: string; input: unknown };
  /** Set by RedriveExecution for the next run. */
  resumeAt?: { state: string; input: unknown };
}

export interface ExecutionStoreOptions {
  engine: Engine;
  stateMachineArn: string;
  resourceOf: (state: string) => string | undefined;
  maxConcurrentExecutions: number;
  onEvent?: (executionArn: string, event: unknown) => void;
}

/** Step Functions' limit on execution input and on each state's input/output: 256 KiB of UTF-8. */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const REDRIVABLE: readonly ExecutionStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];
const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[^:\s]+(:[^:\s]+)?$/;
const EXECUTION_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[^:\s]+:[^:\s]+$/;
// AWS: 1-80 characters; no whitespace, brackets, wildcards, special characters or control characters.
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

export class ExecutionStore {
  private readonly byName = new Map<string, Execution>();
  private readonly queue: Execution[] = [];
  private running = 0;
  /** Executions queued or running, plus ended runs whose task handlers are still working. */
  private busy = 0;
  private idleWaiters: (() => void)[] = [];
  private seq = 0;
  private closed = false;

  constructor(private readonly options: ExecutionStoreOptions) {}

  start(request: { stateMachineArn?: unknown; name?: unknown; input?: unknown }): { executionArn: string; startDate: Date } {
    this.checkOpen();
    this.checkStateMachine(requiredString(request.stateMachineArn, 'stateMachineArn'));
    const name = request.name === undefined ? randomUUID() : optionalString(request.name, 'name') ?? randomUUID();
    checkName(name);
    const input = optionalString(request.input, 'input') ?? '{}';
    checkInput(input);
    const existing = this.byName.get(name);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn: existing.arn, startDate: existing.startDate };
      throw new StepFunctionsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    const execution: Execution = {
      seq: ++this.seq,
      name,
      arn: `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      status: 'RUNNING',
      input,
      startDate: new Date(),
      transitions: 0,
      events: 0,
      redriveCount: 0,
      history: new ExecutionHistory(this.options.stateMachineArn.split(':')[3] ?? 'us-east-1'),
    };
    this.byName.set(name, execution);
    this.enqueue(execution);
    return { executionArn: execution.arn, startDate: execution.startDate };
  }

  describe(executionArn: unknown): Record<string, unknown> {
    const e = this.find(executionArn);
    const redrivable = REDRIVABLE.includes(e.status);
    return {
      executionArn: e.arn,
      stateMachineArn: this.options.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      stopDate: e.stopDate,
      input: e.input,
      inputDetails: { included: true },
      ...(e.output !== undefined && { output: e.output, outputDetails: { included: true } }),
      error: e.error,
      cause: e.cause,
      redriveCount: e.redriveCount,
      redriveDate: e.redriveDate,
      redriveStatus: redrivable ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
      ...(!redrivable && { redriveStatusReason: `Execution is ${e.status} and cannot be redriven` }),
    };
  }

  list(request: { stateMachineArn?: unknown; statusFilter?: unknown; maxResults?: unknown; nextToken?: unknown; redriveFilter?: unknown; mapRunArn?: unknown }): Record<string, unknown> {
    if (request.mapRunArn !== undefined) throw new StepFunctionsApiError('ResourceNotFound', 'Map runs are not supported locally');
    this.checkStateMachine(requiredString(request.stateMachineArn, 'stateMachineArn'));
    const status = optionalString(request.statusFilter, 'statusFilter');
    if (status !== undefined && !STATUSES.includes(status as ExecutionStatus)) throw validation(`Invalid statusFilter: ${status}`);
    const redrive = optionalString(request.redriveFilter, 'redriveFilter');
    if (redrive !== undefined && redrive !== 'REDRIVEN' && redrive !== 'NOT_REDRIVEN') throw validation(`Invalid redriveFilter: ${redrive}`);
    const pageSize = pageSizeOf(request.maxResults);
    const before = cursorOf(request.nextToken, 'before');
    const matching = [...this.byName.values()]
      .filter((e) => (status === undefined || e.status === status) && (redrive === undefined || (redrive === 'REDRIVEN') === e.redriveCount > 0))
      .filter((e) => before === undefined || e.seq < before)
      .sort((a, b) => b.seq - a.seq); // newest first, as AWS lists
    const page = matching.slice(0, pageSize);
    const last = page.at(-1);
    return {
      executions: page.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: this.options.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate,
        redriveCount: e.redriveCount,
        redriveDate: e.redriveDate,
      })),
      ...(matching.length > page.length && last && { nextToken: tokenOf({ before: last.seq }) }),
    };
  }

  history(request: { executionArn?: unknown; maxResults?: unknown; reverseOrder?: unknown; nextToken?: unknown; includeExecutionData?: unknown }): Record<string, unknown> {
    const e = this.find(request.executionArn);
    const ordered = request.reverseOrder === true ? [...e.history.events].reverse() : e.history.events;
    const from = cursorOf(request.nextToken, 'from') ?? 0;
    const pageSize = pageSizeOf(request.maxResults);
    const page: HistoryEvent[] = ordered.slice(from, from + pageSize);
    return {
      events: request.includeExecutionData === false ? withoutExecutionData(page) : page,
      ...(from + page.length < ordered.length && { nextToken: tokenOf({ from: from + page.length }) }),
    };
  }

  stop(request: { executionArn?: unknown; error?: unknown; cause?: unknown }): { stopDate: Date } {
    const e = this.find(request.executionArn);
    const error = optionalString(request.error, 'error');
    const cause = optionalString(request.cause, 'cause');
    if (error !== undefined && error.length > 256) throw validation('error must be at most 256 characters');
    if (cause !== undefined && cause.length > 32768) throw validation('cause must be at most 32768 characters');
    if (e.status === 'RUNNING') this.end(e, 'ABORTED', { error, cause });
    return { stopDate: e.stopDate ?? new Date() };
  }

  redrive(request: { executionArn?: unknown }): { redriveDate: Date } {
    this.checkOpen();
    const e = this.find(request.executionArn);
    if (!REDRIVABLE.includes(e.status)) throw new StepFunctionsApiError('ExecutionNotRedrivable', `Execution is ${e.status} and cannot be redriven`);
    e.status = 'RUNNING';
    e.redriveCount += 1;
    e.redriveDate = new Date();
    e.run = undefined; // a late outcome of the previous run must not end this one
    if (e.current) e.resumeAt = e.current;
    for (const key of ['stopDate', 'output', 'error', 'cause'] as const) delete e[key];
    this.addHistory(e, 'ExecutionRedriven', { redriveCount: e.redriveCount });
    this.enqueue(e);
    return { redriveDate: e.redriveDate };
  }

  records(): ExecutionRecord[] {
    return [...this.byName.values()].sort((a, b) => a.seq - b.seq).map(({ seq: _seq, history: _history, run: _run, ...record }) => ({ ...record }));
  }

  /** Resolves when no execution is queued or running and no task handler is still working. */
  idle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts every execution still queued or running (at once), then waits until their task handlers have returned. */
  close(): Promise<void> {
    this.closed = true;
    for (const e of this.byName.values()) if (e.status === 'RUNNING') this.end(e, 'ABORTED', {});
    return this.idle();
  }

  private enqueue(e: Execution): void {
    this.busy++;
    this.queue.push(e);
    this.launchQueued();
  }

  private launchQueued(): void {
    while (this.running < this.options.maxConcurrentExecutions && this.queue.length > 0) {
      const e = this.queue.shift() as Execution;
      this.launch(e);
    }
  }

  private launch(e: Execution): void {
    let run: Run;
    try {
      run = this.options.engine.run(
        JSON.parse(e.input),
        {
          executionArn: e.arn,
          executionName: e.name,
          stateMachineArn: this.options.stateMachineArn,
          startDate: e.startDate,
          redriveCount: e.redriveCount,
          ...(e.resumeAt ? { resumeAt: e.resumeAt } : {}),
        },
        { event: (event) => this.onRunEvent(e, event), task: (activity) => this.recordHistory(e, () => e.history.recordTask(activity)) },
      );
    } catch (error) {
      this.end(e, 'FAILED', { error: 'States.Runtime', cause: error instanceof Error ? error.message : 'The local executor failed to start' });
      this.release();
      return;
    }
    this.running++;
    e.run = run;
    if (e.status !== 'RUNNING') run.abort(); // ended by an event dispatched while the run was starting
    void run.outcome.then((outcome) => {
      this.running--;
      if (e.run === run && e.status === 'RUNNING') this.applyOutcome(e, outcome);
      this.launchQueued();
    });
    void run.settled.then(() => this.release());
  }

  private onRunEvent(e: Execution, event: LibraryEvent): void {
    if (e.status !== 'RUNNING') return; // ended while the run was starting: its abort follows
    if (event.type === 'StateEntered' || event.type === 'StateRetried') e.transitions++;
    if (event.type === 'StateEntered' && event.state && event.parentState === undefined) e.current = { state: event.state.name, input: event.state.input };
    // A redriven execution starts again; its history says ExecutionRedriven (added by redrive) instead.
    if (!(event.type === 'ExecutionStarted' && e.redriveCount > 0)) {
      this.recordHistory(e, () => e.history.recordLibraryEvent(event, this.options.resourceOf));
    }
    try {
      this.options.onEvent?.(e.arn, event);
    } catch {
      // An observer's bug must not change the execution.
    }
    if (event.type === 'StateExited' && event.state && Buffer.byteLength(JSON.stringify(event.state.output ?? null)) > PAYLOAD_LIMIT_BYTES) {
      this.end(e, 'FAILED', {
        error: 'States.DataLimitExceeded',
        cause: `The state/task '${event.state.name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      });
    }
  }

  private applyOutcome(e: Execution, outcome: RunOutcome): void {
    if (outcome.status === 'SUCCEEDED') this.end(e, 'SUCCEEDED', { output: JSON.stringify(outcome.output ?? null) });
    else if (outcome.status === 'FAILED') this.end(e, 'FAILED', { error: outcome.error, cause: outcome.cause });
    else this.end(e, outcome.status, {});
  }

  /** Ends the execution now with its terminal history event; a queued one never runs, a running one is aborted. */
  private end(e: Execution, status: Exclude<ExecutionStatus, 'RUNNING'>, details: { output?: string; error?: string; cause?: string }): void {
    e.status = status;
    e.stopDate = new Date();
    if (details.output !== undefined) e.output = details.output;
    if (details.error !== undefined) e.error = details.error;
    if (details.cause !== undefined) e.cause = details.cause;
    const { error, cause } = details;
    const failure = { ...(error !== undefined && { error }), ...(cause !== undefined && { cause }) };
    if (status === 'SUCCEEDED') this.addHistory(e, 'ExecutionSucceeded', { output: details.output, outputDetails: { truncated: false } });
    else if (status === 'FAILED') this.addHistory(e, 'ExecutionFailed', failure);
    else if (status === 'ABORTED') this.addHistory(e, 'ExecutionAborted', failure);
    else this.addHistory(e, 'ExecutionTimedOut', failure);
    const queued = this.queue.indexOf(e);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.release();
    } else {
      e.run?.abort();
    }
  }

  private addHistory(e: Execution, type: string, details: Record<string, unknown>): void {
    this.recordHistory(e, () => e.history.add(type, details));
  }

  private recordHistory(e: Execution, record: () => void): void {
    record();
    e.events = e.history.events.length;
  }

  private release(): void {
    this.busy--;
    if (this.busy > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private checkOpen(): void {
    if (this.closed) throw new StepFunctionsApiError('ServiceUnavailable', 'The local Step Functions service is closed');
  }

  private checkStateMachine(arn: string): void {
    if (!STATE_MACHINE_ARN.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    if (arn !== this.options.stateMachineArn) throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  private find(executionArn: unknown): Execution {
    const arn = requiredString(executionArn, 'executionArn');
    if (!EXECUTION_ARN.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const prefix = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
    const execution = arn.startsWith(prefix) ? this.byName.get(arn.slice(prefix.length)) : undefined;
    if (!execution) throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }
}

function checkName(name: string): void {
  const length = [...name].length;
  if (length < 1 || length > 80 || FORBIDDEN_IN_NAME.test(name)) throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name.slice(0, 100)}'`);
}

function checkInput(input: string): void {
  if (Buffer.byteLength(input) > PAYLOAD_LIMIT_BYTES) {
    throw new StepFunctionsApiError('InvalidExecutionInput', `Input is larger than the maximum of ${PAYLOAD_LIMIT_BYTES} bytes`);
  }
  try {
    JSON.parse(input);
  } catch {
    throw new StepFunctionsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is not valid JSON');
  }
}

function validation(message: string): StepFunctionsApiError {
  return new StepFunctionsApiError('ValidationException', message);
}

function requiredString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw validation(`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validation(`Value at '${field}' must be a string`);
  return value;
}

/** maxResults: 0 or absent means the default page of 100; at most 1000. */
function pageSizeOf(value: unknown): number {
  if (value === undefined || value === null || value === 0) return 100;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 1000) throw validation('maxResults must be an integer from 0 to 1000');
  return value as number;
}

function tokenOf(cursor: Record<string, number>): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function cursorOf(token: unknown, key: string): number | undefined {
  if (token === undefined || token === null) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8'))[key];
    if (Number.isInteger(value) && (value as number) >= 0) return value as number;
  } catch {
    // reported below
  }
  throw new StepFunctionsApiError('InvalidToken', 'Invalid Token');
}
