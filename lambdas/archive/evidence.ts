/**
 * What the provider-specific collectors share: their context, their result, and the two ways an image enters the
 * archive (a decoded buffer, a download stream) with the rules for what happens when it cannot.
 */
import { createHash } from 'node:crypto';
import type { StructuredLogger } from '../common/logger';
import type { MissingReason } from '../records/record';
import type { DownloadPolicy, ImageMediaType, ImageRejectedReason } from './intake';
import { DownloadFailedError, DownloadRefusedError, ImageGoneError, ImageRejectedError } from './intake/errors';
import { openImageDownload, extensionOf } from './intake';
import { StorageRejectedError, StorageUnavailableError } from '../common/storage-errors';
import { ANSWER_STEM, MANIFEST_FILE, QUARANTINE_FOLDER, RESULT_FILE, stemOf, withExtension, type KycLinkKind } from './keys';
import { ArchiveTimeBudgetError } from './errors';
import type { Limiter } from './limiter';
import type { ImageSource, ManifestObject, MissingImage, ObjectSource } from './manifest';
import type { ImageReference, JsonPath, Replacement } from './result-document';
import type { EvidenceStore, ObjectRetention, PutOptions } from './s3-store';

export interface ArchiveLimits {
  /** Largest decoded liveness frame stored as an image (bytes). */
  maxFrameBytes: number;
  /** Largest downloaded KYC image stored as an image (bytes); the download policy's own cap applies too. */
  maxImageBytes: number;
  /**
   * Largest item kept in quarantine: what is not an image, or an image over its cap up to this. Past it only the
   * provider's answer (and the record's note) remains.
   */
  quarantineMaxBytes: number;
  /** Images kept per check; the rest are `over-limit` (one missing entry with their count). */
  maxImagesPerCheck: number;
  /**
   * Image bytes kept per check; once spent, further images are `over-limit`. Checked before each image starts, so the
   * overshoot is at most the images in flight (concurrency × their cap).
   */
  maxBytesPerCheck: number;
  /** Images decoded or downloaded at the same time. */
  concurrency: number;
}

/** What is left of one check's byte cap (shared by its collectors). */
export interface CheckBudget {
  bytesLeft: number;
}

export interface EvidenceContext {
  store: EvidenceStore;
  /** The check's folder (see keys.ts), ending in `/`. */
  prefix: string;
  retention: ObjectRetention;
  limit: Limiter;
  limits: ArchiveLimits;
  budget: CheckBudget;
  downloadPolicy: DownloadPolicy;
  kycImageLinks: readonly KycLinkKind[];
  earlier: EarlierRun;
  now: () => Date;
  /** Milliseconds this invocation may still start work in (its deadline minus what the final writes need). */
  timeLeft: () => number;
  /** Aborted when one image of the batch failed for good: the others stop instead of landing after the re-run. */
  signal: AbortSignal;
  logger?: StructuredLogger;
}

/** What a collector archived, what it could not, and how to rewrite the provider's answer to point at the archive. */
export interface Evidence {
  objects: ManifestObject[];
  missing: MissingImage[];
  replacements: Replacement[];
}

export const NO_EVIDENCE: Evidence = { objects: [], missing: [], replacements: [] };

/** An image is not started with less time than one download may take (its timeout) plus a margin. */
export const IMAGE_TIME_RESERVE_MS = 40_000;

/**
 * Runs one task per image through the context's limiter. The first task that fails for good (storage, time budget)
 * aborts the rest — downloads in flight stop, tasks not started never start — and every task is waited for before
 * the error is rethrown, so no upload of this run lands after it has given up.
 */
