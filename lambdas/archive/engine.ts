/**
 * The archive engine: given a check the poller saw terminal, fetch the provider's answer again (results never travel
 * through the workflow), capture its evidence into S3 and write the one record that says what happened.
 *
 * Write order makes a crash harmless: images, then manifest.json, then result.json, then the record last. A re-run
 * computes the same keys, finds what an earlier attempt stored, and converges on the same objects and one item.
 */
import { createHash } from 'node:crypto';
import { checkRefOf } from '../common/check-ref';
import { ConfigurationError, InvalidCheckInputError } from '../common/errors';
import type { CompleteStatus, EscalatedStatus, NoResultStatus, ProviderClient } from '../providers/check-status';
import { PROVIDERS, rejectedInputStatus } from '../providers/check-status';
import { STATUS_RANK, buildRecord, sanitizeWorkflowError, summaryOf, type CheckRecord, type RecordInput, type RecordStatus } from '../records/record';
import { withHoldOf, type RecordStore } from '../records/record-store';
import { computeRetention, type RetentionPolicy } from '../records/retention';
import type { ArchiveOutput, WorkflowCheck } from '../workflow/contract';
import { CheckNotTerminalError } from './errors';
import {
  NO_EVIDENCE,
  loadEarlierRun,
  type ArchiveLimits,
  type ArchiveLogger,
  type Evidence,
  type EvidenceContext,
} from './evidence';
import type { DownloadPolicy } from './intake';
import { MANIFEST_FILE, RESULT_FILE, archivePrefix, type KycLinkKind } from './keys';
import { collectKycEvidence } from './kyc-evidence';
import { createLimiter } from './limiter';
import { collectLivenessEvidence } from './liveness-evidence';
import { buildManifest, type ManifestObject } from './manifest';
import { documentWithReferences } from './result-document';
import type { EvidenceStore, ObjectRetention } from './s3-store';

export type { ArchiveLimits, ArchiveLogger } from './evidence';

export interface ArchiveDeps {
  /** The client of the check's provider (`client.provider` must equal `check.provider`). */
  client: ProviderClient;
  store: EvidenceStore;
  records: RecordStore;
  /** SSRF and size rules for KYC image URLs; its maxBytes and limits.maxImageBytes both apply. */
  downloadPolicy: DownloadPolicy;
  limits: ArchiveLimits;
  /** KYC links kept besides imagesFull (none by default). */
  kycImageLinks: readonly KycLinkKind[];
  retention: RetentionPolicy;
  now: () => Date;
  logger?: ArchiveLogger;
}

/** What recording an outcome needs: the table and the policy; the store only to keep a no-result answer's body. */
export type RecordDeps = Pick<ArchiveDeps, 'records' | 'retention' | 'now' | 'logger'> & { store?: EvidenceStore };

/** What the workflow's Record states report: a terminal answer without result, polling given up, or a caught error. */
export type OutcomeToRecord =
  | { kind: 'no-result'; status: NoResultStatus }
  | { kind: 'timed-out'; providerStatus?: string }
  | { kind: 'failed'; error: { Error?: string; Cause?: string } };

/**
 * Archives a check the poller saw terminal. complete → evidence + record; escalated → evidence so far + an
 * 'escalated' record (a later complete run replaces both); no-result → recordOutcome; pending → CheckNotTerminalError
 * (retryable). Provider errors propagate typed (ProviderUnavailableError, ...); S3/DynamoDB failures become
 * StorageUnavailableError (retryable) or StorageRejectedError. Images that cannot be had do not fail the check: the
 * record is 'archived-partial' and says why.
 */
export async function archiveCheck(
  deps: ArchiveDeps,
  check: WorkflowCheck,
  options: { /** Recorded as the detail when the check is still escalated (e.g. polling ended at its deadline). */ escalationNote?: string } = {},
): Promise<ArchiveOutput> {
  validateCheck(check);
  if (deps.client.provider !== check.provider) {
    throw new ConfigurationError(`archive: ${deps.client.provider} client given for a ${check.provider} check`);
  }
  const status = await deps.client
    .getStatus({
      provider: check.provider,
      checkId: check.checkId,
      ...(check.clientKey !== undefined ? { clientKey: check.clientKey } : {}),
    })
    .catch((error: unknown) => {
      // The provider's own input rules refused the reference: recorded as invalid, like its 400 would be.
      if (error instanceof InvalidCheckInputError) return rejectedInputStatus(check.provider, error.message);
      throw error;
    });
  switch (status.kind) {
    case 'pending':
      throw new CheckNotTerminalError(`${check.provider} check ${check.checkRef} is not terminal (${status.providerStatus})`);
    case 'no-result':
      return recordOutcome(deps, check, { kind: 'no-result', status });
    case 'complete':
    case 'escalated':
      return archiveEvidence(deps, check, status, options.escalationNote);
  }
}

/**
 * Records a check that ends without evidence: a terminal answer without result (its body, when the provider sent one,
 * is kept as result.json), polling that gave up ('timed-out'), or a workflow failure ('error': the error name and a
 * sanitized cause, never the check's identifiers or secrets). Never overwrites a record that got further.
 */
