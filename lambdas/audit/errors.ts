/**
 * Errors of the auditor tools. Names are literals (stable across bundling); messages never echo a check id (a
 * liveness id is a bearer token) or a clientKey, only the parameter at fault and what would be accepted.
 */
import { ArchiverError } from '../common/errors';
import { RecordNotFoundError } from '../records/record-store';
import type { Tombstone } from '../records/record';
import type { CheckVerification } from './verify';

export { RecordNotFoundError };

/** The check was erased: only its tombstone is left, which says when and at whose request (CLI exit 3, HTTP 404). */
export class RecordErasedError extends RecordNotFoundError {
  override readonly name = 'RecordErasedError';
  constructor(readonly tombstone: Tombstone) {
    super(
      `${tombstone.provider} check ${tombstone.checkRef} was erased ${tombstone.erasedAt} (request ${tombstone.erasure.requestId}${tombstone.erasure.reason ? `: ${tombstone.erasure.reason}` : ''}${tombstone.receiptSeq !== undefined ? `; receipt ${tombstone.receiptSeq}` : ''})`,
    );
  }
}

/** A filter, paging token or argument the caller can fix: HTTP 400, CLI exit 2. */
export class InvalidQueryError extends ArchiverError {
  override readonly name = 'InvalidQueryError';
  readonly retryable = false;
}

/** An archived check failed verification: the report says which object and how. */
export class VerificationFailedError extends ArchiverError {
  override readonly name = 'VerificationFailedError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly report: CheckVerification,
  ) {
    super(message);
  }
}

/** The export destination already exists: a bundle never overwrites or merges into anything. */
export class ExportTargetExistsError extends ArchiverError {
  override readonly name = 'ExportTargetExistsError';
  readonly retryable = false;
}

/** Legal hold could not be set or lifted on every object (the record and the objects may now disagree). */
export class LegalHoldIncompleteError extends ArchiverError {
  override readonly name = 'LegalHoldIncompleteError';
  readonly retryable = true;
}
