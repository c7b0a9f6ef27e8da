/**
 * Record queries over the auditor indexes (records/table-schema.ts). A query is planned as an ordered list of index
 * partitions — one per provider and day, per provider and outcome, or the one of a clientKey — read in turn with the
 * createdAt range as key condition. Records past retention, and filters no index covers, are removed by a
 * FilterExpression: DynamoDB applies it after `Limit`, so pages come back short or empty and the loop reads on until
 * the page is full, the plan is done, or the request budget is spent. The `next` token says where to resume.
 */
import { createHash } from 'node:crypto';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { subjectHashOf } from '../checks/check-ref';
import { storageErrorFrom } from '../common/storage-errors';
import type { CheckRecord } from '../records/record';
import { INDEXES, type IndexSchema } from '../records/table-schema';
import type { AuditDeps } from './deps';
import { InvalidQueryError } from './errors';
import { checkRange, parseQuery, type PageRequest, type QueryFilters, type RawQuery } from './filters';

export interface QueryPage {
  items: CheckRecord[];
  /** Present while there may be more: pass it back as `next` with the same filters. */
  next?: string;
  /** The filters as applied (bounds resolved). */
  filters: QueryFilters;
}

export interface QueryOptions {
  /** DynamoDB requests one page may make (the API keeps its latency bounded; the CLI reads on). Default 100. */
  maxRequests?: number;
}

interface Partition {
  index: IndexSchema;
  value: string;
}

interface Cursor {
  v: 1;
  /** Fingerprint of the filters the token was issued for. */
  q: string;
  from: string;
  to: string;
  /** Partition to resume in, and where in it. */
  p: number;
  k?: Record<string, string>;
}

const DAY_MS = 86_400_000;
/** Items DynamoDB evaluates per request: more than a page needs, so filtered-out records cost fewer round trips. */
const MIN_EVALUATED = 100;
const MAX_EVALUATED = 1000;

/** Parses raw parameters (CLI flags, API query string) and reads one page. */
export async function queryRecords(deps: AuditDeps, raw: RawQuery, options: QueryOptions = {}): Promise<QueryPage> {
  const key = raw.clientKey !== undefined ? await deps.identifierKey.get() : undefined;
  const parsed = parseQuery(raw, deps.now(), key && ((clientKey) => subjectHashOf(key, clientKey)));
  const { filters, page } = parsed;
  let cursor: Cursor | undefined;
  if (page.next) {
    cursor = decodeCursor(page.next);
    // Bounds left to their defaults keep the range of the first page (its "now"), so the token stays valid.
    if (parsed.defaulted.from) filters.from = cursor.from;
    if (parsed.defaulted.to) filters.to = cursor.to;
    checkRange(filters);
  }
  return readPage(deps, filters, page, cursor, options);
}

/** Every visible record matching the filters (`next` ignored), page after page. */
export async function* allRecords(deps: AuditDeps, raw: Omit<RawQuery, 'next' | 'limit'>): AsyncGenerator<CheckRecord> {
  let next: string | undefined;
  do {
    const page = await queryRecords(deps, { ...raw, limit: '1000', ...(next ? { next } : {}) }, { maxRequests: Infinity });
    yield* page.items;
    next = page.next;
  } while (next);
}

async function readPage(
  deps: AuditDeps,
  filters: QueryFilters,
  page: PageRequest,
  cursor: Cursor | undefined,
  options: QueryOptions,
): Promise<QueryPage> {
  const partitions = planOf(filters);
  const fingerprint = fingerprintOf(filters);
  if (cursor && (cursor.q !== fingerprint || cursor.p >= partitions.length)) {
    throw new InvalidQueryError('next is not a token of this query: repeat the filters of the first page');
  }
  let position = cursor?.p ?? 0;
  let startKey = cursor?.k;
  if (startKey) checkStartKey(startKey, partitions[position]!);

  const maxRequests = options.maxRequests ?? 100;
  const base = filterExpression(deps.now(), filters);
  const items: CheckRecord[] = [];
  let requests = 0;
  while (position < partitions.length && items.length < page.limit && requests < maxRequests) {
    const partition = partitions[position]!;
    const remaining = page.limit - items.length;
    const input: QueryCommandInput = {
      TableName: deps.tableName,
      IndexName: partition.index.indexName,
      KeyConditionExpression: '#ipk = :ipk AND #isk BETWEEN :from AND :to',
      ...expressionFor(base, partition, filters),
      ScanIndexForward: filters.order === 'asc',
      Limit: Math.min(MAX_EVALUATED, Math.max(remaining, MIN_EVALUATED)),
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    };
    let output;
    try {
      output = await deps.dynamo.send(new QueryCommand(input));
    } catch (error) {
      throw storageErrorFrom(error, 'DynamoDB Query');
    }
    requests++;
    const found = (output.Items ?? []) as CheckRecord[];
    if (found.length > remaining) {
      // More matches than the page holds: keep what fits and resume right after the last one kept.
      const kept = found.slice(0, remaining);
      items.push(...kept);
      startKey = startKeyOf(kept[kept.length - 1]!, partition);
      break;
    }
    items.push(...found);
    if (output.LastEvaluatedKey) {
      startKey = output.LastEvaluatedKey as Record<string, string>;
    } else {
      position++;
      startKey = undefined;
    }
  }
  const next =
    position < partitions.length
      ? encodeCursor({ v: 1, q: fingerprint, from: filters.from, to: filters.to, p: position, ...(startKey ? { k: startKey } : {}) })
      : undefined;
  return { items, ...(next ? { next } : {}), filters };
}

