import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  joinUrl,
  MAX_RETRY_AFTER_SECONDS,
  parseBaseUrl,
  parseRetryAfter,
  requestJson,
  requireJson,
  type HttpRequest,
  type HttpResponse,
} from '../../../lambdas/common/http';
import type { ProviderUnavailableError } from '../../../lambdas/common/errors';
import { startTestServer, type TestServer } from '../providers/support/test-server';
import { caught, expectTypedError } from '../providers/support/helpers';

const TOKEN = 'tok-SECRET-in-query-9f8e7d';
const KEY = 'key-SECRET-in-header-1a2b3c';
const SECRETS = [TOKEN, KEY, 'SECRET'];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function request(overrides: Partial<HttpRequest> = {}): Promise<HttpResponse> {
  const url = new URL(`${overrides.url?.href ?? server.baseUrl}/liveness_check`);
  url.searchParams.set('token', TOKEN);
  return requestJson({
    provider: 'liveness',
    method: 'GET',
    headers: { 'x-api-key': KEY },
    expectedStatuses: [200, 202, 410],
    timeoutMs: 2_000,
    ...overrides,
    url,
  });
}

describe('requestJson: answers', () => {
  it('returns status, headers, body text and parsed JSON, and sends the request as given', async () => {
    server.script({ status: 200, headers: { 'x-extra': 'yes' }, body: { status: 'complete', n: 1 } });
    const res = await request();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-extra')).toBe('yes');
    expect(res.json).toEqual({ status: 'complete', n: 1 });
    expect(res.bodyText).toBe('{"status":"complete","n":1}');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.query.get('token')).toBe(TOKEN);
    expect(server.requests[0]!.headers['x-api-key']).toBe(KEY);
  });

  it('sends a JSON body with its content type', async () => {
    server.script({ status: 200, body: {} });
    await request({ method: 'POST', json: { sessionId: 'abc' } });
    expect(server.requests[0]!.method).toBe('POST');
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
    expect(server.requests[0]!.json).toEqual({ sessionId: 'abc' });
  });

  it('leaves json undefined for an empty body; requireJson makes that a retryable error', async () => {
    server.script({ status: 202 });
    const res = await request();
    expect(res.bodyText).toBe('');
    expect(res.json).toBeUndefined();
    expectTypedError(thrown(() => requireJson('liveness', res)), 'ProviderUnavailableError', true);
  });

  it('treats a complete response with truncated JSON as retryable', async () => {
    server.script({ status: 200, body: `{"status":"complete","token":"${TOKEN}","result":{"pass` });
    const res = await request();
    expect(res.json).toBeUndefined();
    const err = expectTypedError(thrown(() => requireJson('liveness', res)), 'ProviderUnavailableError', true, SECRETS);
    expect(err.message).toContain('HTTP 200');
  });
});

describe('requestJson: status mapping', () => {
  it.each([500, 502, 503])('HTTP %i is retryable and carries the status code', async (status) => {
    server.script({ status, body: `upstream failed for ${TOKEN}` });
    const err = expectTypedError(await caught(request()), 'ProviderUnavailableError', true, SECRETS);
    expect((err as ProviderUnavailableError).details.statusCode).toBe(status);
    expect(err.message).toContain(`HTTP ${status}`);
    expect(err.message).toContain('liveness');
  });

  it('429 with Retry-After in seconds', async () => {
    server.script({ status: 429, headers: { 'retry-after': '17' } });
    const err = expectTypedError(await caught(request()), 'ProviderUnavailableError', true, SECRETS);
    expect((err as ProviderUnavailableError).details).toEqual({ statusCode: 429, retryAfterSeconds: 17 });
  });

  it('429 with Retry-After as an HTTP-date', async () => {
    const at = new Date(Date.now() + 120_000).toUTCString();
    server.script({ status: 429, headers: { 'retry-after': at } });
    const err = expectTypedError(await caught(request()), 'ProviderUnavailableError', true, SECRETS);
    const seconds = (err as ProviderUnavailableError).details.retryAfterSeconds;
    // The date has one-second resolution and the request takes a moment: 118..120.
    expect(seconds).toBeGreaterThanOrEqual(118);
    expect(seconds).toBeLessThanOrEqual(120);
  });

  it('429 with a garbage Retry-After is still retryable, without a delay', async () => {
    server.script({ status: 429, headers: { 'retry-after': 'soon-ish' } });
    const err = expectTypedError(await caught(request()), 'ProviderUnavailableError', true);
    expect((err as ProviderUnavailableError).details).toEqual({ statusCode: 429, retryAfterSeconds: undefined });
  });

  it('503 honours Retry-After too', async () => {
    server.script({ status: 503, headers: { 'retry-after': '5' } });
    const err = expectTypedError(await caught(request()), 'ProviderUnavailableError', true);
    expect((err as ProviderUnavailableError).details.retryAfterSeconds).toBe(5);
  });

  it.each([301, 302, 307, 308])('a %i redirect is a contract violation and is not followed', async (status) => {
    server.script({ status, headers: { location: `${server.baseUrl}/elsewhere?token=${TOKEN}` } });
    const err = expectTypedError(await caught(request()), 'ProviderContractError', false, SECRETS);
    expect(err.message).toContain(`HTTP ${status}`);
    expect(server.requests).toHaveLength(1);
  });

  it('a status the caller does not expect is a contract violation', async () => {
    server.script({ status: 418, body: { token: TOKEN } });
    const err = expectTypedError(await caught(request()), 'ProviderContractError', false, SECRETS);
    expect(err.message).toContain('HTTP 418');
  });
});

