/**
 * The poll loop, decided: after each poll, either the check needs the workflow again (hand the poll back) or the loop
 * waits and polls again — the wait being an SQS message delay, which costs a request, not a state transition. Pure:
 * lambdas/polling/poll-queue.ts performs what this decides; the benchmark runs the same decisions on a virtual clock.
 */
import type { PollMessage, PollOutput, WorkflowState } from '../checks/workflow-contract';

export const LOOP = {
  /**
   * Longest delay of one message. SQS allows 900 s; shorter hops keep the loop reporting to the workflow in time
   * (a longer wait is passed on in hops, polling only when it is due).
   */
  maxHopSeconds: 300,
  /** The loop tells the workflow it is alive (SendTaskHeartbeat) once this long has passed since it last did. */
  heartbeatEverySeconds: 300,
  /**
   * The workflow's HeartbeatSeconds on `Poll provider`: a loop silent this long is presumed lost (its message died in
   * the dead-letter queue) and the task is retried. At most two hops pass between heartbeats, with a redelivery to spare.
   */
  heartbeatTimeoutSeconds: 900,
} as const;

/** Whether the workflow has something to do with this poll: archive, record, archive an escalation. */
export function needsWorkflow(state: WorkflowState, poll: PollOutput): boolean {
  if (poll.state === 'pending') return false;
  // A review already archived: the workflow only waits for its end, which the loop can do.
  if (poll.state === 'escalated' && state.archive !== undefined) return false;
  return true;
}

/** Send the next message after `delaySeconds`; first tell the workflow the loop is alive when `heartbeat`. */
export interface NextMessage {
  kind: 'again';
  message: PollMessage;
  delaySeconds: number;
  heartbeat: boolean;
}

/** SendTaskSuccess with the poll (the workflow routes it), or the next message. */
export type LoopStep = { kind: 'hand-back'; output: PollOutput } | NextMessage;

/** After a poll: back to the workflow, or the next message (the poll recorded in its state). */
export function afterPoll(message: PollMessage, poll: PollOutput, now: Date): LoopStep {
  if (needsWorkflow(message.state, poll)) return { kind: 'hand-back', output: poll };
  return passOn({ ...message, state: { ...message.state, poll } }, poll.waitSeconds, now);
}

/**
 * A message that arrives before its poll is due (one hop of a long wait): the next hop. Undefined when the poll is due
 * (within a second: SQS delays are whole seconds).
 */
export function beforeDue(message: PollMessage, now: Date): NextMessage | undefined {
  if (message.pollAt === undefined) return undefined;
  const remaining = Math.ceil((Date.parse(message.pollAt) - now.getTime()) / 1000);
  if (!(remaining > 1)) return undefined;
  const { pollAt: _due, ...rest } = message;
  return passOn(rest, remaining, now);
}

function passOn(message: PollMessage, waitSeconds: number, now: Date): NextMessage {
  const last = message.heartbeatAt === undefined ? now.getTime() : Date.parse(message.heartbeatAt);
  const heartbeat = now.getTime() - last >= LOOP.heartbeatEverySeconds * 1000;
  const wait = Math.max(0, Math.ceil(waitSeconds));
  const long = wait > LOOP.maxHopSeconds;
  const { pollAt: _old, ...rest } = message;
  return {
    kind: 'again',
    heartbeat,
    delaySeconds: long ? LOOP.maxHopSeconds : wait,
    message: {
      ...rest,
      // The workflow's first message carries none: the task started a moment ago.
      heartbeatAt: heartbeat || message.heartbeatAt === undefined ? now.toISOString() : message.heartbeatAt,
      ...(long ? { pollAt: new Date(now.getTime() + wait * 1000).toISOString() } : {}),
    },
  };
}

/**
 * Webhooks on: a wait longer than this is registered so a notification can end it (the message stored beside the
 * check, lambdas/polling/wake-store.ts); shorter ones poll soon enough anyway, without a write per message. Once a
 * loop registered a message, every later one is registered too, so a stored message is always the one in flight.
 */
export const WAKE_MIN_WAIT_SECONDS = 5;

/** Clocks of two functions may differ this much: a notification this close before the poll may not be in its answer. */
const WAKE_SKEW_MS = 1_000;

/** Whether this step goes through the wake-up table (advance the loop's number, store or clear the message). */
export function registers(message: PollMessage, step: LoopStep): boolean {
  if (message.seq !== undefined) return true;
  return step.kind === 'again' && step.delaySeconds > WAKE_MIN_WAIT_SECONDS;
}

/**
 * A notification recorded while this turn polled (`wokenAt`, read back when the loop advanced): the poll may have
 * missed what it announced, so poll again at once — once per notification (`wokeAt` remembers it). One that came
 * before the poll began was answered by the poll itself.
 */
export function wokenDuring(step: NextMessage, wokenAt: string | undefined, polledAt: Date): NextMessage {
  if (wokenAt === undefined || step.delaySeconds === 0) return step;
  const served = step.message.wokeAt;
  if (served !== undefined && Date.parse(wokenAt) <= Date.parse(served)) return step;
  if (Date.parse(wokenAt) < polledAt.getTime() - WAKE_SKEW_MS) return step;
  const { pollAt: _due, ...rest } = step.message;
  return { ...step, delaySeconds: 0, message: { ...rest, wokeAt: wokenAt } };
}
