import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { livenessFrameSpec, renderImage, type ImageFormat } from '../../../local/fake-providers';
import { dataUriParts, expectValidJpeg, expectValidPng, expectValidWebp, liveness, rawGet, startVirtual, strictBase64, T0, type VirtualFake, CREDS } from './helpers';

const MINUTE = 60_000;
let fake: VirtualFake;
beforeEach(async () => {
  fake = await startVirtual();
});
afterEach(() => fake.close());

describe('liveness: auth and unknown tokens', () => {
  it('401 without or with a wrong x-api-key, before looking at the token', async () => {
    const { checkId } = fake.addCheck({ provider: 'liveness' });
    for (const key of [null, 'wrong']) {
      const res = await liveness(fake, checkId, key);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized' });
    }
  });

  it('400 for an unknown or missing token', async () => {
    expect(await liveness(fake, 'nope')).toMatchObject({ status: 400, body: { error: 'invalid or unknown token' } });
    const res = await fetch(`${fake.baseUrl}/liveness_check`, { headers: { 'x-api-key': CREDS.livenessApiKey } });
    expect(res.status).toBe(400);
  });
});

describe('liveness: lifecycle', () => {
  it('pending → in_progress (202) for N polls, then complete (200) with the full result', async () => {
    const { checkId } = fake.addCheck({ provider: 'liveness', pending: { polls: 2 }, auditFrames: 4 });
    expect(await liveness(fake, checkId)).toMatchObject({ status: 202, body: { status: 'pending' } });
    fake.advance(1000);
    expect(await liveness(fake, checkId)).toMatchObject({ status: 202, body: { status: 'in_progress' } });
    fake.advance(1000);
    const done = await liveness(fake, checkId);
    expect(done.status).toBe(200);
    const { result } = done.body;
    expect(done.body.status).toBe('complete');
    expect(result).toMatchObject({ passed: true, confidence: 0.97, threshold: 0.8, checked_at: new Date(T0 + 2000).toISOString() });
    expect(Object.keys(result.bounding_box).sort()).toEqual(['height', 'width', 'x', 'y']);
    expect(result.audit_images).toHaveLength(4);
    // Both documented shapes: {image, bounding_box} objects and plain data URIs.
    expect(typeof result.audit_images[0]).toBe('object');
    expect(result.audit_images[0].bounding_box).toBeDefined();
    expect(typeof result.audit_images[1]).toBe('string');
    // Idempotent: polling again returns the same terminal answer.
    expect((await liveness(fake, checkId)).body).toEqual(done.body);
  });

  it('completes by (simulated) time, dated at the scripted moment', async () => {
    const { checkId } = fake.addCheck({ provider: 'liveness', pending: { ms: 5 * MINUTE }, passed: false });
    expect((await liveness(fake, checkId)).status).toBe(202);
    fake.advance(5 * MINUTE - 1);
    expect((await liveness(fake, checkId)).status).toBe(202);
    fake.advance(2 * MINUTE);
    const done = await liveness(fake, checkId);
    expect(done.status).toBe(200);
    expect(done.body.result).toMatchObject({ passed: false, checked_at: new Date(T0 + 5 * MINUTE).toISOString() });
  });

  it('scales scripted times by the time factor', async () => {
    const scaled = await startVirtual({ timeFactor: 60 });
    try {
      const { checkId } = scaled.addCheck({ provider: 'liveness', pending: { ms: 10 * MINUTE } });
      scaled.advance(9_000); // 9 real seconds = 9 simulated minutes
      expect((await liveness(scaled, checkId)).status).toBe(202);
      scaled.advance(1_000);
      expect((await liveness(scaled, checkId)).status).toBe(200);
    } finally {
      await scaled.close();
    }
  });

  it('terminal failed is 200 {"status":"failed"} without a result; expired is 410; not-found is 400', async () => {
    const failed = fake.addCheck({ provider: 'liveness', outcome: 'failed' });
    expect(await liveness(fake, failed.checkId)).toEqual(expect.objectContaining({ status: 200, body: { status: 'failed' } }));
    const expired = fake.addCheck({ provider: 'liveness', outcome: 'expired', pending: { polls: 1 } });
    expect((await liveness(fake, expired.checkId)).status).toBe(202);
    expect(await liveness(fake, expired.checkId)).toMatchObject({ status: 410, body: { error: 'link expired' } });
    const vanished = fake.addCheck({ provider: 'liveness', outcome: 'not-found' });
    expect(await liveness(fake, vanished.checkId)).toMatchObject({ status: 400, body: { error: 'invalid or unknown token' } });
  });
});

