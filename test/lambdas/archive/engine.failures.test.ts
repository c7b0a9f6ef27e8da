import { ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck } from '../../../lambdas/archive/engine';
import { StorageUnavailableError } from '../../../lambdas/common/storage-errors';
import { createS3Store } from '../../../lambdas/archive/s3-store';
import { createRecordStore } from '../../../lambdas/records/record-store';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { getRecord, harness, listKeys, makeCheck, stubClient, type Harness } from '../../support/archive-harness';
import { startImageServer, type ImageServer } from '../../support/image-server';
import { dataUri, makeJpeg } from '../../support/images';
import { kycComplete, livenessComplete } from '../../support/answers';

let emulators: Emulators;
let h: Harness;
let images: ImageServer;
beforeAll(async () => {
  [emulators, images] = await Promise.all([startEmulators(), startImageServer()]);
  h = harness(emulators);
});
afterAll(async () => {
  await images.close();
  await emulators.close();
});

const fakeCredentials = { accessKeyId: 'x', secretAccessKey: 'y' };
/** S3 that keeps the provider's answer (the first write) and then fails every image write with a 500. */
function failingS3() {
  const client = new S3Client({ region: 'us-east-1', credentials: fakeCredentials });
  const mock = mockClient(client);
  mock.on(ListObjectsV2Command).resolves({});
  mock.on(PutObjectCommand).callsFake((input: { Key?: string }) => {
    if (input.Key?.endsWith('/answer.json')) return {};
    throw new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'boom' });
  });
  return { store: createS3Store({ client, bucket: 'archive' }), mock };
}

describe('storage failures fail the archive step (retryable) instead of recording a false state', () => {
  it('S3 500 while streaming a KYC image: StorageUnavailableError, no record', async () => {
    images.route('/s3-fails.jpg', { kind: 'image', body: makeJpeg(16, 16, 71), contentType: 'image/jpeg' });
    const check = makeCheck('kyc');
    const { store, mock } = failingS3();
    const deps = h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: [images.url('/s3-fails.jpg')] }] })), { store });
    const error = await archiveCheck(deps, check).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).name).toBe('StorageUnavailableError');
    expect(images.hits('/s3-fails.jpg')).toBe(1); // an S3 failure is not a download failure: no download retries
    // The answer was written first, before anything could fail on the images.
    expect(mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key?.split('/').pop())).toEqual(['answer.json', '0.jpg']);
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toBeUndefined();
  });

  it('S3 500 while storing a liveness frame: StorageUnavailableError, no record', async () => {
    const check = makeCheck('liveness');
    const { store } = failingS3();
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', makeJpeg(8, 8, 72)) })), { store });
    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toBeUndefined();
  });

  it('DynamoDB throttling on the record write: StorageUnavailableError after the objects are safely in S3', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: fakeCredentials }));
    const mock = mockClient(doc);
    mock.on(GetCommand).resolves({});
    mock.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: { httpStatusCode: 400 } }));
    const records = createRecordStore({ client: doc, tableName: 'records' });
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', makeJpeg(8, 8, 73)) })), { records });
    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);
    const prefix = `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`;
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual(['answer.json', 'frames/probe.jpg', 'manifest.json', 'result.json'].map((key) => prefix + key));
  });
});
