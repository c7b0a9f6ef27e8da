import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLivenessClient } from '../../../../lambdas/providers/liveness/client';
import type { CheckRef } from '../../../../lambdas/checks/check-status';
import { caught, expectTypedError, staticCredentials } from '../support/helpers';
import { startTestServer, type TestServer } from '../support/test-server';

const API_KEY = 'live-key-SECRET-4f3e';
const TOKEN = 'lc_tok/with+odd&chars=SECRET==';
const ref: CheckRef = { provider: 'liveness', checkId: TOKEN };
const SECRETS = [API_KEY, TOKEN, encodeURIComponent(TOKEN)];
const IMAGE = 'data:image/jpeg;base64,/9j/4AAQSkZJRg==';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const client = () =>
  createLivenessClient({ baseUrl: `${server.baseUrl}/api/`, credentials: staticCredentials({ liveness: API_KEY }), timeoutMs: 2_000 });

describe('liveness client: the request', () => {
  it('GETs liveness_check with the token in the query and the key in x-api-key', async () => {
    server.script({ status: 202 });
    await client().getStatus(ref);
    const [req] = server.requests;
    expect(req!.method).toBe('GET');
    expect(req!.path).toBe('/api/liveness_check');
    expect([...req!.query.keys()]).toEqual(['token']);
    expect(req!.query.get('token')).toBe(TOKEN);
    expect(req!.headers['x-api-key']).toBe(API_KEY);
    expect(req!.headers.authorization).toBeUndefined();
  });

  it.each(['', 'x'.repeat(4097)])('rejects a token of length %# before any request', async (checkId) => {
    expectTypedError(await caught(client().getStatus({ provider: 'liveness', checkId })), 'InvalidCheckInputError', false);
    expect(server.requests).toHaveLength(0);
  });
});

describe('liveness client: answers', () => {
  it('202 without a body is pending', async () => {
    server.script({ status: 202 });
    expect(await client().getStatus(ref)).toEqual({ provider: 'liveness', kind: 'pending', providerStatus: 'pending', times: {} });
  });

  it.each(['pending', 'in_progress', 'complete', 'something_new'])('any 202 is pending, whatever its body says ("%s")', async (status) => {
    server.script({ status: 202, body: { status } });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'pending', providerStatus: status });
  });

  it('200 with a result is complete: outcome from passed, completedAt from checked_at, extra fields kept', async () => {
    const body = {
      status: 'complete',
      request_id: 'r-1',
      result: {
        passed: true,
        confidence: 0.97,
        threshold: 0.8,
        checked_at: '2026-03-19T13:31:30+03:00',
        bounding_box: { x: 1, y: 2, width: 3, height: 4, rotation: 0.5 },
        image: IMAGE,
        audit_images: [IMAGE, { image: IMAGE, bounding_box: { x: 0, y: 0, width: 1, height: 1 }, frame: 3 }],
        liveness_model: 'v9',
      },
    };
    server.script({ status: 200, body });
    const status = await client().getStatus(ref);
    expect(status).toEqual({
      provider: 'liveness',
      kind: 'complete',
      providerStatus: 'complete',
      outcome: 'passed',
      confidence: 0.97,
      times: { completedAt: '2026-03-19T10:31:30.000Z' },
      result: body,
    });
  });

  it.each([
    [1773916290, '2026-03-19T10:31:30.000Z'],
    [1773916290123, '2026-03-19T10:31:30.123Z'],
    ['1773916290', '2026-03-19T10:31:30.000Z'],
  ])('normalizes numeric checked_at %s (seconds or milliseconds, number or text)', async (checkedAt, iso) => {
    server.script({ status: 200, body: { result: { passed: false, confidence: 0.2, threshold: 0.8, checked_at: checkedAt } } });
    expect(await client().getStatus(ref)).toMatchObject({
      kind: 'complete',
      providerStatus: 'complete',
      outcome: 'failed',
      times: { completedAt: iso },
    });
  });

  it('200 {"status":"failed"} without a result is a no-result "failed"', async () => {
    server.script({ status: 200, body: { status: 'failed', reason: 'camera_denied' } });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'no-result', reason: 'failed', providerStatus: 'failed' });
  });

  it('a failed check that still carries a result is archived with outcome failed, frames and all', async () => {
    const body = { status: 'failed', result: { passed: true, confidence: 0.9, threshold: 0.8, checked_at: '2026-03-19T10:31:30Z', image: IMAGE } };
    server.script({ status: 200, body });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'complete', providerStatus: 'failed', outcome: 'failed', result: body });
  });

  it('410 is a no-result "expired", 400 a no-result "invalid"', async () => {
    server.script({ status: 410, body: { token: TOKEN } }, { status: 400, body: { error: `unknown token ${TOKEN}` } });
    const expired = await client().getStatus(ref);
    const invalid = await client().getStatus(ref);
    expect(expired).toMatchObject({ kind: 'no-result', reason: 'expired', providerStatus: '410' });
    expect(invalid).toMatchObject({ kind: 'no-result', reason: 'invalid', providerStatus: '400' });
    expect(JSON.stringify([expired, invalid])).not.toContain('SECRET');
  });

  it.each([401, 403])('%i is an auth error', async (status) => {
    server.script({ status, body: { error: 'bad key' } });
    expectTypedError(await caught(client().getStatus(ref)), 'ProviderAuthError', false, SECRETS);
  });
});

