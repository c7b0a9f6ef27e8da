import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck } from '../../../lambdas/archive/engine';
import { auditDeps } from '../../../lambdas/audit/deps';
import { verifyCheck } from '../../../lambdas/audit/verify';
import { DEFAULT_INDEX_SHARDS, shardOf, shardedKey } from '../../../lambdas/records/table-schema';
import { startEmulators, type Emulators } from '../../../local/emulators';
import {
  FIXED_NOW,
  getRecord,
  harness,
  listKeys,
  makeCheck,
  manifestOf,
  metadataOf,
  readJson,
  readObject,
  stubClient,
  tagsOf,
  type Harness,
  PER_CHECK_CAPS,
} from '../../support/archive-harness';
import { dataUri, makeJpeg, makePng, makeWebp, sha256 } from '../../support/images';
import { livenessComplete } from '../../support/answers';
import { startImageServer } from '../../support/image-server';
import { testKeySource } from '../../support/identifier-key';

let emulators: Emulators;
let h: Harness;
beforeAll(async () => {
  emulators = await startEmulators();
  h = harness(emulators);
});
afterAll(() => emulators.close());

describe('archiveCheck: liveness', () => {
  it('keeps the answer as received, every valid frame as an image, and every other frame as received in quarantine', async () => {
    const probe = makeJpeg(24, 24, 1);
    const frame0 = makeJpeg(16, 16, 2);
    const frame1 = makePng(8, 8, 3);
    const frame2 = makeWebp();
    const tooLarge = makeJpeg(300, 300, 9); // noise: far above the 64 KiB frame cap below
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>');
    const box = { x: 10, y: 12, width: 100, height: 120 };
    const answer = livenessComplete({
      image: dataUri('image/jpeg', probe),
      bounding_box: box,
      audit_images: [
        dataUri('image/jpeg', frame0),
        { image: dataUri('image/png', frame1), bounding_box: { x: 1, y: 2, width: 3, height: 4 } },
        { image: dataUri('image/webp', frame2), bounding_box: { x: 5, y: 6, width: 7, height: 8 }, frame_ts: 123 },
        'data:image/jpeg;base64,not*valid*base64!!',
        dataUri('image/jpeg', frame1), // declared JPEG, PNG bytes
        dataUri('image/svg+xml', svg),
        { image: dataUri('image/jpeg', tooLarge), bounding_box: { x: 9, y: 9, width: 9, height: 9 } },
      ],
    });
    const check = makeCheck('liveness');
    const client = stubClient('liveness', answer);
    const deps = h.deps(client, { limits: { ...PER_CHECK_CAPS, maxFrameBytes: 64 * 1024, maxImageBytes: 1024 * 1024, quarantineMaxBytes: 4 * 1024 * 1024, concurrency: 2 } });

    const output = await archiveCheck(deps, check);
    expect(client.calls).toBe(1);

    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({
      provider: 'liveness',
      checkRef: check.checkRef,
      status: 'archived-partial',
      outcome: 'passed',
      confidence: 0.97,
      completedAt: '2026-03-19T10:35:00.000Z',
      archivedAt: FIXED_NOW.toISOString(),
      images: 8,
      quarantined: { count: 4, reasons: ['invalid-base64', 'magic-mismatch', 'media-type-not-allowed', 'too-large'] },
      retentionClass: 'biometric-short',
      retainUntil: '2026-06-17T10:40:00.000Z',
      ttl: Math.floor(Date.parse('2026-06-17T10:40:00.000Z') / 1000),
      providerDay: shardedKey('liveness#2026-03-19', shardOf(check.checkRef, DEFAULT_INDEX_SHARDS)),
      providerOutcome: shardedKey('liveness#passed', shardOf(check.checkRef, DEFAULT_INDEX_SHARDS)),
    });
    expect(record).not.toHaveProperty('imagesMissing');
    expect(record!.retentionBasis).toMatch(/BIPA/);
    expect(output).toEqual({ status: 'archived-partial', objects: record!.objects, bytes: record!.bytes, images: 8, quarantined: 4 });

    const prefix = `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`;
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    // The manifest lists exactly what is stored under the prefix, besides itself.
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual(
      [...manifest.objects.map((object) => object.key), `${prefix}manifest.json`].sort(),
    );
    expect(manifest.objects.map((object) => object.key.slice(prefix.length))).toEqual([
      'answer.json',
      'frames/000.jpg',
      'frames/001.png',
      'frames/002.webp',
      'frames/probe.jpg',
      'quarantine/frames/003.bin',
      'quarantine/frames/004.bin',
      'quarantine/frames/005.bin',
      'quarantine/frames/006.bin',
      'result.json',
    ]);
    expect(record!.objects).toBe(11);
    expect(record!.answerKey).toBe(`${prefix}answer.json`);

    // The answer, byte for byte as the provider sent it.
    const sent = Buffer.from(JSON.stringify(answer.body));
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}answer.json`)).equals(sent)).toBe(true);

    // Bytes in S3 equal the source bytes; sha256s match the manifest and the object tags.
    const sources: Record<string, Buffer> = {
      'frames/probe.jpg': probe,
      'frames/000.jpg': frame0,
      'frames/001.png': frame1,
      'frames/002.webp': frame2,
      'quarantine/frames/003.bin': Buffer.from('not*valid*base64!!'),
      'quarantine/frames/004.bin': frame1,
      'quarantine/frames/005.bin': svg,
      'quarantine/frames/006.bin': tooLarge,
    };
    let total = 0;
    for (const object of manifest.objects) {
      const stored = await readObject(h.s3, emulators.bucketName, object.key);
      total += stored.length;
      expect(sha256(stored)).toBe(object.sha256);
      expect(stored.length).toBe(object.bytes);
      const source = sources[object.key.slice(prefix.length)];
      if (source) {
        expect(stored.equals(source)).toBe(true);
        expect(await tagsOf(h.s3, emulators.bucketName, object.key)).toEqual({ 'retention-class': 'biometric-short', sha256: sha256(source) });
      }
    }
    const manifestBytes = (await readObject(h.s3, emulators.bucketName, record!.manifestKey!)).length;
    expect(record!.bytes).toBe(total + manifestBytes);

    const byKey = Object.fromEntries(manifest.objects.map((object) => [object.key.slice(prefix.length), object]));
    expect(byKey['answer.json']).toMatchObject({ contentType: 'application/json', source: { kind: 'answer-as-received', httpStatus: 200 } });
    expect(byKey['frames/probe.jpg']).toMatchObject({ contentType: 'image/jpeg', source: { kind: 'liveness-probe' }, boundingBox: box });
    expect(byKey['frames/001.png']).toMatchObject({ source: { kind: 'liveness-frame', index: 1 }, boundingBox: { x: 1, y: 2, width: 3, height: 4 } });
    expect(byKey['frames/000.jpg']!.boundingBox).toBeUndefined();
    expect(JSON.parse((await metadataOf(h.s3, emulators.bucketName, `${prefix}frames/002.webp`))['bounding-box']!)).toEqual({ x: 5, y: 6, width: 7, height: 8 });
    expect(byKey['quarantine/frames/006.bin']).toMatchObject({
      contentType: 'application/octet-stream',
      quarantined: { reason: 'too-large' },
      source: { kind: 'liveness-frame', index: 6 },
      boundingBox: { x: 9, y: 9, width: 9, height: 9 },
    });
    // Quarantined items are served only as downloads, never rendered.
    const head = await h.s3.send(new HeadObjectCommand({ Bucket: emulators.bucketName, Key: `${prefix}quarantine/frames/005.bin` }));
    expect(head).toMatchObject({ ContentType: 'application/octet-stream', ContentDisposition: 'attachment' });
    expect(manifest.missing).toEqual([]);

    // result.json: the provider's full answer, image data replaced by references, nothing else changed.
    const result = await readJson<{ status: string; result: Record<string, any> }>(h.s3, emulators.bucketName, record!.resultKey!);
    expect(JSON.stringify(result)).not.toContain(';base64,');
    expect(result.result.passed).toBe(true);
    expect(result.result.bounding_box).toEqual(box);
    expect(result.result.image).toEqual({ archivedKey: `${prefix}frames/probe.jpg`, sha256: sha256(probe) });
    expect(result.result.audit_images[0]).toEqual({ archivedKey: `${prefix}frames/000.jpg`, sha256: sha256(frame0) });
    expect(result.result.audit_images[2]).toEqual({
      image: { archivedKey: `${prefix}frames/002.webp`, sha256: sha256(frame2) },
      bounding_box: { x: 5, y: 6, width: 7, height: 8 },
      frame_ts: 123,
    });
    expect(result.result.audit_images[5]).toEqual({ archivedKey: `${prefix}quarantine/frames/005.bin`, sha256: sha256(svg), quarantined: 'media-type-not-allowed' });
    // The liveness token (a bearer secret) appears in no key, object or record.
    expect(JSON.stringify({ record, manifest, result })).not.toContain(check.checkId);
  });

  it('stores frames in every accepted form: raw base64, other image types, objects with other field names, links', async () => {
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    const jpeg = makeJpeg(8, 8, 11);
    const linked = makePng(6, 6, 12);
    const images = await startImageServer({ '/frame.png': { kind: 'image', body: linked, contentType: 'image/png' } });
    try {
      const check = makeCheck('liveness');
      const answer = livenessComplete({
        image: jpeg.toString('base64'),
        audit_images: [dataUri('image/gif', gif), { data: dataUri('image/jpeg', jpeg) }, images.url('/frame.png'), null],
      });
      const output = await archiveCheck(h.deps(stubClient('liveness', answer)), check);
      expect(output).toMatchObject({ status: 'archived', images: 4 });
      const prefix = `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`;
      expect((await readObject(h.s3, emulators.bucketName, `${prefix}frames/probe.jpg`)).equals(jpeg)).toBe(true);
      expect((await readObject(h.s3, emulators.bucketName, `${prefix}frames/000.gif`)).equals(gif)).toBe(true);
      expect((await readObject(h.s3, emulators.bucketName, `${prefix}frames/001.jpg`)).equals(jpeg)).toBe(true);
      expect((await readObject(h.s3, emulators.bucketName, `${prefix}frames/002.png`)).equals(linked)).toBe(true);
    } finally {
      await images.close();
    }
  });

  it('a failed check that still carries a result keeps its frames: outcome failed, evidence archived', async () => {
    const frame = makeJpeg(8, 8, 13);
    const check = makeCheck('liveness');
    const answer = { httpStatus: 200, body: { status: 'failed', result: { passed: false, confidence: 0.3, checked_at: '2026-03-19T10:35:00Z', audit_images: [dataUri('image/jpeg', frame)] } } };
    expect(await archiveCheck(h.deps(stubClient('liveness', answer)), check)).toMatchObject({ status: 'archived', images: 1 });
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toMatchObject({ outcome: 'failed', providerStatus: 'failed', retentionClass: 'liveness-failed' });
  });

  it('an answer the document does not foresee is archived, what could not be read named in the record', async () => {
    const frame = makeJpeg(8, 8, 14);
    const check = makeCheck('liveness');
    const answer = livenessComplete({ confidence: 'high', checked_at: '2026-03-19T10:35:00', bounding_box: [1, 2, 3, 4], image: dataUri('image/jpeg', frame) });
    expect(await archiveCheck(h.deps(stubClient('liveness', answer)), check)).toMatchObject({ status: 'archived', uninterpreted: 1 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ uninterpreted: ['result.confidence'], readAsUtc: ['result.checked_at'], completedAt: '2026-03-19T10:35:00.000Z' });
    expect(record).not.toHaveProperty('confidence');
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect(manifest).toMatchObject({ uninterpreted: ['result.confidence'], readAsUtc: ['result.checked_at'] });
    expect(manifest.objects.find((object) => object.source.kind === 'liveness-probe')).toMatchObject({ boundingBox: [1, 2, 3, 4] });
  });

  it('archiving the same check twice gives the same objects and one item', async () => {
    const frame = makeJpeg(8, 8, 5);
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ audit_images: [dataUri('image/jpeg', frame)] })));
    const first = await archiveCheck(deps, check);
    const prefix = `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`;
    const keys = await listKeys(h.s3, emulators.bucketName, prefix);
    const item = await getRecord(h.dynamo, emulators.tableName, check);

    const second = await archiveCheck({ ...deps, now: () => new Date(FIXED_NOW.getTime() + 60_000) }, check);
    expect(second).toEqual({ ...first, recorded: false }); // the same summary; nothing new was written
    expect(first).toMatchObject({ status: 'archived', objects: 4 });
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual(keys);
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toEqual(item);
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}frames/000.jpg`)).equals(frame)).toBe(true);
  });

  it('keeps at most maxImagesPerCheck frames: the rest is one over-limit entry with its count, and stays in the answer', async () => {
    // 2,000 tiny frames (the probe): without a cap they became 2,003 objects, under Object Lock undeletable.
    const tiny = dataUri('image/jpeg', makeJpeg(4, 4, 1));
    const frames = Array.from({ length: 2_000 }, () => tiny);
    const check = makeCheck('liveness');
    const answer = livenessComplete({ audit_images: frames });
    const output = await archiveCheck(h.deps(stubClient('liveness', answer)), check);
    const prefix = `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/`;
    const keys = await listKeys(h.s3, emulators.bucketName, `${prefix}frames/`);
    expect(keys).toHaveLength(PER_CHECK_CAPS.maxImagesPerCheck);
    expect(keys.at(-1)).toBe(`${prefix}frames/499.jpg`);
    expect(output).toMatchObject({ status: 'archived-partial', objects: 500 + 3 });

    const record = (await getRecord(h.dynamo, emulators.tableName, check))!;
    expect(record.imagesMissing).toEqual({ count: 1_500, reasons: ['over-limit'] });
    const manifest = await manifestOf(h.s3, emulators.bucketName, record);
    expect(manifest.missing).toEqual([
      { source: { kind: 'liveness-frame', index: 500 }, reason: 'over-limit', detail: '1500 of 2000 images over the per-check cap of 500', count: 1_500 },
    ]);
    // The answer as received keeps every frame; result.json marks the ones over the cap.
    const received = await readJson<{ result: { audit_images: string[] } }>(h.s3, emulators.bucketName, record.answerKey!);
    expect(received.result.audit_images).toHaveLength(2_000);
    expect(received.result.audit_images[1_999]).toBe(frames[1_999]);
    const result = await readJson<{ result: { audit_images: unknown[] } }>(h.s3, emulators.bucketName, record.resultKey!);
    expect(result.result.audit_images[1_999]).toEqual({ missing: 'over-limit', detail: 'per-check cap' });
    expect(result.result.audit_images[0]).toMatchObject({ archivedKey: `${prefix}frames/000.jpg` });
    // And it verifies: the record's count of missing images is the manifest's.
    const audit = auditDeps({ identifierKey: testKeySource, dynamo: h.dynamo, tableName: emulators.tableName, s3: h.s3, bucket: emulators.bucketName, now: () => FIXED_NOW });
    expect((await verifyCheck(audit, record)).problems).toEqual([]);
  });

  it('stops storing once the per-check byte cap is spent: further frames are over-limit', async () => {
    const big = makeJpeg(300, 300, 7); // noise: a few hundred KiB
    const check = makeCheck('liveness');
    const answer = livenessComplete({ audit_images: Array.from({ length: 12 }, () => dataUri('image/jpeg', big)) });
    const deps = h.deps(stubClient('liveness', answer), {
      limits: { ...PER_CHECK_CAPS, maxBytesPerCheck: 1024 * 1024, maxFrameBytes: 1024 * 1024, maxImageBytes: 1024 * 1024, quarantineMaxBytes: 1024 * 1024, concurrency: 1 },
    });
    await archiveCheck(deps, check);
    const record = (await getRecord(h.dynamo, emulators.tableName, check))!;
    const kept = Math.ceil((1024 * 1024) / big.length); // the frame that crosses the cap is still kept
    expect(kept).toBeLessThan(12);
    expect(await listKeys(h.s3, emulators.bucketName, `${check.checkRef.slice(0, 2)}/liveness/${check.checkRef}/frames/`)).toHaveLength(kept);
    expect(record.imagesMissing).toEqual({ count: 12 - kept, reasons: ['over-limit'] });
  });

  it('a result without frames long after completion records that the image window passed', async () => {
    const check = makeCheck('liveness');
    const late = livenessComplete({ passed: false }, '2026-03-19T09:00:00.000Z'); // 100 min before FIXED_NOW
    const output = await archiveCheck(h.deps(stubClient('liveness', late)), check);
    expect(output).toEqual({ status: 'archived-partial', objects: 3, bytes: expect.any(Number), images: 0, imagesMissing: 'window-passed', imagesMissingCount: 1 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ outcome: 'failed', retentionClass: 'liveness-failed', imagesMissing: { count: 1, reasons: ['window-passed'] } });
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect(manifest.missing).toEqual([{ source: { kind: 'liveness-probe' }, reason: 'window-passed', detail: expect.any(String) }]);
  });

  it('a result without frames right after completion is fully archived (no frames were requested)', async () => {
    const check = makeCheck('liveness');
    const output = await archiveCheck(h.deps(stubClient('liveness', livenessComplete({}, '2026-03-19T10:35:00.000Z'))), check);
    expect(output).toEqual({ status: 'archived', objects: 3, bytes: expect.any(Number), images: 0 });
  });
});
