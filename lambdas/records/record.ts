/**
 * The one DynamoDB item per check: a summary an auditor can query and trust. The provider's full answer and the
 * images live in S3 (result.json, manifest.json); the item stays far below DynamoDB's 400 KB limit.
 */
import type { Drift, Escalation, NoResultReason, ProviderName, ProviderTimes } from '../checks/check-status';
import type { ArchiveOutput, WorkflowCheck } from '../checks/workflow-contract';
import type { OpenBookkeeping } from './open-checks';
import type { Retention, RetentionClock } from './retention';
import { DEFAULT_INDEX_SHARDS, indexKeysOf, recordKeyOf } from './table-schema';

export type RecordStatus =
  | 'archived'
  | 'archived-partial'
  | 'escalated'
  | NoResultReason
  | 'timed-out'
  | 'error';

/** Why an image that should be in the archive is not. */
export type MissingReason =
  | 'window-passed' // the provider no longer serves it (404/410, or liveness frames past their ~30-minute window)
  | 'rejected' // the data failed validation (type, base64, magic bytes, size)
  | 'refused' // the URL broke a download rule (host allowlist, private address, scheme, redirect)
  | 'download-failed' // transient failures outlasted the retries
  | 'over-limit'; // past the per-check cap on images or bytes: kept only in the answer as received

/**
 * Records only move forward: a higher rank replaces a lower one, an equal rank rewrites (idempotent re-runs), a lower
 * one never overwrites. Archived evidence outranks a later "expired" answer for the same check.
 */
export const STATUS_RANK: Record<RecordStatus, number> = {
  error: 0,
  'timed-out': 0,
  escalated: 1,
  expired: 2,
  invalid: 2,
  'not-found': 2,
  forbidden: 2,
  failed: 2,
  exception: 2,
  'archived-partial': 3,
  archived: 3,
};

/** Ranks from here up are final answers: the first one written wins (record-store's condition). */
export const FINAL_RANK = 2;

export interface CheckRecord extends OpenBookkeeping {
  pk: string;
  schemaVersion: 1;
  provider: ProviderName;
  checkRef: string;
  status: RecordStatus;
  statusRank: number;
  /** passed/failed (liveness), the KYC session status, the verification verdict, or the status for no-result records. */
  outcome: string;
  /** Verification only: accept/reject/... as the provider decided. */
  decision?: string;
  confidence?: number;
  /** The provider's own status word or HTTP code. */
  providerStatus?: string;
  /** Why a check ended without a result, in words free of secrets. */
  detail?: string;
  /** Workflow failures: the error name and a sanitized cause. */
  error?: { name: string; cause?: string };
  escalation?: { reason?: string; priority?: string; deadline?: string; status: string };
  /** When the check was created (event time): the sort key of every auditor index, and the S3 key's date. */
  createdAt: string;
  /** The event's createdAt when it was too far from the event's time to be believed (createdAt is the event's time). */
  createdAtClaimed?: string;
  providerCreatedAt?: string;
  completedAt?: string;
  providerRespondedAt?: string;
  archivedAt: string;
  /** Every object kept (documents included) and their bytes. */
  objects: number;
  bytes: number;
  /** Of those, images (quarantined items included). */
  images?: number;
  manifestKey?: string;
  /** Anchors the manifest: whoever rewrites an object and its manifest entry still cannot match this. */
  manifestSha256?: string;
  resultKey?: string;
  /** The provider's answer as received (answer.json, or answer.bin when it was not JSON). */
  answerKey?: string;
  imagesMissing?: { count: number; reasons: MissingReason[] };
  /** Items that were not valid images, kept as received under quarantine/ (served only as downloads). */
  quarantined?: { count: number; reasons: string[] };
  /** Images a host sent content-encoded (gzip…) although identity was asked; stored decoded. */
  encodedByHost?: number;
  /** Documented fields of the answer whose value could not be interpreted (paths only): the provider drifted. */
  uninterpreted?: string[];
  /** Timestamps that came without an offset and were read as UTC (paths). */
  readAsUtc?: string[];
  retentionClass: string;
  retentionBasis: string;
  /** When it expires; while a relationship is open, the earliest it could (see records/retention.ts). */
  retainUntil: string;
  /** What the class's days count from (absent on records archived before clocks: archive). */
  retentionClock?: RetentionClock;
  /** The class's days, on its clock. */
  retentionDays?: number;
  /** relationship-end classes: nothing expires until the client's relationship closes. */
  relationshipOpen?: true;
  relationshipClosedAt?: string;
  /** Capped classes: the newest interaction with the subject, and the cap after it. */
  lastInteractionAt?: string;
  lastInteractionDays?: number;
  /**
   * An erasure request erases the check at once (its objects carry no Object Lock retention). False, or absent on
   * records archived before erasure: a legal obligation defers it, and the objects are locked until retainUntil.
   */
  erasable?: boolean;
  /** An erasure request that was refused (legal obligation or hold): carried out when the check becomes erasable. */
  erasureRequested?: ErasureRequestNote;
  /** Epoch seconds; absent while a legal hold or an open relationship suspends expiry. */
  ttl?: number;
  legalHold?: boolean;
  legalHoldSince?: string;
  legalHoldReason?: string;
  /** The run writing this check now (record-store's lease): absent on records, which are written without it. */
  leaseOwner?: string;
  leaseUntil?: number;
  /** Index attributes (see table-schema): sharded keys, `{provider}#{day}[#{shard}]` and `{provider}#{outcome}[#{shard}]`. */
  providerDay: string;
  providerOutcome: string;
  /** Keyed hash of who the check is about (subjectKey, else the KYC clientKey): the byClientKey index. */
  clientKeyHash?: string;
}

