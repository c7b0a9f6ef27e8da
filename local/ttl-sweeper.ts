/**
 * DynamoDB's TTL process, which dynalite lacks: deletes every record whose `ttl` has passed, as DynamoDB would (some
 * time after; here when called), and delivers what the table's stream would carry for each — a REMOVE with the old
 * item and `userIdentity` {type: Service, principalId: dynamodb.amazonaws.com} — to the same handler AWS invokes
 * (lambdas/handlers/retention.ts). Records under legal hold or waiting for their relationship have no `ttl` and are
 * never touched, exactly as in AWS.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { TTL_ATTRIBUTE } from '../lambdas/records/table-schema';
import { TTL_PRINCIPAL } from '../lambdas/retention/stream';

export interface SweepOptions {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  now?: Date;
  /** Receives one stream event per deleted record (the retention handler). */
  deliver(event: unknown): Promise<unknown>;
}

/** Returns how many records it deleted. */
export async function sweepExpired(options: SweepOptions): Promise<number> {
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  let deleted = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await options.dynamo.send(
      new ScanCommand({
        TableName: options.tableName,
        FilterExpression: '#ttl <= :now',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':now': nowSeconds },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      let old: Record<string, unknown> | undefined;
      try {
        ({ Attributes: old } = await options.dynamo.send(
          new DeleteCommand({
            TableName: options.tableName,
            Key: { pk: item.pk },
            // Only if still expired as seen (a hold or an extension meanwhile removes or moves the ttl).
            ConditionExpression: '#ttl = :ttl',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':ttl': item[TTL_ATTRIBUTE] },
            ReturnValues: 'ALL_OLD',
          }),
        ));
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') continue;
        throw error;
      }
      if (!old) continue;
      deleted += 1;
      await options.deliver({
        Records: [
          {
            eventID: randomUUID(),
            eventName: 'REMOVE',
            eventSource: 'aws:dynamodb',
            userIdentity: { type: 'Service', principalId: TTL_PRINCIPAL },
            dynamodb: { ApproximateCreationDateTime: nowSeconds, OldImage: marshall(old, { removeUndefinedValues: true }), StreamViewType: 'OLD_IMAGE' },
          },
        ],
      });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return deleted;
}
