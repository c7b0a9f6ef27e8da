/**
 * The flow's metric contract, shared by the handlers (Powertools Metrics, EMF) and the alarms and dashboard
 * (lib/constructs/operations.ts). Every metric is published in one namespace with the single dimension set
 * {service}: Powertools adds `service` itself from the service name.
 */

/** Namespace and service the functions publish under when POWERTOOLS_* variables are unset (the stack sets both). */
export const DEFAULT_METRICS_NAMESPACE = 'AuditArchiver';
export const DEFAULT_SERVICE_NAME = 'audit-archiver';

export const METRIC = {
  /** start: a Check Created event started its workflow. */
  checksStarted: 'ChecksStarted',
  /** start: the check's workflow already existed (a repeated event). */
  duplicateEvents: 'DuplicateEvents',
  /** start: the event broke the contract (it goes to the dead-letter queue). */
  invalidEvents: 'InvalidEvents',
  /** archive: evidence and record written, every image present. */
  checksArchived: 'ChecksArchived',
  /** archive: record written, some images missing (see ImagesMissing, WindowMisses). */
  checksPartiallyArchived: 'ChecksPartiallyArchived',
  /** archive: the check ended without a result (expired, invalid, not found, forbidden, failed, exception). */
  checksWithoutResult: 'ChecksWithoutResult',
  /** archive: polling gave up past the provider's budget. */
  checksTimedOut: 'ChecksTimedOut',
  /** record: the workflow failed; an error record was written. */
  checksFailed: 'ChecksFailed',
  imagesArchived: 'ImagesArchived',
  /** Unit Bytes. */
  bytesArchived: 'BytesArchived',
  imagesMissing: 'ImagesMissing',
  /** archive/record: an event asked for a shorter retention class than the policy's rule gives; refused. */
  retentionRequestsRefused: 'RetentionRequestsRefused',
  /** archive: items kept in quarantine because they were not valid images. */
  imagesQuarantined: 'ImagesQuarantined',
  /** archive (a check whose answer had fields that could not be interpreted) and poll (a status word the document does not list). */
  providerDrift: 'ProviderDrift',
  /** An image the provider no longer served when the archive asked (its retention window had passed). */
  windowMisses: 'WindowMisses',
  /** poll: a provider request failed (transport, 429, 5xx). */
  providerErrors: 'ProviderErrors',
  /** reconcile (scheduled): checks whose workflow ended without a record, redriven or restarted. */
  checksRecovered: 'ChecksRecovered',
  /** reconcile (scheduled): checks without a record that could not be recovered. */
  checksUnrecoverable: 'ChecksUnrecoverable',
  /** dead-letter redrive: events sent back to the start queue. */
  deadLettersReplayed: 'DeadLettersReplayed',
  /** dead-letter redrive: age of the oldest letter it left in the queue (0 when none). Unit Seconds. */
  deadLetterOldestAgeSeconds: 'DeadLetterOldestAgeSeconds',
  /** webhook: a signed notification recorded (the check's loop woken, or the wake-up remembered). */
  webhooksAccepted: 'WebhooksAccepted',
  /** webhook: a delivery id already accepted (a sender's retry or a replay): answered 200, nothing done. */
  webhookDuplicates: 'WebhookDuplicates',
  /** webhook: refused (bad signature, stale, malformed, oversized, no check id, unknown check) or not recorded; by `reason` on the dashboard. */
  webhooksRefused: 'WebhooksRefused',
  /** archive: time spent in one archive step. Unit Milliseconds. */
  archiveDurationMs: 'ArchiveDurationMs',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