/**
 * What replaces the record of an erased check: that it was erased, when, under which class and at whose request —
 * nothing about the person (no client hash, no dates of the check). It outranks every record (a late or duplicate
 * event never archives the check again) and carries no index attributes, so no query lists it.
 */
export interface Tombstone {
  pk: string;
  schemaVersion: 1;
  provider: ProviderName;
  checkRef: string;
  status: 'erased';
  statusRank: typeof TOMBSTONE_RANK;
  /** The class the check was kept under; absent when nothing had been archived. */
  retentionClass?: string;
  erasedAt: string;
  erasure: ErasureRequestNote;
  /** The deletion receipt that says what was deleted. */
  receiptSeq?: number;
}

export const TOMBSTONE_RANK = 100;

export function isTombstone(item: unknown): item is Tombstone {
  return (item as { status?: unknown } | undefined)?.status === 'erased';
}

/** Who asked for an erasure, when and why (no personal data: a request id and a short reason). */
export interface ErasureRequestNote {
  requestId: string;
  requestedAt: string;
  reason?: string;
}

export interface RecordInput {
  check: WorkflowCheck;
  status: RecordStatus;
  outcome: string;
  providerStatus?: string;
  confidence?: number;
  decision?: string;
  detail?: string;
  error?: { name: string; cause?: string };
  escalation?: Escalation;
  times?: ProviderTimes;
  evidence?: {
    objects: number;
    bytes: number;
    /** Images stored, quarantined ones included. */
    images?: number;
    manifestKey?: string;
    manifestSha256?: string;
    resultKey?: string;
    answerKey?: string;
    missing: MissingReason[];
    /** Images missing, when an entry of `missing` stands for several (over-limit). @default missing.length */
    missingCount?: number;
    quarantined?: string[];
    encodedByHost?: number;
  };
  drift?: Drift;
  retention: Retention;
  /**
   * Keyed hash (checks/check-ref subjectHashOf) of who the check is about: the event's subjectKey, else the KYC
   * clientKey from the event or the provider's answer. The key itself is never stored.
   */
  subjectHash?: string;
  archivedAt: Date;
}

const MAX_TEXT = 500;

/**
 * A provider's confidence as DynamoDB (and its document marshaller) can store it: a finite number within ±1e9 and
 * not below 1e-9 in magnitude (0 allowed). Anything else is dropped from the item; result.json keeps the original.
 */
export function storableConfidence(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const magnitude = Math.abs(value);
  return magnitude <= 1e9 && (magnitude === 0 || magnitude >= 1e-9) ? value : undefined;
}

/**
 * Builds the item. Pure; strings from providers are bounded so the item stays small. `indexShards`: how many keys the
 * sharded indexes spread a provider's day and outcome over (table-schema.ts); readers must use the same count.
 */
