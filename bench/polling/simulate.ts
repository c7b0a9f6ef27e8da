/**
 * Runs planned checks through the synthesized state machine on the local Step Functions service, on a virtual clock:
 * each execution keeps its own virtual time, advanced by the waits the poll decided and by modelled durations. Wait
 * states really run, at `timeFactor` × real speed (aws-local-stepfunctions), so the transitions and history events are
 * those of real executions of the deployed definition.
 *
 * `Poll provider` is bound to the poll loop's stand-in: for the deployed design it polls, then waits as the SQS delays
 * would (the same decisions as the poll function: lambdas/polling/poll-loop.ts), until the check needs the workflow;
 * for the baselines it polls once and hands back, and the workflow's Wait state does the waiting.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BENCH_KEY } from '../lib/identifier-key';
import { STATE, type ArchiveOutput, type PollMessage, type PollOutput, type WorkflowState } from '../../lambdas/checks/workflow-contract';
import { afterPoll, beforeDue, WAKE_MIN_WAIT_SECONDS, type NextMessage } from '../../lambdas/polling/poll-loop';
import { parseWorkflowState } from '../../lambdas/workflow/parse-state';
import { startLocalStepFunctions } from '../../local/step-functions-service';
import type { PollingStrategy } from './strategies';
import { nextChangeAfter, VIRTUAL_EPOCH_MS } from './provider-model';
import type { PlannedCheck } from './workload';

/** Modelled duration of one poll task (provider round trip + Lambda), virtual seconds. */
export const POLL_TASK_SECONDS = 0.25;
/**
 * Modelled time from a message becoming visible (its delay over) to the poll function running: the Lambda event
 * source's long polling picks it up. An assumption (it cannot be measured here); it lengthens every loop interval.
 */
export const QUEUE_PICKUP_SECONDS = 0.5;
/** Modelled duration of an archive/record task before the workflow moves on, virtual seconds. */
export const ARCHIVE_TASK_SECONDS = 1;

export type ArchiveKind = 'evidence' | 'escalation' | 'outcome' | 'failure';

/** One `Poll provider` task: the polls it made (virtual seconds since the check's creation) and its messages. */
export interface LoopTask {
  polls: number[];
  /** SQS messages delivered (the workflow's first one, then one per wait or hop of a long wait); 0 for baselines. */
  messages: number;
  /** When the messages that only passed a long wait on arrived. */
  hops: number[];
  /** SendTaskHeartbeat calls. */
  heartbeats: number;
  /** Webhooks on: loops woken by a notification (each also leaves its delayed original to end superseded). */
  wakes?: number;
  /** Webhooks on: the loop's writes to the wake-up table (the touch, each registered message, the last advance). */
  wakeWrites?: number;
}

/** What one check's execution did, in virtual seconds since the check's creation. */
export interface SimulatedCheck {
  check: PlannedCheck;
  status: string;
  transitions: number;
  historyEvents: number;
  polls: number;
  tasks: LoopTask[];
  /** Archive/record task invocations by kind, with the virtual second each started. */
  archives: Array<{ kind: ArchiveKind; at: number; pollState?: string }>;
  /** Webhooks on: notifications the provider sent about the check (one per change while it was followed). */
  webhooks?: number;
}

export interface SimulationOptions {
  definition: object;
  strategy: PollingStrategy;
  checks: readonly PlannedCheck[];
  /** Real-time speed-up of Wait states; the definition's TimeoutSeconds is scaled too, so it must stay moderate. */
  timeFactor: number;
  /** Distinguishes execution names between runs. */
  runId: string;
}

const at = (t: number) => new Date(VIRTUAL_EPOCH_MS + Math.round(t * 1000));

