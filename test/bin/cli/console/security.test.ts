/**
 * The console's door: 127.0.0.1 only, its own Host names only, no foreign Origin or cross-site fetch, and the
 * per-run token (URL once, then an HttpOnly SameSite=Strict cookie). Every refusal is an audit event.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequest, securityHeaders } from '../../../../bin/cli/console/security';
import { TOKEN, get, lastEvent, send, startConsoleFixture, type ConsoleFixture } from './console-fixture';

let f: ConsoleFixture;
beforeAll(async () => {
  f = await startConsoleFixture();
});
afterAll(async () => {
  await f?.close();
});

const liveness = () => f.archive.checks['liveness-passed']!;

describe('the token', () => {
  it('the printed URL sets an HttpOnly SameSite=Strict cookie for this port and sends the browser on without the token', async () => {
    const answer = await send(f.console.port, { path: `/?provider=kyc&token=${TOKEN}` });
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/?provider=kyc');
    const cookie = answer.headers['set-cookie']![0]!;
    expect(cookie).toMatch(new RegExp(`^audit_console_${f.console.port}=${TOKEN}; `));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(f.console.url).toBe(`http://127.0.0.1:${f.console.port}/?token=${TOKEN}`);
  });

  it('without the token or its cookie, or with a wrong one, every route is refused (403) and nothing is read', async () => {
    const before = f.events.length;
    for (const path of ['/', `/check/liveness/${liveness().record.checkRef}`, '/verify', '/assets/console.js', '/nothing-here']) {
      const answer = await send(f.console.port, { path });
      expect(answer.status, path).toBe(403);
      expect(answer.text).toContain('token');
      expect(answer.text).not.toContain(liveness().record.checkRef);
    }
    expect((await send(f.console.port, { path: '/?token=wrong' })).status).toBe(403);
    expect((await send(f.console.port, { path: '/', headers: { cookie: `audit_console_${f.console.port}=${TOKEN.slice(1)}x` } })).status).toBe(403);
    // A cookie of another port's console is not this console's.
    expect((await send(f.console.port, { path: '/', headers: { cookie: `audit_console_1=${TOKEN}` } })).status).toBe(403);
    const refused = f.events.slice(before);
    expect(refused).toHaveLength(8);
    expect(refused.every((e) => e.action === 'refused' && e.status === 403 && e.error === 'token' && e.read === undefined)).toBe(true);
    expect(refused[0]!.caller).toEqual({ userArn: 'unauthenticated' });
  });

  it('with the cookie the page is served', async () => {
    const answer = await get(f, '/');
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('Find checks');
  });
});

describe('DNS rebinding and cross-site requests', () => {
  it('refuses a Host other than 127.0.0.1:PORT or localhost:PORT, even with the cookie', async () => {
    for (const host of ['evil.example', `evil.example:${f.console.port}`, `127.0.0.1:${f.console.port + 1}`, '127.0.0.1', `[::1]:${f.console.port}`]) {
      const answer = await send(f.console.port, { path: '/', headers: { host, cookie: f.cookie } });
      expect(answer.status, host).toBe(403);
      expect(lastEvent(f)).toMatchObject({ action: 'refused', error: 'host' });
    }
    expect((await send(f.console.port, { path: '/', headers: { host: `localhost:${f.console.port}`, cookie: f.cookie } })).status).toBe(200);
  });

  it('refuses a foreign Origin (or "null"), accepts its own', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${f.console.port + 1}`, 'null', `https://127.0.0.1:${f.console.port}`]) {
      const answer = await get(f, '/', { origin });
      expect(answer.status, origin).toBe(403);
      expect(lastEvent(f)).toMatchObject({ action: 'refused', error: 'origin' });
    }
    expect((await get(f, '/', { origin: `http://127.0.0.1:${f.console.port}` })).status).toBe(200);
    expect((await get(f, '/', { origin: `http://localhost:${f.console.port}` })).status).toBe(200);
  });

  it('refuses what the browser says another site started (Sec-Fetch-Site), even a form post to /find', async () => {
    for (const site of ['cross-site', 'same-site']) {
      expect((await get(f, '/', { 'sec-fetch-site': site })).status).toBe(403);
      expect(lastEvent(f)).toMatchObject({ action: 'refused', error: 'fetch-site' });
    }
    const post = await send(f.console.port, {
      method: 'POST',
      path: '/find',
      headers: { cookie: f.cookie, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: `provider=liveness&id=${liveness().record.checkRef}`,
    });
    expect(post.status).toBe(403);
    expect((await get(f, '/', { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await get(f, '/', { 'sec-fetch-site': 'none' })).status).toBe(200);
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(f.console.origin).toBe(`http://127.0.0.1:${f.console.port}`);
    const reached = await new Promise<string>((resolve) => {
      const socket = connect({ host: '::1', port: f.console.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(reached).not.toBe('connected');
  });

  it('accepts GET (and POST /find) only', async () => {
    for (const method of ['PUT', 'DELETE', 'HEAD']) expect((await send(f.console.port, { method, path: '/', headers: { cookie: f.cookie } })).status).toBe(405);
    expect((await send(f.console.port, { method: 'POST', path: '/', headers: { cookie: f.cookie } })).status).toBe(405);
  });
});

describe('headers of every answer', () => {
  it('a policy that runs only the console\'s own script and loads images only from itself and the bucket', async () => {
    const answer = await get(f, '/');
    const s3Origin = new URL(f.emulators.s3Endpoint).origin;
    const csp = String(answer.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`img-src 'self' ${s3Origin}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    // The refusal too.
    expect((await send(f.console.port, { path: '/' })).headers['content-security-policy']).toBe(csp);
  });
});

describe('checkRequest', () => {
  const guard = { port: 4000, token: 'secret-token' };
  const headers = { host: '127.0.0.1:4000', cookie: 'a=b; audit_console_4000=secret-token' };
  it('accepts the console\'s own requests and names the reason for each refusal', () => {
    expect(checkRequest({ method: 'GET', url: '/', headers }, guard)).toEqual({ ok: true });
    expect(checkRequest({ method: 'GET', url: '/', headers: { ...headers, host: 'LOCALHOST:4000' } }, guard)).toEqual({ ok: true });
    expect(checkRequest({ method: 'GET', url: '/', headers: { ...headers, host: undefined } }, guard)).toEqual({ ok: false, reason: 'host' });
    expect(checkRequest({ method: 'GET', url: '/', headers: { ...headers, origin: 'http://x' } }, guard)).toEqual({ ok: false, reason: 'origin' });
    expect(checkRequest({ method: 'GET', url: '/', headers: { ...headers, 'sec-fetch-site': 'cross-site' } }, guard)).toEqual({ ok: false, reason: 'fetch-site' });
    expect(checkRequest({ method: 'GET', url: '/', headers: { host: headers.host } }, guard)).toEqual({ ok: false, reason: 'token' });
    expect(checkRequest({ method: 'GET', url: '/x?a=1&token=secret-token', headers: { host: headers.host } }, guard)).toMatchObject({ ok: true, redirect: '/x?a=1' });
  });

  it('securityHeaders lists each image origin', () => {
    expect(securityHeaders(['https://b.s3.eu-west-1.amazonaws.com'])['content-security-policy']).toContain(
      "img-src 'self' https://b.s3.eu-west-1.amazonaws.com;",
    );
  });
});
