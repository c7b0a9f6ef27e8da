/**
 * Which IP addresses an image download may connect to. Inside Lambda, loopback reaches the unauthenticated runtime
 * API (127.0.0.1:9001), link-local reaches instance metadata (169.254.169.254), and in a VPC private ranges reach
 * internal services: only global unicast addresses are fair game.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * True for loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 incl. the metadata
 * address 169.254.169.254, fe80::/10), unspecified, CGNAT 100.64/10, multicast/broadcast/reserved/documentation
 * ranges, IPv6 outside global unicast 2000::/3, and IPv4-mapped / NAT64 IPv6 forms of forbidden IPv4 addresses.
 * Anything that is not a plain IP address (e.g. `0x7f.1`, a hostname) is forbidden too: fail closed.
 */
export function isForbiddenAddress(address: string): boolean {
  const ip = parse(address);
  if (!ip) return true;
  if (ip.kind() === 'ipv4') return ip.range() !== 'unicast';
  const v6 = ip as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) return embedded.range() !== 'unicast';
  // ipaddr.js calls every address outside its special ranges "unicast"; only 2000::/3 is global unicast.
  return v6.range() !== 'unicast' || !v6.match(GLOBAL_UNICAST);
}

/**
 * What local mode (allowPrivateAddresses) additionally permits: loopback and private networks, where emulators and
 * containers live. Link-local (metadata), unspecified, multicast and reserved addresses stay forbidden even then.
 */
export function isLoopbackOrPrivate(address: string): boolean {
  const ip = parse(address);
  if (!ip) return false;
  const v4 = ip.kind() === 'ipv4' ? (ip as ipaddr.IPv4) : embeddedIPv4(ip as ipaddr.IPv6);
  if (v4) return ['loopback', 'private'].includes(v4.range());
  return ['loopback', 'uniqueLocal'].includes(ip.range());
}

/** Whether a connection to `address` is allowed, given the policy's local-mode switch. */
export function isAddressAllowed(address: string, allowPrivateAddresses: boolean): boolean {
  return !isForbiddenAddress(address) || (allowPrivateAddresses && isLoopbackOrPrivate(address));
}

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
const NAT64_PREFIX = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/** Parses only what Node itself would connect to as an IP literal (no octal, hex or shortened IPv4 forms). */
function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (typeof address !== 'string') return undefined;
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIP(unbracketed) === 0) return undefined;
  try {
    return ipaddr.parse(unbracketed);
  } catch {
    return undefined;
  }
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address();
  if (ip.match(NAT64_PREFIX)) {
    const bytes = ip.toByteArray();
    return new ipaddr.IPv4(bytes.slice(12));
  }
  return undefined;
}
