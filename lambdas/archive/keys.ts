/**
 * S3 keys of a check's archive. Deterministic (a re-run writes the same keys) and free of secrets: the check is named
 * by its checkRef hash, every other segment is ours. Keys start with the checkRef's first two hex characters (a keyed
 * hash, so uniform): a burst of checks spreads over 256 prefixes that S3 keeps partitioned from day to day, instead of
 * all landing on one new `{provider}/{yyyy}/{mm}/{dd}/` prefix every UTC day (503 SlowDown while S3 splits it). The
 * check's date is in its record (createdAt) and in every object's metadata (`check-created-at`).
 *
 *   {checkRef[0..2]}/{provider}/{checkRef}/
 *     answer.json | answer.bin                           the provider's answer as received
 *     result.json                                        the same answer, images replaced by references
 *     manifest.json                                      every object with its sha256, every image missing and why
 *     frames/probe.{ext}                                 liveness result.image
 *     frames/{index:03}.{ext}                            liveness audit_images[index]
 *     kyc/{task}-{type}/{index}.{ext}                    KYC results[task].imagesFull[index]
 *     kyc/{task}-{type}/history-{attempt}-{index}.{ext}  KYC results[task].history[attempt].imagesFull[index]
 *     kyc/{task}-{type}/check-{group}-{item}-{index}.{ext}  KYC results[task].checks[group].items[item].images[index]
 *     kyc/{task}-{type}/[history-{attempt}-]images-{index} | objects-{index} | face-selfie | face-doc  (opt-in links)
 *     quarantine/{any of the image stems above}.bin      what was not a valid image, kept as received
 */
import { InvalidCheckInputError } from '../common/errors';
import type { ProviderName } from '../checks/check-status';

export const RESULT_FILE = 'result.json';
export const MANIFEST_FILE = 'manifest.json';
/** The answer as received: `answer.json` when it is JSON, `answer.bin` otherwise. */
export const ANSWER_STEM = 'answer';
/** Where items that are not valid images are kept (served only as downloads). */
export const QUARANTINE_FOLDER = 'quarantine/';

export function answerFileOf(isJson: boolean): string {
  return withExtension(ANSWER_STEM, isJson ? 'json' : 'bin');
}

/** Object metadata that keeps the check's date, now that the key does not (the record has it too). */
export const CREATED_AT_METADATA = 'check-created-at';

/** The check's folder, ending in `/`. Throws InvalidCheckInputError for a checkRef that is not a hex hash. */
export function archivePrefix(provider: ProviderName, checkRef: string): string {
  checkRefOk(checkRef);
  return `${checkRef.slice(0, 2)}/${provider}/${checkRef}/`;
}

/**
 * The folder of the first layout, `{provider}/{yyyy}/{mm}/{dd}/{checkRef}/` (the date of createdAt in UTC). Objects
 * archived under it stay where they are: records anchor their manifest by its full key, so readers follow the record;
 * what derives a folder from the check (retention, an archive resuming an attempt from before the change) looks
 * under both (archivePrefixes). Throws InvalidCheckInputError for an unusable date or checkRef.
 */
export function legacyArchivePrefix(provider: ProviderName, createdAt: string, checkRef: string): string {
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) throw new InvalidCheckInputError('check createdAt is not a valid date');
  checkRefOk(checkRef);
  const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return `${provider}/${yyyy}/${mm}/${dd}/${checkRef}/`;
}

/** Where a check's objects may be: its folder, then its folder under the first layout (when its date is usable). */
export function archivePrefixes(provider: ProviderName, createdAt: string | undefined, checkRef: string): string[] {
  const current = archivePrefix(provider, checkRef);
  if (createdAt === undefined || Number.isNaN(Date.parse(createdAt))) return [current];
  return [current, legacyArchivePrefix(provider, createdAt, checkRef)];
}

const CHECK_KEY = /^[0-9a-f]{2}\/([a-z]+)\/([0-9a-f]{16,64})\//;
const LEGACY_CHECK_KEY = /^([a-z]+)\/\d{4}\/\d{2}\/\d{2}\/([0-9a-f]{16,64})\//;

/** The check an object key belongs to, in either layout; undefined for a key outside every check folder. */
export function checkOfKey(key: string): { provider: string; checkRef: string } | undefined {
  const current = CHECK_KEY.exec(key);
  if (current && key.startsWith(current[2]!.slice(0, 2))) return { provider: current[1]!, checkRef: current[2]! };
  const legacy = LEGACY_CHECK_KEY.exec(key);
  return legacy ? { provider: legacy[1]!, checkRef: legacy[2]! } : undefined;
}

function checkRefOk(checkRef: string): void {
  if (!/^[0-9a-f]{16,64}$/.test(checkRef)) throw new InvalidCheckInputError('checkRef is not a hex hash');
}

/** Key without extension of a liveness frame: `frames/probe` or `frames/007`. */
export function frameStem(index: number | 'probe'): string {
  return index === 'probe' ? 'frames/probe' : `frames/${String(index).padStart(3, '0')}`;
}

/** The links of a KYC task (and of each history attempt) that can be archived; imagesFull always is. */
export const KYC_LINK_KINDS = ['imagesFull', 'images', 'imageObjects', 'faceSelfie', 'faceDoc'] as const;
export type KycLinkKind = (typeof KYC_LINK_KINDS)[number];

/** Key without extension of an image of a KYC check item (the faces task's compared pair). */
export function kycCheckItemStem(task: number, taskType: string, group: number, item: number, index: number): string {
  return `kyc/${task}-${safeSegment(taskType)}/check-${group}-${item}-${index}`;
}

/** Key without extension of a KYC image (see the layout above). */
export function kycStem(task: number, taskType: string, link: KycLinkKind, index: number, attempt?: number): string {
  const folder = `kyc/${task}-${safeSegment(taskType)}`;
  const history = attempt === undefined ? '' : `history-${attempt}-`;
  const name = {
    imagesFull: `${index}`,
    images: `images-${index}`,
    imageObjects: `objects-${index}`,
    faceSelfie: 'face-selfie',
    faceDoc: 'face-doc',
  }[link];
  return `${folder}/${history}${name}`;
}

export function withExtension(stem: string, extension: string): string {
  return `${stem}.${extension}`;
}

/** A key relative to the prefix without its extension: how objects of an earlier run are matched to this run's. */
export function stemOf(relativeKey: string): string {
  const slash = relativeKey.lastIndexOf('/');
  const dot = relativeKey.lastIndexOf('.');
  return dot > slash ? relativeKey.slice(0, dot) : relativeKey;
}

/** The provider's task type as a key segment: lowercase letters, digits, dashes; `task` if nothing is left. */
function safeSegment(text: string): string {
  const clean = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32);
  return clean || 'task';
}
