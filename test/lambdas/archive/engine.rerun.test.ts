import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck, recordOutcome } from '../../../lambdas/archive/engine';
import { StorageUnavailableError } from '../../../lambdas/common/storage-errors';
import { createS3Store } from '../../../lambdas/archive/s3-store';
import type { RecordStore } from '../../../lambdas/records/record-store';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { getRecord, harness, listKeys, makeCheck, manifestOf, readObject, stubClient, type Harness,
  PER_CHECK_CAPS,
} from '../../support/archive-harness';
import { startImageServer, type ImageServer } from '../../support/image-server';
import { dataUri, makeJpeg, makePng, sha256 } from '../../support/images';
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

/** The record store, except that the first write fails as if the function crashed (or DynamoDB throttled) right then. */
function failingOnce(records: RecordStore): RecordStore & { attempts: number } {
  const wrapped = {
    ...records,
    attempts: 0,
    async write(record: Parameters<RecordStore['write']>[0]) {
      wrapped.attempts++;
      if (wrapped.attempts === 1) throw new StorageUnavailableError('DynamoDB PutItem failed: ThrottlingException');
      return records.write(record);
    },
  };
  return wrapped;
}

describe('crash between the uploads and the record', () => {
  it('a re-run converges: one item, the same keys, nothing extra in S3, sha256s match the source', async () => {
    const sources = [makeJpeg(32, 32, 41), makePng(16, 16, 42), makeJpeg(24, 24, 43)];
    const urls = sources.map((body, i) => {
      images.route(`/converge/${i}`, { kind: 'image', body, contentType: i === 1 ? 'image/png' : 'image/jpeg' });
      return images.url(`/converge/${i}`);
    });
    const check = makeCheck('kyc');
    const records = failingOnce(h.records);
    const deps = h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: urls }] })), { records });
    const prefix = `kyc/2026/03/19/${check.checkRef}/`;

    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toBeUndefined();
    const afterCrash = await listKeys(h.s3, emulators.bucketName, prefix);
    expect(afterCrash).toHaveLength(6);

    const output = await archiveCheck(deps, check);
    expect(output).toMatchObject({ status: 'archived', objects: 6 });
    expect(records.attempts).toBe(2);
    const keys = await listKeys(h.s3, emulators.bucketName, prefix);
    expect(keys).toEqual(afterCrash);
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect([...manifest.objects.map((object) => object.key), record!.manifestKey].sort()).toEqual(keys);
    for (const [i, source] of sources.entries()) {
      const entry = manifest.objects.find((object) => object.key.startsWith(`${prefix}kyc/0-document/${i}.`))!;
      expect(entry.sha256).toBe(sha256(source));
      expect(sha256(await readObject(h.s3, emulators.bucketName, entry.key))).toBe(sha256(source));
    }
    // Exactly one item for the check in the auditors' day index too.
    expect(record!.pk).toBe(`kyc#${check.checkRef}`);
  });

  it('when the images are gone by the re-run, the copies the crashed attempt stored are verified and kept', async () => {
    const sources = [makeJpeg(20, 20, 51), makeJpeg(20, 20, 52)];
    const urls = sources.map((body, i) => {
      images.route(`/vanish/${i}`, { kind: 'image', body, contentType: 'image/jpeg' });
      return images.url(`/vanish/${i}`);
    });
    const check = makeCheck('kyc');
    const deps = h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: urls }] })), { records: failingOnce(h.records) });
    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);

    for (const i of [0, 1]) images.route(`/vanish/${i}`, { kind: 'status', status: 404 });
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived', objects: 5 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    const recovered = manifest.objects.filter((object) => object.fromEarlierRun);
    expect(recovered.map((object) => object.sha256).sort()).toEqual(sources.map(sha256).sort());
    expect(recovered[0]!.source).toMatchObject({ kind: 'kyc-image', link: 'imagesFull' });
    expect(manifest.missing).toEqual([]);
  });

  it('liveness frames captured before the crash are kept when the re-run comes after the image window', async () => {
    const frame = makeJpeg(16, 16, 61);
    const box = { x: 1, y: 2, width: 3, height: 4 };
    const check = makeCheck('liveness');
    const withFrames = livenessComplete({ audit_images: [{ image: dataUri('image/jpeg', frame), bounding_box: box }] }, '2026-03-19T09:00:00.000Z');
    const withoutFrames = livenessComplete({}, '2026-03-19T09:00:00.000Z');
    const deps = h.deps(stubClient('liveness', withFrames, withoutFrames), { records: failingOnce(h.records) });
    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);

    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived', objects: 4 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    const kept = manifest.objects.find((object) => object.key.endsWith('frames/000.jpg'))!;
    expect(kept).toMatchObject({ sha256: sha256(frame), fromEarlierRun: true, source: { kind: 'liveness-frame', index: 0 }, boundingBox: box });
  });
});

