/**
 * The receipts' locked copies in S3: `receipts/<seq, 12 digits>.json` in the receipts bucket, whose default Object
 * Lock retention (COMPLIANCE) no one can shorten or lift. Each is created once (`If-None-Match: *`; the bucket policy
 * refuses a put without it), so a sealed receipt is never replaced by a new version either. s3rver ignores the
 * condition: locally, a seal can be overwritten, which verify then reports as a difference.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StorageRejectedError, storageErrorFrom } from '../common/storage-errors';
import { receiptSortKey } from '../records/ledger';
import type { ReceiptSeal } from './receipts';

export const RECEIPT_PREFIX = 'receipts/';

export function receiptKeyOf(seq: number): string {
  return `${RECEIPT_PREFIX}${receiptSortKey(seq)}.json`;
}

export function s3ReceiptSeal({ client, bucket, kmsKeyId }: { client: S3Client; bucket: string; kmsKeyId?: string }): ReceiptSeal {
  async function get(seq: number): Promise<string | undefined> {
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: receiptKeyOf(seq) }));
      return await object.Body!.transformToString('utf8');
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
      throw storageErrorFrom(error, 'S3 GetObject (receipts)');
    }
  }

  return {
    get,
    async put(seq, body) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: receiptKeyOf(seq),
            Body: Buffer.from(body, 'utf8'),
            ContentType: 'application/json',
            IfNoneMatch: '*',
            // Without a key named, the bucket's default encryption (the stack's key) applies.
            ...(kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: kmsKeyId } : {}),
          }),
        );
      } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name !== 'PreconditionFailed' && e.$metadata?.httpStatusCode !== 412) throw storageErrorFrom(error, 'S3 PutObject (receipts)');
        // Sealed already: by this receipt (a retried writer), or by another text (the chain was tampered with).
        if ((await get(seq)) !== body) throw new StorageRejectedError(`receipts: receipt ${seq} is already sealed with another text`);
      }
    },
    async list() {
      const seqs: number[] = [];
      let ContinuationToken: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: RECEIPT_PREFIX, ContinuationToken }));
        } catch (error) {
          throw storageErrorFrom(error, 'S3 ListObjectsV2 (receipts)');
        }
        for (const object of page.Contents ?? []) {
          const match = /^receipts\/(\d{12})\.json$/.exec(object.Key ?? '');
          if (match) seqs.push(Number(match[1]));
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return seqs;
    },
  };
}
