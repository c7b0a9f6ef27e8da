/**
 * The KYC provider's `POST kyc/session/status` (kyc-session-status.txt).
 *
 * Requests are validated strictly (sessionId a UUID v1, clientKey 1..36 characters); responses tolerantly (any
 * UUID-shaped id: the doc's own examples are v4; extra fields kept). Strict where meaning depends on it: the session
 * and task status enums and the task `type` discriminator.
 *
 * Unknown task types: the doc lists document, selfie and faces. A task of another type is kept through a fallback
 * variant (type + documented status, everything else as sent) rather than failing the session: one new task type
 * must not stop a whole session's evidence from being archived. The three known types are parsed strictly.
 */
import { z } from 'zod';
import { isoDateTime, uuidShaped } from '../shared-schema';

// ---- Request -------------------------------------------------------------------------------------------------

const UUID_V1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const MAX_CLIENT_KEY_LENGTH = 36;

/** A timeuuid: RFC 4122 variant, version 1. */
export function isTimeUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_V1.test(value);
}

/** Non-empty, at most 36 characters (code points). */
export function isValidClientKey(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  return [...value].length <= MAX_CLIENT_KEY_LENGTH;
}

/** JWT shape: three base64url segments separated by dots (the signature is the provider's to check). */
export function isJwtShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);
}

/** The body we send: exactly one lookup key, plus `token` when authenticating with an API token. */
export type KycStatusRequest = { token?: string } & ({ clientKey: string } | { sessionId: string });

// ---- Tasks ---------------------------------------------------------------------------------------------------

export const KYC_SESSION_STATUSES = ['idle', 'processing', 'success', 'failed', 'exception', 'expired'] as const;
export const KYC_TASK_STATUSES = ['idle', 'processing', 'success', 'failed'] as const;
export const KYC_TASK_TYPES = ['document', 'selfie', 'faces'] as const;
const taskStatus = z.enum(KYC_TASK_STATUSES);

/** One fraud/face check. Its status set is not documented (examples show `success`), so it is read as a string. */
export const kycCheckItemSchema = z.looseObject({
  status: z.string(),
  caption: z.string(),
  confidence: z.number().optional(),
  /** Years (isAgeMismatch), a gender (isGenderMismatch), a percentage string (faces). */
  value: z.union([z.number(), z.string()]).optional(),
  images: z.array(z.string()).optional(),
});

export const kycCheckGroupSchema = z.looseObject({ caption: z.string(), items: z.array(kycCheckItemSchema) });

export const kycOcrSchema = z.looseObject({
  status: z.string(),
  fields: z.array(
    z.looseObject({
      title: z.string(),
      value: z.union([z.string(), z.number()]),
      conf: z.union([z.string(), z.number()]),
    }),
  ),
});

/** Fields every task type may carry. */
const taskFields = {
  status: taskStatus,
  spent: z.number().optional(),
  errors: z.array(z.unknown()).optional(),
  tries: z.number().optional(),
  startedAt: isoDateTime.optional(),
  checks: z.array(kycCheckGroupSchema).optional(),
  images: z.array(z.string()).optional(),
  imagesFull: z.array(z.string()).optional(),
};

const documentFields = {
  ...taskFields,
  type: z.literal('document'),
  docName: z.string().optional(),
  isBackSide: z.boolean().optional(),
  /** ISO 3166-1 alpha-3. */
  countryCode: z.string().optional(),
  ocr: kycOcrSchema.optional(),
  imageObjects: z.array(z.string()).optional(),
};

const selfieFields = {
  ...taskFields,
  type: z.literal('selfie'),
  docName: z.string().optional(),
  withDoc: z.union([z.array(z.string()), z.string()]).optional(),
  faceSelfie: z.string().optional(),
  faceDoc: z.string().optional(),
};

const facesFields = { ...taskFields, type: z.literal('faces') };

/**
 * A task of a type the doc does not list: the common task fields are checked (so `images`/`imagesFull` read the same
 * on every task), the rest kept as sent.
 */
const unknownTaskType = z.string().refine((type) => !(KYC_TASK_TYPES as readonly string[]).includes(type), {
  message: 'known task type',
  params: { dispatch: true },
  // Aborting keeps zod's union from preferring this branch over a known variant with a real problem.
  abort: true,
});
const unknownTaskFields = { ...taskFields, type: unknownTaskType };

/** A previous attempt in `history`: the same task shape (its own `history`, if any, is kept untyped). */
export const kycTaskAttemptSchema = z.union([
  z.discriminatedUnion('type', [
    z.looseObject(documentFields),
    z.looseObject(selfieFields),
    z.looseObject(facesFields),
  ]),
  z.looseObject(unknownTaskFields),
]);

const history = { history: z.array(kycTaskAttemptSchema).optional() };
export const kycDocumentTaskSchema = z.looseObject({ ...documentFields, ...history });
export const kycSelfieTaskSchema = z.looseObject({ ...selfieFields, ...history });
export const kycFacesTaskSchema = z.looseObject({ ...facesFields, ...history });
export const kycUnknownTaskSchema = z.looseObject({ ...unknownTaskFields, ...history });

export const kycTaskSchema = z.union([
  z.discriminatedUnion('type', [kycDocumentTaskSchema, kycSelfieTaskSchema, kycFacesTaskSchema]),
  kycUnknownTaskSchema,
]);
export type KycTask = z.output<typeof kycTaskSchema>;

// ---- Responses -----------------------------------------------------------------------------------------------

/** A session in any documented status. email and wallet are PII: archived, never logged or echoed. */
export const kycSessionSchema = z.looseObject({
  status: z.enum(KYC_SESSION_STATUSES),
  sessionId: uuidShaped,
  errors: z.array(z.unknown()).optional(),
  schemaId: uuidShaped.optional(),
  /** Empty string when the client is not identified. */
  clientId: z.union([uuidShaped, z.literal('')]).optional(),
  spent: z.number().optional(),
  createdAt: isoDateTime.optional(),
  isClientNew: z.boolean().optional(),
  clientKey: z.string().optional(),
  clientUser: z.string().optional(),
  /** 0 = expired. */
  secondsToLive: z.number().optional(),
  responseTime: isoDateTime.optional(),
  results: z.array(kycTaskSchema).optional(),
  email: z.string().nullish(),
  wallet: z.string().nullish(),
});
export type KycSession = z.output<typeof kycSessionSchema>;

/** `{"status":"error"}` answers: 200 session not found, 400 invalid schema / identifier missing, 401 access denied. */
export const kycErrorSchema = z.looseObject({
  status: z.literal('error'),
  message: z.string(),
  /** On `invalid schema`: which request paths were rejected (`actual` echoes the value sent). */
  details: z
    .array(
      z.looseObject({
        path: z.union([z.string(), z.array(z.union([z.string(), z.number()]))]).optional(),
        expected: z.unknown().optional(),
        actual: z.unknown().optional(),
      }),
    )
    .optional(),
});
export type KycError = z.output<typeof kycErrorSchema>;

/** Everything a 200 may carry. */
export const kycStatusResponseSchema = z.discriminatedUnion('status', [kycSessionSchema, kycErrorSchema]);

export const KYC_MESSAGES = {
  notFound: 'session not found',
  invalidSchema: 'invalid schema',
  identifierRequired: 'sessionId or clientKey is required',
  accessDenied: 'access denied',
} as const;