describe('liveness: frames', () => {
  it('serves valid, deterministic frames in the requested formats', async () => {
    const script = { provider: 'liveness' as const, checkId: 'fixed-token', auditFrames: 3, frameFormats: ['jpeg', 'png', 'webp'] as ImageFormat[], frameBytes: 20_000 };
    fake.addCheck(script);
    const { result } = (await liveness(fake, 'fixed-token')).body;
    const probe = dataUriParts(result.image);
    expect(probe.mediaType).toBe('image/jpeg');
    const probeBytes = strictBase64(probe.payload);
    expectValidJpeg(probeBytes, { width: 64, height: 48 });
    expect(probeBytes.length).toBeGreaterThanOrEqual(20_000);
    expect(probeBytes.equals(renderImage(livenessFrameSpec('fixed-token', 'probe', script)))).toBe(true);

    const frames = result.audit_images.map((entry: string | { image: string }) => dataUriParts(typeof entry === 'string' ? entry : entry.image));
    expect(frames.map((f: { mediaType: string }) => f.mediaType)).toEqual(['image/png', 'image/webp', 'image/jpeg']);
    expectValidPng(strictBase64(frames[0].payload), { width: 64, height: 48 });
    expectValidWebp(strictBase64(frames[1].payload));
    expectValidJpeg(strictBase64(frames[2].payload));
    expect(strictBase64(frames[2].payload).equals(renderImage(livenessFrameSpec('fixed-token', 2, script)))).toBe(true);
  });

  it('drops image and audit_images after the 30-minute window, returning the same result otherwise', async () => {
    const { checkId } = fake.addCheck({ provider: 'liveness' });
    const fresh = (await liveness(fake, checkId)).body;
    expect(fresh.result.image).toBeDefined();
    fake.advance(29 * MINUTE);
    expect((await liveness(fake, checkId)).body.result.image).toBeDefined();
    fake.advance(2 * MINUTE);
    const later = (await liveness(fake, checkId)).body;
    expect(later.result).not.toHaveProperty('image');
    expect(later.result).not.toHaveProperty('audit_images');
    const { image: _image, audit_images: _frames, ...rest } = fresh.result;
    expect(later).toEqual({ status: 'complete', result: rest });
  });

  it('completedAgoMs past the window: images already vanished; the window scales with the time factor', async () => {
    const old = fake.addCheck({ provider: 'liveness', completedAgoMs: 45 * MINUTE });
    expect((await liveness(fake, old.checkId)).body.result).not.toHaveProperty('image');
    const scaled = await startVirtual({ timeFactor: 60 });
    try {
      const { checkId } = scaled.addCheck({ provider: 'liveness' });
      scaled.advance(29_000);
      expect((await liveness(scaled, checkId)).body.result.image).toBeDefined();
      scaled.advance(2_000);
      expect((await liveness(scaled, checkId)).body.result).not.toHaveProperty('image');
    } finally {
      await scaled.close();
    }
  });

  it('frame faults: malformed base64, magic bytes of another type, an unsupported media type', async () => {
    const { checkId } = fake.addCheck({
      provider: 'liveness',
      auditFrames: 3,
      faults: {
        frames: [
          { frame: 'probe', kind: 'malformed-base64' },
          { frame: 0, kind: 'magic-mismatch' },
          { frame: 1, kind: 'unsupported-type' },
        ],
      },
    });
    const { result } = (await liveness(fake, checkId)).body;
    expect(() => strictBase64(dataUriParts(result.image).payload)).toThrow('malformed base64');
    const mismatch = dataUriParts(result.audit_images[0].image);
    expect(mismatch.mediaType).toBe('image/jpeg');
    expectValidPng(strictBase64(mismatch.payload));
    const svg = dataUriParts(result.audit_images[1]);
    expect(svg.mediaType).toBe('image/svg+xml');
    expect(strictBase64(svg.payload).toString()).toContain('<svg');
    expectValidJpeg(strictBase64(dataUriParts(result.audit_images[2].image).payload));
  });

  it('an oversized frame is streamed inside the JSON body (many chunks, exact Content-Length, valid JPEG)', async () => {
    const { checkId } = fake.addCheck({ provider: 'liveness', auditFrames: 1, faults: { frames: [{ frame: 0, kind: 'oversized', mib: 6 }] } });
    const res = await rawGet(`${fake.baseUrl}/liveness_check?token=${checkId}`, { 'x-api-key': CREDS.livenessApiKey });
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(res.bytes.length);
    expect(res.chunks).toBeGreaterThan(8);
    const body = JSON.parse(res.bytes.toString('utf8'));
    const frame = strictBase64(dataUriParts(body.result.audit_images[0].image).payload);
    expect(frame.length).toBeGreaterThanOrEqual(6 * 1024 * 1024);
    expectValidJpeg(frame);
    expectValidJpeg(strictBase64(dataUriParts(body.result.image).payload));
  });
});

