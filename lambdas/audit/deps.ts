/** What every auditor operation reads from: the records table and the evidence bucket, with a clock. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { IdentifierKeySource } from '../common/identifier-key';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRecordStore, type RecordStore } from '../records/record-store';
import { DEFAULT_INDEX_SHARDS } from '../records/table-schema';

export interface AuditDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  s3: S3Client;
  bucket: string;
  records: RecordStore;
  /** Turns a check id or a client key into the names the archive stores (keyed hashes). */
  identifierKey: IdentifierKeySource;
  /** Keys the sharded indexes spread each group over: the writers' count (cdk.json indexShards). */
  indexShards: number;
  /** Decides which records are past their retention. */
  now: () => Date;
}

export function auditDeps(options: Omit<AuditDeps, 'records' | 'now' | 'indexShards'> & { now?: () => Date; indexShards?: number }): AuditDeps {
  return {
    ...options,
    records: createRecordStore({ client: options.dynamo, tableName: options.tableName }),
    indexShards: options.indexShards ?? DEFAULT_INDEX_SHARDS,
    now: options.now ?? (() => new Date()),
  };
}
