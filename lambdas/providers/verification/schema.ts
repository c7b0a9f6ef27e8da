/**
 * The content-verification provider's `GET /v1/verify/:id` (content-verification.txt). Strict on `status` (the
 * discriminator), tolerant of extra fields everywhere.
 */
import { z } from 'zod';
import { isoDateTime } from '../shared-schema';

export const paradigmResultSchema = z.looseObject({
  id: z.string(),
  paradigm: z.string(),
  verdict: z.string(),
  confidence: z.number(),
  reasoning: z.string().optional(),
  provider: z.string().optional(),
  model: z.string().optional(),
  processingTimeMs: z.number().optional(),
});

export const escalationSchema = z.looseObject({
  id: z.string(),
  reason: z.string(),
  priority: z.string(),
  deadline: isoDateTime,
  status: z.string(),
});

/** Fields a verification may carry in any status. */
const verificationFields = {
  id: z.string().min(1),
  content: z.string().optional(),
  reasoning: z.string().optional(),
  paradigmResults: z.array(paradigmResultSchema).optional(),
  processingTimeMs: z.number().optional(),
  costCents: z.number().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  createdAt: isoDateTime,
  completedAt: isoDateTime.optional(),
};

export const verificationProcessingSchema = z.looseObject({
  ...verificationFields,
  status: z.literal('processing'),
});

export const verificationCompletedSchema = z.looseObject({
  ...verificationFields,
  status: z.literal('completed'),
  /** `true`, `false`, `uncertain`, ...: read as a string, the set is not documented. */
  verdict: z.string(),
  confidence: z.number().optional(),
  decision: z.string().optional(),
});

export const verificationEscalatedSchema = z.looseObject({
  ...verificationFields,
  status: z.literal('escalated'),
  verdict: z.string(),
  confidence: z.number().optional(),
  decision: z.string().optional(),
  escalation: escalationSchema,
});

export const verificationSchema = z.discriminatedUnion('status', [
  verificationProcessingSchema,
  verificationCompletedSchema,
  verificationEscalatedSchema,
]);

/** 404 not_found and 403 forbidden (a verification of a different organization). */
export const verificationErrorSchema = z.looseObject({
  error: z.looseObject({ code: z.string(), message: z.string().optional() }),
});

export type Verification = z.output<typeof verificationSchema>;
/** What the client returns as a result: the terminal or escalated answer. */
export type VerificationResult = Exclude<Verification, { status: 'processing' }>;
export type VerificationError = z.output<typeof verificationErrorSchema>;
