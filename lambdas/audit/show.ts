/**
 * One check as an auditor sees it: the record, the provider's answer (result.json, images replaced by references to
 * the archive; the answer as received is one URL away), and short-lived presigned URLs for every archived image,
 * quarantined items marked. Shared by `show` and GET /checks/{p}/{id}.
 */
import { MANIFEST_FILE } from '../archive/keys';
import type { ManifestObject, MissingImage, ObjectSource } from '../archive/manifest';
import type { CheckRecord } from '../records/record';
import { parseManifest, prefixOf, readDocument } from './archive-reader';
import type { AuditDeps } from './deps';
import { DEFAULT_URL_EXPIRY_SECONDS, presignGetObject, urlExpiryOf } from './presign';
import { publicRecordOf, type PublicRecord } from './records';

/** Objects that are documents of the check, not images. */
const DOCUMENT_SOURCES: ReadonlySet<string> = new Set(['provider-answer', 'answer-as-received']);

/** result.json larger than this is not inlined (the API's response limit is 6 MB): its URL is given instead. */
export const MAX_INLINE_RESULT_BYTES = 4 * 1024 * 1024;

export interface ShownImage {
  /** Relative to the check's folder, e.g. frames/probe.jpg. */
  key: string;
  contentType: string;
  bytes: number;
  sha256: string;
  source: ObjectSource;
  /** Not a valid image, kept as received: offered only as a download (its URL says attachment, octet-stream). */
  quarantined?: { reason: string };
  /** Liveness: the face's bounding box the provider reported for this frame, as the manifest keeps it (unread). */
  boundingBox?: unknown;
  url: string;
}

export interface ShownCheck {
  record: PublicRecord;
  /** The provider's answer; absent for checks without one, or when larger than MAX_INLINE_RESULT_BYTES. */
  result?: unknown;
  /** Why `result` is absent although the record names a result.json. */
  resultNote?: string;
  /** Presigned URLs: the manifest, result.json, and the provider's answer exactly as received. */
  documents: { manifest?: string; result?: string; answer?: string };
  images: ShownImage[];
  /** Images the archive could not capture, with the reason recorded at the time. */
  missingImages: MissingImage[];
  urlsExpireAt?: string;
}

export async function showCheck(deps: AuditDeps, record: CheckRecord, options: { expiresIn?: number } = {}): Promise<ShownCheck> {
  const expiresIn = urlExpiryOf(options.expiresIn ?? DEFAULT_URL_EXPIRY_SECONDS);
  const presign = (key: string, contentType?: string) =>
    presignGetObject(deps.s3, deps.bucket, key, expiresIn, { fileName: key.slice(key.lastIndexOf('/') + 1), ...(contentType ? { contentType } : {}) });
  const shown: ShownCheck = { record: publicRecordOf(record), documents: {}, images: [], missingImages: [] };
  const prefix = prefixOf(record);
  if (!prefix || !record.manifestKey) return shown;

  const manifestRead = await readDocument(deps, record.manifestKey);
  const parsed = manifestRead.found ? parseManifest(manifestRead.body) : undefined;
  const objects: ManifestObject[] = parsed?.ok ? parsed.manifest.objects : [];
  if (parsed?.ok) shown.missingImages = parsed.manifest.missing;

  if (record.resultKey) {
    const resultRead = await readDocument(deps, record.resultKey, MAX_INLINE_RESULT_BYTES);
    if (resultRead.found) {
      try {
        shown.result = JSON.parse(resultRead.body.toString('utf8'));
      } catch {
        shown.resultNote = 'result.json is not valid JSON (run verify)';
      }
    } else {
      shown.resultNote = `result.json not shown: ${resultRead.reason}`;
    }
  }

  const signedAt = Date.now(); // the signer's clock, not deps.now (which decides retention)
  shown.documents.manifest = await presign(record.manifestKey, 'application/json');
  if (record.resultKey) shown.documents.result = await presign(record.resultKey, 'application/json');
  // The answer as received is whatever the provider sent (answer.bin when it was not JSON): a download.
  if (record.answerKey) shown.documents.answer = await presign(record.answerKey);
  for (const object of objects) {
    if (DOCUMENT_SOURCES.has(object.source.kind) || !object.key.startsWith(prefix) || object.key.endsWith(`/${MANIFEST_FILE}`)) continue;
    shown.images.push({
      key: object.key.slice(prefix.length),
      contentType: object.contentType,
      bytes: object.bytes,
      sha256: object.sha256,
      source: object.source,
      ...(object.quarantined ? { quarantined: object.quarantined } : {}),
      ...(object.boundingBox !== undefined ? { boundingBox: object.boundingBox } : {}),
      // A quarantined item may be anything, HTML included: octet-stream whatever it was stored as.
      url: await presign(object.key, object.quarantined === undefined ? object.contentType : undefined),
    });
  }
  shown.urlsExpireAt = new Date(signedAt + expiresIn * 1000).toISOString();
  return shown;
}
