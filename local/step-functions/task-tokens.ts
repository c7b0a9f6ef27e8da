/**
 * Task tokens of `.waitForTaskToken` tasks, as the Step Functions API sees them: SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat answer an open token; a token whose task ended (answered, timed out, its execution over) is
 * refused with TaskTimedOut, an unknown one with TaskDoesNotExist, as AWS does. HeartbeatSeconds and TimeoutSeconds
 * run in real time (the worker that heartbeats keeps real time) and end the task with States.HeartbeatTimeout or
 * States.Timeout.
 */
import { randomBytes } from 'node:crypto';
import { StepFunctionsApiError } from './errors';

/** How a task ended: the output SendTaskSuccess gave, or an error by name (SendTaskFailure, a timeout). */
export type TaskResult = { ok: true; output: unknown } | { ok: false; error: string; cause: string };

interface OpenTask {
  runId: string;
  settle: (result: TaskResult) => void;
  heartbeatMs?: number;
  heartbeatTimer?: NodeJS.Timeout;
  timeoutTimer?: NodeJS.Timeout;
}

export interface OpenOptions {
  /** Which run the task belongs to (its execution ARN): closed with it. */
  runId: string;
  heartbeatSeconds?: number;
  timeoutSeconds?: number;
}

/** setTimeout's limit (about 24.8 days): longer timeouts are cut to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Step Functions' limit on a task's output: 256 KiB of UTF-8. */
const OUTPUT_LIMIT_BYTES = 256 * 1024;

export class TaskTokens {
  private readonly open = new Map<string, OpenTask>();
  private readonly closed = new Set<string>();

  /** A new token and the promise of its task's result. */
  issue(options: OpenOptions): { token: string; result: Promise<TaskResult> } {
    const token = `local-${randomBytes(24).toString('base64url')}`;
    const result = new Promise<TaskResult>((resolve) => {
      const task: OpenTask = { runId: options.runId, settle: (outcome) => this.close(token) && resolve(outcome) };
      if (options.heartbeatSeconds !== undefined) task.heartbeatMs = options.heartbeatSeconds * 1000;
      if (options.timeoutSeconds !== undefined) {
        task.timeoutTimer = setTimeout(
          () => task.settle({ ok: false, error: 'States.Timeout', cause: 'The task did not complete within TimeoutSeconds' }),
          Math.min(options.timeoutSeconds * 1000, MAX_TIMER_MS),
        );
      }
      this.open.set(token, task);
      this.armHeartbeat(task);
    });
    return { token, result };
  }

  succeed(token: unknown, output: unknown): void {
    const text = typeof output === 'string' ? output : undefined;
    if (text === undefined) throw new StepFunctionsApiError('InvalidOutput', 'output must be a JSON string');
    if (Buffer.byteLength(text) > OUTPUT_LIMIT_BYTES) throw new StepFunctionsApiError('InvalidOutput', `output is larger than ${OUTPUT_LIMIT_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new StepFunctionsApiError('InvalidOutput', 'Invalid Output: output is not valid JSON');
    }
    this.find(token).settle({ ok: true, output: parsed });
  }

  fail(token: unknown, error: unknown, cause: unknown): void {
    const task = this.find(token);
    task.settle({ ok: false, error: typeof error === 'string' ? error : '', cause: typeof cause === 'string' ? cause : '' });
  }

  heartbeat(token: unknown): void {
    this.armHeartbeat(this.find(token));
  }

  /** Settles a task from inside the service (a local worker answered directly); nothing when it has ended already. */
  complete(token: string, result: TaskResult): void {
    this.open.get(token)?.settle(result);
  }

  /** Ends every task of a run (the execution was stopped or ended): their tokens are refused from now on. */
  closeRun(runId: string): void {
    for (const task of [...this.open.values()]) {
      if (task.runId === runId) task.settle({ ok: false, error: 'States.Runtime', cause: 'The execution has ended' });
    }
  }

  private armHeartbeat(task: OpenTask): void {
    if (task.heartbeatMs === undefined) return;
    clearTimeout(task.heartbeatTimer);
    task.heartbeatTimer = setTimeout(
      () => task.settle({ ok: false, error: 'States.HeartbeatTimeout', cause: 'No heartbeat within HeartbeatSeconds' }),
      Math.min(task.heartbeatMs, MAX_TIMER_MS),
    );
  }

  private find(token: unknown): OpenTask {
    if (typeof token !== 'string' || token.length < 1 || token.length > 2048) throw new StepFunctionsApiError('InvalidToken', 'Invalid Token');
    const task = this.open.get(token);
    if (task) return task;
    if (this.closed.has(token)) throw new StepFunctionsApiError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    throw new StepFunctionsApiError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  /** True when the token was open (its task settles now), false when it had ended already. */
  private close(token: string): boolean {
    const task = this.open.get(token);
    if (!task) return false;
    clearTimeout(task.heartbeatTimer);
    clearTimeout(task.timeoutTimer);
    this.open.delete(token);
    this.closed.add(token);
    return true;
  }
}