/** The index partitions to read, in the order results should come. */
function planOf(filters: QueryFilters): Partition[] {
  if (filters.clientKeyHash) return [{ index: INDEXES.byClientKey, value: filters.clientKeyHash }];
  if (filters.outcomes) {
    return filters.providers.flatMap((provider) =>
      filters.outcomes!.map((outcome) => ({ index: INDEXES.byOutcome, value: `${provider}#${outcome}` })),
    );
  }
  const days: string[] = [];
  for (let ms = Date.parse(filters.from.slice(0, 10)); ms <= Date.parse(filters.to.slice(0, 10)); ms += DAY_MS) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  if (filters.order === 'desc') days.reverse();
  return days.flatMap((day) => filters.providers.map((provider) => ({ index: INDEXES.byProviderDay, value: `${provider}#${day}` })));
}

interface Expression {
  conditions: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** Conditions every partition shares: visibility (retention, legal hold, an open relationship) and the status filter. */
function filterExpression(now: Date, filters: QueryFilters): Expression {
  const expression: Expression = {
    conditions: ['(#retainUntil > :now OR #legalHold = :true OR #relationshipOpen = :true)'],
    names: { '#retainUntil': 'retainUntil', '#legalHold': 'legalHold', '#relationshipOpen': 'relationshipOpen' },
    values: { ':now': now.toISOString(), ':true': true },
  };
  if (filters.statuses) addIn(expression, 'status', filters.statuses);
  return expression;
}

function expressionFor(base: Expression, partition: Partition, filters: QueryFilters): Pick<
  QueryCommandInput,
  'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  const expression: Expression = { conditions: [...base.conditions], names: { ...base.names }, values: { ...base.values } };
  // What the partition key does not already say.
  if (partition.index === INDEXES.byClientKey) {
    if (filters.outcomes) addIn(expression, 'outcome', filters.outcomes);
    if (filters.providers.length < 3) addIn(expression, 'provider', filters.providers);
  }
  return {
    FilterExpression: expression.conditions.join(' AND '),
    ExpressionAttributeNames: { ...expression.names, '#ipk': partition.index.partitionKey, '#isk': partition.index.sortKey },
    ExpressionAttributeValues: { ...expression.values, ':ipk': partition.value, ':from': filters.from, ':to': filters.to },
  };
}

function addIn(expression: Expression, attribute: string, values: readonly string[]): void {
  const placeholders = values.map((value, i) => {
    expression.values[`:${attribute}${i}`] = value;
    return `:${attribute}${i}`;
  });
  expression.names[`#${attribute}`] = attribute;
  expression.conditions.push(`#${attribute} IN (${placeholders.join(', ')})`);
}

/** ExclusiveStartKey of an index query resuming after `record`: table key, index key and sort key. */
function startKeyOf(record: CheckRecord, partition: Partition): Record<string, string> {
  const item = record as unknown as Record<string, string>;
  return { pk: record.pk, [partition.index.partitionKey]: partition.value, [partition.index.sortKey]: item[partition.index.sortKey]! };
}

function checkStartKey(key: Record<string, string>, partition: Partition): void {
  const expected = ['pk', partition.index.partitionKey, partition.index.sortKey].sort();
  const ok =
    JSON.stringify(Object.keys(key).sort()) === JSON.stringify(expected) &&
    Object.values(key).every((value) => typeof value === 'string' && value.length <= 300) &&
    key[partition.index.partitionKey] === partition.value;
  if (!ok) throw new InvalidQueryError('next is not a valid paging token');
}

function fingerprintOf(filters: QueryFilters): string {
  const canonical = JSON.stringify(Object.entries(filters).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(token: string): Cursor {
  let cursor: unknown;
  try {
    if (token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('shape');
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidQueryError('next is not a valid paging token');
  }
  const c = cursor as Partial<Cursor> | null;
  const valid =
    c !== null &&
    typeof c === 'object' &&
    c.v === 1 &&
    typeof c.q === 'string' &&
    typeof c.from === 'string' &&
    typeof c.to === 'string' &&
    !Number.isNaN(Date.parse(c.from)) &&
    !Number.isNaN(Date.parse(c.to)) &&
    Number.isSafeInteger(c.p) &&
    c.p! >= 0 &&
    (c.k === undefined || (typeof c.k === 'object' && c.k !== null && !Array.isArray(c.k)));
  if (!valid) throw new InvalidQueryError('next is not a valid paging token');
  return c as Cursor;
}

