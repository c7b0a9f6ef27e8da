/**
 * Every JSON example of the three provider docs (test/fixtures/provider-docs, see its README) reads without anything
 * left uninterpreted and, served over HTTP with its documented status code, maps to the right normalized status.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckRef, CheckStatus, ProviderName } from '../../../lambdas/checks/check-status';
import { createProviderClient } from '../../../lambdas/providers';
import { KYC_SESSION, KYC_TASK } from '../../../lambdas/providers/kyc/shape';
import { Reading, type Shape } from '../../../lambdas/providers/lenient';
import { LIVENESS_BODY } from '../../../lambdas/providers/liveness/shape';
import { VERIFICATION_BODY } from '../../../lambdas/providers/verification/shape';
import { caught, expectTypedError, staticCredentials } from './support/helpers';
import { startTestServer, type TestServer } from './support/test-server';

const DIR = new URL('../../fixtures/provider-docs/', import.meta.url);
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));

const credentials = staticCredentials({
  liveness: 'k-live',
  kyc: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0In0.c2ln',
  verification: 'k-ver',
});

interface ServedFixture {
  provider: ProviderName;
  httpStatus: number;
  ref: CheckRef;
  expected: Partial<CheckStatus> | { error: string };
}

const livenessRef: CheckRef = { provider: 'liveness', checkId: 'lc_token' };
// The doc's session example has a v4 sessionId, which a request may not use: look it up by its clientKey.
const kycRef: CheckRef = { provider: 'kyc', checkId: '550e8400-e29b-41d4-a716-446655440000', clientKey: 'my_client_key_123' };
const verificationRef: CheckRef = { provider: 'verification', checkId: 'ver_abc123def456' };

const SERVED: Record<string, ServedFixture> = {
  'liveness-complete.json': { provider: 'liveness', httpStatus: 200, ref: livenessRef, expected: { kind: 'complete', outcome: 'passed', confidence: 0.982, times: { completedAt: '2026-03-19T10:31:30.000Z' } } },
  'liveness-complete-without-images.json': { provider: 'liveness', httpStatus: 200, ref: livenessRef, expected: { kind: 'complete', outcome: 'failed', times: { completedAt: '2026-03-19T10:31:30.000Z' } } },
  'liveness-pending.json': { provider: 'liveness', httpStatus: 202, ref: livenessRef, expected: { kind: 'pending', providerStatus: 'pending' } },
  'liveness-in-progress.json': { provider: 'liveness', httpStatus: 202, ref: livenessRef, expected: { kind: 'pending', providerStatus: 'in_progress' } },
  'liveness-failed.json': { provider: 'liveness', httpStatus: 200, ref: livenessRef, expected: { kind: 'no-result', reason: 'failed' } },
  'kyc-session-success.json': { provider: 'kyc', httpStatus: 200, ref: kycRef, expected: { kind: 'complete', outcome: 'success', providerStatus: 'success', secondsToLive: 0 } },
  'kyc-session-not-found.json': { provider: 'kyc', httpStatus: 200, ref: kycRef, expected: { kind: 'no-result', reason: 'not-found' } },
  'kyc-invalid-schema.json': { provider: 'kyc', httpStatus: 400, ref: kycRef, expected: { kind: 'no-result', reason: 'invalid', detail: 'KYC rejected the request: invalid schema at sessionId' } },
  'kyc-identifier-required.json': { provider: 'kyc', httpStatus: 400, ref: kycRef, expected: { kind: 'no-result', reason: 'invalid' } },
  'kyc-access-denied.json': { provider: 'kyc', httpStatus: 401, ref: kycRef, expected: { error: 'ProviderAuthError' } },
  'verification-completed.json': { provider: 'verification', httpStatus: 200, ref: verificationRef, expected: { kind: 'complete', outcome: 'true', confidence: 0.95 } },
  'verification-processing.json': { provider: 'verification', httpStatus: 200, ref: verificationRef, expected: { kind: 'pending', providerStatus: 'processing' } },
  'verification-escalated.json': { provider: 'verification', httpStatus: 200, ref: verificationRef, expected: { kind: 'escalated', outcome: 'uncertain' } },
  'verification-not-found.json': { provider: 'verification', httpStatus: 404, ref: verificationRef, expected: { kind: 'no-result', reason: 'not-found' } },
  'verification-forbidden.json': { provider: 'verification', httpStatus: 403, ref: verificationRef, expected: { kind: 'no-result', reason: 'forbidden' } },
};
/** Not responses: task examples (parsed on their own and inside the session) and request bodies (checked below). */
const NOT_SERVED = [
  'kyc-task-document.json',
  'kyc-task-selfie.json',
  'kyc-task-faces.json',
  'kyc-request-api-token.json',
  'kyc-request-by-session-id.json',
  'kyc-request-by-client-key.json',
];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('provider doc fixtures', () => {
  it('every fixture file is accounted for', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual([...Object.keys(SERVED), ...NOT_SERVED].sort());
  });

  it.each(Object.entries(SERVED))('%s maps to the right status', async (name, { provider, httpStatus, ref, expected }) => {
    server.script({ status: httpStatus, body: load(name) });
    const client = createProviderClient(provider, { baseUrl: server.baseUrl, credentials });
    if ('error' in expected) {
      expectTypedError(await caught(client.getStatus(ref)), expected.error, false);
      return;
    }
    const status = await client.getStatus(ref);
    expect(status).toMatchObject({ provider, ...expected });
    if (status.kind === 'complete' || status.kind === 'escalated') expect(status.result).toEqual(load(name));
  });

  it.each([
    ['liveness-complete.json', LIVENESS_BODY],
    ['liveness-complete-without-images.json', LIVENESS_BODY],
    ['liveness-failed.json', LIVENESS_BODY],
    ['kyc-session-success.json', KYC_SESSION],
    ['kyc-task-document.json', KYC_TASK],
    ['kyc-task-selfie.json', KYC_TASK],
    ['kyc-task-faces.json', KYC_TASK],
    ['verification-completed.json', VERIFICATION_BODY],
    ['verification-processing.json', VERIFICATION_BODY],
    ['verification-escalated.json', VERIFICATION_BODY],
  ] as Array<[string, Shape]>)('%s reads with nothing left uninterpreted: the shapes say what the document says', (name, shape) => {
    const reading = new Reading();
    reading.check(load(name), shape);
    expect(reading.drift()).toBeUndefined();
  });

  it('a shape that disagrees with an example is noticed: the check above can fail', () => {
    const reading = new Reading();
    reading.check(load('kyc-task-faces.json'), { object: { checks: { array: { object: { items: 'number' } } } } });
    expect(reading.drift()?.uninterpreted).toEqual(['checks[0].items']);
  });
});

