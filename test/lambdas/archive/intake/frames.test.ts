import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFrame, type FrameIntake } from '../../../../lambdas/archive/intake/frames';
import { PNG_MAGIC, jpegBytes, tinyPng, tinyWebp } from './fixtures';

const LIMITS = { maxBytes: 64 * 1024, ceilingBytes: 256 * 1024 };
const uriOf = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const BMP = Buffer.concat([Buffer.from('BM'), Buffer.alloc(60, 1)]);
const TIFF = Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00]), Buffer.alloc(20, 2)]);
const HEIC = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(20)]);

const image = (frame: FrameIntake) => {
  expect(frame.kind).toBe('image');
  return frame as Extract<FrameIntake, { kind: 'image' }>;
};
const quarantined = (frame: FrameIntake) => {
  expect(frame.kind).toBe('quarantine');
  return frame as Extract<FrameIntake, { kind: 'quarantine' }>;
};

describe('readFrame: images are stored as themselves', () => {
  it.each([
    ['image/jpeg', jpegBytes(200)],
    ['image/png', tinyPng()],
    ['image/webp', tinyWebp()],
    ['image/gif', GIF],
    ['image/bmp', BMP],
    ['image/tiff', TIFF],
    ['image/heic', HEIC],
  ])('a data URI of %s decodes to the exact bytes', (type, bytes) => {
    const frame = image(readFrame(uriOf(type, bytes), LIMITS));
    expect(frame.mediaType).toBe(type);
    expect(frame.bytes.equals(bytes)).toBe(true);
  });

  it('raw base64 without the data: prefix is decoded, its type taken from the magic bytes', () => {
    expect(image(readFrame(tinyPng().toString('base64'), LIMITS))).toMatchObject({ mediaType: 'image/png' });
    expect(image(readFrame(GIF.toString('base64'), LIMITS)).bytes.equals(GIF)).toBe(true);
  });

  it('is lenient on the encoding: URL-safe alphabet, missing padding, MIME line breaks, type case and aliases', () => {
    const bytes = Buffer.concat([PNG_MAGIC, Buffer.from([0xfb, 0xff, 0xbe, 0x01])]);
    const b64 = bytes.toString('base64');
    for (const uri of [
      `data:image/png;base64,${bytes.toString('base64url')}`,
      `data:image/png;base64,${b64.replace(/=+$/, '')}`,
      `data:image/png;base64,${b64.slice(0, 8)}\r\n${b64.slice(8)}`,
      `DATA:IMAGE/PNG;name=f;BASE64,${b64}`,
    ]) {
      expect(image(readFrame(uri, LIMITS)).bytes.equals(bytes)).toBe(true);
    }
    expect(image(readFrame(uriOf('image/jpg', jpegBytes()), LIMITS)).mediaType).toBe('image/jpeg');
  });

  it('accepts an image of exactly maxBytes', () => {
    const png = Buffer.concat([PNG_MAGIC, Buffer.alloc(92, 1)]);
    expect(image(readFrame(uriOf('image/png', png), { maxBytes: 100, ceilingBytes: 100 })).bytes).toEqual(png);
  });

  it('a link is handed over to be downloaded', () => {
    expect(readFrame(' https://cdn.example.com/f/1.jpg ', LIMITS)).toEqual({ kind: 'link', url: 'https://cdn.example.com/f/1.jpg' });
  });
});

