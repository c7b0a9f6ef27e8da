import { describe, expect, it } from 'vitest';
import { extensionOf, sniffImageType } from '../../../../lambdas/archive/intake/image-types';
import { jpegBytes, tinyPng, tinyWebp } from './fixtures';

describe('sniffImageType', () => {
  it('recognizes JPEG, PNG and WebP by their magic bytes', () => {
    expect(sniffImageType(jpegBytes())).toBe('image/jpeg');
    expect(sniffImageType(tinyPng())).toBe('image/png');
    expect(sniffImageType(tinyWebp())).toBe('image/webp');
  });

  it('returns undefined for other formats and for heads too short to tell', () => {
    expect(sniffImageType(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00', 'latin1'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('<html>hello</html>'))).toBeUndefined();
    expect(sniffImageType(tinyPng().subarray(0, 7))).toBeUndefined();
    expect(sniffImageType(tinyWebp().subarray(0, 11))).toBeUndefined();
    expect(sniffImageType(new Uint8Array())).toBeUndefined();
  });
});

describe('extensionOf', () => {
  it('names the file extension of each allowed type', () => {
    expect(extensionOf('image/jpeg')).toBe('jpg');
    expect(extensionOf('image/png')).toBe('png');
    expect(extensionOf('image/webp')).toBe('webp');
  });

  it('throws a typed rejection for a value that slipped past the types', () => {
    expect(() => extensionOf('image/gif' as never)).toThrow(expect.objectContaining({ name: 'ImageRejectedError' }));
  });
});
