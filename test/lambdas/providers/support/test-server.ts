/**
 * A real HTTP server on 127.0.0.1 for the provider-client tests: answers scripted responses in order and records
 * every request (method, path, query, headers, body).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, as sent (still percent-encoded). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
}

/** A response: `body` objects are sent as JSON, strings as they are. Or a handler for fault injection. */
export type Scripted =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | ((req: IncomingMessage, res: ServerResponse) => void);

export interface TestServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Queues responses, one per request, in order. */
  script(...responses: Scripted[]): void;
  /** Answers every request with this when the queue is empty (until replaced). */
  setDefault(response: Scripted | undefined): void;
  /** Forgets queued responses, the default and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const queue: Scripted[] = [];
  const requests: RecordedRequest[] = [];
  let fallback: Scripted | undefined;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method ?? '',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        query: url.searchParams,
        headers: req.headers,
        body,
        json: tryJson(body),
      });
      const next = queue.shift() ?? fallback;
      if (!next) {
        res.writeHead(418, { 'content-type': 'text/plain' }).end('no scripted response');
        return;
      }
      if (typeof next === 'function') {
        next(req, res);
        return;
      }
      const payload = next.body === undefined ? '' : typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
      const headers: Record<string, string> = { ...next.headers };
      if (typeof next.body !== 'string' && next.body !== undefined) headers['content-type'] ??= 'application/json';
      res.writeHead(next.status, headers).end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script: (...responses) => void queue.push(...responses),
    setDefault: (response) => void (fallback = response),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      fallback = undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function tryJson(text: string): unknown {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}
