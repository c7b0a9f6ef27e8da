/**
 * The AWS JSON 1.0 protocol as @aws-sdk/client-sfn speaks it: `POST /` with `X-Amz-Target: AWSStepFunctions.<Op>`
 * and a JSON body; results as JSON with timestamps in epoch seconds; errors as HTTP 400
 * `{"__type": "<Code>", "message": ...}`. The SDK resolves a bare `__type` in its own namespace
 * (com.amazonaws.sfn), so `ExecutionAlreadyExists` becomes its modelled `ExecutionAlreadyExists` exception.
 * Request signatures are not checked. Nothing is logged.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StepFunctionsApiError } from './errors';

export type Operation = (request: Record<string, unknown>) => unknown;

export interface JsonProtocolServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
/** Generous for a 256 KiB input escaped inside the request JSON. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Serves `operations` (by operation name) on 127.0.0.1 at an ephemeral port. `targetPrefix`: the service's
 * X-Amz-Target namespace (`AmazonSQS.` for the local poll queue).
 */
export async function serveJsonProtocol(operations: Record<string, Operation>, targetPrefix = TARGET_PREFIX): Promise<JsonProtocolServer> {
  const server = createServer((req, res) => void handle(operations, targetPrefix, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // SDK clients keep connections alive
      }),
  };
}

async function handle(operations: Record<string, Operation>, targetPrefix: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = await readBody(req);
    const target = req.headers['x-amz-target'];
    const name = typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : '';
    const operation = req.method === 'POST' && Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (!operation) throw new StepFunctionsApiError('UnknownOperationException', `Unknown operation: ${String(target ?? '').slice(0, 100)}`);
    let request: unknown;
    try {
      request = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new StepFunctionsApiError('SerializationException', 'The request body is not valid JSON');
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      throw new StepFunctionsApiError('SerializationException', 'The request body must be a JSON object');
    }
    send(res, 200, await operation(request as Record<string, unknown>));
  } catch (error) {
    if (error instanceof StepFunctionsApiError) {
      send(res, 400, { __type: error.code, message: error.message }, { 'x-amzn-errortype': error.code });
    } else {
      const name = error instanceof Error ? error.name : 'Error';
      send(res, 500, { __type: 'InternalFailure', message: `The local Step Functions service failed (${name})` });
    }
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw new StepFunctionsApiError('ValidationException', `The request body exceeds ${MAX_BODY_BYTES} bytes`);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body ?? {}, epochSecondsForDates);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(payload);
}

/** JSON.stringify has already called Date#toJSON on `value`; the holder still has the Date. */
function epochSecondsForDates(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}
