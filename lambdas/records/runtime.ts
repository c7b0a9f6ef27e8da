/** The records' wiring, checked once at init: the table and the retention policy — nothing else. */
import { jsonEnv, requiredEnv, type Env } from '../common/environment';
import type { StructuredLogger } from '../common/logger';
import { createDynamoDocumentClient, createRecordStore, type RecordStore } from './record-store';
import { parseRetentionPolicy, type RetentionPolicy } from './retention';
import { DEFAULT_INDEX_SHARDS, parseIndexShards } from './table-schema';

/** What writing records needs: the table, the retention policy and a clock. */
export interface RecordsDeps {
  records: RecordStore;
  retention: RetentionPolicy;
  now: () => Date;
  /** Keys the sharded indexes spread writes over (cdk.json indexShards). @default DEFAULT_INDEX_SHARDS */
  indexShards?: number;
  logger?: StructuredLogger;
  /** Told when an event asked for a shorter retention class than the policy gives (refused; counted). */
  onShorterRetentionRefused?: () => void;
}

/** Records: the table and the retention policy. */
export function recordDepsFromEnv(env: Env, logger?: StructuredLogger): RecordsDeps {
  return {
    records: createRecordStore({
      client: createDynamoDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
      tableName: requiredEnv(env, 'TABLE_NAME'),
    }),
    retention: retentionFromEnv(env),
    indexShards: indexShardsFromEnv(env),
    now: () => new Date(),
    logger,
  };
}

/** INDEX_SHARDS (the stack sets it from cdk.json indexShards); the default when unset. */
export function indexShardsFromEnv(env: Env): number {
  const raw = env.INDEX_SHARDS?.trim();
  return raw ? parseIndexShards(raw, 'environment variable INDEX_SHARDS') : DEFAULT_INDEX_SHARDS;
}

export function retentionFromEnv(env: Env): RetentionPolicy {
  return jsonEnv(env, 'RETENTION_POLICY', (value) => parseRetentionPolicy(value), parseRetentionPolicy({}));
}
