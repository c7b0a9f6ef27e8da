/**
 * A real HTTP server on 127.0.0.1 serving test images the way a provider's image host might: plain bodies, error
 * statuses, redirects, bodies cut off mid-transfer (the socket destroyed), optionally only for the first requests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export type Route =
  /** `gzip`: sent gzip-encoded (Content-Encoding: gzip) although the client asked for identity, as some hosts do. */
  | { kind: 'image'; body: Buffer; contentType: string; chunkBytes?: number; encoding?: 'gzip' }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; location: string }
  /** Sends the headers and `sendBytes` of the body, then destroys the socket; after `failures` requests, serves it. */
  | { kind: 'cut'; body: Buffer; contentType: string; sendBytes: number; failures?: number };

export interface ImageServer {
  origin: string;
  url(path: string): string;
  /** Requests received for a path. */
  hits(path: string): number;
  route(path: string, route: Route): void;
  close(): Promise<void>;
}

export async function startImageServer(routes: Record<string, Route> = {}): Promise<ImageServer> {
  const table = new Map(Object.entries(routes));
  const counts = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const hit = (counts.get(path) ?? 0) + 1;
    counts.set(path, hit);
    const route = table.get(path);
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    switch (route.kind) {
      case 'status':
        res.writeHead(route.status, { 'content-type': 'text/plain' }).end('no');
        return;
      case 'redirect':
        res.writeHead(302, { location: route.location }).end();
        return;
      case 'image': {
        const body = route.encoding === 'gzip' ? gzipSync(route.body) : route.body;
        res.writeHead(200, {
          'content-type': route.contentType,
          'content-length': body.length,
          ...(route.encoding ? { 'content-encoding': route.encoding } : {}),
        });
        writeChunked(res, body, route.chunkBytes ?? 64 * 1024);
        return;
      }
      case 'cut':
        if (hit > (route.failures ?? Number.POSITIVE_INFINITY)) {
          res.writeHead(200, { 'content-type': route.contentType, 'content-length': route.body.length }).end(route.body);
          return;
        }
        res.writeHead(200, { 'content-type': route.contentType, 'content-length': route.body.length });
        res.write(route.body.subarray(0, route.sendBytes), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    hits: (path) => counts.get(path) ?? 0,
    route: (path, route) => void table.set(path, route),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes in chunks with backpressure, as a real server streaming a file would. */
export function writeChunked(res: ServerResponse, body: Buffer, chunkBytes: number): void {
  let offset = 0;
  const next = () => {
    while (offset < body.length) {
      const chunk = body.subarray(offset, offset + chunkBytes);
      offset += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', next);
        return;
      }
    }
    res.end();
  };
  next();
}
