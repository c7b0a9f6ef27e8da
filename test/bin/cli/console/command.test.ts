/**
 * `audit-archiver console` as the CLI runs it: options checked, the URL printed, the page served from the target the
 * global options name, audit events on stderr or in --audit-log, stopped cleanly; and who the caller is.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerOf } from '../../../../bin/cli/console/caller';
import { makeConsoleCommand } from '../../../../bin/cli/commands/console';
import { COMMANDS } from '../../../../bin/cli/commands';
import type { AuditTarget } from '../../../../bin/cli/target';
import { ConfigurationError } from '../../../../lambdas/common/errors';
import { startEmulators, type Emulators } from '../../../../local/emulators';
import { buildArchive, daysAgo, type Fixture } from '../../../lambdas/audit/archive-fixture';
import { runAudit } from '../../cli-io';
import { send } from './console-fixture';

let emulators: Emulators;
let fixture: Fixture;
let dir: string;
beforeAll(async () => {
  emulators = await startEmulators();
  fixture = await buildArchive(emulators, [{ label: 'kyc', script: { provider: 'kyc', clientKey: 'client-cmd-1' }, day: daysAgo(1) }]);
  dir = await mkdtemp(join(tmpdir(), 'console-command-'));
});
afterAll(async () => {
  await fixture?.close();
  await emulators?.close();
  await rm(dir, { recursive: true, force: true });
});

let closed = 0;
const openTarget = async (): Promise<AuditTarget> => ({
  kind: 'local',
  label: 'test archive',
  deps: fixture.audit,
  objectLock: false,
  async close() {
    closed++;
  },
});

describe('audit-archiver console', () => {
  it('is listed in the CLI\'s help and has its own', async () => {
    expect(COMMANDS.map((c) => c.name)).toContain('console');
    const { code, out } = await runAudit(['console', '--help']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: audit-archiver console [--port N]');
    expect(out).toContain('127.0.0.1');
  });

  it('refuses a bad --port or --expires (exit 2) before opening anything', async () => {
    const before = closed;
    expect((await runAudit(['console', '--port', 'eighty'], { openTarget, commands: [makeConsoleCommand()] })).code).toBe(2);
    expect((await runAudit(['console', '--port', '70000'], { openTarget, commands: [makeConsoleCommand()] })).code).toBe(2);
    expect((await runAudit(['console', '--expires', '0'], { openTarget, commands: [makeConsoleCommand()] })).code).toBe(2);
    expect(closed).toBe(before);
  });

  it('prints the URL with its token, serves the archive there, writes audit events to --audit-log, stops on the signal', async () => {
    const auditLog = join(dir, 'audit.jsonl');
    let out = '';
    let err = '';
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const command = makeConsoleCommand({ stop: () => stopped });
    const { runCli } = await import('../../../../bin/cli/main');
    const running = runCli(
      ['console', '--audit-log', auditLog, '--expires', '90'],
      { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: {} },
      { openTarget, commands: [command] },
    );
    for (let i = 0; i < 100 && !/open: http/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const url = new URL(/open: (\S+)/.exec(out)![1]!);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(out).toContain('audit-archiver console for test archive, as local');

    const port = Number(url.port);
    const login = await send(port, { path: `${url.pathname}${url.search}` });
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']![0]).split(';')[0]!;
    const page = await send(port, { path: '/', headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain(fixture.checks.kyc!.record.checkRef);
    expect(page.text).toContain('Reading <span>test archive</span>');
    const shown = await send(port, { path: `/check/kyc/${fixture.checks.kyc!.record.checkRef}`, headers: { cookie } });
    expect(shown.text).toContain('X-Amz-Expires=90');

    stop();
    expect(await running).toBe(0);
    expect(out).toContain('console stopped');
    expect(err).toBe('');
    // The port is closed.
    await expect(send(port, { path: '/' })).rejects.toThrow();
    const events = (await readFile(auditLog, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => e.audit.action)).toEqual(['query', 'show']);
    expect(events[0]).toMatchObject({ level: 'INFO', message: 'auditor access', service: 'audit-archiver', audit: { via: 'console', caller: { userArn: 'local' }, status: 200 } });
    expect(events[1].audit.read).toMatchObject({ provider: 'kyc', checkRef: fixture.checks.kyc!.record.checkRef, presignedImages: expect.any(Number) });
    expect(JSON.stringify(events)).not.toContain(url.searchParams.get('token'));
    expect((await stat(auditLog)).mode & 0o777).toBe(0o600);
  });

  it('without --audit-log the events go to stderr, one JSON line each', async () => {
    let out = '';
    let err = '';
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const { runCli } = await import('../../../../bin/cli/main');
    const running = runCli(['console'], { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: {} }, { openTarget, commands: [makeConsoleCommand({ stop: () => stopped })] });
    for (let i = 0; i < 100 && !/open: http/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const url = new URL(/open: (\S+)/.exec(out)![1]!);
    await send(Number(url.port), { path: '/' }); // no token: refused, and logged
    stop();
    expect(await running).toBe(0);
    const line = JSON.parse(err.trim().split('\n')[0]!);
    expect(line).toMatchObject({ level: 'WARN', message: 'auditor access', audit: { action: 'refused', status: 403, error: 'token' } });
  });
});

describe('callerOf', () => {
  it('local archive: "local" and the operating-system user, without calling AWS', async () => {
    const caller = await callerOf('local', { sts: { send: () => Promise.reject(new Error('must not be called')), destroy() {} } as never });
    expect(caller.userArn).toBe('local');
    expect(caller.osUser).toEqual(expect.any(String));
  });

  it('AWS: the ARN and account STS GetCallerIdentity answers; no identity, no console', async () => {
    const calls: string[] = [];
    const sts = {
      async send(command: { constructor: { name: string } }) {
        calls.push(command.constructor.name);
        return { Arn: 'arn:aws:sts::111122223333:assumed-role/Auditor/jane', Account: '111122223333', UserId: 'X' };
      },
      destroy() {},
    };
    expect(await callerOf('aws', { sts: sts as never })).toEqual({ userArn: 'arn:aws:sts::111122223333:assumed-role/Auditor/jane', accountId: '111122223333' });
    expect(calls).toEqual(['GetCallerIdentityCommand']);
    const failing = { send: () => Promise.reject(Object.assign(new Error('The security token included in the request is invalid'), { name: 'InvalidClientTokenId' })), destroy() {} };
    await expect(callerOf('aws', { sts: failing as never })).rejects.toThrow(ConfigurationError);
    await expect(callerOf('aws', { sts: failing as never })).rejects.toThrow(/InvalidClientTokenId/);
  });
});
