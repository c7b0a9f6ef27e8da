/**
 * S3 adapter of the archive. Streams are hashed (sha256) and counted on their way to S3, never held whole: lib-storage
 * buffers at most (queueSize + 1) × partSize per upload. Every object carries its retention class (metadata and tag)
 * and its sha256 (tag; also metadata when known before the upload, i.e. for buffers). SSE-KMS always; Object Lock
 * retention only when the bucket has it, and only for classes kept under a legal obligation (the erasable ones must
 * stay erasable); a legal hold for any class.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { RETENTION_CLASS_TAG, lifecycleTagOf } from '../records/retention';
import { storageErrorFrom } from '../common/storage-errors';

export interface ObjectRetention {
  retentionClass: string;
  /** ISO-8601; the Object Lock retain-until date of a locked class when the store uses Object Lock. */
  retainUntil: string;
  legalHold: boolean;
  /** The class is erasable: no Object Lock retention, so an erasure can delete every version. */
  erasable: boolean;
}

export interface PutOptions {
  contentType: string;
  /** `attachment` for what must never render inline (quarantined items). */
  contentDisposition?: string;
  retention: ObjectRetention;
  /** Extra user metadata (ASCII values), e.g. the image's source and bounding box. */
  metadata?: Record<string, string>;
}

export interface StoredObject {
  key: string;
  sha256: string;
  bytes: number;
  contentType: string;
}

export interface EvidenceStore {
  putBuffer(key: string, body: Buffer, options: PutOptions): Promise<StoredObject>;
  /**
   * Streams `body` into S3. If `body` fails, its own error is rethrown unchanged (the caller decides whether the
   * source is worth another try) and no object is created; S3 failures become StorageUnavailable/RejectedError.
   */
  putStream(key: string, body: Readable, options: PutOptions): Promise<StoredObject>;
  listKeys(prefix: string): Promise<string[]>;
  /**
   * Reads an object back, hashing it on the way: what an earlier run left, verified rather than trusted. With
   * `withBody` the bytes come back too (small documents only: the earlier answer).
   */
  readBack(key: string, options?: { withBody?: boolean }): Promise<StoredObject & { metadata: Record<string, string>; body?: Buffer }>;
  /** The object's user metadata, without its bytes (HeadObject). */
  headMetadata(key: string): Promise<Record<string, string>>;
}

export interface S3StoreConfig {
  client: S3Client;
  bucket: string;
  /** SSE-KMS key; the bucket's default KMS key when absent. */
  kmsKeyId?: string;
  /** The bucket has Object Lock: each object gets this mode and the record's retain-until date. */
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE' };
  /** Multipart part size (≥ 5 MiB) and parts in flight per upload: memory per upload ≈ (queueSize + 1) × partSize. */
  partSize?: number;
  queueSize?: number;
}

const MIB = 1024 * 1024;

