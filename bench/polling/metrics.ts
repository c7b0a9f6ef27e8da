/** Figures of one simulated run: transitions, latency from completion to archive, window misses. Pure. */
import { distribution, mean, max, type Distribution } from '../lib/stats';
import type { SimulatedCheck } from './simulate';

/** Liveness frames and KYC images stay available about 30 minutes after completion. */
export const IMAGE_WINDOW_SECONDS = 30 * 60;
/** The p95 latency target applies to checks that finish within this many seconds of creation. */
export const FAST_CHECK_SECONDS = 10 * 60;
/** AWS Standard workflows fail an execution whose history exceeds 25,000 events. */
export const HISTORY_EVENT_LIMIT = 25_000;

export interface CheckFigures {
  provider: string;
  transitions: number;
  polls: number;
  invocations: number;
  historyEvents: number;
  /** Seconds from the final terminal answer to the archive (or record) task; undefined if it never ran. */
  latency?: number;
  /** Seconds from escalation to the escalation's archive task (escalated verifications). */
  escalationLatency?: number;
  finishedWithin10Min: boolean;
  succeeded: boolean;
}

export function figuresOf(run: SimulatedCheck): CheckFigures {
  const { check } = run;
  const final = run.archives.filter((a) => a.kind !== 'escalation').at(-1);
  const escalation = run.archives.find((a) => a.kind === 'escalation');
  return {
    provider: check.provider,
    transitions: run.transitions,
    polls: run.polls,
    invocations: run.polls + run.archives.length,
    historyEvents: run.historyEvents,
    ...(final && final.kind !== 'failure' ? { latency: final.at - check.endsAt } : {}),
    ...(escalation && check.provider === 'verification' && check.outcome === 'escalated' ? { escalationLatency: escalation.at - check.escalatedAt } : {}),
    finishedWithin10Min: check.endsAt <= FAST_CHECK_SECONDS,
    succeeded: run.status === 'SUCCEEDED',
  };
}

export interface GroupFigures {
  checks: number;
  transitionsPerCheck: number;
  pollsPerCheck: number;
  invocationsPerCheck: number;
  historyEventsMax: number;
  /** Executions AWS would have failed for exceeding the history limit. */
  overHistoryLimit: number;
  latency: Distribution;
  /** Latency of the checks that finished within 10 minutes (the p95 target). */
  latencyFast: Distribution;
  escalationLatency: Distribution;
  /** Archived more than 30 minutes after completion, or never archived. */
  windowMisses: number;
  /** Executions that did not succeed, or ended in Record failure. */
  failures: number;
}

export function groupFigures(checks: readonly CheckFigures[]): GroupFigures {
  const latencies = checks.flatMap((c) => (c.latency === undefined ? [] : [c.latency]));
  const fast = checks.flatMap((c) => (c.latency !== undefined && c.finishedWithin10Min ? [c.latency] : []));
  const escalations = checks.flatMap((c) => (c.escalationLatency === undefined ? [] : [c.escalationLatency]));
  return {
    checks: checks.length,
    transitionsPerCheck: mean(checks.map((c) => c.transitions)),
    pollsPerCheck: mean(checks.map((c) => c.polls)),
    invocationsPerCheck: mean(checks.map((c) => c.invocations)),
    historyEventsMax: max(checks.map((c) => c.historyEvents)),
    overHistoryLimit: checks.filter((c) => c.historyEvents > HISTORY_EVENT_LIMIT).length,
    latency: distribution(latencies),
    latencyFast: distribution(fast),
    escalationLatency: distribution(escalations),
    windowMisses: checks.filter((c) => c.latency === undefined || c.latency > IMAGE_WINDOW_SECONDS).length,
    failures: checks.filter((c) => !c.succeeded || c.latency === undefined).length,
  };
}
