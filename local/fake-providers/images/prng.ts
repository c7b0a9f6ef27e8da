import { createHash } from 'node:crypto';

/** A small deterministic PRNG (sfc32) seeded from a string: same seed, same image bytes, across runs. */
export function seededRandom(seed: string): () => number {
  const h = createHash('sha256').update(seed).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/** `length` deterministic pseudo-random bytes (incompressible padding). */
export function seededBytes(seed: string, length: number): Buffer {
  const next = seededRandom(seed);
  const out = Buffer.allocUnsafe(length);
  let i = 0;
  for (; i + 4 <= length; i += 4) out.writeUInt32LE(next(), i);
  if (i < length) {
    const last = next();
    for (let k = 0; i < length; i++, k++) out[i] = (last >>> (8 * k)) & 0xff;
  }
  return out;
}
