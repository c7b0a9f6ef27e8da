/**
 * DynamoDB adapter of the check records. Writes are conditional so a record only moves forward (see STATUS_RANK) and
 * a legal hold survives any rewrite; dynalite has no transactions, so everything is single-item PutItem/UpdateItem.
 *
 * One run at a time writes a check: it takes the item's lease (acquireLease) before it stores anything, and its record
 * write is conditional on still holding it. The condition itself says "first final answer wins": a record replaces
 * one of lower rank, or one of equal rank below the final ranks, or its own twin (same rank, same manifest) — never a
 * different final answer, so a record can never name a manifest other than the one its own run stored.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ArchiverError } from '../common/errors';
import { StorageUnavailableError, storageErrorFrom } from '../common/storage-errors';
import type { ProviderName } from '../checks/check-status';
import { STARTED_RANK, seenTtlAfterRemoval, seenTtlAtStart, type StartedItem } from './open-checks';
import { FINAL_RANK, type CheckRecord } from './record';
import { expiresOf, ttlOf } from './retention';
import { TTL_ATTRIBUTE, recordKeyOf, seenKeyOf } from './table-schema';

/** A legal-hold operation named a check that has no record. */
export class RecordNotFoundError extends ArchiverError {
  override readonly name: string = 'RecordNotFoundError';
  readonly retryable = false;
}

export interface WriteResult {
  /**
   * False when the record was not written: a record that ranks higher (or an equal final one) was already there —
   * `record` is that one, unchanged — or another run holds the check's lease.
   */
  written: boolean;
  record: CheckRecord;
}

/** A run's claim on a check: who (a per-invocation id) and until when (epoch ms). */
export interface Lease {
  owner: string;
  until: number;
}

export type LeaseResult =
  | { acquired: true }
  /** A record this run could not improve on is there: keep it. */
  | { acquired: false; superseded: CheckRecord }
  /** Another run holds the lease until `until`. */
  | { acquired: false; heldUntil: number };

export type BeginResult = { created: true } | { created: false; existing: CheckRecord | StartedItem };

export interface RecordStore {
  get(provider: ProviderName, checkRef: string): Promise<CheckRecord | undefined>;
  /**
   * Conditional put: only over a record this one may replace (see above) and, with `lease`, only while this run holds
   * it (or nobody does); keeps an existing legal hold (and drops `ttl`).
   */
  write(record: CheckRecord, options?: { lease?: Lease }): Promise<WriteResult>;
  /** The start function's `started` item, unless the check has an item already (which is returned). */
  begin(item: StartedItem): Promise<BeginResult>;
  /**
   * The check's "seen" marker (`ttl` past its started item's, see SEEN_HORIZON_DAYS). True when it is this start's (or
   * absent until now); false when an earlier incarnation of the check left it: the record was there and has expired
   * or been erased.
   */
  markSeen(provider: ProviderName, checkRef: string, startId: string, now: Date): Promise<boolean>;
  /**
   * The item the marker guards was removed at `removedAt` (the table's stream): the marker now lasts SEEN_HORIZON_DAYS
   * past that, and exists even if it had expired already. Never moves a later `ttl` earlier.
   */
  keepSeen(provider: ProviderName, checkRef: string, removedAt: Date): Promise<void>;
  /** Removes this start's `started` item again (a duplicate after expiry): only while nothing else wrote it. */
  abandonStarted(provider: ProviderName, checkRef: string, startId: string): Promise<void>;
  /**
   * Takes the check's lease for a run that will write a record of `rank`: refused while another run holds it, or when
   * a record this run could not replace is there. Creates a `started` item when the check has none.
   */
  acquireLease(provider: ProviderName, checkRef: string, lease: Lease, rank: number, now: Date): Promise<LeaseResult>;
  /** Gives the lease up (a run that failed or yielded); a no-op when it is no longer this run's. */
  releaseLease(provider: ProviderName, checkRef: string, owner: string): Promise<void>;
  /** Suspends expiry: sets `legalHold`, removes `ttl`. Idempotent. */
  applyLegalHold(provider: ProviderName, checkRef: string, options: { now: Date; reason?: string }): Promise<CheckRecord>;
  /**
   * Ends a hold: `ttl` comes back from `retainUntil` (already past means DynamoDB deletes it soon), unless the record
   * waits for its relationship to end. Idempotent.
   */
  releaseLegalHold(provider: ProviderName, checkRef: string): Promise<CheckRecord>;
}

export interface RecordStoreConfig {
  client: DynamoDBDocumentClient;
  tableName: string;
}

const WRITE_ATTEMPTS = 3;

