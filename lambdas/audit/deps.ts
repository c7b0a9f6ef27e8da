/** What every auditor operation reads from: the records table and the evidence bucket, with a clock. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { IdentifierKeySource } from '../common/identifier-key';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRecordStore, type RecordStore } from '../records/record-store';

export interface AuditDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  s3: S3Client;
  bucket: string;
  records: RecordStore;
  /** Turns a check id or a client key into the names the archive stores (keyed hashes). */
  identifierKey: IdentifierKeySource;
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
