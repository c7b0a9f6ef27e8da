/** What retention operations work on: the records and the ledger, the evidence objects, the receipts and a clock. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdentifierKeySource } from '../common/identifier-key';
import type { StructuredLogger } from '../common/logger';
import { createLedger, type Ledger } from '../records/ledger';
import { createRecordStore, type RecordStore } from '../records/record-store';
import type { RetentionPolicy } from '../records/retention';
import { s3EvidenceObjects, type EvidenceObjects } from './evidence-objects';
import { s3ReceiptSeal } from './receipt-seal';
import { createReceiptBook, type ReceiptBook } from './receipts';

export interface RetentionDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  records: RecordStore;
  ledger: Ledger;
  objects: EvidenceObjects;
  receipts: ReceiptBook;
  /** The evidence bucket has Object Lock: a close extends the retain-until of locked objects. */
  objectLock: boolean;
  identifierKey: IdentifierKeySource;
  /** The deployed policy: what a close or an erasure knows of classes beyond what records say. */
  policy: RetentionPolicy;
  now: () => Date;
  /** Who acts, for receipts: `erase command`, `Erasure Requested event`, `erasure sweep`. */
  actor?: string;
  logger?: StructuredLogger;
}

export interface RetentionWiring {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  ledgerTableName: string;
  s3: S3Client;
  bucket: string;
  receiptsBucket: string;
  kmsKeyId?: string;
  objectLock: boolean;
  identifierKey: IdentifierKeySource;
  policy: RetentionPolicy;
  now?: () => Date;
  actor?: string;
  logger?: StructuredLogger;
}

/** The deps from clients and names: one wiring for the handler, the CLI and the tests. */
export function createRetentionDeps(wiring: RetentionWiring): RetentionDeps {
  const now = wiring.now ?? (() => new Date());
  const ledger = createLedger({ client: wiring.dynamo, tableName: wiring.ledgerTableName });
  return {
    dynamo: wiring.dynamo,
    tableName: wiring.tableName,
    records: createRecordStore({ client: wiring.dynamo, tableName: wiring.tableName }),
    ledger,
    objects: s3EvidenceObjects({ client: wiring.s3, bucket: wiring.bucket }),
    receipts: createReceiptBook({ ledger, seal: s3ReceiptSeal({ client: wiring.s3, bucket: wiring.receiptsBucket, ...(wiring.kmsKeyId ? { kmsKeyId: wiring.kmsKeyId } : {}) }), now }),
    objectLock: wiring.objectLock,
    identifierKey: wiring.identifierKey,
    policy: wiring.policy,
    now,
    ...(wiring.actor ? { actor: wiring.actor } : {}),
    ...(wiring.logger ? { logger: wiring.logger } : {}),
  };
}
