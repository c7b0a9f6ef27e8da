/**
 * GET /liveness_check?token=… with `x-api-key`. 202 pending/in_progress, 200 complete (result) or failed
 * (no result), 410 expired, 400 unknown token. Frames are data URIs; they vanish after the image window.
 * Answers-script checks get their literal answers once auth and lookup have passed.
 */
import type { IncomingMessage } from 'node:http';
import type { AnswerCheck } from './answer';
import { serveAnswer } from './answers';
import { credentialMatches, jsonReply, jsonTextReply, type Reply } from './http';
import {
  base64Source,
  bufferSource,
  concatSources,
  IMAGE_CONTENT_TYPES,
  IMAGE_SIZES,
  imageSource,
  renderImage,
  type BodySource,
  type ImageFormat,
  type ImageSpec,
} from './images';
import { seededRandom } from './images/prng';
import { imagesAvailable } from './lifecycle';
import type { LivenessFrameFault } from './script';
import { findCheck, type FakeState, type LivenessCheck } from './state';

export const LIVENESS_PATH = '/liveness_check';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48" fill="#c33"/></svg>';

export async function handleLiveness(state: FakeState, req: IncomingMessage, url: URL, answer: AnswerCheck): Promise<Reply> {
  if (req.method !== 'GET') return jsonReply(405, { error: 'method not allowed' }, { allow: 'GET' });
  if (!credentialMatches(req.headers['x-api-key'], state.credentials.livenessApiKey)) return jsonReply(401, { error: 'unauthorized' });
  const token = url.searchParams.get('token');
  const check = token ? findCheck(state, 'liveness', token) : undefined;
  if (!check) return unknownToken();
  if (check.kind === 'answers') return serveAnswer(check);

  return answer(check, (snapshot, now) => {
    if (!snapshot.terminal) return jsonReply(202, { status: snapshot.answersBefore === 0 ? 'pending' : 'in_progress' });
    switch (check.script.outcome) {
      case 'expired':
        return jsonReply(410, { error: 'link expired' });
      case 'not-found':
        return unknownToken();
      case 'failed':
        return jsonReply(200, { status: 'failed' });
      case 'complete':
        return completeReply(check, imagesAvailable(check, now, state.imageWindowMs));
    }
  });
}

function unknownToken(): Reply {
  return jsonReply(400, { error: 'invalid or unknown token' });
}

/** Which frame: the probe (`result.image`) or audit frame i. */
export type FrameRef = 'probe' | number;

/** The spec of a liveness frame: same token, frame and script knobs, same bytes. */
export function livenessFrameSpec(
  token: string,
  frame: FrameRef,
  { frameFormats = ['jpeg'], frameBytes }: { frameFormats?: readonly ImageFormat[]; frameBytes?: number } = {},
): ImageSpec {
  const position = frame === 'probe' ? 0 : frame + 1;
  return {
    format: frameFormats[position % frameFormats.length]!,
    seed: `${token}:${frame === 'probe' ? 'probe' : `frame:${frame}`}`,
    ...IMAGE_SIZES.livenessFrame,
    minBytes: frameBytes,
  };
}

function boundingBox(seed: string) {
  const next = seededRandom(`${seed}:box`);
  return { x: 8 + (next() % 16), y: 4 + (next() % 12), width: 24 + (next() % 8), height: 28 + (next() % 8) };
}

/**
 * The complete body. Oversized frames are placeholders in the JSON text, replaced by a streamed base64 body, so a
 * multi-hundred-MiB frame is never in memory.
 */
function completeReply(check: LivenessCheck, withImages: boolean): Reply {
  const { script, terminalAt } = check;
  const streams = new Map<string, BodySource>();
  const frameUri = (frame: FrameRef): string => {
    const spec = livenessFrameSpec(check.checkId, frame, check.script);
    const fault = script.faults.frames?.find((f) => f.frame === frame);
    if (fault?.kind === 'oversized') {
      const placeholder = `@@oversized-frame-${streams.size}@@`;
      streams.set(placeholder, base64Source(imageSource({ ...spec, format: 'jpeg', minBytes: Math.round(fault.mib * 1024 * 1024) })));
      return `data:image/jpeg;base64,${placeholder}`;
    }
    return faultyOrValidUri(spec, fault);
  };
  const result: Record<string, unknown> = {
    passed: script.passed,
    confidence: script.confidence ?? (script.passed ? 0.97 : 0.42),
    threshold: script.threshold,
    checked_at: new Date(terminalAt!).toISOString(),
    bounding_box: boundingBox(`${check.checkId}:probe`),
  };
  if (withImages) {
    result.image = frameUri('probe');
    result.audit_images = Array.from({ length: script.auditFrames }, (_, i) => {
      const image = frameUri(i);
      // The doc allows both shapes: alternate them so clients handle each.
      return i % 2 === 0 ? { image, bounding_box: boundingBox(`${check.checkId}:frame:${i}`) } : image;
    });
  }
  const text = JSON.stringify({ status: 'complete', result });
  if (streams.size === 0) return jsonTextReply(200, text);
  const parts: BodySource[] = [];
  let rest = text;
  for (const [placeholder, stream] of streams) {
    const at = rest.indexOf(placeholder);
    parts.push(bufferSource(Buffer.from(rest.slice(0, at), 'utf8')), stream);
    rest = rest.slice(at + placeholder.length);
  }
  parts.push(bufferSource(Buffer.from(rest, 'utf8')));
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: concatSources(parts) };
}

function faultyOrValidUri(spec: ImageSpec, fault: LivenessFrameFault | undefined): string {
  switch (fault?.kind) {
    case 'malformed-base64': {
      // Illegal characters and a length that is not a multiple of 4: strict decoders must refuse it.
      const valid = renderImage(spec).toString('base64');
      return `data:image/jpeg;base64,*${valid.slice(0, 4 * Math.floor(valid.length / 8) + 1)}%`;
    }
    case 'magic-mismatch':
      return `data:image/jpeg;base64,${renderImage({ ...spec, format: 'png' }).toString('base64')}`;
    case 'unsupported-type':
      return `data:image/svg+xml;base64,${Buffer.from(SVG).toString('base64')}`;
    default:
      return `data:${IMAGE_CONTENT_TYPES[spec.format]};base64,${renderImage(spec).toString('base64')}`;
  }
}
