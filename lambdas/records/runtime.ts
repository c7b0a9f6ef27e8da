/** The records' wiring, checked once at init: the table and the retention policy — nothing else. */
import { jsonEnv, requiredEnv, type Env } from '../common/environment';
import type { StructuredLogger } from '../common/logger';
import { createDynamoDocumentClient, createRecordStore, type RecordStore } from './record-store';
import { parseRetentionPolicy, type RetentionPolicy } from './retention';

/** What writing records needs: the table, the retention policy and a clock. */
export interface RecordsDeps {
  records: RecordStore;
  retention: RetentionPolicy;
  now: () => Date;
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
    now: () => new Date(),
    logger,
  };
}


export function retentionFromEnv(env: Env): RetentionPolicy {
  return jsonEnv(env, 'RETENTION_POLICY', (value) => parseRetentionPolicy(value), parseRetentionPolicy({}));
}
