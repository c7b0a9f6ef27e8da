/**
 * The normalized view of one provider status request. Every provider client maps its API's answer onto this union,
 * so the poller, the archive engine and the records never need to know a provider's HTTP quirks.
 */
export const PROVIDERS = ['liveness', 'kyc', 'verification'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** What identifies a check at its provider (the event's detail carries it). */
export interface CheckRef {
  provider: ProviderName;
  /** Liveness token (a bearer secret), KYC sessionId, or verification id. */
  checkId: string;
  /** KYC only: when given, the provider looks the session up by clientKey, not by sessionId. */
  clientKey?: string;
}

/** Times the provider reported, as ISO-8601 strings, when it reported them. */
export interface ProviderTimes {
  createdAt?: string;
  completedAt?: string;
  /** The provider's clock at response time (KYC responseTime), useful to correct for skew. */
  respondedAt?: string;
}

export type NoResultReason = 'expired' | 'invalid' | 'not-found' | 'forbidden' | 'failed' | 'exception';

export interface Escalation {
  id: string;
  reason: string;
  priority: string;
  deadline: string;
  status: string;
  [extra: string]: unknown;
}

interface StatusBase {
  provider: ProviderName;
  /** The provider's own status word (e.g. `in_progress`, `processing`, `success`), or the HTTP code when it has none. */
  providerStatus: string;
  times: ProviderTimes;
}

/** Not terminal yet: poll again. */
export interface PendingStatus extends StatusBase {
  kind: 'pending';
  /** Seconds the provider says the check (or its links) still lives, e.g. KYC `secondsToLive`. */
  secondsToLive?: number;
}

/** Terminal with a result worth archiving. `result` is the provider's full, parsed answer (extra fields kept). */
export interface CompleteStatus<R = unknown> extends StatusBase {
  kind: 'complete';
  /** Normalized outcome for records and auditor queries: passed/failed (liveness), the KYC status, the verdict. */
  outcome: string;
  confidence?: number;
  secondsToLive?: number;
  result: R;
}

/** Verification sent to human review: archive what is known now, keep polling until resolved or past deadline. */
export interface EscalatedStatus<R = unknown> extends StatusBase {
  kind: 'escalated';
  outcome: string;
  confidence?: number;
  escalation: Escalation;
  result: R;
}

/** Terminal without a result: the record says why. `body` is the provider's answer when it sent one. */
export interface NoResultStatus extends StatusBase {
  kind: 'no-result';
  reason: NoResultReason;
  /** A human-readable explanation, free of secrets. */
  detail: string;
  body?: unknown;
}

export type CheckStatus<R = unknown> = PendingStatus | CompleteStatus<R> | EscalatedStatus<R> | NoResultStatus;

/** One status request to one provider. */
export interface ProviderClient<R = unknown> {
  readonly provider: ProviderName;
  getStatus(ref: CheckRef, options?: { signal?: AbortSignal }): Promise<CheckStatus<R>>;
}

/** Provider status word of a check the client refused to send (e.g. a KYC sessionId that is not a UUID v1). */
export const REJECTED_INPUT_STATUS = 'rejected-before-request';

/**
 * A check whose reference fails the provider's documented input rules ends like one the provider calls invalid: no
 * request is sent (it would be a 400), and the record says why.
 */
export function rejectedInputStatus(provider: ProviderName, reason: string): NoResultStatus {
  return { kind: 'no-result', provider, providerStatus: REJECTED_INPUT_STATUS, reason: 'invalid', detail: reason, times: {} };
}