describe('liveness client: the answer as received', () => {
  it('is the body byte for byte, with its status, content type and arrival time', async () => {
    const text = '{"status":"complete",  "result":{"passed":true,"confidence":"0.97","checked_at":"2026-03-19T10:31:30"}}';
    server.script({ status: 200, body: text });
    const answer = await client().fetchAnswer(ref);
    expect(answer.body.toString('utf8')).toBe(text);
    expect(answer).toMatchObject({ httpStatus: 200, scrubbed: 0, receivedAt: expect.any(String) });
  });

  it('scrubs the token where the provider echoes it, and only there (never inside a frame)', async () => {
    const frame = `data:image/jpeg;base64,/9j/${'A'.repeat(8)}`;
    const text = JSON.stringify({ status: 'complete', id: TOKEN, link: `https://p/x?token=${encodeURIComponent(TOKEN)}`, result: { passed: true, image: frame } });
    server.script({ status: 200, body: text });
    const answer = await client().fetchAnswer(ref);
    const kept = answer.body.toString('utf8');
    expect(answer.scrubbed).toBe(2);
    for (const secret of SECRETS) expect(kept).not.toContain(secret);
    expect(kept).toContain(frame);
    expect(kept.replaceAll('[redacted: check token]', '')).toBe(text.replace(TOKEN, '').replace(encodeURIComponent(TOKEN), ''));
  });
});

describe('liveness client: answers the document does not foresee are read, never refused', () => {
  it.each([
    ['confidence null', { confidence: null }, { outcome: 'passed' }, []],
    ['confidence as text', { confidence: '0.97' }, { outcome: 'passed', confidence: 0.97 }, []],
    ['passed as text', { passed: 'false' }, { outcome: 'failed' }, []],
    ['passed missing', { passed: undefined }, { outcome: 'unknown' }, []],
    ['confidence unreadable', { confidence: 'high' }, { outcome: 'passed' }, ['result.confidence']],
    ['checked_at unreadable', { checked_at: 'yesterday' }, { times: {} }, ['result.checked_at']],
    ['bounding_box as an array', { bounding_box: [1, 2, 3, 4] }, { outcome: 'passed' }, []],
  ])('%s', async (_name, change, expected, uninterpreted) => {
    const result = { passed: true, confidence: 0.9, threshold: 0.8, checked_at: '2026-03-19T10:31:30Z', ...change };
    server.script({ status: 200, body: { status: 'complete', result } });
    const status = await client().getStatus(ref);
    expect(status).toMatchObject({ kind: 'complete', ...expected });
    expect(status.drift?.uninterpreted ?? []).toEqual(uninterpreted);
  });

  it('a checked_at without an offset is read as UTC, and that is noted', async () => {
    server.script({ status: 200, body: { result: { passed: true, checked_at: '2026-03-19T10:31:30' } } });
    const status = await client().getStatus(ref);
    expect(status).toMatchObject({ kind: 'complete', times: { completedAt: '2026-03-19T10:31:30.000Z' } });
    expect(status.drift).toEqual({ uninterpreted: [], readAsUtc: ['result.checked_at'] });
  });

  it('a 200 whose status the document does not list, without a result, keeps the check polling and says so', async () => {
    server.script({ status: 200, body: { status: 'under_review' } });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'pending', providerStatus: 'under_review', unknownStatus: true, drift: { uninterpreted: ['status'] } });
  });

  it('a 200 with a non-terminal status and no result keeps polling', async () => {
    server.script({ status: 200, body: { status: 'in_progress' } });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'pending', providerStatus: 'in_progress' });
  });

  it('a 200 that is complete without a result is complete with nothing but the answer, noted', async () => {
    server.script({ status: 200, body: { status: 'complete', note: 'images purged' } });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'complete', outcome: 'unknown', drift: { uninterpreted: ['result'] } });
  });

  it('passes frames in any form through untouched: the archive takes each in on its own', async () => {
    const result = { passed: true, confidence: 1, threshold: 0.5, checked_at: 0, image: 'https://x/y.jpg', audit_images: [42, { image: null }] };
    server.script({ status: 200, body: { result } });
    const status = await client().getStatus(ref);
    expect(status.kind).toBe('complete');
    expect((status as { result: { result: unknown } }).result.result).toMatchObject({ image: 'https://x/y.jpg', audit_images: [42, { image: null }] });
  });

  it('200 with truncated JSON is retryable (cut off on the way, not an answer)', async () => {
    server.script({ status: 200, body: '{"status":"complete","result":{"passed":tr' });
    expectTypedError(await caught(client().getStatus(ref)), 'ProviderUnavailableError', true, SECRETS);
  });

  it('an undocumented HTTP status is a ProviderContractError', async () => {
    server.script({ status: 404, body: 'Not Found' });
    expectTypedError(await caught(client().getStatus(ref)), 'ProviderContractError', false, SECRETS);
  });

  it('a server error never leaks the token or key', async () => {
    server.script({ status: 500, body: `boom ${TOKEN} ${API_KEY}` });
    expectTypedError(await caught(client().getStatus(ref)), 'ProviderUnavailableError', true, SECRETS);
  });
});
