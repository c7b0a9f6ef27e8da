/**
 * The KYC provider's `POST kyc/session/status` (kyc-session-status.txt): what a request may carry, and the words its
 * answers use. Answers are read leniently (client.ts, shape.ts); requests are built from the check as given — the
 * provider's own 400 decides what it cannot use (the document's example ids are UUID v4, not the v1 it asks for).
 */

export const MAX_CLIENT_KEY_LENGTH = 36;

const UUID_V1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const UUID_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A timeuuid: RFC 4122 variant, version 1. */
export function isTimeUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_V1.test(value);
}

/** Any UUID-shaped string (an API token is documented as a timeuuid; any version is accepted). */
export function isUuidShaped(value: unknown): value is string {
  return typeof value === 'string' && UUID_SHAPED.test(value);
}

/** Non-empty, at most 36 characters (code points). */
export function isValidClientKey(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  return [...value].length <= MAX_CLIENT_KEY_LENGTH;
}

/** JWT shape: three base64url segments separated by dots (the signature is the provider's to check). */
export function isJwtShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);
}

/** The body we send: exactly one lookup key, plus `token` when authenticating with an API token. */
export type KycStatusRequest = { token?: string } & ({ clientKey: string } | { sessionId: string });

export const KYC_SESSION_STATUSES = ['idle', 'processing', 'success', 'failed', 'exception', 'expired'] as const;
export const KYC_TASK_TYPES = ['document', 'selfie', 'faces'] as const;

export const KYC_MESSAGES = {
  notFound: 'session not found',
  invalidSchema: 'invalid schema',
  identifierRequired: 'sessionId or clientKey is required',
  accessDenied: 'access denied',
} as const;
