/**
 * The archive engine: given a check the poller saw terminal, fetch the provider's answer again (results never travel
 * through the workflow), keep it as received, capture the evidence it references into S3 and write the one record
 * that says what happened.
 *
 * Evidence outranks our schema: the answer is stored byte for byte before its images and documents, every image it
 * references is archived whatever the check's outcome, and nothing about its shape can stop that — a field that
 * cannot be read is noted in the record (`uninterpreted`), an image that is not valid is kept in quarantine.
 *
 * Write order makes a crash harmless: answer, images, then manifest.json, then result.json, then the record last. A
 * re-run computes the same keys, finds what an earlier attempt stored, and converges on the same objects and one item.
 */
import { createHash, randomUUID } from 'node:crypto';
import { checkRefOf, subjectHashOf, type IdentifierKey } from '../checks/check-ref';
import { ConfigurationError, IdentityMismatchError, InvalidCheckInputError, ProviderUnavailableError } from '../common/errors';
import type { CheckRef, CheckStatus, NoResultStatus, ProviderAnswer, ProviderClient } from '../checks/check-status';
import { PROVIDERS, identityMismatchStatus, rejectedInputStatus } from '../checks/check-status';
import { STATUS_RANK, buildRecord, cleanText, sanitizeWorkflowError, summaryOf, type CheckRecord, type RecordInput, type RecordStatus } from '../records/record';
import { withHoldOf, type Lease } from '../records/record-store';
import { nextLookAt, openShardOf, type OpenBookkeeping } from '../records/open-checks';
import type { RecordsDeps } from '../records/runtime';
import { computeRetention } from '../records/retention';
import type { ArchiveOutput, WorkflowCheck } from '../checks/workflow-contract';
import { ArchiveTimeBudgetError, CheckBusyError, CheckNotTerminalError } from './errors';
import { StorageRejectedError, StorageUnavailableError } from '../common/storage-errors';
import {
  NO_EVIDENCE,
  loadEarlierRun,
  type ArchiveLimits,
  type Evidence,
  type EvidenceContext,
} from './evidence';
import type { DownloadPolicy } from './intake';
import { CREATED_AT_METADATA, MANIFEST_FILE, RESULT_FILE, answerFileOf, archivePrefixes, type KycLinkKind } from './keys';
import { collectKycEvidence } from './kyc-evidence';
import { createLimiter } from './limiter';
import { collectLivenessEvidence } from './liveness-evidence';
import { buildManifest, missingCountOf, type ManifestObject } from './manifest';
import { stripSignedUrls, withoutSignedUrls } from './signed-urls';
import { documentWithReferences } from './result-document';
import type { EvidenceStore, ObjectRetention, PutOptions } from './s3-store';

export type { ArchiveLimits } from './evidence';

/** The records' wiring (table, retention policy, clock, logger) and what archiving adds to it. */
export interface ArchiveDeps extends RecordsDeps {
  /** The client of the check's provider (`client.provider` must equal `check.provider`). */
  client: ProviderClient;
  store: EvidenceStore;
  /** SSRF and size rules for image links; its maxBytes and limits.maxImageBytes both apply. */
  downloadPolicy: DownloadPolicy;
  limits: ArchiveLimits;
  /** KYC links kept besides imagesFull (none by default). */
  kycImageLinks: readonly KycLinkKind[];
}

/**
 * What recording an outcome without an answer needs: the table and the policy; with the evidence store, whatever an
 * earlier attempt stored under the check's folder is accounted for in a manifest the record names.
 */
export type RecordDeps = RecordsDeps & { store?: EvidenceStore };

/** What the workflow's Record states report when there is no answer to keep: polling given up, or a caught error. */
export type OutcomeToRecord =
  | { kind: 'no-result'; status: NoResultStatus }
  | { kind: 'timed-out'; providerStatus?: string }
  | { kind: 'failed'; error: { Error?: string; Cause?: string } };

/**
 * One invocation of an archive-side function: who it is (the lease owner) and when it must have stopped (its Lambda
 * deadline). It holds a check's lease until that deadline plus LEASE_MARGIN_MS, and stops itself before the deadline:
 * no write of a run ever lands after its lease could have passed to another.
 */
export interface Invocation {
  owner: string;
  /** Epoch ms. */
  deadline: number;
}

