/**
 * GET /images/… : the KYC session images (imagesFull, thumbnails, objects, face cutouts) with their scripted
 * faults. 404 before the session's outcome and after the image window, like URLs the provider has expired.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonReply, sleepUnlessClosed, type Reply } from './http';
import { IMAGE_CONTENT_TYPES, imageSource } from './images';
import { imagesAvailable, observe } from './lifecycle';
import type { FakeState } from './state';

export const IMAGES_PREFIX = '/images/';

const MIB = 1024 * 1024;

export async function handleImage(state: FakeState, req: IncomingMessage, res: ServerResponse, path: string): Promise<Reply> {
  if (req.method !== 'GET') return jsonReply(405, { status: 'error', message: 'method not allowed' }, { allow: 'GET' });
  const entry = state.images.get(path);
  if (!entry) return imageNotFound();
  const now = state.clock.now();
  observe(entry.check, now, { poll: false });
  const hasResults = entry.check.script.outcome === 'success' || entry.check.script.outcome === 'failed';
  if (!hasResults || !imagesAvailable(entry.check, now, state.imageWindowMs)) return imageNotFound();
  if (entry.kind === 'redirect') return { status: 302, headers: { location: entry.location } };

  const { spec, fault } = entry;
  const reply: Reply = { status: 200, headers: { 'content-type': IMAGE_CONTENT_TYPES[spec.format] }, body: imageSource(spec) };
  switch (fault?.kind) {
    case 'not-found':
      return imageNotFound();
    case 'server-error':
      return jsonReply(fault.status, { status: 'error', message: 'internal error' });
    case 'slow':
      await sleepUnlessClosed(res, fault.delayMs);
      return reply;
    case 'wrong-content-type':
      return { ...reply, headers: { 'content-type': fault.contentType } };
    case 'fail-mid-stream':
      return { ...reply, cutAfter: Math.floor(reply.body!.length / 2) };
    case 'oversized':
      return {
        status: 200,
        headers: { 'content-type': IMAGE_CONTENT_TYPES.jpeg },
        body: imageSource({ ...spec, format: 'jpeg', minBytes: Math.round(fault.mib * MIB) }),
        chunked: fault.omitContentLength,
      };
    default:
      return reply;
  }
}

export function imageNotFound(): Reply {
  return jsonReply(404, { status: 'error', message: 'image not found' });
}
