import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderClient } from '../../../lambdas/providers';
import type { ProviderName } from '../../../lambdas/checks/check-status';
import { caught, expectTypedError, staticCredentials } from './support/helpers';
import { startTestServer, type TestServer } from './support/test-server';

const credentials = staticCredentials({ liveness: 'k1', kyc: '6f1c2e3a-0b4d-11ef-9a61-0242ac120002', verification: 'k3' });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return expect.fail('expected a throw');
}

describe('createProviderClient', () => {
  it.each(['liveness', 'kyc', 'verification'] as const)('builds the %s client', (provider) => {
    expect(createProviderClient(provider, { baseUrl: 'https://example.test/v1', credentials }).provider).toBe(provider);
  });

  it.each([
    ['a relative base URL', { baseUrl: '/v1' }],
    ['a non-http base URL', { baseUrl: 'ftp://example.test' }],
    ['a base URL with a query', { baseUrl: 'https://example.test/?k=SECRET' }],
    ['a zero timeout', { baseUrl: 'https://example.test', timeoutMs: 0 }],
    ['a fractional size cap', { baseUrl: 'https://example.test', maxResponseBytes: 1.5 }],
    ['no credential source', { baseUrl: 'https://example.test', credentials: undefined }],
  ])('refuses %s at construction', (_name, overrides) => {
    const err = thrown(() => createProviderClient('kyc', { credentials, ...overrides } as never));
    expectTypedError(err, 'ConfigurationError', false, ['SECRET']);
  });

  it('refuses an unknown provider', () => {
    expectTypedError(thrown(() => createProviderClient('fax' as ProviderName, { baseUrl: 'https://x.test', credentials })), 'ConfigurationError', false);
  });

  it('applies maxResponseBytes to requests', async () => {
    server.script({ status: 200, body: { id: 'v1', status: 'processing', createdAt: '2024-01-15T10:30:00Z', pad: 'x'.repeat(4_000) } });
    const client = createProviderClient('verification', { baseUrl: server.baseUrl, credentials, maxResponseBytes: 1_000 });
    expectTypedError(await caught(client.getStatus({ provider: 'verification', checkId: 'v1' })), 'ResponseTooLargeError', false);
  });

  it('wraps a credential source failure as a ConfigurationError without its message, before any request', async () => {
    server.reset();
    const failing = { get: async () => Promise.reject(new Error('vault said SECRET')) };
    const client = createProviderClient('liveness', { baseUrl: server.baseUrl, credentials: failing });
    expectTypedError(await caught(client.getStatus({ provider: 'liveness', checkId: 't' })), 'ConfigurationError', false, ['SECRET']);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['a ref for another provider', { provider: 'kyc', checkId: 'c1d2e3f4-0b4d-11ef-8a61-0242ac120002' }],
    ['no ref', undefined],
    ['a ref without a string checkId', { provider: 'liveness', checkId: 42 }],
  ])('refuses %s before any request', async (_name, ref) => {
    server.reset();
    const client = createProviderClient('liveness', { baseUrl: server.baseUrl, credentials });
    expectTypedError(await caught(client.getStatus(ref as never)), 'InvalidCheckInputError', false);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a credential that cannot travel in a header', async () => {
    const client = createProviderClient('verification', { baseUrl: server.baseUrl, credentials: staticCredentials({ verification: 'key\r\nx-evil: 1' }) });
    expectTypedError(await caught(client.getStatus({ provider: 'verification', checkId: 'v' })), 'ConfigurationError', false, ['evil']);
  });
});