/** How long past its holder's deadline a lease stays: a request sent just before the deadline has landed by then. */
export const LEASE_MARGIN_MS = 60_000;
/** The final writes (manifest, result.json, record) are not started with less time than this left. */
export const FINAL_WRITES_RESERVE_MS = 15_000;
/** Without a Lambda context (tests, scripts): the archive function's own timeout. */
const DEFAULT_INVOCATION_MS = 300_000;
/** An error record is looked at by reconcile this long after it was written (see lambdas/operations/reconcile.ts). */
export const ERROR_RETRY_AFTER_MS = 10 * 60_000;

/** The invocation of a Lambda context (`awsRequestId`, `getRemainingTimeInMillis`), or a fresh one. */
export function invocationOf(
  context?: { awsRequestId?: string; getRemainingTimeInMillis?: () => number },
  now = Date.now(),
): Invocation {
  const remaining = context?.getRemainingTimeInMillis?.();
  return {
    owner: `${context?.awsRequestId ?? 'run'}-${randomUUID()}`,
    deadline: now + (typeof remaining === 'number' && Number.isFinite(remaining) ? remaining : DEFAULT_INVOCATION_MS),
  };
}

export interface ArchiveOptions {
  /** This invocation (lease owner and deadline). @default a fresh one with the archive function's timeout */
  invocation?: Invocation;
  /**
   * Polling is over (the provider's budget, the poll cap, the escalation ceiling): whatever the provider answers now
   * is kept — a terminal answer is archived as usual, one still pending is recorded as `timed-out` with the answer
   * and its images, and a provider that cannot answer leaves a `timed-out` record.
   */
  pollingEnded?: { providerStatus?: string };
}

export const POLLING_ENDED_PENDING = 'polling ended without a terminal answer';
export const ESCALATION_POLLING_ENDED = 'polling ended: the escalation was still unresolved at the polling ceiling';

/**
 * Archives a check the poller saw terminal (or whose polling ended). complete → evidence + record; escalated →
 * evidence so far + an 'escalated' record (a later complete run replaces both); no-result → the answer + its record;
 * pending → CheckNotTerminalError (retryable). Provider errors propagate typed (ProviderUnavailableError, ...);
 * S3/DynamoDB failures become StorageUnavailableError (retryable) or StorageRejectedError. Images that cannot be had
 * do not fail the check: the record is 'archived-partial' and says why.
 */
export async function archiveCheck(deps: ArchiveDeps, check: WorkflowCheck, options: ArchiveOptions = {}): Promise<ArchiveOutput> {
  validateCheck(check, await deps.identifierKey.get());
  if (deps.client.provider !== check.provider) {
    throw new ConfigurationError(`archive: ${deps.client.provider} client given for a ${check.provider} check`);
  }
  const ref: CheckRef = {
    provider: check.provider,
    checkId: check.checkId,
    ...(check.clientKey !== undefined ? { clientKey: check.clientKey } : {}),
  };
  let answer: ProviderAnswer;
  try {
    answer = await deps.client.fetchAnswer(ref);
  } catch (error) {
    // The reference cannot even be sent: recorded as invalid, like the provider's 400 would be.
    if (error instanceof InvalidCheckInputError) {
      return recordOutcome(deps, check, { kind: 'no-result', status: rejectedInputStatus(check.provider, error.message) }, options);
    }
    // An answer about another session than the check names is never kept under this check: recorded as such.
    if (error instanceof IdentityMismatchError) {
      return recordOutcome(deps, check, { kind: 'no-result', status: identityMismatchStatus(check.provider, error.message) }, options);
    }
    // Polling is over and the provider cannot answer now: the record says so, rather than failing the check.
    if (options.pollingEnded && error instanceof ProviderUnavailableError) {
      return recordOutcome(deps, check, { kind: 'timed-out', providerStatus: options.pollingEnded.providerStatus }, options);
    }
    throw error;
  }
  const status = deps.client.interpret(answer, ref);
  if (status.kind === 'pending' && !options.pollingEnded) {
    throw new CheckNotTerminalError(`${check.provider} check ${check.checkRef} is not terminal (${cleanText(status.providerStatus, 64)})`);
  }
  return archiveAnswer(deps, check, answer, status, options);
}

/**
 * Records a check that ends without an answer to keep: polling that gave up while the provider could not answer
 * ('timed-out'), a reference the provider could not be asked about ('invalid'), or a workflow failure ('error': the
 * error name and a sanitized cause, never the check's identifiers or secrets). Never overwrites a record that got
 * further.
 */
