/**
 * DynamoDB write units of the records the archive writes, table and index by index, read from the requests the
 * benchmark's client sent (bench/lib/archive-deps.ts counts them, bodies included). Item sizes follow DynamoDB's
 * rules (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html): attribute
 * names plus values, a number about one byte per two digits plus one, 3 bytes and 1 per element for lists and maps.
 * A write costs one unit per started KB; an index write happens when an item enters, leaves or changes in the index,
 * two (a delete and a put) when its index key changes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html, provisioned throughput considerations).
 */
import { OPEN_CHECKS_INDEX, OPEN_SHARDS, TABLE_INDEXES, TABLE_KEY, type IndexSchema } from '../../lambdas/records/table-schema';

type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

export interface IndexWrite {
  index: string;
  /** The index key the write lands on, without its shard suffix: what all shards of one key share. */
  key: string;
  kind: 'put' | 'update' | 'delete';
  units: number;
  entryBytes: number;
}

/** One request as the bench's counter saw it (bench/lib/archive-deps.ts): command, JSON body, condition refused. */
export interface SentRequest {
  name: string;
  body?: string;
  conditionFailed?: boolean;
}

export interface RecordWrites {
  /** Write units of the table itself. */
  tableUnits: number;
  itemBytes: number[];
  indexWrites: IndexWrite[];
  /** Writes whose item could not be known from the request (UpdateItem): sized by the request, an upper bound. */
  estimated: number;
}

const KB = 1024;

/** Size of one attribute value, DynamoDB's way. */
export function valueBytes(value: AttributeValue): number {
  const [type, inner] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return Buffer.byteLength(inner as string);
    case 'N': {
      const digits = (inner as string).replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length || 1;
      return Math.ceil(digits / 2) + 1 + ((inner as string).startsWith('-') ? 1 : 0);
    }
    case 'B':
      return Buffer.from(inner as string, 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((sum, element) => sum + 1 + valueBytes(element), 0);
    case 'M':
      return 3 + Object.entries(inner as Item).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueBytes(element), 0);
    case 'SS':
      return (inner as string[]).reduce((sum, s) => sum + Buffer.byteLength(s), 0);
    case 'NS':
      return (inner as string[]).reduce((sum, n) => sum + valueBytes({ N: n }), 0);
    default:
      throw new Error(`unknown DynamoDB type ${String(type)}`);
  }
}

export function itemBytes(item: Item): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

export const unitsOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / KB));

/** An index as the table declares it: its projection, when not ALL, is the attributes it includes besides the keys. */
export type TableIndex = IndexSchema & { projection?: readonly string[] };

/**
 * Indexes whose keys are spread over a fixed number of shard keys (`{base}#{nn}`): the open-checks index. The sharded
 * auditor indexes spread theirs over cdk.json's indexShards.
 */
export const FIXED_SHARDS: Readonly<Record<string, number>> = { [OPEN_CHECKS_INDEX.indexName]: OPEN_SHARDS };

