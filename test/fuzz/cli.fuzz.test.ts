/**
 * Fuzzing the auditor's command line (`audit-archiver`, bin/cli/main.ts) against a real, empty archive (s3rver and
 * dynalite): whatever the arguments — commands, positionals, filters, limits, tokens, output paths — it ends with one
 * of its documented exit codes and a message, never an uncaught exception or a stack trace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditTarget } from '../../bin/cli/target';
import { auditDeps } from '../../lambdas/audit/deps';
import { startEmulators, type Emulators } from '../../local/emulators';
import { runAudit } from '../bin/cli-io';
import { testKeySource } from '../support/identifier-key';

let emulators: Emulators;
let outDir: string;
beforeAll(async () => {
  emulators = await startEmulators();
  outDir = await mkdtemp(join(tmpdir(), 'issue6-cli-fuzz-'));
});
afterAll(async () => {
  await emulators?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const openTarget = async (): Promise<AuditTarget> => ({
  kind: 'local',
  label: 'empty archive',
  deps: auditDeps({ identifierKey: testKeySource, dynamo: emulators.dynamoClient(), tableName: emulators.tableName, s3: emulators.s3Client(), bucket: emulators.bucketName }),
  objectLock: false,
  async close() {},
});

const EXIT_CODES = [0, 1, 2, 3, 4];

describe('audit-archiver on arbitrary arguments', () => {
  // reconcile is left out: with a state machine and table named it would reach for AWS.
  const command = fc.oneof(fc.constantFrom('query', 'show', 'verify', 'export', 'hold', 'release', 'help', '--help', '-h'), fc.string({ maxLength: 10 }));
  const argument = () =>
    fc.oneof(
      fc.constantFrom('liveness', 'kyc', 'verification', 'kyc,liveness', 'passport', 'f'.repeat(32), '0'.repeat(31)),
      fc.constantFrom('--from', '--to', '--outcome', '--status', '--client-key', '--client-key-hash', '--order', '--limit', '--next', '--all'),
      fc.constantFrom('--json', '--csv', '--expires', '--reason', '--object-lock', '--out', '-x', '--', '--help'),
      fc.constantFrom('2026-03-19', '2026-03-19T10:00:00Z', 'yesterday', '2026-02-30', '-1', '0', '1e9', 'asc', 'desc', 'archived,error', 'GOVERNANCE', 'eyJub3QiOiJhIHRva2VuIn0'),
      fc.constant(join(outDir, 'export')),
      fc.string({ maxLength: 12 }),
    );

  it('ends with a documented exit code and a message, never an exception', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(command, fc.array(argument(), { maxLength: 7 }), async (name, args) => {
        const { code, out, err } = await runAudit([name, ...args], { openTarget });
        seen.add(code);
        expect(EXIT_CODES).toContain(code);
        if (code !== 0) expect(err.length).toBeGreaterThan(0);
        expect(`${out}${err}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
      }),
      { numRuns: 150 },
    );
    expect(seen.has(0)).toBe(true);
    expect(seen.has(2)).toBe(true);
  });
});