export async function recordOutcome(
  deps: RecordDeps,
  check: WorkflowCheck,
  outcome: OutcomeToRecord,
  options: Pick<ArchiveOptions, 'invocation'> = {},
): Promise<ArchiveOutput> {
  const key = await deps.identifierKey.get();
  validateCheck(check, key);
  const status: RecordStatus =
    outcome.kind === 'no-result' ? outcome.status.reason : outcome.kind === 'timed-out' ? 'timed-out' : 'error';
  const seen = await deps.records.get(check.provider, check.checkRef);
  const endsReview = seen?.status === 'escalated' && outcome.kind !== 'no-result';
  if (seen && !endsReview && supersedes(seen, status)) return keep(deps, check, seen);

  const invocation = options.invocation ?? invocationOf();
  const lease = await takeLease(deps, check, invocation, endsReview ? seen.statusRank : STATUS_RANK[status], { yieldWhenBusy: true });
  if ('kept' in lease) return lease.kept;
  try {
    const existing = await deps.records.get(check.provider, check.checkRef);
    if (existing?.status === 'escalated' && outcome.kind !== 'no-result') {
      // The review's evidence stays the record; it now also says the workflow ended before the review did.
      const ended: CheckRecord = {
        ...existing,
        detail: outcome.kind === 'timed-out' ? 'polling ended before the review was resolved' : 'the workflow failed before the review was resolved',
        ...(outcome.kind === 'failed' ? { error: sanitizeWorkflowError(outcome.error, [check.checkId, check.clientKey]) } : {}),
      };
      return await writeRecord(deps, existing, ended, lease.lease, invocation);
    }
    if (existing && supersedes(existing, status)) return keep(deps, check, existing);

    const now = deps.now();
    const subject = subjectKeyOf(check, undefined);
    const subjectHash = subject ? subjectHashOf(key, subject) : undefined;
    const retention = await retentionFor(deps, check, status, existing, now, subjectHash);
    const input: RecordInput = { check, status, outcome: status, retention, archivedAt: now, ...(subjectHash ? { subjectHash } : {}) };
    if (outcome.kind === 'no-result') {
      const { status: noResult } = outcome;
      Object.assign(input, { providerStatus: noResult.providerStatus, detail: noResult.detail, times: noResult.times });
    } else if (outcome.kind === 'timed-out') {
      input.providerStatus = outcome.providerStatus;
      input.detail = `${POLLING_ENDED_PENDING}; the provider could not be asked once more`;
    } else {
      input.error = sanitizeWorkflowError(outcome.error, [check.checkId, check.clientKey]);
    }
    assertTimeFor(invocation, FINAL_WRITES_RESERVE_MS);
    input.evidence = await accountForEarlierObjects(deps, check, status, objectRetention(retention), now);
    return await writeRecord(deps, existing, buildRecord(input, deps), lease.lease, invocation);
  } finally {
    await deps.records.releaseLease(check.provider, check.checkRef, lease.lease.owner).catch(() => undefined);
  }
}

/**
 * The check's lease for this invocation, or what to do without it: a record this run cannot improve on is kept; a
 * lease another run holds is waited for (CheckBusyError, retried by the workflow) — or, for a path that only records
 * a failure (`yieldWhenBusy`), left to that run: it writes the check's record, and if it dies its lease expires and the
 * check stays open for reconcile.
 */
async function takeLease(
  deps: RecordDeps,
  check: WorkflowCheck,
  invocation: Invocation,
  rank: number,
  options: { yieldWhenBusy?: boolean } = {},
): Promise<{ lease: Lease } | { kept: ArchiveOutput }> {
  const lease: Lease = { owner: invocation.owner, until: invocation.deadline + LEASE_MARGIN_MS };
  // Leases are about this process's real time (its Lambda deadline), not the business clock `deps.now`.
  const result = await deps.records.acquireLease(check.provider, check.checkRef, lease, rank, new Date());
  if (result.acquired) return { lease };
  if ('superseded' in result) return { kept: keep(deps, check, result.superseded) };
  if (options.yieldWhenBusy) {
    deps.logger?.warn('another run is writing this check: its record is left to it', { checkRef: check.checkRef });
    return { kept: { status: 'busy', objects: 0, bytes: 0, recorded: false } };
  }
  throw new CheckBusyError(`${check.provider} check ${check.checkRef}: another run is writing it`);
}