describe('liveness: status faults', () => {
  it('5xx burst then 429 with Retry-After, neither counting as a poll', async () => {
    const { checkId } = fake.addCheck({
      provider: 'liveness',
      pending: { polls: 1 },
      faults: { serverErrors: { count: 2, status: 500 }, rateLimited: { count: 1, retryAfterSeconds: 7 } },
    });
    expect((await liveness(fake, checkId)).status).toBe(500);
    expect((await liveness(fake, checkId)).status).toBe(500);
    const limited = await liveness(fake, checkId);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await liveness(fake, checkId)).toMatchObject({ status: 202, body: { status: 'pending' } });
    expect((await liveness(fake, checkId)).status).toBe(200);
    expect(fake.stats().checks[0]).toMatchObject({ requests: 5, answers: 2, phase: 'terminal' });
  });

  it('an outage from creation: every request answers its status for `ms`, then the check goes on where it was', async () => {
    const { checkId } = fake.addCheck({ provider: 'liveness', pending: { polls: 1 }, faults: { outage: { ms: 60_000, status: 502 } } });
    expect((await liveness(fake, checkId)).status).toBe(502);
    fake.advance(59_999);
    expect(await liveness(fake, checkId)).toMatchObject({ status: 502, body: { error: 'bad gateway' } });
    fake.advance(1);
    expect(await liveness(fake, checkId)).toMatchObject({ status: 202, body: { status: 'pending' } });
    expect((await liveness(fake, checkId)).status).toBe(200);
    expect(fake.stats().checks[0]).toMatchObject({ requests: 4, answers: 2 });
  });

  it('an outage after the first terminal answer: the poll sees the outcome, the next fetch meets the outage (429, Retry-After)', async () => {
    const outage = { ms: 25 * 60_000, status: 429 as const, retryAfterSeconds: 120, afterTerminalAnswers: 1 };
    const { checkId } = fake.addCheck({ provider: 'liveness', faults: { outage } });
    expect((await liveness(fake, checkId)).status).toBe(200);
    const limited = await liveness(fake, checkId);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('120');
    fake.advance(25 * 60_000 - 1);
    expect((await liveness(fake, checkId)).status).toBe(429);
    fake.advance(1);
    expect((await liveness(fake, checkId)).status).toBe(200);
  });

  it('truncated terminal body: full Content-Length announced, half sent, connection dropped; the next poll is whole', async () => {
    const { checkId } = fake.addCheck({ provider: 'liveness', pending: { polls: 1 }, faults: { truncated: { count: 1, terminalOnly: true } } });
    expect((await liveness(fake, checkId)).status).toBe(202);
    const cut = await rawGet(`${fake.baseUrl}/liveness_check?token=${checkId}`, { 'x-api-key': CREDS.livenessApiKey });
    expect(cut.aborted).toBe(true);
    expect(cut.bytes.length).toBe(Math.floor(Number(cut.headers['content-length']) / 2));
    await expect(fetch(`${fake.baseUrl}/liveness_check?token=${checkId}`, { headers: { 'x-api-key': CREDS.livenessApiKey } }).then((r) => r.json())).resolves.toMatchObject({
      status: 'complete',
    });
  });

  it('slow responses: a client with a short timeout gives up', async () => {
    const { checkId } = fake.addCheck({ provider: 'liveness', faults: { delayMs: 3000 } });
    const request = fetch(`${fake.baseUrl}/liveness_check?token=${checkId}`, {
      headers: { 'x-api-key': CREDS.livenessApiKey },
      signal: AbortSignal.timeout(50),
    });
    await expect(request).rejects.toThrow(/abort|timeout/i);
    // An answer the client never saw does not move the script along.
    await vi.waitFor(() => expect(fake.stats().statusCodes['499']).toBe(1));
    expect(fake.stats().checks[0]).toMatchObject({ requests: 0, answers: 0 });
  });
});
