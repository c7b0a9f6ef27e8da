import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMAGE_SIZES, isUuidV1, renderImage, uuidV1EpochMs } from '../../../local/fake-providers';
import { bytesOf, CREDS, expectValidJpeg, expectValidPng, expectValidWebp, kyc, rawGet, startVirtual, T0, type VirtualFake } from './helpers';

const MINUTE = 60_000;
let fake: VirtualFake;
beforeEach(async () => {
  fake = await startVirtual();
});
afterEach(() => fake.close());

describe('kyc: auth', () => {
  it('accepts the JWT in the token header, or the API token in the body; both paths with and without /v1', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc' });
    expect((await kyc(fake, { sessionId: checkId })).body.status).toBe('success');
    expect((await kyc(fake, { sessionId: checkId }, { prefix: '' })).body.status).toBe('success');
    expect((await kyc(fake, { sessionId: checkId, token: CREDS.kycApiToken }, { jwt: null })).body.status).toBe('success');
  });

  it.each([
    ['no token at all', {}, null],
    ['a wrong header token', {}, 'eyJ.wrong.jwt'],
    ['a wrong body token', { token: '00000000-0000-1000-8000-000000000000' }, null],
    ['the JWT in the body', { token: CREDS.kycJwt }, null],
  ])('401 access denied with %s', async (_, extra, jwt) => {
    const { checkId } = fake.addCheck({ provider: 'kyc' });
    const res = await kyc(fake, { sessionId: checkId, ...extra }, { jwt });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ status: 'error', message: 'access denied' });
  });
});

describe('kyc: request validation', () => {
  it.each([
    ['sessionId not a UUID', { sessionId: 'not-a-uuid' }, 'sessionId', 'not-a-uuid'],
    ['sessionId a UUID v4', { sessionId: '550e8400-e29b-41d4-a716-446655440000' }, 'sessionId', '550e8400-e29b-41d4-a716-446655440000'],
    ['empty clientKey', { clientKey: '' }, 'clientKey', ''],
    ['clientKey over 36 characters', { clientKey: 'k'.repeat(37) }, 'clientKey', 'k'.repeat(37)],
  ])('400 invalid schema: %s', async (_, body, path, actual) => {
    const res = await kyc(fake, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ status: 'error', message: 'invalid schema', details: [{ expected: {}, actual, path }] });
  });

  it('400 when neither sessionId nor clientKey is given', async () => {
    expect(await kyc(fake, {})).toMatchObject({ status: 400, body: { status: 'error', message: 'sessionId or clientKey is required' } });
  });

  it('200 session not found for unknown ids; clientKey wins over sessionId', async () => {
    const a = fake.addCheck({ provider: 'kyc', clientKey: 'client-a' });
    const b = fake.addCheck({ provider: 'kyc', clientKey: 'client-b' });
    expect(await kyc(fake, { sessionId: '6f1c2e3a-0b4d-11ef-9a61-0242ac120099' })).toMatchObject({
      status: 200,
      body: { status: 'error', message: 'session not found' },
    });
    expect((await kyc(fake, { clientKey: 'nobody' })).body).toEqual({ status: 'error', message: 'session not found' });
    const res = await kyc(fake, { sessionId: a.checkId, clientKey: 'client-b' });
    expect(res.body.sessionId).toBe(b.checkId);
  });
});