export async function simulate({ definition, strategy, checks, timeFactor, runId }: SimulationOptions): Promise<SimulatedCheck[]> {
  const byRef = new Map(checks.map((check) => [check.checkRef, check]));
  const clock = new Map<string, number>();
  const tasks = new Map<string, LoopTask[]>();
  const archives = new Map<string, SimulatedCheck['archives']>();
  const planOf = (state: WorkflowState) => {
    const plan = byRef.get(state.check.checkRef);
    if (!plan) throw new Error('unknown check');
    return plan;
  };
  const pause = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, (seconds * 1000) / timeFactor));

  const poll = async (input: unknown): Promise<PollOutput> => {
    const state = parseWorkflowState(input, BENCH_KEY);
    const plan = planOf(state);
    const ref = plan.checkRef;
    const task: LoopTask = { polls: [], messages: strategy.loop ? 1 : 0, hops: [], heartbeats: 0, wakes: 0, wakeWrites: 0 };
    tasks.set(ref, [...(tasks.get(ref) ?? []), task]);
    // A task after the first follows exactly one Wait of the previous poll's waitSeconds.
    let t = (state.poll ? clock.get(ref)! + state.poll.waitSeconds : strategy.startsAt(plan)) + (strategy.loop ? QUEUE_PICKUP_SECONDS : 0);
    let message: PollMessage = { taskToken: 'bench', state };
    const wakes = strategy.loop === true && strategy.wakeAt !== undefined;
    // As the poll loop does with webhooks on (lambdas/polling/poll-queue.ts): a touch per loop, then once a wait is
    // registered, an advance per message and one at the hand-back.
    let registered = false;
    if (wakes) task.wakeWrites! += 1;
    for (;;) {
      task.polls.push(t);
      const polledAt = t;
      const out = await strategy.poll(message.state, plan, t);
      t += POLL_TASK_SECONDS;
      clock.set(ref, t);
      if (!strategy.loop) return out;
      const step = afterPoll(message, out, at(t));
      if (step.kind === 'hand-back') {
        if (registered) task.wakeWrites! += 1;
        return wakes && step.output.state === 'escalated' ? { ...step.output, waitSeconds: 0 } : step.output;
      }
      // The waits as SQS delays: hop after hop until the next poll is due, or until a notification wakes the loop.
      let next: NextMessage | undefined = step;
      while (next) {
        task.heartbeats += next.heartbeat ? 1 : 0;
        registered ||= wakes && next.delaySeconds > WAKE_MIN_WAIT_SECONDS;
        if (registered) task.wakeWrites! += 1;
        // A change during the poll (after the provider answered) is notified too: look from the poll's start.
        const wakeAt = registered ? strategy.wakeAt!(plan, polledAt) : undefined;
        const woken = wakeAt !== undefined && wakeAt < t + next.delaySeconds;
        const delay = woken ? Math.max(0, wakeAt - t) : next.delaySeconds;
        await pause(delay);
        t += delay + QUEUE_PICKUP_SECONDS;
        task.messages += 1;
        if (woken) {
          // The woken copy, due now; the delayed original comes later and ends superseded (after its own poll).
          task.wakes! += 1;
          const { pollAt: _due, ...copy } = next.message;
          message = copy;
          break;
        }
        message = next.message;
        next = beforeDue(message, at(t));
        if (next) task.hops.push(t);
      }
    }
  };
  const archive = (kind: ArchiveKind) => async (input: unknown): Promise<ArchiveOutput> => {
    const state = input as WorkflowState;
    const ref = state.check.checkRef;
    const start = clock.get(ref) ?? 0;
    const list = archives.get(ref) ?? [];
    list.push({ kind, at: start, ...(state.poll ? { pollState: state.poll.state } : {}) });
    archives.set(ref, list);
    clock.set(ref, start + ARCHIVE_TASK_SECONDS);
    return { status: kind === 'escalation' ? 'escalated' : 'archived', objects: 0, bytes: 0 };
  };

  const service = await startLocalStepFunctions({
    definition,
    timeFactor,
    maxConcurrentExecutions: Math.max(1, checks.length),
    taskHandlers: {
      [STATE.poll]: poll,
      [STATE.archive]: archive('evidence'),
      [STATE.recordEscalation]: archive('escalation'),
      [STATE.record]: archive('outcome'),
      [STATE.recordFailure]: archive('failure'),
    },
  });
  const sfn = new SFNClient({ endpoint: service.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const names = new Map<string, PlannedCheck>();
  try {
    for (const [i, check] of checks.entries()) {
      const name = `${runId}-${strategy.id}-${i}`;
      names.set(name, check);
      const input: WorkflowState = {
        check: { provider: check.provider, checkId: check.checkId, checkRef: check.checkRef, createdAt: at(0).toISOString() },
      };
      await sfn.send(new StartExecutionCommand({ stateMachineArn: service.stateMachineArn, name, input: JSON.stringify(input) }));
    }
    await service.idle();
    return service.executions().map((execution) => {
      const check = names.get(execution.name)!;
      const checkTasks = tasks.get(check.checkRef) ?? [];
      return {
        check,
        status: execution.status,
        transitions: execution.transitions,
        historyEvents: execution.events,
        polls: checkTasks.reduce((sum, task) => sum + task.polls.length, 0),
        tasks: checkTasks,
        archives: archives.get(check.checkRef) ?? [],
        ...(strategy.wakeAt ? { webhooks: changesOf(check) } : {}),
      };
    });
  } finally {
    sfn.destroy();
    await service.close();
  }
}

/** The changes a provider notifies about one check: its end, and before it an escalation. */
function changesOf(check: PlannedCheck): number {
  let changes = 0;
  for (let t = -1, next = nextChangeAfter(check, t); next !== undefined; t = next, next = nextChangeAfter(check, t)) changes += 1;
  return changes;
}
