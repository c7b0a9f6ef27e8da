import { seededPixels } from './pixels';

export interface BmpSpec {
  seed: string;
  width: number;
  height: number;
}

const FILE_HEADER = 14;
const INFO_HEADER = 40;

/** A small valid BMP: BITMAPFILEHEADER + BITMAPINFOHEADER, 24-bit BGR rows bottom-up, each padded to 4 bytes. */
export function bmpImage({ seed, width, height }: BmpSpec): Buffer {
  const rgba = seededPixels(seed, width, height);
  const rowSize = Math.ceil((width * 3) / 4) * 4;
  const pixelBytes = rowSize * height;
  const out = Buffer.alloc(FILE_HEADER + INFO_HEADER + pixelBytes);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(FILE_HEADER + INFO_HEADER, 10); // pixel data offset
  out.writeUInt32LE(INFO_HEADER, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22); // positive: bottom-up rows
  out.writeUInt16LE(1, 26); // planes
  out.writeUInt16LE(24, 28); // bits per pixel
  out.writeUInt32LE(0, 30); // BI_RGB, uncompressed
  out.writeUInt32LE(pixelBytes, 34);
  out.writeInt32LE(2835, 38); // 72 dpi
  out.writeInt32LE(2835, 42);
  for (let y = 0; y < height; y++) {
    const row = FILE_HEADER + INFO_HEADER + (height - 1 - y) * rowSize;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      out[row + x * 3] = rgba[i + 2]!;
      out[row + x * 3 + 1] = rgba[i + 1]!;
      out[row + x * 3 + 2] = rgba[i]!;
    }
  }
  return out;
}