/** Stops this invocation before it could outlive its lease: what it stored stays, the retry resumes from it. */
function assertTimeFor(invocation: Invocation, reserveMs: number): void {
  if (invocation.deadline - Date.now() < reserveMs) {
    throw new ArchiveTimeBudgetError('archive: too little time left for the final writes; the next attempt resumes');
  }
}

/**
 * An attempt that failed may have stored the provider's answer and some images before it did: they are listed in a
 * manifest, so nothing in the check's folder is unaccounted for. This runs under the check's lease, and only when no
 * final record exists (the lease is refused then): a manifest already in the folder is one a crashed run left without
 * a record, and the new one lists everything it listed. When S3 itself is what fails, the record is written without a
 * manifest — a record with a note beats no record at all.
 */
async function accountForEarlierObjects(
  deps: RecordDeps,
  check: WorkflowCheck,
  status: RecordStatus,
  retention: ObjectRetention,
  now: Date,
): Promise<RecordInput['evidence']> {
  if (!deps.store) return undefined;
  const store = datedStore(deps.store, check);
  try {
    const earlier = await loadEarlierRun(store, archivePrefixes(check.provider, check.createdAt, check.checkRef));
    const objects = await earlier.adoptLeftovers(new Set());
    if (objects.length === 0) return undefined;
    return await writeDocuments({ store }, check, earlier.prefix, status, undefined, undefined, { ...NO_EVIDENCE, objects }, retention, now);
  } catch (error) {
    if (!(error instanceof StorageUnavailableError || error instanceof StorageRejectedError)) throw error;
    deps.logger?.warn('earlier objects not accounted for: S3 failed', { checkRef: check.checkRef, error: error.name });
    return undefined;
  }
}

/** Keeps one answer and everything it references, then writes the record. */
async function archiveAnswer(
  deps: ArchiveDeps,
  check: WorkflowCheck,
  answer: ProviderAnswer,
  status: CheckStatus,
  options: ArchiveOptions,
): Promise<ArchiveOutput> {
  const kindStatus: RecordStatus =
    status.kind === 'complete' ? 'archived' : status.kind === 'escalated' ? 'escalated' : status.kind === 'no-result' ? status.reason : 'timed-out';
  const seen = await deps.records.get(check.provider, check.checkRef);
  // 'archived' stands for either final status here: only the rank matters.
  if (seen && supersedes(seen, kindStatus)) return keep(deps, check, seen);

  // One run at a time writes the check's folder and record.
  const invocation = options.invocation ?? invocationOf();
  const lease = await takeLease(deps, check, invocation, STATUS_RANK[kindStatus]);
  if ('kept' in lease) return lease.kept;
  try {
    return await archiveUnderLease(deps, check, answer, status, options, kindStatus, lease.lease, invocation);
  } finally {
    await deps.records.releaseLease(check.provider, check.checkRef, lease.lease.owner).catch(() => undefined);
  }
}

