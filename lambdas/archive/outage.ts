/**
 * How the archive step rides out an outage of the provider (5xx, 429, timeouts, resets) or of S3 and DynamoDB
 * (SlowDown, 503, throttling): measured in time, not in attempts. Pure decisions; lambdas/archive/workflow-steps.ts
 * performs them.
 *
 * After each failure the step waits — the provider's Retry-After when it gives one (capped), else its own backoff —
 * and tries again: a short wait inside the invocation (while its Lambda time allows another attempt), a longer one
 * handed back to the workflow, whose Wait state costs one transition and no compute (the archive output
 * `retry-later` with `retryAfterSeconds`, and this outage's memory for the next attempt). It keeps trying until the
 * evidence window closes: 30 minutes after the check's completion where the poll saw its time, else 30 minutes after
 * the first failure (the poll hands a completed check over within a minute). Past that the images are gone and the
 * step gives up with ArchiveOutageError, which the workflow records (an `error` record saying how long the outage
 * lasted and what failed; reconcile may still fetch the answer later, and the record of that run counts what is
 * missing).
 */
import { ProviderUnavailableError } from '../common/errors';
import { StorageUnavailableError } from '../common/storage-errors';
import type { ProviderName } from '../checks/check-status';
import type { OutageMemory } from '../checks/workflow-contract';

export const OUTAGE = {
  /**
   * The longest the step keeps trying, from the first failure: the provider documents the images as available for
   * "around 30 minutes after the check completes", and the check completed before the first attempt. This also
   * bounds the workflow's retry-later loop (lib/constructs/polling-workflow.ts counts it in the worst chain).
   */
  budgetSeconds: 30 * 60,
  /** Liveness frames and KYC images: around 30 minutes after completion (provider documents). */
  imageWindowSeconds: 30 * 60,
  /** A check whose window closed before the outage began (a re-run, a late poll) still gets this long for its answer. */
  minBudgetSeconds: 5 * 60,
  /** A Retry-After beyond this is read as this: an absurd value must not park the check past its window. */
  maxWaitSeconds: 300,
  /** Without Retry-After: 2 s, doubling, up to 60 s between attempts. */
  initialWaitSeconds: 2,
  maxBackoffSeconds: 60,
  /** Waits up to this long are slept inside the invocation (a hand-back costs transitions and a cold attempt)... */
  inlineMaxWaitSeconds: 5,
  /** ...when at least this much of the invocation's time is left after the wait, for another attempt. */
  attemptReserveMs: 60_000,
} as const;

/** What the step does after a failure it may outwait. */
export type OutageDecision =
  | { kind: 'wait-here'; waitMs: number; outage: OutageMemory }
  | { kind: 'hand-back'; waitSeconds: number; outage: OutageMemory }
  | { kind: 'give-up'; outage: OutageMemory; reason: string };

export interface FailureInput {
  error: ProviderUnavailableError | StorageUnavailableError;
  provider: ProviderName;
  /** This outage so far (from the previous attempts, carried by the workflow), if any. */
  outage?: OutageMemory;
  /** When the check completed, as the poll saw it (the provider's time), if known. */
  completedAt?: string;
  now: Date;
  /** What is left of this invocation's Lambda time (ms). */
  timeLeftMs: number;
}

/** The failures an outage is made of: anything else is the workflow's Retry and Catch to handle. */
export function isOutageFailure(error: unknown): error is ProviderUnavailableError | StorageUnavailableError {
  return error instanceof ProviderUnavailableError || error instanceof StorageUnavailableError;
}

