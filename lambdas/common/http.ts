/**
 * JSON over Node's global fetch for the provider clients: a timeout, a response-size cap, no redirects, and every
 * failure mapped to a typed error. Messages name the provider and the HTTP status only: never the URL (a liveness
 * token travels in the query string), headers, credentials or body content.
 */
import type { ProviderName } from '../checks/check-status';
import {
  ArchiverError,
  ConfigurationError,
  ProviderContractError,
  ProviderUnavailableError,
  ResponseTooLargeError,
} from './errors';

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Liveness results carry base64 frames: 50 audit images are megabytes. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** A Retry-After beyond this is treated as this: the polling policy caps waits further. */
export const MAX_RETRY_AFTER_SECONDS = 3_600;

export interface HttpRequest {
  provider: ProviderName;
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  /** Sent as the JSON body, with `Content-Type: application/json`. */
  json?: unknown;
  /** Statuses the caller interprets. Any other status (besides 5xx and 429) is a contract violation. */
  expectedStatuses: readonly number[];
  /**
   * Statuses whose body must be JSON: an empty or unparseable one was most likely cut off on the way, so it is a
   * ProviderUnavailableError (retried) rather than an answer.
   */
  jsonStatuses?: readonly number[];
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** The caller's cancellation (e.g. the Lambda deadline), combined with the timeout. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The body exactly as received. */
  body: Buffer;
  bodyText: string;
  /** The parsed body; undefined when the body is empty or not valid JSON (see {@link requireJson}). */
  json: unknown;
}

/**
 * Performs one request and returns the answer if its status is expected. Throws ProviderUnavailableError (5xx, 429,
 * network faults, timeouts), ProviderContractError (redirects, unexpected statuses) or ResponseTooLargeError.
 */
export async function requestJson(request: HttpRequest): Promise<HttpResponse> {
  const { provider } = request;
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  const describeFault = (err: unknown, phase: string) => {
    const abortedBy = timeout.aborted ? 'timeout' : request.signal?.aborted ? 'caller' : undefined;
    return transportError(provider, err, phase, abortedBy, timeoutMs);
  };

  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  }

  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers, body, redirect: 'manual', signal });
  } catch (err) {
    throw describeFault(err, 'before a response');
  }

  const { status } = response;
  const statusError = classifyStatus(provider, status, response.headers, request.expectedStatuses);
  if (statusError) {
    await discardBody(response);
    throw statusError;
  }

  let bytes: Buffer;
  try {
    bytes = await readCapped(response, maxBytes, provider);
  } catch (err) {
    if (err instanceof ArchiverError) throw err;
    throw describeFault(err, `while reading the HTTP ${status} body`);
  }
  const bodyText = bytes.toString('utf8');
  const answer = { status, headers: response.headers, body: bytes, bodyText, json: parseJson(bodyText) };
  if (request.jsonStatuses?.includes(status)) requireJson(provider, answer);
  return answer;
}

/** The parsed body of a response whose status requires one; an empty or unparseable body is likely truncated. */
export function requireJson(provider: ProviderName, response: HttpResponse): unknown {
  if (response.json !== undefined) return response.json;
  const problem = response.bodyText.trim() === '' ? 'an empty body' : 'a body that is not valid JSON';
  throw new ProviderUnavailableError(`${provider}: HTTP ${response.status} with ${problem}`, {
    statusCode: response.status,
  });
}

/**
 * Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), clamped to [0, MAX_RETRY_AFTER_SECONDS];
 * undefined when absent or malformed.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  let seconds: number;
  if (/^\d+$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else {
    // HTTP-dates always name the weekday and the GMT zone; Date.parse alone accepts far looser text.
    if (!/^[A-Za-z]{3},? .*GMT$/.test(trimmed)) return undefined;
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.ceil((at - nowMs) / 1000);
  }
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, seconds));
}

/** Parses a configured base URL: absolute http(s), without credentials, query or fragment. */
export function parseBaseUrl(provider: ProviderName, value: unknown): URL {
  const problem = `${provider}: base URL must be an absolute http(s) URL without credentials, query or fragment`;
  if (typeof value !== 'string' || !URL.canParse(value)) throw new ConfigurationError(problem);
  const url = new URL(value);
  if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw new ConfigurationError(problem);
  }
  return url;
}

/** `relativePath` (no leading slash) under `base`, whether or not the base path ends with '/'. */
export function joinUrl(base: URL, relativePath: string): URL {
  const dir = new URL(base.href);
  if (!dir.pathname.endsWith('/')) dir.pathname = `${dir.pathname}/`;
  return new URL(relativePath.replace(/^\/+/, ''), dir);
}

function classifyStatus(
  provider: ProviderName,
  status: number,
  headers: Headers,
  expected: readonly number[],
): ArchiverError | undefined {
  if (status === 429 || status >= 500) {
    const retryAfterSeconds = parseRetryAfter(headers.get('retry-after'));
    const what = status === 429 ? 'rate limited' : 'unavailable';
    const after = retryAfterSeconds === undefined ? '' : ` (retry after ${retryAfterSeconds} s)`;
    return new ProviderUnavailableError(`${provider}: HTTP ${status}, provider ${what}${after}`, {
      statusCode: status,
      retryAfterSeconds,
    });
  }
  if (status >= 300 && status < 400) {
    return new ProviderContractError(`${provider}: HTTP ${status}, a status API must not redirect`);
  }
  if (!expected.includes(status)) return new ProviderContractError(`${provider}: unexpected HTTP ${status}`);
  return undefined;
}

async function readCapped(response: Response, maxBytes: number, provider: ProviderName): Promise<Buffer> {
  const tooLarge = (size: string) =>
    new ResponseTooLargeError(
      `${provider}: HTTP ${response.status} body of ${size} bytes exceeds the ${maxBytes}-byte cap`,
    );
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    await discardBody(response);
    throw tooLarge(declared.trim());
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`more than ${maxBytes}`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The connection is going away anyway; nothing to report.
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A network fault as a retryable error. The original error is not attached as `cause`: undici's errors can carry
 * the request URL (and so a liveness token); only a well-known error code is kept.
 */
function transportError(
  provider: ProviderName,
  err: unknown,
  phase: string,
  abortedBy: 'timeout' | 'caller' | undefined,
  timeoutMs: number,
): ProviderUnavailableError {
  if (abortedBy === 'timeout') {
    return new ProviderUnavailableError(`${provider}: request timed out after ${timeoutMs} ms ${phase}`);
  }
  if (abortedBy === 'caller') {
    return new ProviderUnavailableError(`${provider}: request aborted by the caller ${phase}`);
  }
  const code = errorCode(err);
  return new ProviderUnavailableError(`${provider}: network error ${phase}${code ? ` (${code})` : ''}`);
}

/** The first system/undici error code (ECONNRESET, UND_ERR_SOCKET, ...) along the cause chain. */
function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}
