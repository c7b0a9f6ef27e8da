/**
 * Pauses of Wait states and Retry fields at `timeFactor` times real speed, as aws-local-stepfunctions overrides
 * (milliseconds). The library reads `waitTimeOverrides[state]` each time a Wait state runs and
 * `retryIntervalOverrides[state]` each time a state fails, so these are computed at that moment from the state's own
 * fields, its current input and how often each retrier has fired.
 */
import type { RetrierDefinition, StateDefinition } from './definition';
import { resolveSimplePath } from './json-path';

const DEFAULT_INTERVAL_SECONDS = 1;
const DEFAULT_BACKOFF_RATE = 2;

/**
 * How long the Wait state pauses (ms) at `timeFactor`, given its input; undefined when its duration cannot be read
 * with the simple path subset, so the library evaluates the state itself (at real speed, or failing with the
 * States.Runtime error AWS would raise). Timestamps: the remaining time until the instant, divided by `timeFactor`.
 */
export function scaledWaitMs(state: StateDefinition, input: unknown, timeFactor: number, now: number): number | undefined {
  if (typeof state.Seconds === 'number') return (state.Seconds * 1000) / timeFactor;
  if (typeof state.Timestamp === 'string') return untilMs(state.Timestamp, timeFactor, now);
  const effective = state.InputPath === undefined ? input : state.InputPath === null ? {} : resolveSimplePath(state.InputPath, input);
  if (effective === undefined) return undefined;
  if (typeof state.SecondsPath === 'string') {
    const seconds = resolveSimplePath(state.SecondsPath, effective);
    return Number.isInteger(seconds) && (seconds as number) >= 0 ? ((seconds as number) * 1000) / timeFactor : undefined;
  }
  if (typeof state.TimestampPath === 'string') {
    const timestamp = resolveSimplePath(state.TimestampPath, effective);
    return typeof timestamp === 'string' ? untilMs(timestamp, timeFactor, now) : undefined;
  }
  return undefined;
}

function untilMs(timestamp: string, timeFactor: number, now: number): number | undefined {
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now) / timeFactor;
}

/**
 * The pause (ms) before the next retry of each retrier at `timeFactor`: IntervalSeconds × BackoffRate^attempts,
 * capped by MaxDelaySeconds, times a random fraction for JitterStrategy FULL — the formula AWS and the library use.
 * `attempts[i]` is how many times retrier i has fired since the state was entered. (A constant override would lose
 * the backoff growth: the library uses an override instead of its own computation.)
 */
export function scaledRetryIntervalsMs(
  retriers: readonly RetrierDefinition[],
  attempts: readonly number[],
  timeFactor: number,
  random: () => number = Math.random,
): number[] {
  return retriers.map((retrier, i) => {
    const interval = (retrier.IntervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * (retrier.BackoffRate ?? DEFAULT_BACKOFF_RATE) ** (attempts[i] ?? 0);
    const capped = retrier.MaxDelaySeconds === undefined ? interval : Math.min(interval, retrier.MaxDelaySeconds);
    const jittered = retrier.JitterStrategy === 'FULL' ? capped * random() : capped;
    return (jittered * 1000) / timeFactor;
  });
}
