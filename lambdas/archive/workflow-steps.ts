/**
 * What the workflow's archive-side states do with the state they receive (see lib/constructs/polling-workflow.ts):
 * - Archive evidence / Archive escalation / Record outcome → archiveStep: fetches the answer again and keeps it with
 *   everything it references (complete, escalated, no-result alike); a check whose polling ended is archived from
 *   what the provider answers then (timed-out when that is still not terminal).
 * - Record failure → recordFailureStep: the one record of a check whose workflow failed, with a sanitized reason.
 */
import type { IdentifierKey } from '../checks/check-ref';
import { InvalidCheckInputError } from '../common/errors';
import type { ProviderName } from '../checks/check-status';
import type { ArchiveOutput, WorkflowState } from '../checks/workflow-contract';
import { parseWorkflowState, salvageCheck } from '../workflow/parse-state';
import { archiveCheck, recordOutcome, type ArchiveDeps, type Invocation, type RecordDeps } from './engine';

export async function archiveStep(
  depsFor: (provider: ProviderName) => ArchiveDeps,
  input: unknown,
  key: IdentifierKey,
  invocation?: Invocation,
): Promise<ArchiveOutput> {
  const state: WorkflowState = parseWorkflowState(input, key);
  const deps = depsFor(state.check.provider);
  const poll = state.poll;
  const options = invocation ? { invocation } : {};
  if (poll?.state === 'timed-out') return archiveCheck(deps, state.check, { ...options, pollingEnded: { providerStatus: poll.providerStatus } });
  return archiveCheck(deps, state.check, options);
}

/**
 * Records the failure carried in `$.error`. The state may be what made the workflow fail (a hand-started execution
 * with a malformed check): the record is then keyed by what can be salvaged; with nothing usable it throws, and the
 * failed execution (alarmed on) is the trace.
 */
export async function recordFailureStep(deps: RecordDeps, input: unknown, invocation?: Invocation): Promise<ArchiveOutput> {
  const check = salvageCheck(input, deps.now(), await deps.identifierKey.get());
  if (!check) throw new InvalidCheckInputError('record failure: the state names no provider and check id');
  const error = (input as { error?: { Error?: unknown; Cause?: unknown } } | null)?.error;
  const reported = {
    Error: typeof error?.Error === 'string' ? error.Error : 'UnknownError',
    ...(typeof error?.Cause === 'string' ? { Cause: error.Cause } : {}),
  };
  return recordOutcome(deps, check, { kind: 'failed', error: reported }, invocation ? { invocation } : {});
}
