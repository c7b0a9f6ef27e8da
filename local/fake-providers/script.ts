/**
 * Check scripts. A lifecycle script says how one fake check behaves over its life (how long it stays pending, how it
 * ends, what goes wrong on the way); an answers script (answers-script.ts) lists literal answers instead. Validated
 * with zod; `CheckScript` is the lifecycle input type (defaults optional), `ParsedCheckScript` the output with
 * defaults filled in, `AnyCheckScript` either kind. Times are simulated milliseconds (scaled by the time factor).
 */
import { WEBHOOK_DELIVERIES } from './webhooks';
import { z } from 'zod';
import { answersScriptSchema, isAnswersInput, type AnswersScript, type ParsedAnswersScript } from './answers-script';
import { InvalidScriptError } from './errors';
import { IMAGE_FORMATS } from './images';
import { clientKeyField, kycSessionIdField, labelField, livenessIdField, verificationIdField } from './script-fields';

const count = z.number().int().min(0);
const positiveCount = z.number().int().min(1);
const simulatedMs = z.number().min(0).max(100 * 365 * 24 * 3600_000);
const fraction = z.number().min(0).max(1);
/** In-memory image sizes; larger ones belong to the `oversized` fault, which streams. */
const imageBytes = z.number().int().min(0).max(64 * 1024 * 1024);
const mib = z.number().positive().max(4096);

/** Pending until `polls` answers were pending or `ms` passed since creation, whichever comes first. */
const waitSchema = z.strictObject({
  polls: count.optional(),
  ms: simulatedMs.optional(),
});

