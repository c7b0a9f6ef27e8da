/**
 * DynamoDB write units of the records the archive writes, table and index by index, read from the requests the
 * benchmark's client sent (bench/lib/archive-deps.ts counts them, bodies included). Item sizes follow DynamoDB's
 * rules (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html): attribute
 * names plus values, a number about one byte per two digits plus one, 3 bytes and 1 per element for lists and maps.
 * A write costs one unit per started KB; an index write happens when an item enters, leaves or changes in the index,
 * two (a delete and a put) when its index key changes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html, provisioned throughput considerations).
 */
import { INDEXES, TABLE_KEY, type IndexSchema } from '../../lambdas/records/table-schema';

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

/** The shard suffix of a sharded index key goes: every shard of `liveness#2026-03-19` counts as that key. */
function baseKey(index: IndexSchema, value: string): string {
  return 'sharded' in index ? value.replace(/#\d+$/, '') : value;
}

/**
 * Follows the records of one check across the requests of its archive invocations: each write is compared with the
 * item the previous one left (the archive's puts replace the whole item), so a changed index key counts twice.
 */
export function createWriteTracker(indexes: readonly IndexSchema[] = Object.values(INDEXES)) {
  const items = new Map<string, Item>();

  function put(item: Item, into: RecordWrites, factor = 1): void {
    const bytes = itemBytes(item);
    into.itemBytes.push(bytes);
    into.tableUnits += unitsOf(bytes) * factor;
    const pk = item[TABLE_KEY.partitionKey]?.S ?? '';
    const before = items.get(String(pk));
    const beforeBytes = before ? itemBytes(before) : 0;
    for (const index of indexes) {
      const now = item[index.partitionKey]?.S as string | undefined;
      const was = before?.[index.partitionKey]?.S as string | undefined;
      // The index projects every attribute (lib/constructs/evidence-storage.ts): an entry is the whole item.
      if (was !== undefined && was !== now) into.indexWrites.push({ index: index.indexName, key: baseKey(index, was), kind: 'delete', units: unitsOf(beforeBytes) * factor, entryBytes: beforeBytes });
      if (now !== undefined) into.indexWrites.push({ index: index.indexName, key: baseKey(index, now), kind: was === now ? 'update' : 'put', units: unitsOf(bytes) * factor, entryBytes: bytes });
    }
    items.set(String(pk), item);
  }

  return {
    /** The writes in these requests (one archive invocation's), by command as the counter recorded them. */
    add(textBodies: Record<string, string[]>): RecordWrites {
      const writes: RecordWrites = { tableUnits: 0, itemBytes: [], indexWrites: [], estimated: 0 };
      for (const body of textBodies.PutItemCommand ?? []) put((JSON.parse(body) as { Item: Item }).Item, writes);
      for (const body of textBodies.BatchWriteItemCommand ?? []) {
        const requests = Object.values((JSON.parse(body) as { RequestItems: Record<string, Array<{ PutRequest?: { Item: Item } }>> }).RequestItems).flat();
        for (const request of requests) if (request.PutRequest) put(request.PutRequest.Item, writes);
      }
      for (const body of textBodies.TransactWriteItemsCommand ?? []) {
        // A transactional write costs twice the units.
        for (const entry of (JSON.parse(body) as { TransactItems: Array<{ Put?: { Item: Item } }> }).TransactItems) if (entry.Put) put(entry.Put.Item, writes, 2);
      }
      for (const body of textBodies.UpdateItemCommand ?? []) {
        const units = unitsOf(Buffer.byteLength(body));
        writes.tableUnits += units;
        writes.estimated++;
        for (const index of indexes) {
          if (body.includes(`"${index.partitionKey}"`)) writes.indexWrites.push({ index: index.indexName, key: '?', kind: 'update', units, entryBytes: Buffer.byteLength(body) });
        }
      }
      return writes;
    },
  };
}
