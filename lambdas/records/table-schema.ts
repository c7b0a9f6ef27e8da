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

/**
 * Sparse index of open checks (lambdas/records/open-checks.ts): only items with `openShard` are in it — checks
 * started and not yet recorded, escalated ones under review, error records still worth a retry, and the ones
 * reconcile parked. Reconcile queries each shard for `reconcileAt <= now`: its work is the open checks that are due,
 * never the whole table. Not an auditor index (auditors are granted INDEXES only).
 */
export const OPEN_CHECKS_INDEX = {
  indexName: 'byOpenDeadline',
  partitionKey: 'openShard',
  sortKey: 'reconcileAt',
  /** What reconcile reads from the index; everything else comes from a consistent GetItem. */
  projection: ['provider', 'checkRef', 'status', 'statusRank', 'executionName', 'restarts', 'startedAt'],
} as const;

/** Every index of the table, as the stack and the local emulator create them. */
export const TABLE_INDEXES: ReadonlyArray<IndexSchema & { projection?: readonly string[] }> = [...Object.values(INDEXES), OPEN_CHECKS_INDEX];

/** Open checks spread over this many index partitions (checkRefs are hashes, so the spread is even). */
export const OPEN_SHARDS = 16;

/** Partition key of a check's "seen" marker: outlives the record, so an event replayed after expiry starts nothing. */
export function seenKeyOf(provider: string, checkRef: string): string {
  return `seen#${provider}#${checkRef}`;
}