export async function recordOutcome(deps: RecordDeps, check: WorkflowCheck, outcome: OutcomeToRecord): Promise<ArchiveOutput> {
  validateCheck(check);
  const status: RecordStatus =
    outcome.kind === 'no-result' ? outcome.status.reason : outcome.kind === 'timed-out' ? 'timed-out' : 'error';
  const existing = await deps.records.get(check.provider, check.checkRef);
  if (existing?.status === 'escalated' && outcome.kind !== 'no-result') {
    // The review's evidence stays the record; it now also says the workflow ended before the review did.
    const ended: CheckRecord = {
      ...existing,
      detail: outcome.kind === 'timed-out' ? 'polling ended before the review was resolved' : 'the workflow failed before the review was resolved',
      ...(outcome.kind === 'failed' ? { error: sanitizeWorkflowError(outcome.error, [check.checkId, check.clientKey]) } : {}),
    };
    return writeRecord(deps, existing, ended);
  }
  if (existing && supersedes(existing, status)) return keep(deps, check, existing);

  const now = deps.now();
  const { retention, warning } = computeRetention(deps.retention, {
    provider: check.provider,
    outcome: status,
    requestedClass: check.retentionClass,
    legalHold: existing?.legalHold,
    now,
  });
  if (warning) deps.logger?.warn(warning, { checkRef: check.checkRef });

  const input: RecordInput = { check, status, outcome: status, retention, archivedAt: now };
  if (outcome.kind === 'no-result') {
    const { status: noResult } = outcome;
    Object.assign(input, { providerStatus: noResult.providerStatus, detail: noResult.detail, times: noResult.times });
    if (noResult.body !== undefined) {
      // Nothing to download from an answer without a result (an expired or broken KYC session's links are not
      // evidence of a finished check); the answer itself is kept.
      const { store } = deps;
      if (!store) throw new ConfigurationError('record: an answer body to keep, but no evidence store');
      const prefix = archivePrefix(check.provider, check.createdAt, check.checkRef);
      input.evidence = await writeDocuments({ store }, check, prefix, status, noResult.body, NO_EVIDENCE, objectRetention(retention), now);
      input.clientKey = clientKeyOf(check, noResult.body);
    }
  } else if (outcome.kind === 'timed-out') {
    input.providerStatus = outcome.providerStatus;
    input.detail = 'polling ended without a terminal answer';
  } else {
    input.error = sanitizeWorkflowError(outcome.error, [check.checkId, check.clientKey]);
  }
  input.clientKey ??= check.clientKey;
  return writeRecord(deps, existing, buildRecord(input));
}

async function archiveEvidence(
  deps: ArchiveDeps,
  check: WorkflowCheck,
  status: CompleteStatus | EscalatedStatus,
  escalationNote: string | undefined,
): Promise<ArchiveOutput> {
  const escalated = status.kind === 'escalated';
  const existing = await deps.records.get(check.provider, check.checkRef);
  // 'archived' stands for either final status here: only the rank matters.
  if (existing && supersedes(existing, escalated ? 'escalated' : 'archived')) return keep(deps, check, existing);

  const now = deps.now();
  const { retention, warning } = computeRetention(deps.retention, {
    provider: check.provider,
    outcome: status.outcome,
    requestedClass: check.retentionClass,
    legalHold: existing?.legalHold,
    now,
  });
  if (warning) deps.logger?.warn(warning, { checkRef: check.checkRef });

  const prefix = archivePrefix(check.provider, check.createdAt, check.checkRef);
  const ctx: EvidenceContext = {
    store: deps.store,
    prefix,
    retention: objectRetention(retention),
    limit: createLimiter(deps.limits.concurrency),
    limits: deps.limits,
    downloadPolicy: deps.downloadPolicy,
    kycImageLinks: deps.kycImageLinks,
    earlier: await loadEarlierRun(deps.store, prefix),
    now: deps.now,
    logger: deps.logger,
  };

  let evidence: Evidence;
  switch (check.provider) {
    case 'liveness':
      evidence = await collectLivenessEvidence(ctx, status.result, status.times.completedAt);
      break;
    case 'kyc':
      evidence = await collectKycEvidence(ctx, status.result);
      break;
    case 'verification':
      // Metadata only: the verdict, its reasoning and the content are all in the answer (result.json).
      evidence = NO_EVIDENCE;
      break;
  }
  const leftovers = await ctx.earlier.adoptLeftovers(new Set(evidence.objects.map((object) => object.key)));
  evidence = { ...evidence, objects: [...evidence.objects, ...leftovers] };

  const recordStatus: RecordStatus = escalated ? 'escalated' : evidence.missing.length > 0 ? 'archived-partial' : 'archived';
  const summary = await writeDocuments(deps, check, prefix, recordStatus, status.result, evidence, ctx.retention, now);
  const decision = check.provider === 'verification' ? stringField(status.result, 'decision') : undefined;
  const record = buildRecord({
    check,
    status: recordStatus,
    outcome: status.outcome,
    providerStatus: status.providerStatus,
    confidence: status.confidence,
    decision,
    times: status.times,
    evidence: summary,
    retention,
    clientKey: clientKeyOf(check, status.result),
    ...(escalated && escalationNote ? { detail: escalationNote } : {}),
    archivedAt: now,
    ...(status.kind === 'escalated'
      ? {
          escalation: {
            reason: String(status.escalation.reason).slice(0, 64),
            priority: String(status.escalation.priority).slice(0, 32),
            deadline: String(status.escalation.deadline).slice(0, 40),
            status: String(status.escalation.status).slice(0, 32),
          },
        }
      : {}),
  });
  deps.logger?.info('check archived', {
    provider: check.provider,
    checkRef: check.checkRef,
    status: recordStatus,
    objects: summary.objects,
    bytes: summary.bytes,
    missing: summary.missing,
  });
  return writeRecord(deps, existing, record);
}