/** The shard suffix of a sharded index key goes: every shard of `liveness#2026-03-19` counts as that key. */
function baseKey(index: TableIndex, value: string): string {
  return 'sharded' in index || index.indexName in FIXED_SHARDS ? value.replace(/#\d+$/, '') : value;
}

/**
 * The index entry of an item, or undefined when the item is not in the index (an index takes only items that have
 * both its key attributes: the open-checks index is sparse). ALL projects the whole item; otherwise the table's key,
 * the index's keys and the projected attributes.
 */
function entryOf(index: TableIndex, item: Item | undefined): Item | undefined {
  if (!item || item[index.partitionKey] === undefined || item[index.sortKey] === undefined) return undefined;
  if (!index.projection) return item;
  const names = [TABLE_KEY.partitionKey, index.partitionKey, index.sortKey, ...index.projection];
  return Object.fromEntries(names.filter((name) => item[name] !== undefined).map((name) => [name, item[name]!]));
}

const keyOf = (index: TableIndex, entry: Item) => `${JSON.stringify(entry[index.partitionKey])} ${JSON.stringify(entry[index.sortKey])}`;

/** Same attributes, same values (order aside). */
function sameEntry(a: Item, b: Item): boolean {
  const canonical = (item: Item) => JSON.stringify(Object.keys(item).sort().map((name) => [name, item[name]]));
  return canonical(a) === canonical(b);
}

/**
 * The attributes an UpdateExpression changes: those it removes, and those it sets to anything but
 * `if_not_exists(itself, …)` (which leaves an existing value alone).
 */
export function changedAttributes(expression: string, names: Record<string, string> = {}): string[] {
  const resolve = (token: string) => names[token] ?? token;
  const changed: string[] = [];
  for (const [, action, body] of expression.matchAll(/\b(SET|REMOVE|ADD|DELETE)\s+([\s\S]*?)(?=\s+\b(?:SET|REMOVE|ADD|DELETE)\b|$)/g)) {
    for (const clause of splitTopLevel(body!)) {
      const target = resolve(clause.trim().split(/[\s=]/)[0]!);
      if (action === 'SET' && new RegExp(`=\\s*if_not_exists\\(\\s*${escapeRegExp(clause.trim().split(/[\s=]/)[0]!)}\\s*,`).test(clause)) continue;
      changed.push(target);
    }
  }
  return changed;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (current.trim()) parts.push(current);
  return parts;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Follows the items of one check across the requests of its start and archive invocations: each write is compared
 * with the item the previous one left (puts replace the whole item), so an entry that moves (its partition or sort
 * key changes) counts a delete and a put, one that leaves the index a delete, and an update counts only when an
 * attribute the index holds changed. A write whose condition failed costs its table units and changes nothing.
 */
export function createWriteTracker(indexes: readonly TableIndex[] = TABLE_INDEXES) {
  const items = new Map<string, Item>();

  function put(item: Item, into: RecordWrites, factor = 1): void {
    const bytes = itemBytes(item);
    into.itemBytes.push(bytes);
    into.tableUnits += unitsOf(bytes) * factor;
    const pk = String(item[TABLE_KEY.partitionKey]?.S ?? '');
    const before = items.get(pk);
    for (const index of indexes) move(index, entryOf(index, before), entryOf(index, item), into, factor);
    items.set(pk, item);
  }

  function move(index: TableIndex, was: Item | undefined, now: Item | undefined, into: RecordWrites, factor: number): void {
    const write = (entry: Item, kind: IndexWrite['kind']) => {
      const entryBytes = itemBytes(entry);
      into.indexWrites.push({ index: index.indexName, key: baseKey(index, String(entry[index.partitionKey]!.S)), kind, units: unitsOf(entryBytes) * factor, entryBytes });
    };
    if (was && now && keyOf(index, was) === keyOf(index, now)) {
      if (!sameEntry(was, now)) write(now, 'update');
      return;
    }
    if (was) write(was, 'delete');
    if (now) write(now, 'put');
  }

  function update(body: string, into: RecordWrites): void {
    const request = JSON.parse(body) as { Key?: Item; UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string> };
    const before = items.get(String(request.Key?.[TABLE_KEY.partitionKey]?.S ?? ''));
    if (!before) {
      // An item this tracker has not seen: sized by the request, an upper bound.
      const units = unitsOf(Buffer.byteLength(body));
      into.tableUnits += units;
      into.estimated++;
      for (const index of indexes) {
        if (body.includes(`"${index.partitionKey}"`)) into.indexWrites.push({ index: index.indexName, key: '?', kind: 'update', units, entryBytes: Buffer.byteLength(body) });
      }
      return;
    }
    // UpdateItem costs the larger of the item before and after; the attributes it adds are a few bytes.
    into.tableUnits += unitsOf(Math.max(itemBytes(before), Buffer.byteLength(body) / 2));
    const changed = changedAttributes(request.UpdateExpression ?? '', request.ExpressionAttributeNames);
    for (const index of indexes) {
      const entry = entryOf(index, before);
      if (!entry) continue;
      const held = index.projection ? [index.partitionKey, index.sortKey, ...index.projection] : undefined;
      if (changed.some((name) => !held || held.includes(name))) {
        const entryBytes = itemBytes(entry);
        into.indexWrites.push({ index: index.indexName, key: baseKey(index, String(entry[index.partitionKey]!.S)), kind: 'update', units: unitsOf(entryBytes), entryBytes });
      }
    }
  }

  /** A write refused by its condition: DynamoDB charges the item's size (at least one unit) and writes nothing. */
  function refused(body: string, into: RecordWrites): void {
    const request = JSON.parse(body) as { Key?: Item; Item?: Item };
    const before = items.get(String((request.Key ?? request.Item)?.[TABLE_KEY.partitionKey]?.S ?? ''));
    into.tableUnits += unitsOf(before ? itemBytes(before) : 1);
  }

  return {
    /** The writes among these requests (one invocation's, in the order sent, as the bench's counter recorded them). */
    add(requests: readonly SentRequest[]): RecordWrites {
      const writes: RecordWrites = { tableUnits: 0, itemBytes: [], indexWrites: [], estimated: 0 };
      for (const { name, body, conditionFailed } of requests) {
        if (body === undefined) continue;
        if (conditionFailed && (name === 'PutItemCommand' || name === 'UpdateItemCommand')) refused(body, writes);
        else if (name === 'PutItemCommand') put((JSON.parse(body) as { Item: Item }).Item, writes);
        else if (name === 'UpdateItemCommand') update(body, writes);
        else if (name === 'BatchWriteItemCommand') {
          const batch = Object.values((JSON.parse(body) as { RequestItems: Record<string, Array<{ PutRequest?: { Item: Item } }>> }).RequestItems).flat();
          for (const request of batch) if (request.PutRequest) put(request.PutRequest.Item, writes);
        } else if (name === 'TransactWriteItemsCommand') {
          // A transactional write costs twice the units.
          for (const entry of (JSON.parse(body) as { TransactItems: Array<{ Put?: { Item: Item } }> }).TransactItems) if (entry.Put) put(entry.Put.Item, writes, 2);
        }
      }
      return writes;
    },
  };
}
