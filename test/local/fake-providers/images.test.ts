import { describe, expect, it } from 'vitest';
import { base64Source, bufferSource, collect, concatSources, crc32, imageSource, renderImage } from '../../../local/fake-providers/images';
import { expectValidJpeg, expectValidPng, expectValidWebp } from './helpers';

const size = { width: 64, height: 48 };

describe('generated images', () => {
  it('computes the standard CRC-32 (check value of "123456789")', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('renders a valid JPEG, padded with COM segments to the asked size', () => {
    const plain = renderImage({ format: 'jpeg', seed: 's', ...size });
    expectValidJpeg(plain, size);
    const padded = renderImage({ format: 'jpeg', seed: 's', ...size, minBytes: 300_000 });
    expect(padded.length).toBeGreaterThanOrEqual(300_000);
    expect(padded.length).toBeLessThan(300_004);
    expectValidJpeg(padded, size);
  });

  it('renders a valid PNG: signature, CRCs, inflatable IDAT; padding is an ancillary chunk', () => {
    expect(expectValidPng(renderImage({ format: 'png', seed: 's', ...size }), size)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const padded = renderImage({ format: 'png', seed: 's', ...size, minBytes: 200_000 });
    expect(padded.length).toBeGreaterThanOrEqual(200_000);
    expect(expectValidPng(padded, size)).toEqual(['IHDR', 'paDd', 'IDAT', 'IEND']);
  });

  it('renders a minimal WebP (RIFF/WEBP/VP8L), and an extended one with XMP padding', () => {
    const small = renderImage({ format: 'webp', seed: 's', ...size });
    expectValidWebp(small);
    expect(small.subarray(12, 16).toString('latin1')).toBe('VP8L');
    const padded = renderImage({ format: 'webp', seed: 's', ...size, minBytes: 50_000 });
    expectValidWebp(padded);
    expect(padded.length).toBeGreaterThanOrEqual(50_000);
    expect(padded.subarray(12, 16).toString('latin1')).toBe('VP8X');
  });

  it('is deterministic per seed and differs between seeds', () => {
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      const a = renderImage({ format, seed: 'check-1:0', ...size, minBytes: 10_000 });
      expect(renderImage({ format, seed: 'check-1:0', ...size, minBytes: 10_000 }).equals(a)).toBe(true);
      expect(renderImage({ format, seed: 'check-1:1', ...size, minBytes: 10_000 }).equals(a)).toBe(false);
    }
  });

  it('streams big images in many small chunks whose total matches the announced length', () => {
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      const source = imageSource({ format, seed: 'big', ...size, minBytes: 8 * 1024 * 1024 });
      let total = 0;
      let chunks = 0;
      let largest = 0;
      for (const chunk of source.chunks()) {
        total += chunk.length;
        chunks += 1;
        largest = Math.max(largest, chunk.length);
      }
      expect(total).toBe(source.length);
      expect(total).toBeGreaterThanOrEqual(8 * 1024 * 1024);
      expect(chunks).toBeGreaterThan(100);
      expect(largest).toBeLessThanOrEqual(64 * 1024);
    }
  });

  it('base64-encodes a chunked source exactly like Buffer does, whatever the chunk boundaries', () => {
    const bytes = renderImage({ format: 'jpeg', seed: 'b64', ...size, minBytes: 70_001 });
    const pieces = [1, 2, 3, 4, 5, 7, 11, 65_536].map((n, i, all) => bytes.subarray(all.slice(0, i).reduce((a, b) => a + b, 0), all.slice(0, i + 1).reduce((a, b) => a + b, 0)));
    const source = concatSources([...pieces.map((p) => bufferSource(p)), bufferSource(bytes.subarray(65_569))]);
    const encoded = base64Source(source);
    expect(collect(encoded).toString('latin1')).toBe(bytes.toString('base64'));
    expect(encoded.length).toBe(bytes.toString('base64').length);
  });
});
