import { deflateSync } from 'node:zlib';
import { bufferSource, concatSources, type BodySource } from './body-source';
import { crc32, crc32Final, crc32Update } from './crc32';
import { seededPixels } from './pixels';
import { seededBytes } from './prng';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Ancillary, private, safe-to-copy chunk type used for padding: decoders skip it. */
const PADDING_CHUNK = Buffer.from('paDd', 'latin1');
const PADDING_CHUNK_MAX = 16 * 1024 * 1024;
const PADDING_BLOCK = 64 * 1024;

export interface PngSpec {
  seed: string;
  width: number;
  height: number;
  /** Pad with `paDd` chunks up to at least this size; streamed. */
  minBytes?: number;
}

function chunk(type: string, data: Buffer): Buffer {
  const typeBytes = Buffer.from(type, 'latin1');
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  typeBytes.copy(out, 4);
  data.copy(out, 8);
  out.writeUInt32BE(crc32(typeBytes, data), 8 + data.length);
  return out;
}

/** A valid 8-bit RGB PNG: signature, IHDR, optional padding chunks, one zlib IDAT (filter 0 rows), IEND. */
export function pngSource({ seed, width, height, minBytes = 0 }: PngSpec): BodySource {
  const rgba = seededPixels(seed, width, height);
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    rows[row] = 0; // filter type None
    for (let x = 0; x < width; x++) {
      rgba.copy(rows, row + 1 + x * 3, (y * width + x) * 4, (y * width + x) * 4 + 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, adaptive filtering, no interlace
  const head = Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr)]);
  const tail = Buffer.concat([chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
  const padding = minBytes - head.length - tail.length;
  if (padding <= 0) return bufferSource(Buffer.concat([head, tail]));
  return concatSources([bufferSource(head), paddingChunks(seed, padding), bufferSource(tail)]);
}

function paddingChunks(seed: string, bytes: number): BodySource {
  const sizes: number[] = [];
  for (let remaining = bytes; remaining > 0; ) {
    const size = Math.min(Math.max(remaining - 12, 0), PADDING_CHUNK_MAX);
    sizes.push(size);
    remaining -= size + 12;
  }
  return {
    length: sizes.reduce((sum, size) => sum + size + 12, 0),
    *chunks() {
      const block = seededBytes(`${seed}:pad`, PADDING_BLOCK);
      for (const size of sizes) {
        const header = Buffer.alloc(8);
        header.writeUInt32BE(size, 0);
        PADDING_CHUNK.copy(header, 4);
        yield header;
        let crc = crc32Update(0xffffffff, PADDING_CHUNK);
        for (let sent = 0; sent < size; sent += PADDING_BLOCK) {
          const piece = block.subarray(0, Math.min(PADDING_BLOCK, size - sent));
          crc = crc32Update(crc, piece);
          yield piece;
        }
        const trailer = Buffer.alloc(4);
        trailer.writeUInt32BE(crc32Final(crc), 0);
        yield trailer;
      }
    },
  };
}
