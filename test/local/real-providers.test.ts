/**
 * Which providers local mode treats as the user's own, and what the download policy allows for them: checked before
 * anything starts, with errors that name the variable to fix and never its value.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lambdas/common/errors';
import { localDownloadAllowance, realProvidersFrom, type HostLookup } from '../../local/real-providers';

const lookups: string[] = [];
const lookup: HostLookup = async (hostname) => {
  lookups.push(hostname);
  const table: Record<string, string[]> = {
    'kyc.internal.test': ['10.1.2.3'],
    'mixed.test': ['93.184.215.14', '192.168.1.20'],
    'public.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  };
  const addresses = table[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address }));
};

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Error);

describe('realProvidersFrom', () => {
  it('takes only the providers whose URL variable is set, with their credential', async () => {
    const real = await realProvidersFrom(
      { KYC_API_URL: ' http://127.0.0.1:4010/v1 ', KYC_API_TOKEN: 'kyc-token', LIVENESS_API_KEY: 'unused without a URL' },
      lookup,
    );
    expect(real).toEqual([
      {
        provider: 'kyc',
        urlVariable: 'KYC_API_URL',
        credentialVariable: 'KYC_API_TOKEN',
        baseUrl: 'http://127.0.0.1:4010/v1',
        credential: 'kyc-token',
        host: '127.0.0.1',
        http: true,
        privateHost: true,
      },
    ]);
    expect(await realProvidersFrom({}, lookup)).toEqual([]);
  });

  it('tells loopback and private hosts from public ones: localhost, IP literals, and names by what they resolve to', async () => {
    const privateHost = async (url: string) =>
      (await realProvidersFrom({ VERIFICATION_API_URL: url, VERIFICATION_API_KEY: 'k' }, lookup))[0]!.privateHost;
    expect(await privateHost('http://localhost:8080')).toBe(true);
    expect(await privateHost('https://[::1]:8443')).toBe(true);
    expect(await privateHost('https://192.168.0.10')).toBe(true);
    expect(await privateHost('https://kyc.internal.test')).toBe(true);
    expect(await privateHost('https://mixed.test')).toBe(true);
    expect(await privateHost('https://public.test')).toBe(false);
    expect(await privateHost('https://93.184.215.14')).toBe(false);
    // Link-local (the metadata address) is never "private" here: the archive refuses it in local mode too.
    expect(await privateHost('http://169.254.169.254')).toBe(false);
    expect(lookups).not.toContain('localhost');
  });

  it('fails early, naming the variable, for a provider without its credential', async () => {
    const error = await failure(realProvidersFrom({ LIVENESS_API_URL: 'http://127.0.0.1:9000' }, lookup));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error!.message).toBe('LIVENESS_API_URL is set, so local mode calls your liveness provider: set LIVENESS_API_KEY to its credential too');
    expect((await failure(realProvidersFrom({ KYC_API_URL: 'http://127.0.0.1:9000', KYC_API_TOKEN: '  ' }, lookup)))!.message).toContain('set KYC_API_TOKEN');
  });

  it('refuses a URL that is not absolute http(s), without echoing it', async () => {
    for (const url of ['127.0.0.1:4010', 'ftp://127.0.0.1/', 'http://user:s3cret@127.0.0.1:4010', 'https://p.test/?key=s3cret', '/v1', 'http://']) {
      const error = await failure(realProvidersFrom({ KYC_API_URL: url, KYC_API_TOKEN: 't' }, lookup));
      expect(error, url).toBeInstanceOf(ConfigurationError);
      expect(error!.message).toMatch(/^KYC_API_URL must be an absolute http:\/\/ or https:\/\/ URL/);
      expect(error!.message).not.toContain('s3cret');
    }
  });

  it('refuses a host that does not resolve, naming the variable and the host', async () => {
    const error = await failure(realProvidersFrom({ VERIFICATION_API_URL: 'https://nowhere.test', VERIFICATION_API_KEY: 'k' }, lookup));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error!.message).toBe('VERIFICATION_API_URL: host nowhere.test does not resolve (ENOTFOUND)');
  });
});

describe('localDownloadAllowance', () => {
  const env = {
    LIVENESS_API_URL: 'https://public.test',
    LIVENESS_API_KEY: 'l',
    KYC_API_URL: 'http://127.0.0.1:4010',
    KYC_API_TOKEN: 'k',
    VERIFICATION_API_URL: 'http://public.test:8080',
    VERIFICATION_API_KEY: 'v',
  };

  it('allows http and private addresses only for the hosts that need them, with one line per such provider', async () => {
    const allowance = localDownloadAllowance(await realProvidersFrom(env, lookup));
    expect(allowance.httpHosts).toEqual(['127.0.0.1', 'public.test']);
    expect(allowance.allowPrivateAddresses).toBe(true);
    expect(allowance.notices).toEqual([
      'local mode: images from 127.0.0.1 (kyc, KYC_API_URL) may come over plain http, on any port, from a loopback/private address — allowed for that host only, because this is local mode (never in AWS)',
      'local mode: images from public.test (verification, VERIFICATION_API_URL) may come over plain http, on any port — allowed for that host only, because this is local mode (never in AWS)',
    ]);
    for (const line of allowance.notices) expect(line).not.toMatch(/[\n]/);
  });

  it('allows nothing for public https providers, and the fake providers\' host when some provider is fake', async () => {
    const publicOnly = await realProvidersFrom({ LIVENESS_API_URL: 'https://public.test', LIVENESS_API_KEY: 'l' }, lookup);
    expect(localDownloadAllowance(publicOnly)).toEqual({ httpHosts: [], allowPrivateAddresses: false, notices: [] });
    expect(localDownloadAllowance(publicOnly, '127.0.0.1')).toEqual({ httpHosts: ['127.0.0.1'], allowPrivateAddresses: true, notices: [] });
    expect(localDownloadAllowance([], '[::1]').httpHosts).toEqual(['::1']);
  });
});
