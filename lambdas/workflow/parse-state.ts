/**
 * Validation of the state each workflow function receives. The start function built it, but an execution can also be
 * started by hand (a redrive, an operator): a malformed state is an InvalidCheckInputError naming the paths, never
 * the values (the check id may be a bearer token).
 */
import { z } from 'zod';
import { checkRefOf, type IdentifierKey } from '../checks/check-ref';
import { InvalidCheckInputError } from '../common/errors';
import { PROVIDERS } from '../checks/check-status';
import type { WorkflowCheck, WorkflowState } from '../checks/workflow-contract';

const checkSchema = z.object({
  provider: z.enum(PROVIDERS),
  checkId: z.string().min(1).max(2048),
  clientKey: z.string().min(1).max(36).optional(),
  subjectKey: z.string().min(1).max(128).optional(),
  checkRef: z.string().regex(/^[0-9a-f]{32}$/),
  createdAt: z.iso.datetime({ offset: true }),
  createdAtClaimed: z.iso.datetime({ offset: true }).optional(),
  retentionClass: z.string().regex(/^[a-z0-9-]{1,40}$/).optional(),
});

const pollSchema = z.looseObject({
  state: z.enum(['pending', 'complete', 'escalated', 'no-result', 'timed-out']),
  attempt: z.number().int().min(1),
  firstPolledAt: z.iso.datetime({ offset: true }),
  waitSeconds: z.number().int().min(0),
  providerStatus: z.string(),
  transientErrors: z.number().int().min(0),
});

const stateSchema = z.looseObject({
  check: checkSchema,
  poll: pollSchema.optional(),
  archive: z.looseObject({ status: z.string() }).optional(),
  error: z.looseObject({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

/** Validates a workflow state; the checkRef must be the keyed hash of the check id (keys and records rely on it). */
export function parseWorkflowState(input: unknown, key: IdentifierKey): WorkflowState {
  const parsed = stateSchema.safeParse(input);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.map(String).join('.') || '(state)'))];
    throw new InvalidCheckInputError(`workflow state invalid at: ${paths.join(', ')}`);
  }
  const state = parsed.data as WorkflowState;
  if (state.check.checkRef !== checkRefOf(key, state.check.provider, state.check.checkId)) {
    throw new InvalidCheckInputError('workflow state invalid at: check.checkRef (not the hash of the check id)');
  }
  return state;
}

/**
 * The best check a failure can still be recorded under: the state's own when it parses, else one rebuilt from the
 * provider and check id (a fresh checkRef; createdAt = now unless valid), keeping each optional field that is valid on
 * its own — the clientKey above all: the record hashes it, and the failure's cause is redacted of it. Undefined when
 * provider or check id are unusable: then there is nothing to key a record by, and the execution's failure is the
 * only trace.
 */
export function salvageCheck(input: unknown, now: Date, key: IdentifierKey): WorkflowCheck | undefined {
  const raw = (input as { check?: Record<string, unknown> } | null)?.check;
  const full = checkSchema.safeParse(raw);
  if (full.success && full.data.checkRef === checkRefOf(key, full.data.provider, full.data.checkId)) return full.data;
  const minimal = checkSchema.pick({ provider: true, checkId: true }).safeParse(raw);
  if (!minimal.success) return undefined;
  const { provider, checkId } = minimal.data;
  const valid = <K extends 'createdAt' | 'clientKey' | 'subjectKey' | 'retentionClass'>(field: K) => {
    const parsed = checkSchema.shape[field].safeParse(raw?.[field]);
    return parsed.success ? parsed.data : undefined;
  };
  const clientKey = valid('clientKey');
  const subjectKey = valid('subjectKey');
  const retentionClass = valid('retentionClass');
  return {
    provider,
    checkId,
    checkRef: checkRefOf(key, provider, checkId),
    createdAt: valid('createdAt') ?? now.toISOString(),
    ...(clientKey !== undefined ? { clientKey } : {}),
    ...(subjectKey !== undefined ? { subjectKey } : {}),
    ...(retentionClass !== undefined ? { retentionClass } : {}),
  };
}
