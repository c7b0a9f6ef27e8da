import type { CredentialSource } from '../common/credentials';
import { ArchiverError, ConfigurationError, InvalidCheckInputError } from '../common/errors';
import { DEFAULT_TIMEOUT_MS, parseBaseUrl } from '../common/http';
import type { CheckRef, ProviderName } from '../checks/check-status';

/** What every provider client is built from. */
export interface ProviderClientOptions {
  /** Absolute http(s) URL; paths are joined under it (the KYC base usually ends in `/v1`). */
  baseUrl: string;
  credentials: CredentialSource;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Response-size cap in bytes; each provider has its own default. */
  maxResponseBytes?: number;
}

export interface ResolvedClientOptions {
  baseUrl: URL;
  credentials: CredentialSource;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** Validates options at construction, so a misconfigured function fails at init rather than on its first poll. */
export function resolveClientOptions(
  provider: ProviderName,
  options: ProviderClientOptions,
  defaultMaxResponseBytes: number,
): ResolvedClientOptions {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? defaultMaxResponseBytes;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigurationError(`${provider}: timeoutMs must be a positive integer`);
  }
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes <= 0) {
    throw new ConfigurationError(`${provider}: maxResponseBytes must be a positive integer`);
  }
  if (typeof options.credentials?.get !== 'function') {
    throw new ConfigurationError(`${provider}: a credential source is required`);
  }
  const baseUrl = parseBaseUrl(provider, options.baseUrl);
  return { baseUrl, credentials: options.credentials, timeoutMs, maxResponseBytes };
}

/** Printable ASCII without spaces: what can travel in a header without fetch rejecting it as a network fault. */
const HEADER_TOKEN = /^[\x21-\x7e]+$/;

/** Fetches the provider's credential, typed errors only; a value unfit for a header is a configuration error. */
export async function loadCredential(provider: ProviderName, source: CredentialSource): Promise<string> {
  let value: unknown;
  try {
    value = await source.get(provider);
  } catch (err) {
    if (err instanceof ArchiverError) throw err;
    throw new ConfigurationError(`${provider}: the credential source failed`);
  }
  if (typeof value !== 'string' || !HEADER_TOKEN.test(value)) {
    throw new ConfigurationError(`${provider}: the credential is empty or contains characters not allowed in a header`);
  }
  return value;
}

/** The ref is meant for this client: an object naming this provider with a string checkId. */
export function assertRefFor(provider: ProviderName, ref: CheckRef): void {
  if (typeof ref !== 'object' || ref === null || ref.provider !== provider || typeof ref.checkId !== 'string') {
    throw new InvalidCheckInputError(`${provider}: the check reference is not a ${provider} check`);
  }
}
