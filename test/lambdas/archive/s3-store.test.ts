import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageRejectedError, StorageUnavailableError } from '../../../lambdas/common/storage-errors';
import { createS3Store, type EvidenceStore } from '../../../lambdas/archive/s3-store';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { listKeys, metadataOf, readObject, tagsOf } from '../../support/archive-harness';
import { jpegShapedBytes, makePng, sha256 } from '../../support/images';

let emulators: Emulators;
let s3: S3Client;
let store: EvidenceStore;
beforeAll(async () => {
  emulators = await startEmulators();
  s3 = emulators.s3Client();
  store = createS3Store({ client: s3, bucket: emulators.bucketName });
});
afterAll(() => emulators.close());

const retention = { retentionClass: 'aml-cdd', retainUntil: '2031-03-18T10:40:00.000Z', legalHold: false, erasable: false };

function chunked(bytes: Buffer, size = 64 * 1024, failAfter?: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && offset >= failAfter) {
        this.destroy(Object.assign(new Error('socket hang up'), { name: 'DownloadFailedError' }));
        return;
      }
      if (offset >= bytes.length) return void this.push(null);
      this.push(bytes.subarray(offset, offset + size));
      offset += size;
    },
  });
}

describe('S3 store on s3rver', () => {
  it('streams a multipart-sized body byte for byte, hashing on the way, and tags class and sha256', async () => {
    const bytes = jpegShapedBytes(11 * 1024 * 1024 + 7);
    const stored = await store.putStream('t/big.jpg', chunked(bytes), { contentType: 'image/jpeg', retention, metadata: { source: '{"kind":"x"}' } });
    expect(stored).toEqual({ key: 't/big.jpg', sha256: sha256(bytes), bytes: bytes.length, contentType: 'image/jpeg' });
    const back = await readObject(s3, emulators.bucketName, 't/big.jpg');
    expect(back.length).toBe(bytes.length);
    expect(sha256(back)).toBe(sha256(bytes));
    expect(await tagsOf(s3, emulators.bucketName, 't/big.jpg')).toEqual({ 'retention-class': 'aml-cdd', sha256: sha256(bytes) });
    expect(await metadataOf(s3, emulators.bucketName, 't/big.jpg')).toMatchObject({ 'retention-class': 'aml-cdd', source: '{"kind":"x"}' });
  });

  it('stores buffers with sha256 in metadata and tags, and reads objects back verified', async () => {
    const png = makePng();
    await store.putBuffer('t/frame.png', png, { contentType: 'image/png', retention });
    expect(await metadataOf(s3, emulators.bucketName, 't/frame.png')).toMatchObject({ sha256: sha256(png), 'retention-class': 'aml-cdd' });
    expect(await tagsOf(s3, emulators.bucketName, 't/frame.png')).toEqual({ 'retention-class': 'aml-cdd', sha256: sha256(png) });
    const back = await store.readBack('t/frame.png');
    expect(back).toMatchObject({ sha256: sha256(png), bytes: png.length, contentType: 'image/png' });
  });

  it('rethrows the source error unchanged and leaves no object when the body fails mid-stream (small and multipart)', async () => {
    for (const [key, size, failAfter] of [
      ['t/cut-small.jpg', 300_000, 128 * 1024],
      ['t/cut-big.jpg', 12 * 1024 * 1024, 7 * 1024 * 1024],
    ] as const) {
      const error = await store.putStream(key, chunked(jpegShapedBytes(size), 64 * 1024, failAfter), { contentType: 'image/jpeg', retention }).catch((e: unknown) => e);
      expect((error as Error).name).toBe('DownloadFailedError');
      expect(await listKeys(s3, emulators.bucketName, key)).toEqual([]);
    }
  });

  it('lists keys under a prefix', async () => {
    await store.putBuffer('list/a/1.png', makePng(), { contentType: 'image/png', retention });
    await store.putBuffer('list/a/2.png', makePng(), { contentType: 'image/png', retention });
    await store.putBuffer('list/b/1.png', makePng(), { contentType: 'image/png', retention });
    expect(await store.listKeys('list/a/')).toEqual(['list/a/1.png', 'list/a/2.png']);
  });
});

