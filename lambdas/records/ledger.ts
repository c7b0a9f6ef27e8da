/**
 * The retention ledger: a small DynamoDB table beside the records (partition `pk`, sort `sk`, both strings) holding
 * what retention needs beyond one check's record:
 * - `subject#<hash>` / `state`: what is known of a person — when their relationship closed, their last interaction;
 * - `erasures` / `<due>#<provider>#<checkRef>`: erasure requests refused for now, in the order they fall due;
 * - `receipts` / `<seq, 12 digits>`: the receipt chain (retention/receipts.ts seals each one in S3 too).
 * Single-item conditional writes only (dynalite has no transactions).
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StorageUnavailableError, storageErrorFrom } from '../common/storage-errors';
import type { ProviderName } from '../checks/check-status';
import { latest, type SubjectClock } from './retention';

export const LEDGER_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Sort key of erasures that wait for a relationship to end: after every date, so never due until re-filed. */
export const WAITING_FOR_RELATIONSHIP = '~relationship-open';

export interface SubjectState extends SubjectClock {
  subjectHash: string;
  /** Some record of the subject is capped by its last interaction: a newer interaction may extend it. */
  capped?: true;
}

/** An erasure request refused for now (legal obligation or legal hold), carried out when it falls due. */
export interface PendingErasure {
  provider: ProviderName;
  checkRef: string;
  /** ISO date it becomes erasable, or WAITING_FOR_RELATIONSHIP. A held check is re-tried daily (due = when refused). */
  due: string;
  /** The check's S3 folder: erased even when the record expired before the sweep came. */
  prefix: string;
  /** Its folder under the first, date-first key layout (archive/keys.ts), erased too; absent on older entries. */
  legacyPrefix?: string;
  retentionClass: string;
  /** Why it was refused: the class's legal basis, or the legal hold. */
  refusedBecause: string;
  requestId: string;
  requestedAt: string;
  reason?: string;
}

/** One receipt as the chain holds it: its exact text (what the hash covers) and that hash. */
export interface ReceiptItem {
  seq: number;
  /** The receipt's JSON text, byte for byte as hashed and sealed. */
  body: string;
  sha256: string;
  /** Same key, same deletion: a retried writer finds its receipt instead of writing a second one. */
  idempotencyKey: string;
}

export interface Ledger {
  subject(subjectHash: string): Promise<SubjectState | undefined>;
  /** Records a close: the latest close date and the longest days asked for win (a close never shortens). */
  closeRelationship(subjectHash: string, closedAt: string, days: number): Promise<SubjectState>;
  /** Moves the last interaction forward (never back); `capped` marks the subject as having capped records. */
  noteInteraction(subjectHash: string, at: string, options?: { capped?: boolean }): Promise<{ moved: boolean; state: SubjectState }>;
  fileErasure(entry: PendingErasure): Promise<void>;
  /** Pending erasures due at `now` or before, oldest first. */
  dueErasures(now: Date): Promise<PendingErasure[]>;
  /** Every pending erasure of one check (whatever its due date). */
  erasuresOf(provider: ProviderName, checkRef: string): Promise<PendingErasure[]>;
  dropErasure(entry: Pick<PendingErasure, 'due' | 'provider' | 'checkRef'>): Promise<void>;
  /** The newest receipt of the chain. */
  lastReceipt(): Promise<ReceiptItem | undefined>;
  /** The newest `count` receipts, newest first. */
  recentReceipts(count: number): Promise<ReceiptItem[]>;
  /** Creates receipt `item.seq`; false when that number is taken (another writer got there first). */
  putReceipt(item: ReceiptItem): Promise<boolean>;
  receipt(seq: number): Promise<ReceiptItem | undefined>;
  /** The chain in order, from `fromSeq`. */
  receipts(fromSeq?: number): AsyncGenerator<ReceiptItem>;
}

const SUBJECT_STATE = 'state';
const ERASURES = 'erasures';
const RECEIPTS = 'receipts';
const OPTIMISTIC_ATTEMPTS = 5;

export function receiptSortKey(seq: number): string {
  return String(seq).padStart(12, '0');
}

function erasureSortKey(entry: Pick<PendingErasure, 'due' | 'provider' | 'checkRef'>): string {
  return `${entry.due}#${entry.provider}#${entry.checkRef}`;
}