async function archiveUnderLease(
  deps: ArchiveDeps,
  check: WorkflowCheck,
  answer: ProviderAnswer,
  status: CheckStatus,
  options: ArchiveOptions,
  kindStatus: RecordStatus,
  lease: Lease,
  invocation: Invocation,
): Promise<ArchiveOutput> {
  const existing = await deps.records.get(check.provider, check.checkRef);
  if (existing && supersedes(existing, kindStatus)) return keep(deps, check, existing);

  const now = deps.now();
  const outcome = status.kind === 'complete' || status.kind === 'escalated' ? status.outcome : kindStatus;
  const subject = subjectKeyOf(check, answer.json);
  const subjectHash = subject ? subjectHashOf(await deps.identifierKey.get(), subject) : undefined;
  const retention = await retentionFor(deps, check, outcome, existing, now, subjectHash);
  deps = { ...deps, store: datedStore(deps.store, check) };
  const earlier = await loadEarlierRun(deps.store, archivePrefixes(check.provider, check.createdAt, check.checkRef));
  const prefix = earlier.prefix;
  const batch = new AbortController();
  const ctx: EvidenceContext & { abort: () => void } = {
    store: deps.store,
    prefix,
    retention: objectRetention(retention),
    limit: createLimiter(deps.limits.concurrency),
    limits: deps.limits,
    budget: { bytesLeft: deps.limits.maxBytesPerCheck },
    downloadPolicy: deps.downloadPolicy,
    kycImageLinks: deps.kycImageLinks,
    earlier,
    now: deps.now,
    timeLeft: () => invocation.deadline - Date.now() - FINAL_WRITES_RESERVE_MS,
    signal: batch.signal,
    abort: () => batch.abort(),
    logger: deps.logger,
  };

  // The answer first, as received: whatever happens next, the evidence it is stays.
  const answerEntry = await storeAnswer(ctx, answer);
  let evidence: Evidence;
  switch (check.provider) {
    case 'liveness':
      evidence = await collectLivenessEvidence(ctx, answer.json, status.times.completedAt);
      break;
    case 'kyc':
      evidence = await collectKycEvidence(ctx, answer.json);
      break;
    case 'verification':
      // Metadata only: the verdict, its reasoning and the content are all in the answer.
      evidence = NO_EVIDENCE;
      break;
  }
  const rewritten = [answerEntry.key, prefix + RESULT_FILE, ...evidence.objects.map((object) => object.key)];
  const leftovers = await ctx.earlier.adoptLeftovers(new Set(rewritten));
  evidence = { ...evidence, objects: [answerEntry, ...evidence.objects, ...leftovers] };
  const quarantined = evidence.objects.filter((object) => object.quarantined);

  const recordStatus: RecordStatus =
    kindStatus === 'archived' && (evidence.missing.length > 0 || quarantined.length > 0) ? 'archived-partial' : kindStatus;
  assertTimeFor(invocation, FINAL_WRITES_RESERVE_MS);
  const summary = (await writeDocuments(deps, check, prefix, recordStatus, answer, status, evidence, ctx.retention, now))!;
  const record = buildRecord({
    check,
    status: recordStatus,
    outcome,
    providerStatus: status.providerStatus,
    confidence: 'confidence' in status ? status.confidence : undefined,
    decision: check.provider === 'verification' ? textField(answer.json, 'decision') : undefined,
    times: status.times,
    evidence: summary,
    retention,
    ...(subjectHash ? { subjectHash } : {}),
    drift: status.drift,
    ...detailOf(status, options),
    archivedAt: now,
    ...(status.kind === 'escalated' ? { escalation: status.escalation } : {}),
  }, deps);
  deps.logger?.info('check archived', {
    provider: check.provider,
    checkRef: check.checkRef,
    status: recordStatus,
    objects: summary.objects,
    bytes: summary.bytes,
    missing: summary.missing,
    quarantined: quarantined.length,
    uninterpreted: status.drift?.uninterpreted.length ?? 0,
  });
  return writeRecord(deps, existing, record, lease, invocation);
}

/** Why the record ends where it does, in words: the no-result reason, or polling that ended first. */
function detailOf(status: CheckStatus, options: ArchiveOptions): { detail?: string } {
  if (status.kind === 'no-result') return { detail: status.detail };
  if (status.kind === 'pending') return { detail: POLLING_ENDED_PENDING };
  if (status.kind === 'escalated' && options.pollingEnded) return { detail: ESCALATION_POLLING_ENDED };
  return {};
}

/**
 * answer.json (or answer.bin): the provider's answer as received, with when and how it came; byte for byte but for
 * an echoed check token and the query strings of signed URLs (credentials, not evidence).
 */
async function storeAnswer(ctx: EvidenceContext, answer: ProviderAnswer): Promise<ManifestObject> {
  const isJson = answer.json !== undefined;
  const { body, count: signedUrlsStripped } = stripSignedUrls(answer.body);
  const key = ctx.prefix + answerFileOf(isJson);
  const archivedAt = ctx.now().toISOString();
  const source = {
    kind: 'answer-as-received' as const,
    httpStatus: answer.httpStatus,
    receivedAt: answer.receivedAt,
    ...(answer.contentType ? { contentType: answer.contentType } : {}),
    ...(answer.scrubbed > 0 ? { scrubbed: answer.scrubbed } : {}),
    ...(signedUrlsStripped > 0 ? { signedUrlsStripped } : {}),
  };
  const stored = await ctx.store.putBuffer(key, body, {
    // Not JSON (an HTML error page, plain text): kept, but never rendered inline.
    ...(isJson ? { contentType: 'application/json' } : { contentType: 'application/octet-stream', contentDisposition: 'attachment' }),
    retention: ctx.retention,
    metadata: { source: JSON.stringify({ kind: source.kind, httpStatus: source.httpStatus }), 'archived-at': archivedAt },
  });
  return { ...stored, source, archivedAt };
}

