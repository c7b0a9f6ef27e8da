/**
 * Failures of S3 and DynamoDB, raised by the archive's and the records' storage adapters alike. Names are literals:
 * Step Functions retries by name. Messages carry the operation and the AWS error name, never keys' contents, bodies or
 * identifiers of a person.
 */
import { ArchiverError } from './errors';

/** S3 or DynamoDB failed in a way another try may fix (5xx, throttling, network, timeout). Nothing was recorded. */
export class StorageUnavailableError extends ArchiverError {
  override readonly name = 'StorageUnavailableError';
  readonly retryable = true;
}

/** S3 or DynamoDB refused the request for good (access denied, missing bucket or table, invalid KMS key). */
export class StorageRejectedError extends ArchiverError {
  override readonly name = 'StorageRejectedError';
  readonly retryable = false;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'TooManyRequestsException',
  'TransactionConflictException',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/**
 * Maps an AWS SDK (or network) failure to a typed storage error. Server faults, throttling and failures without an
 * HTTP answer are retryable; other client faults are not.
 */
export function storageErrorFrom(error: unknown, operation: string): StorageUnavailableError | StorageRejectedError {
  if (error instanceof StorageUnavailableError || error instanceof StorageRejectedError) return error;
  const e = error as { name?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = typeof e?.name === 'string' ? e.name : 'UnknownError';
  const status = e?.$metadata?.httpStatusCode;
  const message = `${operation} failed: ${name}${status ? ` (HTTP ${status})` : ''}`;
  const retryable =
    THROTTLING.has(name) || e?.$retryable !== undefined || e?.$fault === 'server' || status === undefined || status >= 500;
  return retryable
    ? new StorageUnavailableError(message, { cause: error })
    : new StorageRejectedError(message, { cause: error });
}

