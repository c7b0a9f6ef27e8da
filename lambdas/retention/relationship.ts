/**
 * The two clocks that depend on the person a check is about:
 * - relationship end (`aml-cdd`): FATF R.11, EU AMLR art. 77 and 31 CFR 1020.220(a)(3) keep CDD records five years
 *   after the business relationship ends. Until a close is known the record has no `ttl`; a close sets every such
 *   record of the client to closedAt + the class's days (or the longer period the close asks for) and extends the
 *   Object Lock of its objects to the same date. Nothing here ever moves a date earlier.
 * - last interaction (the biometric classes): BIPA 740 ILCS 14/15(a) destroys biometric data 3 years after the
 *   individual's last interaction at the latest. A newer interaction moves that cap later (never past the class).
 * The ledger remembers both per subject, so checks archived after the close or the interaction start on them too.
 */
import { ArchiverError } from '../common/errors';
import { WAITING_FOR_RELATIONSHIP } from '../records/ledger';
import type { CheckRecord } from '../records/record';
import { cappedRetainUntil, relationshipRetainUntil } from '../records/retention';
import type { RetentionDeps } from './deps';
import { keysOfCheck } from './evidence-objects';
import { extendRecord, recordsOfSubject, subjectHashesOf } from './subject-records';

/** A close or an interaction the caller can fix (a date in the future, a period shorter than zero). */
export class InvalidRetentionRequestError extends ArchiverError {
  override readonly name = 'InvalidRetentionRequestError';
  readonly retryable = false;
}

export const DAYS_PER_YEAR = 365;
/** How far in the future a close or an interaction may be dated (clock skew between systems), never more. */
const FUTURE_SKEW_MS = 24 * 3600 * 1000;

export interface CloseRequest {
  subjectKey: string;
  /** ISO-8601 with offset: when the business relationship ended. */
  closedAt: string;
  /** Keep longer than the class after the close (a national rule, a regulator's instruction); never shorter. */
  retentionYears?: number;
}

export interface ChangedCheck {
  provider: CheckRecord['provider'];
  checkRef: string;
  retentionClass: string;
  /** Before and after the change. */
  from: string;
  retainUntil: string;
  /** Objects whose Object Lock retain-until was extended to `retainUntil`. */
  locksExtended: number;
}

export interface CloseResult {
  /** The keyed hash the subject is filed under (no personal data). */
  subjectHash: string;
  closedAt: string;
  /** Records of the subject on the relationship clock, extended or set to expire. */
  changed: ChangedCheck[];
  /** Records of the subject on other clocks, or already kept longer: left as they were. */
  unchanged: number;
}

export async function closeRelationship(deps: RetentionDeps, request: CloseRequest): Promise<CloseResult> {
  const closedAt = dateOf(request.closedAt, 'closedAt', deps.now());
  if (request.retentionYears !== undefined && !(request.retentionYears > 0 && request.retentionYears <= 100)) {
    throw new InvalidRetentionRequestError('retentionYears must be a number of years between 0 and 100');
  }
  const extraDays = request.retentionYears === undefined ? 0 : Math.ceil(request.retentionYears * DAYS_PER_YEAR);
  const { keyed, all } = await subjectHashesOf(deps, request.subjectKey);
  // The ledger first: a check archived while the records below are being changed then starts on the closed clock.
  const state = await deps.ledger.closeRelationship(keyed, closedAt, extraDays);
  const changed: ChangedCheck[] = [];
  let unchanged = 0;
  for (const record of await recordsOfSubject(deps, all)) {
    if (clockOf(deps, record) !== 'relationship-end') {
      unchanged += 1;
      continue;
    }
    const written = await extendRecord(deps, record, (current) => {
      const days = Math.max(current.retentionDays ?? deps.policy.classes[current.retentionClass]?.days ?? 0, state.relationshipDays ?? 0);
      return { retainUntil: relationshipRetainUntil(current.retainUntil, state.relationshipClosedAt!, days), relationshipClosedAt: state.relationshipClosedAt! };
    });
    // Changed: a later end, or an end at all (the record waited for the close; its floor may already be later).
    if (!written || (written.retainUntil === record.retainUntil && record.relationshipOpen !== true)) {
      unchanged += 1;
      if (written) await refileWaitingErasures(deps, written);
      continue;
    }
    changed.push({
      provider: written.provider,
      checkRef: written.checkRef,
      retentionClass: written.retentionClass,
      from: record.retainUntil,
      retainUntil: written.retainUntil,
      locksExtended: await extendLocks(deps, written),
    });
    await refileWaitingErasures(deps, written);
  }
  deps.logger?.info('relationship closed', { changed: changed.length, unchanged });
  return { subjectHash: keyed, closedAt: state.relationshipClosedAt!, changed, unchanged };
}

