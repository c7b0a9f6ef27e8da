/**
 * The records table's stream (OLD_IMAGE): every removal of a check's item becomes a receipt (retention/expiry.ts), and
 * moves the check's "seen" marker past the removal (records/open-checks.ts SEEN_HORIZON_DAYS), so a duplicate event
 * after the record is gone still starts nothing. A marker's own expiry is no check's removal: skipped.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isSeenMarker } from '../records/open-checks';
import type { CheckRecord, Tombstone } from '../records/record';
import type { RetentionDeps } from './deps';
import { recordRemoved } from './expiry';

/** DynamoDB's TTL process, as the stream names it. */
export const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';

export interface StreamRecord {
  eventID?: string;
  eventName?: string;
  userIdentity?: { type?: string; principalId?: string };
  dynamodb?: { ApproximateCreationDateTime?: number; OldImage?: Record<string, AttributeValue> };
}

export function isStreamEvent(event: unknown): event is { Records: StreamRecord[] } {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.every((r) => (r as { eventSource?: unknown }).eventSource === 'aws:dynamodb');
}

/** Receipts for every REMOVE of the batch, in order. Failures throw: the batch is retried and receipts are idempotent. */
export async function receiptsForStream(deps: RetentionDeps, records: readonly StreamRecord[]): Promise<number> {
  let written = 0;
  for (const record of records) {
    if (record.eventName !== 'REMOVE' || !record.dynamodb?.OldImage) continue;
    const old = unmarshall(record.dynamodb.OldImage) as CheckRecord | Tombstone;
    if (isSeenMarker(old)) continue;
    const seconds = record.dynamodb.ApproximateCreationDateTime;
    const at = seconds ? new Date(seconds * 1000) : deps.now();
    await deps.records.keepSeen(old.provider, old.checkRef, at);
    await recordRemoved(deps, {
      old,
      byTtl: record.userIdentity?.type === 'Service' && record.userIdentity.principalId === TTL_PRINCIPAL,
      at: at.toISOString(),
      eventId: record.eventID ?? `${old.provider}:${old.checkRef}`,
    });
    written += 1;
  }
  return written;
}
