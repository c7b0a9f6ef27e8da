/** Errors of the archive engine. Names are literals: Step Functions retries by name. */
import { ArchiverError } from '../common/errors';

/** The provider said "still pending" although the poller saw it terminal (a race): archive again shortly. */
export class CheckNotTerminalError extends ArchiverError {
  override readonly name = 'CheckNotTerminalError';
  readonly retryable = true;
}

/** Names the workflow should retry with backoff, to add to the Retry of the Archive and Record states. */
export const ARCHIVE_RETRYABLE_ERROR_NAMES = ['CheckNotTerminalError', 'StorageUnavailableError'] as const;
