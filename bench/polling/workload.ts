/**
 * Realistic check lifetimes per provider, drawn from a seeded RNG. Times are virtual seconds since the check was
 * created (t = 0, when its event starts the workflow). The shapes (log-normal, clamped) and their parameters are
 * assumptions stated here, not provider data:
 * - liveness: a user in front of a camera — median 25 s, most within 2 minutes, a tail to 15 min; 8 % abandon
 *   and the link expires (assumed 10 min; the doc does not say).
 * - KYC: document + selfie capture — median 4 min, p95 ≈ 15 min; 15 % never finish and expire at the session's
 *   lifetime (`secondsToLive` counting down from 3,600 s, the fake provider's default).
 * - verification: automated verdict in seconds (median 6 s); 25 % escalate to human review lasting hours (median
 *   2 h, p95 ≈ 6 h, capped at 12 h), resolved before the 24 h deadline.
 */
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { BENCH_KEY } from '../lib/identifier-key';
import type { ProviderName } from '../../lambdas/checks/check-status';
import { createRng, type Rng } from '../../local/reliability/rng';

export type CheckPlan =
  | { provider: 'liveness'; outcome: 'complete' | 'expired'; endsAt: number }
  | { provider: 'kyc'; outcome: 'success' | 'expired'; endsAt: number; ttl: number }
  | { provider: 'verification'; outcome: 'completed'; endsAt: number }
  | { provider: 'verification'; outcome: 'escalated'; escalatedAt: number; endsAt: number; deadline: number };

/** A planned check with its identity: `endsAt` is when it reaches its final terminal answer. */
export type PlannedCheck = CheckPlan & { checkId: string; checkRef: string };

export type WorkloadSizes = Record<ProviderName, number>;

export const LIVENESS_LINK_SECONDS = 600;
export const KYC_TTL_SECONDS = 3_600;
export const ESCALATION_DEADLINE_SECONDS = 24 * 3_600;

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** Log-normal with the given median and shape σ of the underlying normal (Box–Muller, two draws). */
export function logNormal(rng: Rng, median: number, sigma: number): number {
  const u = 1 - rng.next(); // (0, 1]: log stays finite
  const v = rng.next();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}
/** Millisecond resolution, like the provider's timestamps. */
const ms = (seconds: number) => Math.round(seconds * 1000) / 1000;

export function livenessPlan(rng: Rng): CheckPlan {
  if (rng.chance(0.08)) return { provider: 'liveness', outcome: 'expired', endsAt: LIVENESS_LINK_SECONDS };
  return { provider: 'liveness', outcome: 'complete', endsAt: ms(clamp(logNormal(rng, 25, 0.9), 3, 900)) };
}

export function kycPlan(rng: Rng): CheckPlan {
  if (rng.chance(0.15)) return { provider: 'kyc', outcome: 'expired', endsAt: KYC_TTL_SECONDS, ttl: KYC_TTL_SECONDS };
  return { provider: 'kyc', outcome: 'success', endsAt: ms(clamp(logNormal(rng, 240, 0.8), 30, 3_300)), ttl: KYC_TTL_SECONDS };
}

export function verificationPlan(rng: Rng): CheckPlan {
  if (!rng.chance(0.25)) return { provider: 'verification', outcome: 'completed', endsAt: ms(clamp(logNormal(rng, 6, 0.7), 1, 300)) };
  const escalatedAt = ms(clamp(logNormal(rng, 8, 0.7), 1, 300));
  const review = clamp(logNormal(rng, 7_200, 0.7), 600, 12 * 3_600);
  return { provider: 'verification', outcome: 'escalated', escalatedAt, endsAt: ms(escalatedAt + review), deadline: escalatedAt + ESCALATION_DEADLINE_SECONDS };
}

const PLANNERS: Record<ProviderName, (rng: Rng) => CheckPlan> = { liveness: livenessPlan, kyc: kycPlan, verification: verificationPlan };

/** The same seed and sizes always give the same checks (ids included). */
export function generateWorkload(seed: number, sizes: WorkloadSizes): PlannedCheck[] {
  const checks: PlannedCheck[] = [];
  for (const provider of Object.keys(PLANNERS) as ProviderName[]) {
    const rng = createRng(seed * 31 + provider.length); // one stream per provider: sizes do not shift the others
    for (let i = 0; i < sizes[provider]; i++) {
      const checkId = checkIdOf(provider, seed, i);
      checks.push({ ...PLANNERS[provider](rng), checkId, checkRef: checkRefOf(BENCH_KEY, provider, checkId) });
    }
  }
  return checks;
}

function checkIdOf(provider: ProviderName, seed: number, index: number): string {
  // KYC session ids must look like UUID v1 for the real client; the model never parses them.
  if (provider === 'kyc') return `${(seed * 100_000 + index).toString(16).padStart(8, '0')}-0000-11ef-8000-000000000000`;
  return `bench_${provider}_${seed}_${index}`;
}

/** The first moment the provider's answer changes to something the workflow acts on (escalation or the end). */
export function firstChangeAt(plan: CheckPlan): number {
  return plan.provider === 'verification' && plan.outcome === 'escalated' ? plan.escalatedAt : plan.endsAt;
}
