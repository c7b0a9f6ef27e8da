/** Small real images and a loopback HTTP server for the intake tests. */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import { writeChunked } from '../../../support/image-server';

export const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A valid 1×1 grey PNG built from its chunks. */
export function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed) >>> 0);
    return Buffer.concat([length, typed, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]); // 1×1, 8-bit greyscale
  return Buffer.concat([
    PNG_MAGIC,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from([0, 0x80]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** JPEG-shaped bytes (SOI, APP0 marker, JFIF) followed by `size` random bytes: enough for magic checks. */
export function jpegBytes(size = 64): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]), randomBytes(size)]);
}

/** A valid 1×1 lossless WebP. */
export function tinyWebp(): Buffer {
  return Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  port: number;
  /** `http://127.0.0.1:<port><path>` */
  url(path: string): string;
  /** Paths of the requests received, in order. */
  requests: string[];
  /** TCP connections accepted. */
  connections: number;
  /** Resolves once every accepted connection has been closed (by either side). */
  allConnectionsClosed(): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (ephemeral port) answering by path. Unknown paths get 404. */
export async function startServer(routes: Record<string, Handler>): Promise<TestServer> {
  const open = new Set<Socket>();
  let idle: Array<() => void> = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    state.requests.push(path);
    const handler = routes[path];
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  // Clients keep idle sockets as long as the server's Keep-Alive hint says: a long hint makes a leaked socket visible
  // (allConnectionsClosed would not resolve) instead of hiding it behind undici's default 4 s idle timeout.
  server.keepAliveTimeout = 120_000;
  server.on('connection', (socket: Socket) => {
    state.connections++;
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      if (open.size === 0) {
        idle.forEach((resolve) => resolve());
        idle = [];
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const state: TestServer = {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests: [],
    connections: 0,
    allConnectionsClosed: () => (open.size === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** Serves `body` with the given headers, in chunks, respecting backpressure. */
export function serve(body: Buffer, headers: Record<string, string | number> = {}, chunkBytes = 16 * 1024): Handler {
  return (_req, res) => {
    res.writeHead(200, headers);
    writeChunked(res, body, chunkBytes);
  };
}
