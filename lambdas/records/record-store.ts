/**
 * DynamoDB adapter of the check records. Writes are conditional so a record only moves forward (see STATUS_RANK) and
 * a legal hold survives any rewrite; dynalite has no transactions, so everything is single-item PutItem/UpdateItem.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ArchiverError } from '../common/errors';
import { StorageUnavailableError, storageErrorFrom } from '../common/storage-errors';
import type { ProviderName } from '../checks/check-status';
import type { CheckRecord } from './record';
import { expiresOf, ttlOf } from './retention';
import { TTL_ATTRIBUTE, recordKeyOf } from './table-schema';

/** A legal-hold operation named a check that has no record. */
export class RecordNotFoundError extends ArchiverError {
  override readonly name: string = 'RecordNotFoundError';
  readonly retryable = false;
}

export interface WriteResult {
  /** False when a record of higher rank was already there: `record` is that one, unchanged. */
  written: boolean;
  record: CheckRecord;
}

export interface RecordStore {
  get(provider: ProviderName, checkRef: string): Promise<CheckRecord | undefined>;
  /** Conditional put: only when no record of higher rank exists; keeps an existing legal hold (and drops `ttl`). */
  write(record: CheckRecord): Promise<WriteResult>;
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

  async function write(record: CheckRecord): Promise<WriteResult> {
    let candidate = record;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const held = candidate.legalHold === true;
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: candidate,
            ConditionExpression: `attribute_not_exists(pk) OR (statusRank <= :rank AND ${
              held ? 'legalHold = :true' : 'attribute_not_exists(legalHold)'
            })`,
            ExpressionAttributeValues: { ':rank': candidate.statusRank, ...(held ? { ':true': true } : {}) },
          }),
        );
        return { written: true, record: candidate };
      } catch (error) {
        if (!isConditionFailure(error)) throw storageErrorFrom(error, 'DynamoDB PutItem');
      }
      // Someone got there first: a higher-ranked record wins; otherwise adopt its legal-hold state and write again.
      const existing = await get(record.provider, record.checkRef);
      if (existing && existing.statusRank > candidate.statusRank) return { written: false, record: existing };
      candidate = withHoldOf(existing, candidate);
    }
    throw new StorageUnavailableError('DynamoDB PutItem: record kept changing under concurrent writes');
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

  return { get, write, applyLegalHold, releaseLegalHold };
}

/** The record to write given the legal-hold state of the one already stored. */
export function withHoldOf(existing: CheckRecord | undefined, record: CheckRecord): CheckRecord {
  const { legalHold: _h, legalHoldSince: _s, legalHoldReason: _r, ttl: _t, ...rest } = record;
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
