/**
 * Expiry receipts. DynamoDB's TTL process deletes a record some time after its `ttl`; the records table's stream
 * shows each deletion with the old item and who made it (`userIdentity` dynamodb.amazonaws.com for TTL). For each:
 * - an expiry (TTL): the check's objects are handed to lifecycle (tag `expired`: one rule deletes them a day later;
 *   relationship-end classes have no rule of their own, so this is how their evidence goes), and a receipt says what
 *   expired, under which class, basis and clock, and until when it was kept;
 * - any other deletion (a person or a tool): a `record-deleted` receipt, so it shows; nothing else is touched.
 * Tombstones are never expired (no ttl); their removal is recorded the same way.
 */
import { isTombstone, type CheckRecord, type Tombstone } from '../records/record';
import { EXPIRED_TAG_VALUE } from '../records/retention';
import type { RetentionDeps } from './deps';
import { keysOfCheck } from './evidence-objects';
import type { StoredReceipt } from './receipts';

export interface RemovedRecord {
  /** The item as it was (the stream's OldImage). */
  old: CheckRecord | Tombstone;
  /** DynamoDB's TTL process removed it. */
  byTtl: boolean;
  /** When DynamoDB removed it (the stream record's time). */
  at: string;
  /** The stream record's id: a redelivered batch writes no second receipt. */
  eventId: string;
}

export async function recordRemoved(deps: RetentionDeps, removed: RemovedRecord): Promise<StoredReceipt> {
  const { old } = removed;
  const key = `removed:${old.provider}:${old.checkRef}:${removed.eventId}`;
  if (isTombstone(old) || !removed.byTtl) {
    return deps.receipts.append(
      {
        kind: 'record-deleted',
        deletedAt: removed.at,
        provider: old.provider,
        checkRef: old.checkRef,
        ...(old.retentionClass ? { retentionClass: old.retentionClass } : {}),
        reason: isTombstone(old) ? 'the tombstone of an erased check was deleted' : 'the record was deleted, not by the TTL process',
        deleted: { record: true },
        by: 'unknown',
      },
      key,
    );
  }
  const keys = await keysOfCheck(deps.objects, old);
  const handed = await deps.objects.retag(keys, EXPIRED_TAG_VALUE);
  return deps.receipts.append(
    {
      kind: 'expiry',
      deletedAt: removed.at,
      provider: old.provider,
      checkRef: old.checkRef,
      retentionClass: old.retentionClass,
      basis: old.retentionBasis,
      retainedUntil: old.retainUntil,
      clock: old.retentionClock ?? 'archive',
      reason: `retention ended ${old.retainUntil}${old.relationshipClosedAt ? ` (relationship closed ${old.relationshipClosedAt})` : ''}`,
      deleted: { record: true, objects: keys.length, handedToLifecycle: handed },
      by: 'dynamodb-ttl',
    },
    key,
  );
}
