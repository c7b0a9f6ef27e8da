/**
 * The wake-up table (webhooks on): one item per check, `wake#{provider}#{checkRef}`, shared by the poll loop and the
 * webhook receiver, and one item per accepted notification, `delivery#{provider}#{hash of its id}`, the replay guard.
 *
 * A check's item holds the loop's position: `loop` (a hash of the task token), `seq` (its message number), `by` (the
 * SQS delivery that last advanced it) and, while the loop waits, `message` — the message in flight, which the receiver
 * sends again with no delay to wake the loop. Two copies of one message may then exist (the delayed one and the wake
 * one); each advances `seq` conditionally before acting, so whichever comes second finds it moved and ends quietly,
 * while an SQS redelivery of the same copy (same delivery id) may advance again. `wokenAt` is the last notification.
 * Items expire (`ttl`) two days after they last changed: a waiting loop changes its item at least every hop (300 s).
 * Only single-item conditional writes: dynalite has no transactions.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ProviderName } from '../checks/check-status';
import type { PollMessage } from '../checks/workflow-contract';
import { storageErrorFrom } from '../common/storage-errors';

export const WAKE_TABLE_KEY = 'pk';
export const WAKE_TTL_ATTRIBUTE = 'ttl';
const ITEM_TTL_SECONDS = 2 * 86_400;
/** Senders retry a notification for about a day (Standard Webhooks senders: up to ~27 h); its id is kept three. */
const DELIVERY_TTL_SECONDS = 3 * 86_400;

export interface CheckKey {
  provider: ProviderName;
  checkRef: string;
}

/** The loop's claim of its next position. */
export interface Advance {
  /** Hash of the task token: a new `Poll provider` task is a new loop. */
  loop: string;
  /** The message's own number; 0 for a message the loop never registered. */
  from: number;
  /** This SQS delivery: a redelivery of the same copy may advance again. */
  by: string;
  /** The next message while the loop waits; absent when it hands back (nothing left to wake). */
  message?: PollMessage;
  now: Date;
}

export interface WakeStore {
  /** Marks the check as known to the receiver (a loop started). Idempotent, one write per loop. */
  touch(key: CheckKey, now: Date): Promise<void>;
  /** Advances the loop; undefined when another copy of the message got there first (this one must end quietly). */
  advance(key: CheckKey, claim: Advance): Promise<{ wokenAt?: string } | undefined>;
  /** The receiver records a notification: the message waiting, if any; undefined when the check is unknown. */
  wake(key: CheckKey, now: Date): Promise<{ message?: PollMessage } | undefined>;
  /** The replay guard: true the first time a delivery id is seen (within three days). */
  firstDelivery(provider: ProviderName, deliveryId: string, now: Date): Promise<boolean>;
  /** Forgets a delivery id whose wake-up could not be completed, so the sender's retry is not taken for a replay. */
  forgetDelivery(provider: ProviderName, deliveryId: string): Promise<void>;
}

export const wakeKeyOf = ({ provider, checkRef }: CheckKey): string => `wake#${provider}#${checkRef}`;
const deliveryKeyOf = (provider: ProviderName, id: string) => `delivery#${provider}#${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
/** A loop's identity: the task token is long and a credential for the task, so only a hash is stored. */
export const loopIdOf = (taskToken: string): string => createHash('sha256').update(taskToken).digest('hex').slice(0, 24);

const epoch = (now: Date, plus: number) => Math.floor(now.getTime() / 1000) + plus;

export function createWakeStore({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): WakeStore {
  const send = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw storageErrorFrom(error, operation);
    }
  };
  /** A conditional write: undefined when its condition did not hold (another writer got there first). */
  const unlessConditionFails = async <T>(operation: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await send(operation, run);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };

  return {
    async touch(key, now) {
      await send('DynamoDB UpdateItem', () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: wakeKeyOf(key) },
            UpdateExpression: 'SET knownSince = if_not_exists(knownSince, :now), #ttl = :ttl',
            ExpressionAttributeNames: { '#ttl': WAKE_TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':now': now.toISOString(), ':ttl': epoch(now, ITEM_TTL_SECONDS) },
          }),
        ),
      );
    },

    async advance(key, { loop, from, by, message, now }) {
      const next = from + 1;
      // A loop's first registration takes the item over from any earlier loop (whose token is closed by now).
      const condition =
        from === 0
          ? 'attribute_not_exists(#loop) OR #loop <> :loop OR (#seq = :next AND #by = :by)'
          : '#loop = :loop AND (#seq = :from OR (#seq = :next AND #by = :by))';
      const updated = await unlessConditionFails('DynamoDB UpdateItem', () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: wakeKeyOf(key) },
            // The message in flight is kept while the loop waits and dropped when it hands back.
            UpdateExpression: `SET #loop = :loop, #seq = :next, #by = :by, #ttl = :ttl, knownSince = if_not_exists(knownSince, :now)${
              message ? ', message = :message' : ' REMOVE message'
            }`,
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#loop': 'loop', '#seq': 'seq', '#by': 'by', '#ttl': WAKE_TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':loop': loop,
              ':next': next,
              ':by': by,
              ':ttl': epoch(now, ITEM_TTL_SECONDS),
              ':now': now.toISOString(),
              ...(from === 0 ? {} : { ':from': from }),
              ...(message ? { ':message': JSON.stringify(message) } : {}),
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (!updated) return undefined;
      const wokenAt = updated.Attributes?.wokenAt;
      return typeof wokenAt === 'string' ? { wokenAt } : {};
    },

    async wake(key, now) {
      const updated = await unlessConditionFails('DynamoDB UpdateItem', () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: wakeKeyOf(key) },
            UpdateExpression: 'SET wokenAt = :now',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':now': now.toISOString() },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (!updated) return undefined;
      const stored = updated.Attributes?.message;
      return typeof stored === 'string' ? { message: JSON.parse(stored) as PollMessage } : {};
    },

    async firstDelivery(provider, deliveryId, now) {
      const put = await unlessConditionFails('DynamoDB PutItem', () =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: deliveryKeyOf(provider, deliveryId), [WAKE_TTL_ATTRIBUTE]: epoch(now, DELIVERY_TTL_SECONDS), receivedAt: now.toISOString() },
            // DynamoDB deletes expired items some time after their ttl: an expired one no longer counts.
            ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
            ExpressionAttributeNames: { '#ttl': WAKE_TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':now': epoch(now, 0) },
          }),
        ),
      );
      return put !== undefined;
    },

    async forgetDelivery(provider, deliveryId) {
      await send('DynamoDB DeleteItem', () => client.send(new DeleteCommand({ TableName: tableName, Key: { pk: deliveryKeyOf(provider, deliveryId) } })));
    },
  };
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown })?.name === 'ConditionalCheckFailedException';
}
