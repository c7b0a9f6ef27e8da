import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DownloadRefusedError, type DownloadRefusedRule } from '../../../../lambdas/archive/intake/errors';
import { assertUrlAllowed, type DownloadPolicy } from '../../../../lambdas/archive/intake/url-policy';

/** Production-like: one provider image host, https only, no internal addresses. */
const PRODUCTION: DownloadPolicy = {
  allowedHosts: ['api.example.com', 'cdn.example.com'],
  allowHttpHosts: [],
  allowPrivateAddresses: false,
  maxBytes: 1024,
  timeoutMs: 1000,
  maxRedirects: 3,
};

function refusal(url: string, policy: DownloadPolicy = PRODUCTION): DownloadRefusedRule {
  try {
    assertUrlAllowed(url, policy);
  } catch (error) {
    expect(error).toBeInstanceOf(DownloadRefusedError);
    return (error as DownloadRefusedError).rule;
  }
  throw new Error('expected a refusal');
}

describe('assertUrlAllowed', () => {
  it('allows https links on an allowlisted host and returns them parsed', () => {
    const url = assertUrlAllowed('https://API.example.com/images/kycfull/abc/document_0_0.jpg?sig=1', PRODUCTION);
    expect(url.hostname).toBe('api.example.com');
    expect(url.pathname).toBe('/images/kycfull/abc/document_0_0.jpg');
    expect(assertUrlAllowed('https://cdn.example.com:443/x', PRODUCTION).port).toBe('');
  });

  it('scheme: https only; http only for allowHttpHosts; no other schemes', () => {
    expect(refusal('http://api.example.com/x.jpg')).toBe('scheme');
    expect(refusal('ftp://api.example.com/x.jpg')).toBe('scheme');
    expect(refusal('file:///etc/passwd')).toBe('scheme');
    expect(refusal('data:image/png;base64,AAAA')).toBe('scheme');
    expect(refusal('http://127.0.0.1:9001/2018-06-01/runtime/invocation/next')).toBe('scheme');
    const local = { ...PRODUCTION, allowedHosts: ['api.example.com', 'images.local'], allowHttpHosts: ['images.local'] };
    expect(assertUrlAllowed('http://images.local:8080/x.png', local).host).toBe('images.local:8080');
    expect(refusal('http://api.example.com/x.png', local)).toBe('scheme');
  });

  it('host-not-allowed: exact hostnames only', () => {
    expect(refusal('https://evil.example.net/x.jpg')).toBe('host-not-allowed');
    expect(refusal('https://sub.api.example.com/x.jpg')).toBe('host-not-allowed');
    expect(refusal('https://api.example.com.evil.net/x.jpg')).toBe('host-not-allowed');
    expect(refusal('https://api.example.com./x.jpg')).toBe('host-not-allowed');
    expect(refusal('https://8.8.8.8/x.jpg')).toBe('host-not-allowed');
  });

  it('credentials-in-url: user or password present', () => {
    expect(refusal('https://user:pass@api.example.com/x.jpg')).toBe('credentials-in-url');
    expect(refusal('https://user@api.example.com/x.jpg')).toBe('credentials-in-url');
    expect(refusal('https://:secret@api.example.com/x.jpg')).toBe('credentials-in-url');
  });

  it('forbidden-address: internal IP literals, even when allowlisted', () => {
    const literals = ['127.0.0.1', '169.254.169.254', '0.0.0.0', '10.0.0.1', '::1', '::ffff:127.0.0.1', 'fe80::1'];
    const policy = { ...PRODUCTION, allowedHosts: literals };
    expect(refusal('https://127.0.0.1:9001/2018-06-01/runtime/invocation/next', policy)).toBe('forbidden-address');
    expect(refusal('https://169.254.169.254/latest/meta-data/iam/', policy)).toBe('forbidden-address');
    expect(refusal('https://[::1]/x', policy)).toBe('forbidden-address');
    expect(refusal('https://[::ffff:127.0.0.1]/x', policy)).toBe('forbidden-address');
    expect(refusal('https://[fe80::1]/x', policy)).toBe('forbidden-address');
    expect(refusal('https://0.0.0.0/x', policy)).toBe('forbidden-address');
    // Alternative spellings are normalized by the URL parser first.
    expect(refusal('https://2130706433/x', policy)).toBe('forbidden-address');
    expect(refusal('https://0x7f.1/x', policy)).toBe('forbidden-address');
    expect(refusal('https://0251.0376.0251.0376/x', policy)).toBe('forbidden-address');
    // Not allowlisted either: still refused for the address.
    expect(refusal('https://127.0.0.1/x')).toBe('forbidden-address');
  });

  it('local mode permits loopback literals but still refuses the metadata address and 0.0.0.0', () => {
    const local: DownloadPolicy = {
      ...PRODUCTION,
      allowedHosts: ['127.0.0.1', '::1', '169.254.169.254', '0.0.0.0'],
      allowHttpHosts: ['127.0.0.1', '::1', '169.254.169.254', '0.0.0.0'],
      allowPrivateAddresses: true,
    };
    expect(assertUrlAllowed('http://127.0.0.1:4567/x', local).port).toBe('4567');
    expect(assertUrlAllowed('http://[::1]:4567/x', local).port).toBe('4567');
    expect(refusal('http://169.254.169.254/latest/meta-data/', local)).toBe('forbidden-address');
    expect(refusal('http://0.0.0.0:4567/x', local)).toBe('forbidden-address');
  });

  it('port-not-allowed: only the default port outside local mode', () => {
    expect(refusal('https://api.example.com:8443/x.jpg')).toBe('port-not-allowed');
    expect(refusal('https://api.example.com:22/x.jpg')).toBe('port-not-allowed');
  });

  it('bad-url: unparseable, relative or absurdly long input', () => {
    expect(refusal('not a url')).toBe('bad-url');
    expect(refusal('/images/kyc/x.jpg')).toBe('bad-url');
    expect(refusal('https://')).toBe('bad-url');
    expect(refusal('https://api.example.com:99999/x')).toBe('bad-url');
    expect(refusal(`https://api.example.com/${'a'.repeat(10_000)}`)).toBe('bad-url');
    expect(refusal(42 as unknown as string)).toBe('bad-url');
  });

  it('names the host and the rule only, never the path or query', () => {
    expect(() => assertUrlAllowed('http://api.example.com/images/kyc/SESSION-123/x.jpg?token=SECRET', PRODUCTION)).toThrow(
      /^download from api\.example\.com refused: scheme$/,
    );
    expect(() => assertUrlAllowed('https://user:SECRET@api.example.com/x', PRODUCTION)).toThrow(
      /^download from api\.example\.com refused: credentials-in-url$/,
    );
  });

  it('property: arbitrary strings either pass or throw DownloadRefusedError, and passing URLs satisfy the policy', () => {
    const urlish = fc.oneof(
      fc.string(),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc
        .tuple(
          fc.constantFrom('https://', 'http://', 'HTTPS://', 'https://u:p@', 'https://[', 'https://%'),
          fc.constantFrom('api.example.com', 'API.EXAMPLE.COM', '127.0.0.1', '[::1]', 'cdn.example.com:443', 'x'),
          fc.string(),
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(urlish, (value) => {
        try {
          const url = assertUrlAllowed(value, PRODUCTION);
          expect(url.protocol).toBe('https:');
          expect(PRODUCTION.allowedHosts).toContain(url.hostname);
          expect(url.username + url.password + url.port).toBe('');
        } catch (error) {
          expect(error).toBeInstanceOf(DownloadRefusedError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