describe('a failure after some evidence was stored', () => {
  it('is recorded as an error whose manifest accounts for every object the failed attempt left', async () => {
    const frame = makeJpeg(16, 16, 71);
    const check = makeCheck('liveness');
    // S3 takes the answer and the probe, then fails the next frame: the attempt dies before its documents.
    const store = { ...h.store, putBuffer: async (...args: Parameters<typeof h.store.putBuffer>) => {
      if (args[0].endsWith('frames/000.jpg')) throw new StorageUnavailableError('S3 PutObject failed: SlowDown (HTTP 503)');
      return h.store.putBuffer(...args);
    } };
    const answer = livenessComplete({ image: dataUri('image/jpeg', frame), audit_images: [dataUri('image/jpeg', makeJpeg(8, 8, 70))] });
    const deps = h.deps(stubClient('liveness', answer), { store, limits: { ...PER_CHECK_CAPS, maxFrameBytes: 1 << 20, maxImageBytes: 1 << 20, quarantineMaxBytes: 1 << 20, concurrency: 1 } });
    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);
    const prefix = `liveness/2026/03/19/${check.checkRef}/`;
    const left = await listKeys(h.s3, emulators.bucketName, prefix);

    const output = await recordOutcome(deps, check, { kind: 'failed', error: { Error: 'StorageUnavailableError', Cause: 'DynamoDB PutItem failed' } });
    expect(left.map((key) => key.slice(key.lastIndexOf(check.checkRef) + 33))).toEqual(['answer.json', 'frames/probe.jpg']);
    expect(output).toMatchObject({ status: 'error', objects: left.length + 1 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect(manifest.objects.map((object) => object.key).sort()).toEqual(left);
    expect(manifest.objects.find((object) => object.key.endsWith('frames/probe.jpg'))).toMatchObject({ sha256: sha256(frame), fromEarlierRun: true });
    expect(manifest.status).toBe('error');
  });

  it('without the evidence store (a record function that cannot reach S3) the error is still recorded', async () => {
    const check = makeCheck('liveness');
    const { store: _store, ...tableOnly } = h.deps(stubClient('liveness'));
    expect(await recordOutcome(tableOnly, check, { kind: 'failed', error: { Error: 'X' } })).toEqual({ status: 'error', objects: 0, bytes: 0 });
  });
});

describe('a failure record next to a run that got further', () => {
  it('never overwrites the manifest another run wrote (a run still going, or one that crashed before its record)', async () => {
    const frame = makeJpeg(12, 12, 72);
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', frame) })), { records: failingOnce(h.records) });
    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);
    const prefix = `liveness/2026/03/19/${check.checkRef}/`;
    const manifestBefore = await readObject(h.s3, emulators.bucketName, `${prefix}manifest.json`);

    expect(await recordOutcome(deps, check, { kind: 'failed', error: { Error: 'X' } })).toEqual({ status: 'error', objects: 0, bytes: 0 });
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}manifest.json`)).equals(manifestBefore)).toBe(true);
    // The run that wrote it then records the check, and the record agrees with its manifest.
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived' });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(sha256(await readObject(h.s3, emulators.bucketName, record!.manifestKey!))).toBe(record!.manifestSha256);
  });

  it('in AWS the manifest is created only if the key is free (If-None-Match): a taken key is left alone', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(client);
    mock.on(PutObjectCommand).rejects(Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } }));
    const store = createS3Store({ client, bucket: 'archive' });
    const retention = { retentionClass: 'no-result', retainUntil: '2030-01-01T00:00:00.000Z', legalHold: false, erasable: true };
    expect(await store.createBuffer('k/manifest.json', Buffer.from('{}'), { contentType: 'application/json', retention })).toBeUndefined();
    expect(mock.commandCalls(PutObjectCommand)[0]!.args[0].input.IfNoneMatch).toBe('*');
    await expect(store.putBuffer('k/manifest.json', Buffer.from('{}'), { contentType: 'application/json', retention })).rejects.toMatchObject({ name: 'StorageRejectedError' });
  });
});