describe('readFrame: what is not an image is kept in quarantine, as received', () => {
  it('magic-mismatch: bytes that are not the declared type are kept decoded', () => {
    const png = tinyPng();
    const frame = quarantined(readFrame(uriOf('image/jpeg', png), LIMITS));
    expect(frame).toMatchObject({ reason: 'magic-mismatch' });
    expect(frame.bytes.equals(png)).toBe(true);
    expect(quarantined(readFrame(uriOf('image/webp', Buffer.from('<svg onload="alert(1)"/>')), LIMITS)).reason).toBe('magic-mismatch');
  });

  it('media-type-not-allowed: SVG, HTML and friends, base64 or percent-encoded', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"/>';
    expect(quarantined(readFrame(uriOf('image/svg+xml', Buffer.from(svg)), LIMITS))).toMatchObject({ reason: 'media-type-not-allowed', bytes: Buffer.from(svg) });
    expect(quarantined(readFrame(`data:image/svg+xml,${encodeURIComponent(svg)}`, LIMITS)).bytes.toString()).toBe(svg);
    expect(quarantined(readFrame(uriOf('text/html', Buffer.from('<b>x</b>')), LIMITS)).reason).toBe('media-type-not-allowed');
  });

  it('invalid-base64: the payload text itself is kept', () => {
    const frame = quarantined(readFrame('data:image/jpeg;base64,not*valid*base64!!', LIMITS));
    expect(frame).toMatchObject({ reason: 'invalid-base64' });
    expect(frame.bytes.toString()).toBe('not*valid*base64!!');
  });

  it('raw text that is not an image is kept as it came', () => {
    expect(quarantined(readFrame('hello, not an image', LIMITS))).toMatchObject({ reason: 'invalid-base64', bytes: Buffer.from('hello, not an image') });
    const b64 = Buffer.from('plain words here').toString('base64');
    expect(quarantined(readFrame(b64, LIMITS))).toMatchObject({ reason: 'unknown-format', bytes: Buffer.from(b64) });
  });

  it('too-large: over maxBytes is quarantined up to the ceiling; past the ceiling nothing but the answer keeps it', () => {
    const png = Buffer.concat([PNG_MAGIC, Buffer.alloc(200, 1)]);
    expect(quarantined(readFrame(uriOf('image/png', png), { maxBytes: 100, ceilingBytes: 1000 }))).toMatchObject({ reason: 'too-large', bytes: png });
    expect(readFrame(uriOf('image/png', png), { maxBytes: 100, ceilingBytes: 150 })).toEqual({ kind: 'unusable', reason: 'too-large' });
  });

  it('a payload far past the ceiling is refused on its length, before it is scanned or decoded', () => {
    const huge = `data:image/png;base64,${'!'.repeat(48 * 1024 * 1024)}`;
    expect(readFrame(huge, { maxBytes: 1024, ceilingBytes: 1024 * 1024 })).toEqual({ kind: 'unusable', reason: 'too-large' });
  });

  it('unusable: not text, empty', () => {
    for (const value of [undefined, null, 42, {}, ['data:']]) expect(readFrame(value, LIMITS)).toEqual({ kind: 'unusable', reason: 'not-an-image-value' });
    expect(readFrame('  ', LIMITS)).toEqual({ kind: 'unusable', reason: 'empty' });
    expect(readFrame('data:image/png;base64,', LIMITS)).toEqual({ kind: 'unusable', reason: 'empty' });
  });

  it('an invalid limit is a configuration error, not a disabled cap', () => {
    expect(() => readFrame('x', { maxBytes: Number.NaN, ceilingBytes: 1 })).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
    expect(() => readFrame('x', { maxBytes: 10, ceilingBytes: 5 })).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
  });
});

describe('readFrame: properties', () => {
  it('never throws and never loses a non-empty string: an image, a link, or kept in quarantine (within the ceiling)', () => {
    const prefixes = fc.constantFrom('', 'data:', 'data:image/png;base64,', 'data:image/jpeg;base64,/9j/', 'data:image/webp;base64,UklGR', 'https://');
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.tuple(prefixes, fc.string({ minLength: 1 })).map(([p, s]) => p + s)), (value) => {
        const frame = readFrame(value, { maxBytes: 1024, ceilingBytes: 1 << 20 });
        if (typeof value === 'string' && value.trim() !== '' && frame.kind === 'unusable') expect(frame.reason).toBe('empty');
        if (frame.kind === 'image') expect(frame.bytes.length).toBeLessThanOrEqual(1024);
      }),
      { numRuns: 2000 },
    );
  });

  it('roundtrips: PNG magic + random bytes → data URI → the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom('image/png', 'IMAGE/PNG', 'image/png;x=y', ''), (tail, type) => {
        const bytes = Buffer.concat([PNG_MAGIC, tail]);
        const value = type === '' ? bytes.toString('base64') : uriOf(type, bytes);
        const frame = image(readFrame(value, { maxBytes: 4096, ceilingBytes: 4096 }));
        expect(frame.mediaType).toBe('image/png');
        expect(frame.bytes.equals(bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
