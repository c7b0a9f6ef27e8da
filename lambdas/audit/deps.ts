/** What every auditor operation reads from: the records table and the evidence bucket, with a clock. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRecordStore, type RecordStore } from '../records/record-store';

export interface AuditDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  s3: S3Client;
  bucket: string;
  records: RecordStore;
  /** Decides which records are past their retention. */
  now: () => Date;
}

export function auditDeps(options: Omit<AuditDeps, 'records' | 'now'> & { now?: () => Date }): AuditDeps {
  return {
    ...options,
    records: createRecordStore({ client: options.dynamo, tableName: options.tableName }),
    now: options.now ?? (() => new Date()),
  };
}
