/** Shared by the fake-provider tests: a server on a virtual clock, plain-fetch helpers and image validators. */
import { request } from 'node:http';
import { inflateSync } from 'node:zlib';
import jpegJs from 'jpeg-js';
import { expect } from 'vitest';
import { crc32 } from '../../../local/fake-providers/images';
import { LOCAL_PROVIDER_CREDENTIALS, startFakeProviders, type FakeProviders, type FakeProvidersOptions } from '../../../local/fake-providers';

export const CREDS = LOCAL_PROVIDER_CREDENTIALS;
export const T0 = Date.parse('2026-03-19T10:31:06.000Z');

export interface VirtualFake extends FakeProviders {
  /** Moves the virtual source clock forward (simulated ms = source ms × timeFactor). */
  advance(ms: number): void;
}

export async function startVirtual(options: FakeProvidersOptions = {}): Promise<VirtualFake> {
  let t = T0;
  const fake = await startFakeProviders({ now: () => t, ...options });
  return Object.assign(fake, { advance: (ms: number) => void (t += ms) });
}

export interface Got {
  status: number;
  headers: Headers;
  body: any;
}

async function toGot(res: Response): Promise<Got> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}

export async function liveness(fake: FakeProviders, token: string, apiKey: string | null = CREDS.livenessApiKey): Promise<Got> {
  const headers: Record<string, string> = apiKey === null ? {} : { 'x-api-key': apiKey };
  return toGot(await fetch(`${fake.baseUrl}/liveness_check?token=${encodeURIComponent(token)}`, { headers }));
}

export async function kyc(
  fake: FakeProviders,
  body: unknown,
  { jwt = CREDS.kycJwt, prefix = '/v1' }: { jwt?: string | null; prefix?: string } = {},
): Promise<Got> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (jwt) headers.token = jwt;
  return toGot(await fetch(`${fake.baseUrl}${prefix}/kyc/session/status`, { method: 'POST', headers, body: JSON.stringify(body) }));
}

export async function verification(fake: FakeProviders, id: string, key: string | null = CREDS.verificationApiKey): Promise<Got> {
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  return toGot(await fetch(`${fake.baseUrl}/v1/verify/${encodeURIComponent(id)}`, { headers }));
}

export async function bytesOf(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** A raw GET through node:http: counts body chunks, and notices a connection dropped mid-body. */
export function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: Buffer; chunks: number; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      let aborted = false;
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(parts), chunks: parts.length, aborted: aborted || !res.complete }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

export function dataUriParts(uri: string): { mediaType: string; payload: string } {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(uri);
  if (!match) throw new Error('not a base64 data URI');
  return { mediaType: match[1]!, payload: match[2]! };
}

/** Strict base64 (what an archiver must insist on). */
export function strictBase64(payload: string): Buffer {
  if (payload.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) throw new Error('malformed base64');
  return Buffer.from(payload, 'base64');
}

export function expectValidJpeg(bytes: Buffer, size?: { width: number; height: number }): void {
  expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  expect([...bytes.subarray(-2)]).toEqual([0xff, 0xd9]);
  const decoded = jpegJs.decode(bytes, { maxMemoryUsageInMB: 64 });
  if (size) expect({ width: decoded.width, height: decoded.height }).toEqual(size);
}

