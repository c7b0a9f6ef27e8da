/**
 * The records of one person, found through the byClientKey index (the keyed hash of their subject or client key,
 * and the unkeyed hash of records archived before keyed identifiers), and the one change retention makes to a record
 * after the fact: a later retain-until (a relationship closed, a newer interaction), never an earlier one.
 */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { legacyClientKeyHashOf, subjectHashOf } from '../checks/check-ref';
import { StorageUnavailableError, storageErrorFrom } from '../common/storage-errors';
import { isTombstone, type CheckRecord } from '../records/record';
import { expiresOf, ttlOf } from '../records/retention';
import { INDEXES, TTL_ATTRIBUTE } from '../records/table-schema';
import type { RetentionDeps } from './deps';

/** The hashes a person's records may be filed under: the keyed one, then the unkeyed one of older records. */
export async function subjectHashesOf(deps: Pick<RetentionDeps, 'identifierKey'>, subjectKey: string): Promise<{ keyed: string; all: string[] }> {
  const keyed = subjectHashOf(await deps.identifierKey.get(), subjectKey);
  return { keyed, all: [keyed, legacyClientKeyHashOf(subjectKey)] };
}

/** Every record filed under any of `hashes` (tombstones carry no hash, so none come back). */
export async function recordsOfSubject(deps: Pick<RetentionDeps, 'dynamo' | 'tableName'>, hashes: readonly string[]): Promise<CheckRecord[]> {
  const found = new Map<string, CheckRecord>();
  for (const hash of hashes) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      let page;
      try {
        page = await deps.dynamo.send(
          new QueryCommand({
            TableName: deps.tableName,
            IndexName: INDEXES.byClientKey.indexName,
            KeyConditionExpression: '#h = :h',
            ExpressionAttributeNames: { '#h': INDEXES.byClientKey.partitionKey },
            ExpressionAttributeValues: { ':h': hash },
            ExclusiveStartKey,
          }),
        );
      } catch (error) {
        throw storageErrorFrom(error, 'DynamoDB Query byClientKey');
      }
      for (const item of (page.Items ?? []) as CheckRecord[]) if (!isTombstone(item)) found.set(item.pk, item);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return [...found.values()];
}

export interface RetentionChange {
  retainUntil: string;
  /** The relationship closed: the record stops waiting for it. */
  relationshipClosedAt?: string;
  lastInteractionAt?: string;
}

const ATTEMPTS = 4;

/**
 * Moves a record's retain-until later (and says why); its `ttl` follows unless a legal hold or an open relationship
 * suspends expiry. `change` sees the record as stored now and returns undefined when there is nothing to move (it
 * must never return an earlier date). The write is conditional on the record being as seen, and is retried on the
 * newer one: a hold placed meanwhile, another close, a rewrite by the workflow. Returns the record as written, or
 * undefined when nothing changed (no record, a tombstone, nothing to move).
 */
export async function extendRecord(
  deps: Pick<RetentionDeps, 'dynamo' | 'tableName' | 'records'>,
  record: Pick<CheckRecord, 'provider' | 'checkRef'>,
  change: (current: CheckRecord) => RetentionChange | undefined,
): Promise<CheckRecord | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await deps.records.get(record.provider, record.checkRef);
    if (!current || isTombstone(current)) return undefined;
    const next = change(current);
    const same =
      next !== undefined &&
      next.retainUntil === current.retainUntil &&
      (next.relationshipClosedAt ?? current.relationshipClosedAt) === current.relationshipClosedAt &&
      (next.lastInteractionAt ?? current.lastInteractionAt) === current.lastInteractionAt &&
      !(next.relationshipClosedAt && current.relationshipOpen);
    if (!next || next.retainUntil < current.retainUntil || same) return undefined;
    const sets = ['retainUntil = :until'];
    const removes: string[] = [];
    const values: Record<string, unknown> = { ':until': next.retainUntil, ':seen': current.retainUntil, ':rank': current.statusRank };
    const names: Record<string, string> = {};
    if (next.relationshipClosedAt) {
      sets.push('relationshipClosedAt = :closedAt');
      values[':closedAt'] = next.relationshipClosedAt;
      removes.push('relationshipOpen');
    }
    if (next.lastInteractionAt) {
      sets.push('lastInteractionAt = :interaction');
      values[':interaction'] = next.lastInteractionAt;
    }
    const open = current.relationshipOpen === true && !next.relationshipClosedAt;
    if (expiresOf({ legalHold: current.legalHold, relationshipOpen: open })) {
      sets.push('#ttl = :ttl');
      names['#ttl'] = TTL_ATTRIBUTE;
      values[':ttl'] = ttlOf(next.retainUntil);
    }
    const held = current.legalHold === true;
    try {
      const { Attributes } = await deps.dynamo.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: { pk: current.pk },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: `retainUntil = :seen AND statusRank = :rank AND ${held ? 'legalHold = :true' : 'attribute_not_exists(legalHold)'}`,
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: { ...values, ...(held ? { ':true': true } : {}) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as CheckRecord;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw storageErrorFrom(error, 'DynamoDB UpdateItem');
    }
  }
  throw new StorageUnavailableError(`DynamoDB UpdateItem: ${record.provider} check ${record.checkRef} kept changing`);
}
