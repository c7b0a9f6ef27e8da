/**
 * The archive table's keys and indexes, in one place: the CDK table (lib/), the local emulator table and the
 * auditor queries all read these, so they cannot drift apart.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError } from '../common/errors';

export const TABLE_KEY = { partitionKey: 'pk' } as const;

/** `ttl`: epoch seconds; DynamoDB deletes the item some days after. Queries must still filter expired items. */
export const TTL_ATTRIBUTE = 'ttl';

export interface IndexSchema {
  indexName: string;
  partitionKey: string;
  sortKey: string;
  /**
   * The key is shared by many checks written at the same time (a provider's day, a provider's outcome): it is split
   * into `indexShards` keys so no one key takes a partition's write capacity (see `shardedKey`).
   */
  sharded?: true;
}

/** Auditor indexes. Every sort key is `createdAt` (ISO-8601), so each index answers date-range queries. */
export const INDEXES = {
  /** `{provider}#{yyyy-mm-dd}` of createdAt, sharded: "all liveness checks on 2026-11-02". */
  byProviderDay: { indexName: 'byProviderDay', partitionKey: 'providerDay', sortKey: 'createdAt', sharded: true },
  /** `{provider}#{outcome}`, sharded: "all failed liveness checks", "all KYC sessions that expired". */
  byOutcome: { indexName: 'byOutcome', partitionKey: 'providerOutcome', sortKey: 'createdAt', sharded: true },
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

/**
 * Open checks spread over this many index partitions (checkRefs are hashes, so the spread is even). Every check's
 * started item enters the index and its final record leaves it (an escalation moves it once more): about two to three
 * write units per check on one of these keys, so 64 keep each under 5 % of a partition at 1,000 checks/s (the scale
 * model in `npm run bench`). Raise only: reconcile reads every shard, and the names of fewer shards are among them.
 */
export const OPEN_SHARDS = 64;

/** Partition key of a check's "seen" marker: outlives the record, so an event replayed after expiry starts nothing. */
export function seenKeyOf(provider: string, checkRef: string): string {
  return `seen#${provider}#${checkRef}`;
}

/**
 * Write shards of the sharded index keys. A DynamoDB partition takes about 1,000 write units a second; with one key
 * per provider and day, a popular provider's checks all landed on one. 16 keys keep the hottest one under 10 % of a
 * partition at 1,000 checks/s (the scale model in `npm run bench` says by how much); a query reads a group's 16 in
 * parallel. Writers and readers must agree on the count (cdk.json `indexShards`; see docs/configuration.md).
 */
export const DEFAULT_INDEX_SHARDS = 16;
/** Bounds what one query fans out to, and the paging token (one resume key per shard). */
export const MAX_INDEX_SHARDS = 64;

/** The shard count, checked (cdk.json `indexShards`, INDEX_SHARDS, the CLI's --index-shards). */
export function parseIndexShards(value: unknown, source = 'indexShards'): number {
  const shards = typeof value === 'string' && /^\d{1,3}$/.test(value.trim()) ? Number(value) : value;
  if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1 || shards > MAX_INDEX_SHARDS) {
    throw new ConfigurationError(`${source} must be a whole number from 1 to ${MAX_INDEX_SHARDS}`);
  }
  return shards;
}

/** A check's shard: a hash of its checkRef, so every write of the check lands on the same keys. */
export function shardOf(checkRef: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash('sha256').update(checkRef).digest().readUInt32BE(0) % shards;
}

/**
 * The key of one shard. Shard 0 keeps the unsharded key (`{provider}#{day}`): records written before sharding are
 * all in shard 0, so they stay visible without a migration; the backfill command spreads them (and re-shards after
 * the count is lowered).
 */
export function shardedKey(base: string, shard: number): string {
  return shard === 0 ? base : `${base}#${shard}`;
}

/** Every shard key of a base key, in shard order: what a query reads. */
export function shardKeysOf(base: string, shards: number): string[] {
  return Array.from({ length: shards }, (_, shard) => shardedKey(base, shard));
}

/** What the index keys of a record are made of. */
export interface IndexedFields {
  provider: string;
  checkRef: string;
  /** ISO-8601 UTC (the record's normalized createdAt). */
  createdAt: string;
  outcome: string;
}

/** The sharded index keys of a record: byProviderDay's and byOutcome's. */
export function indexKeysOf(fields: IndexedFields, shards: number): { providerDay: string; providerOutcome: string } {
  const shard = shardOf(fields.checkRef, shards);
  return {
    providerDay: shardedKey(`${fields.provider}#${fields.createdAt.slice(0, 10)}`, shard),
    providerOutcome: shardedKey(`${fields.provider}#${fields.outcome}`, shard),
  };
}
