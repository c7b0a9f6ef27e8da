/**
 * The retention events, on the same bus and `source` as `Check Created` (only the bus's producers can put them):
 *
 * {"detail-type": "Relationship Closed", "detail": {"clientKey": "...", "closedAt": "<ISO-8601>", "retentionYears"?: n}}
 * {"detail-type": "Client Interaction",  "detail": {"clientKey": "...", "at"?: "<ISO-8601>"}}        (default: event time)
 * {"detail-type": "Erasure Requested",   "detail": {"requestId": "...", "reason"?: "...",
 *                                                   "clientKey": "..."  |  "provider": "...", "checkId": "..."}}
 *
 * `clientKey` is the subjectKey of Check Created (or the KYC clientKey): the archive finds the person by its keyed
 * hash. None of these can shorten what a legal obligation keeps: a close never moves a date earlier than the floor the
 * record already has, an interaction only moves the biometric cap later, and an erasure refuses every locked class.
 */
import { z } from 'zod';
import { PROVIDERS } from '../checks/check-status';
import { InvalidEventError, type EventIssue } from './check-created';

export const RELATIONSHIP_CLOSED = 'Relationship Closed';
export const CLIENT_INTERACTION = 'Client Interaction';
export const ERASURE_REQUESTED = 'Erasure Requested';
export const RETENTION_DETAIL_TYPES = [RELATIONSHIP_CLOSED, CLIENT_INTERACTION, ERASURE_REQUESTED] as const;

const subjectKey = z.string().min(1).max(128);
const isoDate = z.iso.datetime({ offset: true });
/** A ticket number, not a name: printed on receipts and tombstones. */
export const requestIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'letters, digits and . _ : / - (at most 100)');
export const erasureReasonSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((text) => !/[\u0000-\u001f\u007f-\u009f]/.test(text), 'no control characters');

const closed = z.object({ clientKey: subjectKey, closedAt: isoDate, retentionYears: z.number().positive().max(100).optional() }).strict();
const interaction = z.object({ clientKey: subjectKey, at: isoDate.optional() }).strict();
const erasure = z.union([
  z.object({ requestId: requestIdSchema, reason: erasureReasonSchema.optional(), clientKey: subjectKey }).strict(),
  z.object({ requestId: requestIdSchema, reason: erasureReasonSchema.optional(), provider: z.enum(PROVIDERS), checkId: z.string().min(1).max(2048) }).strict(),
]);

export type RetentionEvent =
  | { type: typeof RELATIONSHIP_CLOSED; time: string; detail: z.output<typeof closed> }
  | { type: typeof CLIENT_INTERACTION; time: string; detail: z.output<typeof interaction> }
  | { type: typeof ERASURE_REQUESTED; time: string; detail: z.output<typeof erasure> };

const envelope = z.looseObject({ 'detail-type': z.enum(RETENTION_DETAIL_TYPES), time: isoDate, detail: z.unknown() });

/** Parses one retention event; InvalidEventError names the paths at fault, never the values (keys are personal data). */
export function parseRetentionEvent(event: unknown): RetentionEvent {
  const outer = envelope.safeParse(event);
  if (!outer.success) throw new InvalidEventError(issuesOf(outer.error), 'retention');
  const type = outer.data['detail-type'];
  const schema = type === RELATIONSHIP_CLOSED ? closed : type === CLIENT_INTERACTION ? interaction : erasure;
  const detail = schema.safeParse(outer.data.detail);
  if (!detail.success) throw new InvalidEventError(issuesOf(detail.error, 'detail'), type);
  return { type, time: outer.data.time, detail: detail.data } as RetentionEvent;
}

function issuesOf(error: z.ZodError, prefix?: string): EventIssue[] {
  return error.issues.map((issue) => ({ path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(event)', code: issue.code }));
}
