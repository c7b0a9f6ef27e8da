import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { INDEXES, TABLE_INDEXES } from '../../lambdas/records/table-schema';
import { LOCAL_CREDENTIALS, startEmulators } from '../../local/emulators';
import { jpegShapedBytes, sha256 } from '../support/images';
import { listKeys, readObject } from '../support/archive-harness';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('startEmulators', () => {
  it('creates the bucket and the table with the auditor indexes from table-schema', async () => {
    const emulators = await startEmulators({ bucketName: 'bucket-one', tableName: 'table-one' });
    try {
      const raw = new DynamoDBClient({ endpoint: emulators.dynamoEndpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
      const { Table } = await raw.send(new DescribeTableCommand({ TableName: 'table-one' }));
      raw.destroy();
      expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
        // The auditor indexes and reconcile's open-checks index, as the stack creates them.
        TABLE_INDEXES.map((index) => index.indexName).sort(),
      );
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

      const s3 = emulators.s3Client();
      await s3.send(new PutObjectCommand({ Bucket: 'bucket-one', Key: 'a/b.txt', Body: Buffer.from('hello') }));
      expect(await listKeys(s3, 'bucket-one', 'a/')).toEqual(['a/b.txt']);
    } finally {
      await emulators.close();
    }
  });

  it('stores streamed multipart uploads byte for byte (the s3rver checksum trap is configured away)', async () => {
    const emulators = await startEmulators();
    try {
      const s3 = emulators.s3Client();
      const bytes = jpegShapedBytes(6 * 1024 * 1024 + 12_345);
      const body = Readable.from((function* () {
        for (let offset = 0; offset < bytes.length; offset += 100_000) yield bytes.subarray(offset, offset + 100_000);
      })());
      await new Upload({ client: s3, params: { Bucket: emulators.bucketName, Key: 'big.bin', Body: body }, queueSize: 1 }).done();
      const back = await readObject(s3, emulators.bucketName, 'big.bin');
      expect(back.length).toBe(bytes.length);
      expect(sha256(back)).toBe(sha256(bytes));
    } finally {
      await emulators.close();
    }
  });

  it('keeps the archive and the records on disk across a restart with the same dataDir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emulators-test-'));
    dirs.push(dataDir);
    const first = await startEmulators({ dataDir });
    await first.s3Client().send(new PutObjectCommand({ Bucket: first.bucketName, Key: 'kept.txt', Body: Buffer.from('evidence') }));
    await first.dynamoClient().send(
      new PutCommand({
        TableName: first.tableName,
        Item: { pk: 'kyc#abc', providerDay: 'kyc#2026-03-19', createdAt: '2026-03-19T10:00:00.000Z' },
      }),
    );
    await first.close();

    const second = await startEmulators({ dataDir });
    try {
      expect(second.s3Endpoint).not.toBe('');
      expect((await readObject(second.s3Client(), second.bucketName, 'kept.txt')).toString()).toBe('evidence');
      const { Items } = await second.dynamoClient().send(
        new QueryCommand({
          TableName: second.tableName,
          IndexName: INDEXES.byProviderDay.indexName,
          KeyConditionExpression: 'providerDay = :day',
          ExpressionAttributeValues: { ':day': 'kyc#2026-03-19' },
        }),
      );
      expect(Items?.map((item) => item.pk)).toEqual(['kyc#abc']);
    } finally {
      await second.close();
    }
  });
});
