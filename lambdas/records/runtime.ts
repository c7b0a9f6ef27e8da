/** The records' wiring, checked once at init: the table, the retention policy and the identifier key. */
import { jsonEnv, requiredEnv, type Env } from '../common/environment';
import { identifierKeyFromEnv, type IdentifierKeySource } from '../common/identifier-key';
import type { StructuredLogger } from '../common/logger';
import { createLedger, type Ledger } from './ledger';
import { createDynamoDocumentClient, createRecordStore, type RecordStore } from './record-store';
import { parseRetentionPolicy, type RetentionPolicy } from './retention';
import { DEFAULT_INDEX_SHARDS, parseIndexShards } from './table-schema';

/** What writing records needs: the table, the retention policy, the identifier key and a clock. */
export interface RecordsDeps {
  records: RecordStore;
  /** checkRefs are checked against it, and who a check is about is stored as its keyed hash. */
  identifierKey: IdentifierKeySource;
  /**
   * What is known of the person a check is about (relationship closed, last interaction): the clocks of their classes.
   * Without it every subject counts as having an open relationship and no earlier interaction.
   */
  ledger?: Ledger;
  retention: RetentionPolicy;
  now: () => Date;
  /** Keys the sharded indexes spread writes over (cdk.json indexShards). @default DEFAULT_INDEX_SHARDS */
  indexShards?: number;
  logger?: StructuredLogger;
  /** Told when an event asked for a shorter retention class than the policy gives (refused; counted). */
  onShorterRetentionRefused?: () => void;
}

/** Records: the table, the retention policy, the identifier key and (LEDGER_TABLE_NAME) the retention ledger. */
export function recordDepsFromEnv(env: Env, logger?: StructuredLogger): RecordsDeps {
  const client = createDynamoDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB });
  const ledgerTable = env.LEDGER_TABLE_NAME?.trim();
  return {
    records: createRecordStore({ client, tableName: requiredEnv(env, 'TABLE_NAME') }),
    ...(ledgerTable ? { ledger: createLedger({ client, tableName: ledgerTable }) } : {}),
    retention: retentionFromEnv(env),
    identifierKey: identifierKeyFromEnv(env),
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
