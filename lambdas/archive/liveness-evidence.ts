/**
 * Liveness evidence: the probe frame (`result.image`) and every `result.audit_images` frame arrive as data URIs in
 * the answer itself. Each is validated and decoded (intake), then stored; a bad frame is recorded as rejected and
 * the others are still archived. Bounding boxes travel with their frame (manifest entry and object metadata).
 */
import { decodeImageDataUri, type DecodedImage } from './intake';
import { ImageRejectedError } from './intake/errors';
import { evidenceOf, missing, storeDecoded, type Evidence, type EvidenceContext, type PlannedImage } from './evidence';
import { frameStem } from './keys';

/** The provider serves frames for about 30 minutes after completion, then answers without them. */
export const LIVENESS_IMAGE_WINDOW_MS = 30 * 60_000;

interface FrameToDecode extends PlannedImage {
  data: unknown;
}

/**
 * `answer` is the provider's body `{ status?, result: { ..., image?, bounding_box?, audit_images? } }`.
 * `completedAt` (the check's completion time) tells "no frames because the window passed" from "none requested".
 */
export async function collectLivenessEvidence(
  ctx: EvidenceContext,
  answer: unknown,
  completedAt: string | undefined,
): Promise<Evidence> {
  const result = isObject(answer) && isObject(answer.result) ? answer.result : undefined;
  const frames: FrameToDecode[] = [];
  if (result && result.image !== undefined && result.image !== null) {
    frames.push({
      stem: frameStem('probe'),
      source: { kind: 'liveness-probe' },
      path: ['result', 'image'],
      data: result.image,
      ...(result.bounding_box !== undefined ? { boundingBox: result.bounding_box } : {}),
    });
  }
  const audit = result && Array.isArray(result.audit_images) ? result.audit_images : [];
  audit.forEach((entry: unknown, index) => {
    const base = { stem: frameStem(index), source: { kind: 'liveness-frame' as const, index } };
    if (isObject(entry)) {
      frames.push({
        ...base,
        path: ['result', 'audit_images', index, 'image'],
        data: entry.image,
        ...(entry.bounding_box !== undefined ? { boundingBox: entry.bounding_box } : {}),
      });
    } else {
      frames.push({ ...base, path: ['result', 'audit_images', index], data: entry });
    }
  });

  if (frames.length === 0) return framesPastWindow(ctx, completedAt);

  const outcomes = await Promise.all(
    frames.map((frame) =>
      ctx.limit(async () => {
        if (typeof frame.data !== 'string') return missing(frame, 'rejected', 'not-a-data-uri');
        let decoded: DecodedImage;
        try {
          decoded = decodeImageDataUri(frame.data, { maxBytes: ctx.limits.maxFrameBytes });
        } catch (error) {
          if (error instanceof ImageRejectedError) return missing(frame, 'rejected', String(error.reason));
          throw error;
        }
        return storeDecoded(ctx, frame, decoded);
      }),
    ),
  );
  return evidenceOf(outcomes);
}

/**
 * No frame in the answer. Past the image window that likely means they expired before we got here (or were never
 * requested: the provider's answer does not say which, so the record says "window passed" only then). Frames an
 * earlier attempt of this archive captured are kept.
 */
async function framesPastWindow(ctx: EvidenceContext, completedAt: string | undefined): Promise<Evidence> {
  const recovered = await ctx.earlier.recoverAll('frames/');
  if (recovered.length > 0) return { objects: recovered, missing: [], replacements: [] };
  const completed = completedAt ? Date.parse(completedAt) : Number.NaN;
  if (Number.isFinite(completed) && ctx.now().getTime() - completed > LIVENESS_IMAGE_WINDOW_MS) {
    return {
      objects: [],
      missing: [{ source: { kind: 'liveness-probe' }, reason: 'window-passed', detail: 'no frames in the answer after the image window' }],
      replacements: [],
    };
  }
  return { objects: [], missing: [], replacements: [] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
