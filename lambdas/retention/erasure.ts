/**
 * Erasure requests (GDPR art. 17). A check whose class is erasable is erased at once: every object version under its
 * folder deleted, a receipt appended, the record replaced by a tombstone (no personal data). A check kept under a
 * legal obligation (art. 17(3)(b)) or a legal hold is refused; the answer names the basis and the date it becomes
 * erasable, and the request is filed in the ledger and carried out on that date by `carryOutDueErasures` (the daily
 * sweep). Nothing is erased before its obligation ends: the refusal is decided from the record as stored.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { archivePrefixes } from '../archive/keys';
import type { ProviderName } from '../checks/check-status';
import { storageErrorFrom } from '../common/storage-errors';
import { WAITING_FOR_RELATIONSHIP, type PendingErasure } from '../records/ledger';
import { isTombstone, TOMBSTONE_RANK, type CheckRecord, type ErasureRequestNote, type Tombstone } from '../records/record';
import { plusDays } from '../records/retention';
import { recordKeyOf } from '../records/table-schema';
import type { RetentionDeps } from './deps';
import { versionsUnder, type ObjectVersion } from './evidence-objects';
import { recordsOfSubject, subjectHashesOf } from './subject-records';

export interface ErasureRequest {
  /** One check, or every check of a subject. */
  target: { provider: ProviderName; checkRef: string } | { subjectKey: string };
  /** The caller's id of the request (a ticket number): on every receipt and tombstone. No personal data. */
  requestId: string;
  reason?: string;
}

export type ErasureOutcome =
  | { provider: ProviderName; checkRef: string; outcome: 'erased'; retentionClass: string; receiptSeq: number; objects: number; versions: number }
  | {
      provider: ProviderName;
      checkRef: string;
      outcome: 'refused';
      retentionClass: string;
      /** Why: the class's legal basis, or the legal hold. */
      basis: string;
      /** When it becomes erasable (ISO), or why that date is not known yet. */
      erasableFrom: string;
    }
  | { provider: ProviderName; checkRef: string; outcome: 'already-erased' | 'not-found' };

export interface ErasureResult {
  requestId: string;
  checks: ErasureOutcome[];
}

/** A held check is tried again daily: a hold has no end date. */
const HOLD_RETRY_DAYS = 1;
export const RELATIONSHIP_OPEN_TEXT = 'when the relationship ends, plus the class period';
export const HOLD_TEXT = 'when the legal hold is released';

export async function requestErasure(deps: RetentionDeps, request: ErasureRequest): Promise<ErasureResult> {
  const note: ErasureRequestNote = { requestId: request.requestId, requestedAt: deps.now().toISOString(), ...(request.reason ? { reason: request.reason } : {}) };
  const checks: ErasureOutcome[] = [];
  if ('subjectKey' in request.target) {
    const { all } = await subjectHashesOf(deps, request.target.subjectKey);
    for (const record of await recordsOfSubject(deps, all)) checks.push(await eraseRecord(deps, record, note));
  } else {
    const { provider, checkRef } = request.target;
    const record = await deps.records.get(provider, checkRef);
    if (!record) checks.push({ provider, checkRef, outcome: 'not-found' });
    else if (isTombstone(record)) checks.push({ provider, checkRef, outcome: 'already-erased' });
    else checks.push(await eraseRecord(deps, record, note));
  }
  deps.logger?.info('erasure request', { requestId: request.requestId, erased: checks.filter((c) => c.outcome === 'erased').length, refused: checks.filter((c) => c.outcome === 'refused').length });
  return { requestId: request.requestId, checks };
}

/** Whether the check may be erased now and, when not, why and from when. */
export function erasabilityOf(deps: Pick<RetentionDeps, 'policy'>, record: CheckRecord, now: Date): { erasable: true } | { erasable: false; basis: string; due: string; erasableFrom: string } {
  if (record.legalHold === true) {
    return { erasable: false, basis: `legal hold${record.legalHoldReason ? ` (${record.legalHoldReason})` : ''}`, due: plusDays(now.toISOString(), HOLD_RETRY_DAYS), erasableFrom: HOLD_TEXT };
  }
  if (record.erasable ?? deps.policy.classes[record.retentionClass]?.erasable ?? false) return { erasable: true };
  if (record.relationshipOpen === true) return { erasable: false, basis: record.retentionBasis, due: WAITING_FOR_RELATIONSHIP, erasableFrom: RELATIONSHIP_OPEN_TEXT };
  if (record.retainUntil > now.toISOString()) return { erasable: false, basis: record.retentionBasis, due: record.retainUntil, erasableFrom: record.retainUntil };
  return { erasable: true };
}

