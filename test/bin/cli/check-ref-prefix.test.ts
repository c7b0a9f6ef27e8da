/**
 * `show` and `export` take the checkRef prefix `npm start` prints (12 characters), as git takes a commit prefix: at
 * least 8 hex characters, unique among the visible records; ambiguous is a usage error listing the matches, no match
 * is "no such check". Against the archive the engine writes from the fake providers, read through the CLI in-process.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditTarget } from '../../../bin/cli/target';
import { RecordNotFoundError, findRecord, type AuditDeps } from '../../../lambdas/audit';
import { recordKeyOf } from '../../../lambdas/records/table-schema';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { buildArchive, daysAgo, type Fixture } from '../../lambdas/audit/archive-fixture';
import { runAudit } from '../cli-io';

let emulators: Emulators;
let fixture: Fixture;
let outDir: string;
/** DynamoDB commands the auditor core sent through deps.dynamo (Scan, Query), by name. */
let sent: string[];
let deps: AuditDeps;

// Records sharing the prefix `feedface`: two visible, one past its retention (hidden, so it never counts).
const CRAFTED = {
  first: `feedface0000${'a'.repeat(20)}`,
  second: `feedface1111${'b'.repeat(20)}`,
  expired: `feedface2222${'c'.repeat(20)}`,
};

beforeAll(async () => {
  emulators = await startEmulators();
  fixture = await buildArchive(emulators, [
    { label: 'kyc', script: { provider: 'kyc', tasks: [{ type: 'document' }, { type: 'selfie' }] }, day: daysAgo(1) },
    { label: 'liveness', script: { provider: 'liveness', auditFrames: 1 }, day: daysAgo(1) },
    { label: 'verification', script: { provider: 'verification' }, day: daysAgo(1) },
    { label: 'expired', script: { provider: 'verification' }, day: daysAgo(400), archivedDaysAgo: 400 },
  ]);
  const template = fixture.checks.verification!.record;
  const put = (checkRef: string, retainUntil: string) =>
    fixture.harness.dynamo.send(new PutCommand({ TableName: emulators.tableName, Item: { ...template, pk: recordKeyOf('verification', checkRef), checkRef, retainUntil } }));
  await put(CRAFTED.first, template.retainUntil);
  await put(CRAFTED.second, template.retainUntil);
  await put(CRAFTED.expired, '2020-01-01T00:00:00.000Z');
  outDir = await mkdtemp(join(tmpdir(), 'check-ref-prefix-'));
  sent = [];
  const dynamo = fixture.audit.dynamo;
  const counting = { send: (command: { constructor: { name: string } }) => (sent.push(command.constructor.name), dynamo.send(command as never)) };
  deps = { ...fixture.audit, dynamo: counting as unknown as DynamoDBDocumentClient };
});
afterAll(async () => {
  await fixture?.close();
  await emulators?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const openTarget = async (): Promise<AuditTarget> => ({ kind: 'local', label: 'test archive', deps, objectLock: false, close: async () => {} });
const audit = (...argv: string[]) => runAudit(argv, { openTarget });
const ref = (label: string) => fixture.checks[label]!.record.checkRef;

describe('a checkRef prefix', () => {
  it('shows the one check whose checkRef starts with the 12 characters npm start prints, or 8, in either case', async () => {
    for (const prefix of [ref('kyc').slice(0, 12), ref('kyc').slice(0, 8), ref('kyc').slice(0, 12).toUpperCase()]) {
      const { code, out, err } = await audit('show', 'kyc', prefix);
      expect({ code, err: err.startsWith('error') ? err : '' }).toEqual({ code: 0, err: '' });
      expect(out).toContain(`kyc check ${ref('kyc')}\n`);
    }
    expect(sent).toContain('ScanCommand');
  });

  it('exports a bundle that verifies', async () => {
    const target = join(outDir, 'by-prefix');
    const { code, out } = await audit('export', 'liveness', ref('liveness').slice(0, 12), '--out', target);
    expect(code).toBe(0);
    expect(out).toMatch(/^bundle written: .*by-prefix \(directory, \d+ files\)\nverified: \d+ objects/);
    expect(JSON.parse(readFileSync(join(target, 'record.json'), 'utf8'))).toMatchObject({ provider: 'liveness', checkRef: ref('liveness') });
  });

  it('is refused as ambiguous (exit 2), listing how many visible checks match and their checkRefs', async () => {
    const { code, out, err } = await audit('show', 'verification', 'feedface');
    expect({ code, out }).toEqual({ code: 2, out: '' });
    expect(err).toBe(`error: that checkRef prefix matches 2 verification checks (${CRAFTED.first}, ${CRAFTED.second}): give more characters, or the full checkRef\n`);
    expect((await audit('export', 'verification', 'feedface', '--out', join(outDir, 'ambiguous'))).code).toBe(2);
    // One more character makes it unique.
    expect((await audit('show', 'verification', 'feedface0', '--json')).code).toBe(0);
  });

  it('finds nothing (exit 3) when no visible check matches: unknown, past retention, or too short', async () => {
    const notFound = 'not found: no verification check with that id or checkRef (or it is past its retention)';
    expect(await audit('show', 'verification', '0123456789ab')).toEqual({ code: 3, out: '', err: `${notFound}\n` });
    expect(await audit('show', 'verification', 'feedface2')).toEqual({ code: 3, out: '', err: `${notFound}\n` });
    expect(await audit('show', 'verification', ref('expired').slice(0, 12))).toMatchObject({ code: 3 });
    expect(await audit('show', 'verification', 'feedfac')).toEqual({ code: 3, out: '', err: `${notFound}; a checkRef prefix needs at least 8 characters\n` });
    // The prefix of another provider's check is not this provider's.
    expect((await audit('show', 'liveness', ref('kyc').slice(0, 12))).code).toBe(3);
  });

  it('costs no scan when the full checkRef or the check id is given, and is not resolved where the API looks checks up', async () => {
    sent.length = 0;
    expect((await audit('show', 'kyc', ref('kyc'))).code).toBe(0);
    expect((await audit('show', 'kyc', fixture.checks.kyc!.check.checkId)).code).toBe(0);
    expect(sent).not.toContain('ScanCommand');
    // The HTTP API calls findRecord without the prefix option: a prefix is not found there, and nothing is scanned.
    await expect(findRecord(deps, 'kyc', ref('kyc').slice(0, 12))).rejects.toBeInstanceOf(RecordNotFoundError);
    expect(sent).not.toContain('ScanCommand');
  });
});
