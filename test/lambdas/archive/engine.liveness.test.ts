import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck } from '../../../lambdas/archive/engine';
import { startEmulators, type Emulators } from '../../../lib/local/emulators';
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
} from '../../support/archive-harness';
import { dataUri, makeJpeg, makePng, makeWebp, sha256 } from '../../support/images';
import { livenessComplete } from '../../support/statuses';

let emulators: Emulators;
let h: Harness;
beforeAll(async () => {
  emulators = await startEmulators();
  h = harness(emulators);
});
afterAll(() => emulators.close());

describe('archiveCheck: liveness', () => {
  it('archives the probe and every valid audit frame byte for byte, with bounding boxes next to their frames, and rejects bad frames', async () => {
    const probe = makeJpeg(24, 24, 1);
    const frame0 = makeJpeg(16, 16, 2);
    const frame1 = makePng(8, 8, 3);
    const frame2 = makeWebp();
    const tooLarge = makeJpeg(300, 300, 9); // noise: far above the 64 KiB frame cap below
    const box = { x: 10, y: 12, width: 100, height: 120 };
    const status = livenessComplete({
      image: dataUri('image/jpeg', probe),
      bounding_box: box,
      audit_images: [
        dataUri('image/jpeg', frame0),
        { image: dataUri('image/png', frame1), bounding_box: { x: 1, y: 2, width: 3, height: 4 } },
        { image: dataUri('image/webp', frame2), bounding_box: { x: 5, y: 6, width: 7, height: 8 }, frame_ts: 123 },
        'data:image/jpeg;base64,not*valid*base64!!',
        dataUri('image/jpeg', makePng()), // declared JPEG, PNG bytes
        dataUri('image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')),
        { image: dataUri('image/jpeg', tooLarge), bounding_box: { x: 9, y: 9, width: 9, height: 9 } },
      ],
    });
    const check = makeCheck('liveness');
    const client = stubClient('liveness', status);
    const deps = h.deps(client, { limits: { maxFrameBytes: 64 * 1024, maxImageBytes: 1024 * 1024, concurrency: 2 } });

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
      imagesMissing: { count: 4, reasons: ['rejected'] },
      retentionClass: 'biometric-short',
      retainUntil: '2026-06-17T10:40:00.000Z',
      ttl: Math.floor(Date.parse('2026-06-17T10:40:00.000Z') / 1000),
      providerDay: 'liveness#2026-03-19',
      providerOutcome: 'liveness#passed',
    });
    expect(record!.retentionBasis).toMatch(/BIPA/);
    expect(output).toEqual({ status: 'archived-partial', objects: record!.objects, bytes: record!.bytes, imagesMissing: 'rejected', imagesMissingCount: 4 });

    const prefix = `liveness/2026/03/19/${check.checkRef}/`;
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    // The manifest lists exactly what is stored under the prefix, besides itself.
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual(
      [...manifest.objects.map((object) => object.key), `${prefix}manifest.json`].sort(),
    );
    expect(manifest.objects.map((object) => object.key)).toEqual([
      `${prefix}frames/000.jpg`,
      `${prefix}frames/001.png`,
      `${prefix}frames/002.webp`,
      `${prefix}frames/probe.jpg`,
      `${prefix}result.json`,
    ]);
    expect(record!.objects).toBe(6);

    // Bytes in S3 equal the decoded source bytes; sha256s match the manifest and the object tags.
    const sources: Record<string, Buffer> = { 'frames/probe.jpg': probe, 'frames/000.jpg': frame0, 'frames/001.png': frame1, 'frames/002.webp': frame2 };
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
    expect(byKey['frames/probe.jpg']).toMatchObject({ contentType: 'image/jpeg', source: { kind: 'liveness-probe' }, boundingBox: box });
    expect(byKey['frames/001.png']).toMatchObject({ source: { kind: 'liveness-frame', index: 1 }, boundingBox: { x: 1, y: 2, width: 3, height: 4 } });
    expect(byKey['frames/000.jpg']!.boundingBox).toBeUndefined();
    expect(JSON.parse((await metadataOf(h.s3, emulators.bucketName, `${prefix}frames/002.webp`))['bounding-box']!)).toEqual({ x: 5, y: 6, width: 7, height: 8 });

    expect(manifest.missing.map((entry) => [entry.source, entry.reason])).toEqual([
      [{ kind: 'liveness-frame', index: 3 }, 'rejected'],
      [{ kind: 'liveness-frame', index: 4 }, 'rejected'],
      [{ kind: 'liveness-frame', index: 5 }, 'rejected'],
      [{ kind: 'liveness-frame', index: 6 }, 'rejected'],
    ]);
    const details = manifest.missing.map((entry) => entry.detail);
    expect(new Set(details).size).toBe(4); // each bad frame says what was wrong with it

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
    expect(result.result.audit_images[5]).toEqual({ rejected: details[2] });
    expect(result.result.audit_images[6]).toEqual({ image: { rejected: details[3] }, bounding_box: { x: 9, y: 9, width: 9, height: 9 } });
    // The liveness token (a bearer secret) appears in no key, object or record.
    expect(JSON.stringify({ record, manifest, result })).not.toContain(check.checkId);
  });

  it('archiving the same check twice gives the same objects and one item', async () => {
    const frame = makeJpeg(8, 8, 5);
    const check = makeCheck('liveness');
    const deps = h.deps(stubClient('liveness', livenessComplete({ audit_images: [dataUri('image/jpeg', frame)] })));
    const first = await archiveCheck(deps, check);
    const prefix = `liveness/2026/03/19/${check.checkRef}/`;
    const keys = await listKeys(h.s3, emulators.bucketName, prefix);
    const item = await getRecord(h.dynamo, emulators.tableName, check);

    const second = await archiveCheck({ ...deps, now: () => new Date(FIXED_NOW.getTime() + 60_000) }, check);
    expect(second).toEqual({ ...first, recorded: false }); // the same summary; nothing new was written
    expect(first).toMatchObject({ status: 'archived', objects: 3 });
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual(keys);
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toEqual(item);
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}frames/000.jpg`)).equals(frame)).toBe(true);
  });

  it('a result without frames long after completion records that the image window passed', async () => {
    const check = makeCheck('liveness');
    const late = livenessComplete({ passed: false }, '2026-03-19T09:00:00.000Z'); // 100 min before FIXED_NOW
    const output = await archiveCheck(h.deps(stubClient('liveness', late)), check);
    expect(output).toEqual({ status: 'archived-partial', objects: 2, bytes: expect.any(Number), imagesMissing: 'window-passed', imagesMissingCount: 1 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ outcome: 'failed', retentionClass: 'liveness-failed', imagesMissing: { count: 1, reasons: ['window-passed'] } });
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect(manifest.missing).toEqual([{ source: { kind: 'liveness-probe' }, reason: 'window-passed', detail: expect.any(String) }]);
  });

  it('a result without frames right after completion is fully archived (no frames were requested)', async () => {
    const check = makeCheck('liveness');
    const output = await archiveCheck(h.deps(stubClient('liveness', livenessComplete({}, '2026-03-19T10:35:00.000Z'))), check);
    expect(output).toEqual({ status: 'archived', objects: 2, bytes: expect.any(Number) });
  });
});