describe('S3 store against a mocked S3 (what s3rver cannot do)', () => {
  const mocked = () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    return { client, mock: mockClient(client) };
  };
  const s3Error = (name: string, status: number, fault: 'client' | 'server') =>
    new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: name });

  it('sends SSE-KMS with the configured key and Object Lock retention (and legal hold) when the bucket has it', async () => {
    const { client, mock } = mocked();
    mock.on(PutObjectCommand).resolves({});
    mock.on(PutObjectTaggingCommand).resolves({});
    const locked = createS3Store({ client, bucket: 'b', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/abc', objectLock: { mode: 'GOVERNANCE' } });
    await locked.putBuffer('k.png', makePng(), { contentType: 'image/png', retention: { ...retention, legalHold: true } });
    await locked.putStream('s.jpg', chunked(jpegShapedBytes(1000)), { contentType: 'image/jpeg', retention });
    const [buffer, stream] = mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    for (const input of [buffer!, stream!]) {
      expect(input).toMatchObject({
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'arn:aws:kms:us-east-1:111122223333:key/abc',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: new Date('2031-03-18T10:40:00.000Z'),
      });
    }
    // Held: a lifecycle tag no rule matches, so nothing expires it; not held: its class.
    expect(buffer!.Tagging).toContain('retention-class=legal-hold');
    expect(stream!.Tagging).toContain('retention-class=aml-cdd');
    expect(buffer!.ObjectLockLegalHoldStatus).toBe('ON');
    expect(stream!.ObjectLockLegalHoldStatus).toBeUndefined();

    const { client: plainClient, mock: plainMock } = mocked();
    plainMock.on(PutObjectCommand).resolves({});
    plainMock.on(PutObjectTaggingCommand).resolves({});
    await createS3Store({ client: plainClient, bucket: 'b' }).putBuffer('k.png', makePng(), { contentType: 'image/png', retention });
    const plain = plainMock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(plain.ServerSideEncryption).toBe('aws:kms');
    // On S3 the PutObject carries the tags (class and sha256): no second request (emulators get one, see above).
    expect(plain.Tagging).toContain('sha256=');
    expect(plainMock.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    expect(plain.ObjectLockMode).toBeUndefined();
    expect(plain.SSEKMSKeyId).toBeUndefined();
  });

  it('an erasable class gets no Object Lock retention (an erasure must delete every version), but a legal hold all the same', async () => {
    const { client, mock } = mocked();
    mock.on(PutObjectCommand).resolves({});
    const locked = createS3Store({ client, bucket: 'b', objectLock: { mode: 'COMPLIANCE' } });
    const erasable = { retentionClass: 'biometric-short', retainUntil: '2026-06-17T10:40:00.000Z', legalHold: false, erasable: true };
    await locked.putBuffer('free.png', makePng(), { contentType: 'image/png', retention: erasable });
    await locked.putBuffer('held.png', makePng(), { contentType: 'image/png', retention: { ...erasable, legalHold: true } });
    const [free, held] = mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    for (const input of [free!, held!]) {
      expect(input.ObjectLockMode).toBeUndefined();
      expect(input.ObjectLockRetainUntilDate).toBeUndefined();
    }
    expect(free!.ObjectLockLegalHoldStatus).toBeUndefined();
    expect(held!.ObjectLockLegalHoldStatus).toBe('ON');
  });

  it('S3 500 on a streamed upload becomes StorageUnavailableError, and the source is released', async () => {
    const { client, mock } = mocked();
    mock.on(PutObjectCommand).rejects(s3Error('InternalError', 500, 'server'));
    const source = chunked(jpegShapedBytes(200_000));
    const error = await createS3Store({ client, bucket: 'b' }).putStream('s.jpg', source, { contentType: 'image/jpeg', retention }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toMatch(/S3 Upload failed: InternalError \(HTTP 500\)/);
    expect(source.destroyed).toBe(true);
  });

  it('a failing part of a multipart upload aborts it and throws StorageUnavailableError', async () => {
    const { client, mock } = mocked();
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    mock.on(UploadPartCommand).rejects(s3Error('SlowDown', 503, 'server'));
    mock.on(AbortMultipartUploadCommand).resolves({});
    mock.on(CompleteMultipartUploadCommand).resolves({});
    const error = await createS3Store({ client, bucket: 'b' })
      .putStream('s.jpg', chunked(jpegShapedBytes(11 * 1024 * 1024)), { contentType: 'image/jpeg', retention })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('access denied is a non-retryable StorageRejectedError', async () => {
    const { client, mock } = mocked();
    mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403, 'client'));
    await expect(createS3Store({ client, bucket: 'b' }).putBuffer('k', makePng(), { contentType: 'image/png', retention })).rejects.toBeInstanceOf(
      StorageRejectedError,
    );
  });
});
