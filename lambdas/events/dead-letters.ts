/**
 * Dead letters: events that did not start their workflow, kept so they can come back. A dead letter never holds a
 * liveness token (or any check id, or a client key) in clear: it is the event with `checkId` replaced by the
 * checkRef and `clientKey` dropped, the reason (field paths and error names, never values), and a replay blob — the
 * original event, encrypted with its own key (KMS in AWS; the queue's encryption alone would let anyone who may read
 * the queue read the tokens). Replaying opens the blob and sends the original event, with its original `time` and
 * `createdAt`, to the start queue again.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { checkRefOf, type IdentifierKey } from '../checks/check-ref';
import { PROVIDERS, type ProviderName } from '../checks/check-status';

export const DEAD_LETTER_KIND = 'audit-archiver.dead-letter';

/** The original event, encrypted (AES-256-GCM under a data key that only the sealer's master key opens). */
export interface SealedBlob {
  alg: 'AES-256-GCM';
  /** The data key, encrypted by the master key (KMS ciphertext blob, or the local key's wrap), base64. */
  encryptedKey: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/** Encrypts and decrypts replay blobs; `context` binds a blob to its dead letter (KMS encryption context). */
export interface ReplaySealer {
  seal(plaintext: Buffer, context: Record<string, string>): Promise<SealedBlob>;
  open(blob: SealedBlob, context: Record<string, string>): Promise<Buffer>;
}

export interface DeadLetter {
  kind: typeof DEAD_LETTER_KIND;
  version: 1;
  /** Why it did not start: the error's name and a message of field paths and codes (never values). */
  reason: { name: string; message: string };
  /** Whether replaying can help: an event outside the contract fails the same way again. */
  replayable: boolean;
  provider?: ProviderName;
  checkRef?: string;
  /** The check's createdAt as the event gave it (or the event's time): a replay keeps it. */
  createdAt?: string;
  eventId?: string;
  eventTime?: string;
  deadLetteredAt: string;
  /** Deliveries of the event to the start function before it was dead-lettered. */
  attempts: number;
  /** Times it was replayed before (a replay that fails again comes back with one more). */
  replays: number;
  /** The event as far as it can be shown: checkId replaced by the checkRef, clientKey dropped. Absent when invalid. */
  event?: Record<string, unknown>;
  sealed: SealedBlob;
}

/** What the sealer binds each blob to: nobody can move a blob onto another dead letter and have it opened. */
function contextOf(letter: Pick<DeadLetter, 'deadLetteredAt' | 'checkRef'>): Record<string, string> {
  return { purpose: 'audit-archiver-dead-letter', deadLetteredAt: letter.deadLetteredAt, checkRef: letter.checkRef ?? 'none' };
}

export interface DeadLetterInput {
  /** The raw message body: the EventBridge event as JSON (or whatever arrived). */
  body: string;
  reason: { name: string; message: string };
  replayable: boolean;
  attempts: number;
  replays: number;
  now: Date;
  /** The key checkRefs are derived with; without it the letter shows no checkRef (the sealed event still has it all). */
  key?: IdentifierKey;
}

/** Builds the dead letter of one message: what can be shown, and the rest sealed. */
export async function sealDeadLetter(sealer: ReplaySealer, input: DeadLetterInput): Promise<DeadLetter> {
  const shown = showable(input.body, input.key);
  const base = {
    kind: DEAD_LETTER_KIND as typeof DEAD_LETTER_KIND,
    version: 1 as const,
    reason: { name: safeName(input.reason.name), message: input.reason.message.slice(0, 500) },
    replayable: input.replayable,
    ...shown.fields,
    deadLetteredAt: input.now.toISOString(),
    attempts: input.attempts,
    replays: input.replays,
    ...(shown.event && input.replayable ? { event: shown.event } : {}),
  };
  const sealed = await sealer.seal(Buffer.from(input.body, 'utf8'), contextOf(base));
  return { ...base, sealed };
}

/** The original message body of a dead letter. */
export async function openDeadLetter(sealer: ReplaySealer, letter: DeadLetter): Promise<string> {
  return (await sealer.open(letter.sealed, contextOf(letter))).toString('utf8');
}

/** A message body that is one of ours (sealed), or undefined for a raw one (an event the queue's redrive moved). */
export function parseDeadLetter(body: string): DeadLetter | undefined {
  try {
    const parsed = JSON.parse(body) as Partial<DeadLetter> | null;
    if (parsed?.kind !== DEAD_LETTER_KIND || parsed.version !== 1 || typeof parsed.sealed !== 'object') return undefined;
    return parsed as DeadLetter;
  } catch {
    return undefined;
  }
}

/**
 * The parts of an event that may be shown: provider, checkRef (computed), createdAt, event id and time; and the
 * event itself with checkId replaced and clientKey dropped. Anything that does not look like the contract shows
 * nothing of its content.
 */
function showable(body: string, key: IdentifierKey | undefined): { fields: Partial<DeadLetter>; event?: Record<string, unknown> } {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return { fields: {} };
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return { fields: {} };
  const envelope = event as Record<string, unknown>;
  const detail = envelope.detail as Record<string, unknown> | undefined;
  const provider = typeof detail?.provider === 'string' && (PROVIDERS as readonly string[]).includes(detail.provider) ? (detail.provider as ProviderName) : undefined;
  const checkId = typeof detail?.checkId === 'string' && detail.checkId.length > 0 && detail.checkId.length <= 2048 ? detail.checkId : undefined;
  const checkRef = key && provider && checkId ? checkRefOf(key, provider, checkId) : undefined;
  const time = isoOrUndefined(envelope.time);
  const createdAt = isoOrUndefined(detail?.createdAt) ?? time;
  const id = typeof envelope.id === 'string' && /^[\w-]{1,128}$/.test(envelope.id) ? envelope.id : undefined;
  const fields: Partial<DeadLetter> = {
    ...(provider ? { provider } : {}),
    ...(checkRef ? { checkRef } : {}),
    ...(createdAt ? { createdAt } : {}),
    ...(id ? { eventId: id } : {}),
    ...(time ? { eventTime: time } : {}),
  };
  if (!provider || !checkRef || !detail) return { fields };
  const { checkId: _id, clientKey: _key, ...restOfDetail } = detail;
  const shownDetail: Record<string, unknown> = { provider, checkRef };
  for (const name of ['createdAt', 'retentionClass'] as const) {
    if (typeof restOfDetail[name] === 'string') shownDetail[name] = String(restOfDetail[name]).slice(0, 64);
  }
  const shown: Record<string, unknown> = { detail: shownDetail };
  for (const name of ['id', 'source', 'detail-type', 'time'] as const) {
    if (typeof envelope[name] === 'string') shown[name] = String(envelope[name]).slice(0, 256);
  }
  return { fields, event: shown };
}

function isoOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 64 && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

function safeName(name: string): string {
  return /^[\w.:-]{1,80}$/.test(name) ? name : 'UnknownError';
}

/**
 * A sealer with a local master key (32 bytes): for local mode, which has no KMS. The data key is wrapped with
 * AES-256-GCM under the master key, with the context as additional data — the same shape KMS gives.
 */
export function createLocalSealer(masterKey: Buffer): ReplaySealer {
  if (masterKey.length !== 32) throw new RangeError('the local dead-letter key must be 32 bytes');
  return {
    async seal(plaintext, context) {
      const dataKey = randomBytes(32);
      const wrapped = encrypt(masterKey, dataKey, aad(context));
      return { alg: 'AES-256-GCM', encryptedKey: Buffer.from(JSON.stringify(wrapped)).toString('base64'), ...encrypt(dataKey, plaintext, aad(context)) };
    },
    async open(blob, context) {
      const wrapped = JSON.parse(Buffer.from(blob.encryptedKey, 'base64').toString('utf8')) as Encrypted;
      const dataKey = decrypt(masterKey, wrapped, aad(context));
      return decrypt(dataKey, blob, aad(context));
    },
  };
}

interface Encrypted {
  iv: string;
  tag: string;
  ciphertext: string;
}

export function encrypt(key: Buffer, plaintext: Buffer, additional: Buffer): Encrypted {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(additional);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
}

export function decrypt(key: Buffer, sealed: Encrypted, additional: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(additional);
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
}

export function aad(context: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify(Object.keys(context).sort().map((key) => [key, context[key]])));
}