/** Faults of the status endpoint, applied in this order to the requests that reach the check. */
const statusFaultShape = {
  /** The first `count` requests answer `status` (JSON error body). They do not count as polls. */
  serverErrors: z.strictObject({ count: positiveCount, status: z.literal([500, 502, 503, 504]).default(503) }).optional(),
  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds` (real seconds, not scaled). */
  rateLimited: z.strictObject({ count: positiveCount, retryAfterSeconds: count.default(1) }).optional(),
  /** Every status response waits this many real milliseconds before being sent. */
  delayMs: z.number().int().min(0).max(120_000).optional(),
  /** The first `count` real answers (or terminal answers) announce the full Content-Length, send half, and close. */
  truncated: z.strictObject({ count: positiveCount.default(1), terminalOnly: z.boolean().default(false) }).optional(),
  /**
   * The provider is down for `ms` (simulated): every status request answers `status` (with `Retry-After:
   * retryAfterSeconds` when given), from the check's creation — or, with `afterTerminalAnswers`, from the moment that
   * many terminal answers were served (e.g. 1: the poll saw the outcome, then the provider went down before the
   * archive step's own fetch).
   */
  outage: z
    .strictObject({
      ms: simulatedMs,
      status: z.literal([429, 500, 502, 503, 504]).default(503),
      retryAfterSeconds: count.optional(),
      afterTerminalAnswers: positiveCount.optional(),
    })
    .optional(),
};

const frameRef = z.union([z.literal('probe'), count]);
const frameFaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    frame: frameRef,
    /** `malformed-base64`: not base64; `magic-mismatch`: declared image/jpeg, PNG bytes; `unsupported-type`: SVG. */
    kind: z.enum(['malformed-base64', 'magic-mismatch', 'unsupported-type']),
  }),
  /** A valid JPEG of `mib` MiB; the whole JSON body is then streamed. */
  z.strictObject({ frame: frameRef, kind: z.literal('oversized'), mib }),
]);

const outcomeWindow = {
  label: labelField.optional(),
  pending: waitSchema.optional(),
  /** Already terminal at creation, reached this long ago (e.g. past the image window). Excludes `pending`. */
  completedAgoMs: simulatedMs.optional(),
  /**
   * Webhooks sent to the configured receiver at the outcome (an escalation: at its resolution), in order; needs a
   * time-based `pending.ms` / `resolveAfter.ms` (see webhooks.ts). @default none
   */
  webhooks: z.array(z.enum(WEBHOOK_DELIVERIES)).max(10).optional(),
};

const livenessScriptSchema = z.strictObject({
  provider: z.literal('liveness'),
  ...outcomeWindow,
  /** Fixed token; random (crypto) by default. */
  checkId: livenessIdField.optional(),
  outcome: z.enum(['complete', 'failed', 'expired', 'not-found']).default('complete'),
  passed: z.boolean().default(true),
  confidence: fraction.optional(),
  threshold: fraction.default(0.8),
  auditFrames: z.number().int().min(0).max(500).default(3),
  /** Minimum size of each frame (probe and audit), padded. */
  frameBytes: imageBytes.optional(),
  /** Formats cycled over the frames (probe first, then audit frames). */
  frameFormats: z.array(z.enum(IMAGE_FORMATS)).min(1).default(['jpeg']),
  imageWindowMs: simulatedMs.optional(),
  faults: z.strictObject({ ...statusFaultShape, frames: z.array(frameFaultSchema).optional() }).default({}),
});

const imageFaultBase = { task: count, image: count.default(0) };
const imageFaultSchema = z.discriminatedUnion('kind', [
  /** 302 to another path on this server, `hops` times, then the image. */
  z.strictObject({ ...imageFaultBase, kind: z.literal('redirect'), hops: z.number().int().min(1).max(20).default(1) }),
  /** 302 to `location` (e.g. http://169.254.169.254/latest/meta-data). */
  z.strictObject({ ...imageFaultBase, kind: z.literal('redirect-to'), location: z.string().min(1) }),
  /** The imagesFull entry is `url` itself (a host that must not be fetched). */
  z.strictObject({ ...imageFaultBase, kind: z.literal('url'), url: z.string().min(1) }),
  z.strictObject({ ...imageFaultBase, kind: z.literal('wrong-content-type'), contentType: z.string().min(1).default('text/html; charset=utf-8') }),
  /** Announces the full Content-Length, sends half, closes the socket. */
  z.strictObject({ ...imageFaultBase, kind: z.literal('fail-mid-stream') }),
  /** A valid JPEG of `mib` MiB, generated while streaming; chunked (no Content-Length) with omitContentLength. */
  z.strictObject({ ...imageFaultBase, kind: z.literal('oversized'), mib, omitContentLength: z.boolean().default(false) }),
  z.strictObject({ ...imageFaultBase, kind: z.literal('not-found') }),
  z.strictObject({ ...imageFaultBase, kind: z.literal('server-error'), status: z.literal([500, 502, 503, 504]).default(500) }),
  /** Waits `delayMs` real milliseconds before answering. */
  z.strictObject({ ...imageFaultBase, kind: z.literal('slow'), delayMs: z.number().int().min(0).max(120_000) }),
]);

const kycTaskSchema = z.strictObject({
  type: z.enum(['document', 'selfie']),
  imagesFull: z.number().int().min(0).max(50).default(1),
  /** tries > 1 adds `history` (tries - 1 earlier attempts, each with its own imagesFull). */
  tries: z.number().int().min(1).max(10).default(1),
  /** Defaults to the session's: in a `failed` session the last task fails unless one is marked failed. */
  status: z.enum(['success', 'failed']).optional(),
});

const kycScriptSchema = z
  .strictObject({
    provider: z.literal('kyc'),
    ...outcomeWindow,
    /** Fixed sessionId (must be a UUID v1); generated from the creation time by default. */
    checkId: kycSessionIdField.optional(),
    clientKey: clientKeyField.optional(),
    outcome: z.enum(['success', 'failed', 'exception', 'expired', 'not-found']).default('success'),
    /** Task list; a `faces` task is added when there is at least one document and one selfie. */
    tasks: z.array(kycTaskSchema).max(20).prefault([{ type: 'document' }, { type: 'selfie' }]),
    /** Minimum size of each imagesFull image, padded. */
    imageBytes: imageBytes.optional(),
    /** Formats cycled over each task's imagesFull. */
    imageFormats: z.array(z.enum(IMAGE_FORMATS)).min(1).default(['jpeg']),
    /** Session lifetime behind `secondsToLive`. */
    ttlSeconds: z.number().int().min(1).default(3600),
    imageWindowMs: simulatedMs.optional(),
    faults: z.strictObject({ ...statusFaultShape, images: z.array(imageFaultSchema).optional() }).default({}),
  })
  .superRefine((script, ctx) => {
    const seen = new Set<string>();
    for (const [i, fault] of (script.faults.images ?? []).entries()) {
      const task = script.tasks[fault.task];
      if (!task || fault.image >= task.imagesFull) {
        ctx.addIssue({ code: 'custom', path: ['faults', 'images', i], message: 'no such task image (task index, imagesFull index)' });
      }
      const key = `${fault.task}:${fault.image}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['faults', 'images', i], message: 'one fault per image' });
      seen.add(key);
    }
  });

