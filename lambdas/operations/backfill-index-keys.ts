/**
 * Backfill of the sharded index keys: every record's providerDay and providerOutcome are set to what the current
 * shard count gives (records/table-schema.ts `indexKeysOf`). Records written before sharding carry the unsharded key —
 * shard 0, which every query reads, so they stay visible — and this spreads them; after `indexShards` was lowered it
 * moves records out of the shards queries no longer read. One-off and idempotent: a second run rewrites nothing.
 *
 * A Scan of the table (keys and the fields the index keys come from) and one conditional UpdateItem per record whose
 * keys differ: the condition is that they are still what the scan saw, so a record rewritten meanwhile (by a writer,
 * which sets the keys itself) is read again rather than overwritten. Nothing else of a record changes: its evidence
 * fields, legal hold and TTL stay as they are.
 */
import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLimiter } from '../archive/limiter';
import { storageErrorFrom } from '../common/storage-errors';
import { INDEXES, TABLE_KEY, indexKeysOf } from '../records/table-schema';

export interface BackfillOptions {
  dynamo: Pick<DynamoDBDocumentClient, 'send'>;
  tableName: string;
  /** The count the writers use now (cdk.json indexShards). */
  indexShards: number;
  /** Report what would change, write nothing. */
  dryRun: boolean;
  /** Updates in flight. Default 8. */
  concurrency?: number;
  /** Items a Scan page evaluates. Default 500. */
  pageSize?: number;
  /** Told after each Scan page (progress). */
  onPage?: (report: BackfillReport) => void;
}

export interface BackfillReport {
  /** Items the scan returned. */
  scanned: number;
  /** Records whose keys were already the current ones. */
  current: number;
  /** Records whose keys were rewritten (a dry run: would be). */
  rewritten: number;
  /** Rewritten after a writer changed the record meanwhile (read again, then updated or found current). */
  changedMeanwhile: number;
  /** Items that are not records with index keys (nothing to do). */
  skipped: number;
  /** Records that could not be updated (their keys are as they were); the error names, never values. */
  failed: number;
  errors: string[];
}

type Item = Record<string, unknown>;

const DAY = INDEXES.byProviderDay.partitionKey;
const OUTCOME = INDEXES.byOutcome.partitionKey;
/** What a record's index keys are made of, and the keys themselves. */
const FIELDS = [TABLE_KEY.partitionKey, 'provider', 'checkRef', 'createdAt', 'outcome', DAY, OUTCOME];
const ATTEMPTS = 3;

export async function backfillIndexKeys(options: BackfillOptions): Promise<BackfillReport> {
  const { dynamo, tableName, indexShards, dryRun } = options;
  const report: BackfillReport = { scanned: 0, current: 0, rewritten: 0, changedMeanwhile: 0, skipped: 0, failed: 0, errors: [] };
  const limit = createLimiter(options.concurrency ?? 8);
  const names = Object.fromEntries(FIELDS.map((field, i) => [`#f${i}`, field]));

  let ExclusiveStartKey: Item | undefined;
  do {
    let page;
    try {
      page = await dynamo.send(
        new ScanCommand({
          TableName: tableName,
          ProjectionExpression: Object.keys(names).join(', '),
          ExpressionAttributeNames: names,
          Limit: options.pageSize ?? 500,
          ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
        }),
      );
    } catch (error) {
      throw storageErrorFrom(error, 'DynamoDB Scan of the records table');
    }
    const items = (page.Items ?? []) as Item[];
    report.scanned += items.length;
    await Promise.all(items.map((item) => limit(() => backfillOne(item))));
    ExclusiveStartKey = page.LastEvaluatedKey as Item | undefined;
    options.onPage?.(report);
  } while (ExclusiveStartKey);
  return report;

  async function backfillOne(scanned: Item): Promise<void> {
    let item: Item | undefined = scanned;
    for (let attempt = 0; attempt < ATTEMPTS && item; attempt++) {
      const changes = changesOf(item, indexShards);
      if (changes === undefined) {
        report.skipped++;
        return;
      }
      if (Object.keys(changes).length === 0) {
        report.current++;
        if (attempt > 0) report.changedMeanwhile++;
        return;
      }
      if (dryRun) {
        report.rewritten++;
        return;
      }
      try {
        await dynamo.send(updateOf(tableName, item, changes));
        report.rewritten++;
        if (attempt > 0) report.changedMeanwhile++;
        return;
      } catch (error) {
        if ((error as { name?: unknown })?.name !== 'ConditionalCheckFailedException') return fail(error);
      }
      // Rewritten (or deleted) since the scan: read it again.
      try {
        const { Item } = await dynamo.send(new GetCommand({ TableName: tableName, Key: { [TABLE_KEY.partitionKey]: item[TABLE_KEY.partitionKey] }, ConsistentRead: true }));
        item = Item as Item | undefined;
      } catch (error) {
        return fail(error);
      }
    }
    if (!item) report.skipped++; // deleted meanwhile (TTL)
    else fail({ name: 'RecordKeptChanging' });
  }

  function fail(error: unknown): void {
    report.failed++;
    const name = (error as { name?: unknown })?.name;
    const text = typeof name === 'string' && /^[\w.:-]{1,64}$/.test(name) ? name : 'UnknownError';
    if (!report.errors.includes(text)) report.errors.push(text);
  }
}

/**
 * The index keys to set: empty when they are current, undefined when the item is not a record with index keys
 * (neither key, or not the fields they come from). A key the item does not have is never added.
 */
export function changesOf(item: Item, indexShards: number): Record<string, string> | undefined {
  const has = (field: string) => typeof item[field] === 'string' && item[field] !== '';
  if (!has(DAY) && !has(OUTCOME)) return undefined;
  if (!has('provider') || !has('checkRef') || !has('createdAt')) return undefined;
  const keys = indexKeysOf(
    { provider: item.provider as string, checkRef: item.checkRef as string, createdAt: item.createdAt as string, outcome: (item.outcome as string) ?? '' },
    indexShards,
  );
  const changes: Record<string, string> = {};
  if (has(DAY) && item[DAY] !== keys.providerDay) changes[DAY] = keys.providerDay;
  if (has(OUTCOME) && has('outcome') && item[OUTCOME] !== keys.providerOutcome) changes[OUTCOME] = keys.providerOutcome;
  return changes;
}

function updateOf(tableName: string, item: Item, changes: Record<string, string>): UpdateCommand {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const conditions = [`attribute_exists(#pk)`];
  names['#pk'] = TABLE_KEY.partitionKey;
  for (const [i, [attribute, value]] of Object.entries(changes).entries()) {
    names[`#k${i}`] = attribute;
    values[`:new${i}`] = value;
    values[`:old${i}`] = item[attribute];
    sets.push(`#k${i} = :new${i}`);
    conditions.push(`#k${i} = :old${i}`);
  }
  return new UpdateCommand({
    TableName: tableName,
    Key: { [TABLE_KEY.partitionKey]: item[TABLE_KEY.partitionKey] },
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}
