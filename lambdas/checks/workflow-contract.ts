/**
 * The shape of the Step Functions state as it travels event → start → poll ⟲ wait → archive/record.
 * Only identifiers and small summaries live here: results and images never enter the state (256 KiB limit).
 */
import type { ProviderName } from './check-status';

/** The check as the start function hands it to the workflow (the validated event detail plus derived fields). */
export interface WorkflowCheck {
  provider: ProviderName;
  /** Liveness token / KYC sessionId / verification id. Kept only in the (KMS-encrypted) execution input. */
  checkId: string;
  clientKey?: string;
  /** Who the check is about (the event's subjectKey); the record keeps only its keyed hash. */
  subjectKey?: string;
  /** HMAC-derived (checks/check-ref.ts), safe to log and to use in keys and execution names. */
  checkRef: string;
  /** When the check was created at the provider (event's createdAt), else when the event arrived. */
  createdAt: string;
  /** The event's createdAt when it was further from the event's time than allowed (createdAt is then the event's time). */
  createdAtClaimed?: string;
  retentionClass?: string;
}

export type PollState =
  | 'pending' // not terminal: Wait $.poll.waitSeconds, then Poll again
  | 'complete' // terminal with result: Archive
  | 'escalated' // verification under human review: Archive once, then poll slowly
  | 'no-result' // terminal without result (expired, invalid, not found, forbidden, failed, exception): Record
  | 'timed-out'; // polled longer than the provider's maximum polling time: Record

export interface PollOutput {
  state: PollState;
  /** Polls made so far, including this one. */
  attempt: number;
  /** When the first poll ran (ISO-8601): the start of the polling-time budget. */
  firstPolledAt: string;
  /** Seconds the Wait state pauses before the next poll (integer ≥ 1). Meaningful for pending/escalated. */
  waitSeconds: number;
  providerStatus: string;
  /** Transient provider errors absorbed into the wait loop so far (429 Retry-After, 5xx). */
  transientErrors: number;
  /** When the check completed, by the provider's answer (ISO-8601), when it says: the image window starts there. */
  completedAt?: string;
}

/** Input of the workflow; `poll`, `archive` and `error` are added by the states as it runs. */
export interface WorkflowState {
  check: WorkflowCheck;
  poll?: PollOutput;
  archive?: ArchiveOutput;
  error?: { Error: string; Cause?: string };
}

/** Small summary returned by the archive and record functions (the record itself is in DynamoDB). */
export interface ArchiveOutput {
  status: string;
  objects: number;
  bytes: number;
  /** Images among the objects (quarantined items included). */
  images?: number;
  /** Comma-separated reasons (window-passed, rejected, refused, download-failed). */
  imagesMissing?: string;
  imagesMissingCount?: number;
  /** Items kept in quarantine (not valid images). */
  quarantined?: number;
  /** Documented fields of the answer that could not be interpreted: the provider drifted. */
  uninterpreted?: number;
  /** Present (false) when this step left an existing record as it was (a re-run, a duplicate): nothing new to count. */
  recorded?: false;
  /**
   * With status `retry-later` (the provider or S3 is out; lambdas/archive/outage.ts): the workflow waits this long,
   * then runs the same archive step again, which reads `outage` back.
   */
  retryAfterSeconds?: number;
  outage?: OutageMemory;
}

/** The status of an archive output that asks the workflow to wait `retryAfterSeconds` and archive again. */
export const RETRY_LATER = 'retry-later';

/** What the archive step remembers of an outage between its attempts (carried in `$.archive`). */
export interface OutageMemory {
  /** The outage's first failure (ISO-8601). */
  since: string;
  /** Failed attempts so far. */
  failures: number;
  /** Seconds of waits asked for so far (inside the function and of the workflow). */
  waitedSeconds: number;
  /** The last failure: error name and message (no identifiers). */
  lastError: string;
}

/** State names are part of the contract: local mode binds handlers to them, tests and benchmarks read them. */
export const STATE = {
  poll: 'Poll provider',
  route: 'Route by status',
  wait: 'Wait before next poll',
  archive: 'Archive evidence',
  recordEscalation: 'Archive escalation',
  waitReview: 'Wait for review',
  record: 'Record outcome',
  /** Choice default: turns a poll state nobody routes into an error for Record failure. */
  unexpected: 'Unexpected poll state',
  recordFailure: 'Record failure',
  /** After Archive evidence: the re-fetched answer may be an escalation, which goes back to the review loop. */
  archivedOrReview: 'Archived or under review',
  archived: 'Archived',
  /** After Archive escalation and Record outcome: a `retry-later` output goes to the wait below, anything else on. */
  escalationArchived: 'Escalation archived or retry later',
  recordedOrRetry: 'Recorded or retry later',
  /** The provider or S3 is out: wait `$.archive.retryAfterSeconds`, then route the check again (same archive step). */
  waitArchive: 'Wait before archiving again',
  recorded: 'Recorded',
  failed: 'Failed',
} as const;

/**
 * What the poll loop passes from one poll to the next (an SQS message): the workflow's task token and its state, the
 * latest poll in `state.poll`. The workflow sends the first one (`Poll provider`) and waits; the loop answers it with
 * SendTaskSuccess (the poll) once the check needs the workflow again, or SendTaskFailure (the error's name).
 */
export interface PollMessage {
  taskToken: string;
  state: WorkflowState;
  /** When the loop last told the workflow it is alive (ISO-8601); absent in the workflow's own first message. */
  heartbeatAt?: string;
  /** A wait longer than one hop: the next poll is due then (ISO-8601); the hops before it only pass the message on. */
  pollAt?: string;
  /**
   * Webhooks on: the message's number in its loop, once the loop registered it for wake-ups (lambdas/polling/
   * wake-store.ts). A copy the webhook receiver sent and the delayed original share it; the first to advance wins.
   */
  seq?: number;
  /** The notification this message answers or already reacted to (ISO-8601, the receiver's clock). */
  wokeAt?: string;
}
