import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck, recordOutcome } from '../../../lambdas/archive/engine';
import { StorageUnavailableError } from '../../../lambdas/common/storage-errors';
import { createS3Store } from '../../../lambdas/archive/s3-store';
import { archivePrefix, legacyArchivePrefix } from '../../../lambdas/archive/keys';
import type { RecordStore } from '../../../lambdas/records/record-store';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { getRecord, harness, listKeys, makeCheck, manifestOf, PER_CHECK_CAPS, readObject, stubClient, type Harness } from '../../support/archive-harness';
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
    async write(...args: Parameters<RecordStore['write']>) {
      wrapped.attempts++;
      if (wrapped.attempts === 1) throw new StorageUnavailableError('DynamoDB PutItem failed: ThrottlingException');
      return records.write(...args);
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
    const prefix = `${check.checkRef.slice(0, 2)}/kyc/${check.checkRef}/`;

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

  it('an attempt from before the hash-first keys left its objects in the date folder: the re-run stays there and adopts them', async () => {
    const sources = [makeJpeg(28, 28, 44), makePng(12, 12, 45)];
    const urls = sources.map((body, i) => {
      images.route(`/legacy/${i}`, { kind: 'image', body, contentType: i === 1 ? 'image/png' : 'image/jpeg' });
      return images.url(`/legacy/${i}`);
    });
    const check = makeCheck('kyc');
    const records = failingOnce(h.records);
    const deps = h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: urls }] })), { records });
    const current = archivePrefix('kyc', check.checkRef);
    const legacy = legacyArchivePrefix('kyc', check.createdAt, check.checkRef);

    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);
    // What that attempt stored, as the first layout kept it (metadata and all).
    for (const key of await listKeys(h.s3, emulators.bucketName, current)) {
      const to = legacy + key.slice(current.length);
      await h.s3.send(new CopyObjectCommand({ Bucket: emulators.bucketName, CopySource: `${emulators.bucketName}/${key}`, Key: to }));
      await h.s3.send(new DeleteObjectCommand({ Bucket: emulators.bucketName, Key: key }));
    }
    const stored = await listKeys(h.s3, emulators.bucketName, legacy);
    expect(stored.length).toBeGreaterThan(2);

    const output = await archiveCheck(deps, check);
    expect(output).toMatchObject({ status: 'archived' });
    expect(await listKeys(h.s3, emulators.bucketName, current)).toEqual([]);
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record!.manifestKey).toBe(`${legacy}manifest.json`);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect([...manifest.objects.map((object) => object.key), record!.manifestKey].sort()).toEqual(await listKeys(h.s3, emulators.bucketName, legacy));
  });

  it('keys carry no date; every object keeps the check\'s date in its metadata', async () => {
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', makeJpeg(16, 16, 46)) })));
    await archiveCheck(deps, check);
    const keys = await listKeys(h.s3, emulators.bucketName, archivePrefix('liveness', check.checkRef));
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      expect(key).not.toMatch(/\/\d{4}\/\d{2}\/\d{2}\//);
      const head = await h.s3.send(new HeadObjectCommand({ Bucket: emulators.bucketName, Key: key }));
      expect(head.Metadata?.['check-created-at']).toBe(new Date(check.createdAt).toISOString());
    }
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
    const prefix = `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`;
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

describe('one run at a time: the lease and the first final answer', () => {
  it('a failure path never touches a finished run: its manifest and record stay as they are', async () => {
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', makeJpeg(12, 12, 72)) })));
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived' });
    const prefix = `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`;
    const manifestBefore = await readObject(h.s3, emulators.bucketName, `${prefix}manifest.json`);
    const recordBefore = await getRecord(h.dynamo, emulators.tableName, check);

    expect(await recordOutcome(deps, check, { kind: 'failed', error: { Error: 'X' } })).toMatchObject({ status: 'archived', recorded: false });
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}manifest.json`)).equals(manifestBefore)).toBe(true);
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toEqual(recordBefore);
    expect(sha256(manifestBefore)).toBe(recordBefore!.manifestSha256);
  });

  it('while another run holds the lease, a second archive waits (CheckBusyError) and a failure path leaves folder and record to it', async () => {
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', makeJpeg(12, 12, 73)) })));
    const other = { owner: 'another-run', until: Date.now() + 60_000 };
    expect(await h.records.acquireLease('liveness', check.checkRef, other, 3, new Date())).toEqual({ acquired: true });

    await expect(archiveCheck(deps, check)).rejects.toMatchObject({ name: 'CheckBusyError' });
    expect(await recordOutcome(deps, check, { kind: 'failed', error: { Error: 'X' } })).toMatchObject({ recorded: false });
    expect(await listKeys(h.s3, emulators.bucketName, `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`)).toEqual([]);
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toBeUndefined();

    // The holder's lease ends (released, or past its deadline and margin): the next run archives the check.
    await h.records.releaseLease('liveness', check.checkRef, 'another-run');
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived' });
  });

  it('an expired lease (its holder is past its deadline and stopped itself) is taken over', async () => {
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', makeJpeg(12, 12, 74)) })));
    await h.records.acquireLease('liveness', check.checkRef, { owner: 'dead-run', until: Date.now() - 1 }, 3, new Date(Date.now() - 10_000));
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived' });
  });

  it('a run whose time is nearly up stores nothing more and writes no record: the retry resumes (ArchiveTimeBudgetError)', async () => {
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', makeJpeg(12, 12, 75)) })));
    const nearlyOver = { owner: 'late-run', deadline: Date.now() + 5_000 };
    await expect(archiveCheck(deps, check, { invocation: nearlyOver })).rejects.toMatchObject({ name: 'ArchiveTimeBudgetError' });
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toBeUndefined();
    expect(await listKeys(h.s3, emulators.bucketName, `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`)).not.toContain(`${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/manifest.json`);
    // Its lease was given back: the retry does not wait for it.
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived' });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(sha256(await readObject(h.s3, emulators.bucketName, record!.manifestKey!))).toBe(record!.manifestSha256);
  });

  it('a crash left a manifest and no record: the failure record accounts for everything the crashed run stored', async () => {
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ image: dataUri('image/jpeg', makeJpeg(12, 12, 76)) })), { records: failingOnce(h.records) });
    await expect(archiveCheck(deps, check)).rejects.toBeInstanceOf(StorageUnavailableError);
    const prefix = `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`;
    const left = await listKeys(h.s3, emulators.bucketName, prefix);
    expect(await recordOutcome(deps, check, { kind: 'failed', error: { Error: 'X' } })).toMatchObject({ status: 'error', objects: left.length });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect(sha256(await readObject(h.s3, emulators.bucketName, record!.manifestKey!))).toBe(record!.manifestSha256);
    expect(manifest.status).toBe('error');
    // The run that completes later replaces the error with its answer, and its record anchors the manifest stored.
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived' });
    const archived = await getRecord(h.dynamo, emulators.tableName, check);
    expect(sha256(await readObject(h.s3, emulators.bucketName, archived!.manifestKey!))).toBe(archived!.manifestSha256);
  });
});

describe('a liveness re-run past the image window', () => {
  it('counts the frames the earlier attempt did not store as missing: archived-partial, never archived', async () => {
    const check = makeCheck('liveness');
    const frames = [makeJpeg(8, 8, 80), makeJpeg(8, 8, 81), makeJpeg(8, 8, 82)];
    const withFrames = livenessComplete({ image: dataUri('image/jpeg', frames[0]!), audit_images: frames.slice(1).map((f) => dataUri('image/jpeg', f)) });
    const withoutFrames = livenessComplete({});
    // S3 fails on the last frame: the attempt stored the answer, the probe and frame 0, then died.
    const store = { ...h.store, putBuffer: async (...args: Parameters<typeof h.store.putBuffer>) => {
      if (args[0].endsWith('frames/001.jpg')) throw new StorageUnavailableError('S3 PutObject failed: SlowDown (HTTP 503)');
      return h.store.putBuffer(...args);
    } };
    const limits = { ...PER_CHECK_CAPS, maxFrameBytes: 1 << 20, maxImageBytes: 1 << 20, quarantineMaxBytes: 1 << 20, concurrency: 1 };
    await expect(archiveCheck(h.deps(stubClient('liveness', withFrames), { store, limits }), check)).rejects.toBeInstanceOf(StorageUnavailableError);

    // Past the window the provider answers without frames: what was stored is kept, the rest is counted.
    const later = h.deps(stubClient('liveness', withoutFrames), { now: () => new Date('2026-03-19T11:20:00.000Z') });
    const output = await archiveCheck(later, check);
    expect(output).toMatchObject({ status: 'archived-partial', imagesMissing: 'window-passed', imagesMissingCount: 1 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record?.imagesMissing).toEqual({ count: 1, reasons: ['window-passed'] });
  });
});
