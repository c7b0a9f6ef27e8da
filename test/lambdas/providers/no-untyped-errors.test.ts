/**
 * Property: whatever a provider answers (any JSON value or any text, with any of the documented status codes), a
 * client returns a CheckStatus or throws an ArchiverError. One real server, scripted per run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiverError } from '../../../lambdas/common/errors';
import { createProviderClient } from '../../../lambdas/providers';
import type { CheckRef, ProviderName } from '../../../lambdas/checks/check-status';
import { staticCredentials } from './support/helpers';
import { startTestServer, type TestServer } from './support/test-server';

const SECRETS = { liveness: 'live-SECRET-key', kyc: 'eyJhbGciOiJub25lIn0.eyJTRUNSRVQiOjF9.U0VDUkVU', verification: 'ver-SECRET-key' };
const TOKEN = 'liveness-token-SECRET';

const CASES: Record<ProviderName, { statuses: number[]; ref: CheckRef }> = {
  liveness: { statuses: [200, 202, 400, 401, 403, 410, 500], ref: { provider: 'liveness', checkId: TOKEN } },
  kyc: { statuses: [200, 400, 401, 500], ref: { provider: 'kyc', checkId: 'c1d2e3f4-0b4d-11ef-8a61-0242ac120002' } },
  verification: { statuses: [200, 401, 403, 404, 500], ref: { provider: 'verification', checkId: 'ver_abc123def456' } },
};

const KINDS = ['pending', 'complete', 'escalated', 'no-result'];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe.each(Object.keys(CASES) as ProviderName[])('%s client on arbitrary answers', (provider) => {
  const { statuses, ref } = CASES[provider];
  const client = () => createProviderClient(provider, { baseUrl: server.baseUrl, credentials: staticCredentials(SECRETS), timeoutMs: 2_000 });

  const body = fc.oneof(
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string(),
    // Near-misses of real answers are where mapping bugs hide.
    fc.record({
      status: fc.constantFrom('pending', 'in_progress', 'complete', 'failed', 'idle', 'processing', 'success', 'exception', 'expired', 'error', 'completed', 'escalated'),
      result: fc.option(fc.jsonValue(), { nil: undefined }),
      sessionId: fc.constantFrom(ref.checkId, 'x'),
      id: fc.constantFrom(ref.checkId, 'x'),
      message: fc.constantFrom('session not found', 'invalid schema', 'x'),
      error: fc.option(fc.record({ code: fc.constantFrom('not_found', 'forbidden', 'x') }), { nil: undefined }),
      results: fc.option(fc.array(fc.jsonValue(), { maxLength: 3 }), { nil: undefined }),
    }).map((value) => JSON.stringify(value)),
  );

  it('returns a CheckStatus or throws an ArchiverError', async () => {
    const c = client();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...statuses), body, async (status, text) => {
        server.reset();
        server.script({ status, body: text, headers: { 'content-type': 'application/json' } });
        try {
          const result = await c.getStatus(ref);
          expect(KINDS).toContain(result.kind);
          expect(result.provider).toBe(provider);
          expect(JSON.stringify(result)).not.toContain(TOKEN);
        } catch (err) {
          expect(err).toBeInstanceOf(ArchiverError);
          // The client guard's catch-all must not be what made it typed: that would be a mapping bug.
          expect((err as Error).message).not.toMatch(/unexpected \S+ while handling/);
          const text = `${(err as Error).message}\n${(err as Error).stack}`;
          expect(text).not.toContain('SECRET');
        }
        expect(server.requests).toHaveLength(1);
      }),
      { numRuns: 100 },
    );
  });
});