describe('kyc: lifecycle and body', () => {
  it('idle → processing → success, with a UUID v1 sessionId and secondsToLive counting down', async () => {
    const created = fake.addCheck({ provider: 'kyc', pending: { polls: 2 }, ttlSeconds: 600 });
    expect(isUuidV1(created.checkId)).toBe(true);
    expect(uuidV1EpochMs(created.checkId)).toBe(T0);
    const first = await kyc(fake, { sessionId: created.checkId });
    expect(first.body).toMatchObject({ status: 'idle', sessionId: created.checkId, secondsToLive: 600, results: [], clientKey: created.clientKey });
    fake.advance(MINUTE);
    expect((await kyc(fake, { sessionId: created.checkId })).body).toMatchObject({ status: 'processing', secondsToLive: 540 });
    fake.advance(MINUTE);
    const done = (await kyc(fake, { clientKey: created.clientKey })).body;
    expect(done).toMatchObject({
      status: 'success',
      errors: [],
      createdAt: new Date(T0).toISOString(),
      responseTime: new Date(T0 + 2 * MINUTE).toISOString(),
      isClientNew: true,
      clientUser: '',
      secondsToLive: 480,
    });
    for (const key of ['schemaId', 'clientId', 'spent', 'email', 'wallet']) expect(done).toHaveProperty(key);
    expect(done.results.map((r: { type: string }) => r.type)).toEqual(['document', 'selfie', 'faces']);
    fake.advance(20 * MINUTE);
    expect((await kyc(fake, { sessionId: created.checkId })).body.secondsToLive).toBe(0);
  });

  it('has the documented task fields, history for tries > 1, and the faces pairs', async () => {
    const { checkId } = fake.addCheck({
      provider: 'kyc',
      tasks: [
        { type: 'document', imagesFull: 2, tries: 3 },
        { type: 'selfie', imagesFull: 1 },
      ],
    });
    const [doc, selfie, faces] = (await kyc(fake, { sessionId: checkId })).body.results;
    for (const key of ['status', 'type', 'spent', 'errors', 'docName', 'tries', 'startedAt', 'isBackSide', 'countryCode', 'checks', 'ocr', 'images', 'imagesFull', 'imageObjects', 'history']) {
      expect(doc).toHaveProperty(key);
    }
    expect(doc.tries).toBe(3);
    expect(doc.imagesFull).toEqual([
      `${fake.baseUrl}/images/kycfull/${checkId}/document_0_0.jpg`,
      `${fake.baseUrl}/images/kycfull/${checkId}/document_0_1.jpg`,
    ]);
    expect(doc.history).toHaveLength(2);
    expect(doc.history[0].imagesFull).toHaveLength(2);
    expect(new Set([...doc.imagesFull, ...doc.history.flatMap((h: { imagesFull: string[] }) => h.imagesFull)]).size).toBe(6);
    expect(doc.ocr.fields.map((f: { title: string }) => f.title)).toEqual(expect.arrayContaining(['Surname', 'Given name(s)', 'Date of birth']));
    expect(doc.checks[0].caption).toBe('fraud');
    for (const key of ['withDoc', 'faceSelfie', 'faceDoc', 'images', 'imagesFull', 'checks']) expect(selfie).toHaveProperty(key);
    expect(selfie).not.toHaveProperty('history');
    expect(faces.checks[0].items.map((i: { caption: string }) => i.caption)).toEqual(['document_0 & selfie_0', 'document_0 & selfie_0_document']);
    // Every URL in the body is served by this server as an image.
    const urls = [...doc.images, ...doc.imagesFull, ...doc.imageObjects, selfie.faceSelfie, selfie.faceDoc, ...faces.checks[0].items.flatMap((i: { images: string[] }) => i.images)];
    for (const url of urls) {
      const res = await bytesOf(url);
      expect(res.status).toBe(200);
      expectValidJpeg(res.bytes);
    }
    // Task times lie between creation and outcome.
    const started = Date.parse(doc.startedAt);
    expect(started).toBeGreaterThan(Date.parse(doc.history[1].startedAt));
  });

  it.each([
    ['failed', { status: 'failed' }],
    ['exception', { status: 'exception', results: [] }],
    ['expired', { status: 'expired', secondsToLive: 0, results: [] }],
  ] as const)('outcome %s', async (outcome, expected) => {
    const { checkId } = fake.addCheck({ provider: 'kyc', outcome, pending: { ms: MINUTE } });
    expect((await kyc(fake, { sessionId: checkId })).body.status).toBe('idle');
    fake.advance(MINUTE);
    const body = (await kyc(fake, { sessionId: checkId })).body;
    expect(body).toMatchObject(expected);
    if (outcome === 'failed') expect(body.results.some((r: { status: string }) => r.status === 'failed')).toBe(true);
    if (outcome === 'exception') expect(body.errors.length).toBeGreaterThan(0);
  });

  it('outcome not-found: the session disappears once its pending phase ends', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', outcome: 'not-found', pending: { polls: 1 } });
    expect((await kyc(fake, { sessionId: checkId })).body.status).toBe('idle');
    expect((await kyc(fake, { sessionId: checkId })).body).toEqual({ status: 'error', message: 'session not found' });
  });

  it('isClientNew is false for a repeat clientKey', async () => {
    fake.addCheck({ provider: 'kyc', clientKey: 'repeat' });
    const second = fake.addCheck({ provider: 'kyc', clientKey: 'repeat' });
    expect((await kyc(fake, { sessionId: second.checkId })).body.isClientNew).toBe(false);
  });
});

