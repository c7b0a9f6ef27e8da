/**
 * What retention does to a check's objects: list every version (delete markers included) and delete them all (an
 * erasure), hand them to lifecycle (an expiry: the `expired` tag, which one lifecycle rule deletes the next day), and
 * extend their Object Lock retain-until (a relationship closed). s3rver keeps no versions and answers
 * ListObjectVersions with an error: there the one object per key is what there is.
 */
import {
  DeleteObjectCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { archivePrefixes } from '../archive/keys';
import { createLimiter } from '../archive/limiter';
import type { ProviderName } from '../checks/check-status';
import { storageErrorFrom } from '../common/storage-errors';
import { LEGAL_HOLD_TAG_VALUE, RETENTION_CLASS_TAG } from '../records/retention';

export { EXPIRED_TAG_VALUE } from '../records/retention';

export interface ObjectVersion {
  key: string;
  /** Absent where the store keeps no versions (s3rver). */
  versionId?: string;
  deleteMarker?: boolean;
}

export interface EvidenceObjects {
  /** Every version under `prefix` (delete markers included). */
  versions(prefix: string): Promise<ObjectVersion[]>;
  /** Deletes each version for good. */
  deleteVersions(versions: readonly ObjectVersion[]): Promise<void>;
  /** The current keys under `prefix`. */
  keys(prefix: string): Promise<string[]>;
  /** Sets the lifecycle tag of each key (other tags kept); keys under legal hold are left alone. Returns those retagged. */
  retag(keys: readonly string[], value: string): Promise<number>;
  /** Extends each key's Object Lock retain-until to `until` where it has one that ends sooner. Returns those extended. */
  extendLock(keys: readonly string[], until: string): Promise<number>;
}

const CONCURRENCY = 8;

/** Every current key of a check, in whichever key layout its objects are (archive/keys.ts archivePrefixes). */
export async function keysOfCheck(objects: EvidenceObjects, check: { provider: ProviderName; createdAt?: string; checkRef: string }): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of archivePrefixes(check.provider, check.createdAt, check.checkRef)) keys.push(...(await objects.keys(prefix)));
  return keys;
}

/** Every version under each of `prefixes` (a check's folders in both key layouts). */
export async function versionsUnder(objects: EvidenceObjects, prefixes: readonly (string | undefined)[]): Promise<ObjectVersion[]> {
  const versions: ObjectVersion[] = [];
  for (const prefix of prefixes) if (prefix) versions.push(...(await objects.versions(prefix)));
  return versions;
}

export function s3EvidenceObjects({ client, bucket }: { client: S3Client; bucket: string }): EvidenceObjects {
  async function keys(prefix: string): Promise<string[]> {
    const found: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
      } catch (error) {
        throw storageErrorFrom(error, 'S3 ListObjectsV2');
      }
      for (const object of page.Contents ?? []) if (object.Key) found.push(object.Key);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return found;
  }

  async function versions(prefix: string): Promise<ObjectVersion[]> {
    const found: ObjectVersion[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker }));
      } catch (error) {
        const name = (error as { name?: string }).name;
        // s3rver: no versions; the current objects are all there is.
        if (name === 'MethodNotAllowed' || name === 'NotImplemented') return (await keys(prefix)).map((key) => ({ key }));
        throw storageErrorFrom(error, 'S3 ListObjectVersions');
      }
      for (const v of page.Versions ?? []) if (v.Key) found.push({ key: v.Key, ...(v.VersionId ? { versionId: v.VersionId } : {}) });
      for (const m of page.DeleteMarkers ?? []) if (m.Key) found.push({ key: m.Key, ...(m.VersionId ? { versionId: m.VersionId } : {}), deleteMarker: true });
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker);
    return found;
  }

  async function deleteVersions(list: readonly ObjectVersion[]): Promise<void> {
    const limit = createLimiter(CONCURRENCY);
    await Promise.all(
      list.map((version) =>
        limit(async () => {
          try {
            await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: version.key, ...(version.versionId ? { VersionId: version.versionId } : {}) }));
          } catch (error) {
            throw storageErrorFrom(error, 'S3 DeleteObject');
          }
        }),
      ),
    );
  }

  async function retag(list: readonly string[], value: string): Promise<number> {
    const limit = createLimiter(CONCURRENCY);
    const done = await Promise.all(
      list.map((key) =>
        limit(async () => {
          try {
            const { TagSet = [] } = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
            if (TagSet.some((tag) => tag.Key === RETENTION_CLASS_TAG && tag.Value === LEGAL_HOLD_TAG_VALUE)) return false;
            const others = TagSet.filter((tag) => tag.Key !== RETENTION_CLASS_TAG);
            await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [...others, { Key: RETENTION_CLASS_TAG, Value: value }] } }));
            return true;
          } catch (error) {
            throw storageErrorFrom(error, 'S3 PutObjectTagging');
          }
        }),
      ),
    );
    return done.filter(Boolean).length;
  }

  async function extendLock(list: readonly string[], until: string): Promise<number> {
    const limit = createLimiter(CONCURRENCY);
    const done = await Promise.all(
      list.map((key) =>
        limit(async () => {
          let current;
          try {
            current = (await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }))).Retention;
          } catch (error) {
            // No retention on this object (an erasable class, or a bucket without Object Lock): nothing to extend.
            if (['NoSuchObjectLockConfiguration', 'ObjectLockConfigurationNotFoundError', 'InvalidRequest'].includes((error as { name?: string }).name ?? '')) return false;
            throw storageErrorFrom(error, 'S3 GetObjectRetention');
          }
          if (!current?.Mode || !current.RetainUntilDate || current.RetainUntilDate.toISOString() >= until) return false;
          try {
            // Extending needs no bypass in either mode; shortening would (and is denied to everyone).
            await client.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: key, Retention: { Mode: current.Mode, RetainUntilDate: new Date(until) } }));
          } catch (error) {
            throw storageErrorFrom(error, 'S3 PutObjectRetention');
          }
          return true;
        }),
      ),
    );
    return done.filter(Boolean).length;
  }

  return { versions, deleteVersions, keys, retag, extendLock };
}
