/**
 * An HTTP answer turned into the evidence the archive keeps: the body byte for byte, except a secret the provider
 * echoed back (a liveness token is a bearer credential: it must not be stored). Image data URIs are left alone: a
 * token found inside base64 would be a coincidence, and rewriting it would corrupt the image.
 */
import type { HttpResponse } from '../common/http';
import type { ProviderAnswer } from '../checks/check-status';

export const SCRUBBED = '[redacted: check token]';

const MAX_CONTENT_TYPE = 200;

export function answerOf(response: HttpResponse, now: Date, secret?: string): ProviderAnswer {
  const { body, count } = secret ? scrubBody(response.body, secret) : { body: response.body, count: 0 };
  const contentType = response.headers.get('content-type')?.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_CONTENT_TYPE);
  return {
    httpStatus: response.status,
    ...(contentType ? { contentType } : {}),
    body,
    json: count === 0 ? response.json : parseJson(body.toString('utf8')),
    receivedAt: now.toISOString(),
    scrubbed: count,
  };
}

/**
 * Replaces `secret` (and its percent-encoded form) wherever it appears outside a JSON string that holds a data URI.
 * Works on the bytes as latin1, so a body that is not valid UTF-8 keeps every other byte as it was.
 */
export function scrubBody(body: Buffer, secret: string): { body: Buffer; count: number } {
  const needles = [...new Set([secret, encodeURIComponent(secret)])]
    .filter((needle) => needle !== '')
    .map((needle) => Buffer.from(needle, 'utf8').toString('latin1'));
  const text = body.toString('latin1');
  if (!needles.some((needle) => text.includes(needle))) return { body, count: 0 };
  let count = 0;
  const replaceIn = (segment: string) => {
    let out = segment;
    for (const needle of needles) {
      const parts = out.split(needle);
      count += parts.length - 1;
      out = parts.join(SCRUBBED);
    }
    return out;
  };
  // JSON string literals, or runs of anything else: a data-URI literal is skipped whole.
  const scrubbed = text.replace(/"(?:[^"\\]|\\.)*"|[^"]+|"/g, (segment) => (segment.startsWith('"data:') ? segment : replaceIn(segment)));
  return { body: Buffer.from(scrubbed, 'latin1'), count };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
