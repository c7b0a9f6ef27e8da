import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck } from '../../../lambdas/archive/engine';
import { subjectHashOf } from '../../../lambdas/checks/check-ref';
import { startEmulators, type Emulators } from '../../../local/emulators';
import {
  getRecord,
  harness,
  listKeys,
  loopbackPolicy,
  makeCheck,
  manifestOf,
  readJson,
  readObject,
  stubClient,
  tagsOf,
  type Harness,
  PER_CHECK_CAPS,
} from '../../support/archive-harness';
import { startImageServer, type ImageServer } from '../../support/image-server';
import { jpegShapedBytes, makeJpeg, makePng, sha256 } from '../../support/images';
import { kycComplete } from '../../support/answers';
import { TEST_KEY } from '../../support/identifier-key';

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

/** Serves `body` at a fresh path and returns its URL. */
let n = 0;
function serve(body: Buffer, contentType = 'image/jpeg', encoding?: 'gzip'): string {
  const path = `/images/kycfull/${++n}/img.${contentType.split('/')[1]}`;
  images.route(path, { kind: 'image', body, contentType, ...(encoding ? { encoding } : {}) });
  return images.url(path);
}

describe('archiveCheck: KYC', () => {
  it('streams every imagesFull of every task and history attempt, and the faces pairs, into S3 byte for byte; other links stay off by default', async () => {
    const faceA = makeJpeg(12, 12, 16);
    const faceB = makePng(12, 12, 17);
    const docFront = makeJpeg(64, 48, 11);
    const docBack = makePng(32, 32, 12);
    const selfie = jpegShapedBytes(6 * 1024 * 1024 + 333); // above one 5 MiB part: a real multipart stream
    const firstTry = makeJpeg(40, 40, 13);
    const thumb = makeJpeg(8, 8, 14);
    const cutout = makeJpeg(8, 8, 15);
    const urls = {
      docFront: serve(docFront),
      docBack: serve(docBack, 'image/png'),
      selfie: serve(selfie),
      firstTry: serve(firstTry),
      thumb: serve(thumb),
      cutout: serve(cutout),
      faceA: serve(faceA),
      faceB: serve(faceB, 'image/png'),
    };
    const session = {
      results: [
        {
          status: 'success',
          type: 'document',
          docName: 'Passport (2006)',
          tries: 1,
          ocr: { status: 'success', fields: [{ title: 'Surname', value: 'DOE', conf: 'high' }] },
          images: [urls.thumb],
          imagesFull: [urls.docFront, urls.docBack],
          imageObjects: [],
        },
        {
          status: 'success',
          type: 'selfie',
          tries: 2,
          faceSelfie: urls.cutout,
          faceDoc: '',
          images: [urls.thumb],
          imagesFull: [urls.selfie],
          history: [{ status: 'failed', type: 'selfie', errors: ['[selfie] blurry'], imagesFull: [urls.firstTry], images: [urls.thumb] }],
        },
        { status: 'success', type: 'faces', checks: [{ caption: 'Face matching', items: [{ value: '92%', images: [urls.faceA, urls.faceB] }] }] },
      ],
    };
    const check = makeCheck('kyc', { checkId: '550e8400-e29b-11d4-a716-446655440000' });
    const output = await archiveCheck(h.deps(stubClient('kyc', kycComplete(session))), check);

    const prefix = `${check.checkRef.slice(0, 2)}/kyc/${check.checkRef}/`;
    const expected: Record<string, Buffer> = {
      'kyc/0-document/0.jpg': docFront,
      'kyc/0-document/1.png': docBack,
      'kyc/1-selfie/0.jpg': selfie,
      'kyc/1-selfie/history-0-0.jpg': firstTry,
      'kyc/2-faces/check-0-0-0.jpg': faceA,
      'kyc/2-faces/check-0-0-1.png': faceB,
    };
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({
      status: 'archived',
      outcome: 'success',
      providerStatus: 'success',
      retentionClass: 'aml-cdd',
      clientKeyHash: subjectHashOf(TEST_KEY, 'my_client_key_123'),
      providerCreatedAt: '2026-03-19T10:31:06.000Z',
      completedAt: '2026-03-19T10:31:30.000Z',
      objects: 9,
      images: 6,
    });
    expect(record!.retentionBasis).toMatch(/AML record-keeping \(FATF R\.11, EU AMLR art\. 77/);
    expect(record!.imagesMissing).toBeUndefined();
    expect(output).toEqual({ status: 'archived', objects: 9, bytes: record!.bytes, images: 6 });

    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual(
      [...Object.keys(expected).map((key) => prefix + key), `${prefix}answer.json`, `${prefix}manifest.json`, `${prefix}result.json`].sort(),
    );
    for (const [relative, source] of Object.entries(expected)) {
      const stored = await readObject(h.s3, emulators.bucketName, prefix + relative);
      expect(stored.length).toBe(source.length);
      expect(stored.equals(source)).toBe(true);
      const entry = manifest.objects.find((object) => object.key === prefix + relative)!;
      expect(entry.sha256).toBe(sha256(source));
      expect(entry.bytes).toBe(source.length);
      expect(entry.source).toMatchObject({ kind: relative.includes('check-') ? 'kyc-check-image' : 'kyc-image', host: '127.0.0.1' });
      expect(await tagsOf(h.s3, emulators.bucketName, prefix + relative)).toEqual({ 'retention-class': 'aml-cdd', sha256: sha256(source) });
    }
    expect(manifest.objects.find((object) => object.key.endsWith('history-0-0.jpg'))!.source).toEqual({
      kind: 'kyc-image',
      task: 1,
      taskType: 'selfie',
      link: 'imagesFull',
      index: 0,
      attempt: 0,
      host: '127.0.0.1',
    });
    expect(manifest.objects.find((object) => object.key.endsWith('check-0-0-1.png'))!.source).toEqual({
      kind: 'kyc-check-image',
      task: 2,
      taskType: 'faces',
      group: 0,
      item: 0,
      index: 1,
      host: '127.0.0.1',
    });
    // Thumbnails and face cut-outs were never requested.
    expect(images.hits(new URL(urls.thumb).pathname)).toBe(0);
    expect(images.hits(new URL(urls.cutout).pathname)).toBe(0);

    const result = await readJson<any>(h.s3, emulators.bucketName, record!.resultKey!);
    expect(result.results[0].imagesFull[1]).toEqual({ url: urls.docBack, archivedKey: `${prefix}kyc/0-document/1.png`, sha256: sha256(docBack) });
    expect(result.results[1].history[0].imagesFull[0]).toMatchObject({ archivedKey: `${prefix}kyc/1-selfie/history-0-0.jpg` });
    expect(result.results[1].images).toEqual([urls.thumb]);
    expect(result.results[0].ocr.fields[0].value).toBe('DOE'); // the full answer is kept, only links are rewritten
  });

  it('stores an image a host gzip-encoded anyway as its decoded bytes, and says so in the manifest and the record', async () => {
    const plain = makeJpeg(32, 32, 31);
    const encoded = makePng(32, 32, 32);
    const session = { results: [{ status: 'success', type: 'document', imagesFull: [serve(plain), serve(encoded, 'image/png', 'gzip')] }] };
    const check = makeCheck('kyc');
    await archiveCheck(h.deps(stubClient('kyc', kycComplete(session))), check);
    const prefix = `${check.checkRef.slice(0, 2)}/kyc/${check.checkRef}/`;
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}kyc/0-document/1.png`)).equals(encoded)).toBe(true);
    const record = (await getRecord(h.dynamo, emulators.tableName, check))!;
    const manifest = await manifestOf(h.s3, emulators.bucketName, record);
    const entries = manifest.objects.filter((object: { key: string }) => object.key.includes('/0-document/'));
    expect(entries.map((object: { key: string; receivedEncoding?: string }) => [object.key.slice(prefix.length), object.receivedEncoding])).toEqual([
      ['kyc/0-document/0.jpg', undefined],
      ['kyc/0-document/1.png', 'gzip'],
    ]);
    expect(record.status).toBe('archived');
    expect(record.encodedByHost).toBe(1);
  });

  it('downloads at most maxImagesPerCheck links: the others are never requested, one over-limit entry counts them', async () => {
    const urls = Array.from({ length: 5 }, (_, i) => serve(makeJpeg(8, 8, 40 + i)));
    const check = makeCheck('kyc');
    const limits = { ...PER_CHECK_CAPS, maxImagesPerCheck: 3, maxFrameBytes: 1 << 20, maxImageBytes: 1 << 20, quarantineMaxBytes: 1 << 20, concurrency: 2 };
    await archiveCheck(h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: urls }] })), { limits }), check);
    expect(urls.map((url) => images.hits(new URL(url).pathname))).toEqual([1, 1, 1, 0, 0]);
    const record = (await getRecord(h.dynamo, emulators.tableName, check))!;
    expect(record).toMatchObject({ status: 'archived-partial', imagesMissing: { count: 2, reasons: ['over-limit'] } });
    const manifest = await manifestOf(h.s3, emulators.bucketName, record);
    expect(manifest.missing).toEqual([
      { source: { kind: 'kyc-image', task: 0, taskType: 'document', link: 'imagesFull', index: 3, host: '127.0.0.1' }, reason: 'over-limit', detail: '2 of 5 images over the per-check cap of 3', count: 2 },
    ]);
  });

  it('downloads a signed link as given, and keeps it without its signature in answer.json and result.json', async () => {
    const image = makeJpeg(16, 16, 51);
    const signed = `${serve(image)}?X-Amz-Expires=900&X-Amz-Signature=0123abcd&X-Amz-Credential=AKIA%2Fx`;
    const check = makeCheck('kyc');
    await archiveCheck(h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: [signed] }] }))), check);
    const record = (await getRecord(h.dynamo, emulators.tableName, check))!;
    const prefix = `${check.checkRef.slice(0, 2)}/kyc/${check.checkRef}/`;
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}kyc/0-document/0.jpg`)).equals(image)).toBe(true);
    const answer = (await readObject(h.s3, emulators.bucketName, record.answerKey!)).toString('utf8');
    const result = (await readObject(h.s3, emulators.bucketName, record.resultKey!)).toString('utf8');
    for (const kept of [answer, result]) {
      expect(kept).not.toContain('X-Amz-Signature');
      expect(kept).toContain(signed.slice(0, signed.indexOf('?')));
    }
    const manifest = await manifestOf(h.s3, emulators.bucketName, record);
    expect(manifest.objects.find((object) => object.key === record.answerKey)!.source).toMatchObject({ kind: 'answer-as-received', signedUrlsStripped: 1 });
  });

  it('keeps the extra link kinds the configuration names', async () => {
    const thumb = makeJpeg(8, 8, 21);
    const cutout = makePng(4, 4, 22);
    const full = makeJpeg(16, 16, 23);
    const session = {
      results: [
        {
          status: 'success',
          type: 'selfie',
          faceSelfie: serve(cutout, 'image/png'),
          faceDoc: null,
          images: [serve(thumb)],
          imagesFull: [serve(full)],
          history: [{ images: [serve(thumb)] }],
        },
      ],
    };
    const check = makeCheck('kyc');
    await archiveCheck(h.deps(stubClient('kyc', kycComplete(session)), { kycImageLinks: ['faceSelfie', 'images'] }), check);
    const prefix = `${check.checkRef.slice(0, 2)}/kyc/${check.checkRef}/`;
    expect(await listKeys(h.s3, emulators.bucketName, `${prefix}kyc/`)).toEqual([
      `${prefix}kyc/0-selfie/0.jpg`,
      `${prefix}kyc/0-selfie/face-selfie.png`,
      `${prefix}kyc/0-selfie/history-0-images-0.jpg`,
      `${prefix}kyc/0-selfie/images-0.jpg`,
    ]);
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}kyc/0-selfie/face-selfie.png`)).equals(cutout)).toBe(true);
  });

  it('records images it could not get (refused, gone, cut off), keeps what is not a valid image in quarantine, and archives the others', async () => {
    const good = makeJpeg(32, 32, 31);
    const flaky = makeJpeg(48, 48, 32);
    const broken = makeJpeg(48, 48, 33);
    images.route('/gone', { kind: 'status', status: 404 });
    images.route('/expired', { kind: 'status', status: 410 });
    images.route('/html', { kind: 'image', body: Buffer.from('<html>login</html>'), contentType: 'image/jpeg' });
    images.route('/huge', { kind: 'image', body: jpegShapedBytes(3 * 1024 * 1024), contentType: 'image/jpeg' });
    images.route('/flaky', { kind: 'cut', body: flaky, contentType: 'image/jpeg', sendBytes: 1000, failures: 1 });
    images.route('/broken', { kind: 'cut', body: broken, contentType: 'image/jpeg', sendBytes: 1000 });
    const urls = [
      serve(good), //                                          0 archived
      'http://169.254.169.254/latest/meta-data/iam/', //       1 refused: metadata address, not allowed
      'https://evil.example.com/kycfull/x.jpg', //             2 refused: host not allowed
      images.url('/gone'), //                                  3 window passed
      images.url('/expired'), //                               4 window passed
      images.url('/html'), //                                  5 quarantined: not an image
      images.url('/huge'), //                                  6 quarantined: over the byte cap
      images.url('/flaky'), //                                 7 cut once, retried, archived
      images.url('/broken'), //                                8 cut every time: download failed
    ];
    const check = makeCheck('kyc');
    const deps = h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: urls }] }, 'failed')), {
      limits: { ...PER_CHECK_CAPS, maxFrameBytes: 1024 * 1024, maxImageBytes: 1024 * 1024, quarantineMaxBytes: 4 * 1024 * 1024, concurrency: 4 },
    });
    const output = await archiveCheck(deps, check);
    expect(output.status).toBe('archived-partial');
    expect(output.imagesMissing).toBe('download-failed,refused,window-passed');
    expect(output.quarantined).toBe(2);

    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ outcome: 'failed', retentionClass: 'aml-cdd', imagesMissing: { count: 5 }, quarantined: { count: 2, reasons: ['magic-mismatch', 'too-large'] } });
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    const missingByIndex = Object.fromEntries(manifest.missing.map((entry) => [(entry.source as { index: number }).index, entry]));
    expect(Object.keys(missingByIndex).map(Number).sort()).toEqual([1, 2, 3, 4, 8]);
    expect(missingByIndex[1]).toMatchObject({ reason: 'refused', detail: 'scheme', source: { host: '169.254.169.254' } });
    expect(missingByIndex[2]).toMatchObject({ reason: 'refused', detail: 'host-not-allowed', source: { host: 'evil.example.com' } });
    expect(missingByIndex[3]).toMatchObject({ reason: 'window-passed', detail: 'gone: HTTP 404' });
    expect(missingByIndex[4]).toMatchObject({ reason: 'window-passed', detail: 'gone: HTTP 410' });
    expect(missingByIndex[8]).toMatchObject({ reason: 'download-failed' });
    expect(images.hits('/broken')).toBe(3);
    expect(images.hits('/flaky')).toBe(2);
    expect(images.hits('/gone')).toBe(1); // gone is final: not retried

    const prefix = `${check.checkRef.slice(0, 2)}/kyc/${check.checkRef}/`;
    expect(await listKeys(h.s3, emulators.bucketName, `${prefix}kyc/`)).toEqual([`${prefix}kyc/0-document/0.jpg`, `${prefix}kyc/0-document/7.jpg`]);
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}kyc/0-document/7.jpg`)).equals(flaky)).toBe(true);
    expect(await listKeys(h.s3, emulators.bucketName, `${prefix}quarantine/`)).toEqual([`${prefix}quarantine/kyc/0-document/5.bin`, `${prefix}quarantine/kyc/0-document/6.bin`]);
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}quarantine/kyc/0-document/5.bin`)).toString()).toBe('<html>login</html>');
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}quarantine/kyc/0-document/6.bin`)).length).toBe(3 * 1024 * 1024);
    const result = await readJson<any>(h.s3, emulators.bucketName, record!.resultKey!);
    expect(result.results[0].imagesFull[1]).toEqual({ url: urls[1], missing: 'refused', detail: missingByIndex[1]!.detail });
  });

  it('surfaces every SSRF rule as a refused image with the rule, while allowed images are archived', async () => {
    const ok = makeJpeg(16, 16, 81);
    images.route('/ssrf/ok.jpg', { kind: 'image', body: ok, contentType: 'image/jpeg' });
    images.route('/ssrf/to-metadata', { kind: 'redirect', location: 'https://169.254.169.254/latest/meta-data/' });
    images.route('/ssrf/to-evil', { kind: 'redirect', location: 'https://evil.example.com/x.jpg' });
    images.route('/ssrf/loop', { kind: 'redirect', location: images.url('/ssrf/loop') });
    const port = new URL(images.origin).port;
    const cases: Array<[string, string]> = [
      ['not a url', 'bad-url'],
      [`http://user:secret@127.0.0.1:${port}/ssrf/ok.jpg`, 'credentials-in-url'],
      [`http://localhost:${port}/ssrf/ok.jpg`, 'scheme'],
      ['https://169.254.169.254/latest/meta-data/iam/', 'forbidden-address'],
      ['https://evil.example.com/kycfull/x.jpg', 'host-not-allowed'],
      ['https://localhost:8443/kycfull/x.jpg', 'port-not-allowed'],
      [images.url('/ssrf/to-metadata'), 'forbidden-address'],
      [images.url('/ssrf/to-evil'), 'host-not-allowed'],
      [images.url('/ssrf/loop'), 'too-many-redirects'],
    ];
    const urls = [images.url('/ssrf/ok.jpg'), ...cases.map(([url]) => url)];
    const logs: string[] = [];
    const check = makeCheck('kyc');
    const deps = h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: urls }] })), {
      downloadPolicy: loopbackPolicy({ allowedHosts: ['127.0.0.1', 'localhost'], maxRedirects: 2 }),
      logger: { info: (m, a) => void logs.push(JSON.stringify([m, a])), warn: (m, a) => void logs.push(JSON.stringify([m, a])) },
    });
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived-partial', imagesMissing: 'refused' });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    const refusals = manifest.missing
      .map((entry) => [(entry.source as { index: number }).index, entry.reason, entry.detail])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(refusals).toEqual(cases.map(([, rule], i) => [i + 1, 'refused', rule]));
    const prefix = `${check.checkRef.slice(0, 2)}/kyc/${check.checkRef}/`;
    expect(await listKeys(h.s3, emulators.bucketName, `${prefix}kyc/`)).toEqual([`${prefix}kyc/0-document/0.jpg`]);
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}kyc/0-document/0.jpg`)).equals(ok)).toBe(true);
    // Manifest and record never carry the URL's credentials or paths; the refused link stays only in result.json.
    expect(JSON.stringify({ manifest, record })).not.toContain('secret');
    expect(logs.some((line) => line.includes('"refused"'))).toBe(true);
    for (const line of logs) {
      expect(line).not.toContain('secret');
      expect(line).not.toContain('/ssrf/');
      expect(line).not.toContain(check.checkId);
    }

    // Private addresses are refused unless the policy allows them (local mode only).
    const strict = makeCheck('kyc');
    const strictDeps = h.deps(stubClient('kyc', kycComplete({ results: [{ type: 'document', imagesFull: [images.url('/ssrf/ok.jpg')] }] })), {
      downloadPolicy: loopbackPolicy({ allowPrivateAddresses: false }),
    });
    await archiveCheck(strictDeps, strict);
    const strictManifest = await manifestOf(h.s3, emulators.bucketName, (await getRecord(h.dynamo, emulators.tableName, strict))!);
    expect(strictManifest.missing).toEqual([
      { source: expect.objectContaining({ host: '127.0.0.1' }), reason: 'refused', detail: 'forbidden-address' },
    ]);
  });
});
