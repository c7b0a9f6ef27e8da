/** Reads and writes paging tokens as query.ts encodes them (deflated JSON, base64url), to forge edited ones in tests. */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Token = { v: number; q: string; from: string; to: string; p: number; s: any[] };

export function decodeToken(token: string): Token {
  return JSON.parse(inflateRawSync(Buffer.from(token, 'base64url')).toString('utf8')) as Token;
}

export function encodeToken(cursor: object): string {
  return deflateRawSync(Buffer.from(JSON.stringify(cursor))).toString('base64url');
}
