/**
 * Typed errors with stable `name`s: Step Functions matches Retry/Catch on the Lambda error type, which is the
 * thrown error's `name`. Messages never contain credentials, liveness tokens or response bodies.
 */
export abstract class ArchiverError extends Error {
  abstract readonly retryable: boolean;
  /** Literal in every subclass: minified bundles rename classes, and Step Functions matches on this string. */
  abstract override readonly name: string;
}

/** 5xx, 429, resets, timeouts, unparseable bodies: worth another try later. */
export class ProviderUnavailableError extends ArchiverError {
  override readonly name = 'ProviderUnavailableError';
  readonly retryable = true;
  constructor(
    message: string,
    readonly details: { statusCode?: number; retryAfterSeconds?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The provider refused our credentials (KYC 401 access denied, liveness 401/403). Retrying will not help. */
export class ProviderAuthError extends ArchiverError {
  override readonly name = 'ProviderAuthError';
  readonly retryable = false;
}

/** The provider answered something its documentation does not allow (schema mismatch, unexpected status code). */
export class ProviderContractError extends ArchiverError {
  override readonly name = 'ProviderContractError';
  readonly retryable = false;
}

/**
 * The provider answered about another session than the check names (a KYC clientKey lookup finds the client's latest
 * session). Not retryable, and never archived under this check: it is recorded as such.
 */
export class IdentityMismatchError extends ArchiverError {
  override readonly name = 'IdentityMismatchError';
  readonly retryable = false;
}

/** The provider's answer exceeded the response-size cap. */
export class ResponseTooLargeError extends ArchiverError {
  override readonly name = 'ResponseTooLargeError';
  readonly retryable = false;
}

/** The check reference is invalid before any request is made (bad UUID v1, clientKey too long, empty id). */
export class InvalidCheckInputError extends ArchiverError {
  override readonly name = 'InvalidCheckInputError';
  readonly retryable = false;
}

/** Configuration missing or malformed (base URLs, credentials, policies): detected at init. */
export class ConfigurationError extends ArchiverError {
  override readonly name = 'ConfigurationError';
  readonly retryable = false;
}

/**
 * A check of a provider this function does not serve: each provider has its own workflow and functions, which hold
 * only that provider's secret (PROVIDER). Reaching another provider's function is a wiring fault; the check is
 * recorded as failed with this name, never polled or archived with the wrong credential.
 */
export class ProviderNotServedError extends ArchiverError {
  override readonly name = 'ProviderNotServedError';
  readonly retryable = false;
}

/** Names Step Functions should retry with backoff. Keep in sync with the classes above. */
export const RETRYABLE_ERROR_NAMES = ['ProviderUnavailableError'] as const;