describe('doc request examples', () => {
  it('the clientKey query is sent as documented', async () => {
    server.script({ status: 200, body: load('kyc-session-not-found.json') });
    await createProviderClient('kyc', { baseUrl: server.baseUrl, credentials }).getStatus({
      provider: 'kyc',
      checkId: '550e8400-e29b-41d4-a716-446655440000',
      clientKey: 'my_client_key_123',
    });
    expect(server.requests[0]!.json).toEqual(load('kyc-request-by-client-key.json'));
  });

  it('the API-token body carries token and sessionId, as in the Authorization example', async () => {
    const sessionId = 'c1d2e3f4-0b4d-11ef-8a61-0242ac120002';
    const apiToken = '6f1c2e3a-0b4d-11ef-9a61-0242ac120002';
    server.script({ status: 200, body: load('kyc-session-not-found.json') });
    const client = createProviderClient('kyc', { baseUrl: server.baseUrl, credentials: staticCredentials({ kyc: apiToken }) });
    await client.getStatus({ provider: 'kyc', checkId: sessionId });
    const sent = server.requests[0]!.json as Record<string, unknown>;
    expect(Object.keys(sent).sort()).toEqual(Object.keys(load('kyc-request-api-token.json') as object).sort());
    expect(sent).toEqual({ token: apiToken, sessionId });
  });

  it("the doc's sessionId example (a v4 UUID, against the doc's own timeuuid rule) is sent as documented: the provider decides", async () => {
    server.script({ status: 200, body: load('kyc-session-not-found.json') });
    const { sessionId } = load('kyc-request-by-session-id.json') as { sessionId: string };
    await createProviderClient('kyc', { baseUrl: server.baseUrl, credentials }).getStatus({ provider: 'kyc', checkId: sessionId });
    expect(server.requests[0]!.json).toEqual(load('kyc-request-by-session-id.json'));
  });
});
