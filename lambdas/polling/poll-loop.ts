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