describe('kyc: images', () => {
  it('serves imagesFull in the scripted formats with the right Content-Type, deterministically', async () => {
    const { checkId } = fake.addCheck({
      provider: 'kyc',
      tasks: [{ type: 'document', imagesFull: 3 }],
      imageFormats: ['jpeg', 'png', 'webp'],
      imageBytes: 30_000,
    });
    const [doc] = (await kyc(fake, { sessionId: checkId })).body.results;
    const [jpeg, png, webp] = await Promise.all(doc.imagesFull.map((url: string) => bytesOf(url)));
    expect(jpeg!.headers.get('content-type')).toBe('image/jpeg');
    expect(png!.headers.get('content-type')).toBe('image/png');
    expect(webp!.headers.get('content-type')).toBe('image/webp');
    expectValidJpeg(jpeg!.bytes, IMAGE_SIZES.kycFull);
    expectValidPng(png!.bytes, IMAGE_SIZES.kycFull);
    expectValidWebp(webp!.bytes);
    expect(jpeg!.bytes.length).toBeGreaterThanOrEqual(30_000);
    expect((await bytesOf(doc.imagesFull[0])).bytes.equals(jpeg!.bytes)).toBe(true);
    const path = new URL(doc.imagesFull[0]).pathname;
    expect(jpeg!.bytes.equals(renderImage({ format: 'jpeg', seed: path, ...IMAGE_SIZES.kycFull, minBytes: 30_000 }))).toBe(true);
  });

  it('images 404 before the outcome and after the 30-minute window; unknown paths 404', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', pending: { polls: 1 } });
    const url = `${fake.baseUrl}/images/kycfull/${checkId}/document_0_0.jpg`;
    expect((await bytesOf(url)).status).toBe(404);
    await kyc(fake, { sessionId: checkId });
    await kyc(fake, { sessionId: checkId });
    expect((await bytesOf(url)).status).toBe(200);
    fake.advance(30 * MINUTE + 1);
    expect((await bytesOf(url)).status).toBe(404);
    expect((await kyc(fake, { sessionId: checkId })).body.results[0].imagesFull).toEqual([url]);
    expect((await bytesOf(`${fake.baseUrl}/images/kycfull/${checkId}/nope.jpg`)).status).toBe(404);
  });

  it('completedAgoMs past the window: the URLs are listed but vanished', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', completedAgoMs: 2 * 3600_000 });
    const [doc] = (await kyc(fake, { sessionId: checkId })).body.results;
    expect((await bytesOf(doc.imagesFull[0])).status).toBe(404);
  });

  it('redirect faults: a chain on this server, and a hop to a host that must not be fetched', async () => {
    const { checkId } = fake.addCheck({
      provider: 'kyc',
      tasks: [{ type: 'document', imagesFull: 2 }],
      faults: {
        images: [
          { task: 0, image: 0, kind: 'redirect', hops: 2 },
          { task: 0, image: 1, kind: 'redirect-to', location: 'http://169.254.169.254/latest/meta-data' },
        ],
      },
    });
    const [doc] = (await kyc(fake, { sessionId: checkId })).body.results;
    const hop1 = await fetch(doc.imagesFull[0], { redirect: 'manual' });
    expect(hop1.status).toBe(302);
    const hop2 = await fetch(hop1.headers.get('location')!, { redirect: 'manual' });
    expect(hop2.status).toBe(302);
    const target = hop2.headers.get('location')!;
    expect(new URL(target).origin).toBe(fake.baseUrl);
    const followed = await bytesOf(doc.imagesFull[0]);
    expect(followed.status).toBe(200);
    expectValidJpeg(followed.bytes);
    const evil = await fetch(doc.imagesFull[1], { redirect: 'manual' });
    expect(evil.status).toBe(302);
    expect(evil.headers.get('location')).toBe('http://169.254.169.254/latest/meta-data');
  });

  it('url fault: the imagesFull entry itself points at a forbidden host', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', faults: { images: [{ task: 1, kind: 'url', url: 'http://127.0.0.1:9001/2018-06-01/runtime/invocation/next' }] } });
    const [, selfie] = (await kyc(fake, { sessionId: checkId })).body.results;
    expect(selfie.imagesFull).toEqual(['http://127.0.0.1:9001/2018-06-01/runtime/invocation/next']);
  });

  it('wrong content type, not found, server error', async () => {
    const { checkId } = fake.addCheck({
      provider: 'kyc',
      tasks: [{ type: 'document', imagesFull: 3 }],
      faults: {
        images: [
          { task: 0, image: 0, kind: 'wrong-content-type' },
          { task: 0, image: 1, kind: 'not-found' },
          { task: 0, image: 2, kind: 'server-error', status: 503 },
        ],
      },
    });
    const [doc] = (await kyc(fake, { sessionId: checkId })).body.results;
    const wrong = await bytesOf(doc.imagesFull[0]);
    expect(wrong.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectValidJpeg(wrong.bytes);
    expect((await bytesOf(doc.imagesFull[1])).status).toBe(404);
    expect((await bytesOf(doc.imagesFull[2])).status).toBe(503);
  });

  it('fail-mid-stream: the full length is announced, half arrives, the connection drops', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', imageBytes: 200_000, faults: { images: [{ task: 0, kind: 'fail-mid-stream' }] } });
    const [doc] = (await kyc(fake, { sessionId: checkId })).body.results;
    const res = await rawGet(doc.imagesFull[0]);
    expect(res.status).toBe(200);
    expect(res.aborted).toBe(true);
    expect(Number(res.headers['content-length'])).toBeGreaterThanOrEqual(200_000);
    expect(res.bytes.length).toBe(Math.floor(Number(res.headers['content-length']) / 2));
    await expect(fetch(doc.imagesFull[0]).then((r) => r.arrayBuffer())).rejects.toThrow();
  });

  it('oversized images are streamed: valid JPEG of N MiB in many chunks, with or without Content-Length', async () => {
    const { checkId } = fake.addCheck({
      provider: 'kyc',
      tasks: [{ type: 'document', imagesFull: 2 }],
      faults: {
        images: [
          { task: 0, image: 0, kind: 'oversized', mib: 8 },
          { task: 0, image: 1, kind: 'oversized', mib: 3, omitContentLength: true },
        ],
      },
    });
    const [doc] = (await kyc(fake, { sessionId: checkId })).body.results;
    const big = await rawGet(doc.imagesFull[0]);
    expect(big.aborted).toBe(false);
    expect(Number(big.headers['content-length'])).toBe(big.bytes.length);
    expect(big.bytes.length).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(big.chunks).toBeGreaterThan(16);
    expectValidJpeg(big.bytes);
    const chunked = await rawGet(doc.imagesFull[1]);
    expect(chunked.headers['content-length']).toBeUndefined();
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.bytes.length).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    expectValidJpeg(chunked.bytes);
    expect(fake.stats().imageBytesSent).toBe(big.bytes.length + chunked.bytes.length);
  });

  it('a client can abort an oversized stream early without upsetting the server', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', faults: { images: [{ task: 0, kind: 'oversized', mib: 256 }] } });
    const [doc] = (await kyc(fake, { sessionId: checkId })).body.results;
    const controller = new AbortController();
    const res = await fetch(doc.imagesFull[0], { signal: controller.signal });
    expect(Number(res.headers.get('content-length'))).toBeGreaterThanOrEqual(256 * 1024 * 1024);
    const reader = res.body!.getReader();
    let read = 0;
    while (read < 1024 * 1024) read += (await reader.read()).value?.length ?? 0;
    controller.abort();
    expect((await kyc(fake, { sessionId: checkId })).status).toBe(200);
  });
});

describe('kyc: status faults', () => {
  it('5xx burst with the provider error shape, then 429 with Retry-After, then the answer', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', faults: { serverErrors: { count: 1 }, rateLimited: { count: 1, retryAfterSeconds: 30 } } });
    expect(await kyc(fake, { sessionId: checkId })).toMatchObject({ status: 503, body: { status: 'error' } });
    const limited = await kyc(fake, { sessionId: checkId });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect((await kyc(fake, { sessionId: checkId })).body.status).toBe('success');
  });

  it('truncated: the first answer is cut half way', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', faults: { truncated: {} } });
    const headers = { 'content-type': 'application/json', token: CREDS.kycJwt };
    const init = { method: 'POST', headers, body: JSON.stringify({ sessionId: checkId }) };
    await expect(fetch(`${fake.baseUrl}/v1/kyc/session/status`, init).then((r) => r.json())).rejects.toThrow();
    await expect(fetch(`${fake.baseUrl}/v1/kyc/session/status`, init).then((r) => r.json())).resolves.toMatchObject({ status: 'success' });
  });
});
