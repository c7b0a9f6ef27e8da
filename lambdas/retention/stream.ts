/** The records table's stream (OLD_IMAGE): every removal becomes a receipt (retention/expiry.ts). */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
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
    const seconds = record.dynamodb.ApproximateCreationDateTime;
    await recordRemoved(deps, {
      old,
      byTtl: record.userIdentity?.type === 'Service' && record.userIdentity.principalId === TTL_PRINCIPAL,
      at: (seconds ? new Date(seconds * 1000) : deps.now()).toISOString(),
      eventId: record.eventID ?? `${old.provider}:${old.checkRef}`,
    });
    written += 1;
  }
  return written;
}