async function eraseRecord(deps: RetentionDeps, record: CheckRecord, note: ErasureRequestNote, refusedUntil?: string): Promise<ErasureOutcome> {
  const { provider, checkRef, retentionClass } = record;
  const decision = erasabilityOf(deps, record, deps.now());
  // Both key layouts: a check archived before the hash-first keys has its folder under the first one.
  const [prefix, legacyPrefix] = archivePrefixes(provider, record.createdAt, checkRef);
  if (!decision.erasable) {
    await deps.ledger.fileErasure({
      provider,
      checkRef,
      due: decision.due,
      prefix: prefix!,
      ...(legacyPrefix ? { legacyPrefix } : {}),
      retentionClass,
      refusedBecause: decision.basis,
      requestId: note.requestId,
      requestedAt: note.requestedAt,
      ...(note.reason ? { reason: note.reason } : {}),
    });
    return { provider, checkRef, outcome: 'refused', retentionClass, basis: decision.basis, erasableFrom: decision.erasableFrom };
  }
  const versions = await versionsUnder(deps.objects, [prefix, legacyPrefix]);
  await deps.objects.deleteVersions(versions);
  const { receipt } = await deps.receipts.append(
    {
      kind: 'erasure',
      deletedAt: deps.now().toISOString(),
      provider,
      checkRef,
      retentionClass,
      basis: record.retentionBasis,
      retainedUntil: record.retainUntil,
      clock: record.retentionClock ?? 'archive',
      reason: note.reason ? `erasure request: ${note.reason}` : 'erasure request',
      deleted: { record: true, objects: keyCount(versions), versions: versions.length },
      request: { id: note.requestId, requestedAt: note.requestedAt, ...(note.reason ? { reason: note.reason } : {}), ...(refusedUntil ? { refusedUntil } : {}) },
      by: deps.actor ?? 'erase',
    },
    `erasure:${provider}:${checkRef}`,
  );
  await writeTombstone(deps, record, note, receipt.seq);
  for (const pending of await deps.ledger.erasuresOf(provider, checkRef)) await deps.ledger.dropErasure(pending);
  return { provider, checkRef, outcome: 'erased', retentionClass, receiptSeq: receipt.seq, objects: keyCount(versions), versions: versions.length };
}

/**
 * The record becomes its tombstone: unconditional but for a legal hold placed meanwhile (then the put fails and the
 * erasure is retried: the receipt is found by its key, the objects are gone already).
 */
async function writeTombstone(deps: RetentionDeps, record: CheckRecord, note: ErasureRequestNote, receiptSeq: number): Promise<void> {
  const tombstone: Tombstone = {
    pk: recordKeyOf(record.provider, record.checkRef),
    schemaVersion: 1,
    provider: record.provider,
    checkRef: record.checkRef,
    status: 'erased',
    statusRank: TOMBSTONE_RANK,
    retentionClass: record.retentionClass,
    erasedAt: deps.now().toISOString(),
    erasure: note,
    receiptSeq,
  };
  try {
    await deps.dynamo.send(new PutCommand({ TableName: deps.tableName, Item: tombstone, ConditionExpression: 'attribute_not_exists(legalHold)' }));
  } catch (error) {
    throw storageErrorFrom(error, 'DynamoDB PutItem (tombstone)');
  }
}

export interface SweepResult {
  erased: ErasureOutcome[];
  /** Still refused (a hold, or an obligation extended meanwhile): filed again under the new date. */
  deferred: ErasureOutcome[];
}

/**
 * Carries out the refused erasures whose date has come. A record DynamoDB's TTL deleted before the sweep came still
 * has its folder erased (whatever lifecycle left), with a receipt saying the record was gone already.
 */
export async function carryOutDueErasures(deps: RetentionDeps): Promise<SweepResult> {
  const result: SweepResult = { erased: [], deferred: [] };
  for (const pending of await deps.ledger.dueErasures(deps.now())) {
    const note: ErasureRequestNote = { requestId: pending.requestId, requestedAt: pending.requestedAt, ...(pending.reason ? { reason: pending.reason } : {}) };
    const record = await deps.records.get(pending.provider, pending.checkRef);
    let outcome: ErasureOutcome;
    if (record && isTombstone(record)) {
      await deps.ledger.dropErasure(pending);
      continue;
    }
    if (record) {
      await deps.ledger.dropErasure(pending);
      outcome = await eraseRecord({ ...deps, actor: deps.actor ?? 'erasure sweep' }, record, note, pending.due);
    } else {
      outcome = await eraseFolder(deps, pending, note);
      await deps.ledger.dropErasure(pending);
    }
    (outcome.outcome === 'erased' ? result.erased : result.deferred).push(outcome);
  }
  return result;
}

async function eraseFolder(deps: RetentionDeps, pending: PendingErasure, note: ErasureRequestNote): Promise<ErasureOutcome> {
  const versions = await versionsUnder(deps.objects, [pending.prefix, pending.legacyPrefix]);
  await deps.objects.deleteVersions(versions);
  const { receipt } = await deps.receipts.append(
    {
      kind: 'erasure',
      deletedAt: deps.now().toISOString(),
      provider: pending.provider,
      checkRef: pending.checkRef,
      retentionClass: pending.retentionClass,
      reason: 'erasure request carried out after the obligation ended; the record had expired already',
      deleted: { record: false, objects: keyCount(versions), versions: versions.length },
      request: { id: note.requestId, requestedAt: note.requestedAt, ...(note.reason ? { reason: note.reason } : {}), refusedUntil: pending.due },
      by: deps.actor ?? 'erasure sweep',
    },
    `erasure:${pending.provider}:${pending.checkRef}`,
  );
  return { provider: pending.provider, checkRef: pending.checkRef, outcome: 'erased', retentionClass: pending.retentionClass, receiptSeq: receipt.seq, objects: keyCount(versions), versions: versions.length };
}

function keyCount(versions: readonly ObjectVersion[]): number {
  return new Set(versions.filter((v) => !v.deleteMarker).map((v) => v.key)).size;
}
