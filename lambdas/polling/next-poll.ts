import type { CheckStatus, ProviderName } from '../checks/check-status';
import type { PollOutput } from '../checks/workflow-contract';
import { backoffSeconds, transientBackoffSeconds, type PollingPolicy } from './polling-policy';

/** What one poll observed: the provider's normalized answer, or a transient failure to get one. */
export type PollObservation =
  | { kind: 'status'; status: CheckStatus }
  | { kind: 'transient'; retryAfterSeconds?: number; statusCode?: number };

export interface PollDecisionInput {
  policy: PollingPolicy;
  provider: ProviderName;
  previous?: PollOutput;
  observation: PollObservation;
  now: Date;
}

const MAX_RETRY_AFTER_WAIT_SECONDS = 900;

/**
 * Decides the workflow's next step after one poll. Pure: the poll handler performs the request, this decides.
 * Returns undefined when transient errors exceeded their budget: the handler then rethrows and the
 * state machine's Retry/Catch takes over.
 */
export function decideNextPoll({ policy, provider, previous, observation, now }: PollDecisionInput): PollOutput | undefined {
  const attempt = (previous?.attempt ?? 0) + 1;
  const firstPolledAt = previous?.firstPolledAt ?? now.toISOString();
  const elapsedSeconds = (now.getTime() - Date.parse(firstPolledAt)) / 1000;
  const base = { attempt, firstPolledAt, transientErrors: 0 };
  const escalationBudget = Math.max(policy.maxPollingSeconds[provider], policy.maxEscalationSeconds);

  if (observation.kind === 'transient') {
    const transientErrors = (previous?.transientErrors ?? 0) + 1;
    if (transientErrors > policy.maxTransientErrors) return undefined;
    // Honour Retry-After, but never wait less than our own backoff would: the outage backoff grows with the errors
    // in a row, whatever phase the polling is in.
    const waitSeconds = Math.max(
      backoffSeconds(policy, attempt, elapsedSeconds),
      transientBackoffSeconds(policy, transientErrors),
      Math.ceil(observation.retryAfterSeconds ?? 0),
    );
    return bounded({
      ...base,
      transientErrors,
      // During a review the check stays escalated (its evidence is archived): the workflow keeps the review loop.
      state: previous?.state === 'escalated' ? 'escalated' : 'pending',
      providerStatus: previous?.providerStatus ?? 'unavailable',
      // A provider's absurd Retry-After (hours) must not park the check past its image window.
      waitSeconds: Math.min(waitSeconds, MAX_RETRY_AFTER_WAIT_SECONDS),
    }, previous?.state === 'escalated' ? escalationBudget : undefined);
  }

  const { status } = observation;
  // The archive step's evidence window starts at the completion the provider states (lambdas/archive/outage.ts).
  const completed = completedAtOf(status.times.completedAt);
  switch (status.kind) {
    case 'complete':
      return { ...base, state: 'complete', providerStatus: status.providerStatus, waitSeconds: 0, ...completed };
    case 'no-result':
      return { ...base, state: 'no-result', providerStatus: status.providerStatus, waitSeconds: 0, ...completed };
    case 'escalated': {
      // Poll slowly during human review, once right after the deadline to see how it ended, and on past the deadline
      // (reviews overrun) up to the escalation ceiling.
      const untilDeadline = Math.ceil((Date.parse(status.escalation.deadline ?? '') - now.getTime()) / 1000);
      const waitSeconds = Number.isFinite(untilDeadline) && untilDeadline > 0
        ? Math.min(policy.escalationSeconds, untilDeadline + 1)
        : policy.escalationSeconds;
      return bounded({ ...base, state: 'escalated', providerStatus: status.providerStatus, waitSeconds, ...completed }, escalationBudget);
    }
    case 'pending': {
      let waitSeconds = backoffSeconds(policy, attempt, elapsedSeconds);
      // A KYC session about to expire: look again when it does, to record the expiry promptly.
      if (status.secondsToLive !== undefined && status.secondsToLive > 0) {
        waitSeconds = Math.min(waitSeconds, Math.ceil(status.secondsToLive) + 1);
      }
      return bounded({ ...base, state: 'pending', providerStatus: status.providerStatus, waitSeconds });
    }
  }

  /** Past the provider's polling budget or the poll cap, a check that would wait again ends as timed-out. */
  function bounded(next: PollOutput, budgetSeconds = policy.maxPollingSeconds[provider]): PollOutput {
    if (attempt >= policy.maxPolls || elapsedSeconds > budgetSeconds) {
      return { ...next, state: 'timed-out', waitSeconds: 0 };
    }
    return next;
  }
}

/** The provider's completion time as ISO-8601, when it is a date: it travels in the state (small, no personal data). */
function completedAtOf(value: string | undefined): { completedAt?: string } {
  const at = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isFinite(at) ? { completedAt: new Date(at).toISOString() } : {};
}
