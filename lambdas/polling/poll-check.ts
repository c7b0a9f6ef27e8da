/**
 * One turn of the poll loop: ask the provider once, decide what the workflow does next. A provider that is briefly
 * unavailable (5xx, 429, timeout) does not fail the task: the observation goes into the backoff (honouring
 * Retry-After) until maxTransientErrors, then the error is rethrown for the state machine's Retry and Catch.
 */
import { IdentityMismatchError, InvalidCheckInputError, ProviderUnavailableError } from '../common/errors';
import { identityMismatchStatus, rejectedInputStatus, type ProviderName, type StatusSource } from '../checks/check-status';
import type { PollOutput, WorkflowState } from '../checks/workflow-contract';
import { decideNextPoll, type PollObservation } from './next-poll';
import type { PollingPolicy } from './polling-policy';

export interface PollDeps {
  client: StatusSource;
  policy: PollingPolicy;
  now: () => Date;
  logger?: { info(message: string, fields: Record<string, unknown>): void; warn(message: string, fields: Record<string, unknown>): void };
  /** Told about each provider error absorbed into the backoff (metrics). */
  onTransientError?: (error: ProviderUnavailableError, provider: ProviderName) => void;
  /** Told about each answer whose status word the document does not list (metrics). */
  onUnknownStatus?: (provider: ProviderName) => void;
}

export async function pollCheck(deps: PollDeps, state: WorkflowState): Promise<PollOutput> {
  const { check } = state;
  let observation: PollObservation;
  let transientError: ProviderUnavailableError | undefined;
  try {
    const status = await deps.client.getStatus({
      provider: check.provider,
      checkId: check.checkId,
      ...(check.clientKey !== undefined ? { clientKey: check.clientKey } : {}),
    });
    observation = { kind: 'status', status };
    if (status.kind === 'pending' && status.unknownStatus) {
      // Polling goes on within the budget; what was seen is logged (the word is the provider's, bounded) and counted.
      deps.logger?.warn('status the provider document does not list', {
        provider: check.provider,
        checkRef: check.checkRef,
        providerStatus: status.providerStatus.replace(/[^\w .:/-]/g, '').slice(0, 64),
      });
      deps.onUnknownStatus?.(check.provider);
    }
  } catch (error) {
    if (error instanceof InvalidCheckInputError) {
      observation = { kind: 'status', status: rejectedInputStatus(check.provider, error.message) };
    } else if (error instanceof IdentityMismatchError) {
      // Terminal for this check: the archive step asks once more and records the mismatch, keeping nothing.
      observation = { kind: 'status', status: identityMismatchStatus(check.provider, error.message) };
    } else if (error instanceof ProviderUnavailableError) {
      transientError = error;
      deps.onTransientError?.(error, check.provider);
      observation = { kind: 'transient', ...error.details };
    } else {
      throw error;
    }
  }

  const next = decideNextPoll({ policy: deps.policy, provider: check.provider, previous: state.poll, observation, now: deps.now() });
  if (!next) throw transientError;
  deps.logger?.info('polled', {
    provider: check.provider,
    checkRef: check.checkRef,
    attempt: next.attempt,
    state: next.state,
    providerStatus: next.providerStatus,
    waitSeconds: next.waitSeconds,
    ...(observation.kind === 'transient' ? { transientError: observation.statusCode ?? 'network' } : {}),
  });
  return next;
}