describe('requestJson: transport faults', () => {
  it('times out when the server never answers', async () => {
    server.script(() => undefined);
    const err = expectTypedError(await caught(request({ timeoutMs: 150 })), 'ProviderUnavailableError', true, SECRETS);
    expect(err.message).toMatch(/timed out after 150 ms before a response/);
  });

  it('times out when the body stalls after the headers', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
    });
    const err = expectTypedError(await caught(request({ timeoutMs: 150 })), 'ProviderUnavailableError', true, SECRETS);
    expect(err.message).toMatch(/timed out after 150 ms while reading the HTTP 200 body/);
  });

  it('reports a caller abort as retryable', async () => {
    server.script(() => undefined);
    const controller = new AbortController();
    const pending = request({ signal: controller.signal, timeoutMs: 5_000 });
    setTimeout(() => controller.abort(), 20);
    const err = expectTypedError(await caught(pending), 'ProviderUnavailableError', true, SECRETS);
    expect(err.message).toContain('aborted by the caller');
  });

  it('maps a connection destroyed mid-body to a retryable error', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"status":"complete","result":{"passed":');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const err = expectTypedError(await caught(request()), 'ProviderUnavailableError', true, SECRETS);
    expect(err.message).toContain('while reading the HTTP 200 body');
  });

  it('maps a connection reset before any response to a retryable error', async () => {
    server.script((req) => req.socket.destroy());
    const err = expectTypedError(await caught(request()), 'ProviderUnavailableError', true, SECRETS);
    expect(err.message).toContain('network error before a response');
  });

  it('maps a refused connection to a retryable error naming the code', async () => {
    const port = await closedPort();
    const err = expectTypedError(
      await caught(request({ url: new URL(`http://127.0.0.1:${port}`) })),
      'ProviderUnavailableError',
      true,
      SECRETS,
    );
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('requestJson: response-size cap', () => {
  it('refuses a declared Content-Length over the cap without reading it', async () => {
    server.script({ status: 200, body: JSON.stringify({ pad: 'x'.repeat(5_000) }) });
    const err = expectTypedError(await caught(request({ maxResponseBytes: 1_024 })), 'ResponseTooLargeError', false, SECRETS);
    expect(err.message).toContain('1024-byte cap');
  });

  it('stops reading a chunked body once it passes the cap', async () => {
    let written = 0;
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no Content-Length: chunked
      const timer = setInterval(() => {
        if (res.destroyed || written > 10_000_000) return clearInterval(timer);
        res.write('x'.repeat(16_384));
        written += 16_384;
      }, 1);
      res.on('close', () => clearInterval(timer));
    });
    const err = expectTypedError(await caught(request({ maxResponseBytes: 64 * 1024 })), 'ResponseTooLargeError', false);
    expect(err.message).toContain('more than 65536 bytes');
    expect(written).toBeLessThan(10_000_000);
  });

  it('accepts a body exactly at the cap', async () => {
    const body = JSON.stringify({ pad: 'y'.repeat(1_000) });
    server.script({ status: 200, body });
    const res = await request({ maxResponseBytes: Buffer.byteLength(body) });
    expect(res.bodyText).toBe(body);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-19T10:00:00Z');
  it.each([
    ['0', 0],
    ['42', 42],
    [' 7 ', 7],
    ['999999', MAX_RETRY_AFTER_SECONDS],
    ['Thu, 19 Mar 2026 10:01:30 GMT', 90],
    ['Thu, 19 Mar 2026 09:00:00 GMT', 0],
    ['Sat, 19 Mar 2050 10:00:00 GMT', MAX_RETRY_AFTER_SECONDS],
  ])('%j → %i', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([null, undefined, '', '-5', '1.5', 'soon', '2026-03-19', 'Thu, 99 Foo 2026 GMT', '0x10'])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );
});

describe('base URLs', () => {
  it.each([
    ['https://api.neuro-vision.ru/v1', 'https://api.neuro-vision.ru/v1/kyc/session/status'],
    ['https://api.neuro-vision.ru/v1/', 'https://api.neuro-vision.ru/v1/kyc/session/status'],
    ['https://api.check.ai', 'https://api.check.ai/kyc/session/status'],
    ['http://127.0.0.1:8080/prefix/', 'http://127.0.0.1:8080/prefix/kyc/session/status'],
  ])('joins %s', (base, expected) => {
    expect(joinUrl(parseBaseUrl('kyc', base), 'kyc/session/status').href).toBe(expected);
    expect(joinUrl(parseBaseUrl('kyc', base), '/kyc/session/status').href).toBe(expected);
  });

  it.each(['', 'api.check.ai', '/v1', 'ftp://api.check.ai', 'file:///etc/passwd', 'https://u:p@api.check.ai',
    'https://api.check.ai/?token=SECRET', 'https://api.check.ai/#x', 42, undefined])(
    'refuses %j as a ConfigurationError',
    (value) => {
      expectTypedError(thrown(() => parseBaseUrl('verification', value)), 'ConfigurationError', false, ['SECRET']);
    },
  );
});

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return expect.fail('expected a throw');
}

/** A port nothing listens on: bind an ephemeral one, then release it. */
async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
