/**
 * The auditor console's HTTP server: 127.0.0.1 only, every request checked (security.ts) before a route reads the
 * archive, one audit event per archive read or refusal, errors mapped to pages as the query API maps them to codes.
 * Nothing from a request or the archive is logged except through the audit event.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { StorageRejectedError, StorageUnavailableError } from '../../../lambdas/common/storage-errors';
import { DEFAULT_URL_EXPIRY_SECONDS, InvalidQueryError, RecordNotFoundError, presignGetObject, type AuditDeps } from '../../../lambdas/audit';
import type { AuditEvent, AuditLog, ConsoleCaller } from './audit-log';
import { ROUTES, errorReply, type AuditNote, type Reply, type RequestContext, type RouteDeps } from './routes';
import { TOKEN_PARAMETER, checkRequest, newToken, securityHeaders, type RefusalReason } from './security';

export interface ConsoleOptions {
  deps: AuditDeps;
  /** Which archive, for the page header: "local archive DIR" or "table T, bucket B". */
  targetLabel: string;
  caller: ConsoleCaller;
  auditLog: AuditLog;
  /** 0 (the default): any free port. */
  port?: number;
  /** Lifetime of presigned URLs, seconds (default 300). */
  expiresIn?: number;
  /** Tests: a known token. */
  token?: string;
}

export interface RunningConsole {
  port: number;
  /** The URL to open, token included: printed once, for the person who started the console. */
  url: string;
  origin: string;
  close(): Promise<void>;
}

/** The body of a POST is a short form: provider and id. */
const MAX_FORM_BYTES = 4096;

const REFUSALS: Record<RefusalReason, string> = {
  host: 'this console answers only to 127.0.0.1 and localhost on its own port',
  origin: 'this request came from another web page',
  'fetch-site': 'this request was started by another site; open the console by pasting its URL into the address bar',
  token: "this request does not carry the console's token: open the URL the console printed when it started",
};

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const token = options.token ?? newToken();
  const routeDeps: RouteDeps = { deps: options.deps, targetLabel: options.targetLabel, expiresIn: options.expiresIn ?? DEFAULT_URL_EXPIRY_SECONDS };
  // Images come from the bucket's endpoint (s3rver on another local port, or S3): the policy allows that origin only.
  const s3Origin = new URL(await presignGetObject(options.deps.s3, options.deps.bucket, 'console-origin-probe', 60)).origin;
  const headers = securityHeaders([s3Origin]);
  let port = 0;

  const server = createServer((request, response) => {
    void handle(request, response).catch(() => {
      // A failure after the answer started (the client went away mid-stream): nothing more to send.
      if (!response.headersSent) response.writeHead(500, headers).end();
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const event: AuditEvent = { action: 'unknown', via: 'console', caller: options.caller, requestId, status: 500 };
    const send = (status: number, extra: Record<string, string>, body: string | Buffer = '') => {
      response.writeHead(status, { ...headers, 'x-request-id': requestId, ...extra });
      response.end(request.method === 'HEAD' ? undefined : body);
    };

    const verdict = checkRequest(request, { port, token });
    if (!verdict.ok) {
      event.action = 'refused';
      // Whoever sent it, it was not shown to be the auditor who started the console.
      event.caller = { userArn: 'unauthenticated' };
      event.status = 403;
      event.error = verdict.reason;
      options.auditLog.write(event);
      send(403, { 'content-type': 'text/plain; charset=utf-8' }, `Forbidden: ${REFUSALS[verdict.reason]}.\n`);
      return;
    }
    if ('redirect' in verdict) {
      send(303, { location: verdict.redirect, 'set-cookie': verdict.setCookie, 'content-type': 'text/plain; charset=utf-8' });
      return;
    }

    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    url.searchParams.delete(TOKEN_PARAMETER);
    const candidates = ROUTES.map((route) => ({ route, match: route.pattern.exec(url.pathname) })).filter((c) => c.match);
    const found = candidates.find((c) => c.route.method === request.method);
    const note: AuditNote = { action: 'unknown' };
    const ctx: RequestContext = { url, audit: note, form: () => readForm(request) };
    let reply: Reply;
    try {
      if (!found) {
        reply = candidates.length > 0
          ? { status: 405, type: 'text/plain; charset=utf-8', body: 'Method not allowed.\n', headers: { allow: candidates.map((c) => c.route.method).join(', ') } }
          : errorReply(404, routeDeps, 'No such page', 'The console has no page at this address.');
      } else {
        reply = await found.route.handle(ctx, [...found.match!], routeDeps);
      }
    } catch (error) {
      event.error = errorName(error);
      reply = replyForError(error, routeDeps, requestId);
    }

    // The event is written once the answer is complete: a stream fills in what it read as it ends.
    const audited = found?.route.audited ?? true;
    const finish = (status: number) => {
      event.action = note.action;
      if (note.read) event.read = note.read;
      event.error ??= note.error;
      if (event.error === undefined) delete event.error;
      event.status = status;
      if (audited) options.auditLog.write(event);
    };
    if ('body' in reply) {
      send(reply.status, { 'content-type': reply.type, ...reply.headers }, reply.body);
      finish(reply.status);
      return;
    }
    response.writeHead(reply.status, { ...headers, 'x-request-id': requestId, 'content-type': reply.type, ...('headers' in reply ? reply.headers : {}) });
    if ('file' in reply) {
      try {
        await pipeline(reply.file, response);
      } catch {
        // The bundle was made and read; the browser went away before it had all of it.
        event.error = 'DownloadInterrupted';
      } finally {
        finish(reply.status);
        await reply.finished();
      }
      return;
    }
    let status = reply.status;
    try {
      await reply.stream((line) => response.write(`${JSON.stringify(line)}\n`));
    } catch (error) {
      // The status line has gone out: the failure is the stream's last line, and the event's status.
      event.error = errorName(error);
      status = 500;
      response.write(`${JSON.stringify({ type: 'error', message: 'verification could not finish: the archive could not be read', requestId })}\n`);
    }
    response.end();
    finish(status);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    origin,
    url: `${origin}/?${TOKEN_PARAMETER}=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The core's errors as the query API maps them; anything else is a 500 naming only the request id. */
function replyForError(error: unknown, r: RouteDeps, requestId: string): Reply {
  if (error instanceof InvalidQueryError) return errorReply(400, r, 'That cannot be looked up', error.message);
  if (error instanceof RecordNotFoundError) return errorReply(404, r, 'No such check', error.message);
  if (error instanceof StorageUnavailableError) return errorReply(503, r, 'The archive is busy', 'The archive is busy: try again in a moment.', requestId);
  return errorReply(500, r, 'The request failed', 'The request failed; nothing was changed.', requestId);
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown })?.name;
  const base = typeof name === 'string' ? name : 'UnknownError';
  // As the query API does: a storage rejection's message names the operation, never a value.
  return error instanceof StorageRejectedError ? `${base}: ${error.message}` : base;
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new InvalidQueryError('send the form as application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).length;
    if (total > MAX_FORM_BYTES) throw new InvalidQueryError(`the form is larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