export function createS3Store(config: S3StoreConfig): EvidenceStore {
  const { client, bucket } = config;
  const partSize = Math.max(5 * MIB, config.partSize ?? 5 * MIB);
  const queueSize = Math.min(4, Math.max(1, config.queueSize ?? 1));

  function putParams(key: string, options: PutOptions, sha256?: string): PutObjectCommandInput {
    const lock = config.objectLock;
    return {
      Bucket: bucket,
      Key: key,
      ContentType: options.contentType,
      ...(options.contentDisposition ? { ContentDisposition: options.contentDisposition } : {}),
      Metadata: {
        ...options.metadata,
        'retention-class': options.retention.retentionClass,
        ...(sha256 ? { sha256 } : {}),
      },
      Tagging: tagQuery(lifecycleTagOf(options.retention), sha256),
      ServerSideEncryption: 'aws:kms',
      ...(config.kmsKeyId ? { SSEKMSKeyId: config.kmsKeyId } : {}),
      ...(lock && !options.retention.erasable
        ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: new Date(options.retention.retainUntil) }
        : {}),
      ...(lock && options.retention.legalHold ? { ObjectLockLegalHoldStatus: 'ON' as const } : {}),
    };
  }

  async function tag(key: string, retentionClass: string, sha256: string): Promise<void> {
    try {
      await client.send(
        new PutObjectTaggingCommand({
          Bucket: bucket,
          Key: key,
          Tagging: {
            TagSet: [
              { Key: RETENTION_CLASS_TAG, Value: retentionClass },
              { Key: 'sha256', Value: sha256 },
            ],
          },
        }),
      );
    } catch (error) {
      throw storageErrorFrom(error, 'S3 PutObjectTagging');
    }
  }

  async function putObject(key: string, body: Buffer, options: PutOptions): Promise<StoredObject> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    try {
      await client.send(new PutObjectCommand({ ...putParams(key, options, sha256), Body: body }));
    } catch (error) {
      throw storageErrorFrom(error, 'S3 PutObject');
    }
    // Tagging on PutObject is enough on S3; emulators (a custom endpoint: s3rver ignores that header) get it again.
    if (client.config.isCustomEndpoint) await tag(key, lifecycleTagOf(options.retention), sha256);
    return { key, sha256, bytes: body.length, contentType: options.contentType };
  }

  async function putStream(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const hash = createHash('sha256');
    let bytes = 0;
    let sourceError: unknown;
    // Registered before the pipeline's own listener, so the cause is known when the upload sees the stream fail.
    body.once('error', (error) => {
      sourceError ??= error;
    });
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    let abandoned = false;
    const piping = pipeline(body, counted).catch((error: unknown) => {
      // A source that ends early fails the pipeline; our own teardown after an S3 failure must not count as that.
      if (!abandoned) sourceError ??= error;
    });
    const upload = new Upload({ client, params: { ...putParams(key, options), Body: counted }, partSize, queueSize });
    try {
      await upload.done();
    } catch (error) {
      abandoned = true;
      counted.destroy();
      body.destroy();
      await piping;
      if (sourceError !== undefined) throw sourceError;
      throw storageErrorFrom(error, 'S3 Upload');
    }
    await piping;
    if (sourceError !== undefined) throw sourceError;
    const sha256 = hash.digest('hex');
    await tag(key, lifecycleTagOf(options.retention), sha256);
    return { key, sha256, bytes, contentType: options.contentType };
  }

  async function listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw storageErrorFrom(error, 'S3 ListObjectsV2');
    }
    return keys.sort();
  }

  async function readBack(key: string, options: { withBody?: boolean } = {}): Promise<StoredObject & { metadata: Record<string, string>; body?: Buffer }> {
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of object.Body as Readable) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
        if (options.withBody) chunks.push(chunk as Buffer);
      }
      return {
        key,
        sha256: hash.digest('hex'),
        bytes,
        contentType: object.ContentType ?? 'application/octet-stream',
        metadata: object.Metadata ?? {},
        ...(options.withBody ? { body: Buffer.concat(chunks) } : {}),
      };
    } catch (error) {
      throw storageErrorFrom(error, 'S3 GetObject');
    }
  }

  async function headMetadata(key: string): Promise<Record<string, string>> {
    try {
      return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata ?? {};
    } catch (error) {
      throw storageErrorFrom(error, 'S3 HeadObject');
    }
  }

  return {
    headMetadata,
    putBuffer: (key, body, options) => putObject(key, body, options),
    putStream,
    listKeys,
    readBack,
  };
}

function tagQuery(retentionClass: string, sha256?: string): string {
  const tags = new URLSearchParams({ [RETENTION_CLASS_TAG]: retentionClass });
  if (sha256) tags.set('sha256', sha256);
  return tags.toString();
}

/**
 * The one way to build the archive's S3 client. With an endpoint (s3rver, local mode, tests): path-style addressing
 * and checksums only when required, because s3rver stores the aws-chunked framing of streamed bodies otherwise.
 */
export function createS3Client(
  options: { endpoint?: string; region?: string; credentials?: S3ClientConfig['credentials'] } = {},
): S3Client {
  return new S3Client({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.endpoint
      ? {
          endpoint: options.endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
}
