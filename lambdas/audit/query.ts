/**
 * Record queries over the auditor indexes (records/table-schema.ts). A query is planned as an ordered list of groups
 * — one per provider and day, per provider and outcome, or the one of a clientKey — read in turn with the createdAt
 * range as key condition. The write-hot indexes spread a group over `indexShards` keys: their shards are read in
 * parallel and merged by createdAt, so a group still comes back in createdAt order (ties: by shard).
 *
 * Records past retention, and filters no index covers, are removed by a FilterExpression: DynamoDB applies it after
 * `Limit`, so reads come back short or empty and the loop reads on until the page is full, the plan is done, or the
 * round budget is spent. The `next` token says where each shard of the current group resumes.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { subjectHashOf } from '../checks/check-ref';
import { PROVIDERS } from '../checks/check-status';
import { storageErrorFrom } from '../common/storage-errors';
import type { CheckRecord } from '../records/record';
import { INDEXES, TABLE_KEY, shardKeysOf, type IndexSchema } from '../records/table-schema';
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
  /**
   * Rounds of DynamoDB requests one page may make; a round reads the shards of a group in parallel, so its latency is
   * about one request's (the API keeps its latency bounded; the CLI reads on). Default 100.
   */
  maxRounds?: number;
}

/** One logical partition of the plan: the keys of its shards (one key when the index is not sharded). */
interface Group {
  index: IndexSchema;
  keys: string[];
}

/** Where a shard resumes: 0 from its start, 1 done, or after the item with this createdAt and table key. */
type ShardPosition = 0 | 1 | [createdAt: string, pk: string];

interface Cursor {
  v: 2;
  /** Fingerprint of the filters and the shard count the token was issued for. */
  q: string;
  from: string;
  to: string;
  /** Group to resume in. */
  p: number;
  /** Its shards' positions; absent: the group from its start. */
  s?: ShardPosition[];
}

type StartKey = Record<string, string>;

/** A shard being read: what the last request returned and not yet handed out, and where to read on. */
interface ShardReader {
  key: string;
  /** ExclusiveStartKey of the next request, and the resume point when the page ends (nothing kept past it). */
  resume?: StartKey;
  done: boolean;
  /** Read at least once on this page (a group read ahead is read again by the next page). */
  fetched: boolean;
  buffer: CheckRecord[];
  /** LastEvaluatedKey of the request that filled `buffer`. */
  lastEvaluated?: StartKey;
}

const DAY_MS = 86_400_000;
/** Items DynamoDB evaluates per group and round: more than a page needs, so filtered-out records cost fewer rounds. */
const MIN_EVALUATED = 100;
/** Per shard request: DynamoDB's own page stops at 1 MB anyway. */
const MAX_EVALUATED = 1000;
const MIN_EVALUATED_PER_SHARD = 10;
/** Requests in flight in one round: a group's shards, and the groups read ahead after empty ones. */
const MAX_REQUESTS_PER_ROUND = 64;
/** Bounds the work a forged token can cause (64 shards need about 2 KB). */
const MAX_TOKEN_LENGTH = 8192;
const MAX_TOKEN_JSON = 64 * 1024;

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
    const page = await queryRecords(deps, { ...raw, limit: '1000', ...(next ? { next } : {}) }, { maxRounds: Infinity });
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
  const groups = planOf(filters, deps.indexShards);
  const fingerprint = fingerprintOf(filters, deps.indexShards);
  if (cursor && (cursor.q !== fingerprint || cursor.p >= groups.length)) {
    throw new InvalidQueryError('next is not a token of this query: repeat the filters of the first page');
  }
  let position = cursor?.p ?? 0;
  // The current group's readers, and those of the groups read ahead.
  const readers = new Map<number, ShardReader[]>();
  if (cursor?.s) readers.set(position, readersFrom(cursor.s, groups[position]!, filters));
  const readersOf = (g: number): ShardReader[] => {
    let found = readers.get(g);
    if (!found) readers.set(g, (found = groups[g]!.keys.map((key) => ({ key, done: false, fetched: false, buffer: [] }))));
    return found;
  };

  const maxRounds = options.maxRounds ?? 100;
  const base = filterExpression(deps.now(), filters);
  const items: CheckRecord[] = [];
  let rounds = 0;
  // Groups in a row that gave nothing (days without checks): as many groups are read ahead in the next round.
  let emptyStreak = 0;
  let delivered = 0;
  while (position < groups.length && items.length < page.limit) {
    const current = readersOf(position);
    const empty = current.filter((shard) => shard.buffer.length === 0 && !shard.done);
    if (empty.length > 0) {
      if (rounds >= maxRounds) break;
      const remaining = page.limit - items.length;
      const limit = Math.min(MAX_EVALUATED, Math.max(MIN_EVALUATED_PER_SHARD, Math.ceil(Math.max(MIN_EVALUATED, 2 * remaining) / current.length)));
      const reads = empty.map((shard) => ({ shard, group: groups[position]! }));
      for (let g = position + 1; g < groups.length && g <= position + emptyStreak; g++) {
        const ahead = readersOf(g);
        if (ahead.some((shard) => shard.fetched)) continue;
        if (reads.length + ahead.length > MAX_REQUESTS_PER_ROUND) break;
        reads.push(...ahead.map((shard) => ({ shard, group: groups[g]! })));
      }
      await Promise.all(reads.map(({ shard, group }) => fill(deps, shard, group, base, filters, limit)));
      rounds++;
    }
    const before = items.length;
    drain(current, groups[position]!, filters.order, items, page.limit);
    delivered += items.length - before;
    if (current.every((shard) => shard.done && shard.buffer.length === 0)) {
      readers.delete(position);
      emptyStreak = delivered === 0 ? emptyStreak + 1 : 0;
      delivered = 0;
      position++;
    }
  }
  // Only the current group's positions are kept: what was read ahead is read again by the next page.
  const shards = readers.get(position);
  const next =
    position < groups.length
      ? encodeCursor({ v: 2, q: fingerprint, from: filters.from, to: filters.to, p: position, ...(shards?.some((s) => s.fetched) ? { s: shards.map(positionOf) } : {}) })
      : undefined;
  return { items, ...(next ? { next } : {}), filters };
}