/** Decides what to do after `error`; the outage memory returned is the one to carry to the next attempt. */
export function afterFailure({ error, provider, outage, completedAt, now, timeLeftMs }: FailureInput): OutageDecision {
  const failures = (outage?.failures ?? 0) + 1;
  const since = outage?.since ?? now.toISOString();
  const waited = outage?.waitedSeconds ?? 0;
  const elapsed = elapsedSeconds(since, waited, now);
  const budget = budgetSeconds(provider, since, completedAt);
  const memory: OutageMemory = { since, failures, waitedSeconds: waited, lastError: describe(error) };
  const remaining = budget - elapsed;
  if (remaining < 1) {
    return { kind: 'give-up', outage: memory, reason: givingUp(memory, elapsed, budget, provider, completedAt) };
  }
  // A wait that would end past the window is cut to the window's end: one last try before the evidence is gone.
  const wait = Math.min(waitSecondsAfter(error, failures), remaining);
  const next = { ...memory, waitedSeconds: waited + wait };
  if (wait <= OUTAGE.inlineMaxWaitSeconds && timeLeftMs - wait * 1000 >= OUTAGE.attemptReserveMs) {
    return { kind: 'wait-here', waitMs: Math.round(wait * 1000), outage: next };
  }
  const waitSeconds = Math.max(1, Math.ceil(wait));
  return { kind: 'hand-back', waitSeconds, outage: { ...memory, waitedSeconds: waited + waitSeconds } };
}

/**
 * Seconds to wait after the `failures`-th failure in a row: the provider's Retry-After (seconds or HTTP-date, already
 * parsed and clamped to [0, 3600] by lambdas/common/http.ts) capped at OUTAGE.maxWaitSeconds, never below 1 s; else
 * the step's own backoff. S3 and DynamoDB give no Retry-After: their SDK retries first, then this backoff.
 */
export function waitSecondsAfter(error: ProviderUnavailableError | StorageUnavailableError, failures: number): number {
  const retryAfter = error instanceof ProviderUnavailableError ? error.details.retryAfterSeconds : undefined;
  if (retryAfter !== undefined && Number.isFinite(retryAfter)) return Math.min(OUTAGE.maxWaitSeconds, Math.max(1, Math.ceil(retryAfter)));
  return Math.min(OUTAGE.maxBackoffSeconds, OUTAGE.initialWaitSeconds * 2 ** Math.max(0, failures - 1));
}

/**
 * How long the step may keep trying, counted from the outage's first failure: to the end of the image window when the
 * completion time is known (not before the outage began: a provider's clock ahead of ours gains nothing), at least
 * minBudgetSeconds; else budgetSeconds. Never more than budgetSeconds. Verification answers carry no images: budget.
 */
export function budgetSeconds(provider: ProviderName, since: string, completedAt: string | undefined): number {
  const completed = completedAt === undefined ? Number.NaN : Date.parse(completedAt);
  if (provider === 'verification' || !Number.isFinite(completed)) return OUTAGE.budgetSeconds;
  const start = Date.parse(since);
  const windowLeft = (Math.min(completed, start) + OUTAGE.imageWindowSeconds * 1000 - start) / 1000;
  return Math.min(OUTAGE.budgetSeconds, Math.max(OUTAGE.minBudgetSeconds, windowLeft));
}

/**
 * Time since the outage began: the clock's, or the waits the workflow was asked to make if that is more (a Wait
 * state never ends early; local mode runs them faster than real time, and the budget follows the simulated time).
 */
function elapsedSeconds(since: string, waitedSeconds: number, now: Date): number {
  const byClock = (now.getTime() - Date.parse(since)) / 1000;
  return Math.max(Number.isFinite(byClock) ? byClock : 0, waitedSeconds);
}

/** The failure in a few words for the record: the error's message (typed errors quote no identifiers or bodies). */
function describe(error: Error): string {
  return `${error.name}: ${error.message}`.slice(0, 200);
}

function givingUp(memory: OutageMemory, elapsed: number, budget: number, provider: ProviderName, completedAt?: string): string {
  const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;
  const window =
    provider !== 'verification' && completedAt !== undefined
      ? `the image window (about ${minutes(OUTAGE.imageWindowSeconds)} after completion at ${completedAt}) has closed`
      : `the archive step's outage budget of ${minutes(budget)} is spent`;
  return `outage outlasted the evidence window: ${memory.failures} failed attempts over ${minutes(elapsed)}, ${window}; last: ${memory.lastError}`;
}