const verificationScriptSchema = z.strictObject({
  provider: z.literal('verification'),
  ...outcomeWindow,
  /** Fixed id; `ver_<16 hex>` by default. */
  checkId: verificationIdField.optional(),
  outcome: z.enum(['completed', 'escalated', 'forbidden', 'not-found']).default('completed'),
  content: z.string().default('The original content that was verified...'),
  /** The final verdict (after an escalation resolves, too). */
  verdict: z.string().default('true'),
  confidence: fraction.default(0.95),
  decision: z.string().default('accept'),
  escalation: z
    .strictObject({
      reason: z.string().default('low_confidence'),
      priority: z.string().default('high'),
      verdict: z.string().default('uncertain'),
      confidence: fraction.default(0.45),
      /** Deadline, after the escalation began. */
      deadlineMs: simulatedMs.default(24 * 3600_000),
      /** Resolves to completed after this many escalated answers or this long after escalation; never if omitted. */
      resolveAfter: waitSchema.optional(),
    })
    .prefault({}),
  faults: z.strictObject(statusFaultShape).default({}),
});

const noPendingWithCompletedAgo = (script: { pending?: unknown; completedAgoMs?: unknown }) =>
  !(script.pending !== undefined && script.completedAgoMs !== undefined);

export const checkScriptSchema = z
  .discriminatedUnion('provider', [livenessScriptSchema, kycScriptSchema, verificationScriptSchema])
  .refine(noPendingWithCompletedAgo, { message: 'pending and completedAgoMs exclude each other', path: ['completedAgoMs'] })
  .superRefine((script, ctx) => {
    if (script.provider !== 'liveness') return;
    for (const [i, fault] of (script.faults.frames ?? []).entries()) {
      if (fault.frame !== 'probe' && fault.frame >= script.auditFrames) {
        ctx.addIssue({ code: 'custom', path: ['faults', 'frames', i, 'frame'], message: 'no such audit frame' });
      }
    }
  });

/**
 * Either kind of script. An answers script is recognised by its `answers` field, then each kind is validated by its
 * own discriminated union on `provider`, so the errors name the fields of the kind the author meant (a plain union
 * would report every mismatch of both).
 */
export const anyCheckScriptSchema = z.unknown().transform((input, ctx): ParsedAnyCheckScript => {
  const parsed = isAnswersInput(input) ? answersScriptSchema.safeParse(input) : checkScriptSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

/** A scenario file: checks created when the server starts. `parseScenario` also accepts a bare array of scripts. */
export const scenarioSchema = z.strictObject({ checks: z.array(anyCheckScriptSchema) });

export type CheckScript = z.input<typeof checkScriptSchema>;
export type ParsedCheckScript = z.output<typeof checkScriptSchema>;
export type AnyCheckScript = CheckScript | AnswersScript;
export type ParsedAnyCheckScript = ParsedCheckScript | ParsedAnswersScript;
export type LivenessScript = Extract<ParsedCheckScript, { provider: 'liveness' }>;
export type KycScript = Extract<ParsedCheckScript, { provider: 'kyc' }>;
export type VerificationScript = Extract<ParsedCheckScript, { provider: 'verification' }>;
export type KycImageFault = NonNullable<KycScript['faults']['images']>[number];
export type LivenessFrameFault = NonNullable<LivenessScript['faults']['frames']>[number];
export type Scenario = { checks: AnyCheckScript[] } | AnyCheckScript[];

/** Validates a script of either kind; throws InvalidScriptError listing the problems (paths and rules, never values). */
export function parseCheckScript(input: unknown): ParsedAnyCheckScript {
  const parsed = anyCheckScriptSchema.safeParse(input);
  if (!parsed.success) throw new InvalidScriptError(`invalid check script: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function parseScenario(input: unknown): ParsedAnyCheckScript[] {
  const parsed = scenarioSchema.safeParse(Array.isArray(input) ? { checks: input } : input);
  if (!parsed.success) throw new InvalidScriptError(`invalid scenario: ${z.prettifyError(parsed.error)}`);
  return parsed.data.checks;
}
