/**
 * The `Check Created` event: what a check-creating service puts on EventBridge, and how the start function turns it
 * into the workflow's input and a deterministic execution name.
 *
 * {"source": "<configurable, default audit-archiver.checks>", "detail-type": "Check Created",
 *  "detail": {"provider": "liveness" | "kyc" | "verification", "checkId": "...", "clientKey"?: "...",
 *             "subjectKey"?: "...", "createdAt"?: "<ISO-8601 with offset>", "retentionClass"?: "<name>"}}
 */
import { z } from 'zod';
import { checkRefOf, type IdentifierKey } from '../checks/check-ref';
import { ArchiverError } from '../common/errors';
import { PROVIDERS } from '../checks/check-status';
import type { WorkflowCheck, WorkflowState } from '../checks/workflow-contract';

export const CHECK_CREATED_DETAIL_TYPE = 'Check Created';
export const DEFAULT_EVENT_SOURCE = 'audit-archiver.checks';

export const checkCreatedDetailSchema = z.object({
  provider: z.enum(PROVIDERS),
  /** Liveness token (a bearer secret) / KYC sessionId / verification id. */
  checkId: z.string().min(1).max(2048),
  /** KYC only: when given, the session is looked up by clientKey. */
  clientKey: z.string().min(1).max(36).optional(),
  /**
   * Who the check is about (any provider): the operator's customer or client id. Stored only as a keyed hash; it is
   * what relationship closure, interactions and erasure requests find the check by. KYC default: the clientKey.
   */
  subjectKey: z.string().min(1).max(128).optional(),
  /** When the check was created at the provider. Default: the event's time. */
  createdAt: z.iso.datetime({ offset: true }).optional(),
  /** A retention class of the policy; unknown names fall back to the policy's rules (lambdas/records/retention). */
  retentionClass: z.string().regex(/^[a-z0-9-]{1,40}$/).optional(),
});

/** The EventBridge envelope fields the start function reads; other fields are ignored. */
export const checkCreatedEventSchema = z.object({
  id: z.string().min(1).max(256),
  source: z.string().min(1).max(256),
  'detail-type': z.literal(CHECK_CREATED_DETAIL_TYPE),
  time: z.iso.datetime({ offset: true }),
  detail: checkCreatedDetailSchema,
});

export type CheckCreatedDetail = z.output<typeof checkCreatedDetailSchema>;
export type CheckCreatedEvent = z.output<typeof checkCreatedEventSchema>;

/** Where and why an event was rejected: field paths and zod issue codes only, never values. */
export interface EventIssue {
  path: string;
  code: string;
}

/** The event does not match the contract. Not retryable: the same event fails the same way. */
export class InvalidEventError extends ArchiverError {
  override readonly name = 'InvalidEventError';
  readonly retryable = false;
  constructor(
    readonly issues: EventIssue[],
    what = 'Check Created',
  ) {
    super(`invalid ${what} event: ${issues.map((i) => `${i.path} (${i.code})`).join(', ')}`);
  }
}

/** Validates an EventBridge event against the contract. Throws InvalidEventError (paths and codes, no values). */
export function parseCheckCreated(event: unknown): CheckCreatedEvent {
  const parsed = checkCreatedEventSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    // Paths are the schema's own keys (unknown keys are stripped, not reported), so no input leaks through them.
    path: issue.path.map(String).join('.') || '(event)',
    code: issue.code,
  }));
  throw new InvalidEventError(dedupe(issues));
}

/** How far a producer's `createdAt` may be from the event's `time` (either way) before it is not believed. */
export const DEFAULT_CREATED_AT_SKEW_SECONDS = 86_400;

/**
 * The workflow's input: the validated check plus its checkRef and creation time. `createdAt` places the check in the
 * archive (its S3 date, every auditor index), so a producer cannot move it far from when the event was published:
 * past `maxSkewSeconds` from the event's time, the event's time is used and the claimed value is kept as
 * `createdAtClaimed` for the record.
 */
export function workflowInputOf(event: CheckCreatedEvent, options: { key: IdentifierKey; maxSkewSeconds?: number }): WorkflowState {
  const { provider, checkId, clientKey, subjectKey, createdAt, retentionClass } = event.detail;
  const maxSkewMs = (options.maxSkewSeconds ?? DEFAULT_CREATED_AT_SKEW_SECONDS) * 1000;
  const believed = createdAt === undefined || Math.abs(Date.parse(createdAt) - Date.parse(event.time)) <= maxSkewMs;
  const check: WorkflowCheck = {
    provider,
    checkId,
    ...(clientKey !== undefined && { clientKey }),
    ...(subjectKey !== undefined && { subjectKey }),
    checkRef: checkRefOf(options.key, provider, checkId),
    createdAt: believed ? (createdAt ?? event.time) : event.time,
    ...(believed ? {} : { createdAtClaimed: createdAt }),
    ...(retentionClass !== undefined && { retentionClass }),
  };
  return { check };
}

/**
 * `{provider}-{checkRef}`: the same check always gets the same name, so Step Functions refuses a second execution
 * (execution names are unique per state machine for 90 days). 45 characters, within the 80 allowed.
 */
export function executionNameOf(check: Pick<WorkflowCheck, 'provider' | 'checkRef'>): string {
  return `${check.provider}-${check.checkRef}`;
}

function dedupe(issues: EventIssue[]): EventIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}|${i.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
