/**
 * The download policy and the pure check of one URL against it (OWASP SSRF guidance: allowlisted hosts, https only,
 * no credentials, no internal addresses). Applied to the first URL and to every redirect hop.
 */
import { isIP } from 'node:net';
import { isAddressAllowed } from './addresses';
import { DownloadRefusedError } from './errors';

export interface DownloadPolicy {
  /** Hostnames (exact, lowercase) images may come from: the provider's base URL host plus configured extra hosts. */
  allowedHosts: readonly string[];
  /** Hosts for which plain http is allowed (local mode only); otherwise https only. */
  allowHttpHosts: readonly string[];
  /** Local mode only: permit loopback/private resolved addresses. Default false. */
  allowPrivateAddresses: boolean;
  /** Largest image stored as an image. */
  maxBytes: number;
  /** Largest item kept in quarantine (not an image, or over maxBytes); default maxBytes. */
  quarantineMaxBytes?: number;
  /** Per image, whole download including the body. */
  timeoutMs: number;
  /** Redirect hops followed, e.g. 3. */
  maxRedirects: number;
  /** DNS resolution, injectable for tests; default node:dns/promises lookup(all: true). */
  lookup?: (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;
}

/** Longer URLs are refused as bad-url: no provider image link needs more, and the parser should not see megabytes. */
const MAX_URL_CHARS = 8 * 1024;

/**
 * Checks one URL against the policy and returns it parsed. Rules, in order: parseable absolute URL (`bad-url`), no
 * user or password (`credentials-in-url`), https, or http for an allowHttpHosts host (`scheme`), an IP-literal host
 * must be an allowed address (`forbidden-address`, see isAddressAllowed), the hostname on the allowlist
 * (`host-not-allowed`), and the scheme's default port unless the host is an allowHttpHosts (local-mode) host
 * (`port-not-allowed`). Throws DownloadRefusedError only.
 */
export function assertUrlAllowed(url: string, policy: DownloadPolicy): URL {
  let parsed: URL;
  try {
    if (typeof url !== 'string' || url.length > MAX_URL_CHARS) throw new TypeError('not a URL');
    parsed = new URL(url);
  } catch {
    throw new DownloadRefusedError('bad-url');
  }
  const host = hostnameOf(parsed);
  if (parsed.username !== '' || parsed.password !== '') throw new DownloadRefusedError('credentials-in-url', host);

  const localHost = includesHost(policy.allowHttpHosts, host);
  const schemeAllowed = parsed.protocol === 'https:' || (parsed.protocol === 'http:' && localHost);
  if (!schemeAllowed) throw new DownloadRefusedError('scheme', host);

  if (isIP(host) !== 0 && !isAddressAllowed(host, policy.allowPrivateAddresses)) {
    throw new DownloadRefusedError('forbidden-address', host);
  }
  if (!includesHost(policy.allowedHosts, host)) throw new DownloadRefusedError('host-not-allowed', host);
  // URL leaves `port` empty for the scheme's default port.
  if (parsed.port !== '' && !localHost) throw new DownloadRefusedError('port-not-allowed', host);
  return parsed;
}

/** The URL's hostname as configured hosts are written: lowercase, IPv6 without brackets. */
export function hostnameOf(url: URL): string {
  const { hostname } = url;
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function includesHost(hosts: readonly string[], host: string): boolean {
  return hosts.some((entry) => normalizeHost(entry) === host);
}

function normalizeHost(entry: string): string {
  const lower = entry.trim().toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}
