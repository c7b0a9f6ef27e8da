/**
 * Webhook signatures. The default is Standard Webhooks (https://www.standardwebhooks.com): headers `webhook-id`,
 * `webhook-timestamp` (Unix seconds) and `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` (other versions, e.g. `v1a` asymmetric, are skipped), keyed with the base64 part of a
 * `whsec_` secret. The plain alternative is `X-Signature: <hex or base64 HMAC-SHA256 of the body>` (optionally
 * `sha256=`-prefixed), which has no timestamp and no id: its replays are refused by the body's hash instead.
 * Several secrets are accepted at once so a rotation never refuses a genuine notification. Comparisons are
 * constant-time; nothing here logs.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_SCHEMES = ['standard-webhooks', 'x-signature'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** Why a notification was refused; each is a 4xx and a metric, never a log of the body. */
export type Refusal = 'bad-signature' | 'stale' | 'malformed';

export type Verdict =
  | { ok: true; /** What identifies this delivery for the replay guard. */ deliveryId: string }
  | { ok: false; refusal: Refusal };

export interface VerifyInput {
  scheme: SignatureScheme;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw body, exactly as received: the signature covers its bytes. */
  body: Buffer;
  /** Every secret currently valid (the old and the new one during a rotation). */
  secrets: readonly string[];
  now: Date;
  /** Standard Webhooks only: how far webhook-timestamp may be from now, either way. @default 300 */
  toleranceSeconds?: number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

export function verifySignature(input: VerifyInput): Verdict {
  return input.scheme === 'standard-webhooks' ? verifyStandard(input) : verifyPlain(input);
}

function verifyStandard({ headers, body, secrets, now, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS }: VerifyInput): Verdict {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures || id.length > 256 || !/^\d{1,12}$/.test(timestamp)) return { ok: false, refusal: 'malformed' };
  const given = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => decodeBase64(entry.slice(3)))
    .filter((bytes): bytes is Buffer => bytes !== undefined);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const valid = secrets.some((secret) => {
    const key = standardKey(secret);
    if (!key) return false;
    const expected = createHmac('sha256', key).update(signed).digest();
    return given.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  });
  if (!valid) return { ok: false, refusal: 'bad-signature' };
  // After the signature: a stale timestamp is only worth telling apart when the sender is genuine.
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) return { ok: false, refusal: 'stale' };
  return { ok: true, deliveryId: id };
}

function verifyPlain({ headers, body, secrets }: VerifyInput): Verdict {
  const header = headers['x-signature']?.trim().replace(/^sha256=/i, '');
  if (!header) return { ok: false, refusal: 'malformed' };
  const given = /^[0-9a-f]{64}$/i.test(header) ? Buffer.from(header, 'hex') : decodeBase64(header);
  if (!given) return { ok: false, refusal: 'malformed' };
  const valid = secrets.some((secret) => {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) return { ok: false, refusal: 'bad-signature' };
  return { ok: true, deliveryId: `sha256:${createHash('sha256').update(body).digest('hex')}` };
}

/** The HMAC key of a Standard Webhooks secret: the base64 after `whsec_` (the prefix is optional, as in the spec's libraries). */
function standardKey(secret: string): Buffer | undefined {
  const key = decodeBase64(secret.trim().replace(/^whsec_/, ''));
  return key && key.length > 0 ? key : undefined;
}

function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64');
}

/** Signs as a Standard Webhooks sender does (the local fake providers and the tests use it). */
export function signStandard(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const key = standardKey(secret);
  if (!key) throw new Error('not a Standard Webhooks secret');
  const signed = Buffer.concat([Buffer.from(`${id}.${timestampSeconds}.`, 'utf8'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]);
  return `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
}

/** The plain scheme's header value: hex HMAC-SHA256 of the body. */
export function signPlain(secret: string, body: string | Buffer): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
}

/**
 * The secrets a Secrets Manager value holds: several separated by spaces or newlines (a rotation: the new one added
 * beside the old, the old removed once the provider signs with the new), or JSON `{"secrets": [...]}` / `{"secret": "..."}`.
 */
export function secretsFrom(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) {
    try {
      const json = JSON.parse(trimmed) as { secrets?: unknown; secret?: unknown };
      const list = Array.isArray(json.secrets) ? json.secrets : [json.secret];
      return list.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
    } catch {
      return [];
    }
  }
  return trimmed.split(/\s+/).filter((s) => s !== '');
}
