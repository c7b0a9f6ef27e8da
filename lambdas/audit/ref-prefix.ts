/**
 * A checkRef named by a unique prefix, as git names commits: what `npm start` prints is the first 12 characters. The
 * records table has no index on a prefix of its key, so this is a Scan of the whole table (paginated, filtered on the
 * key): fine for the local archive and the CLI, never done by the HTTP API. A full checkRef is one GetItem.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { storageErrorFrom } from '../common/storage-errors';
import type { ProviderName } from '../checks/check-status';
import type { CheckRecord } from '../records/record';
import { recordKeyOf } from '../records/table-schema';
import type { AuditDeps } from './deps';

/** Shorter prefixes would match too much of a large archive to be worth a scan. */
export const MIN_CHECK_REF_PREFIX = 8;

/** 8 to 31 hex characters: 32 is a full checkRef, looked up directly. */
export const CHECK_REF_PREFIX = /^[0-9a-f]{8,31}$/i;

/** What a prefix match needs to tell visible records apart and name them. */
export type PrefixMatch = Pick<CheckRecord, 'checkRef' | 'retainUntil' | 'legalHold' | 'relationshipOpen'> & { status?: string };

/** Every record of `provider` whose checkRef starts with `prefix` (lowercase hex), past retention included. */
export async function recordsWithRefPrefix(deps: AuditDeps, provider: ProviderName, prefix: string): Promise<PrefixMatch[]> {
  const matches: PrefixMatch[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    let page;
    try {
      page = await deps.dynamo.send(
        new ScanCommand({
          TableName: deps.tableName,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ProjectionExpression: '#ref, #until, #hold, #open, #status',
          ExpressionAttributeNames: { '#pk': 'pk', '#ref': 'checkRef', '#until': 'retainUntil', '#hold': 'legalHold', '#open': 'relationshipOpen', '#status': 'status' },
          ExpressionAttributeValues: { ':prefix': recordKeyOf(provider, prefix) },
          ExclusiveStartKey,
        }),
      );
    } catch (error) {
      throw storageErrorFrom(error, 'DynamoDB Scan for a checkRef prefix (a full checkRef needs none)');
    }
    matches.push(...((page.Items ?? []) as PrefixMatch[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return matches;
}
