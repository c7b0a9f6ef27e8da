/**
 * Local mode against providers of the user's own: which providers the environment names (LIVENESS_API_URL,
 * KYC_API_URL, VERIFICATION_API_URL, each with its credential variable), checked before anything starts, and what the
 * archive's download policy must allow so their images can be fetched on this machine.
 *
 * The policy's host allowlist stays the providers' hosts (lambdas/archive/runtime.ts); local mode only adds, per
 * host, plain http and any port (DOWNLOAD_HTTP_HOSTS), and loopback/private addresses (DOWNLOAD_ALLOW_PRIVATE_ADDRESSES)
 * — which the stack never sets in AWS.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isLoopbackOrPrivate } from '../lambdas/archive/intake/addresses';
import { CREDENTIAL_ENV_VARS } from '../lambdas/common/credentials';
import { PROVIDER_URL_VARS, type Env } from '../lambdas/common/environment';
import { ConfigurationError } from '../lambdas/common/errors';
import { PROVIDERS, type ProviderName } from '../lambdas/checks/check-status';

export interface RealProvider {
  provider: ProviderName;
  urlVariable: string;
  credentialVariable: string;
  /** As the user wrote it (validated). */
  baseUrl: string;
  credential: string;
  /** Lowercase, IPv6 without brackets: as the download policy compares hosts. */
  host: string;
  http: boolean;
  /** The host is loopback or on a private network (`localhost`, an IP literal, or a name resolving to one). */
  privateHost: boolean;
}

export type HostLookup = (hostname: string) => Promise<Array<{ address: string }>>;

/**
 * The providers the environment names, validated: an absolute http(s) URL and a credential, or a ConfigurationError
 * naming the variable (never its value: a URL may carry userinfo, a credential is a secret).
 */
export async function realProvidersFrom(env: Env, lookup: HostLookup = defaultLookup): Promise<RealProvider[]> {
  const real: RealProvider[] = [];
  for (const provider of PROVIDERS) {
    const urlVariable = PROVIDER_URL_VARS[provider];
    const raw = env[urlVariable]?.trim();
    if (!raw) continue;
    const url = parseProviderUrl(urlVariable, raw);
    const credentialVariable = CREDENTIAL_ENV_VARS[provider];
    const credential = env[credentialVariable]?.trim();
    if (!credential) {
      throw new ConfigurationError(`${urlVariable} is set, so local mode calls your ${provider} provider: set ${credentialVariable} to its credential too`);
    }
    const host = hostOf(url);
    real.push({
      provider,
      urlVariable,
      credentialVariable,
      baseUrl: raw,
      credential,
      host,
      http: url.protocol === 'http:',
      privateHost: await isPrivateHost(urlVariable, host, lookup),
    });
  }
  return real;
}

export interface LocalDownloadAllowance {
  /** DOWNLOAD_HTTP_HOSTS: http and any port allowed for these hosts. */
  httpHosts: string[];
  /** DOWNLOAD_ALLOW_PRIVATE_ADDRESSES. */
  allowPrivateAddresses: boolean;
  /** One line per real provider that needed an allowance: printed, so nobody mistakes it for production behaviour. */
  notices: string[];
}

/**
 * What the download policy must allow: the fake providers' host (http on loopback) when any provider is fake, and the
 * host of each real provider on http or on a loopback/private host.
 */
export function localDownloadAllowance(real: readonly RealProvider[], fakeHost?: string): LocalDownloadAllowance {
  const httpHosts = new Set<string>(fakeHost ? [fakeHost.toLowerCase().replace(/^\[|\]$/g, '')] : []);
  let allowPrivateAddresses = fakeHost !== undefined;
  const notices: string[] = [];
  for (const p of real) {
    if (!p.http && !p.privateHost) continue;
    // A private host gets the http allowance too: it is the only way the policy admits a non-default port.
    httpHosts.add(p.host);
    allowPrivateAddresses ||= p.privateHost;
    const what = ['over plain http', 'on any port', ...(p.privateHost ? ['from a loopback/private address'] : [])].join(', ');
    notices.push(
      `local mode: images from ${p.host} (${p.provider}, ${p.urlVariable}) may come ${what} — allowed for that host only, ` +
        'because this is local mode (never in AWS)',
    );
  }
  return { httpHosts: [...httpHosts], allowPrivateAddresses, notices };
}

function parseProviderUrl(variable: string, raw: string): URL {
  const problem = new ConfigurationError(
    `${variable} must be an absolute http:// or https:// URL without credentials, query or fragment (e.g. http://127.0.0.1:4010)`,
  );
  if (!URL.canParse(raw)) throw problem;
  const url = new URL(raw);
  if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.search || url.hash || !url.hostname) throw problem;
  return url;
}

function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
}

async function isPrivateHost(variable: string, host: string, lookup: HostLookup): Promise<boolean> {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) !== 0) return isLoopbackOrPrivate(host);
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(host);
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    throw new ConfigurationError(`${variable}: host ${host} does not resolve${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  // One private address is enough to need the allowance: the archive's lookup refuses a name if any address is refused.
  return addresses.some(({ address }) => isLoopbackOrPrivate(address));
}

async function defaultLookup(hostname: string): Promise<Array<{ address: string }>> {
  return dnsLookup(hostname, { all: true, verbatim: true });
}
