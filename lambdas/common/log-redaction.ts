/**
 * Redaction of what the functions log: values under keys that carry secrets or personal data are masked at any
 * depth, and every string (messages, error messages and stacks included) loses data URIs, long base64 runs, JWTs,
 * bearer credentials, `token=…`/`Token: …` pairs and query strings (with or without a scheme). A liveness checkId is a bearer token: logs name a check by provider +
 * checkRef only, and this is the net under that rule, not a licence to log whole events.
 */
import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are masked, compared case-insensitively with `_`, `-` and `.` ignored (`first_name`,
 * `First-Name` and `firstName` are one key).
 */
const SENSITIVE_KEYS = new Set(
  [
    // Check identifiers (a liveness check id is a bearer token; a KYC session id dates and names its machine) and
    // provider credentials.
    'checkId', 'checkIds', 'id', 'ids', 'sessionId', 'token', 'clientKey', 'apiKey', 'xApiKey', 'authorization', 'proxyAuthorization', 'jwt', 'cookie',
    'setCookie', 'password', 'secret', 'credentials', 'privateKey',
    // Personal data in provider answers.
    'name', 'fullName', 'firstName', 'middleName', 'lastName', 'dateOfBirth', 'birthDate', 'dob', 'email', 'phone',
    'phoneNumber', 'address', 'wallet', 'clientUser', 'content',
    // Images and document data.
    'image', 'images', 'imagesFull', 'imageObjects', 'auditImages', 'faceSelfie', 'faceDoc', 'ocr',
  ].map(normalizeKey),
);

/** Key endings that mark a credential whatever comes before (`accessToken`, `clientSecret`, `dbPassword`). */
const SENSITIVE_SUFFIXES = ['token', 'tokens', 'secret', 'secrets', 'password', 'apikey'];

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

export function isSensitiveKey(key: string): boolean {
  const normalized = normalizeKey(key);
  return SENSITIVE_KEYS.has(normalized) || SENSITIVE_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/** `data:` URIs: the media type stays (useful), parameters and data go. */
const DATA_URI = /\bdata:([a-z0-9.+-]+\/[a-z0-9.+-]+)?(?:;[^,\s"'<>]*)*,[^\s"'<>)\]}]*/gi;
/** JWT-shaped (`eyJ…`, three base64url segments). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** Authorization header values written into messages. */
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
/** URLs: userinfo and everything from `?` or `#` on (tokens travel in query strings, e.g. liveness `?token=`). */
const URL_WITH_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;
const URL_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi;
/**
 * `token=XYZ`, `Token: XYZ`, `"sessionId": "XYZ"` in free text: the value goes, whatever the key is followed by. Keys
 * are the credential and identifier names above, with the same separator-insensitive spelling.
 */
const KEY_VALUE =
  /\b((?:access[_-]?|refresh[_-]?|id[_-]?)?token|api[_-]?key|x[_-]api[_-]key|secret|password|signature|sig|session[_-]?id|check[_-]?id|client[_-]?key)(["']?\s*[:=]\s*["']?)([^\s"'&,;)}\]]+)/gi;
/** A query string after a path without a scheme (`/v1/check?token=…`, `host.example/a?sig=…`). */
const BARE_QUERY = /([^\s?#"'<>=]*)\?([A-Za-z0-9_.~-]+=[^\s"'<>]*)/g;
/** Image or document bytes pasted without a data: prefix: long runs of base64 alphabet. */
const LONG_BASE64 = /[A-Za-z0-9+/_-]{256,}={0,2}/g;

/** The string with its secret-bearing parts masked. */
export function redactString(value: string): string {
  return value
    .replace(DATA_URI, (_match, mediaType: string | undefined) => `data:${mediaType ?? ''};base64,${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(AUTH_SCHEME, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(URL_WITH_USERINFO, (_match, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(URL_QUERY, (_match, base: string) => `${base}?${REDACTED}`)
    .replace(BARE_QUERY, (_match, base: string) => `${base}?${REDACTED}`)
    .replace(KEY_VALUE, (match, key: string, separator: string, value: string) => (value === REDACTED ? match : `${key}${separator}${REDACTED}`))
    .replace(LONG_BASE64, REDACTED);
}

const MAX_DEPTH = 24;

/**
 * A redacted copy of `value`: sensitive keys masked at any depth, strings scrubbed, Errors turned into plain
 * `{name, message, stack, cause, ...}` objects (the error's name kept: it is a class name, not a person's), cycles
 * cut. `formatError`, when given, shapes Errors first (the logger's formatter: Powertools' error layout).
 */
export function redact(value: unknown, formatError?: (error: Error) => Record<string, unknown>): unknown {
  const ancestors: object[] = [];
  const walk = (current: unknown, depth: number): unknown => {
    if (typeof current === 'string') return redactString(current);
    if (typeof current === 'bigint') return current.toString();
    if (current === null || typeof current !== 'object') return current;
    if (ancestors.includes(current)) return '[Circular]';
    if (depth > MAX_DEPTH) return '[Truncated]';
    if (current instanceof Date) return current;
    ancestors.push(current);
    try {
      if (Array.isArray(current)) return current.map((item) => walk(item, depth + 1));
      if (current instanceof Error) return walkError(current, depth);
      if (Buffer.isBuffer(current) || ArrayBuffer.isView(current)) return REDACTED; // raw bytes: images, keys
      return walkEntries(Object.entries(current), depth);
    } finally {
      ancestors.pop();
    }
  };
  const walkEntries = (entries: [string, unknown][], depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      out[key] = isSensitiveKey(key) && item !== undefined && item !== null ? REDACTED : walk(item, depth + 1);
    }
    return out;
  };
  const walkError = (error: Error, depth: number): Record<string, unknown> => {
    const shaped = formatError ? formatError(error) : plainError(error);
    const { name, ...rest } = shaped;
    return { name: typeof name === 'string' ? redactString(name) : name, ...walkEntries(Object.entries(rest), depth) };
  };
  return walk(value, 0);
}

function plainError(error: Error): Record<string, unknown> {
  const { name, message, stack, cause, ...own } = error as Error & { cause?: unknown };
  return { name, message, stack, ...(cause !== undefined && { cause }), ...own };
}

/**
 * Powertools' standard JSON layout (the same keys as its default formatter) with every attribute redacted. Error
 * causes that are Errors are shaped the same way, recursively (through `redact`).
 */
export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: typeof attributes.message === 'string' ? redactString(attributes.message) : attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: context?.coldStart,
      function_arn: context?.invokedFunctionArn,
      function_memory_size: context?.memoryLimitInMB,
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
    };
    const formatError = (error: Error) => {
      const { cause, ...rest } = this.formatError(error) as Record<string, unknown>;
      // Powertools formats an Error cause itself; pass the raw cause on so `redact` shapes and scrubs it too.
      const rawCause = (error as { cause?: unknown }).cause;
      return { ...rest, ...(rawCause !== undefined ? { cause: rawCause } : cause !== undefined ? { cause } : {}) };
    };
    const redacted = redact(additionalLogAttributes, formatError) as LogAttributes;
    return new LogItem({ attributes: base }).addAttributes(redacted);
  }
}
