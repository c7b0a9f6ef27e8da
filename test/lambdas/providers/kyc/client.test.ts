import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKycClient } from '../../../../lambdas/providers/kyc/client';
import type { CheckRef } from '../../../../lambdas/checks/check-status';
import { caught, expectTypedError, staticCredentials } from '../support/helpers';
import { startTestServer, type TestServer } from '../support/test-server';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRUNSRVQifQ.c2lnbmF0dXJlLVNFQ1JFVA';
const API_TOKEN = '6f1c2e3a-0b4d-11ef-9a61-0242ac120002';
const SESSION_ID = 'c1d2e3f4-0b4d-11ef-8a61-0242ac120002';
const CLIENT_KEY = 'client-key-PII-77';
const SECRETS = [JWT, API_TOKEN, CLIENT_KEY];
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/provider-docs/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const success = fixture('kyc-session-success.json');

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const client = (credential = JWT) =>
  createKycClient({ baseUrl: `${server.baseUrl}/v1`, credentials: staticCredentials({ kyc: credential }), timeoutMs: 2_000 });
const bySession: CheckRef = { provider: 'kyc', checkId: SESSION_ID };
const session = (fields: Record<string, unknown>) => ({ ...success, sessionId: SESSION_ID, ...fields });

describe('kyc client: the request', () => {
  it('POSTs JSON to {base}/kyc/session/status with a JWT in the token header', async () => {
    server.script({ status: 200, body: session({ status: 'processing' }) });
    await client(JWT).getStatus(bySession);
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/v1/kyc/session/status');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers.token).toBe(JWT);
    expect(req!.json).toEqual({ sessionId: SESSION_ID });
  });

  it('sends an API token (timeuuid) in the body, not in a header', async () => {
    server.script({ status: 200, body: session({ status: 'processing' }) });
    await client(API_TOKEN).getStatus(bySession);
    const [req] = server.requests;
    expect(req!.headers.token).toBeUndefined();
    expect(req!.json).toEqual({ token: API_TOKEN, sessionId: SESSION_ID });
  });

  it('looks up by clientKey alone when both are given', async () => {
    server.script({ status: 200, body: session({ status: 'processing', clientKey: CLIENT_KEY }) });
    await client().getStatus({ provider: 'kyc', checkId: SESSION_ID, clientKey: CLIENT_KEY });
    expect(server.requests[0]!.json).toEqual({ clientKey: CLIENT_KEY });
  });

  it.each(['550e8400-e29b-41d4-a716-446655440000', 'not-a-uuid'])('sends a sessionId that is not a UUID v1 anyway (%s): the provider decides', async (checkId) => {
    server.script({ status: 400, body: { ...fixture('kyc-invalid-schema.json') } });
    const status = await client().getStatus({ provider: 'kyc', checkId });
    expect(server.requests[0]!.json).toEqual({ sessionId: checkId });
    expect(status).toMatchObject({ kind: 'no-result', reason: 'invalid', detail: 'KYC rejected the request: invalid schema at sessionId' });
  });

  it.each([
    ['an empty sessionId', { checkId: '' }],
    ['an empty clientKey', { checkId: SESSION_ID, clientKey: '' }],
    ['a 37-character clientKey', { checkId: SESSION_ID, clientKey: 'k'.repeat(37) }],
  ])('rejects %s before any request, without echoing it', async (_name, fields) => {
    const err = await caught(client().getStatus({ provider: 'kyc', ...fields }));
    const typed = expectTypedError(err, 'InvalidCheckInputError', false, 'clientKey' in fields && fields.clientKey ? [fields.clientKey] : []);
    expect(typed.message).toMatch(/sessionId|clientKey/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a credential that is neither a JWT nor a timeuuid, before any request', async () => {
    const err = await caught(client('plain-SECRET-key').getStatus(bySession));
    expectTypedError(err, 'ConfigurationError', false, ['plain-SECRET-key']);
    expect(server.requests).toHaveLength(0);
  });
});

describe('kyc client: sessions', () => {
  it.each(['idle', 'processing'])('%s is pending and carries secondsToLive', async (status) => {
    server.script({ status: 200, body: session({ status, secondsToLive: 540, results: [] }) });
    expect(await client().getStatus(bySession)).toEqual({
      provider: 'kyc',
      kind: 'pending',
      providerStatus: status,
      secondsToLive: 540,
      times: { createdAt: '2026-03-19T10:31:06.000Z', respondedAt: '2026-03-19T10:31:30.000Z' },
    });
  });

  it.each(['success', 'failed'])('%s is complete with the session as result (failed sessions keep their evidence)', async (status) => {
    const body = session({ status });
    server.script({ status: 200, body });
    expect(await client().getStatus(bySession)).toEqual({
      provider: 'kyc',
      kind: 'complete',
      providerStatus: status,
      outcome: status,
      secondsToLive: 0,
      times: {
        createdAt: '2026-03-19T10:31:06.000Z',
        respondedAt: '2026-03-19T10:31:30.000Z',
        completedAt: '2026-03-19T10:31:30.000Z',
      },
      result: body,
    });
  });

  it.each(['exception', 'expired'])('%s without results is a no-result of that name', async (status) => {
    server.script({ status: 200, body: session({ status, results: [] }) });
    expect(await client().getStatus(bySession)).toMatchObject({ kind: 'no-result', reason: status, providerStatus: status });
  });

  it.each(['exception', 'expired'])('%s with results is complete: what the session reached is evidence', async (status) => {
    const body = session({ status });
    server.script({ status: 200, body });
    expect(await client().getStatus(bySession)).toMatchObject({ kind: 'complete', outcome: status, providerStatus: status, result: body });
  });

  it('keeps a task of an undocumented type instead of failing the session', async () => {
    const video = { type: 'video', status: 'success', frames: 12 };
    server.script({ status: 200, body: session({ status: 'success', results: [...(success.results as unknown[]), video] }) });
    const status = await client().getStatus(bySession);
    expect(status.kind).toBe('complete');
    expect(status.kind === 'complete' && (status.result as { results: unknown[] }).results.at(-1)).toEqual(video);
    expect(status.drift).toBeUndefined();
  });

  it('refuses an answer about a different session (IdentityMismatchError: recorded as such, never archived)', async () => {
    server.script({ status: 200, body: session({ status: 'success', sessionId: 'aaaaaaaa-0b4d-11ef-8a61-0242ac120002' }) });
    expectTypedError(await caught(client().getStatus(bySession)), 'IdentityMismatchError', false, SECRETS);
  });

  it('refuses a session answer that names no session at all', async () => {
    const { sessionId: _none, ...anonymous } = session({ status: 'success' });
    server.script({ status: 200, body: anonymous });
    expectTypedError(await caught(client().getStatus(bySession)), 'IdentityMismatchError', false, SECRETS);
  });

  it('a checkId that is no session id, with a clientKey: the client\'s latest session is not taken for it', async () => {
    const latest = 'f47ac10b-58cc-11ef-9a61-0242ac120002';
    // The clientKey finds the client's latest session (someone else's answer for this check); asked again by the
    // check's own id, the provider refuses it.
    server.script(
      { status: 200, body: session({ status: 'success', clientKey: CLIENT_KEY, sessionId: latest }) },
      { status: 400, body: { ...fixture('kyc-invalid-schema.json') } },
    );
    const status = await client().getStatus({ provider: 'kyc', checkId: 'order-12345', clientKey: CLIENT_KEY });
    expect(server.requests.map((r) => r.json)).toEqual([{ clientKey: CLIENT_KEY }, { sessionId: 'order-12345' }]);
    expect(status).toMatchObject({ kind: 'no-result', reason: 'invalid' });
    expect(JSON.stringify(status)).not.toContain(latest);
  });

  it('… and if the provider answers that id with yet another session, it is an identity mismatch', async () => {
    server.script(
      { status: 200, body: session({ status: 'success', clientKey: CLIENT_KEY, sessionId: 'f47ac10b-58cc-11ef-9a61-0242ac120002' }) },
      { status: 200, body: session({ status: 'success', clientKey: CLIENT_KEY, sessionId: 'f47ac10b-58cc-11ef-9a61-0242ac120003' }) },
    );
    const err = await caught(client().getStatus({ provider: 'kyc', checkId: 'order-12345', clientKey: CLIENT_KEY }));
    expectTypedError(err, 'IdentityMismatchError', false, SECRETS);
  });

  it('when the clientKey answers about a newer session, asks for the session the check names', async () => {
    const newer = 'f47ac10b-58cc-11ef-9a61-0242ac120002';
    server.script(
      { status: 200, body: session({ status: 'processing', clientKey: CLIENT_KEY, sessionId: newer }) },
      { status: 200, body: session({ status: 'success', clientKey: CLIENT_KEY }) },
    );
    const status = await client().getStatus({ provider: 'kyc', checkId: SESSION_ID, clientKey: CLIENT_KEY });
    expect(server.requests.map((r) => r.json)).toEqual([{ clientKey: CLIENT_KEY }, { sessionId: SESSION_ID }]);
    expect(status).toMatchObject({ kind: 'complete', outcome: 'success' });
    expect((status as { result: { sessionId: string } }).result.sessionId).toBe(SESSION_ID);
  });

  it('refuses an answer about a different clientKey', async () => {
    server.script({ status: 200, body: session({ status: 'success', clientKey: 'someone-else' }) });
    const err = await caught(client().getStatus({ provider: 'kyc', checkId: SESSION_ID, clientKey: CLIENT_KEY }));
    expectTypedError(err, 'IdentityMismatchError', false, [...SECRETS, 'someone-else']);
  });

  it.each([
    ['null OCR value, docName, countryCode, clientKey', { clientKey: null, results: [{ type: 'document', status: 'success', docName: null, countryCode: null, ocr: { status: 'success', fields: [{ title: 'Surname', value: null, conf: 'high' }] } }] }, []],
    ['tries as text', { results: [{ type: 'document', status: 'success', tries: '2' }] }, []],
    ['a history entry without type', { results: [{ type: 'document', status: 'success', history: [{ status: 'failed', imagesFull: [] }] }] }, []],
    ['an unknown task status', { results: [{ type: 'selfie', status: 'ok' }] }, []],
    ['tries that is no number', { results: [{ type: 'document', status: 'success', history: [{ type: 'document', status: 'success', tries: 'two' }] }] }, ['results[0].history[0].tries']],
    ['a check item value that is an object', { results: [{ type: 'faces', status: 'success', checks: [{ caption: 'Face matching', items: [{ status: 'success', caption: 'x', value: { pct: 92 } }] }] }] }, ['results[0].checks[0].items[0].value']],
    ['a createdAt that is no time', { createdAt: 'yesterday' }, ['createdAt']],
  ])('%s: read, archived, and what could not be read is named by path', async (_name, fields, uninterpreted) => {
    server.script({ status: 200, body: session({ status: 'success', ...fields }) });
    const status = await client().getStatus(bySession);
    expect(status).toMatchObject({ kind: 'complete', outcome: 'success' });
    expect(status.drift?.uninterpreted ?? []).toEqual(uninterpreted);
    expect(JSON.stringify(status.drift ?? {})).not.toMatch(/yesterday|two|DOE/);
  });

  it('a session status the document does not list keeps the check polling, and says what was seen', async () => {
    server.script({ status: 200, body: session({ status: 'done', results: [] }) });
    expect(await client().getStatus(bySession)).toMatchObject({ kind: 'pending', providerStatus: 'done', unknownStatus: true, drift: { uninterpreted: ['status'] } });
  });

  it('timestamps without an offset are read as UTC, and noted', async () => {
    server.script({ status: 200, body: session({ status: 'success', createdAt: '2026-03-19T10:31:06', responseTime: '2026-03-19 10:31:30' }) });
    const status = await client().getStatus(bySession);
    expect(status).toMatchObject({ times: { createdAt: '2026-03-19T10:31:06.000Z', completedAt: '2026-03-19T10:31:30.000Z' } });
    expect(status.drift?.readAsUtc).toEqual(['createdAt', 'responseTime']);
  });
});

describe('kyc client: errors', () => {
  it('200 "session not found" is a no-result not-found, not a success', async () => {
    server.script({ status: 200, body: fixture('kyc-session-not-found.json') });
    expect(await client().getStatus(bySession)).toMatchObject({ kind: 'no-result', reason: 'not-found', providerStatus: 'error' });
  });

  it('200 with an error message the document does not describe keeps the check polling', async () => {
    server.script({ status: 200, body: { status: 'error', message: 'database on fire' } });
    expect(await client().getStatus(bySession)).toMatchObject({ kind: 'pending', providerStatus: 'error', unknownStatus: true, drift: { uninterpreted: ['message'] } });
  });

  it('400 invalid schema is a no-result invalid naming the paths, not the values', async () => {
    server.script({ status: 400, body: { ...fixture('kyc-invalid-schema.json'), details: [{ expected: {}, actual: CLIENT_KEY, path: 'clientKey' }] } });
    const status = await client().getStatus({ provider: 'kyc', checkId: SESSION_ID, clientKey: CLIENT_KEY });
    expect(status).toMatchObject({ kind: 'no-result', reason: 'invalid' });
    expect(status.kind === 'no-result' && status.detail).toBe('KYC rejected the request: invalid schema at clientKey');
    expect(JSON.stringify(status)).not.toContain(CLIENT_KEY);
  });

  it('400 "sessionId or clientKey is required" is a no-result invalid', async () => {
    server.script({ status: 400, body: fixture('kyc-identifier-required.json') });
    const status = await client().getStatus(bySession);
    expect(status).toMatchObject({ kind: 'no-result', reason: 'invalid', detail: 'KYC rejected the request: sessionId or clientKey is required' });
  });

  it('401 access denied is an auth error, not retried', async () => {
    server.script({ status: 401, body: fixture('kyc-access-denied.json') });
    expectTypedError(await caught(client().getStatus(bySession)), 'ProviderAuthError', false, SECRETS);
  });

  it.each([403, 404, 204])('undocumented HTTP %i is a contract violation', async (status) => {
    server.script({ status, body: status === 204 ? undefined : { status: 'error', message: 'nope' } });
    expectTypedError(await caught(client().getStatus(bySession)), 'ProviderContractError', false, SECRETS);
  });

  it('a 400 whatever its body is the provider refusing the request: invalid', async () => {
    server.script({ status: 400, body: { problem: 'bad' } });
    expect(await client().getStatus(bySession)).toMatchObject({ kind: 'no-result', reason: 'invalid', detail: 'KYC rejected the request (HTTP 400)' });
  });
});
