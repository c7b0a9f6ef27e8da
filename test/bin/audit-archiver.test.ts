/**
 * End to end: an archive written by the engine from the fake providers, read through the CLI in-process — query,
 * show, export and verify pass; an altered object makes verify and export fail loudly; the expired record stays
 * hidden; hold and release round-trip.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordKeyOf } from '../../lambdas/records/table-schema';
import type { AuditTarget } from '../../bin/cli/target';
import { startEmulators, type Emulators } from '../../local/emulators';
import { getRecord, readObject } from '../support/archive-harness';
import { buildArchive, daysAgo, type Fixture } from '../lambdas/audit/archive-fixture';
import { runAudit } from './cli-io';

let emulators: Emulators;
let fixture: Fixture;
let outDir: string;
beforeAll(async () => {
  emulators = await startEmulators();
  fixture = await buildArchive(emulators);
  outDir = await mkdtemp(join(tmpdir(), 'issue5-cli-'));
});
afterAll(async () => {
  await fixture?.close();
  await emulators?.close();
  await rm(outDir, { recursive: true, force: true });
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
const audit = (...argv: string[]) => runAudit(argv, { openTarget });
const ref = (label: string) => fixture.checks[label]!.record.checkRef;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('audit-archiver query', () => {
  it('prints a table of the last 30 days, oldest first, without the expired record', async () => {
    const { code, out, err } = await audit('query');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^createdAt\s+provider\s+checkRef\s+status\s+outcome\s+objects\s+size\s+retainUntil\s+hold$/);
    expect(lines.slice(2).map((line) => line.split(/\s{2,}/)[2])).toEqual(
      ['liveness-passed', 'liveness-failed', 'kyc-success', 'kyc-other', 'verification'].map(ref),
    );
    expect(out).not.toContain(ref('verification-expired'));
    expect(closed).toBeGreaterThan(0);
  });

  it('filters by provider, dates, outcome, status and clientKey; --json and --csv for tools', async () => {
    const json = async (...argv: string[]) => {
      const { code, out } = await audit('query', ...argv, '--json');
      expect(code).toBe(0);
      return (JSON.parse(out).items as Array<{ checkRef: string }>).map((item) => item.checkRef);
    };
    expect(await json('kyc')).toEqual([ref('kyc-success'), ref('kyc-other')]);
    expect(await json('--from', daysAgo(2), '--to', daysAgo(2))).toEqual([ref('liveness-failed'), ref('kyc-success')]);
    expect(await json('liveness', '--outcome', 'failed')).toEqual([ref('liveness-failed')]);
    expect(await json('--status', 'archived-partial')).toEqual([]);
    expect(await json('--client-key', 'client-e2e-1')).toEqual([ref('kyc-success')]);
    expect(await json('liveness', '--client-key', 'client-e2e-1')).toEqual([]);
    expect(await json('verification', '--from', daysAgo(500))).toEqual([ref('verification')]);

    const csv = await audit('query', 'kyc', '--csv');
    const rows = csv.out.trim().split('\r\n');
    expect(rows[0]).toBe('createdAt,provider,checkRef,status,outcome,objects,size,retainUntil,hold');
    expect(rows.slice(1).map((row) => row.split(',')[2])).toEqual([ref('kyc-success'), ref('kyc-other')]);
  });

  it('pages: --limit prints a --next token on stderr, which gives the rest', async () => {
    const first = await audit('query', '--limit', '3', '--json');
    const page = JSON.parse(first.out);
    expect(page.items).toHaveLength(3);
    const second = await audit('query', '--limit', '3', '--json', '--next', page.next);
    expect(JSON.parse(second.out).items.map((i: { checkRef: string }) => i.checkRef)).toEqual([ref('kyc-other'), ref('verification')]);
    const table = await audit('query', '--limit', '3');
    expect(table.err).toMatch(/^more: audit-archiver query … --next [A-Za-z0-9_-]+\n$/);
  });

  it('exits 2 with the reason on bad filters, unknown options and commands', async () => {
    expect(await audit('query', '--from', 'last week')).toMatchObject({ code: 2, err: expect.stringMatching(/^error: from must be a date/) });
    expect(await audit('query', '--client-key', 'k'.repeat(129))).toMatchObject({ code: 2, err: 'error: clientKey must be 1-128 characters (the subjectKey or KYC clientKey)\n' });
    expect(await audit('query', '--form', 'x')).toMatchObject({ code: 2, err: expect.stringContaining("Unknown option '--form'") });
    expect(await audit('qurey')).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "qurey": one of query, show, export, verify, hold, release') });
    expect(await audit('show', 'kyc')).toMatchObject({ code: 2, err: expect.stringContaining('show: expected 2 arguments, got 1') });
    expect(await audit('query', '--json', '--csv')).toMatchObject({ code: 2 });
  });
});

describe('audit-archiver show', () => {
  it('prints the record, the provider\'s answer and presigned image URLs that return the archived bytes', async () => {
    const { check, record } = fixture.checks['liveness-passed']!;
    const { code, out, err } = await audit('show', 'liveness', check.checkId);
    expect(code).toBe(0);
    expect(err).toMatch(/^note: the local archive is served only while a command runs/);
    expect(out).toContain(`liveness check ${record.checkRef}`);
    expect(out).toMatch(/\nretention: +biometric-short until /);
    expect(out).toMatch(/Images \(presigned URLs, valid until .*\):/);
    expect(out).toContain('"passed": true');
    const url = out.match(/frames\/000\.jpg [^\n]*\n +(http:\S+)/)![1]!;
    expect(sha256(Buffer.from(await (await fetch(url)).arrayBuffer()))).toBe(
      sha256(await readObject(fixture.harness.s3, emulators.bucketName, record.manifestKey!.replace('manifest.json', 'frames/000.jpg'))),
    );

    const json = JSON.parse((await audit('show', 'liveness', record.checkRef, '--json', '--expires', '60')).out);
    expect(json.images.map((i: { key: string }) => i.key)).toEqual(['frames/000.jpg', 'frames/001.jpg', 'frames/002.jpg', 'frames/probe.jpg']);
    expect(new URL(json.images[0].url).searchParams.get('X-Amz-Expires')).toBe('60');
  });

  it('exits 3 for an unknown check and for one past its retention', async () => {
    expect(await audit('show', 'kyc', 'no-such-session')).toEqual({ code: 3, out: '', err: 'not found: no kyc check with that id or checkRef (or it is past its retention)\n' });
    expect((await audit('show', 'verification', fixture.checks['verification-expired']!.check.checkId)).code).toBe(3);
  });
});

describe('audit-archiver export and verify', () => {
  it('exports a bundle that verifies, directory or zip', async () => {
    const { check } = fixture.checks['kyc-success']!;
    const target = join(outDir, 'case-1');
    const { code, out } = await audit('export', 'kyc', check.checkId, '--out', target);
    expect(code).toBe(0);
    expect(out).toMatch(/^bundle written: .*case-1 \(directory, \d+ files\)\nverified: 10 objects, [\d.]+ KiB match the manifest sha256s and the record\n$/);
    for (const line of readFileSync(join(target, 'SHA256SUMS'), 'utf8').trim().split('\n')) {
      const [hash, file] = line.split('  ');
      expect(sha256(readFileSync(join(target, file!)))).toBe(hash);
    }
    expect((await audit('export', 'kyc', check.checkId, '--out', join(outDir, 'case-1.zip'))).code).toBe(0);
    expect(existsSync(join(outDir, 'case-1.zip'))).toBe(true);
    expect(await audit('export', 'kyc', check.checkId, '--out', target)).toMatchObject({ code: 2, err: expect.stringContaining('already exists') });
    expect(await audit('export', 'kyc', check.checkId)).toMatchObject({ code: 2, err: expect.stringContaining('--out PATH is required') });
  });

  it('verify passes over the whole archive with a progress bar, exit 0', async () => {
    const { code, out, err } = await audit('verify', '--progress');
    expect(code).toBe(0);
    expect(out).toMatch(/^5 checks verified: 30 objects, [\d.]+ KiB match their manifests and records\n$/);
    expect(err).toMatch(/\r\[#{24}\] 5\/5 checks/);
    expect(err.endsWith('\n')).toBe(true);
    const one = await audit('verify', 'kyc', '--check', fixture.checks['kyc-other']!.check.checkId, '--json');
    expect(JSON.parse(one.out)).toMatchObject({ checks: 1, failed: 0, reports: [{ checkRef: ref('kyc-other'), ok: true }] });
  });

  it('after an archived image is altered, verify and export fail loudly and write nothing', async () => {
    const { record, check } = fixture.checks['kyc-other']!;
    const manifest = JSON.parse((await readObject(fixture.harness.s3, emulators.bucketName, record.manifestKey!)).toString());
    const image = manifest.objects.find((o: { source: { kind: string } }) => o.source.kind === 'kyc-image');
    const relative = image.key.slice(record.manifestKey!.length - 'manifest.json'.length);
    const original = await readObject(fixture.harness.s3, emulators.bucketName, image.key);
    await fixture.harness.s3.send(new PutObjectCommand({ Bucket: emulators.bucketName, Key: image.key, Body: Buffer.concat([original, Buffer.from('x')]) }));
    try {
      const verify = await audit('verify');
      expect(verify.code).toBe(1);
      expect(verify.out).toContain(`FAILED kyc ${record.checkRef} (archived):\n  object-altered        ${relative}: sha256 `);
      expect(verify.out).toContain(`${original.length + 1} bytes where the manifest has ${original.length}`);
      expect(verify.out).toMatch(/\nVERIFICATION FAILED: 1 of 5 checks have missing or altered objects\n$/);

      const target = join(outDir, 'refused');
      const exported = await audit('export', 'kyc', check.checkId, '--out', target);
      expect(exported.code).toBe(1);
      expect(exported.out).toBe('');
      expect(exported.err).toContain(`FAILED: export refused: the archive of kyc check ${record.checkRef} does not verify (1 problem); nothing was written to ${target}`);
      expect(exported.err).toContain(`object-altered        ${relative}`);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(outDir).filter((name) => name.includes('partial'))).toEqual([]);
    } finally {
      await fixture.harness.s3.send(new PutObjectCommand({ Bucket: emulators.bucketName, Key: image.key, Body: original }));
    }
    expect((await audit('verify', 'kyc')).code).toBe(0);
  });
});

describe('audit-archiver hold and release', () => {
  it('round-trips a legal hold on the record (the local archive has no Object Lock)', async () => {
    const { check, record } = fixture.checks.verification!;
    const held = await audit('hold', 'verification', check.checkId, '--reason', 'matter 2026-117');
    expect(held.code).toBe(0);
    expect(held.out).toMatch(new RegExp(`^legal hold on verification check ${record.checkRef} since .+Z \\(matter 2026-117\\): expiry suspended; no Object Lock on this bucket: record only\\n$`));
    const stored = await getRecord(fixture.harness.dynamo, emulators.tableName, check);
    expect(stored).toMatchObject({ legalHold: true, legalHoldReason: 'matter 2026-117' });
    expect(stored!.ttl).toBeUndefined();
    expect((await audit('query', 'verification')).out).toMatch(/held\n$/);

    const released = await audit('release', 'verification', record.checkRef);
    expect(released.out).toMatch(/^legal hold released on verification check [0-9a-f]{32}: expires again .+; no Object Lock on this bucket: record only\n$/);
    const after = await getRecord(fixture.harness.dynamo, emulators.tableName, check);
    expect(after!.legalHold).toBeUndefined();
    expect(after!.ttl).toBe(Math.floor(Date.parse(record.retainUntil) / 1000));
    expect(await audit('hold', 'verification', 'unknown-id')).toMatchObject({ code: 3 });
    expect(await audit('hold', 'verification', check.checkId, '--object-lock', 'maybe')).toMatchObject({ code: 2, err: 'error: --object-lock must be auto, on or off\n' });
    await audit('release', 'verification', record.checkRef);
  });
});

describe('audit-archiver help', () => {
  it('lists the commands and the exit codes; each command has its own help', async () => {
    const { code, out } = await runAudit(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/Commands:\n {2}query +find checks/);
    expect(out).toContain('Exit codes: 0 ok, 1 verification failed');
    expect((await runAudit(['export', '--help'])).out).toMatch(/^Usage: audit-archiver export <provider> <checkId\|checkRef> --out PATH/);
    expect((await runAudit(['help', 'verify'])).out).toMatch(/^Usage: audit-archiver verify/);
  });
});

describe('audit-archiver prints provider text as text', () => {
  it('terminal escapes, lone carriage returns and bidi overrides in a record reach the screen and CSV visible, never raw', async () => {
    // A record as an older writer, or someone with table access, could have left it: not cleaned when written.
    const { record } = fixture.checks['kyc-other']!;
    const hostileRef = 'e'.repeat(32);
    const hostile = {
      ...record,
      pk: recordKeyOf('kyc', hostileRef),
      checkRef: hostileRef,
      outcome: 'ok\u001b[2J\u001b[31mFAKE',
      detail: 'line\rOVERWRITTEN \u202egnp.exe',
      escalation: { status: 'pending', reason: 'fraud\u001b]8;;http://x\u0007link\u001b]8;;\u0007', priority: 'high\u009b31m' },
    };
    await fixture.harness.dynamo.send(new PutCommand({ TableName: emulators.tableName, Item: hostile }));
    try {
      const raw = /[\u001b\u0007\u009b\u202e]|\r(?!\n)/;
      const shown = await audit('show', 'kyc', hostileRef);
      expect(shown.code).toBe(0);
      expect(shown.out).not.toMatch(raw);
      expect(shown.out).toContain('ok␛[2J␛[31mFAKE');
      const listed = await audit('query', 'kyc', '--from', daysAgo(500));
      expect(listed.out).toContain(hostileRef);
      expect(listed.out).not.toMatch(raw);
      const csv = await audit('query', 'kyc', '--from', daysAgo(500), '--csv');
      expect(csv.out).not.toMatch(raw);
      expect(csv.out).toContain('ok␛[2J␛[31mFAKE');
      const json = await audit('show', 'kyc', hostileRef, '--json');
      expect(json.out).not.toMatch(/[\u009b\u202e]/);
      expect(JSON.parse(json.out).record.detail).toBe(hostile.detail); // JSON escapes, its value unchanged
    } finally {
      await fixture.harness.dynamo.send(new DeleteCommand({ TableName: emulators.tableName, Key: { pk: hostile.pk } }));
    }
  });
});