export function createRecordStore({ client, tableName }: RecordStoreConfig): RecordStore {
  async function get(provider: ProviderName, checkRef: string): Promise<CheckRecord | undefined> {
    try {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: { pk: recordKeyOf(provider, checkRef) }, ConsistentRead: true }),
      );
      return Item as CheckRecord | undefined;
    } catch (error) {
      throw storageErrorFrom(error, 'DynamoDB GetItem');
    }
  }

  async function write(record: CheckRecord, options: { lease?: Lease } = {}): Promise<WriteResult> {
    let candidate = record;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const held = candidate.legalHold === true;
      const now = Date.now();
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: candidate,
            ConditionExpression: `attribute_not_exists(pk) OR ((${REPLACEABLE}) AND (${FREE_OR_MINE}) AND ${
              held ? 'legalHold = :true' : 'attribute_not_exists(legalHold)'
            })`,
            ExpressionAttributeValues: {
              ':rank': candidate.statusRank,
              ':final': FINAL_RANK,
              ':sha': candidate.manifestSha256 ?? '-',
              ':owner': options.lease?.owner ?? '-',
              ':now': now,
              ...(held ? { ':true': true } : {}),
            },
          }),
        );
        return { written: true, record: candidate };
      } catch (error) {
        if (!isConditionFailure(error)) throw storageErrorFrom(error, 'DynamoDB PutItem');
      }
      // Someone got there first: a record this one may not replace wins, as does another run's live lease; otherwise
      // adopt the stored legal-hold state and write again.
      const existing = await get(record.provider, record.checkRef);
      if (existing && !mayReplace(existing, candidate)) return { written: false, record: existing };
      if (existing && leaseHeldByOther(existing, options.lease?.owner, now)) return { written: false, record: existing };
      candidate = withHoldOf(existing, candidate);
    }
    throw new StorageUnavailableError('DynamoDB PutItem: record kept changing under concurrent writes');
  }

  async function begin(item: StartedItem): Promise<BeginResult> {
    try {
      await client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return { created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw storageErrorFrom(error, 'DynamoDB PutItem');
    }
    const existing = await get(item.provider, item.checkRef);
    // Deleted in between (an abandoned start): try once more.
    if (!existing) return begin(item);
    return { created: false, existing };
  }

  async function markSeen(provider: ProviderName, checkRef: string, startId: string, now: Date): Promise<boolean> {
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: seenKeyOf(provider, checkRef), provider, checkRef, startId, seenAt: now.toISOString(), [TTL_ATTRIBUTE]: seenTtlAtStart(now) },
          ConditionExpression: 'attribute_not_exists(pk) OR startId = :startId',
          ExpressionAttributeValues: { ':startId': startId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storageErrorFrom(error, 'DynamoDB PutItem');
    }
  }

  async function keepSeen(provider: ProviderName, checkRef: string, removedAt: Date): Promise<void> {
    const ttl = seenTtlAfterRemoval(removedAt);
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: seenKeyOf(provider, checkRef) },
          // A start after this sees a startId of no start of its own: the check was seen, its record is gone.
          UpdateExpression: 'SET provider = :provider, checkRef = :checkRef, startId = if_not_exists(startId, :gone), seenAt = if_not_exists(seenAt, :at), #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl < :ttl',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':provider': provider, ':checkRef': checkRef, ':gone': 'removed', ':at': removedAt.toISOString(), ':ttl': ttl },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw storageErrorFrom(error, 'DynamoDB UpdateItem (seen marker)');
    }
  }

  async function abandonStarted(provider: ProviderName, checkRef: string, startId: string): Promise<void> {
    try {
      await client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: { pk: recordKeyOf(provider, checkRef) },
          ConditionExpression: '#status = :started AND startId = :startId AND attribute_not_exists(leaseOwner)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':started': 'started', ':startId': startId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw storageErrorFrom(error, 'DynamoDB DeleteItem');
    }
  }

  async function acquireLease(provider: ProviderName, checkRef: string, lease: Lease, rank: number, now: Date): Promise<LeaseResult> {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: recordKeyOf(provider, checkRef) },
          UpdateExpression:
            'SET leaseOwner = :owner, leaseUntil = :until, provider = if_not_exists(provider, :provider), ' +
            'checkRef = if_not_exists(checkRef, :checkRef), #status = if_not_exists(#status, :started), ' +
            'statusRank = if_not_exists(statusRank, :startedRank), schemaVersion = if_not_exists(schemaVersion, :one)',
          ConditionExpression: `attribute_not_exists(pk) OR ((statusRank < :rank OR (statusRank = :rank AND :rank < :final)) AND (${FREE_OR_MINE}))`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':owner': lease.owner,
            ':until': lease.until,
            ':now': now.getTime(),
            ':rank': rank,
            ':final': FINAL_RANK,
            ':provider': provider,
            ':checkRef': checkRef,
            ':started': 'started',
            ':startedRank': STARTED_RANK,
            ':one': 1,
          },
        }),
      );
      return { acquired: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw storageErrorFrom(error, 'DynamoDB UpdateItem');
    }
    const existing = await get(provider, checkRef);
    if (!existing) return acquireLease(provider, checkRef, lease, rank, now);
    if (leaseHeldByOther(existing, lease.owner, now.getTime())) return { acquired: false, heldUntil: Number(existing.leaseUntil) };
    return { acquired: false, superseded: existing };
  }

  async function releaseLease(provider: ProviderName, checkRef: string, owner: string): Promise<void> {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: recordKeyOf(provider, checkRef) },
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw storageErrorFrom(error, 'DynamoDB UpdateItem');
    }
  }

  async function applyLegalHold(
    provider: ProviderName,
    checkRef: string,
    { now, reason }: { now: Date; reason?: string },
  ): Promise<CheckRecord> {
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: recordKeyOf(provider, checkRef) },
          UpdateExpression: `SET legalHold = :true, legalHoldSince = if_not_exists(legalHoldSince, :now)${
            reason ? ', legalHoldReason = :reason' : ''
          } REMOVE #ttl`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':true': true,
            ':now': now.toISOString(),
            ...(reason ? { ':reason': reason.slice(0, 200) } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as CheckRecord;
    } catch (error) {
      if (isConditionFailure(error)) throw new RecordNotFoundError(`no record for ${provider} check ${checkRef}`);
      throw storageErrorFrom(error, 'DynamoDB UpdateItem');
    }
  }

  async function releaseLegalHold(provider: ProviderName, checkRef: string): Promise<CheckRecord> {
    const existing = await get(provider, checkRef);
    if (!existing) throw new RecordNotFoundError(`no record for ${provider} check ${checkRef}`);
    if (existing.legalHold !== true) return existing;
    const expires = expiresOf({ relationshipOpen: existing.relationshipOpen });
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: existing.pk },
          UpdateExpression: `${expires ? 'SET #ttl = :ttl ' : ''}REMOVE legalHold, legalHoldSince, legalHoldReason`,
          ConditionExpression: 'attribute_exists(pk)',
          ...(expires ? { ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE }, ExpressionAttributeValues: { ':ttl': ttlOf(existing.retainUntil) } } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as CheckRecord;
    } catch (error) {
      if (isConditionFailure(error)) throw new RecordNotFoundError(`no record for ${provider} check ${checkRef}`);
      throw storageErrorFrom(error, 'DynamoDB UpdateItem');
    }
  }

  return { get, write, begin, markSeen, keepSeen, abandonStarted, acquireLease, releaseLease, applyLegalHold, releaseLegalHold };
}

