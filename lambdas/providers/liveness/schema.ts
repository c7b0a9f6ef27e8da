/**
 * The liveness provider's `GET /liveness_check?token=` answers (liveness-check-result.txt). The doc lists fields, not
 * JSON: 202 while pending/in_progress, 200 with `result` when complete, 410 expired, 400 invalid token. Extra fields
 * are kept everywhere (looseObject) so the archive holds the provider's full answer.
 */
import { z } from 'zod';
import { isoDateTime } from '../shared-schema';

/** Epoch numbers below this are seconds (1e11 s is the year 5138), at or above it milliseconds. */
const EPOCH_MS_THRESHOLD = 1e11;

/** `checked_at` as epoch seconds or milliseconds, normalized to ISO-8601. */
export function checkedAtToIso(value: string | number): string {
  if (typeof value === 'string') return new Date(value).toISOString();
  return new Date(value < EPOCH_MS_THRESHOLD ? value * 1000 : value).toISOString();
}

const epochNumber = z
  .number()
  .nonnegative()
  .refine((n) => Number.isFinite(new Date(n < EPOCH_MS_THRESHOLD ? n * 1000 : n).getTime()), {
    message: 'epoch out of range',
  });

export const boundingBoxSchema = z.looseObject({
  x: z.number(),
  y: z.number(),
  width: z.number(),
  height: z.number(),
});

/**
 * Images are not validated here: one bad frame must not cost the check its other frames. The archive engine decodes
 * each one (strict data URI, allowlisted type, magic bytes, size cap) and records a bad one as rejected.
 */
export const auditImageSchema = z.union([
  z.string(),
  z.looseObject({ image: z.unknown(), bounding_box: z.unknown().optional() }),
  z.unknown(),
]);

/** Images are dropped ~30 minutes after completion ("the same result, but without images"): absent or null. */
export const livenessResultSchema = z.looseObject({
  passed: z.boolean(),
  confidence: z.number(),
  threshold: z.number(),
  checked_at: z.union([isoDateTime, epochNumber]),
  bounding_box: boundingBoxSchema.nullish(),
  image: z.unknown().optional(),
  audit_images: z.array(auditImageSchema).nullish(),
});

/** 202: the body is optional; when present it may say which non-terminal state the check is in. */
export const livenessPendingBodySchema = z.looseObject({
  status: z.enum(['pending', 'in_progress']).optional(),
});

/** 200 with a result: complete. `status` is optional; a body with `result` is complete. */
export const livenessCompleteBodySchema = z.looseObject({
  status: z.literal('complete').optional(),
  result: livenessResultSchema,
});

/** 200 in the doc's terminal `failed` lifecycle state: no result to archive. */
export const livenessFailedBodySchema = z.looseObject({
  status: z.literal('failed'),
  result: z.null().optional(),
});

export const livenessFinalBodySchema = z.discriminatedUnion('status', [
  livenessCompleteBodySchema,
  livenessFailedBodySchema,
]);

export type LivenessResult = z.output<typeof livenessResultSchema>;
export type LivenessCompleteBody = z.output<typeof livenessCompleteBodySchema>;
export type LivenessFinalBody = z.output<typeof livenessFinalBodySchema>;
