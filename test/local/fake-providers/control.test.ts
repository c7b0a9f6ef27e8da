import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuplicateCheckError, InvalidScriptError, loadScenarioFile, startFakeProviders, type FakeProviders } from '../../../local/fake-providers';
import { CREDS, kyc, liveness, verification } from './helpers';

const json = (res: Response) => res.json() as Promise<any>;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fake-providers-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('control API', () => {
  let fake: FakeProviders;
  beforeEach(async () => {
    fake = await startFakeProviders();
  });
  afterEach(() => fake.close());

  const post = (body: unknown) =>
    fetch(`${fake.baseUrl}/_control/checks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('creates checks from one script or a list, lists them, and reports stats', async () => {
    const one = await post({ provider: 'liveness', label: 'probe' });
    expect(one.status).toBe(201);
    const [created] = (await json(one)).checks;
    expect(created).toMatchObject({ provider: 'liveness', label: 'probe' });
    const many = await post({ checks: [{ provider: 'kyc' }, { provider: 'verification', checkId: 'ver_fixed' }] });
    const { checks } = await json(many);
    expect(checks.map((c: { provider: string }) => c.provider)).toEqual(['kyc', 'verification']);
    expect(checks[0].clientKey).toEqual(expect.any(String));

    expect((await liveness(fake, created.checkId)).status).toBe(200);
    expect((await verification(fake, 'ver_fixed')).status).toBe(200);
    const listed = await json(await fetch(`${fake.baseUrl}/_control/checks`));
    expect(listed.checks).toHaveLength(3);
    const stats = await json(await fetch(`${fake.baseUrl}/_control/stats`));
    expect(stats.requests).toMatchObject({ liveness: 1, verification: 1, control: 3 });
    expect(stats.statusCodes['201']).toBe(2);
    expect(stats.checks.find((c: { label?: string }) => c.label === 'probe')).toMatchObject({ requests: 1, answers: 1, phase: 'terminal' });
  });

  it('400 for an invalid script (nothing created), 409 for a taken id', async () => {
    const bad = await post([{ provider: 'kyc' }, { provider: 'liveness', outcome: 'exploded' }]);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toContain('outcome');
    expect(fake.stats().checks).toHaveLength(0);
    expect((await post({ provider: 'verification', checkId: 'ver_a' })).status).toBe(201);
    expect((await post({ provider: 'verification', checkId: 'ver_a' })).status).toBe(409);
    expect((await fetch(`${fake.baseUrl}/_control/checks`, { method: 'POST', body: 'nope' })).status).toBe(400);
  });

  it('addCheck throws typed errors', () => {
    expect(() => fake.addCheck({ provider: 'liveness', frameFormats: [] })).toThrow(InvalidScriptError);
    fake.addCheck({ provider: 'liveness', checkId: 'dup' });
    expect(() => fake.addCheck({ provider: 'liveness', checkId: 'dup' })).toThrow(DuplicateCheckError);
  });

  it('uses the configured credentials instead of the local defaults', async () => {
    const custom = await startFakeProviders({ credentials: { livenessApiKey: 'k2', verificationApiKey: 'v2' } });
    try {
      const { checkId } = custom.addCheck({ provider: 'liveness' });
      expect((await liveness(custom, checkId)).status).toBe(401);
      expect((await liveness(custom, checkId, 'k2')).status).toBe(200);
      expect(custom.credentials.kycJwt).toBe(CREDS.kycJwt);
    } finally {
      await custom.close();
    }
  });
});

describe('scenario files', () => {
  it('loads a scenario at start', async () => {
    const file = join(dir, 'scenario.json');
    await writeFile(file, JSON.stringify({ checks: [{ provider: 'liveness', checkId: 'scenario-token', outcome: 'expired' }, { provider: 'kyc', clientKey: 'scenario-client' }] }));
    const fake = await startFakeProviders({ checks: await loadScenarioFile(file) });
    try {
      expect((await liveness(fake, 'scenario-token')).status).toBe(410);
      expect((await kyc(fake, { clientKey: 'scenario-client' })).body.status).toBe('success');
    } finally {
      await fake.close();
    }
  });

  it('rejects unreadable, non-JSON and invalid scenario files with InvalidScriptError', async () => {
    await writeFile(join(dir, 'broken.json'), '{');
    await writeFile(join(dir, 'invalid.json'), JSON.stringify({ checks: [{ provider: 'kyc', tasks: 'many' }] }));
    for (const name of ['missing.json', 'broken.json', 'invalid.json']) {
      await expect(loadScenarioFile(join(dir, name))).rejects.toThrow(InvalidScriptError);
    }
  });
});

describe('bin/providers.ts', () => {
  it('prints its base URL, answers the documented errors with no checks, loads --scenario (both kinds), stops on SIGTERM', async () => {
    const file = join(dir, 'bin-scenario.json');
    await writeFile(
      file,
      JSON.stringify([
        { provider: 'verification', checkId: 'ver_from_file' },
        { provider: 'verification', checkId: 'ver_answers_from_file', answers: [{ status: 200, body: { status: 'drifted' } }] },
      ]),
    );
    // Node itself with tsx's loader (not npx, which does not pass SIGTERM on and would leave the server running).
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/providers.ts', '--port', '0', '--time-factor', '60', '--scenario', file], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const match = /^fake providers listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      expect(match).not.toBeNull();
      const baseUrl = match![1]!;
      const fake = { baseUrl } as FakeProviders;
      expect(await liveness(fake, 'unknown')).toMatchObject({ status: 400, body: { error: 'invalid or unknown token' } });
      expect(await kyc(fake, { sessionId: '6f1c2e3a-0b4d-11ef-9a61-0242ac120002' }, { jwt: null })).toMatchObject({ status: 401 });
      expect((await verification(fake, 'ver_nope')).status).toBe(404);
      expect((await verification(fake, 'ver_from_file')).body.status).toBe('completed');
      expect(await verification(fake, 'ver_answers_from_file')).toMatchObject({ status: 200, body: { status: 'drifted' } });
    } finally {
      child.kill('SIGTERM');
    }
    // The server closes and the process exits.
    await once(child, 'exit');
  });

  it('exits non-zero with a clear message on a bad option', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/providers.ts', '--port', 'eighty'], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (part: Buffer) => (stderr += part.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).not.toBe(0);
    expect(stderr).toContain('--port must be a valid number');
  });
});