export async function settleAll<T>(ctx: EvidenceContext & { abort?: () => void }, tasks: Array<() => Promise<T>>): Promise<T[]> {
  let failure: { error: unknown } | undefined;
  const results = await Promise.allSettled(
    tasks.map((task) =>
      ctx.limit(async () => {
        if (failure || ctx.signal.aborted) throw new BatchAbortedError();
        try {
          return await task();
        } catch (error) {
          failure ??= { error };
          ctx.abort?.();
          throw error;
        }
      }),
    ),
  );
  if (failure) throw failure.error;
  if (ctx.signal.aborted) throw new BatchAbortedError();
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

class BatchAbortedError extends Error {
  override readonly name = 'BatchAbortedError';
}

/** Attempts per image when the download fails transiently (connection reset, timeout, 5xx). */
export const DOWNLOAD_ATTEMPTS = 3;
const RETRY_DELAY_MS = 150;

/** One image to archive: where it goes, where it came from, where it sits in the provider's answer. */
export interface PlannedImage {
  stem: string;
  source: ImageSource;
  path: JsonPath;
  boundingBox?: unknown;
}

type Outcome = { object: ManifestObject; replacement: Replacement } | { missing: MissingImage; replacement: Replacement };

/**
 * Quarantined items are served only as downloads: never rendered inline by a browser, whatever their bytes are
 * (an SVG with script, an HTML page posing as an image).
 */
const QUARANTINE_CONTENT = { contentType: 'application/octet-stream', contentDisposition: 'attachment' } as const;

/**
 * The images a collector may take: the first maxImagesPerCheck. The others become one `over-limit` missing entry with
 * their count, and each is replaced in result.json by a short marker (answer.json keeps them as received).
 */
export function withinImageCap<T extends PlannedImage>(ctx: EvidenceContext, planned: T[]): { taken: T[]; over: Evidence } {
  const cap = ctx.limits.maxImagesPerCheck;
  if (planned.length <= cap) return { taken: planned, over: NO_EVIDENCE };
  const rest = planned.slice(cap);
  const detail = `${rest.length} of ${planned.length} images over the per-check cap of ${cap}`;
  ctx.logger?.warn('images over the per-check cap', { kept: cap, over: rest.length });
  return {
    taken: planned.slice(0, cap),
    over: {
      objects: [],
      missing: [{ source: rest[0]!.source, reason: 'over-limit', detail, count: rest.length }],
      replacements: rest.map((image) => ({ path: image.path, value: { missing: 'over-limit', detail: 'per-check cap' } })),
    },
  };
}

/** Whether the check's byte cap is spent: then the image is `over-limit`. */
function overByteCap(ctx: EvidenceContext, image: PlannedImage): Outcome | undefined {
  if (ctx.budget.bytesLeft > 0) return undefined;
  return missing(image, 'over-limit', `per-check byte cap of ${ctx.limits.maxBytesPerCheck} reached`);
}

function spend(ctx: EvidenceContext, bytes: number): void {
  ctx.budget.bytesLeft -= bytes;
}

/** Stores a decoded image (a liveness frame). S3 failures propagate as typed storage errors. */
export async function storeDecoded(
  ctx: EvidenceContext,
  image: PlannedImage,
  decoded: { bytes: Buffer; mediaType: ImageMediaType },
): Promise<Outcome> {
  const over = overByteCap(ctx, image);
  if (over) return over;
  spend(ctx, decoded.bytes.length);
  const key = ctx.prefix + withExtension(image.stem, extensionOf(decoded.mediaType));
  return stored(ctx, image, await ctx.store.putBuffer(key, decoded.bytes, putOptions(ctx, image, { contentType: decoded.mediaType })));
}

/** Keeps bytes that are not a valid image as received, under quarantine/, with the reason. */
export async function storeQuarantined(
  ctx: EvidenceContext,
  image: PlannedImage,
  bytes: Buffer,
  reason: ImageRejectedReason,
): Promise<Outcome> {
  const over = overByteCap(ctx, image);
  if (over) return over;
  spend(ctx, bytes.length);
  const key = quarantineKey(ctx, image);
  const object = await ctx.store.putBuffer(key, bytes, putOptions(ctx, image, QUARANTINE_CONTENT, reason));
  return stored(ctx, image, object, { reason });
}

/**
 * Downloads one image into S3 with retries for transient failures; what is not a valid image is kept in quarantine.
 * An image that cannot be had becomes a missing entry, unless an earlier attempt of this archive already stored it.
 * S3 failures propagate (the whole archive step is retried).
 */
export async function storeDownloaded(ctx: EvidenceContext, image: PlannedImage, url: string, policyOverride?: DownloadPolicy): Promise<Outcome> {
  const base = policyOverride ?? ctx.downloadPolicy;
  const policy = {
    ...base,
    maxBytes: Math.min(base.maxBytes, ctx.limits.maxImageBytes),
    quarantineMaxBytes: ctx.limits.quarantineMaxBytes,
  };
  // Resuming: what an earlier attempt already stored from this very link is kept, not downloaded again (its bytes
  // count against the check's cap as they did the first time).
  const origin = originOf(url);
  const resumed = await ctx.earlier.resume(image.stem, origin, image.source);
  if (resumed) {
    spend(ctx, resumed.bytes);
    return { object: resumed, replacement: { path: image.path, value: referenceTo(resumed, url) } };
  }
  const over = overByteCap(ctx, image);
  if (over) return over;
  if (ctx.timeLeft() < IMAGE_TIME_RESERVE_MS) {
    throw new ArchiveTimeBudgetError('archive: out of time for more images; the next attempt resumes from what is stored');
  }
  let failure: { reason: MissingReason; detail: string } = { reason: 'download-failed', detail: 'not attempted' };
  let quarantine: ImageRejectedReason | undefined;
  for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
    try {
      const download = await openImageDownload(url, policy, { signal: ctx.signal, ...(quarantine ? { quarantine } : {}) });
      const reason = download.quarantine;
      const key = reason ? quarantineKey(ctx, image) : ctx.prefix + withExtension(image.stem, extensionOf(download.mediaType!));
      const options = reason ? putOptions(ctx, image, QUARANTINE_CONTENT, reason) : putOptions(ctx, image, { contentType: download.mediaType! });
      options.metadata = { ...options.metadata, origin };
      const object = await ctx.store.putStream(key, download.body, options);
      spend(ctx, object.bytes);
      return stored(ctx, image, object, reason ? { reason } : undefined, url, download.receivedEncoding);
    } catch (error) {
      if (error instanceof StorageUnavailableError || error instanceof StorageRejectedError) throw error;
      // The batch gave up (another image failed for good): this one stops too.
      if (ctx.signal.aborted) throw new BatchAbortedError();
      // An image without Content-Length that overran its cap: fetched again, to be kept in quarantine.
      const overran = error instanceof ImageRejectedError && error.reason === 'too-large' && quarantine === undefined;
      if (overran && policy.quarantineMaxBytes > policy.maxBytes) {
        quarantine = 'too-large';
        attempt -= 1;
        continue;
      }
      failure = missingReasonOf(error);
      ctx.logger?.warn('image not archived', { stem: image.stem, attempt, reason: failure.reason, detail: failure.detail });
      if (failure.reason !== 'download-failed' || attempt === DOWNLOAD_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
    }
  }
  const recovered = await ctx.earlier.recover(image.stem, image.source);
  if (recovered) return { object: recovered, replacement: { path: image.path, value: referenceTo(recovered, url) } };
  return missing(image, failure.reason, failure.detail, { url });
}

/** A missing entry and the reference that replaces the image in result.json. */
export function missing(
  image: PlannedImage,
  reason: MissingReason,
  detail: string,
  options: { url?: string } = {},
): Outcome {
  const value: ImageReference = { missing: reason, detail, ...(options.url !== undefined ? { url: options.url } : {}) };
  return { missing: { source: image.source, reason, detail }, replacement: { path: image.path, value } };
}

function stored(
  ctx: EvidenceContext,
  image: PlannedImage,
  object: { key: string; sha256: string; bytes: number; contentType: string },
  quarantined?: { reason: ImageRejectedReason },
  url?: string,
  receivedEncoding?: string,
): Outcome {
  const entry: ManifestObject = {
    ...object,
    source: image.source,
    archivedAt: ctx.now().toISOString(),
    ...bbox(image),
    ...(quarantined ? { quarantined } : {}),
    ...(receivedEncoding ? { receivedEncoding } : {}),
  };
  return { object: entry, replacement: { path: image.path, value: referenceTo(entry, url) } };
}

function referenceTo(object: ManifestObject, url?: string): ImageReference {
  return {
    ...(url !== undefined ? { url } : {}),
    archivedKey: object.key,
    sha256: object.sha256,
    ...(object.quarantined ? { quarantined: object.quarantined.reason } : {}),
  };
}

function quarantineKey(ctx: EvidenceContext, image: PlannedImage): string {
  return `${ctx.prefix}${QUARANTINE_FOLDER}${withExtension(image.stem, 'bin')}`;
}

function putOptions(
  ctx: EvidenceContext,
  image: PlannedImage,
  content: { contentType: string; contentDisposition?: string },
  quarantineReason?: ImageRejectedReason,
): PutOptions {
  const metadata = objectMetadata(image, ctx.now().toISOString());
  if (quarantineReason) metadata['quarantine-reason'] = quarantineReason;
  return { ...content, retention: ctx.retention, metadata };
}

/** Collects outcomes into Evidence. */
export function evidenceOf(outcomes: Outcome[], over: Evidence = NO_EVIDENCE): Evidence {
  const evidence: Evidence = { objects: [], missing: [], replacements: [] };
  for (const outcome of outcomes) {
    if ('object' in outcome) evidence.objects.push(outcome.object);
    else evidence.missing.push(outcome.missing);
    evidence.replacements.push(outcome.replacement);
  }
  // A loop, not a spread: thousands of images over the cap would overflow the call's argument list.
  for (const entry of over.missing) evidence.missing.push(entry);
  for (const replacement of over.replacements) evidence.replacements.push(replacement);
  return evidence;
}

function missingReasonOf(error: unknown): { reason: MissingReason; detail: string } {
  if (error instanceof ImageGoneError) return { reason: 'window-passed', detail: `gone: HTTP ${error.status}` };
  if (error instanceof DownloadRefusedError) return { reason: 'refused', detail: String(error.rule) };
  if (error instanceof ImageRejectedError) return { reason: 'rejected', detail: String(error.reason) };
  if (error instanceof DownloadFailedError) {
    const { status, code } = error.details;
    return { reason: 'download-failed', detail: status !== undefined ? `HTTP ${status}` : (code ?? 'transient failure') };
  }
  // Anything else (a raw socket error surfacing from the body) is treated as transient: retried, then missing.
  const name = (error as { name?: unknown })?.name;
  return { reason: 'download-failed', detail: `unexpected ${typeof name === 'string' ? name : 'error'}` };
}

/** Which link an object came from, without the query (signatures change on every answer): hashed, for metadata. */
export function originOf(url: string): string {
  let stable = url;
  try {
    const parsed = new URL(url);
    stable = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    // Not a URL: the text itself.
  }
  return createHash('sha256').update(stable).digest('hex').slice(0, 32);
}

/** The quarantine reason an earlier run recorded in the object's metadata (see objectMetadata). */
function quarantineReasonOf(metadata: Record<string, string>): ImageRejectedReason {
  return (metadata['quarantine-reason'] as ImageRejectedReason | undefined) ?? 'unknown-format';
}

/** User metadata of an image object: where it came from and, for frames, its bounding box (ASCII JSON). */
function objectMetadata(image: PlannedImage, archivedAt: string): Record<string, string> {
  const metadata: Record<string, string> = { source: asciiJson(image.source), 'archived-at': archivedAt };
  if (image.boundingBox !== undefined) {
    const box = asciiJson(image.boundingBox);
    if (box.length <= 512) metadata['bounding-box'] = box;
  }
  return metadata;
}

/** The host of a link, for an image's source: never the path or query (they may identify people or sign access). */
export function hostOf(url: string): { host?: string } {
  try {
    return { host: new URL(url).hostname };
  } catch {
    return {};
  }
}

function bbox(image: PlannedImage): { boundingBox?: unknown } {
  return image.boundingBox === undefined ? {} : { boundingBox: image.boundingBox };
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Objects an earlier attempt of this archive left under the prefix (it crashed before recording). When the source
 * no longer serves an image, the copy already captured is read back, re-hashed and kept rather than lost.
 */
export interface EarlierRun {
  /** The earlier copy of this image, verified, or undefined. */
  recover(stem: string, source: ImageSource): Promise<ManifestObject | undefined>;
  /** Recovers every earlier object whose stem starts with `stemPrefix` (liveness frames past their window). */
  recoverAll(stemPrefix: string): Promise<ManifestObject[]>;
  /** Earlier objects this run neither wrote nor recovered: adopted so the manifest lists all that is stored. */
  adoptLeftovers(keysOfThisRun: ReadonlySet<string>): Promise<ManifestObject[]>;
  /** The earlier copy of an image downloaded from the same link (`origin`), verified: a resumed archive keeps it. */
  resume(stem: string, origin: string, source: ImageSource): Promise<ManifestObject | undefined>;
  /** The answer an earlier attempt kept (answer.json, parsed), read before this run replaces it; undefined if none. */
  readonly answer: unknown;
  /** The check's folder: where this run writes too. */
  readonly prefix: string;
}

/**
 * `prefixes`: where the check's objects may be, the current layout first (keys.ts archivePrefixes). The first that
 * holds objects is the check's folder — an attempt from before the key layout changed wrote the old one, and the check
 * stays there, so its manifest lists everything in one folder — else the first.
 */
export async function loadEarlierRun(store: EvidenceStore, prefixes: readonly string[]): Promise<EarlierRun> {
  let prefix = prefixes[0]!;
  let listed: string[] = [];
  for (const candidate of prefixes) {
    listed = await store.listKeys(candidate);
    if (listed.length > 0) {
      prefix = candidate;
      break;
    }
  }
  // manifest.json is rewritten by every run; everything else may be evidence of an earlier one.
  const earlierKeys = listed.filter((key) => key.slice(prefix.length) !== MANIFEST_FILE);
  // Images by stem; a quarantined copy under its image's stem, since an earlier run may have judged it either way.
  const byStem = new Map<string, string>();
  for (const key of earlierKeys) {
    const relative = key.slice(prefix.length);
    if (stemOf(relative) === ANSWER_STEM || relative === RESULT_FILE) continue;
    const stem = stemOf(relative.startsWith(QUARANTINE_FOLDER) ? relative.slice(QUARANTINE_FOLDER.length) : relative);
    if (!byStem.has(stem)) byStem.set(stem, key);
  }
  const recovered = new Set<string>();
  const answerKey = earlierKeys.find((key) => key.slice(prefix.length) === `${ANSWER_STEM}.json`);
  const answer = answerKey ? parseJson((await store.readBack(answerKey, { withBody: true })).body?.toString('utf8') ?? '') : undefined;

  async function read(key: string, source?: ObjectSource, expectOrigin?: string): Promise<ManifestObject | undefined> {
    if (expectOrigin !== undefined && (await store.headMetadata(key)).origin !== expectOrigin) return undefined;
    const object = await store.readBack(key);
    recovered.add(key);
    const { metadata } = object;
    return {
      key,
      sha256: object.sha256,
      bytes: object.bytes,
      contentType: object.contentType,
      source: source ?? parseSource(metadata.source),
      archivedAt: metadata['archived-at'] ?? 'unknown',
      ...(metadata['bounding-box'] ? { boundingBox: parseJson(metadata['bounding-box']) } : {}),
      ...(key.slice(prefix.length).startsWith(QUARANTINE_FOLDER) ? { quarantined: { reason: quarantineReasonOf(metadata) } } : {}),
      fromEarlierRun: true,
    };
  }

  const all = async (keys: string[]) => (await Promise.all(keys.map((key) => read(key)))).filter((o): o is ManifestObject => o !== undefined);
  return {
    answer,
    prefix,
    async recover(stem, source) {
      const key = byStem.get(stem);
      return key === undefined ? undefined : read(key, source);
    },
    async recoverAll(stemPrefix) {
      return all([...byStem].filter(([stem]) => stem.startsWith(stemPrefix)).map(([, key]) => key));
    },
    async adoptLeftovers(keysOfThisRun) {
      return all(earlierKeys.filter((key) => !keysOfThisRun.has(key) && !recovered.has(key)));
    },
    async resume(stem, origin, source) {
      const key = byStem.get(stem);
      return key === undefined ? undefined : read(key, source, origin);
    },
  };
}

function parseSource(text: string | undefined): ObjectSource {
  const parsed = text ? parseJson(text) : undefined;
  return parsed && typeof parsed === 'object' && typeof (parsed as { kind?: unknown }).kind === 'string'
    ? (parsed as ObjectSource)
    : { kind: 'unknown' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
