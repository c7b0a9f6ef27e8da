/**
 * manifest.json: every object archived for a check (key, sha256, bytes, content type, where it came from, when) and
 * every image that should be there but is not, with the reason. It lists everything under the check's prefix except
 * itself.
 */
import type { MissingReason, RecordStatus } from '../records/record';
import type { ProviderName } from '../checks/check-status';
import type { ImageRejectedReason } from './intake/errors';
import type { KycLinkKind } from './keys';

/** Where an image came from. Never a full URL: only its host (paths and queries may identify people or sign access). */
export type ImageSource =
  | { kind: 'liveness-probe'; host?: string }
  | { kind: 'liveness-frame'; index: number; host?: string }
  | { kind: 'kyc-image'; task: number; taskType: string; link: KycLinkKind; index: number; attempt?: number; host?: string }
  /** An image of a task's check item: the faces task's compared pair (`checks[group].items[item].images[index]`). */
  | { kind: 'kyc-check-image'; task: number; taskType: string; group: number; item: number; index: number; host?: string };

/**
 * `answer-as-received`: the provider's answer byte for byte (answer.json/.bin); `provider-answer`: result.json, the
 * same answer with image data replaced by references; `unknown`: an object an earlier attempt stored whose source
 * metadata could not be read.
 */
export type ObjectSource =
  | ImageSource
  | {
      kind: 'answer-as-received';
      httpStatus: number;
      receivedAt: string;
      contentType?: string;
      /** Occurrences of the check's secret (a liveness token) replaced. */
      scrubbed?: number;
      /** Signed URLs kept without their query string (signed-urls.ts). */
      signedUrlsStripped?: number;
    }
  | { kind: 'provider-answer' }
  | { kind: 'unknown' };

export interface ManifestObject {
  /** Full S3 key. */
  key: string;
  sha256: string;
  bytes: number;
  contentType: string;
  source: ObjectSource;
  archivedAt: string;
  /** Liveness: the face's bounding box the provider reported for this frame. */
  boundingBox?: unknown;
  /** Captured by an earlier attempt of this archive that crashed before recording; the source no longer serves it. */
  fromEarlierRun?: true;
  /** Not a valid image: kept as received under quarantine/, served only as a download. */
  quarantined?: { reason: ImageRejectedReason };
  /** The host sent the image with this Content-Encoding although identity was asked; the object is the decoded bytes. */
  receivedEncoding?: string;
}

export interface MissingImage {
  source: ImageSource;
  reason: MissingReason;
  /** Short and free of personal data: a rule name, a rejection reason, an HTTP status. */
  detail: string;
  /** Images this entry stands for (the images over the per-check cap are one entry, from `source` on). @default 1 */
  count?: number;
}

/** How many images the missing entries stand for. */
export function missingCountOf(missing: readonly MissingImage[]): number {
  return missing.reduce((sum, entry) => sum + (entry.count ?? 1), 0);
}

export interface Manifest {
  schemaVersion: 1;
  provider: ProviderName;
  checkRef: string;
  status: RecordStatus;
  archivedAt: string;
  objects: ManifestObject[];
  missing: MissingImage[];
  /** Documented fields of the answer that could not be interpreted, and timestamps read as UTC (see the record). */
  uninterpreted?: string[];
  readAsUtc?: string[];
}

export function buildManifest(fields: Omit<Manifest, 'schemaVersion' | 'objects'> & { objects: ManifestObject[] }): Manifest {
  return {
    schemaVersion: 1,
    ...fields,
    // Stable order: the same archive gives the same manifest, whatever order the downloads finished in.
    objects: [...fields.objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  };
}