/**
 * What a record may replace (both as a condition expression and as a check on a stored item): a record of lower rank;
 * one of equal rank below the final ranks (an error retried, an escalation updated); or its own twin, the same rank
 * anchoring the same manifest (a retried write). Never a different final answer.
 */
const REPLACEABLE = 'statusRank < :rank OR (statusRank = :rank AND (:rank < :final OR manifestSha256 = :sha))';
/** Nobody holds the check's lease, this run does, or the holder's time is up. */
const FREE_OR_MINE = 'attribute_not_exists(leaseOwner) OR leaseOwner = :owner OR leaseUntil < :now';

export function mayReplace(existing: Pick<CheckRecord, 'statusRank' | 'manifestSha256'>, record: Pick<CheckRecord, 'statusRank' | 'manifestSha256'>): boolean {
  if (existing.statusRank < record.statusRank) return true;
  if (existing.statusRank > record.statusRank) return false;
  return record.statusRank < FINAL_RANK || (record.manifestSha256 !== undefined && existing.manifestSha256 === record.manifestSha256);
}

function leaseHeldByOther(existing: CheckRecord, owner: string | undefined, now: number): boolean {
  return typeof existing.leaseOwner === 'string' && existing.leaseOwner !== owner && Number(existing.leaseUntil) >= now;
}

/** The record to write given the legal-hold state of the one already stored. */
export function withHoldOf(existing: CheckRecord | undefined, record: CheckRecord): CheckRecord {
  const { legalHold: _h, legalHoldSince: _s, legalHoldReason: _r, ttl: _t, leaseOwner: _o, leaseUntil: _u, ...rest } = record;
  if (existing?.legalHold === true) {
    return {
      ...rest,
      legalHold: true,
      ...(existing.legalHoldSince ? { legalHoldSince: existing.legalHoldSince } : {}),
      ...(existing.legalHoldReason ? { legalHoldReason: existing.legalHoldReason } : {}),
    };
  }
  return { ...rest, ...(expiresOf(record) ? { ttl: ttlOf(record.retainUntil) } : {}) };
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown })?.name === 'ConditionalCheckFailedException';
}

/** Document client for the archive table; with an endpoint (dynalite, DynamoDB Local) and static local credentials. */
export function createDynamoDocumentClient(
  options: { endpoint?: string; region?: string; credentials?: DynamoDBClientConfig['credentials'] } = {},
): DynamoDBDocumentClient {
  const base = new DynamoDBClient({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  return DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
}
