/**
 * The archive table's keys and indexes, in one place: the CDK table (lib/), the local emulator table and the
 * auditor queries all read these, so they cannot drift apart.
 */
export const TABLE_KEY = { partitionKey: 'pk' } as const;

/** `ttl`: epoch seconds; DynamoDB deletes the item some days after. Queries must still filter expired items. */
export const TTL_ATTRIBUTE = 'ttl';

export interface IndexSchema {
  indexName: string;
  partitionKey: string;
  sortKey: string;
}

/** Auditor indexes. Every sort key is `createdAt` (ISO-8601), so each index answers date-range queries. */
export const INDEXES = {
  /** `{provider}#{yyyy-mm-dd}` of createdAt: "all liveness checks on 2026-11-02". */
  byProviderDay: { indexName: 'byProviderDay', partitionKey: 'providerDay', sortKey: 'createdAt' },
  /** `{provider}#{outcome}`: "all failed liveness checks", "all KYC sessions that expired". */
  byOutcome: { indexName: 'byOutcome', partitionKey: 'providerOutcome', sortKey: 'createdAt' },
  /** sha256-derived hash of the KYC clientKey (see checks/check-ref): "every session of this client". */
  byClientKey: { indexName: 'byClientKey', partitionKey: 'clientKeyHash', sortKey: 'createdAt' },
} as const satisfies Record<string, IndexSchema>;

/** Partition key of a check's record. */
export function recordKeyOf(provider: string, checkRef: string): string {
  return `${provider}#${checkRef}`;
}
