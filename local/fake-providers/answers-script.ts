/**
 * Answers scripts: a check that answers its status requests with a literal sequence of HTTP answers instead of a
 * scripted lifecycle, so tests can serve whatever shape a real provider might send (nulls, numbers as strings, new
 * fields, unknown statuses, odd content types). Told apart from lifecycle scripts by the `answers` field.
 */
import { z } from 'zod';
import { clientKeyField, kycSessionIdField, labelField, livenessIdField, verificationIdField } from './script-fields';

/** Statuses whose responses carry no content (RFC 9110): a scripted body would never reach the client. */
export function isBodylessStatus(status: number): boolean {
  return status < 200 || status === 204 || status === 205 || status === 304;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What node:http accepts in a header value. */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Framing headers the server derives from the answer itself; `content-type` has its own field. */
const RESERVED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'content-type']);

/** A JSON value exactly as JSON.stringify writes it back (no undefined, functions, NaN, Dates, class instances). */
export function isJsonValue(value: unknown, ancestors: object[] = []): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || ancestors.includes(value)) return false;
  const inner = [...ancestors, value];
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, inner));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isJsonValue(item, inner));
}

export const answerSchema = z
  .strictObject({
    status: z.number().int().min(100).max(599),
    /** Any JSON value, served as JSON.stringify(body) (so 1.0 is sent as 1: use `text` for exact bytes). */
    body: z.unknown().refine((value) => isJsonValue(value), 'must be a JSON value').optional(),
    /** Served as is (UTF-8). */
    text: z.string().optional(),
    /** Default application/json; charset=utf-8 when there is a body or text, no content-type otherwise. */
    contentType: z.string().min(1).regex(HEADER_VALUE, 'must be a valid header value').optional(),
    headers: z.record(z.string().regex(HEADER_NAME, 'must be a header name'), z.string().regex(HEADER_VALUE, 'must be a valid header value')).default({}),
  })
  .superRefine((answer, ctx) => {
    const hasBody = answer.body !== undefined;
    if (hasBody && answer.text !== undefined) ctx.addIssue({ code: 'custom', path: ['text'], message: 'body and text exclude each other' });
    if ((hasBody || answer.text !== undefined) && isBodylessStatus(answer.status)) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: '1xx, 204, 205 and 304 answers carry no body or text' });
    }
    const seen = new Set<string>();
    for (const name of Object.keys(answer.headers)) {
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.has(lower)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'set by the server (content-type: use contentType)' });
      }
      if (seen.has(lower)) ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'header named twice' });
      seen.add(lower);
    }
  });

const answersShape = {
  label: labelField.optional(),
  /** Answered in order, one per status request that reaches the check; the last one repeats forever. */
  answers: z.array(answerSchema).min(1).max(10_000),
};

export const answersScriptSchema = z.discriminatedUnion('provider', [
  z.strictObject({ provider: z.literal('liveness'), checkId: livenessIdField.optional(), ...answersShape }),
  z.strictObject({ provider: z.literal('kyc'), checkId: kycSessionIdField.optional(), clientKey: clientKeyField.optional(), ...answersShape }),
  z.strictObject({ provider: z.literal('verification'), checkId: verificationIdField.optional(), ...answersShape }),
]);

export type Answer = z.input<typeof answerSchema>;
export type ParsedAnswer = z.output<typeof answerSchema>;
export type AnswersScript = z.input<typeof answersScriptSchema>;
export type ParsedAnswersScript = z.output<typeof answersScriptSchema>;

/** Whether a script (validated or not) is an answers script: it has an `answers` field. */
export function isAnswersInput(input: unknown): boolean {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && Object.hasOwn(input, 'answers');
}
