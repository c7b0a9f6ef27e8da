/** Figures of one simulated run: usage, latency from completion to archive, window misses, history. Pure. */
import { distribution, max, mean, type Distribution } from '../lib/stats';
import { measuredUsage, type DesignUsage } from './designs';
import type { SimulatedCheck } from './simulate';

/** Liveness frames and KYC images stay available about 30 minutes after completion. */
export const IMAGE_WINDOW_SECONDS = 30 * 60;
/** The p95 latency targets: ≤ 5 s for checks that finish within this many seconds of creation, ≤ 60 s after. */
export const FAST_CHECK_SECONDS = 10 * 60;
/** AWS Standard workflows fail an execution whose history exceeds 25,000 events. */
export const HISTORY_EVENT_LIMIT = 25_000;
/** The target: no execution above a tenth of that. */
export const HISTORY_EVENT_BUDGET = HISTORY_EVENT_LIMIT / 10;

export interface CheckFigures {
  provider: string;
  usage: DesignUsage;
  /** Archive (or, for a failure, record) task invocations: the scale model's per-check archive usage. */
  archives: number;
  /** Seconds from the final terminal answer to the archive (or record) task; undefined if it never ran. */
  latency?: number;
  /** Seconds from escalation to the escalation's archive task (escalated verifications). */
  escalationLatency?: number;
  finishedWithin10Min: boolean;
  succeeded: boolean;
}

export function figuresOf(run: SimulatedCheck, usage: DesignUsage = measuredUsage(run)): CheckFigures {
  const { check } = run;
  const final = run.archives.filter((a) => a.kind !== 'escalation').at(-1);
  const escalation = run.archives.find((a) => a.kind === 'escalation');
  return {
    provider: check.provider,
    usage,
    archives: run.archives.length,
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
  /** Every usage figure, averaged per check. */
  usage: DesignUsage;
  archivesPerCheck: number;
  historyEventsMax: number;
  /** Executions AWS would have failed for exceeding the history limit. */
  overHistoryLimit: number;
  /** Executions above a tenth of it (the target: none). */
  overHistoryBudget: number;
  latency: Distribution;
  /** Latency of the checks that finished within 10 minutes (the ≤ 5 s target). */
  latencyFast: Distribution;
  /** Latency of the checks that finished later (the ≤ 60 s target). */
  latencyLate: Distribution;
  escalationLatency: Distribution;
  /** Archived more than 30 minutes after completion, or never archived. */
  windowMisses: number;
  /** Executions that did not succeed, or ended in Record failure. */
  failures: number;
}

function meanUsage(usages: readonly DesignUsage[]): DesignUsage {
  const keys = Object.keys(usages[0] ?? {}) as (keyof DesignUsage)[];
  return Object.fromEntries(keys.map((key) => [key, mean(usages.map((u) => u[key] ?? 0))])) as unknown as DesignUsage;
}

export function groupFigures(checks: readonly CheckFigures[]): GroupFigures {
  const latencies = checks.flatMap((c) => (c.latency === undefined ? [] : [c.latency]));
  const fast = checks.flatMap((c) => (c.latency !== undefined && c.finishedWithin10Min ? [c.latency] : []));
  const late = checks.flatMap((c) => (c.latency !== undefined && !c.finishedWithin10Min ? [c.latency] : []));
  const escalations = checks.flatMap((c) => (c.escalationLatency === undefined ? [] : [c.escalationLatency]));
  const usage = meanUsage(checks.map((c) => c.usage));
  return {
    checks: checks.length,
    transitionsPerCheck: usage.transitions,
    pollsPerCheck: usage.polls,
    usage,
    archivesPerCheck: mean(checks.map((c) => c.archives)),
    historyEventsMax: max(checks.map((c) => c.usage.historyEvents)),
    overHistoryLimit: checks.filter((c) => c.usage.historyEvents > HISTORY_EVENT_LIMIT).length,
    overHistoryBudget: checks.filter((c) => c.usage.historyEvents > HISTORY_EVENT_BUDGET).length,
    latency: distribution(latencies),
    latencyFast: distribution(fast),
    latencyLate: distribution(late),
    escalationLatency: distribution(escalations),
    windowMisses: checks.filter((c) => c.latency === undefined || c.latency > IMAGE_WINDOW_SECONDS).length,
    failures: checks.filter((c) => !c.succeeded || c.latency === undefined).length,
  };
}

