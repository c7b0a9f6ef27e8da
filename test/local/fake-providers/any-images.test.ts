import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_IMAGE_CONTENT_TYPES, anyImage, startFakeProviders, UnknownImageExtensionError, type FakeProviders } from '../../../local/fake-providers';
import { bytesOf, decodeGif, expectValidBmp, expectValidJpeg, expectValidPng, expectValidWebp } from './helpers';

const SIZE = { width: 30, height: 20 };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let fake: FakeProviders;
beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => fake.close());

const get = (path: string, init?: RequestInit) => bytesOf(`${fake.baseUrl}/images/any/${path}`, init);

describe('/images/any/: one deterministic file per extension', () => {
  const valid: Record<string, (bytes: Buffer) => void> = {
    jpg: (bytes) => expectValidJpeg(bytes, SIZE),
    jpeg: (bytes) => expectValidJpeg(bytes, SIZE),
    png: (bytes) => void expectValidPng(bytes, SIZE),
    webp: (bytes) => expectValidWebp(bytes),
    gif: (bytes) => {
      const gif = decodeGif(bytes);
      expect(gif).toMatchObject({ ...SIZE, paletteSize: 4 });
      expect(gif.comments.join('')).toContain('passport/front.gif');
      expect(gif.indexes.every((index) => index < 4)).toBe(true);
      expect(new Set(gif.indexes).size).toBeGreaterThan(1);
    },
    bmp: (bytes) => expectValidBmp(bytes, SIZE),
    bin: (bytes) => expect(bytes.length).toBeGreaterThanOrEqual(256),
    html: (bytes) => expect(bytes.toString('utf8')).toMatch(/^<!doctype html>\n<html>.*<\/html>\n$/s),
    svg: (bytes) => expect(bytes.toString('utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" .*<\/svg>\n$/s),
  };

  it('covers every served extension', () => {
    expect(Object.keys(valid).sort()).toEqual(Object.keys(ANY_IMAGE_CONTENT_TYPES).sort());
  });

  it.each(Object.keys(valid))('.%s: valid bytes with the right content type, the same as anyImage()', async (ext) => {
    const path = `passport/front.${ext}`;
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(ANY_IMAGE_CONTENT_TYPES[ext as keyof typeof ANY_IMAGE_CONTENT_TYPES]);
    expect(Number(res.headers.get('content-length'))).toBe(res.bytes.length);
    valid[ext]!(res.bytes);
    const expected = anyImage(path);
    expect(expected.contentType).toBe(res.headers.get('content-type'));
    expect(sha256(res.bytes)).toBe(sha256(expected.bytes));
  });

  it('is deterministic per path and differs between paths (palette and comment for GIF)', () => {
    for (const ext of Object.keys(valid)) {
      expect(anyImage(`a/1.${ext}`).bytes.equals(anyImage(`a/1.${ext}`).bytes)).toBe(true);
      expect(anyImage(`a/1.${ext}`).bytes.equals(anyImage(`a/2.${ext}`).bytes)).toBe(false);
    }
    const palette = (path: string) => anyImage(path).bytes.subarray(13, 25);
    expect(palette('a/1.gif').equals(palette('a/2.gif'))).toBe(false);
  });

  it('matches the extension case-insensitively; the seed is the path as written', async () => {
    const res = await get('Scan.PNG');
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.bytes.equals(anyImage('Scan.PNG').bytes)).toBe(true);
    expect(res.bytes.equals(anyImage('Scan.png').bytes)).toBe(false);
  });

  it('?ct= replaces the content type (empty: none at all), keeping the bytes', async () => {
    const wrong = await get('selfie.png?ct=text/html;%20charset=utf-8');
    expect(wrong.status).toBe(200);
    expect(wrong.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(wrong.bytes.equals(anyImage('selfie.png').bytes)).toBe(true);
    const none = await get('selfie.png?ct=');
    expect(none.headers.get('content-type')).toBeNull();
    expect(none.bytes.equals(anyImage('selfie.png').bytes)).toBe(true);
    expect((await get('selfie.png?ct=a%0d%0aset-cookie:%20x')).status).toBe(400);
  });

  it.each([404, 410, 500, 503])('?status=%i answers that status instead of the file', async (status) => {
    const res = await get(`selfie.jpg?status=${status}`);
    expect(res.status).toBe(status);
    expect(res.bytes.equals(anyImage('selfie.jpg').bytes)).toBe(false);
  });

  it('400 for a status that is not 4xx/5xx; 404 for unknown or missing extensions; 405 for POST', async () => {
    expect((await get('selfie.jpg?status=200')).status).toBe(400);
    expect((await get('selfie.jpg?status=abc')).status).toBe(400);
    for (const path of ['selfie.tiff', 'selfie', 'dir/.png', '.png', 'selfie.png/']) expect((await get(path)).status).toBe(404);
    expect((await get('selfie.png', { method: 'POST' })).status).toBe(405);
  });

  it('anyImage throws UnknownImageExtensionError for an extension it does not serve', () => {
    expect(() => anyImage('x.tiff')).toThrow(UnknownImageExtensionError);
    expect(() => anyImage('no-extension')).toThrow(UnknownImageExtensionError);
  });

  it('counts as image traffic in the stats', async () => {
    const before = fake.stats();
    const res = await get('count.bin');
    const after = fake.stats();
    expect(after.requests.images - before.requests.images).toBe(1);
    expect(after.imageBytesSent - before.imageBytesSent).toBe(res.bytes.length);
  });
});