/** One request of one shard, from where it resumes. */
async function fill(deps: AuditDeps, shard: ShardReader, group: Group, base: Expression, filters: QueryFilters, limit: number): Promise<void> {
  const input: QueryCommandInput = {
    TableName: deps.tableName,
    IndexName: group.index.indexName,
    KeyConditionExpression: '#ipk = :ipk AND #isk BETWEEN :from AND :to',
    ...expressionFor(base, group.index, shard.key, filters),
    ScanIndexForward: filters.order === 'asc',
    Limit: limit,
    ...(shard.resume ? { ExclusiveStartKey: shard.resume } : {}),
  };
  let output;
  try {
    output = await deps.dynamo.send(new QueryCommand(input));
  } catch (error) {
    throw storageErrorFrom(error, 'DynamoDB Query');
  }
  shard.fetched = true;
  shard.buffer = (output.Items ?? []) as CheckRecord[];
  shard.lastEvaluated = output.LastEvaluatedKey as StartKey | undefined;
  // Nothing passed the filter: everything up to LastEvaluatedKey is read, nothing is handed out.
  if (shard.buffer.length === 0) settle(shard);
}

/** The shard's buffer is handed out: it resumes after what its request evaluated, or it is done. */
function settle(shard: ShardReader): void {
  shard.resume = shard.lastEvaluated;
  shard.done = shard.lastEvaluated === undefined;
  shard.lastEvaluated = undefined;
}

/**
 * Hands out records in createdAt order while that order is certain: the next record is the earliest (latest, desc)
 * head of the shards' buffers, and may go only when every shard with an empty buffer and more to read is known to
 * hold nothing before it (its LastEvaluatedKey lies strictly beyond). Otherwise those shards are read first.
 */
function drain(shards: ShardReader[], group: Group, order: 'asc' | 'desc', items: CheckRecord[], limit: number): void {
  const before = (a: string, b: string) => (order === 'asc' ? a < b : a > b);
  while (items.length < limit) {
    let best: ShardReader | undefined;
    for (const shard of shards) {
      if (shard.buffer.length > 0 && (!best || before(shard.buffer[0]!.createdAt, best.buffer[0]!.createdAt))) best = shard;
    }
    if (!best) return;
    const head = best.buffer[0]!;
    const blocked = shards.some(
      (shard) => shard.buffer.length === 0 && !shard.done && !(shard.resume && before(head.createdAt, shard.resume[group.index.sortKey]!)),
    );
    if (blocked) return;
    items.push(head);
    best.buffer.shift();
    if (best.buffer.length === 0) settle(best);
    else best.resume = startKeyOf(head, group.index, best.key);
  }
}

/** The groups to read, in the order results should come. */
function planOf(filters: QueryFilters, indexShards: number): Group[] {
  const group = (index: IndexSchema, base: string): Group => ({ index, keys: 'sharded' in index ? shardKeysOf(base, indexShards) : [base] });
  if (filters.clientKeyHash) return [group(INDEXES.byClientKey, filters.clientKeyHash)];
  if (filters.outcomes) {
    return filters.providers.flatMap((provider) => filters.outcomes!.map((outcome) => group(INDEXES.byOutcome, `${provider}#${outcome}`)));
  }
  const days: string[] = [];
  for (let ms = Date.parse(filters.from.slice(0, 10)); ms <= Date.parse(filters.to.slice(0, 10)); ms += DAY_MS) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  if (filters.order === 'desc') days.reverse();
  return days.flatMap((day) => filters.providers.map((provider) => group(INDEXES.byProviderDay, `${provider}#${day}`)));
}

