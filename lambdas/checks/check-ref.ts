import { createHash } from 'node:crypto';
import type { ProviderName } from './check-status';

/**
 * The name a check goes by everywhere outside the provider call: S3 keys, the record key, the execution name, logs.
 * A hash, because a liveness token is a bearer secret and must not appear in any of those places.
 * 32 hex characters (128 bits) keep execution names short (`{provider}-{checkRef}` ≤ 80 characters).
 */
export function checkRefOf(provider: ProviderName, checkId: string): string {
  return createHash('sha256').update(`${provider}:${checkId}`).digest('hex').slice(0, 32);
}

/** Hash of a KYC clientKey for the auditor index: lets auditors find a client's sessions without storing the key. */
export function clientKeyHashOf(clientKey: string): string {
  return createHash('sha256').update(`kyc-client:${clientKey}`).digest('hex').slice(0, 32);
}
