import { seededRandom } from './prng';

export interface GifSpec {
  seed: string;
  width: number;
  height: number;
}

/** LZW minimum code size for a 4-colour image: clear = 4, end = 5, codes start 3 bits wide. */
const MIN_CODE_SIZE = 2;
const CLEAR = 1 << MIN_CODE_SIZE;
const END = CLEAR + 1;
const CODE_BITS = MIN_CODE_SIZE + 1;
/**
 * Pixels per clear code. Every literal after the first grows the decoder's table (6, 7, …) and it widens codes at 8
 * entries, so two literals per clear keep every code 3 bits: uncompressed LZW, valid for any decoder.
 */
const LITERALS_PER_CLEAR = 2;

/** Writes codes least-significant bit first, as GIF's LZW packs them. */
function packCodes(codes: number[], bits: number): Buffer {
  const out: number[] = [];
  let acc = 0;
  let held = 0;
  for (const code of codes) {
    acc |= code << held;
    held += bits;
    while (held >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      held -= 8;
    }
  }
  if (held > 0) out.push(acc & 0xff);
  return Buffer.from(out);
}

/** Data split into GIF sub-blocks (length byte, ≤ 255 bytes) and a zero-length terminator. */
function subBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const piece = data.subarray(at, at + 255);
    parts.push(Buffer.from([piece.length]), piece);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/**
 * A small valid GIF89a: 4-colour global palette (colours from the seed), a comment extension naming the seed, one
 * full-frame image of seeded pixel indexes, LZW-coded without compression.
 */
export function gifImage({ seed, width, height }: GifSpec): Buffer {
  const next = seededRandom(`${seed}:gif`);
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  screen[4] = 0x80 | (1 << 4) | (MIN_CODE_SIZE - 1); // global colour table of 2^(1+1) = 4 entries; 2-bit colour resolution
  const palette = Buffer.alloc(3 * (1 << MIN_CODE_SIZE));
  for (let i = 0; i < palette.length; i += 3) palette.writeUIntBE(next() & 0xffffff, i, 3);
  const comment = Buffer.concat([Buffer.from([0x21, 0xfe]), subBlocks(Buffer.from(`fake provider image ${seed}`, 'utf8'))]);
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);

  const codes: number[] = [];
  for (let i = 0; i < width * height; i++) {
    if (i % LITERALS_PER_CLEAR === 0) codes.push(CLEAR);
    codes.push(next() & (CLEAR - 1));
  }
  codes.push(END);
  const imageData = Buffer.concat([Buffer.from([MIN_CODE_SIZE]), subBlocks(packCodes(codes, CODE_BITS))]);
  return Buffer.concat([Buffer.from('GIF89a', 'latin1'), screen, palette, comment, descriptor, imageData, Buffer.from([0x3b])]);
}
