import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bufferSource, type BodySource } from './images';

/** What a handler decided to answer; `send` writes it. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: BodySource;
  /** Send without Content-Length (chunked), so the size is only known by reading. */
  chunked?: boolean;
  /** Announce the full length, write this many bytes, then drop the connection. */
  cutAfter?: number;
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return jsonTextReply(status, JSON.stringify(value), headers);
}

export function jsonTextReply(status: number, text: string, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: bufferSource(Buffer.from(text, 'utf8')),
  };
}

/** Writes a reply with backpressure; returns the body bytes written. Never throws for a vanished client. */
export async function send(res: ServerResponse, reply: Reply): Promise<number> {
  const headers: Record<string, string> = { ...reply.headers };
  // RFC 9110: no Content-Length on a 204, and a 304's would describe a representation not sent.
  if (!reply.chunked && reply.status !== 204 && reply.status !== 304) headers['content-length'] = String(reply.body?.length ?? 0);
  res.writeHead(reply.status, headers);
  if (!reply.body) {
    res.end();
    return 0;
  }
  const limit = reply.cutAfter;
  let sent = 0;
  let flushed: Promise<void> = Promise.resolve();
  for (const chunk of reply.body.chunks()) {
    if (res.destroyed) return sent;
    const piece = limit !== undefined && sent + chunk.length > limit ? chunk.subarray(0, limit - sent) : chunk;
    sent += piece.length;
    flushed = new Promise((resolve) => res.write(piece, () => resolve()));
    if (limit !== undefined && sent >= limit) break;
    if (res.writableNeedDrain) await drainedOrClosed(res);
  }
  if (limit === undefined) {
    res.end();
  } else {
    // Let the partial body reach the client, then drop the connection mid-body.
    await Promise.race([flushed, closed(res)]);
    res.destroy();
  }
  return sent;
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function closed(res: ServerResponse): Promise<void> {
  return res.destroyed ? Promise.resolve() : new Promise((resolve) => res.once('close', () => resolve()));
}

export class RequestBodyTooLargeError extends Error {
  override readonly name = 'RequestBodyTooLargeError';
}

/** Reads a request body up to `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > maxBytes) throw new RequestBodyTooLargeError(`request body over ${maxBytes} bytes`);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/** Parses JSON, or returns `undefined` when the text is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Waits `ms` real milliseconds, or less if the client goes away first. */
export function sleepUnlessClosed(res: ServerResponse, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      res.off('close', finish);
      resolve();
    }
    res.once('close', finish);
  });
}

/** Compares a presented credential with the expected one in constant time (for equal lengths). */
export function credentialMatches(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