export function buildRecord(input: RecordInput, { indexShards = DEFAULT_INDEX_SHARDS }: { indexShards?: number } = {}): CheckRecord {
  const { check, retention } = input;
  const outcome = cleanText(input.outcome, 64) || input.status;
  const missing = input.evidence?.missing ?? [];
  const quarantined = input.evidence?.quarantined ?? [];
  const { escalation, drift } = input;
  // Normalized so index sort keys compare as strings and the day matches the S3 key's (UTC).
  const createdAt = new Date(check.createdAt).toISOString();
  return dropUndefined({
    pk: recordKeyOf(check.provider, check.checkRef),
    schemaVersion: 1 as const,
    provider: check.provider,
    checkRef: check.checkRef,
    status: input.status,
    statusRank: STATUS_RANK[input.status],
    outcome,
    decision: input.decision === undefined ? undefined : cleanText(input.decision, 64),
    confidence: storableConfidence(input.confidence),
    providerStatus: input.providerStatus === undefined ? undefined : cleanText(input.providerStatus, 64),
    detail: input.detail === undefined ? undefined : cleanText(input.detail, MAX_TEXT),
    error: input.error,
    // Provider text that reaches auditors' screens: bounded and free of control characters (terminal escapes).
    escalation: escalation
      ? dropUndefined({
          reason: optionalText(escalation.reason, 64),
          priority: optionalText(escalation.priority, 32),
          deadline: optionalText(escalation.deadline, 40),
          status: cleanText(escalation.status, 32),
        })
      : undefined,
    createdAt,
    createdAtClaimed: check.createdAtClaimed,
    providerCreatedAt: input.times?.createdAt,
    completedAt: input.times?.completedAt,
    providerRespondedAt: input.times?.respondedAt,
    archivedAt: input.archivedAt.toISOString(),
    objects: input.evidence?.objects ?? 0,
    bytes: input.evidence?.bytes ?? 0,
    images: input.evidence?.images,
    manifestKey: input.evidence?.manifestKey,
    manifestSha256: input.evidence?.manifestSha256,
    resultKey: input.evidence?.resultKey,
    answerKey: input.evidence?.answerKey,
    imagesMissing: missing.length > 0 ? { count: input.evidence?.missingCount ?? missing.length, reasons: [...new Set(missing)].sort() } : undefined,
    quarantined: quarantined.length > 0 ? { count: quarantined.length, reasons: [...new Set(quarantined)].sort() } : undefined,
    encodedByHost: input.evidence?.encodedByHost || undefined,
    uninterpreted: drift?.uninterpreted.length ? drift.uninterpreted : undefined,
    readAsUtc: drift?.readAsUtc.length ? drift.readAsUtc : undefined,
    retentionClass: retention.retentionClass,
    retentionBasis: retention.basis,
    retainUntil: retention.retainUntil,
    retentionClock: retention.clock,
    retentionDays: retention.days,
    relationshipOpen: retention.relationshipOpen,
    relationshipClosedAt: retention.relationshipClosedAt,
    lastInteractionAt: retention.lastInteractionAt,
    lastInteractionDays: retention.lastInteractionDays,
    erasable: retention.erasable,
    ttl: retention.ttl,
    legalHold: retention.legalHold ? true : undefined,
    ...indexKeysOf({ provider: check.provider, checkRef: check.checkRef, createdAt, outcome }, indexShards),
    clientKeyHash: input.subjectHash,
  });
}

/** The small summary the workflow carries on (ArchiveOutput of the contract). */
export function summaryOf(record: CheckRecord): ArchiveOutput {
  return dropUndefined({
    status: record.status,
    objects: record.objects,
    bytes: record.bytes,
    images: record.images,
    imagesMissing: record.imagesMissing ? record.imagesMissing.reasons.join(',') : undefined,
    imagesMissingCount: record.imagesMissing?.count,
    quarantined: record.quarantined?.count,
    uninterpreted: record.uninterpreted?.length,
  });
}

const SECRET_PATTERNS: RegExp[] = [
  /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, // JWTs
  // A credential keyword and what follows it, including an auth scheme ("Authorization: Bearer abc").
  /\b(?:authorization|token|api[-_]?key|password|secret|bearer|basic)\b["']?(?:\s*[:=]\s*|\s+)["']?(?:(?:bearer|basic)\s+)?[^\s"',;]+/gi,
  /[\w.+-]+@[\w-]+\.[\w.-]+/g, // e-mail addresses
  /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, // UUIDs (session ids, client ids)
  /\b0x[0-9a-f]{16,}\b/gi, // wallets
  /[A-Za-z0-9+/_=-]{32,}/g, // long tokens, hashes, base64
  /\?[^\s"']*/g, // query strings of URLs
];

/**
 * A workflow error as recorded: the error name (identifier characters only) and a cause stripped of anything that
 * could be a secret or personal data. Step Functions' Cause is usually the Lambda's JSON
 * `{errorType, errorMessage, trace}`: only type and message are kept. The check's own identifiers are removed first.
 */
export function sanitizeWorkflowError(
  error: { Error?: unknown; Cause?: unknown },
  secrets: Array<string | undefined>,
): { name: string; cause?: string } {
  const name = typeof error.Error === 'string' && /^[\w.:-]{1,128}$/.test(error.Error) ? error.Error : 'UnknownError';
  if (typeof error.Cause !== 'string' || error.Cause.trim() === '') return { name };
  let cause = error.Cause;
  try {
    const parsed = JSON.parse(cause) as { errorType?: unknown; errorMessage?: unknown };
    if (parsed && typeof parsed === 'object' && ('errorMessage' in parsed || 'errorType' in parsed)) {
      cause = [parsed.errorType, parsed.errorMessage].filter((part) => typeof part === 'string').join(': ');
    }
  } catch {
    // Not JSON: sanitize the text as it is.
  }
  for (const secret of secrets) {
    if (secret && secret.length >= 3) cause = cause.split(secret).join('[redacted]');
  }
  for (const pattern of SECRET_PATTERNS) cause = cause.replace(pattern, '[redacted]');
  return { name, cause: cleanText(cause, MAX_TEXT) };
}

/** Text for a record: control characters (terminal escapes included) become spaces, and it is cut to `max`. */
export function cleanText(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function optionalText(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : cleanText(text, max);
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