interface Expression {
  conditions: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** Conditions every group shares: visibility (retention, legal hold, an open relationship) and the status filter. */
function filterExpression(now: Date, filters: QueryFilters): Expression {
  const expression: Expression = {
    conditions: ['(#retainUntil > :now OR #legalHold = :true OR #relationshipOpen = :true)'],
    names: { '#retainUntil': 'retainUntil', '#legalHold': 'legalHold', '#relationshipOpen': 'relationshipOpen' },
    values: { ':now': now.toISOString(), ':true': true },
  };
  if (filters.statuses) addIn(expression, 'status', filters.statuses);
  return expression;
}

function expressionFor(base: Expression, index: IndexSchema, key: string, filters: QueryFilters): Pick<
  QueryCommandInput,
  'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  const expression: Expression = { conditions: [...base.conditions], names: { ...base.names }, values: { ...base.values } };
  // What the partition key does not already say.
  if (index === INDEXES.byClientKey) {
    if (filters.outcomes) addIn(expression, 'outcome', filters.outcomes);
    if (filters.providers.length < PROVIDERS.length) addIn(expression, 'provider', filters.providers);
  }
  return {
    FilterExpression: expression.conditions.join(' AND '),
    ExpressionAttributeNames: { ...expression.names, '#ipk': index.partitionKey, '#isk': index.sortKey },
    ExpressionAttributeValues: { ...expression.values, ':ipk': key, ':from': filters.from, ':to': filters.to },
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

/** ExclusiveStartKey of an index query resuming after the item with this sort key and table key. */
function startKey(index: IndexSchema, key: string, createdAt: string, pk: string): StartKey {
  return { [TABLE_KEY.partitionKey]: pk, [index.partitionKey]: key, [index.sortKey]: createdAt };
}

function startKeyOf(record: CheckRecord, index: IndexSchema, key: string): StartKey {
  return startKey(index, key, record.createdAt, record.pk);
}

function positionOf(shard: ShardReader): ShardPosition {
  if (shard.done) return 1;
  if (!shard.resume) return 0;
  return [shard.resume.createdAt!, shard.resume[TABLE_KEY.partitionKey]!];
}

/** A record's table key as the archive writes it: a provider, '#', its checkRef. */
const RECORD_KEY = new RegExp(`^(${PROVIDERS.join('|')})#[A-Za-z0-9_-]{1,128}$`);

/**
 * The readers of a token's group, each position checked: one per shard of this query, a resume point inside the
 * query's range and on a record of one of its providers. A token that fails any check is refused, so an edited token
 * can at most move where a shard resumes within the same query — never widen what it returns.
 */
function readersFrom(positions: ShardPosition[], group: Group, filters: QueryFilters): ShardReader[] {
  const invalid = () => new InvalidQueryError('next is not a valid paging token');
  if (positions.length !== group.keys.length) throw invalid();
  return group.keys.map((key, i) => {
    const at = positions[i];
    if (at === 0) return { key, done: false, fetched: false, buffer: [] };
    if (at === 1) return { key, done: true, fetched: true, buffer: [] };
    if (!Array.isArray(at) || at.length !== 2) throw invalid();
    const [createdAt, pk] = at;
    if (typeof createdAt !== 'string' || typeof pk !== 'string' || createdAt < filters.from || createdAt > filters.to) throw invalid();
    const provider = RECORD_KEY.exec(pk)?.[1];
    if (!provider || !(filters.providers as readonly string[]).includes(provider)) throw invalid();
    return { key, done: false, fetched: true, buffer: [], resume: startKey(group.index, key, createdAt, pk) };
  });
}

function fingerprintOf(filters: QueryFilters, indexShards: number): string {
  const canonical = JSON.stringify([...Object.entries(filters).sort(([a], [b]) => (a < b ? -1 : 1)), ['indexShards', indexShards]]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Compact and opaque: JSON, deflated (createdAt prefixes repeat across shards), base64url. */
function encodeCursor(cursor: Cursor): string {
  return deflateRawSync(Buffer.from(JSON.stringify(cursor))).toString('base64url');
}

function decodeCursor(token: string): Cursor {
  let cursor: unknown;
  try {
    if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('shape');
    cursor = JSON.parse(inflateRawSync(Buffer.from(token, 'base64url'), { maxOutputLength: MAX_TOKEN_JSON }).toString('utf8'));
  } catch {
    throw new InvalidQueryError('next is not a valid paging token');
  }
  const c = cursor as Partial<Cursor> | null;
  const valid =
    c !== null &&
    typeof c === 'object' &&
    c.v === 2 &&
    typeof c.q === 'string' &&
    typeof c.from === 'string' &&
    typeof c.to === 'string' &&
    !Number.isNaN(Date.parse(c.from)) &&
    !Number.isNaN(Date.parse(c.to)) &&
    Number.isSafeInteger(c.p) &&
    c.p! >= 0 &&
    (c.s === undefined || Array.isArray(c.s));
  if (!valid) throw new InvalidQueryError('next is not a valid paging token');
  return c as Cursor;
}
