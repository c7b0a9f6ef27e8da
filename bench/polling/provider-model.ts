/**
 * The providers as a function of virtual time: what a status request answers at second `t` of a planned check, in
 * the normalized shape the real clients produce (lambdas/checks/check-status.ts), so the real poll decision runs
 * on it. Pure.
 */
import type { CheckStatus, StatusSource } from '../../lambdas/checks/check-status';
import type { CheckPlan } from './workload';

/** Virtual epoch of every check's timeline (t = 0 is its creation). */
export const VIRTUAL_EPOCH_MS = Date.parse('2026-01-05T09:00:00.000Z');

export const isoAt = (t: number) => new Date(VIRTUAL_EPOCH_MS + Math.round(t * 1000)).toISOString();

export function statusAt(plan: CheckPlan, t: number): CheckStatus {
  const times = { createdAt: isoAt(0) };
  switch (plan.provider) {
    case 'liveness':
      if (t < plan.endsAt) return { kind: 'pending', provider: 'liveness', providerStatus: 'in_progress', times };
      if (plan.outcome === 'expired') {
        return { kind: 'no-result', provider: 'liveness', providerStatus: '410', reason: 'expired', detail: 'link expired', times };
      }
      return { kind: 'complete', provider: 'liveness', providerStatus: 'complete', outcome: 'passed', result: {}, times: { ...times, completedAt: isoAt(plan.endsAt) } };
    case 'kyc': {
      const secondsToLive = Math.max(0, Math.floor(plan.ttl - t));
      if (t < plan.endsAt) return { kind: 'pending', provider: 'kyc', providerStatus: 'processing', secondsToLive, times };
      if (plan.outcome === 'expired') {
        return { kind: 'no-result', provider: 'kyc', providerStatus: 'expired', reason: 'expired', detail: 'KYC session lifetime expired', times };
      }
      return { kind: 'complete', provider: 'kyc', providerStatus: 'success', outcome: 'success', secondsToLive, result: {}, times: { ...times, completedAt: isoAt(plan.endsAt) } };
    }
    case 'verification': {
      const completed: CheckStatus = {
        kind: 'complete',
        provider: 'verification',
        providerStatus: 'completed',
        outcome: 'true',
        result: {},
        times: { ...times, completedAt: isoAt(plan.endsAt) },
      };
      if (plan.outcome === 'completed') {
        return t < plan.endsAt ? { kind: 'pending', provider: 'verification', providerStatus: 'processing', times } : completed;
      }
      if (t < plan.escalatedAt) return { kind: 'pending', provider: 'verification', providerStatus: 'processing', times };
      if (t >= plan.endsAt) return completed;
      return {
        kind: 'escalated',
        provider: 'verification',
        providerStatus: 'escalated',
        outcome: 'uncertain',
        escalation: { reason: 'low_confidence', priority: 'high', deadline: isoAt(plan.deadline), status: 'pending' },
        result: {},
        times,
      };
    }
  }
}

/** When the answer next changes after `t` (the oracle's knowledge); undefined once final. */
export function nextChangeAfter(plan: CheckPlan, t: number): number | undefined {
  if (plan.provider === 'verification' && plan.outcome === 'escalated' && t < plan.escalatedAt) return plan.escalatedAt;
  return t < plan.endsAt ? plan.endsAt : undefined;
}

/** A provider client answering from the model at virtual second `t`. */
export function modelClient(plan: CheckPlan, t: number): StatusSource {
  return { provider: plan.provider, getStatus: async () => statusAt(plan, t) };
}
