/**
 * The webhook receiver's Function URL, locally: an HTTP server on 127.0.0.1 that turns each request into the event a
 * Lambda Function URL delivers (payload format 2.0: rawPath, lower-case headers, the body base64-encoded) and calls
 * the real handler (lambdas/handlers/webhook.ts), answering with what it returns. Nothing is logged.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Lambda refuses larger requests before the function runs (6 MB); the handler's own limit is far below. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface LocalWebhookReceiver {
  /** http://127.0.0.1:<port>: notifications go to `{url}/{provider}`. */
  url: string;
  close(): Promise<void>;
}

export async function startLocalWebhookReceiver(options: {
  handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  port?: number;
}): Promise<LocalWebhookReceiver> {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413, { 'content-type': 'application/json' }).end('{"message":"Request Entity Too Large"}');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://receiver.invalid');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        requestContext: { http: { method: req.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' } },
        body: body.toString('base64'),
        isBase64Encoded: true,
      } as unknown as APIGatewayProxyEventV2;
      try {
        const result = await options.handler(event);
        res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>).end(result.body ?? '');
      } catch {
        // What a Function URL answers when the function itself failed.
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"Message":"Internal Server Error"}');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
