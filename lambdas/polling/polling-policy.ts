import { z } from 'zod';

/**
 * How a check is polled: every 3 s (the liveness doc's advised 2-3 s) for the first ten minutes, when most checks
 * finish (archived within ~5 s of completion), then backing off to a 60 s cap that keeps the ~30-minute image window
 * safe; escalated reviews every 60 s; bounded per provider so nothing polls forever. The polls run in the poll loop
 * (lambdas/polling/poll-loop.ts), outside the workflow's history: a poll costs no state transition.
 */
const budgetSeconds = z.number().int().min(60).max(30 * 86_400);

export const pollingPolicySchema = z
  .object({
    initialSeconds: z.number().int().min(1).max(60).default(3),
    factor: z.number().min(1).max(4).default(2),
    maxSeconds: z.number().int().min(1).max(600).default(60),
    /**
     * Most checks finish within their first minutes: while polling is younger than fastPhaseSeconds, no wait exceeds
     * fastMaxSeconds, so a check is archived within ~5 s of completing; afterwards the backoff grows to maxSeconds.
     */
    fastPhaseSeconds: z.number().int().min(0).max(86_400).default(600),
    fastMaxSeconds: z.number().int().min(1).max(600).default(3),
    /** Between polls of an escalated verification: a resolved review is archived within a minute. */
    escalationSeconds: z.number().int().min(60).max(86_400).default(60),
    /**
     * Between polls of a review when the provider's webhooks are on (docs/webhooks.md): a notification wakes the loop
     * at the resolution, so polling is only the safety net — a lost notification costs up to this much latency.
     */
    escalationSecondsWithWebhooks: z.number().int().min(60).max(86_400).default(900),
    /**
     * How long an escalated verification is followed, from the first poll: reviews overrun their deadlines, so
     * polling goes on past them up to this ceiling (a Standard workflow may run a year).
     */
    maxEscalationSeconds: z.number().int().min(3_600).max(300 * 86_400).default(7 * 86_400),
    /** Polling-time budget per provider, from the first poll; past it the check is recorded as timed-out. */
    maxPollingSeconds: z
      .object({ liveness: budgetSeconds, kyc: budgetSeconds, verification: budgetSeconds })
      .strict()
      .default({ liveness: 3_600, kyc: 86_400, verification: 86_400 }),
    /**
     * Hard cap on the polls of one check, whatever its budgets say: 12,000 covers a week of escalation at 60 s. Polls
     * add nothing to the workflow's history (the loop runs outside it), so the cap bounds cost, not history.
     */
    maxPolls: z.number().int().min(1).max(50_000).default(12_000),
    /**
     * Consecutive transient provider errors absorbed into the poll loop (their waits doubling from initialSeconds to
     * maxSeconds) before the check is recorded as an error: 30 ride out about half an hour of provider outage, rather
     * than ending checks that still had hours of budget.
     */
    maxTransientErrors: z.number().int().min(0).max(50).default(30),
  })
  .strict()
  .refine((p) => p.maxSeconds >= p.initialSeconds, { message: 'maxSeconds must be ≥ initialSeconds' })
  .refine((p) => p.fastMaxSeconds <= p.maxSeconds, { message: 'fastMaxSeconds must be ≤ maxSeconds' });

export type PollingPolicy = z.output<typeof pollingPolicySchema>;

export const DEFAULT_POLLING_POLICY: PollingPolicy = pollingPolicySchema.parse({});

/**
 * The policy of a provider whose webhooks are on: polling is the safety net, the notifications bring the news. No
 * fast phase (the backoff grows from the first poll to maxSeconds: a lost notification costs at most that, well
 * inside the image window) and reviews every escalationSecondsWithWebhooks.
 */
export function withWebhooks(policy: PollingPolicy): PollingPolicy {
  return {
    ...policy,
    fastMaxSeconds: policy.maxSeconds,
    escalationSeconds: Math.max(policy.escalationSeconds, policy.escalationSecondsWithWebhooks),
  };
}

/**
 * Seconds to wait after poll number `attempt` (1-based), `elapsedSeconds` into polling: initial × factor^(attempt-1),
 * capped at fastMaxSeconds during the fast phase and at maxSeconds after it, whole seconds.
 */
export function backoffSeconds(policy: PollingPolicy, attempt: number, elapsedSeconds = 0): number {
  const raw = policy.initialSeconds * policy.factor ** Math.max(0, attempt - 1);
  const cap = elapsedSeconds < policy.fastPhaseSeconds ? policy.fastMaxSeconds : policy.maxSeconds;
  return Math.max(1, Math.min(cap, Math.round(raw)));
}

/**
 * Seconds to wait after the `errors`-th transient provider error in a row: initial × factor^(errors-1), capped at
 * maxSeconds and never by the fast phase — an outage is ridden out at the full backoff, not hammered every 3 s.
 */
export function transientBackoffSeconds(policy: PollingPolicy, errors: number): number {
  return Math.max(1, Math.min(policy.maxSeconds, Math.round(policy.initialSeconds * policy.factor ** Math.max(0, errors - 1))));
}