/** Walks the chunks (checking every CRC), inflates IDAT, checks the scanlines add up. */
export function expectValidPng(bytes: Buffer, size?: { width: number; height: number }): string[] {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const types: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  for (let at = 8; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.subarray(at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    expect(bytes.readUInt32BE(at + 8 + length)).toBe(crc32(type, data));
    const name = type.toString('latin1');
    types.push(name);
    if (name === 'IHDR') [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
    if (name === 'IDAT') idat.push(Buffer.from(data));
    at += 12 + length;
  }
  expect(types[0]).toBe('IHDR');
  expect(types.at(-1)).toBe('IEND');
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe(height * (1 + width * 3));
  if (size) expect({ width, height }).toEqual(size);
  return types;
}

export function expectValidWebp(bytes: Buffer): void {
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
  expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
  expect(bytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
  const chunks: string[] = [];
  for (let at = 12; at < bytes.length; ) {
    const size = bytes.readUInt32LE(at + 4);
    chunks.push(bytes.subarray(at, at + 4).toString('latin1'));
    at += 8 + size + (size % 2);
  }
  expect(chunks).toContain('VP8L');
  const vp8l = bytes.indexOf('VP8L', 12, 'latin1') + 8;
  expect(bytes[vp8l]).toBe(0x2f);
}

export interface DecodedGif {
  width: number;
  height: number;
  paletteSize: number;
  comments: string[];
  /** Palette indexes of the (single) image, from a real LZW decode. */
  indexes: number[];
}

/** Walks a GIF block by block (header, screen, palette, extensions, one image, trailer) and LZW-decodes the image. */
export function decodeGif(bytes: Buffer): DecodedGif {
  expect(bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
  const width = bytes.readUInt16LE(6);
  const height = bytes.readUInt16LE(8);
  const paletteSize = bytes[10]! & 0x80 ? 1 << ((bytes[10]! & 7) + 1) : 0;
  let at = 13 + 3 * paletteSize;
  const subBlocks = (): Buffer => {
    const parts: Buffer[] = [];
    for (let size = bytes[at++]!; size > 0; size = bytes[at++]!) {
      parts.push(bytes.subarray(at, at + size));
      at += size;
    }
    return Buffer.concat(parts);
  };
  const comments: string[] = [];
  let indexes: number[] | undefined;
  for (;;) {
    const block = bytes[at++];
    if (block === 0x3b) break;
    if (block === 0x21) {
      const label = bytes[at++];
      const data = subBlocks();
      if (label === 0xfe) comments.push(data.toString('utf8'));
    } else if (block === 0x2c) {
      const [w, h, packed] = [bytes.readUInt16LE(at + 4), bytes.readUInt16LE(at + 6), bytes[at + 8]!];
      expect({ w, h }).toEqual({ w: width, h: height });
      at += 9 + (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0);
      const minCodeSize = bytes[at++]!;
      indexes = lzwDecode(subBlocks(), minCodeSize);
    } else {
      throw new Error(`unexpected GIF block 0x${block?.toString(16)}`);
    }
  }
  expect(at).toBe(bytes.length);
  if (!indexes) throw new Error('GIF without an image');
  expect(indexes).toHaveLength(width * height);
  return { width, height, paletteSize, comments, indexes };
}

/** A general GIF LZW decoder (variable code width up to 12 bits); fails on a bad code or a missing end code. */
function lzwDecode(data: Buffer, minCodeSize: number): number[] {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  let codeSize = minCodeSize + 1;
  let table: number[][] = [];
  let previous: number[] | undefined;
  const reset = () => {
    table = [...Array.from({ length: clear }, (_, i) => [i]), [], []];
    codeSize = minCodeSize + 1;
    previous = undefined;
  };
  reset();
  const out: number[] = [];
  for (let bit = 0; bit + codeSize <= data.length * 8; ) {
    let code = 0;
    for (let i = 0; i < codeSize; i++, bit++) code |= ((data[bit >> 3]! >> (bit & 7)) & 1) << i;
    if (code === clear) {
      reset();
      continue;
    }
    if (code === end) return out;
    const entry = code < table.length ? table[code]! : code === table.length && previous ? [...previous, previous[0]!] : undefined;
    if (!entry) throw new Error(`bad LZW code ${code}`);
    out.push(...entry);
    if (previous) {
      table.push([...previous, entry[0]!]);
      if (table.length === 1 << codeSize && codeSize < 12) codeSize += 1;
    }
    previous = entry;
  }
  throw new Error('LZW data without an end code');
}

/** BITMAPFILEHEADER + BITMAPINFOHEADER of an uncompressed 24-bit BMP, and a length that matches its rows. */
export function expectValidBmp(bytes: Buffer, size: { width: number; height: number }): void {
  expect(bytes.subarray(0, 2).toString('latin1')).toBe('BM');
  expect(bytes.readUInt32LE(2)).toBe(bytes.length);
  const offset = bytes.readUInt32LE(10);
  expect(bytes.readUInt32LE(14)).toBe(40);
  expect({ width: bytes.readInt32LE(18), height: Math.abs(bytes.readInt32LE(22)) }).toEqual(size);
  expect(bytes.readUInt16LE(26)).toBe(1);
  expect(bytes.readUInt16LE(28)).toBe(24);
  expect(bytes.readUInt32LE(30)).toBe(0);
  const rowSize = Math.ceil((size.width * 3) / 4) * 4;
  expect(bytes.length).toBe(offset + rowSize * size.height);
}
