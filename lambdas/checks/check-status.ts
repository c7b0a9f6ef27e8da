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

/**
 * One answer as the provider sent it: the evidence before any interpretation. Only a secret the provider echoed back
 * (a liveness token) is scrubbed from `body`; everything else is byte for byte.
 */
export interface ProviderAnswer {
  httpStatus: number;
  /** The Content-Type header as sent (control characters removed, at most 200 characters). */
  contentType?: string;
  body: Buffer;
  /** `body` parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
  /** Our clock when the answer arrived. */
  receivedAt: string;
  /** Occurrences of the check's secret replaced in `body` (0 almost always). */
  scrubbed: number;
}

/**
 * What a lenient reading of an answer could not use: documented fields whose value could not be interpreted
 * (`result.confidence` = "high"), and timestamps without an offset that were read as UTC. Both are recorded.
 */
export interface Drift {
  uninterpreted: string[];
  readAsUtc: string[];
}

/** Times the provider reported, as ISO-8601 strings, when it reported them. */
export interface ProviderTimes {
  createdAt?: string;
  completedAt?: string;
  /** The provider's clock at response time (KYC responseTime), useful to correct for skew. */
  respondedAt?: string;
}

export type NoResultReason = 'expired' | 'invalid' | 'not-found' | 'forbidden' | 'failed' | 'exception';

/** A human review as the provider describes it; each field as far as it could be read. */
export interface Escalation {
  reason?: string;
  priority?: string;
  /** ISO-8601 UTC. */
  deadline?: string;
  /** `pending` while under review. */
  status: string;
}

interface StatusBase {
  provider: ProviderName;
  /** The provider's own status word (e.g. `in_progress`, `processing`, `success`), or the HTTP code when it has none. */
  providerStatus: string;
  times: ProviderTimes;
  /** What the reading could not interpret; absent when everything documented read cleanly. */
  drift?: Drift;
}

/** Not terminal yet: poll again. */
export interface PendingStatus extends StatusBase {
  kind: 'pending';
  /** Seconds the provider says the check (or its links) still lives, e.g. KYC `secondsToLive`. */
  secondsToLive?: number;
  /**
   * The answer's status is not one the document lists: polling goes on within the budget, and the record will say
   * what was seen.
   */
  unknownStatus?: true;
}

/** Terminal with a result worth archiving. `result` is the provider's whole answer, parsed (extra fields kept). */
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

/** Terminal without a result: the record says why (the answer itself, when there was one, is kept all the same). */
export interface NoResultStatus extends StatusBase {
  kind: 'no-result';
  reason: NoResultReason;
  /** A human-readable explanation, free of secrets. */
  detail: string;
}

export type CheckStatus<R = unknown> = PendingStatus | CompleteStatus<R> | EscalatedStatus<R> | NoResultStatus;

/**
 * One provider's status API, in two steps so the archive can keep an answer before reading it: `fetchAnswer` gets
 * the answer (transport, authentication and "is this answer about this check" are settled there, with typed errors),
 * `interpret` reads it leniently and never fails on its shape. `getStatus` is the two together, for the poller.
 */
export interface ProviderClient<R = unknown> {
  readonly provider: ProviderName;
  fetchAnswer(ref: CheckRef, options?: { signal?: AbortSignal }): Promise<ProviderAnswer>;
  interpret(answer: ProviderAnswer, ref: CheckRef): CheckStatus<R>;
  getStatus(ref: CheckRef, options?: { signal?: AbortSignal }): Promise<CheckStatus<R>>;
}

/** What the poller needs of a client. */
export type StatusSource = Pick<ProviderClient, 'provider' | 'getStatus'>;

/** Provider status word of a check the client refused to send (an empty or absurdly long id). */
export const REJECTED_INPUT_STATUS = 'rejected-before-request';

/**
 * A check whose reference fails the provider's documented input rules ends like one the provider calls invalid: no
 * request is sent (it would be a 400), and the record says why.
 */
export function rejectedInputStatus(provider: ProviderName, reason: string): NoResultStatus {
  return { kind: 'no-result', provider, providerStatus: REJECTED_INPUT_STATUS, reason: 'invalid', detail: reason, times: {} };
}

/** Provider status word of a check whose answer named another session than the check (nothing of it was kept). */
export const IDENTITY_MISMATCH_STATUS = 'identity-mismatch';

/** A check the provider answered about someone else: recorded invalid, with why, and the answer is not kept. */
export function identityMismatchStatus(provider: ProviderName, reason: string): NoResultStatus {
  return { kind: 'no-result', provider, providerStatus: IDENTITY_MISMATCH_STATUS, reason: 'invalid', detail: reason, times: {} };
}
