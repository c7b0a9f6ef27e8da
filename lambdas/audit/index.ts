/**
 * The auditor core shared by the `audit-archiver` CLI and the query API: queries over the auditor indexes (records
 * past retention hidden), one check's record, answer and presigned image URLs, verification against manifests,
 * case-bundle export and legal hold.
 */
export { auditDeps, type AuditDeps } from './deps';
export { InvalidQueryError, RecordErasedError, RecordNotFoundError, VerificationFailedError, ExportTargetExistsError, LegalHoldIncompleteError } from './errors';
export { QUERY_PARAMETERS, DEFAULT_LIMIT, MAX_LIMIT, type RawQuery, type QueryFilters } from './filters';
export { queryRecords, allRecords, type QueryPage, type QueryOptions } from './query';
export { findRecord, isVisible, parseProvider, publicRecordOf, type FindRecordOptions, type PublicRecord } from './records';
export { MIN_CHECK_REF_PREFIX } from './ref-prefix';
/** The providers an auditor can name (for pickers: the console's search form). */
export { PROVIDERS, type ProviderName } from '../checks/check-status';
export { showCheck, type ShownCheck, type ShownImage } from './show';
export { DEFAULT_URL_EXPIRY_SECONDS, MAX_URL_EXPIRY_SECONDS, presignGetObject, servedTypeOf, type ServeAs } from './presign';
export { verifyCheck, verifyMany, type CheckVerification, type Problem, type ProblemKind, type VerifySummary } from './verify';
export { exportBundle, type ExportResult } from './export';
export { applyHold, releaseHold, detectObjectLock, type HoldResult } from './hold';
