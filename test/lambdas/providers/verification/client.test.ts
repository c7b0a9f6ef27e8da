import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createVerificationClient } from '../../../../lambdas/providers/verification/client';
import type { CheckRef } from '../../../../lambdas/checks/check-status';
import { caught, expectTypedError, staticCredentials } from '../support/helpers';
import { startTestServer, type TestServer } from '../support/test-server';

const API_KEY = 'ver-key-SECRET-0c0c';
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/provider-docs/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const ref: CheckRef = { provider: 'verification', checkId: 'ver_abc123def456' };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const client = (baseUrl = server.baseUrl) =>
  createVerificationClient({ baseUrl, credentials: staticCredentials({ verification: API_KEY }), timeoutMs: 2_000 });

describe('verification client: the request', () => {
  it('GETs /v1/verify/{id} with a Bearer key', async () => {
    server.script({ status: 200, body: fixture('verification-processing.json') });
    await client().getStatus(ref);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v1/verify/ver_abc123def456', body: '' });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('percent-encodes the id so it stays one path segment', async () => {
    const id = 'a/b?c#d e%';
    server.script({ status: 200, body: { ...fixture('verification-processing.json'), id } });
    expect(await client(`${server.baseUrl}/gw/`).getStatus({ provider: 'verification', checkId: id })).toMatchObject({ kind: 'pending' });
    expect(server.requests[0]!.path).toBe(`/gw/v1/verify/${encodeURIComponent(id)}`);
    expect([...server.requests[0]!.query.keys()]).toEqual([]);
  });

  it.each(['', '.', '..', 'x'.repeat(257)])('rejects the id %j before any request', async (checkId) => {
    expectTypedError(await caught(client().getStatus({ provider: 'verification', checkId })), 'InvalidCheckInputError', false);
    expect(server.requests).toHaveLength(0);
  });
});

describe('verification client: answers', () => {
  it('processing is pending', async () => {
    server.script({ status: 200, body: fixture('verification-processing.json') });
    // Strict: a time the provider did not report is absent, not an undefined key.
    expect(await client().getStatus(ref)).toStrictEqual({
      provider: 'verification',
      kind: 'pending',
      providerStatus: 'processing',
      times: { createdAt: '2024-01-15T10:30:00.000Z' },
    });
  });

  it('completed is complete with the verdict as outcome; decision and extras kept', async () => {
    const body = { ...fixture('verification-completed.json'), auditTrail: ['x'] };
    server.script({ status: 200, body });
    const status = await client().getStatus(ref);
    expect(status).toEqual({
      provider: 'verification',
      kind: 'complete',
      providerStatus: 'completed',
      outcome: 'true',
      confidence: 0.95,
      times: { createdAt: '2024-01-15T10:30:00.000Z', completedAt: '2024-01-15T10:30:02.000Z' },
      result: body,
    });
    expect(status.kind === 'complete' && (status.result as { decision: string }).decision).toBe('accept');
  });

  it('escalated carries the escalation', async () => {
    server.script({ status: 200, body: fixture('verification-escalated.json') });
    expect(await client().getStatus(ref)).toMatchObject({
      kind: 'escalated',
      providerStatus: 'escalated',
      outcome: 'uncertain',
      confidence: 0.45,
      escalation: { reason: 'low_confidence', priority: 'high', deadline: '2024-01-16T10:30:00.000Z', status: 'pending' },
      times: { createdAt: '2024-01-15T10:30:00.000Z' },
    });
  });

  it('404 not_found is a no-result not-found', async () => {
    server.script({ status: 404, body: fixture('verification-not-found.json') });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'no-result', reason: 'not-found', providerStatus: '404' });
  });

  it('403 forbidden is a recorded outcome, not an auth failure', async () => {
    server.script({ status: 403, body: fixture('verification-forbidden.json') });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'no-result', reason: 'forbidden', providerStatus: '403' });
  });

  it('401 is an auth error', async () => {
    server.script({ status: 401, body: { error: { code: 'unauthorized', message: 'bad key' } } });
    expectTypedError(await caught(client().getStatus(ref)), 'ProviderAuthError', false, [API_KEY]);
  });
});

describe('verification client: answers read leniently', () => {
  it.each([
    ['a verdict as a boolean', { verdict: true }, { kind: 'complete', outcome: 'true' }, []],
    ['confidence null', { confidence: null }, { kind: 'complete', outcome: 'true' }, []],
    ['confidence as text', { confidence: '0.95' }, { kind: 'complete', confidence: 0.95 }, []],
    ['no verdict at all', { verdict: undefined }, { kind: 'complete', outcome: 'unknown' }, []],
    ['a verdict that is an object', { verdict: { value: 'true' } }, { kind: 'complete', outcome: 'unknown' }, ['verdict']],
    ['completedAt without an offset', { completedAt: '2024-01-15T10:30:02' }, { times: { completedAt: '2024-01-15T10:30:02.000Z' } }, []],
  ])('%s', async (_name, fields, expected, uninterpreted) => {
    server.script({ status: 200, body: { ...fixture('verification-completed.json'), ...fields } });
    const status = await client().getStatus(ref);
    expect(status).toMatchObject(expected);
    expect(status.drift?.uninterpreted ?? []).toEqual(uninterpreted);
  });

  it('an escalation whose own status is no longer pending is resolved, even while status still says escalated', async () => {
    const body = { ...fixture('verification-escalated.json'), verdict: 'false', escalation: { id: 'e', reason: 'r', priority: 'p', deadline: '2024-01-16T10:30:00Z', status: 'resolved' } };
    server.script({ status: 200, body });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'complete', outcome: 'false', providerStatus: 'escalated/resolved', result: body });
  });

  it('an escalation without a deadline is still an escalation (polled at the review pace)', async () => {
    server.script({ status: 200, body: { ...fixture('verification-escalated.json'), escalation: { id: 'e', reason: 'r', priority: 'p', status: 'pending' } } });
    const status = await client().getStatus(ref);
    expect(status).toMatchObject({ kind: 'escalated', escalation: { reason: 'r', priority: 'p', status: 'pending' } });
    expect(status.kind === 'escalated' && status.escalation.deadline).toBeUndefined();
  });

  it('a status the document does not list keeps the check polling, and says what was seen', async () => {
    server.script({ status: 200, body: { ...fixture('verification-processing.json'), status: 'failed' } });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'pending', providerStatus: 'failed', unknownStatus: true, drift: { uninterpreted: ['status'] } });
  });

  it('a 404 with another error code is still not found, the code noted', async () => {
    server.script({ status: 404, body: { error: { code: 'route_not_found' } } });
    expect(await client().getStatus(ref)).toMatchObject({ kind: 'no-result', reason: 'not-found', drift: { uninterpreted: ['error.code'] } });
  });
});

describe('verification client: contract violations', () => {
  it.each([
    ['a 404 page from a gateway', 404, '<html>Not Found</html>', 'ProviderContractError', false],
    ['a 403 that is not JSON', 403, 'Forbidden', 'ProviderContractError', false],
    ['an answer about another id', 200, { ...fixture('verification-completed.json'), id: 'ver_other' }, 'ProviderContractError', false],
    ['an unexpected 400', 400, { error: { code: 'bad_request' } }, 'ProviderContractError', false],
    ['a truncated 200', 200, '{"id":"ver_abc123def456","status":"compl', 'ProviderUnavailableError', true],
  ])('%s', async (_name, status, body, errorName, retryable) => {
    server.script({ status, body });
    expectTypedError(await caught(client().getStatus(ref)), errorName, retryable, [API_KEY]);
  });
});
