/**
 * Fuzzing evidence intake: liveness frames (readFrame), image URLs (assertUrlAllowed) and redirect targets
 * (openImageDownload against a real server answering 302 to whatever the fuzzer picks). A frame is stored as an
 * image only when its bytes prove it, and otherwise kept as received; a URL is accepted — and then it really is an
 * allowed host — or refused with a typed intake error.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DownloadFailedError,
  DownloadRefusedError,
  ImageGoneError,
  ImageRejectedError,
  assertUrlAllowed,
  openImageDownload,
  readFrame,
  sniffImageType,
  type DownloadPolicy,
} from '../../lambdas/archive/intake';
import { isForbiddenAddress } from '../../lambdas/archive/intake/addresses';
import { FORBIDDEN_IMAGE_URLS, OFF_ALLOWLIST_LOCATIONS } from '../../local/reliability/fault-kinds';
import { loopbackPolicy } from '../support/archive-harness';
import { startImageServer, type ImageServer } from '../support/image-server';
import { makeJpeg, makePng, makeWebp } from '../support/images';
import { CANARY, typedOrValue, typedOrValueAsync } from './support';

const INTAKE_ERRORS = [DownloadRefusedError, ImageRejectedError, ImageGoneError, DownloadFailedError];
const MAX_BYTES = 64 * 1024;

describe('readFrame', () => {
  const images = [
    ['image/jpeg', makeJpeg(12, 12, 5)],
    ['image/png', makePng(8, 8, 6)],
    ['image/webp', makeWebp()],
  ] as const;
  const valid = fc.constantFrom(...images).map(([type, bytes]) => `data:${type};base64,${bytes.toString('base64')}`);
  /** A valid data URI with one edit: a character inserted, deleted or replaced, a cut, a case change, a prefix. */
  const edited = fc.tuple(valid, fc.nat(), fc.constantFrom('insert', 'delete', 'replace', 'cut', 'upper', 'prefix'), fc.string({ minLength: 1, maxLength: 3 })).map(([uri, n, op, text]) => {
    const at = n % uri.length;
    switch (op) {
      case 'insert':
        return uri.slice(0, at) + text + uri.slice(at);
      case 'delete':
        return uri.slice(0, at) + uri.slice(at + 1);
      case 'replace':
        return uri.slice(0, at) + text + uri.slice(at + text.length);
      case 'cut':
        return uri.slice(0, at);
      case 'upper':
        return uri.slice(0, at) + uri.slice(at).toUpperCase();
      default:
        return `${text}${uri}`;
    }
  });
  const headers = fc.constantFrom('data:image/jpeg;base64,', 'data:image/svg+xml;base64,', 'data:text/html;base64,', 'data:image/png,', 'data:;base64,', 'DATA:IMAGE/JPG;BASE64,', 'data:image/jpeg;charset=utf-8;base64,');
  const crafted = fc.tuple(headers, fc.base64String({ maxLength: 400 })).map(([h, b]) => h + b);

  it('stores as an image only bytes whose magic proves them one, within the cap; keeps the rest as received', () => {
    const seen = { image: 0, quarantine: 0 };
    fc.assert(
      fc.property(fc.oneof(valid, edited, crafted, fc.string(), fc.anything()), (input) => {
        const { value, error } = typedOrValue(() => readFrame(input, { maxBytes: MAX_BYTES, ceilingBytes: 4 * MAX_BYTES }));
        expect(error).toBeUndefined();
        if (value!.kind === 'image') {
          seen.image += 1;
          expect(sniffImageType(value!.bytes)).toBe(value!.mediaType);
          expect(value!.bytes.length).toBeLessThanOrEqual(MAX_BYTES);
        }
        if (value!.kind === 'quarantine') {
          seen.quarantine += 1;
          expect(value!.bytes.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1_000 },
    );
    expect(seen.image).toBeGreaterThan(0);
    expect(seen.quarantine).toBeGreaterThan(0);
  });

  it('keeps an image over the cap in quarantine, whole', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...images).chain(([type, bytes]) => fc.tuple(fc.constant(bytes), fc.constant(`data:${type};base64,${bytes.toString('base64')}`), fc.nat({ max: bytes.length - 1 }))),
        ([bytes, uri, maxBytes]) => {
          const frame = readFrame(uri, { maxBytes, ceilingBytes: bytes.length });
          expect(frame).toMatchObject({ kind: 'quarantine', reason: 'too-large' });
          expect((frame as { bytes: Buffer }).bytes.equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('assertUrlAllowed', () => {
  const deployed: DownloadPolicy = { allowedHosts: ['kyc.provider.example', 'cdn.kyc.example'], allowHttpHosts: [], allowPrivateAddresses: false, maxBytes: MAX_BYTES, timeoutMs: 1_000, maxRedirects: 3 };
  const octet = fc.integer({ min: 0, max: 255 });
  const internalIp = fc.oneof(
    fc.tuple(octet, octet, octet).map(([a, b, c]) => `10.${a}.${b}.${c}`),
    fc.tuple(octet, octet, octet).map(([a, b, c]) => `127.${a}.${b}.${c}`),
    fc.tuple(octet, octet).map(([a, b]) => `169.254.${a}.${b}`),
    fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([a, b, c]) => `172.${a}.${b}.${c}`),
    fc.tuple(octet, octet).map(([a, b]) => `192.168.${a}.${b}`),
    fc.constantFrom('[::1]', '[::ffff:127.0.0.1]', '[::ffff:a9fe:a9fe]', '[fd00::1]', '[fe80::1]', '0.0.0.0', '[64:ff9b::a00:1]'),
  );
  const url = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.constantFrom(...FORBIDDEN_IMAGE_URLS, ...OFF_ALLOWLIST_LOCATIONS),
    fc.tuple(fc.constantFrom('https://', 'http://', 'HTTPS://', 'https://user@', '//'), fc.constantFrom(...deployed.allowedHosts, 'KYC.provider.example', 'kyc.provider.example.evil.test'), fc.constantFrom('', ':443', ':8443', ':0'), fc.webPath()).map((parts) => parts.join('')),
    fc.string(),
  );

  it('returns only https URLs of allowlisted hosts on the default port, without credentials; refuses the rest, typed', () => {
    const seen = { allowed: 0, refused: 0 };
    fc.assert(
      fc.property(url, (input) => {
        const { value } = typedOrValue(() => assertUrlAllowed(input, deployed), [DownloadRefusedError]);
        if (!value) return void (seen.refused += 1);
        seen.allowed += 1;
        expect(value.protocol).toBe('https:');
        expect(deployed.allowedHosts).toContain(value.hostname);
        expect(value.port).toBe('');
        expect(value.username + value.password).toBe('');
      }),
      { numRuns: 1_000 },
    );
    expect(seen.allowed).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('refuses every loopback, private, link-local and mapped address, even when it is on the allowlist', () => {
    fc.assert(
      fc.property(internalIp, fc.webPath(), (ip, path) => {
        const host = ip.replace(/^\[|\]$/g, '');
        expect(isForbiddenAddress(host)).toBe(true);
        const error = typedOrValue(() => assertUrlAllowed(`https://${ip}${path}`, { ...deployed, allowedHosts: [host] }), [DownloadRefusedError]).error;
        expect((error as DownloadRefusedError | undefined)?.rule).toBe('forbidden-address');
      }),
      { numRuns: 500 },
    );
  });

  it('never puts the URL (paths, queries, tokens) into its error', () => {
    fc.assert(
      fc.property(fc.webUrl(), (input) => {
        const { error } = typedOrValue(() => assertUrlAllowed(`${input}?token=${CANARY}`, deployed), [DownloadRefusedError]);
        if (error) expect(error.message).not.toContain('token=');
      }),
      { numRuns: 200 },
    );
  });
});

describe('redirects to wherever the fuzzer points', () => {
  let server: ImageServer;
  beforeAll(async () => {
    server = await startImageServer({ '/img.jpg': { kind: 'image', body: makeJpeg(16, 16, 9), contentType: 'image/jpeg' } });
  });
  afterAll(() => server.close());

  // Local mode's policy: 127.0.0.1 over http is the allowed image host.
  const policy = loopbackPolicy({ timeoutMs: 1_000, maxRedirects: 2 });
  const location = () =>
    fc.oneof(
      fc.constantFrom('/img.jpg', './img.jpg', '/missing.jpg', `${server.origin}/img.jpg`, '//127.0.0.1/img.jpg', '/r', 'http://127.0.0.1:1/img.jpg', ''),
      fc.constantFrom(...FORBIDDEN_IMAGE_URLS, ...OFF_ALLOWLIST_LOCATIONS),
      fc.webUrl(),
      fc.stringMatching(/^[\x21-\x7e]{0,40}$/),
    );

  it('ends in an allowed image or a typed intake error; a hop off the allowlist is refused (DownloadRefusedError)', async () => {
    const seen = { images: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(location(), async (target) => {
        server.route('/r', { kind: 'redirect', location: target });
        const { value, error } = await typedOrValueAsync(async () => {
          const download = await openImageDownload(`${server.origin}/r`, policy);
          for await (const _chunk of download.body);
          return download;
        }, INTAKE_ERRORS);
        let resolved: URL | undefined;
        try {
          resolved = new URL(target, `${server.origin}/r`);
        } catch {
          resolved = undefined;
        }
        if (value) {
          seen.images += 1;
          expect(value.host).toBe('127.0.0.1');
        } else if (!resolved || resolved.hostname !== '127.0.0.1' || !['http:', 'https:'].includes(resolved.protocol)) {
          seen.refused += 1;
          expect(error).toBeInstanceOf(DownloadRefusedError);
        }
      }),
      { numRuns: 80 },
    );
    expect(seen.images).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });
});