/** manifest.json then result.json, after every image: the manifest lists them all, result.json included. */
async function writeDocuments(
  deps: Pick<ArchiveDeps, 'store'>,
  check: WorkflowCheck,
  prefix: string,
  status: RecordStatus,
  answer: unknown,
  evidence: Evidence,
  retention: ObjectRetention,
  now: Date,
): Promise<NonNullable<RecordInput['evidence']>> {
  const archivedAt = now.toISOString();
  const resultKey = prefix + RESULT_FILE;
  const manifestKey = prefix + MANIFEST_FILE;
  const resultBody = Buffer.from(`${JSON.stringify(documentWithReferences(answer, evidence.replacements), null, 2)}\n`);
  const resultEntry: ManifestObject = {
    key: resultKey,
    sha256: createHash('sha256').update(resultBody).digest('hex'),
    bytes: resultBody.length,
    contentType: 'application/json',
    source: { kind: 'provider-answer' },
    archivedAt,
  };
  const manifest = buildManifest({
    provider: check.provider,
    checkRef: check.checkRef,
    status,
    archivedAt,
    objects: [...evidence.objects, resultEntry],
    missing: evidence.missing,
  });
  const manifestBody = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const json = { contentType: 'application/json', retention };
  await deps.store.putBuffer(manifestKey, manifestBody, json);
  await deps.store.putBuffer(resultKey, resultBody, json);
  return {
    objects: manifest.objects.length + 1,
    bytes: manifest.objects.reduce((sum, object) => sum + object.bytes, manifestBody.length),
    manifestKey,
    manifestSha256: createHash('sha256').update(manifestBody).digest('hex'),
    resultKey,
    missing: evidence.missing.map((entry) => entry.reason),
  };
}

/** The record last: conditional, keeps a legal hold, and yields to a record that got further meanwhile. */
async function writeRecord(deps: RecordDeps, existing: CheckRecord | undefined, record: CheckRecord): Promise<ArchiveOutput> {
  const { written, record: stored } = await deps.records.write(withHoldOf(existing, record));
  if (!written) deps.logger?.info('newer record kept', { checkRef: record.checkRef, status: stored.status });
  return written ? summaryOf(stored) : { ...summaryOf(stored), recorded: false };
}

/**
 * True when the existing record must not be replaced by one of `status`: it ranks higher, or it is already final
 * (rank ≥ 2) at the same rank — the first final answer wins, a re-run never degrades it.
 */
function supersedes(existing: CheckRecord, status: RecordStatus): boolean {
  const rank = STATUS_RANK[status];
  return existing.statusRank > rank || (existing.statusRank >= 2 && existing.statusRank === rank);
}

function keep(deps: RecordDeps, check: WorkflowCheck, existing: CheckRecord): ArchiveOutput {
  deps.logger?.info('check already recorded', { checkRef: check.checkRef, status: existing.status });
  return { ...summaryOf(existing), recorded: false };
}

function objectRetention(retention: { retentionClass: string; retainUntil: string; legalHold: boolean }): ObjectRetention {
  return { retentionClass: retention.retentionClass, retainUntil: retention.retainUntil, legalHold: retention.legalHold };
}

/** The check must name itself by the hash of its id: keys and records then cannot carry the id (a bearer token). */
function validateCheck(check: WorkflowCheck): void {
  if (!check || !(PROVIDERS as readonly string[]).includes(check.provider)) {
    throw new InvalidCheckInputError('check: unknown provider');
  }
  if (typeof check.checkId !== 'string' || check.checkId === '') throw new InvalidCheckInputError('check: empty checkId');
  if (check.checkRef !== checkRefOf(check.provider, check.checkId)) {
    throw new InvalidCheckInputError('check: checkRef is not the hash of the check id');
  }
  if (typeof check.createdAt !== 'string' || Number.isNaN(Date.parse(check.createdAt))) {
    throw new InvalidCheckInputError('check: createdAt is not a date');
  }
}

function clientKeyOf(check: WorkflowCheck, answer: unknown): string | undefined {
  if (check.provider !== 'kyc') return undefined;
  return check.clientKey || stringField(answer, 'clientKey') || undefined;
}

function stringField(value: unknown, field: string): string | undefined {
  const candidate = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  return typeof candidate === 'string' ? candidate : undefined;
}
