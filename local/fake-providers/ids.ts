import { randomBytes, randomInt } from 'node:crypto';

/** A liveness token: an unguessable bearer secret, like the real provider's. */
export function newLivenessToken(): string {
  return randomBytes(24).toString('base64url');
}

/** A verification id such as `ver_3f9a0c1d2b4e5f60`. */
export function newVerificationId(): string {
  return `ver_${randomBytes(8).toString('hex')}`;
}

/** A short id with a prefix (`pr_`, `esc_`, …) for nested objects of a verification. */
export function newPrefixedId(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

const UUID_V1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuidV1(value: string): boolean {
  return UUID_V1.test(value);
}

/** Milliseconds between the UUID epoch (1582-10-15) and the Unix epoch. */
const GREGORIAN_OFFSET_MS = 12_219_292_800_000n;

/**
 * RFC 4122 version-1 UUIDs: 60-bit timestamp in 100 ns units since 1582-10-15, 14-bit clock sequence, 48-bit node
 * (random, with the multicast bit set as RFC 4122 §4.5 asks of non-MAC nodes). Monotonic within one generator:
 * up to 10,000 ids per millisecond, and the clock sequence moves on if time goes backwards.
 */
export function createUuidV1Generator(): (epochMs: number) => string {
  const node = randomBytes(6);
  node[0]! |= 0x01;
  let clockSeq = randomInt(0, 0x4000);
  let lastMs = -Infinity;
  let ticks = 0;
  return (epochMs) => {
    const ms = Math.floor(epochMs);
    if (ms < lastMs) clockSeq = (clockSeq + 1) & 0x3fff;
    if (ms === lastMs) {
      ticks += 1;
      if (ticks >= 10_000) {
        ticks = 0;
        clockSeq = (clockSeq + 1) & 0x3fff;
      }
    } else {
      ticks = 0;
    }
    lastMs = ms;
    const t = (BigInt(ms) + GREGORIAN_OFFSET_MS) * 10_000n + BigInt(ticks);
    const timeLow = Number(t & 0xffffffffn);
    const timeMid = Number((t >> 32n) & 0xffffn);
    const timeHi = Number((t >> 48n) & 0x0fffn) | 0x1000;
    const seq = (clockSeq & 0x3fff) | 0x8000;
    return [
      timeLow.toString(16).padStart(8, '0'),
      timeMid.toString(16).padStart(4, '0'),
      timeHi.toString(16).padStart(4, '0'),
      seq.toString(16).padStart(4, '0'),
      node.toString('hex'),
    ].join('-');
  };
}

/** The Unix epoch milliseconds encoded in a UUID v1 (for tests and scenario checks). */
export function uuidV1EpochMs(uuid: string): number {
  if (!isUuidV1(uuid)) throw new RangeError('not a UUID v1');
  const hex = uuid.replaceAll('-', '');
  const t = (BigInt(`0x${hex.slice(13, 16)}`) << 48n) | (BigInt(`0x${hex.slice(8, 12)}`) << 32n) | BigInt(`0x${hex.slice(0, 8)}`);
  return Number(t / 10_000n - GREGORIAN_OFFSET_MS);
}
