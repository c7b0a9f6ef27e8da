/** The records' wiring, checked once at init: the table and the retention policy — nothing else. */
import type { ArchiveLogger, RecordDeps } from '../archive/engine';
import { jsonEnv, requiredEnv, type Env } from '../common/environment';
import { createDynamoDocumentClient, createRecordStore } from './record-store';
import { parseRetentionPolicy, type RetentionPolicy } from './retention';

/** Records: the table and the retention policy. */
export function recordDepsFromEnv(env: Env, logger?: ArchiveLogger): RecordDeps {
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
