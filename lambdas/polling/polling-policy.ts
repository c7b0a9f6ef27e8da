import { z } from 'zod';

/**
 * How the workflow polls: exponential backoff from the liveness doc's advised 2-3 s up to a cap that keeps the
 * ~30-minute image window safe, bounded per provider so no execution polls forever or nears 25,000 history events.
 */
const budgetSeconds = z.number().int().min(60).max(30 * 86_400);

export const pollingPolicySchema = z
  .object({
    initialSeconds: z.number().int().min(1).max(60).default(2),
    factor: z.number().min(1).max(4).default(1.6),
    maxSeconds: z.number().int().min(1).max(600).default(60),
    /** Between polls of an escalated verification (human review takes hours). */
    escalationSeconds: z.number().int().min(60).max(86_400).default(900),
    /** Polling-time budget per provider, from the first poll; past it the check is recorded as timed-out. */
    maxPollingSeconds: z
      .object({ liveness: budgetSeconds, kyc: budgetSeconds, verification: budgetSeconds })
      .strict()
      .default({ liveness: 3_600, kyc: 86_400, verification: 7 * 86_400 }),
    /** Hard cap on polls: ~10 history events each keeps an execution far below the 25,000-event limit. */
    maxPolls: z.number().int().min(1).max(2_000).default(2_000),
    /** Consecutive transient provider errors absorbed into the wait loop before the workflow's own retry takes over. */
    maxTransientErrors: z.number().int().min(0).max(50).default(8),
  })
  .strict()
  .refine((p) => p.maxSeconds >= p.initialSeconds, { message: 'maxSeconds must be ≥ initialSeconds' });

export type PollingPolicy = z.output<typeof pollingPolicySchema>;

export const DEFAULT_POLLING_POLICY: PollingPolicy = pollingPolicySchema.parse({});

/** Seconds to wait after poll number `attempt` (1-based): initial × factor^(attempt-1), capped, whole seconds. */
export function backoffSeconds(policy: PollingPolicy, attempt: number): number {
  const raw = policy.initialSeconds * policy.factor ** Math.max(0, attempt - 1);
  return Math.max(1, Math.min(policy.maxSeconds, Math.round(raw)));
}
