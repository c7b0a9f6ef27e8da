/**
 * openImageDownload against real HTTP servers on 127.0.0.1. Tests that need a real download use a local-mode policy
 * (http and loopback allowed for 127.0.0.1); the address rules are exercised with an injected lookup that maps a
 * made-up hostname to the address under test, and the server proves whether anything connected.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DownloadFailedError,
  DownloadRefusedError,
  ImageGoneError,
  ImageRejectedError,
} from '../../../../lambdas/archive/intake/errors';
import { openImageDownload, type DownloadPolicy } from '../../../../lambdas/archive/intake/safe-download';
import { PNG_MAGIC, jpegBytes, serve, sha256, startServer, tinyPng, tinyWebp, type Handler, type TestServer } from './fixtures';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(routes: Record<string, Handler>): Promise<TestServer> {
  const started = await startServer(routes);
  servers.push(started);
  return started;
}

function localPolicy(overrides: Partial<DownloadPolicy> = {}): DownloadPolicy {
  return {
    allowedHosts: ['127.0.0.1'],
    allowHttpHosts: ['127.0.0.1'],
    allowPrivateAddresses: true,
    maxBytes: 4 * 1024 * 1024,
    timeoutMs: 5_000,
    maxRedirects: 3,
    ...overrides,
  };
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function streamError(body: Readable): Promise<unknown> {
  try {
    await readAll(body);
  } catch (error) {
    return error;
  }
  throw new Error('expected the body to error');
}

async function openError(url: string, policy: DownloadPolicy, signal?: AbortSignal): Promise<unknown> {
  try {
    const download = await openImageDownload(url, policy, { signal });
    download.body.destroy();
  } catch (error) {
    return error;
  }
  throw new Error('expected openImageDownload to fail');
}

const pngBody = (size: number) => Buffer.concat([PNG_MAGIC, randomBytes(size - PNG_MAGIC.length)]);

describe('openImageDownload: successful downloads', () => {
  it('streams exactly the bytes served, then closes its connection', async () => {
    const image = pngBody(3 * 1024 * 1024 + 17);
    const srv = await server({ '/img': serve(image, { 'content-type': 'image/png', 'content-length': image.length }) });

    const download = await openImageDownload(srv.url('/img?sig=abc'), localPolicy());
    expect(download.mediaType).toBe('image/png');
    expect(download.contentLength).toBe(image.length);
    expect(download.host).toBe('127.0.0.1');
    const bytes = await readAll(download.body);
    expect(bytes.length).toBe(image.length);
    expect(sha256(bytes)).toBe(sha256(image));
    await srv.allConnectionsClosed(); // the per-download Agent was closed: no socket left behind
    expect(srv.requests).toEqual(['/img']);
  });

  it('a host that gzip-encodes although identity was asked: the decoded image, marked receivedEncoding, its caps on decoded bytes', async () => {
    const image = pngBody(64 * 1024);
    const encoded = gzipSync(image);
    // A gzip bomb: 2 MiB of zeros after the PNG magic compresses to a few KiB; the cap stops the decoded stream.
    const bomb = gzipSync(Buffer.concat([PNG_MAGIC, Buffer.alloc(2 * 1024 * 1024)]));
    expect(bomb.length).toBeLessThan(16 * 1024);
    const srv = await server({
      '/img': serve(encoded, { 'content-type': 'image/png', 'content-encoding': 'gzip', 'content-length': encoded.length }),
      '/bomb': serve(bomb, { 'content-type': 'image/png', 'content-encoding': 'gzip', 'content-length': bomb.length }),
    });
    const download = await openImageDownload(srv.url('/img'), localPolicy());
    expect(download.mediaType).toBe('image/png');
    expect(download.receivedEncoding).toBe('gzip');
    expect(download.contentLength).toBeUndefined(); // an encoded length says nothing about the decoded size
    expect(sha256(await readAll(download.body))).toBe(sha256(image));

    const exploding = await openImageDownload(srv.url('/bomb'), localPolicy({ maxBytes: 512 * 1024 }));
    const error = await streamError(exploding.body);
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect((error as ImageRejectedError).reason).toBe('too-large');
  });

  it('lets the magic bytes decide when the type is missing or application/octet-stream', async () => {
    const webp = tinyWebp();
    const jpeg = jpegBytes(5000);
    const srv = await server({
      '/none': serve(webp),
      '/octet': serve(jpeg, { 'content-type': 'application/octet-stream' }),
      '/params': serve(tinyPng(), { 'content-type': 'IMAGE/PNG; charset=binary' }),
      '/jpg': serve(jpeg, { 'content-type': 'image/jpg' }),
    });
    const none = await openImageDownload(srv.url('/none'), localPolicy());
    expect(none.mediaType).toBe('image/webp');
    expect(none.contentLength).toBeUndefined();
    expect((await readAll(none.body)).equals(webp)).toBe(true);
    const octet = await openImageDownload(srv.url('/octet'), localPolicy());
    expect(octet.mediaType).toBe('image/jpeg');
    expect(sha256(await readAll(octet.body))).toBe(sha256(jpeg));
    expect((await openImageDownload(srv.url('/params'), localPolicy())).mediaType).toBe('image/png');
    expect((await openImageDownload(srv.url('/jpg'), localPolicy())).mediaType).toBe('image/jpeg');
  });

  it('recognizes the magic when it arrives one byte per chunk', async () => {
    const png = tinyPng();
    const srv = await server({
      '/trickle': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.flushHeaders();
        let offset = 0;
        const next = () => {
          if (offset < 14) {
            res.write(png.subarray(offset, ++offset));
            setTimeout(next, 5);
          } else res.end(png.subarray(offset));
        };
        next();
      },
    });
    const download = await openImageDownload(srv.url('/trickle'), localPolicy());
    expect(download.mediaType).toBe('image/png');
    expect((await readAll(download.body)).equals(png)).toBe(true);
  });

  it('follows relative redirects that stay on allowed hosts, re-checking each hop', async () => {
    const image = jpegBytes(2048);
    const srv = await server({
      '/a/start': (_req, res) => res.writeHead(302, { location: 'next?x=1' }).end(),
      '/a/next': (_req, res) => res.writeHead(301, { location: '/b/final' }).end(),
      '/b/final': serve(image, { 'content-type': 'image/jpeg' }),
    });
    const download = await openImageDownload(srv.url('/a/start'), localPolicy({ maxRedirects: 2 }));
    expect(sha256(await readAll(download.body))).toBe(sha256(image));
    expect(srv.requests).toEqual(['/a/start', '/a/next', '/b/final']);
  });
});

describe('openImageDownload: refused URLs and redirect hops', () => {
  it('refuses before any request: scheme, host, credentials', async () => {
    const srv = await server({ '/img': serve(tinyPng(), { 'content-type': 'image/png' }) });
    const production = localPolicy({ allowHttpHosts: [], allowPrivateAddresses: false });
    expect(await openError(srv.url('/img'), production)).toMatchObject({ name: 'DownloadRefusedError', rule: 'scheme' });
    expect(await openError(srv.url('/img'), localPolicy({ allowedHosts: ['api.example.com'] }))).toMatchObject({
      rule: 'host-not-allowed',
    });
    expect(await openError(`http://user:pass@127.0.0.1:${srv.port}/img`, localPolicy())).toMatchObject({
      rule: 'credentials-in-url',
    });
    expect(srv.connections).toBe(0);
  });

  it('refuses a redirect to a host that is not allowed, without requesting it', async () => {
    const srv = await server({
      '/start': (_req, res) => res.writeHead(302, { location: `http://localhost:${srv.port}/stolen` }).end(),
      '/stolen': serve(tinyPng(), { 'content-type': 'image/png' }),
    });
    // http would be fine for localhost (and it reaches the same server): only the host allowlist stops the hop.
    const error = await openError(srv.url('/start'), localPolicy({ allowHttpHosts: ['127.0.0.1', 'localhost'] }));
    expect(error).toBeInstanceOf(DownloadRefusedError);
    expect(error).toMatchObject({ rule: 'host-not-allowed', host: 'localhost' });
    expect(srv.requests).toEqual(['/start']);
  });

  it('refuses a redirect to the metadata address even in local mode', async () => {
    const srv = await server({
      '/start': (_req, res) => res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end(),
    });
    const policy = localPolicy({
      allowedHosts: ['127.0.0.1', '169.254.169.254'],
      allowHttpHosts: ['127.0.0.1', '169.254.169.254'],
    });
    expect(await openError(srv.url('/start'), policy)).toMatchObject({ rule: 'forbidden-address', host: '169.254.169.254' });
  });

  it('refuses a redirect that downgrades to http or carries credentials', async () => {
    const srv = await server({
      '/creds': (_req, res) => res.writeHead(302, { location: `http://u:p@127.0.0.1:${srv.port}/x` }).end(),
      '/ftp': (_req, res) => res.writeHead(302, { location: 'ftp://127.0.0.1/x' }).end(),
    });
    expect(await openError(srv.url('/creds'), localPolicy())).toMatchObject({ rule: 'credentials-in-url' });
    expect(await openError(srv.url('/ftp'), localPolicy())).toMatchObject({ rule: 'scheme' });
  });

  it('stops a redirect loop after maxRedirects hops', async () => {
    const srv = await server({ '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end() });
    expect(await openError(srv.url('/loop'), localPolicy({ maxRedirects: 3 }))).toMatchObject({ rule: 'too-many-redirects' });
    expect(srv.requests).toEqual(['/loop', '/loop', '/loop', '/loop']);
    expect(await openError(srv.url('/loop'), localPolicy({ maxRedirects: 0 }))).toMatchObject({ rule: 'too-many-redirects' });
  });

  it('refuses a redirect without a Location', async () => {
    const srv = await server({ '/nowhere': (_req, res) => res.writeHead(302).end() });
    expect(await openError(srv.url('/nowhere'), localPolicy())).toMatchObject({ rule: 'redirect-without-location' });
  });
});

describe('openImageDownload: address checks at connect time (injected lookup)', () => {
  /** A production-like policy for `images.test`, which the injected lookup resolves; http allowed only to reach the test server. */
  function resolving(addresses: string[], overrides: Partial<DownloadPolicy> = {}) {
    const lookups: string[] = [];
    const policy = localPolicy({
      allowedHosts: ['images.test'],
      allowHttpHosts: ['images.test'],
      allowPrivateAddresses: false,
      lookup: async (hostname) => {
        lookups.push(hostname);
        return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      },
      ...overrides,
    });
    return { policy, lookups };
  }

  it.each([
    ['loopback', ['127.0.0.1']],
    ['the metadata address', ['169.254.169.254']],
    ['a private address', ['10.0.0.1']],
    ['a mix of public and loopback', ['93.184.216.34', '127.0.0.1']],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1']],
  ])('refuses a hostname resolving to %s without connecting', async (_label, addresses) => {
    const srv = await server({ '/img': serve(tinyPng(), { 'content-type': 'image/png' }) });
    const { policy, lookups } = resolving(addresses);
    const error = await openError(`http://images.test:${srv.port}/img`, policy);
    expect(error).toBeInstanceOf(DownloadRefusedError);
    expect(error).toMatchObject({ rule: 'forbidden-address', host: 'images.test' });
    expect(lookups).toContain('images.test');
    expect(srv.connections).toBe(0);
  });

  it('connects to exactly the address the lookup checked (local mode permits loopback)', async () => {
    const png = tinyPng();
    let hostHeader: string | undefined;
    const srv = await server({
      '/img': (req, res) => {
        hostHeader = req.headers.host;
        serve(png, { 'content-type': 'image/png' })(req, res);
      },
    });
    const { policy, lookups } = resolving(['127.0.0.1'], { allowPrivateAddresses: true });
    const download = await openImageDownload(`http://images.test:${srv.port}/img`, policy);
    expect((await readAll(download.body)).equals(png)).toBe(true);
    expect(download.host).toBe('images.test');
    expect(hostHeader).toBe(`images.test:${srv.port}`);
    expect(lookups).toEqual(['images.test']);
  });

  it('refuses the metadata address in local mode too', async () => {
    const srv = await server({ '/img': serve(tinyPng(), { 'content-type': 'image/png' }) });
    const { policy } = resolving(['127.0.0.1', '169.254.169.254'], { allowPrivateAddresses: true });
    expect(await openError(`http://images.test:${srv.port}/img`, policy)).toMatchObject({ rule: 'forbidden-address' });
    expect(srv.connections).toBe(0);
  });

  it('a failed resolution is a transient failure', async () => {
    const policy = localPolicy({
      allowedHosts: ['images.test'],
      allowHttpHosts: ['images.test'],
      lookup: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND images.test'), { code: 'ENOTFOUND' });
      },
    });
    const error = await openError('http://images.test/img', policy);
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect(error).toMatchObject({ retryable: true, details: { code: 'ENOTFOUND' } });
  });
});

