/**
 * A check is "open" from the moment its event starts it until it has a final record. The start function writes a
 * minimal `started` item (lowest rank, no personal data: provider, checkRef, times, the execution's name); records
 * that are not final yet — an escalation under review, an error worth another try — stay open too. Open items carry
 * `openShard` and `reconcileAt` and so sit in the sparse OPEN_CHECKS_INDEX, where reconcile finds the ones that are
 * due without listing executions. A final record is a PutItem without those attributes: it leaves the index by itself.
 *
 * The same item holds the check's write lease (`leaseOwner`, `leaseUntil`): one run at a time writes a check's folder
 * and record (see record-store.ts), and the lease lasts until the holder's invocation deadline plus a margin, after
 * which the holder writes nothing (it stops itself) — so an expired lease has no live writer behind it.
 */
import { createHash } from 'node:crypto';
import type { ProviderName } from '../checks/check-status';
import { OPEN_SHARDS, recordKeyOf } from './table-schema';

/** Below every record status: any record replaces it. */
export const STARTED_RANK = -1;

/** Sort-key prefix of checks reconcile gave up on: after every timestamp, so never "due", and listable apart. */
export const PARKED_PREFIX = '~parked#';

/** What the start function writes before it starts the workflow. */
export interface StartedItem {
  pk: string;
  schemaVersion: 1;
  provider: ProviderName;
  checkRef: string;
  status: 'started';
  statusRank: typeof STARTED_RANK;
  /** The check's createdAt (event), normalized: no personal data, and the record's sort key later. */
  createdAt: string;
  startedAt: string;
  /** The execution reconcile must look at: the start function's, or reconcile's latest restart. */
  executionName: string;
  restarts: number;
  /** Random per start: tells this start's "seen" marker from an older incarnation's (see record-store markSeen). */
  startId: string;
  openShard: string;
  reconcileAt: string;
  /** Epoch seconds: an open check reconcile never resolved does not stay forever. */
  ttl: number;
}

/** The bookkeeping a record keeps from the open item it replaces (reconcile reads these on error records). */
export interface OpenBookkeeping {
  executionName?: string;
  restarts?: number;
  startedAt?: string;
  /** Reconcile retries of an `error` record so far. */
  retries?: number;
  openShard?: string;
  reconcileAt?: string;
}

/** The shard of a check's open item: from its checkRef (a hash), so shards fill evenly. */
export function openShardOf(checkRef: string): string {
  const n = Number.parseInt(createHash('sha256').update(checkRef).digest('hex').slice(0, 8), 16) % OPEN_SHARDS;
  return `open#${String(n).padStart(2, '0')}`;
}

export function allOpenShards(): string[] {
  return Array.from({ length: OPEN_SHARDS }, (_, n) => `open#${String(n).padStart(2, '0')}`);
}

/**
 * When reconcile first looks at a started check: long enough that a healthy workflow has usually recorded it (most
 * checks end within minutes), short enough that a liveness check whose workflow died is recovered while its frames
 * may still be served. Later looks back off (nextLookAt).
 */
export const FIRST_LOOK_SECONDS: Record<ProviderName, number> = { liveness: 600, kyc: 1_800, verification: 1_800 };
/** Open items that reconcile never resolves disappear after this (they are parked, and alarmed on, long before). */
const OPEN_ITEM_DAYS = 400;

/**
 * How long a check's "seen" marker outlives the item it guards (its record, tombstone or started item). While that
 * item exists it refuses a duplicate by itself; once it is gone (the record expired, after years under most classes)
 * only the marker stands between a replayed event and a second workflow that would record a false `expired` or
 * `not-found`. Inside the system a duplicate comes at most ~15 days after its event — EventBridge retries for a day,
 * the start queue keeps a message 4 days, the dead-letter queue 14, and a replay keeps the event's own time — so
 * the horizon is a producer replaying its own history (a backfill, a re-sent year of events): 400 days covers a
 * yearly replay with a month to spare, for about 100 bytes per check. The marker is written with this horizon past
 * the started item's own expiry, and moved to this horizon past the removal when the record's removal comes through
 * the table's stream (retention/stream.ts) — so it outlives the record whatever the record's lifetime.
 */
export const SEEN_HORIZON_DAYS = 400;

/** The `ttl` (epoch seconds) a marker written at `now` by the start function gets: past its started item's. */
export function seenTtlAtStart(now: Date): number {
  return Math.floor(now.getTime() / 1000) + (OPEN_ITEM_DAYS + SEEN_HORIZON_DAYS) * 86_400;
}

/** The `ttl` a marker gets when the item it guards is removed at `removedAt`. */
export function seenTtlAfterRemoval(removedAt: Date): number {
  return Math.floor(removedAt.getTime() / 1000) + SEEN_HORIZON_DAYS * 86_400;
}

/** True for a check's "seen" marker (table-schema.ts seenKeyOf). */
export function isSeenMarker(item: { pk?: unknown } | undefined): boolean {
  return typeof item?.pk === 'string' && item.pk.startsWith('seen#');
}

export function startedItemOf(input: {
  provider: ProviderName;
  checkRef: string;
  createdAt: string;
  executionName: string;
  startId: string;
  now: Date;
}): StartedItem {
  const { provider, checkRef, now } = input;
  return {
    pk: recordKeyOf(provider, checkRef),
    schemaVersion: 1,
    provider,
    checkRef,
    status: 'started',
    statusRank: STARTED_RANK,
    createdAt: new Date(input.createdAt).toISOString(),
    startedAt: now.toISOString(),
    executionName: input.executionName,
    restarts: 0,
    startId: input.startId,
    openShard: openShardOf(checkRef),
    reconcileAt: new Date(now.getTime() + FIRST_LOOK_SECONDS[provider] * 1000).toISOString(),
    ttl: Math.floor(now.getTime() / 1000) + OPEN_ITEM_DAYS * 86_400,
  };
}

/** The next look at a check whose workflow is still running: twice the time it has run so far, within 1 h … 1 day. */
export function nextLookAt(startedAt: string | undefined, now: Date): string {
  const ran = startedAt ? Math.max(0, now.getTime() - Date.parse(startedAt)) : 0;
  const wait = Math.min(86_400_000, Math.max(3_600_000, Number.isFinite(ran) ? ran : 0));
  return new Date(now.getTime() + wait).toISOString();
}

/** The sort key of a parked check: stays in the index (listable), never due again. */
export function parkedAt(now: Date): string {
  return `${PARKED_PREFIX}${now.toISOString()}`;
}

/**
 * The check records among items read by a scan: neither a seen marker (`seen#…`) nor a `started` item (a check that
 * has no record yet). For tools and tests that read the whole table.
 */
export function recordItemsOf<T extends { pk?: unknown; status?: unknown }>(items: readonly T[]): T[] {
  return items.filter((item) => typeof item.pk === 'string' && item.pk.split('#').length === 2 && !isStartedItem(item));
}

/** True when an item is the start function's marker rather than a record. */
export function isStartedItem(item: { status?: unknown } | undefined): boolean {
  return item?.status === 'started';
}
