import { bufferSource, concatSources, type BodySource } from './body-source';
import { seededRandom, seededBytes } from './prng';

export interface WebpSpec {
  seed: string;
  width: number;
  height: number;
  /** Pad with an `XMP ` metadata chunk (extended format, VP8X) up to at least this size; streamed. */
  minBytes?: number;
}

/** Writes bits least-significant first, as VP8L reads them. */
class BitWriter {
  private readonly bytes: number[] = [];
  private bit = 0;
  write(value: number, count: number): void {
    for (let i = 0; i < count; i++) {
      if (this.bit === 0) this.bytes.push(0);
      if ((value >>> i) & 1) this.bytes[this.bytes.length - 1]! |= 1 << this.bit;
      this.bit = (this.bit + 1) & 7;
    }
  }
  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/**
 * A lossless (VP8L) bitstream of a solid-colour image: no transforms, no colour cache, and five "simple" prefix
 * codes of one symbol each, so every pixel costs zero bits.
 */
function vp8lSolid(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const w = new BitWriter();
  w.write(0x2f, 8); // signature
  w.write(width - 1, 14);
  w.write(height - 1, 14);
  w.write(0, 1); // alpha_is_used
  w.write(0, 3); // version
  w.write(0, 1); // no transform
  w.write(0, 1); // no colour cache
  w.write(0, 1); // no meta prefix codes
  for (const symbol of [g, r, b, 0xff]) {
    w.write(1, 1); // simple code
    w.write(0, 1); // one symbol
    w.write(1, 1); // 8-bit symbol
    w.write(symbol, 8);
  }
  w.write(1, 1); // distance code: simple, one 1-bit symbol (0)
  w.write(0, 1);
  w.write(0, 1);
  w.write(0, 1);
  return w.toBuffer();
}

function riffChunk(fourCc: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(fourCc, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** A minimal valid WebP (RIFF….WEBPVP8L), solid colour chosen by the seed; VP8X + XMP padding when asked. */
export function webpSource({ seed, width, height, minBytes = 0 }: WebpSpec): BodySource {
  const rgb = seededRandom(`${seed}:pixels`)();
  const vp8l = riffChunk('VP8L', vp8lSolid(width, height, [rgb & 0xff, (rgb >>> 8) & 0xff, (rgb >>> 16) & 0xff]));
  const simpleLength = 12 + vp8l.length;
  if (minBytes <= simpleLength) return bufferSource(riffFile([vp8l], vp8l.length));

  const vp8x = Buffer.alloc(10);
  vp8x[0] = 0x04; // XMP metadata present
  vp8x.writeUIntLE(width - 1, 4, 3);
  vp8x.writeUIntLE(height - 1, 7, 3);
  const vp8xChunk = riffChunk('VP8X', vp8x);
  const fixed = 12 + vp8xChunk.length + vp8l.length + 8;
  let xmpSize = Math.max(0, minBytes - fixed);
  xmpSize += xmpSize % 2;
  const xmpHeader = Buffer.alloc(8);
  xmpHeader.write('XMP ', 0, 'latin1');
  xmpHeader.writeUInt32LE(xmpSize, 4);
  const xmp: BodySource = {
    length: 8 + xmpSize,
    *chunks() {
      yield xmpHeader;
      const block = seededBytes(`${seed}:pad`, Math.min(xmpSize, 64 * 1024));
      for (let sent = 0; sent < xmpSize; sent += block.length) yield block.subarray(0, Math.min(block.length, xmpSize - sent));
    },
  };
  const body = concatSources([bufferSource(vp8xChunk), bufferSource(vp8l), xmp]);
  return concatSources([bufferSource(riffHeader(4 + body.length)), body]);
}

function riffHeader(riffSize: number): Buffer {
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(riffSize, 4);
  header.write('WEBP', 8, 'latin1');
  return header;
}

function riffFile(chunks: Buffer[], chunksLength: number): Buffer {
  return Buffer.concat([riffHeader(4 + chunksLength), ...chunks]);
}
