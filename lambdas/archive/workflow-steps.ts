/**
 * What the workflow's archive-side states do with the state they receive (see lib/constructs/polling-workflow.ts):
 * - Archive evidence / Archive escalation / Record outcome → archiveStep: fetches the terminal answer again and
 *   archives it (complete, escalated) or records why there is none (no-result); a check that ran out of polling time
 *   is recorded as timed-out without asking the provider — except an escalation past its deadline, whose record is
 *   refreshed with the provider's latest answer.
 * - Record failure → recordFailureStep: the one record of a check whose workflow failed, with a sanitized reason.
 */
import { InvalidCheckInputError } from '../common/errors';
import type { ProviderName } from '../providers/check-status';
import type { ArchiveOutput, WorkflowState } from '../workflow/contract';
import { parseWorkflowState, salvageCheck } from '../workflow/parse-state';
import { archiveCheck, recordOutcome, type ArchiveDeps, type RecordDeps } from './engine';

export const ESCALATION_POLLING_ENDED = 'polling ended: the escalation was still unresolved past its deadline';

export async function archiveStep(depsFor: (provider: ProviderName) => ArchiveDeps, input: unknown): Promise<ArchiveOutput> {
  const state: WorkflowState = parseWorkflowState(input);
  const deps = depsFor(state.check.provider);
  const poll = state.poll;
  if (poll?.state === 'timed-out' && poll.providerStatus !== 'escalated') {
    return recordOutcome(deps, state.check, { kind: 'timed-out', providerStatus: poll.providerStatus });
  }
  // An escalation past its deadline: the record is refreshed with the provider's latest answer, and says polling ended.
  return archiveCheck(deps, state.check, poll?.state === 'timed-out' ? { escalationNote: ESCALATION_POLLING_ENDED } : {});
}

/**
 * Records the failure carried in `$.error`. The state may be what made the workflow fail (a hand-started execution
 * with a malformed check): the record is then keyed by what can be salvaged; with nothing usable it throws, and the
 * failed execution (alarmed on) is the trace.
 */
export async function recordFailureStep(deps: RecordDeps, input: unknown): Promise<ArchiveOutput> {
  const check = salvageCheck(input, deps.now());
  if (!check) throw new InvalidCheckInputError('record failure: the state names no provider and check id');
  const error = (input as { error?: { Error?: unknown; Cause?: unknown } } | null)?.error;
  const reported = {
    Error: typeof error?.Error === 'string' ? error.Error : 'UnknownError',
    ...(typeof error?.Cause === 'string' ? { Cause: error.Cause } : {}),
  };
  return recordOutcome(deps, check, { kind: 'failed', error: reported });
}
