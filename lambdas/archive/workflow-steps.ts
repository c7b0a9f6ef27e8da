/**
 * What the workflow's archive-side states do with the state they receive (see lib/constructs/polling-workflow.ts):
 * - Archive evidence / Archive escalation / Record outcome → archiveStep: fetches the answer again and keeps it with
 *   everything it references (complete, escalated, no-result alike); a check whose polling ended is archived from
 *   what the provider answers then (timed-out when that is still not terminal).
 * - Record failure → recordFailureStep: the one record of a check whose workflow failed, with a sanitized reason.
 */
import type { IdentifierKey } from '../checks/check-ref';
import type { Env } from '../common/environment';
import { ConfigurationError, InvalidCheckInputError } from '../common/errors';
import type { ProviderName } from '../checks/check-status';
import { RETRY_LATER, type ArchiveOutput, type OutageMemory, type WorkflowState } from '../checks/workflow-contract';
import { parseWorkflowState, salvageCheck } from '../workflow/parse-state';
import { archiveCheck, invocationOf, recordOutcome, type ArchiveDeps, type ArchiveOptions, type Invocation, type RecordDeps } from './engine';
import { ArchiveOutageError } from './errors';
import { afterFailure, isOutageFailure } from './outage';

/** How the step sleeps a short wait of an outage (tests pass their own). */
export type Sleep = (ms: number) => Promise<void>;
const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The step's sleep. Local mode only (the stack never sets it): ARCHIVE_WAIT_SPEEDUP makes its waits that many times
 * shorter, as local Wait states are, so a simulated outage and the step's budget (which counts the waits in full)
 * keep the same time.
 */
export function sleepFromEnv(env: Env): Sleep {
  const raw = env.ARCHIVE_WAIT_SPEEDUP?.trim();
  if (!raw) return sleep;
  const speedup = Number(raw);
  if (!(Number.isFinite(speedup) && speedup >= 1)) throw new ConfigurationError('environment variable ARCHIVE_WAIT_SPEEDUP must be a number ≥ 1');
  return (ms) => sleep(ms / speedup);
}

/**
 * Archives the check of this state, riding out an outage of the provider or of S3 (lambdas/archive/outage.ts): short
 * waits here, longer ones handed back to the workflow as `retry-later`, until the evidence window closes
 * (ArchiveOutageError, recorded as an error by the workflow).
 */
export async function archiveStep(
  depsFor: (provider: ProviderName) => ArchiveDeps,
  input: unknown,
  key: IdentifierKey,
  invocation: Invocation = invocationOf(),
  wait: Sleep = sleep,
): Promise<ArchiveOutput> {
  const state: WorkflowState = parseWorkflowState(input, key);
  const deps = depsFor(state.check.provider);
  const poll = state.poll;
  const options: ArchiveOptions = { invocation, ...(poll?.state === 'timed-out' ? { pollingEnded: { providerStatus: poll.providerStatus } } : {}) };
  let outage = state.archive?.status === RETRY_LATER ? outageOf(state.archive.outage) : undefined;
  for (;;) {
    try {
      const output = await archiveCheck(deps, state.check, options);
      if (outage) deps.logger?.info('outage ridden out', { checkRef: state.check.checkRef, failures: outage.failures, since: outage.since });
      return output;
    } catch (error) {
      if (!isOutageFailure(error)) throw error;
      const decision = afterFailure({
        error,
        provider: state.check.provider,
        ...(outage ? { outage } : {}),
        ...(poll?.completedAt ? { completedAt: poll.completedAt } : {}),
        now: deps.now(),
        timeLeftMs: invocation.deadline - Date.now(),
      });
      outage = decision.outage;
      const fields = { checkRef: state.check.checkRef, failures: outage.failures, error: error.name };
      if (decision.kind === 'give-up') {
        deps.logger?.warn('archive gives up: the outage outlasted the evidence window', fields);
        throw new ArchiveOutageError(decision.reason, { cause: error });
      }
      if (decision.kind === 'hand-back') {
        deps.logger?.warn('provider or storage unavailable: the workflow waits, then archives again', { ...fields, waitSeconds: decision.waitSeconds });
        return { status: RETRY_LATER, objects: 0, bytes: 0, recorded: false, retryAfterSeconds: decision.waitSeconds, outage };
      }
      deps.logger?.info('provider or storage unavailable: trying again shortly', { ...fields, waitMs: decision.waitMs });
      await wait(decision.waitMs);
    }
  }
}

/** The outage memory a previous attempt handed over, if it has the expected shape (the state may be hand-made). */
function outageOf(value: unknown): OutageMemory | undefined {
  const o = value as Partial<OutageMemory> | undefined;
  if (!o || typeof o.since !== 'string' || Number.isNaN(Date.parse(o.since))) return undefined;
  const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0);
  return { since: o.since, failures: count(o.failures), waitedSeconds: count(o.waitedSeconds), lastError: typeof o.lastError === 'string' ? o.lastError.slice(0, 200) : '' };
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
