/**
 * Retention events (Relationship Closed, Client Interaction, Erasure Requested; lambdas/events/retention-events.ts),
 * the records table's stream (a receipt for every record removed, TTL or not; retention/stream.ts), S3's lifecycle
 * expirations (retention/lifecycle.ts) and the daily sweep that carries out refused erasures whose date has come (a Scheduled Event). Invalid events fail
 * the invocation with InvalidEventError (paths only), so EventBridge's retries and the dead-letter queue keep them.
 */
import { createS3Client } from '../archive/s3-store';
import { requiredEnv } from '../common/environment';
import { ConfigurationError } from '../common/errors';
import { identifierKeyFromEnv } from '../common/identifier-key';
import { logger } from '../common/powertools';
import { parseRetentionEvent } from '../events/retention-events';
import { createDynamoDocumentClient } from '../records/record-store';
import { retentionFromEnv } from '../records/runtime';
import { createRetentionDeps, type RetentionDeps } from '../retention/deps';
import { carryOutDueErasures } from '../retention/erasure';
import { handleRetentionEvent } from '../retention/events';
import { isLifecycleExpiration, lifecycleReceipt } from '../retention/lifecycle';
import { isStreamEvent, receiptsForStream } from '../retention/stream';

let deps: RetentionDeps | undefined;

function depsFromEnv(): RetentionDeps {
  const env = process.env;
  const lockMode = env.OBJECT_LOCK_MODE ?? 'OFF';
  if (!['GOVERNANCE', 'COMPLIANCE', 'OFF'].includes(lockMode)) throw new ConfigurationError('environment variable OBJECT_LOCK_MODE must be GOVERNANCE, COMPLIANCE or OFF');
  return createRetentionDeps({
    dynamo: createDynamoDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
    tableName: requiredEnv(env, 'TABLE_NAME'),
    ledgerTableName: requiredEnv(env, 'LEDGER_TABLE_NAME'),
    s3: createS3Client({ endpoint: env.AWS_ENDPOINT_URL_S3 }),
    bucket: requiredEnv(env, 'BUCKET_NAME'),
    receiptsBucket: requiredEnv(env, 'RECEIPTS_BUCKET_NAME'),
    ...(env.KMS_KEY_ARN ? { kmsKeyId: env.KMS_KEY_ARN } : {}),
    objectLock: lockMode !== 'OFF',
    identifierKey: identifierKeyFromEnv(env),
    policy: retentionFromEnv(env),
    logger,
  });
}

export const handler = async (event: unknown): Promise<unknown> => {
  deps ??= depsFromEnv();
  if (isLifecycleExpiration(event)) {
    await lifecycleReceipt(deps, event);
    return { receipts: 1 };
  }
  if (isStreamEvent(event)) {
    const receipts = await receiptsForStream(deps, event.Records);
    logger.info('records removed', { receipts });
    return { receipts };
  }
  if ((event as { 'detail-type'?: unknown } | null)?.['detail-type'] === 'Scheduled Event') {
    const swept = await carryOutDueErasures({ ...deps, actor: 'erasure sweep' });
    logger.info('erasure sweep', { erased: swept.erased.length, deferred: swept.deferred.length });
    return { erased: swept.erased.length, deferred: swept.deferred.length };
  }
  const parsed = parseRetentionEvent(event);
  const { type, result } = await handleRetentionEvent(deps, parsed);
  // Counts and hashes only: the result names checks by checkRef and the subject by its keyed hash.
  logger.info('retention event', { type, ...('checks' in result ? { checks: result.checks.length } : { changed: result.changed.length }) });
  return result;
};
