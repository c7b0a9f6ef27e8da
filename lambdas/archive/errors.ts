/** Errors of the archive engine. Names are literals: Step Functions retries by name. */
import { ArchiverError } from '../common/errors';

/** The provider said "still pending" although the poller saw it terminal (a race): archive again shortly. */
export class CheckNotTerminalError extends ArchiverError {
  override readonly name = 'CheckNotTerminalError';
  readonly retryable = true;
}

/**
 * The invocation ran short of time before it could finish (its Lambda deadline): it stored what it could and stopped
 * itself, so it never writes after the deadline. The retry resumes from the objects stored.
 */
export class ArchiveTimeBudgetError extends ArchiverError {
  override readonly name = 'ArchiveTimeBudgetError';
  readonly retryable = true;
}

/** Another run holds the check's write lease (a duplicate run, or a retried one whose predecessor has not timed out). */
export class CheckBusyError extends ArchiverError {
  override readonly name = 'CheckBusyError';
  readonly retryable = true;
}

/**
 * The provider or S3 stayed unavailable until the evidence window closed (lambdas/archive/outage.ts): not retried by
 * the workflow (its wait is spent); recorded as an error that says how long the outage lasted and what failed.
 */
export class ArchiveOutageError extends ArchiverError {
  override readonly name = 'ArchiveOutageError';
  readonly retryable = false;
}

/** Names the workflow should retry with backoff, to add to the Retry of the Archive and Record states. */
export const ARCHIVE_RETRYABLE_ERROR_NAMES = ['CheckNotTerminalError', 'StorageUnavailableError', 'ArchiveTimeBudgetError'] as const;

/** Waited for with a slower retry: a lease lasts up to the holder's Lambda timeout plus a margin (minutes). */
export const LEASE_ERROR_NAMES = ['CheckBusyError'] as const;
