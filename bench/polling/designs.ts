/**
 * What each design bills for one check, counted from a simulated run. The deployed design (the poll loop) and the
 * baselines (the workflow's own Wait loop) are real runs of the synthesized state machine; the other candidates are
 * modelled on the deployed run's poll times — the same polls, waited for by other means:
 *
 * - express: the fast phase in Express children started with `startExecution.sync:2` (each ≤ EXPRESS_CHILD_SECONDS,
 *   two Standard transitions: the task and the route), billed by duration × 64 MB; the slow phase and the review
 *   loop in the Standard workflow (Wait → Poll → Route, three transitions a poll).
 * - retry: the poll task throws NotReady and a Retry is the wait: one billed transition per poll after a task's first.
 * - durable: one Lambda durable function per check, a step and a wait per poll (two durable operations), an
 *   operation per archive; every resume is an invocation; no Step Functions.
 * - lambda-loop: the fast phase in one poll invocation that sleeps between polls (≤ LAMBDA_LOOP_SECONDS each), the
 *   rest as in express: the function is held, and billed, while it sleeps.
 *
 * Pure (tested in test/bench/designs.test.ts).
 */
import type { PollingPolicy } from '../../lambdas/polling/polling-policy';
import { POLL_TASK_SECONDS, type SimulatedCheck } from './simulate';

export const DESIGN_IDS = ['ours', 'express', 'retry', 'durable', 'lambda-loop'] as const;
export type DesignId = (typeof DESIGN_IDS)[number];

export const DESIGNS: Record<DesignId, { label: string; description: string }> = {
  ours: { label: 'ours: poll loop (SQS delays, task token)', description: 'Deployed. Measured: the workflow waits on Poll provider while the poll function polls and waits as SQS message delays.' },
  express: { label: 'a. Express hot phase (.sync:2)', description: 'Modelled: the first 10 minutes in Express children of ≤ 285 s (64 MB, billed by duration), then the Standard Wait → Poll → Route loop; reviews in the Standard loop.' },
  retry: { label: 'b. Retry as the wait', description: 'Modelled: the poll task throws NotReady while pending and Retry waits; each retry is a billed transition (aws.amazon.com/step-functions/pricing).' },
  durable: { label: 'c. Lambda durable function', description: 'Modelled: one durable function per check: a step and a wait per poll, an invoke per archive; each resume an invocation; no Step Functions.' },
  'lambda-loop': { label: 'c. in-Lambda loop (fast phase)', description: 'Modelled: the first 10 minutes in one poll invocation that sleeps between polls (held, and billed, while it sleeps), then the Standard loop.' },
};

/** An Express child runs at most 5 minutes; the parent starts the next one a little before. */
export const EXPRESS_CHILD_SECONDS = 285;
/** An in-Lambda loop stays under Lambda's 15-minute timeout. */
export const LAMBDA_LOOP_SECONDS = 890;
/** Express bills duration in 100 ms steps. */
const EXPRESS_STEP_SECONDS = 0.1;
/** History events per added Standard transition of a Wait → Task → Choice loop (2 + 5 + 2 events per 3 states). */
export const EVENTS_PER_LOOP_TRANSITION = 3;
/** History events a Lambda retry adds (scheduled, started, failed). */
export const EVENTS_PER_RETRY = 3;

export interface DesignUsage {
  /** Standard state transitions. */
  transitions: number;
  /** Standard history events (all of them logged: LogLevel.ALL). */
  historyEvents: number;
  /** Poll function invocations that poll once. */
  polls: number;
  /** Poll function invocations that only pass a long wait on (the poll loop's hops). */
  hops: number;
  /** Invocations held through a loop of polls (in-Lambda loop), and the seconds they are held. */
  heldInvocations: number;
  heldSeconds: number;
  /** SQS messages (each sent, received and deleted once). */
  sqsMessages: number;
  expressExecutions: number;
  /** Billed Express seconds (100 ms steps per execution). */
  expressSeconds: number;
  durableOperations: number;
  /** Durable function invocations (resumes) besides the polls themselves. */
  durableResumes: number;
  /** Step Functions API calls made by the design's own code: SendTask* answers and heartbeats, child starts. */
  sfnApiCalls: number;
  /** Webhooks on: receiver invocations (one per notification). */
  webhookRequests?: number;
  /** Webhooks on: wake-up table writes (the loop's registrations; the receiver's delivery id and wake-up). */
  wakeWrites?: number;
}

const none = { polls: 0, hops: 0, heldInvocations: 0, heldSeconds: 0, sqsMessages: 0, expressExecutions: 0, expressSeconds: 0, durableOperations: 0, durableResumes: 0, sfnApiCalls: 0 };

/** A real run: the deployed poll loop or a baseline's Wait loop. */
export function measuredUsage(run: SimulatedCheck): DesignUsage {
  const messages = run.tasks.reduce((sum, task) => sum + task.messages, 0);
  const loop = messages > 0;
  // Each wake-up: the woken copy is among the messages; the delayed original still arrives, polls and ends superseded.
  const wakes = run.tasks.reduce((sum, task) => sum + (task.wakes ?? 0), 0);
  const webhooks = run.webhooks === undefined ? {} : {
    webhookRequests: run.webhooks,
    wakeWrites: run.tasks.reduce((sum, task) => sum + (task.wakeWrites ?? 0), 0) + 2 * run.webhooks,
  };
  return {
    ...none,
    transitions: run.transitions,
    historyEvents: run.historyEvents,
    polls: run.polls + wakes,
    hops: loop ? messages - run.polls : 0,
    sqsMessages: messages + wakes,
    sfnApiCalls: loop ? run.tasks.length + run.tasks.reduce((sum, task) => sum + task.heartbeats, 0) : 0,
    ...webhooks,
  };
}

