import { describe, expect, it } from 'vitest';
import { extensionOf, imageTypeOf, sniffImageType, IMAGE_MEDIA_TYPES } from '../../../../lambdas/archive/intake/image-types';
import { jpegBytes, tinyPng, tinyWebp } from './fixtures';

const ascii = (text: string) => Buffer.from(text, 'latin1');

describe('sniffImageType', () => {
  it.each([
    ['image/jpeg', jpegBytes()],
    ['image/png', tinyPng()],
    ['image/webp', tinyWebp()],
    ['image/gif', ascii('GIF89a\x01\x00\x01\x00\x00\x00')],
    ['image/gif', ascii('GIF87a\x01\x00\x01\x00\x00\x00')],
    ['image/bmp', ascii('BM\x3a\x00\x00\x00\x00\x00\x00\x00')],
    ['image/tiff', ascii('II*\x00\x08\x00\x00\x00')],
    ['image/tiff', ascii('MM\x00*\x00\x00\x00\x08')],
    ['image/heic', ascii('\x00\x00\x00\x18ftypheic\x00\x00')],
    ['image/avif', ascii('\x00\x00\x00\x1cftypavif\x00\x00')],
    ['image/heif', ascii('\x00\x00\x00\x18ftypmif1\x00\x00')],
  ])('recognizes %s by its magic bytes', (type, bytes) => {
    expect(sniffImageType(bytes)).toBe(type);
  });

  it('recognizes nothing else', () => {
    expect(sniffImageType(ascii('RIFF\x00\x00\x00\x00WAVE'))).toBeUndefined();
    expect(sniffImageType(ascii('\x00\x00\x00\x18ftypmp42\x00\x00'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('<html>hello</html>'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImageType(tinyPng().subarray(0, 7))).toBeUndefined();
    expect(sniffImageType(tinyWebp().subarray(0, 11))).toBeUndefined();
    expect(sniffImageType(new Uint8Array())).toBeUndefined();
  });
});

describe('imageTypeOf and extensionOf', () => {
  it('reads declared types case-insensitively, with parameters and common aliases', () => {
    expect(imageTypeOf('IMAGE/PNG; charset=binary')).toBe('image/png');
    expect(imageTypeOf('image/jpg')).toBe('image/jpeg');
    expect(imageTypeOf('image/x-ms-bmp')).toBe('image/bmp');
    expect(imageTypeOf('image/svg+xml')).toBeUndefined();
    expect(imageTypeOf('text/html')).toBeUndefined();
  });

  it('gives every recognized type a plain extension', () => {
    for (const type of IMAGE_MEDIA_TYPES) expect(extensionOf(type)).toMatch(/^[a-z]{3,4}$/);
    expect(extensionOf('image/jpeg')).toBe('jpg');
  });
});
