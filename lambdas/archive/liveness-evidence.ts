/**
 * Liveness evidence: the probe frame (`result.image`) and every `result.audit_images` frame arrive in the answer
 * itself — as base64 data URIs (the document's form), raw base64, or objects around either (`{image, bounding_box}`);
 * a frame sent as a link is downloaded. Each frame is taken in on its own (intake/frames.ts): an image is stored as
 * itself, anything else kept in quarantine, so one odd frame never costs the others. Bounding boxes travel with
 * their frame (manifest entry and object metadata).
 */
import { readFrame } from './intake';
import {
  evidenceOf,
  hostOf,
  missing,
  settleAll,
  storeDecoded,
  storeDownloaded,
  storeQuarantined,
  type Evidence,
  type EvidenceContext,
  type PlannedImage,
  withinImageCap,
} from './evidence';
import { frameStem } from './keys';
import type { ImageSource } from './manifest';
import { isRecord } from '../providers/lenient';

/** The provider serves frames for about 30 minutes after completion, then answers without them. */
export const LIVENESS_IMAGE_WINDOW_MS = 30 * 60_000;

/** The frames an answer references, by source (probe, frame n); data not read. */
function framesOf(answer: unknown): Array<{ source: ImageSource }> {
  const result = isRecord(answer) && isRecord(answer.result) ? answer.result : undefined;
  if (!result) return [];
  const frames: Array<{ source: ImageSource }> = [];
  if (result.image !== undefined && result.image !== null) frames.push({ source: { kind: 'liveness-probe' } });
  if (Array.isArray(result.audit_images)) {
    result.audit_images.forEach((entry: unknown, index) => {
      if (entry !== undefined && entry !== null) frames.push({ source: { kind: 'liveness-frame', index } });
    });
  }
  return frames;
}

function frameKeyOf(source: ImageSource | { kind: string; index?: number }): string {
  return `${source.kind}#${'index' in source ? String(source.index) : ''}`;
}

/** Where a frame's data may sit in an object-shaped audit image, in order of preference. */
const FRAME_FIELDS = ['image', 'data', 'src', 'url', 'uri'] as const;

interface FrameToRead extends PlannedImage {
  data: unknown;
}

/**
 * `answer` is the provider's body `{ status?, result: { ..., image?, bounding_box?, audit_images? } }`, whatever its
 * status. `completedAt` (the check's completion time) tells "no frames because the window passed" from "none
 * requested".
 */
export async function collectLivenessEvidence(
  ctx: EvidenceContext,
  answer: unknown,
  completedAt: string | undefined,
): Promise<Evidence> {
  const result = isRecord(answer) && isRecord(answer.result) ? answer.result : undefined;
  const frames: FrameToRead[] = [];
  const add = (entry: unknown, base: Pick<FrameToRead, 'stem' | 'source' | 'path'>, boundingBox: unknown) => {
    if (entry === null || entry === undefined) return;
    // An object around the frame: its data under one of the usual names, its own bounding box if it has one.
    const field = isRecord(entry) ? (FRAME_FIELDS.find((name) => entry[name] !== undefined && entry[name] !== null) ?? 'image') : undefined;
    const box = isRecord(entry) && entry.bounding_box !== undefined ? entry.bounding_box : boundingBox;
    frames.push({
      ...base,
      path: field === undefined ? base.path : [...base.path, field],
      data: field === undefined ? entry : (entry as Record<string, unknown>)[field],
      ...(box !== undefined ? { boundingBox: box } : {}),
    });
  };
  if (result) add(result.image, { stem: frameStem('probe'), source: { kind: 'liveness-probe' }, path: ['result', 'image'] }, result.bounding_box);
  const audit = result && Array.isArray(result.audit_images) ? result.audit_images : [];
  audit.forEach((entry: unknown, index) => {
    add(entry, { stem: frameStem(index), source: { kind: 'liveness-frame', index }, path: ['result', 'audit_images', index] }, undefined);
  });

  if (frames.length === 0) return framesPastWindow(ctx, completedAt);

  const limits = { maxBytes: ctx.limits.maxFrameBytes, ceilingBytes: Math.max(ctx.limits.maxFrameBytes, ctx.limits.quarantineMaxBytes) };
  const { taken, over } = withinImageCap(ctx, frames);
  const outcomes = await settleAll(
    ctx,
    taken.map((frame) => async () => {
      const intake = readFrame(frame.data, limits);
      switch (intake.kind) {
        case 'image':
          return storeDecoded(ctx, frame, intake);
        case 'quarantine':
          return storeQuarantined(ctx, frame, intake.bytes, intake.reason);
        case 'link':
          return storeDownloaded(ctx, { ...frame, source: { ...frame.source, ...hostOf(intake.url) } }, intake.url);
        case 'unusable':
          return missing(frame, 'rejected', intake.reason);
      }
    }),
  );
  return evidenceOf(outcomes, over);
}

/**
 * No frame in the answer. Past the image window that likely means they expired before we got here (or were never
 * requested: the provider's answer does not say which, so the record says "window passed" only then). Frames an
 * earlier attempt of this archive captured are kept, and the ones its answer had that it did not capture are
 * counted as missing: a re-run past the window is partial, never "archived" with frames gone.
 */
async function framesPastWindow(ctx: EvidenceContext, completedAt: string | undefined): Promise<Evidence> {
  const recovered = await ctx.earlier.recoverAll('frames/');
  if (recovered.length > 0) {
    const captured = new Set(recovered.map((object) => frameKeyOf(object.source)));
    const absent = framesOf(ctx.earlier.answer).filter((frame) => !captured.has(frameKeyOf(frame.source)));
    return {
      objects: recovered,
      missing: absent.map((frame) => ({ source: frame.source, reason: 'window-passed' as const, detail: 'gone before the earlier attempt stored it' })),
      replacements: [],
    };
  }
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