describe('openImageDownload: statuses', () => {
  it.each([404, 410, 403])('HTTP %i → ImageGoneError', async (status) => {
    const srv = await server({ '/img': (_req, res) => res.writeHead(status).end('gone') });
    const error = await openError(srv.url('/img'), localPolicy());
    expect(error).toBeInstanceOf(ImageGoneError);
    expect(error).toMatchObject({ status, retryable: false });
  });

  it.each([503, 500, 429])('HTTP %i → DownloadFailedError (retryable)', async (status) => {
    const srv = await server({ '/img': (_req, res) => res.writeHead(status).end('busy') });
    const error = await openError(srv.url('/img'), localPolicy());
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect(error).toMatchObject({ retryable: true, details: { status } });
  });

  it('messages name the host and status, never the path or query', async () => {
    const srv = await server({});
    const error = await openError(srv.url('/images/kycfull/SESSION-42/doc.jpg?token=SECRET'), localPolicy());
    expect((error as Error).message).toBe('image at 127.0.0.1 is gone: HTTP 404');
  });
});

describe('openImageDownload: content checks (nothing is refused for what it is: it is marked for quarantine)', () => {
  async function opened(url: string, policy: DownloadPolicy) {
    const download = await openImageDownload(url, policy);
    return { ...download, bytes: await readAll(download.body) };
  }

  it('a Content-Type that is not an image: delivered whole, marked content-type-not-allowed', async () => {
    const png = tinyPng();
    const srv = await server({ '/html': serve(png, { 'content-type': 'text/html' }) });
    const download = await opened(srv.url('/html'), localPolicy());
    expect(download).toMatchObject({ quarantine: 'content-type-not-allowed' });
    expect(download.mediaType).toBeUndefined();
    expect(download.bytes.equals(png)).toBe(true);
  });

  it('an image type beyond jpeg/png/webp whose magic bytes confirm it is an image', async () => {
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    const srv = await server({ '/gif': serve(gif, { 'content-type': 'image/gif' }) });
    const download = await opened(srv.url('/gif'), localPolicy());
    expect(download).toMatchObject({ mediaType: 'image/gif' });
    expect(download.quarantine).toBeUndefined();
    expect(download.bytes.equals(gif)).toBe(true);
  });

  it('bytes whose magic does not match the declared type, or any image type, are marked', async () => {
    const srv = await server({
      '/liar': serve(jpegBytes(), { 'content-type': 'image/png' }),
      '/html': serve(Buffer.from('<html><body>login</body></html>'), { 'content-type': 'application/octet-stream' }),
      '/tiny': serve(Buffer.from([0x89, 0x50]), { 'content-type': 'image/png' }),
    });
    expect(await opened(srv.url('/liar'), localPolicy())).toMatchObject({ quarantine: 'magic-mismatch' });
    expect(await opened(srv.url('/html'), localPolicy())).toMatchObject({ quarantine: 'unknown-format' });
    expect(await opened(srv.url('/tiny'), localPolicy())).toMatchObject({ quarantine: 'magic-mismatch', bytes: Buffer.from([0x89, 0x50]) });
  });

  it('rejects an empty body', async () => {
    const srv = await server({ '/empty': serve(Buffer.alloc(0), { 'content-type': 'image/png', 'content-length': 0 }) });
    expect(await openError(srv.url('/empty'), localPolicy())).toMatchObject({ reason: 'empty' });
  });

  it('a Content-Length over maxBytes but within the quarantine ceiling: delivered, marked too-large', async () => {
    const image = pngBody(300 * 1024);
    const srv = await server({ '/big': serve(image, { 'content-type': 'image/png', 'content-length': image.length }) });
    const download = await opened(srv.url('/big'), localPolicy({ maxBytes: 100 * 1024, quarantineMaxBytes: 1024 * 1024 }));
    expect(download).toMatchObject({ quarantine: 'too-large' });
    expect(download.bytes.equals(image)).toBe(true);
  });

  it('refuses a Content-Length over the ceiling before reading the body', async () => {
    // Announces 100 MB but sends 16 bytes and stalls: reading would end in a timeout, not a size rejection.
    const srv = await server({
      '/big': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': 100_000_000 });
        res.write(pngBody(16));
      },
    });
    const error = await openError(srv.url('/big'), localPolicy({ maxBytes: 1024 * 1024, quarantineMaxBytes: 2 * 1024 * 1024, timeoutMs: 10_000 }));
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect(error).toMatchObject({ reason: 'too-large' });
    await srv.allConnectionsClosed();
  });

  it('asked for quarantine up front (an image that overran its cap before), it streams up to the ceiling', async () => {
    const image = pngBody(300 * 1024);
    const srv = await server({ '/img': serve(image, { 'content-type': 'image/png' }) });
    const download = await openImageDownload(srv.url('/img'), localPolicy({ maxBytes: 100 * 1024, quarantineMaxBytes: 1024 * 1024 }), { quarantine: 'too-large' });
    expect(download.quarantine).toBe('too-large');
    expect((await readAll(download.body)).equals(image)).toBe(true);
  });
});

