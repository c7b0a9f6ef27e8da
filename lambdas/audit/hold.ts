/**
 * Legal hold of one check: the record's expiry is suspended (no `ttl`, visible past retainUntil); every archived
 * object's lifecycle tag becomes `legal-hold`, which no expiration rule matches (with or without Object Lock); and,
 * where the bucket has Object Lock, every object (its current version) also gets an S3 legal hold.
 *
 * Order makes a partial failure safe: hold → record first, then objects; release → objects first, then record. A
 * failure in between leaves the check held in the record, and running the same command again finishes the job.
 */
import {
  GetObjectLockConfigurationCommand,
  GetObjectTaggingCommand,
  PutObjectLegalHoldCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { storageErrorFrom } from '../common/storage-errors';
import { createLimiter } from '../archive/limiter';
import type { CheckRecord } from '../records/record';
import { LEGAL_HOLD_TAG_VALUE, RETENTION_CLASS_TAG } from '../records/retention';
import { parseManifest, prefixOf, readDocument } from './archive-reader';
import type { AuditDeps } from './deps';
import { LegalHoldIncompleteError } from './errors';

export interface HoldResult {
  record: CheckRecord;
  /** Objects whose lifecycle tag (and, with Object Lock, S3 legal hold) was set (hold) or lifted (release). */
  objects: number;
  objectLock: boolean;
}

export interface HoldOptions {
  /** Whether the bucket has Object Lock (see detectObjectLock). */
  objectLock: boolean;
  reason?: string;
}

export async function applyHold(deps: AuditDeps, record: CheckRecord, options: HoldOptions): Promise<HoldResult> {
  const held = await deps.records.applyLegalHold(record.provider, record.checkRef, {
    now: deps.now(),
    ...(options.reason ? { reason: options.reason } : {}),
  });
  const objects = await setObjectHolds(deps, record, 'ON', options.objectLock);
  return { record: held, objects, objectLock: options.objectLock };
}

export async function releaseHold(deps: AuditDeps, record: CheckRecord, options: Pick<HoldOptions, 'objectLock'>): Promise<HoldResult> {
  const objects = await setObjectHolds(deps, record, 'OFF', options.objectLock);
  const released = await deps.records.releaseLegalHold(record.provider, record.checkRef);
  return { record: released, objects, objectLock: options.objectLock };
}

/**
 * True when the bucket has Object Lock enabled. Throws a StorageRejectedError (e.g. AccessDenied) when it cannot
 * tell; callers then ask the user to say so explicitly.
 */
export async function detectObjectLock(deps: AuditDeps): Promise<boolean> {
  try {
    const output = await deps.s3.send(new GetObjectLockConfigurationCommand({ Bucket: deps.bucket }));
    return output.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
  } catch (error) {
    if ((error as { name?: unknown })?.name === 'ObjectLockConfigurationNotFoundError') return false;
    throw storageErrorFrom(error, 'S3 GetObjectLockConfiguration');
  }
}

/** Every object of the check: the manifest's list and the manifest itself. */
async function setObjectHolds(deps: AuditDeps, record: CheckRecord, status: 'ON' | 'OFF', objectLock: boolean): Promise<number> {
  if (!record.manifestKey) return 0;
  const manifestRead = await readDocument(deps, record.manifestKey);
  const parsed = manifestRead.found ? parseManifest(manifestRead.body) : undefined;
  if (!parsed?.ok) {
    throw new LegalHoldIncompleteError(
      `the manifest of ${record.provider} check ${record.checkRef} cannot be read: object legal holds not ${status === 'ON' ? 'set' : 'lifted'} (run verify)`,
    );
  }
  const prefix = prefixOf(record) ?? record.manifestKey;
  // Keys outside the check's folder (a manifest that was tampered with) are not this check's to hold.
  const keys = [record.manifestKey, ...parsed.manifest.objects.map((object) => object.key).filter((key) => key.startsWith(prefix))];
  const limit = createLimiter(4);
  const failures: string[] = [];
  await Promise.all(
    keys.map((key) =>
      limit(async () => {
        try {
          if (objectLock) await deps.s3.send(new PutObjectLegalHoldCommand({ Bucket: deps.bucket, Key: key, LegalHold: { Status: status } }));
        } catch (error) {
          failures.push(storageErrorFrom(error, 'S3 PutObjectLegalHold').message);
          return;
        }
        try {
          await retag(deps, key, status === 'ON' ? LEGAL_HOLD_TAG_VALUE : record.retentionClass);
        } catch (error) {
          failures.push(storageErrorFrom(error, 'S3 PutObjectTagging').message);
        }
      }),
    ),
  );
  if (failures.length > 0) {
    throw new LegalHoldIncompleteError(
      `${failures.length} of ${keys.length} objects of ${record.provider} check ${record.checkRef} kept their legal hold state (${[...new Set(failures)].join('; ')}); run the command again`,
    );
  }
  return keys.length;
}

/** Sets the lifecycle tag, keeping the object's other tags (its sha256). */
async function retag(deps: AuditDeps, key: string, value: string): Promise<void> {
  const { TagSet = [] } = await deps.s3.send(new GetObjectTaggingCommand({ Bucket: deps.bucket, Key: key }));
  const others = TagSet.filter((tag) => tag.Key !== RETENTION_CLASS_TAG);
  await deps.s3.send(
    new PutObjectTaggingCommand({ Bucket: deps.bucket, Key: key, Tagging: { TagSet: [...others, { Key: RETENTION_CLASS_TAG, Value: value }] } }),
  );
}
