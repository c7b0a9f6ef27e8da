/**
 * Local mode end to end: the demo checks through the synthesized state machine, the real handlers, s3rver, dynalite
 * and the fake providers — every workflow path, then the archive's invariants on what it left.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDocumentClient, createRecordStore } from '../../lambdas/records/record-store';
import { DEMO_CHECKS, DEMO_INVALID_EVENTS } from '../../local/demo-checks';
import { LOCAL_CREDENTIALS, startEmulators, type Emulators } from '../../local/emulators';
import { checkInvariants, type InvariantReport } from '../../local/invariants';
import { LOCAL_BUCKET_NAME, LOCAL_TABLE_NAME } from '../../local/local-names';
import { runLocal, type RunSummary } from '../../local/run-local';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { recordItemsOf } from '../../lambdas/records/open-checks';
import type { CheckRecord } from '../../lambdas/records/record';
import { runAudit, type CliRun } from '../bin/cli-io';

let dataDir: string;
let summary: RunSummary;
let progress: string[];
let emulators: Emulators;
let records: CheckRecord[];
let invariants: InvariantReport;
let cliVerify: CliRun;
let cliQuery: CliRun;
let cliExport: CliRun;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'run-local-test-'));
  progress = [];
  summary = await runLocal({ dataDir, timeFactor: 100, progress: (line) => progress.push(line) });
  // The auditor CLI on the archive the run left (it opens the archive itself: one process at a time).
  const kyc = summary.checks.find((c) => c.label === 'kyc success')!;
  cliVerify = await runAudit(['verify', '--data-dir', dataDir, '--quiet']);
  cliQuery = await runAudit(['query', '--data-dir', dataDir, '--json', '--all']);
  cliExport = await runAudit(['export', 'kyc', kyc.checkRef, '--out', join(dataDir, 'case-kyc'), '--data-dir', dataDir]);
  // Reopen the archive the run left on disk, as the auditor CLI does.
  emulators = await startEmulators({ dataDir, bucketName: LOCAL_BUCKET_NAME, tableName: LOCAL_TABLE_NAME });
  const scan = await emulators.dynamoClient().send(new ScanCommand({ TableName: emulators.tableName }));
  // The check records: not the start function's seen markers or started items.
  records = recordItemsOf((scan.Items ?? []) as CheckRecord[]);
  invariants = await checkInvariants({
    s3: emulators.s3Client(),
    bucket: emulators.bucketName,
    records,
    expected: summary.checks.map((check) => ({ provider: check.provider, checkRef: check.checkRef, ...(check.expect ? { status: check.expect } : {}) })),
  });
}, 240_000);

afterAll(async () => {
  await emulators?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start (local mode)', () => {
  it('runs one workflow per demo check, however often its event was delivered', () => {
    const deliveries = DEMO_CHECKS.reduce((sum, check) => sum + 1 + (check.duplicates ?? 0), 0);
    expect(summary.submitted).toBe(deliveries + DEMO_INVALID_EVENTS.length);
    expect(summary.workflows).toBe(DEMO_CHECKS.length);
    expect(summary.checks.find((c) => c.label === 'liveness passed')?.deliveries).toBe(3);
    expect(progress.length).toBe(DEMO_CHECKS.length);
  });

  it('ends every check in the record status its path must give', () => {
    expect(summary.problems).toEqual([]);
    const byLabel = Object.fromEntries(summary.checks.map((c) => [c.label, c.record?.status]));
    expect(byLabel).toEqual(Object.fromEntries(DEMO_CHECKS.map((c) => [c.label, c.expect])));
  });

  it('leaves an archive that keeps its promises: one record per check, no orphans, every sha256 matching', () => {
    expect(invariants.violations).toEqual([]);
    expect(invariants.records).toBe(DEMO_CHECKS.length);
    expect(invariants.objects).toBeGreaterThan(100);
  });

  it('is read by the auditor CLI: every check verifies, query lists them all, a KYC case exports', () => {
    expect(cliVerify.code, cliVerify.out + cliVerify.err).toBe(0);
    expect(cliVerify.out).toContain(`${DEMO_CHECKS.length} checks verified`);
    expect(cliQuery.code).toBe(0);
    expect((JSON.parse(cliQuery.out) as { items: unknown[] }).items).toHaveLength(DEMO_CHECKS.length);
    expect(cliExport.code, cliExport.err).toBe(0);
    expect(cliExport.out).toContain('bundle written');
  });

  it('dead-letters invalid events with the reason and without their content', async () => {
    const lines = (await readFile(join(dataDir, 'dead-letters.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(DEMO_INVALID_EVENTS.length);
    expect(lines.join('\n')).toContain('InvalidEventError');
    expect(lines.join('\n')).not.toContain('passport');
  });

  it('archives a 5 MiB liveness answer frame by frame, never through the workflow state', () => {
    const large = summary.checks.find((c) => c.label.startsWith('liveness 5 MiB'));
    expect(large?.record).toMatchObject({ status: 'archived', objects: 44 });
    expect(large!.record!.bytes).toBeGreaterThan(5 * 1024 * 1024);
  });

  it('records why images are missing, and keeps a malformed frame in quarantine', () => {
    const missing = (label: string) => summary.checks.find((c) => c.label === label)?.record?.imagesMissing?.reasons;
    const malformed = records.find((r) => r.checkRef === summary.checks.find((c) => c.label === 'liveness with a malformed frame')?.checkRef);
    expect(malformed).toMatchObject({ status: 'archived-partial', quarantined: { count: 1, reasons: ['invalid-base64'] } });
    expect(missing('liveness past its image window')).toEqual(['window-passed']);
    expect(missing('kyc image redirected to the metadata service')).toEqual(['refused']);
    expect(missing('kyc image already gone (404)')).toEqual(['window-passed']);
  });

  it('records a failed workflow with a sanitized reason, and the execution as failed', () => {
    const down = records.find((r) => r.status === 'error');
    expect(down?.error?.name).toBe('ProviderUnavailableError');
    expect(summary.checks.find((c) => c.label === 'verification provider down for good')?.execution).toBe('FAILED');
  });

  it('polls with backoff: a check done after two pending answers costs about ten transitions', () => {
    const passed = summary.checks.find((c) => c.label === 'verification completed');
    // Poll, Route, Wait ×2, then Poll, Route, Archive, Archived: 3 per poll cycle plus the archive.
    expect(passed?.transitions).toBeLessThanOrEqual(12);
  });

  it('keeps the archive readable by the record store after the run (the auditor path)', async () => {
    const store = createRecordStore({
      client: createDynamoDocumentClient({ endpoint: emulators.dynamoEndpoint, credentials: LOCAL_CREDENTIALS }),
      tableName: emulators.tableName,
    });
    const first = records[0]!;
    expect(await store.get(first.provider, first.checkRef)).toMatchObject({ status: first.status });
  });
});
