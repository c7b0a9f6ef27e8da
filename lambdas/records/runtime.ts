/** The records' wiring, checked once at init: the table, the retention policy and the identifier key. */
import { jsonEnv, requiredEnv, type Env } from '../common/environment';
import { identifierKeyFromEnv, type IdentifierKeySource } from '../common/identifier-key';
import type { StructuredLogger } from '../common/logger';
import { createLedger, type Ledger } from './ledger';
import { createDynamoDocumentClient, createRecordStore, type RecordStore } from './record-store';
import { parseRetentionPolicy, type RetentionPolicy } from './retention';

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
    now: () => new Date(),
    logger,
  };
}


export function retentionFromEnv(env: Env): RetentionPolicy {
  return jsonEnv(env, 'RETENTION_POLICY', (value) => parseRetentionPolicy(value), parseRetentionPolicy({}));
}
