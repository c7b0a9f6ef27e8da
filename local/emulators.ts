/**
 * Local S3 (s3rver) and DynamoDB (dynalite) for tests and local mode: both on 127.0.0.1 with ephemeral ports, the
 * archive bucket and table created as in AWS (keys and indexes from table-schema). With `dataDir` the data lives on
 * disk and a restart finds it again; without, a temporary directory (S3) and memory (DynamoDB), removed on close.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../lambdas/archive/s3-store';
import { createDynamoDocumentClient } from '../lambdas/records/record-store';
import { LEDGER_KEY } from '../lambdas/records/ledger';
import { TABLE_INDEXES, TABLE_KEY, type IndexSchema } from '../lambdas/records/table-schema';

const require = createRequire(import.meta.url);

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: Array<{ name: string }>;
}) => S3rverInstance;
type DynaliteFactory = (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** Static credentials the emulators accept; never real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';

export interface EmulatorOptions {
  /** Keep data here (`s3/` and `dynamodb/` inside): the archive stays readable across runs. */
  dataDir?: string;
  bucketName?: string;
  tableName?: string;
  /** The retention ledger (records/ledger.ts) and the receipts' bucket: created beside the archive. */
  ledgerTableName?: string;
  receiptsBucketName?: string;
  /** Also create the webhooks' wake-up table (key `pk` only, as the stack creates it). */
  wakeTableName?: string;
}

export interface Emulators {
  s3Endpoint: string;
  dynamoEndpoint: string;
  bucketName: string;
  tableName: string;
  ledgerTableName: string;
  receiptsBucketName: string;
  wakeTableName?: string;
  /** A client configured for s3rver (path style, checksums only when required). */
  s3Client(): S3Client;
  dynamoClient(): DynamoDBDocumentClient;
  close(): Promise<void>;
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const bucketName = options.bucketName ?? 'audit-archive';
  const tableName = options.tableName ?? 'audit-archive-records';
  const ledgerTableName = options.ledgerTableName ?? `${tableName}-ledger`;
  const receiptsBucketName = options.receiptsBucketName ?? `${bucketName}-receipts`;
  const temporary = options.dataDir === undefined;
  const root = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'audit-archiver-')));
  const s3Dir = join(root, 's3');
  await mkdir(s3Dir, { recursive: true });

  const S3rver = require('s3rver') as S3rverConstructor;
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: bucketName }, { name: receiptsBucketName }] });
  const s3Address = await s3rver.run();

  const dynalite = require('dynalite') as DynaliteFactory;
  const dynamoServer = dynalite({
    ...(temporary ? {} : { path: join(root, 'dynamodb') }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    dynamoServer.once('error', reject);
    dynamoServer.listen(0, '127.0.0.1', () => resolve());
  });
  const dynamoAddress = dynamoServer.address() as AddressInfo;

  const s3Endpoint = `http://127.0.0.1:${s3Address.port}`;
  const dynamoEndpoint = `http://127.0.0.1:${dynamoAddress.port}`;
  const clients: Array<{ destroy(): void }> = [];
  const s3Client = () => {
    const client = createS3Client({ endpoint: s3Endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    clients.push(client);
    return client;
  };
  const dynamoClient = () => {
    const client = createDynamoDocumentClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    clients.push(client);
    return client;
  };

  const close = async () => {
    for (const client of clients.splice(0)) client.destroy();
    await s3rver.close();
    await new Promise<void>((resolve) => dynamoServer.close(() => resolve()));
    if (temporary) await rm(root, { recursive: true, force: true });
  };

  try {
    const admin = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    try {
      await ensureTable(admin, tableName, [...TABLE_INDEXES]);
      if (options.wakeTableName) await ensureTable(admin, options.wakeTableName, []);
      await ensureLedgerTable(admin, ledgerTableName);
    } finally {
      admin.destroy();
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    s3Endpoint,
    dynamoEndpoint,
    bucketName,
    tableName,
    ledgerTableName,
    receiptsBucketName,
    ...(options.wakeTableName ? { wakeTableName: options.wakeTableName } : {}),
    s3Client,
    dynamoClient,
    close,
  };
}

/** Creates a table as the stack does (PAY_PER_REQUEST, key `pk`, the given indexes) unless it exists. */
async function ensureTable(client: DynamoDBClient, tableName: string, indexes: IndexSchema[]): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  const attributes = new Set<string>([TABLE_KEY.partitionKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])]);
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      ...(indexes.length ? { GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })) } : {}),
    }),
  );
  // dynalite with createTableMs 0 is ACTIVE at once; DynamoDB Local too. Wait briefly anyway for other targets.
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && (Table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The retention ledger as the stack creates it: `pk` and `sk`, both strings, no index. */
async function ensureLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: LEDGER_KEY.partitionKey, KeyType: 'HASH' },
        { AttributeName: LEDGER_KEY.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: LEDGER_KEY.partitionKey, AttributeType: 'S' },
        { AttributeName: LEDGER_KEY.sortKey, AttributeType: 'S' },
      ],
    }),
  );
}