/** manifest.json then result.json, after every image: the manifest lists them all, result.json included. */
async function writeDocuments(
  deps: Pick<ArchiveDeps, 'store'>,
  check: WorkflowCheck,
  prefix: string,
  status: RecordStatus,
  answer: ProviderAnswer | undefined,
  interpreted: CheckStatus | undefined,
  evidence: Evidence,
  retention: ObjectRetention,
  now: Date,
): Promise<NonNullable<RecordInput['evidence']> | undefined> {
  const archivedAt = now.toISOString();
  const resultKey = prefix + RESULT_FILE;
  const manifestKey = prefix + MANIFEST_FILE;
  // result.json: the answer readable, images replaced by references; only for an answer that is JSON.
  const resultBody =
    answer?.json === undefined
      ? undefined
      : Buffer.from(`${JSON.stringify(withoutSignedUrls(documentWithReferences(answer.json, evidence.replacements)), null, 2)}\n`);
  const resultEntry: ManifestObject[] = resultBody
    ? [{ key: resultKey, sha256: sha256Of(resultBody), bytes: resultBody.length, contentType: 'application/json', source: { kind: 'provider-answer' }, archivedAt }]
    : [];
  const drift = interpreted?.drift;
  const manifest = buildManifest({
    provider: check.provider,
    checkRef: check.checkRef,
    status,
    archivedAt,
    objects: [...evidence.objects, ...resultEntry],
    missing: evidence.missing,
    ...(drift?.uninterpreted.length ? { uninterpreted: drift.uninterpreted } : {}),
    ...(drift?.readAsUtc.length ? { readAsUtc: drift.readAsUtc } : {}),
  });
  const manifestBody = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const json = { contentType: 'application/json', retention };
  // Written under the check's lease, and only while no final record exists: it replaces no other run's manifest.
  await deps.store.putBuffer(manifestKey, manifestBody, json);
  if (resultBody) await deps.store.putBuffer(resultKey, resultBody, json);
  const quarantined = manifest.objects.filter((object) => object.quarantined);
  return {
    objects: manifest.objects.length + 1,
    bytes: manifest.objects.reduce((sum, object) => sum + object.bytes, manifestBody.length),
    images: manifest.objects.filter((object) => isImageSource(object.source.kind)).length,
    manifestKey,
    manifestSha256: sha256Of(manifestBody),
    ...(resultBody ? { resultKey } : {}),
    answerKey: evidence.objects.find((object) => object.source.kind === 'answer-as-received')?.key,
    missing: evidence.missing.map((entry) => entry.reason),
    missingCount: missingCountOf(evidence.missing),
    quarantined: quarantined.map((object) => object.quarantined!.reason),
    encodedByHost: manifest.objects.filter((object) => object.receivedEncoding).length,
  };
}

function isImageSource(kind: string): boolean {
  return kind !== 'answer-as-received' && kind !== 'provider-answer' && kind !== 'unknown';
}

