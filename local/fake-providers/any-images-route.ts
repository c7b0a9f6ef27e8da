/**
 * GET /images/any/<path>.<ext>: deterministic files for literal answers to point at (images/any.ts), always there
 * (no check, no image window). `?ct=<type>` replaces the content-type header (`?ct=` sends none); `?status=<4xx|5xx>`
 * answers that status instead. Unknown extension → 404.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { HEADER_VALUE } from './answers-script';
import { jsonReply, type Reply } from './http';
import { bufferSource } from './images';
import { lookupAnyImage } from './images/any';
import { imageNotFound } from './images-route';

export const ANY_IMAGES_PREFIX = '/images/any/';

export function handleAnyImage(req: IncomingMessage, url: URL): Reply {
  if (req.method !== 'GET') return jsonReply(405, { status: 'error', message: 'method not allowed' }, { allow: 'GET' });
  const status = url.searchParams.get('status');
  if (status !== null) {
    if (!/^[45]\d\d$/.test(status)) return jsonReply(400, { status: 'error', message: 'status must be 400-599' });
    return jsonReply(Number(status), { status: 'error', message: (STATUS_CODES[Number(status)] ?? 'error').toLowerCase() });
  }
  const image = lookupAnyImage(url.pathname.slice(ANY_IMAGES_PREFIX.length));
  if (!image) return imageNotFound();
  const ct = url.searchParams.get('ct');
  if (ct !== null && !HEADER_VALUE.test(ct)) return jsonReply(400, { status: 'error', message: 'ct is not a valid header value' });
  const contentType = ct ?? image.contentType;
  return { status: 200, headers: contentType === '' ? {} : { 'content-type': contentType }, body: bufferSource(image.bytes) };
}
