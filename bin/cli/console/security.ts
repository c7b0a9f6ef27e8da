/**
 * What a request must show before the console reads the archive for it. The console listens on 127.0.0.1 only, but
 * any web page the auditor has open can make their browser send requests there, and a DNS-rebinding page can even
 * read the answers. So every request needs:
 *   - Host 127.0.0.1:PORT or localhost:PORT (a rebinding page's requests carry its own host name),
 *   - no Origin, or the console's own (a cross-origin fetch or form post carries its page's origin),
 *   - no Sec-Fetch-Site, or same-origin / none (the browser's own word that another site did not start it),
 *   - the per-run token: in the URL the console prints (`?token=`), which is swapped at once for a cookie that is
 *     HttpOnly and SameSite=Strict (so no other site's request carries it) and removed from the address bar.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type RefusalReason = 'host' | 'origin' | 'fetch-site' | 'token';

export type Verdict =
  | { ok: true }
  /** The token came in the URL: set the cookie and send the browser to the same URL without it. */
  | { ok: true; redirect: string; setCookie: string }
  | { ok: false; reason: RefusalReason };

export interface Guard {
  port: number;
  token: string;
}

export const TOKEN_PARAMETER = 'token';

/** 256 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Per port: two consoles (or a console and another local app) on 127.0.0.1 share one cookie jar. */
export function cookieNameOf(port: number): string {
  return `audit_console_${port}`;
}

export function ownOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

export function checkRequest(request: { method?: string; url?: string; headers: IncomingHttpHeaders }, guard: Guard): Verdict {
  const { headers } = request;
  const host = headers.host?.toLowerCase();
  if (host !== `127.0.0.1:${guard.port}` && host !== `localhost:${guard.port}`) return { ok: false, reason: 'host' };
  const origin = headers.origin;
  if (origin !== undefined && !ownOrigins(guard.port).includes(origin.toLowerCase())) return { ok: false, reason: 'origin' };
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { ok: false, reason: 'fetch-site' };

  const url = new URL(request.url ?? '/', `http://${host}`);
  const fromUrl = url.searchParams.get(TOKEN_PARAMETER);
  if (fromUrl !== null) {
    if (!sameSecret(fromUrl, guard.token)) return { ok: false, reason: 'token' };
    if (request.method !== 'GET' && request.method !== 'HEAD') return { ok: true };
    url.searchParams.delete(TOKEN_PARAMETER);
    return {
      ok: true,
      redirect: `${url.pathname}${url.search}`,
      setCookie: `${cookieNameOf(guard.port)}=${guard.token}; Path=/; HttpOnly; SameSite=Strict`,
    };
  }
  const fromCookie = cookieValue(headers.cookie, cookieNameOf(guard.port));
  if (fromCookie === undefined || !sameSecret(fromCookie, guard.token)) return { ok: false, reason: 'token' };
  return { ok: true };
}

/**
 * Headers of every answer. The policy lets the page run only its own script and style, load images only from
 * itself and the bucket's endpoint, and be framed by no one; no Referer leaves it (its URLs are the console's).
 */
export function securityHeaders(imageOrigins: readonly string[]): Record<string, string> {
  const images = ["'self'", ...imageOrigins].join(' ');
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src ${images}`,
      "connect-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