function sha256Of(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The check's retention on its class's clock, with what the ledger knows of its subject (relationship closed, last interaction). */
async function retentionFor(deps: RecordDeps, check: WorkflowCheck, outcome: string, existing: CheckRecord | undefined, now: Date, subjectHash: string | undefined) {
  const subject = subjectHash === undefined ? undefined : ((await deps.ledger?.subject(subjectHash)) ?? {});
  const { retention, warning, shorterRequestRefused } = computeRetention(deps.retention, {
    provider: check.provider,
    outcome,
    requestedClass: check.retentionClass,
    legalHold: existing?.legalHold,
    ...(subject ? { subject } : {}),
    createdAt: check.createdAt,
    now,
  });
  if (warning) deps.logger?.warn(warning, { checkRef: check.checkRef });
  if (shorterRequestRefused) deps.onShorterRetentionRefused?.();
  return retention;
}

/**
 * The record last: conditional on this run's lease, keeps a legal hold and a refused erasure request, carries the
 * open-check bookkeeping, and yields to a record that got further meanwhile (or to the tombstone of an erased check).
 */
async function writeRecord(
  deps: RecordDeps,
  existing: CheckRecord | undefined,
  record: CheckRecord,
  lease: Lease,
  invocation: Invocation,
): Promise<ArchiveOutput> {
  assertTimeFor(invocation, 0);
  const carried = existing?.erasureRequested ? { ...record, erasureRequested: existing.erasureRequested } : record;
  const item = { ...withHoldOf(existing, carried), ...openStateOf(record, existing, deps.now()) };
  const { written, record: stored } = await deps.records.write(item, { lease });
  if (!written) deps.logger?.info('newer record kept', { checkRef: record.checkRef, status: stored.status });
  return written ? summaryOf(stored) : { ...summaryOf(stored), recorded: false };
}

/**
 * What a record keeps of the open item it replaces (the execution reconcile looks at, restarts, retries), and whether
 * it stays open itself: an escalation under review (its workflow still runs) and an error record (reconcile retries
 * it while its evidence may still be had) do; every other record is final and leaves the open index.
 */
function openStateOf(record: CheckRecord, existing: CheckRecord | undefined, now: Date): OpenBookkeeping {
  const kept: OpenBookkeeping = {
    ...(existing?.executionName ? { executionName: existing.executionName } : {}),
    ...(existing?.restarts !== undefined ? { restarts: existing.restarts } : {}),
    ...(existing?.startedAt ? { startedAt: existing.startedAt } : {}),
    ...(existing?.retries !== undefined ? { retries: existing.retries } : {}),
  };
  if (record.status === 'escalated') return { ...kept, openShard: openShardOf(record.checkRef), reconcileAt: nextLookAt(existing?.startedAt, now) };
  if (record.status === 'error') {
    return { ...kept, openShard: openShardOf(record.checkRef), reconcileAt: new Date(now.getTime() + ERROR_RETRY_AFTER_MS).toISOString() };
  }
  return kept;
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

function objectRetention(retention: { retentionClass: string; retainUntil: string; legalHold: boolean; erasable: boolean }): ObjectRetention {
  return { retentionClass: retention.retentionClass, retainUntil: retention.retainUntil, legalHold: retention.legalHold, erasable: retention.erasable };
}

/** The check must name itself by the keyed hash of its id: keys and records then cannot carry the id (a bearer token). */
function validateCheck(check: WorkflowCheck, key: IdentifierKey): void {
  if (!check || !(PROVIDERS as readonly string[]).includes(check.provider)) {
    throw new InvalidCheckInputError('check: unknown provider');
  }
  if (typeof check.checkId !== 'string' || check.checkId === '') throw new InvalidCheckInputError('check: empty checkId');
  if (check.checkRef !== checkRefOf(key, check.provider, check.checkId)) {
    throw new InvalidCheckInputError('check: checkRef is not the keyed hash of the check id');
  }
  if (typeof check.createdAt !== 'string' || Number.isNaN(Date.parse(check.createdAt))) {
    throw new InvalidCheckInputError('check: createdAt is not a date');
  }
}

/** Who the check is about: the event's subjectKey, else (KYC) the clientKey of the event or of the answer. */
function subjectKeyOf(check: WorkflowCheck, answer: unknown): string | undefined {
  if (check.subjectKey) return check.subjectKey;
  if (check.provider !== 'kyc') return undefined;
  return check.clientKey || textField(answer, 'clientKey') || undefined;
}

function textField(value: unknown, field: string): string | undefined {
  const candidate = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  return typeof candidate === 'string' || typeof candidate === 'number' || typeof candidate === 'boolean' ? String(candidate) : undefined;
}

/** The store, stamping every object it writes with the check's date (keys no longer carry it, see keys.ts). */
function datedStore(store: EvidenceStore, check: WorkflowCheck): EvidenceStore {
  const createdAt = new Date(check.createdAt);
  if (Number.isNaN(createdAt.getTime())) return store;
  const dated = (options: PutOptions): PutOptions => ({ ...options, metadata: { ...options.metadata, [CREATED_AT_METADATA]: createdAt.toISOString() } });
  return {
    putBuffer: (key, body, options) => store.putBuffer(key, body, dated(options)),
    putStream: (key, body, options) => store.putStream(key, body, dated(options)),
    listKeys: (prefix) => store.listKeys(prefix),
    readBack: (key, options) => store.readBack(key, options),
    headMetadata: (key) => store.headMetadata(key),
  };
}