export function createLedger({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): Ledger {
  const send = async <T>(what: string, command: GetCommand | PutCommand | QueryCommand | DeleteCommand): Promise<T> => {
    try {
      return (await client.send(command as never)) as T;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') throw error;
      throw storageErrorFrom(error, `DynamoDB ${what} (ledger)`);
    }
  };

  async function subject(subjectHash: string): Promise<SubjectState | undefined> {
    const { Item } = await send<{ Item?: Record<string, unknown> }>('GetItem', new GetCommand({ TableName: tableName, Key: { pk: `subject#${subjectHash}`, sk: SUBJECT_STATE }, ConsistentRead: true }));
    return Item ? stateOf(Item) : undefined;
  }

  /** Read, change, write back conditionally on the version read: concurrent writers retry on the newer state. */
  async function update(subjectHash: string, change: (state: SubjectState) => SubjectState): Promise<{ before: SubjectState; after: SubjectState }> {
    for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
      const { Item } = await send<{ Item?: Record<string, unknown> }>('GetItem', new GetCommand({ TableName: tableName, Key: { pk: `subject#${subjectHash}`, sk: SUBJECT_STATE }, ConsistentRead: true }));
      const version = typeof Item?.version === 'number' ? Item.version : 0;
      const before = Item ? stateOf(Item) : { subjectHash };
      const after = change(before);
      try {
        await send('PutItem', new PutCommand({
          TableName: tableName,
          Item: { ...after, pk: `subject#${subjectHash}`, sk: SUBJECT_STATE, version: version + 1 },
          ConditionExpression: Item ? 'version = :version' : 'attribute_not_exists(pk)',
          ...(Item ? { ExpressionAttributeValues: { ':version': version } } : {}),
        }));
        return { before, after };
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
    throw new StorageUnavailableError('DynamoDB PutItem (ledger): the subject state kept changing under concurrent writes');
  }

  async function* queryAll(input: { pk: string; from?: string; to?: string; forward?: boolean; limit?: number }): AsyncGenerator<Record<string, unknown>> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    let left = input.limit ?? Infinity;
    do {
      const range = input.from !== undefined && input.to !== undefined ? ' AND sk BETWEEN :from AND :to' : input.from !== undefined ? ' AND sk >= :from' : input.to !== undefined ? ' AND sk <= :to' : '';
      const page = await send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>('Query', new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: `pk = :pk${range}`,
        ExpressionAttributeValues: { ':pk': input.pk, ...(input.from !== undefined ? { ':from': input.from } : {}), ...(input.to !== undefined ? { ':to': input.to } : {}) },
        ScanIndexForward: input.forward ?? true,
        ConsistentRead: true,
        ...(Number.isFinite(left) ? { Limit: Math.min(left, 1000) } : {}),
        ExclusiveStartKey,
      }));
      for (const item of page.Items ?? []) {
        yield item;
        left -= 1;
        if (left <= 0) return;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  return {
    subject,
    async closeRelationship(subjectHash, closedAt, days) {
      const { after } = await update(subjectHash, (state) => ({
        ...state,
        relationshipClosedAt: latest(closedAt, state.relationshipClosedAt),
        relationshipDays: Math.max(days, state.relationshipDays ?? 0),
      }));
      return after;
    },
    async noteInteraction(subjectHash, at, options = {}) {
      const { before, after } = await update(subjectHash, (state) => ({
        ...state,
        lastInteractionAt: latest(at, state.lastInteractionAt),
        ...(options.capped || state.capped ? { capped: true as const } : {}),
      }));
      return { moved: after.lastInteractionAt !== before.lastInteractionAt, state: after };
    },
    async fileErasure(entry) {
      await send('PutItem', new PutCommand({ TableName: tableName, Item: { ...entry, pk: ERASURES, sk: erasureSortKey(entry) } }));
    },
    async dueErasures(now) {
      const due: PendingErasure[] = [];
      for await (const item of queryAll({ pk: ERASURES, to: `${now.toISOString()}#~` })) due.push(erasureOf(item));
      return due;
    },
    async erasuresOf(provider, checkRef) {
      const found: PendingErasure[] = [];
      for await (const item of queryAll({ pk: ERASURES })) {
        if (item.provider === provider && item.checkRef === checkRef) found.push(erasureOf(item));
      }
      return found;
    },
    async dropErasure(entry) {
      await send('DeleteItem', new DeleteCommand({ TableName: tableName, Key: { pk: ERASURES, sk: erasureSortKey(entry) } }));
    },
    async lastReceipt() {
      for await (const item of queryAll({ pk: RECEIPTS, forward: false, limit: 1 })) return receiptOf(item);
      return undefined;
    },
    async recentReceipts(count) {
      const items: ReceiptItem[] = [];
      for await (const item of queryAll({ pk: RECEIPTS, forward: false, limit: count })) items.push(receiptOf(item));
      return items;
    },
    async putReceipt(item) {
      try {
        await send('PutItem', new PutCommand({
          TableName: tableName,
          Item: { ...item, pk: RECEIPTS, sk: receiptSortKey(item.seq) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }));
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
    async receipt(seq) {
      const { Item } = await send<{ Item?: Record<string, unknown> }>('GetItem', new GetCommand({ TableName: tableName, Key: { pk: RECEIPTS, sk: receiptSortKey(seq) }, ConsistentRead: true }));
      return Item ? receiptOf(Item) : undefined;
    },
    async *receipts(fromSeq = 1) {
      for await (const item of queryAll({ pk: RECEIPTS, from: receiptSortKey(fromSeq) })) yield receiptOf(item);
    },
  };
}

function stateOf(item: Record<string, unknown>): SubjectState {
  const { pk, sk: _sk, version: _v, ...rest } = item;
  return { ...(rest as Omit<SubjectState, 'subjectHash'>), subjectHash: String(pk).slice('subject#'.length) };
}

function erasureOf(item: Record<string, unknown>): PendingErasure {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as PendingErasure;
}

function receiptOf(item: Record<string, unknown>): ReceiptItem {
  return { seq: Number(item.seq), body: String(item.body), sha256: String(item.sha256), idempotencyKey: String(item.idempotencyKey ?? '') };
}
