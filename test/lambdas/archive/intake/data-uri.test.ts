import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeImageDataUri } from '../../../../lambdas/archive/intake/data-uri';
import { ImageRejectedError, type ImageRejectedReason } from '../../../../lambdas/archive/intake/errors';
import { PNG_MAGIC, jpegBytes, tinyPng, tinyWebp } from './fixtures';

const MAX = 64 * 1024;
const uriOf = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;

function rejection(uri: unknown, maxBytes = MAX): ImageRejectedReason {
  try {
    decodeImageDataUri(uri, { maxBytes });
  } catch (error) {
    expect(error).toBeInstanceOf(ImageRejectedError);
    return (error as ImageRejectedError).reason;
  }
  throw new Error('expected a rejection');
}

describe('decodeImageDataUri: valid images', () => {
  it.each([
    ['image/jpeg', jpegBytes(200)],
    ['image/png', tinyPng()],
    ['image/webp', tinyWebp()],
  ])('decodes %s to the exact bytes', (type, bytes) => {
    const decoded = decodeImageDataUri(uriOf(type, bytes), { maxBytes: MAX });
    expect(decoded.mediaType).toBe(type);
    expect(decoded.bytes.equals(bytes)).toBe(true);
  });

  it('matches the media type case-insensitively, accepts image/jpg and ignores parameters', () => {
    const png = tinyPng();
    expect(decodeImageDataUri(uriOf('IMAGE/PNG', png), { maxBytes: MAX }).mediaType).toBe('image/png');
    expect(decodeImageDataUri(`DATA:image/png;name=frame-1;BASE64,${png.toString('base64')}`, { maxBytes: MAX }).bytes).toEqual(png);
    expect(decodeImageDataUri(uriOf('image/jpg', jpegBytes()), { maxBytes: MAX }).mediaType).toBe('image/jpeg');
  });

  it('accepts an image of exactly maxBytes', () => {
    const png = Buffer.concat([PNG_MAGIC, Buffer.alloc(92, 1)]);
    expect(decodeImageDataUri(uriOf('image/png', png), { maxBytes: 100 }).bytes).toEqual(png);
  });
});

describe('decodeImageDataUri: rejections', () => {
  const png64 = tinyPng().toString('base64');

  it('not-a-data-uri: non-strings, other schemes, no comma, no base64 marker', () => {
    for (const value of [undefined, null, 42, {}, ['data:'], '', 'https://api.example.com/x.png', 'data:image/png;base64']) {
      expect(rejection(value)).toBe('not-a-data-uri');
    }
    expect(rejection(`data:image/png,${png64}`)).toBe('not-a-data-uri');
    expect(rejection(`data:image/png;charset=utf-8,${png64}`)).toBe('not-a-data-uri');
    expect(rejection(`data:image/png;${'x'.repeat(300)};base64,${png64}`)).toBe('not-a-data-uri');
  });

  it('media-type-not-allowed: other and missing types', () => {
    for (const type of ['image/gif', 'image/svg+xml', 'text/html', 'application/octet-stream', '']) {
      expect(rejection(`data:${type};base64,${png64}`)).toBe('media-type-not-allowed');
    }
  });

  it('invalid-base64: URL-safe alphabet, bad padding, whitespace, stray characters, non-canonical bits', () => {
    const bytes = Buffer.concat([PNG_MAGIC, Buffer.from([0xfb, 0xff, 0xbe])]); // encodes with '+' and '/'
    const standard = bytes.toString('base64');
    expect(standard).toMatch(/[+/]/);
    expect(rejection(`data:image/png;base64,${bytes.toString('base64url')}`)).toBe('invalid-base64');
    expect(rejection(`data:image/png;base64,${png64.replace(/=+$/, '')}`)).toBe('invalid-base64'); // missing padding
    expect(rejection(`data:image/png;base64,${png64.slice(0, 8)}=${png64.slice(8, -1)}`)).toBe('invalid-base64');
    expect(rejection(`data:image/png;base64,${png64.slice(0, 40)}\n${png64.slice(40)}`)).toBe('invalid-base64');
    expect(rejection(`data:image/png;base64, ${png64}`)).toBe('invalid-base64');
    expect(rejection(`data:image/png;base64,${png64.slice(0, -4)}A===`)).toBe('invalid-base64');
    expect(rejection(`data:image/png;base64,${png64.slice(0, -4)}!!!!`)).toBe('invalid-base64');
    // 'iVBORw0KGgp=' decodes (leniently) to the same 8 bytes as the canonical 'iVBORw0KGgo='.
    expect(rejection('data:image/png;base64,iVBORw0KGgp=')).toBe('invalid-base64');
    expect(decodeImageDataUri('data:image/png;base64,iVBORw0KGgo=', { maxBytes: MAX }).bytes).toEqual(PNG_MAGIC);
  });

  it('magic-mismatch: bytes that are not the declared type', () => {
    expect(rejection(uriOf('image/png', jpegBytes()))).toBe('magic-mismatch');
    expect(rejection(uriOf('image/jpeg', tinyPng()))).toBe('magic-mismatch');
    expect(rejection(uriOf('image/webp', Buffer.from('<svg onload="alert(1)"/>')))).toBe('magic-mismatch');
  });

  it('empty: no payload', () => {
    expect(rejection('data:image/png;base64,')).toBe('empty');
  });

  it('too-large: one byte over maxBytes', () => {
    const png = Buffer.concat([PNG_MAGIC, Buffer.alloc(93, 1)]);
    expect(rejection(uriOf('image/png', png), 100)).toBe('too-large');
  });

  it('too-large is decided on the payload length, before it is validated or decoded', () => {
    // 48 MiB of characters that are not even base64: had it been scanned or decoded, it would be invalid-base64.
    const huge = `data:image/png;base64,${'!'.repeat(48 * 1024 * 1024)}`;
    expect(rejection(huge, 1024 * 1024)).toBe('too-large');
  });

  it('never echoes the payload in the message', () => {
    const uri = uriOf('image/gif', Buffer.from('secret-frame-bytes'));
    expect(() => decodeImageDataUri(uri, { maxBytes: MAX })).toThrow(/^image rejected: media-type-not-allowed$/);
  });

  it('an invalid maxBytes is a configuration error, not a disabled cap', () => {
    expect(() => decodeImageDataUri(uriOf('image/png', tinyPng()), { maxBytes: Number.NaN })).toThrow(
      expect.objectContaining({ name: 'ConfigurationError' }),
    );
  });
});

describe('decodeImageDataUri: properties', () => {
  it('throws nothing but ImageRejectedError for arbitrary values and strings', () => {
    const prefixes = fc.constantFrom('', 'data:', 'data:image/png;base64,', 'data:image/jpeg;base64,/9j/', 'data:image/webp;base64,UklGR');
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.tuple(prefixes, fc.string()).map(([p, s]) => p + s)), (value) => {
        try {
          const decoded = decodeImageDataUri(value, { maxBytes: 1024 });
          expect(decoded.bytes.length).toBeLessThanOrEqual(1024);
        } catch (error) {
          expect(error).toBeInstanceOf(ImageRejectedError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('roundtrips: PNG magic + random bytes → data URI → the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom('image/png', 'IMAGE/PNG', 'image/png;x=y'), (tail, type) => {
        const bytes = Buffer.concat([PNG_MAGIC, tail]);
        const decoded = decodeImageDataUri(uriOf(type, bytes), { maxBytes: 4096 });
        expect(decoded.mediaType).toBe('image/png');
        expect(decoded.bytes.equals(bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