/** The fast-phase polls of the first task and the rest, by the first poll's clock (firstPolledAt). */
function phases(run: SimulatedCheck, policy: PollingPolicy) {
  const [first, ...later] = run.tasks;
  const start = first?.polls[0] ?? 0;
  const hot = first ? first.polls.filter((t) => t - start < policy.fastPhaseSeconds) : [];
  const slowFirst = (first?.polls.length ?? 0) - hot.length;
  const slowLater = later.map((task) => task.polls.length);
  const span = hot.length > 0 ? hot.at(-1)! + POLL_TASK_SECONDS - hot[0]! : 0;
  return { hot, slowFirst, slowLater, span, laterTasks: later.length };
}

/** Standard transitions when the fast phase runs in `fastTasks` tasks and every other poll in the Wait loop. */
function standardLoopTransitions(run: SimulatedCheck, fastTasks: number, p: ReturnType<typeof phases>): number {
  // The deployed run's tasks each cost Poll provider + Route; a later task already follows its Wait state.
  const first = run.tasks.length > 0 ? 2 * fastTasks + 3 * p.slowFirst - 2 : 0;
  const later = p.slowLater.reduce((sum, polls) => sum + 3 * polls - 3, 0);
  return run.transitions + first + later;
}

function split(span: number, piece: number): number[] {
  if (span <= 0) return [];
  const pieces = Math.ceil(span / piece);
  return Array.from({ length: pieces }, (_, i) => Math.min(piece, span - i * piece));
}

/** A candidate design, modelled on the deployed run's polls. */
export function modelledUsage(design: Exclude<DesignId, 'ours'>, run: SimulatedCheck, policy: PollingPolicy): DesignUsage {
  const p = phases(run, policy);
  const extraEvents = (transitions: number) => run.historyEvents + (transitions - run.transitions) * EVENTS_PER_LOOP_TRANSITION;
  switch (design) {
    case 'express': {
      const children = split(p.span, EXPRESS_CHILD_SECONDS);
      const transitions = standardLoopTransitions(run, children.length, p);
      const seconds = children.reduce((sum, s) => sum + Math.ceil(s / EXPRESS_STEP_SECONDS - 1e-9) * EXPRESS_STEP_SECONDS, 0);
      return { ...none, transitions, historyEvents: extraEvents(transitions), polls: run.polls, expressExecutions: children.length, expressSeconds: seconds, sfnApiCalls: children.length };
    }
    case 'lambda-loop': {
      const held = split(p.span, LAMBDA_LOOP_SECONDS);
      const transitions = standardLoopTransitions(run, held.length, p);
      return { ...none, transitions, historyEvents: extraEvents(transitions), polls: run.polls - p.hot.length, heldInvocations: held.length, heldSeconds: p.span };
    }
    case 'retry': {
      const retries = run.polls - run.tasks.length;
      return { ...none, transitions: run.transitions + retries, historyEvents: run.historyEvents + retries * EVENTS_PER_RETRY, polls: run.polls };
    }
    case 'durable': {
      const archives = run.archives.length;
      return { ...none, transitions: 0, historyEvents: 0, polls: run.polls, durableOperations: 2 * run.polls + archives, durableResumes: archives + 1 };
    }
  }
}

export function usageOf(design: DesignId, run: SimulatedCheck, policy: PollingPolicy): DesignUsage {
  return design === 'ours' ? measuredUsage(run) : modelledUsage(design, run, policy);
}

/**
 * Assumed durations of the poll function at scale, for the concurrency figures (the cost benchmark measures its own):
 * a poll is a provider round trip (150 ms) plus the handler and the next SendMessage; a hop only sends.
 */
export const INVOCATION_SECONDS = { poll: 0.17, hop: 0.03, webhook: 0.05 } as const;

/** The poll function's busy intervals of one check under a design (seconds since its creation, sorted). */
export function busyIntervals(design: DesignId | 'measured', run: SimulatedCheck, policy: PollingPolicy): Array<[number, number]> {
  const poll = (t: number): [number, number] => [t, t + INVOCATION_SECONDS.poll];
  const polls = run.tasks.flatMap((task) => task.polls);
  if (design === 'lambda-loop') {
    const p = phases(run, policy);
    const hot = new Set(p.hot);
    const held: Array<[number, number]> = split(p.span, LAMBDA_LOOP_SECONDS).map((seconds, i) => {
      const start = p.hot[0]! + i * LAMBDA_LOOP_SECONDS;
      return [start, start + seconds];
    });
    return [...held, ...polls.filter((t) => !hot.has(t)).map(poll)].sort((a, b) => a[0] - b[0]);
  }
  const hops = design === 'ours' || design === 'measured' ? run.tasks.flatMap((task) => task.hops) : [];
  return [...polls.map(poll), ...hops.map((t): [number, number] => [t, t + INVOCATION_SECONDS.hop])].sort((a, b) => a[0] - b[0]);
}
