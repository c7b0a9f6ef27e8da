import { createHash, createHmac } from 'node:crypto';
import type { ProviderName } from './check-status';

/**
 * The stack's secret for keyed identifiers. Every name the archive derives from an identifier — the checkRef of a
 * check id, the hash of a client or subject key — is an HMAC-SHA256 with this key: without it, a guessable id (a UUID
 * v1 whose timestamp the record's createdAt narrows to a second, a client key like `my_client_key_123`) cannot be
 * confirmed from its hash by trying candidates. The key never leaves the object: no getter, and it serializes as a
 * placeholder, so it cannot end up in a log line or a workflow state by accident.
 */
export class IdentifierKey {
  readonly #secret: Buffer;

  private constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** At least 32 characters (Secrets Manager's generated 64, or 64 hex characters locally), taken as UTF-8 bytes. */
  static fromSecret(secret: string): IdentifierKey {
    const value = secret.trim();
    if (value.length < MIN_SECRET_CHARS) throw new RangeError(`an identifier key needs at least ${MIN_SECRET_CHARS} characters`);
    return new IdentifierKey(Buffer.from(value, 'utf8'));
  }

  /** 32 hex characters (128 bits) of HMAC-SHA256 over `domain` and `value`: domains keep the derived names apart. */
  mac(domain: string, value: string): string {
    return createHmac('sha256', this.#secret).update(`${domain}\u0000${value}`).digest('hex').slice(0, 32);
  }

  toJSON(): string {
    return '[identifier key]';
  }

  toString(): string {
    return '[identifier key]';
  }
}

const MIN_SECRET_CHARS = 32;

/**
 * The name a check goes by everywhere outside the provider call: S3 keys, the record key, the execution name, logs.
 * Keyed, because a liveness token is a bearer secret and a KYC session id is guessable; 32 hex characters keep
 * execution names short (`{provider}-{checkRef}` ≤ 80 characters).
 */
export function checkRefOf(key: IdentifierKey, provider: ProviderName, checkId: string): string {
  return key.mac(`check:${provider}`, checkId);
}

/**
 * Who a check is about, as the archive stores it (`clientKeyHash`, the byClientKey index): the event's subjectKey,
 * else the KYC clientKey. One hash for both, so "every check of this client" finds liveness checks filed under the
 * same key as KYC sessions.
 */
export function subjectHashOf(key: IdentifierKey, subjectKey: string): string {
  return key.mac('subject', subjectKey);
}

/**
 * The unkeyed SHA-256 checkRef of records archived before keyed identifiers: still found by a dual lookup (the auditor
 * commands try the keyed ref first, then this one). A liveness token is never kept, so these records cannot be
 * re-keyed; they expire under their class like any other.
 */
export function legacyCheckRefOf(provider: ProviderName, checkId: string): string {
  return createHash('sha256').update(`${provider}:${checkId}`).digest('hex').slice(0, 32);
}

/** The unkeyed clientKey hash of records archived before keyed identifiers (`audit-archiver rehash` replaces it). */
export function legacyClientKeyHashOf(clientKey: string): string {
  return createHash('sha256').update(`kyc-client:${clientKey}`).digest('hex').slice(0, 32);
}
