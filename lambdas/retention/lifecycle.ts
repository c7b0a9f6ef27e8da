/**
 * S3 lifecycle expirations, as S3 reports them to EventBridge (`Object Deleted`, reason `Lifecycle Expiration`): one
 * receipt per object version deleted or delete marker placed, naming the key, the version and what S3 did. The key
 * says which check, in either key layout (archive/keys.ts checkOfKey); the tag that chose the rule is gone with the object.
 */
import { checkOfKey } from '../archive/keys';
import { PROVIDERS, type ProviderName } from '../checks/check-status';
import type { RetentionDeps } from './deps';
import type { StoredReceipt } from './receipts';

export interface S3DeletedEvent {
  id: string;
  source: 'aws.s3';
  'detail-type': 'Object Deleted';
  time: string;
  detail: { bucket?: { name?: string }; object?: { key?: string; 'version-id'?: string }; reason?: string; 'deletion-type'?: string };
}

export function isLifecycleExpiration(event: unknown): event is S3DeletedEvent {
  const e = event as Partial<S3DeletedEvent> | null;
  return e?.source === 'aws.s3' && e['detail-type'] === 'Object Deleted' && e.detail?.reason === 'Lifecycle Expiration';
}

export async function lifecycleReceipt(deps: RetentionDeps, event: S3DeletedEvent): Promise<StoredReceipt> {
  const key = event.detail.object?.key ?? '';
  const check = checkOfKey(key);
  const provider = check && (PROVIDERS as readonly string[]).includes(check.provider) ? (check.provider as ProviderName) : undefined;
  const versionId = event.detail.object?.['version-id'];
  const deletionType = event.detail['deletion-type'];
  return deps.receipts.append(
    {
      kind: 'lifecycle-expiration',
      deletedAt: event.time,
      ...(provider ? { provider, checkRef: check!.checkRef } : {}),
      reason: deletionType === 'Delete Marker Created' ? 'lifecycle rule expired the object (a delete marker; the version follows)' : 'lifecycle rule deleted the object version',
      deleted: { key, ...(versionId ? { versionId } : {}), ...(deletionType ? { deletionType } : {}) },
      by: 's3-lifecycle',
    },
    `lifecycle:${event.id}`,
  );
}