export interface InteractionResult {
  subjectHash: string;
  lastInteractionAt: string;
  /** Capped records whose end moved later with the interaction. */
  changed: ChangedCheck[];
}

/**
 * A `Client Interaction`: moves the subject's last interaction forward (an older one changes nothing) and with it
 * the cap of every capped record — never past the record's own class days from archive.
 */
export async function noteInteraction(deps: RetentionDeps, request: { subjectKey: string; at: string }): Promise<InteractionResult> {
  const at = dateOf(request.at, 'interaction time', deps.now());
  const { keyed, all } = await subjectHashesOf(deps, request.subjectKey);
  const { moved, state } = await deps.ledger.noteInteraction(keyed, at);
  const changed: ChangedCheck[] = [];
  if (moved) {
    for (const record of await recordsOfSubject(deps, all)) {
      if (record.lastInteractionDays === undefined) continue;
      const written = await extendRecord(deps, record, (current) =>
        current.lastInteractionDays === undefined
          ? undefined
          : {
              retainUntil: cappedRetainUntil(current.archivedAt, current.retentionDays ?? 0, state.lastInteractionAt!, current.lastInteractionDays),
              lastInteractionAt: state.lastInteractionAt!,
            },
      );
      if (written && written.retainUntil !== record.retainUntil) changed.push({ provider: written.provider, checkRef: written.checkRef, retentionClass: written.retentionClass, from: record.retainUntil, retainUntil: written.retainUntil, locksExtended: 0 });
    }
  }
  return { subjectHash: keyed, lastInteractionAt: state.lastInteractionAt ?? at, changed };
}

/** An erasure refused while the relationship was open now has a date: the record's new end. */
async function refileWaitingErasures(deps: RetentionDeps, record: CheckRecord): Promise<void> {
  for (const pending of await deps.ledger.erasuresOf(record.provider, record.checkRef)) {
    if (pending.due !== WAITING_FOR_RELATIONSHIP) continue;
    await deps.ledger.fileErasure({ ...pending, due: record.retainUntil });
    await deps.ledger.dropErasure(pending);
  }
}

/** The record's clock; records archived before clocks take their class's. */
function clockOf(deps: Pick<RetentionDeps, 'policy'>, record: CheckRecord): string {
  return record.retentionClock ?? deps.policy.classes[record.retentionClass]?.clock ?? 'archive';
}

/** Object Lock can only be extended: every locked object of the check to the record's new date. */
async function extendLocks(deps: RetentionDeps, record: CheckRecord): Promise<number> {
  if (!deps.objectLock) return 0;
  const keys = await keysOfCheck(deps.objects, record);
  return deps.objects.extendLock(keys, record.retainUntil);
}

function dateOf(value: string, what: string, now: Date): string {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) throw new InvalidRetentionRequestError(`${what} must be an ISO-8601 date-time`);
  if (ms > now.getTime() + FUTURE_SKEW_MS) throw new InvalidRetentionRequestError(`${what} is in the future`);
  return new Date(ms).toISOString();
}