describe('openImageDownload: failures while streaming', () => {
  it('errors the stream past maxBytes without Content-Length, and stops reading the server', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.concat([PNG_MAGIC, randomBytes(64 * 1024 - PNG_MAGIC.length)]);
    let written = 0;
    let finished = false;
    let markClosed!: () => void;
    const responseClosed = new Promise<void>((resolve) => (markClosed = resolve));
    const srv = await server({
      '/endless': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' }); // chunked: no Content-Length
        res.on('close', markClosed);
        const next = () => {
          while (written < total) {
            written += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', next);
              return;
            }
          }
          finished = true;
          res.end();
        };
        next();
      },
    });

    const download = await openImageDownload(srv.url('/endless'), localPolicy({ maxBytes: 256 * 1024 }));
    const error = await streamError(download.body);
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect(error).toMatchObject({ reason: 'too-large' });
    await responseClosed; // the client hung up...
    expect(finished).toBe(false); // ...long before the 64 MiB were sent
    expect(written).toBeLessThan(total);
  });

  it('a connection reset mid-body errors the stream with DownloadFailedError', async () => {
    const image = pngBody(100_000);
    const srv = await server({
      '/reset': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.length });
        res.write(image.subarray(0, 20_000), () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
      },
    });
    const download = await openImageDownload(srv.url('/reset'), localPolicy());
    const error = await streamError(download.body);
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect(error).toMatchObject({ retryable: true });
  });

  it('a body cut short of its Content-Length errors the stream with DownloadFailedError', async () => {
    const image = pngBody(100_000);
    const srv = await server({
      '/cut': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.length });
        res.write(image.subarray(0, 20_000), () => setTimeout(() => res.socket?.destroy(), 20));
      },
    });
    const download = await openImageDownload(srv.url('/cut'), localPolicy());
    expect(await streamError(download.body)).toBeInstanceOf(DownloadFailedError);
  });

  it('a body slower than the timeout errors the stream with DownloadFailedError and closes the connection', async () => {
    const srv = await server({
      '/slow': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(pngBody(64)); // then nothing
      },
    });
    const download = await openImageDownload(srv.url('/slow'), localPolicy({ timeoutMs: 300 }));
    const error = await streamError(download.body);
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect((error as Error).message).toBe('download from 127.0.0.1 failed: timed out');
    await srv.allConnectionsClosed();
  });

  it('a server that never answers fails with DownloadFailedError at the timeout', async () => {
    const srv = await server({ '/silent': () => {} });
    const error = await openError(srv.url('/silent'), localPolicy({ timeoutMs: 300 }));
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect((error as Error).message).toBe('download from 127.0.0.1 failed: timed out');
    await srv.allConnectionsClosed();
  });

  it("the caller's abort signal ends the download", async () => {
    const srv = await server({
      '/slow': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(pngBody(64));
      },
    });
    const controller = new AbortController();
    const download = await openImageDownload(srv.url('/slow'), localPolicy(), { signal: controller.signal });
    const failed = streamError(download.body);
    controller.abort();
    expect(await failed).toMatchObject({ name: 'DownloadFailedError', message: 'download from 127.0.0.1 failed: aborted by the caller' });
    expect(await openError(srv.url('/slow'), localPolicy(), controller.signal)).toBeInstanceOf(DownloadFailedError);
  });

  it('an abandoned body is torn down at the timeout without an unhandled error', async () => {
    const srv = await server({
      '/slow': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(pngBody(64));
      },
    });
    const download = await openImageDownload(srv.url('/slow'), localPolicy({ timeoutMs: 200 }));
    await srv.allConnectionsClosed();
    expect(download.body.destroyed).toBe(true);
  });

  it('an invalid policy is a configuration error', async () => {
    expect(await openError('http://127.0.0.1/x', localPolicy({ timeoutMs: 0 }))).toMatchObject({ name: 'ConfigurationError' });
    expect(await openError('http://127.0.0.1/x', localPolicy({ maxBytes: Number.NaN }))).toMatchObject({ name: 'ConfigurationError' });
  });
});
