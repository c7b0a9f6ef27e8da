/**
 * Local mode pointed at providers of the user's own (docs/local-mode.md): a provider server on loopback that local mode
 * did not start — here the fake providers run standalone, on their own port and with their own credentials — named by
 * KYC_API_URL / LIVENESS_API_URL and their key variables, while verification stays on local mode's fake provider.
 * Events come as a put-events entry and as an envelope without id and time. The archive must hold what that server
 * served: KYC images downloaded from it over http on 127.0.0.1.
 *
 * Its own file: the handlers read their environment at import, one local stack per process.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { recordItemsOf } from '../../lambdas/records/open-checks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../lambdas/archive/manifest';
import type { CheckRecord } from '../../lambdas/records/record';
import { startEmulators, type Emulators } from '../../local/emulators';
import { startFakeProviders, type FakeProviderStats, type FakeProviders } from '../../local/fake-providers';
import { LOCAL_BUCKET_NAME, LOCAL_TABLE_NAME } from '../../local/local-names';
import { runLocal, type RunSummary } from '../../local/run-local';
import { readObject } from '../support/archive-harness';
import { runAudit, type CliRun } from '../bin/cli-io';

const OWN_CREDENTIALS = { livenessApiKey: 'own-liveness-key', kycApiToken: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', verificationApiKey: 'own-verification-key' };
const VARIABLES = ['LIVENESS_API_URL', 'LIVENESS_API_KEY', 'KYC_API_URL', 'KYC_API_TOKEN', 'VERIFICATION_API_URL', 'VERIFICATION_API_KEY'];

let own: FakeProviders;
let dataDir: string;
let summary: RunSummary;
let notices: string[];
let ownStats: FakeProviderStats;
let emulators: Emulators;
let records: CheckRecord[];
let kycCheckId: string;
let livenessCheckId: string;
let cliShow: CliRun;
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

beforeAll(async () => {
  own = await startFakeProviders({ credentials: OWN_CREDENTIALS });
  const kyc = own.addCheck({ provider: 'kyc', pending: { polls: 1 }, tasks: [{ type: 'document', imagesFull: 2 }, { type: 'selfie' }] });
  const liveness = own.addCheck({ provider: 'liveness', pending: { polls: 1 }, auditFrames: 2 });
  kycCheckId = kyc.checkId;
  livenessCheckId = liveness.checkId;

  // As a user would set them; the KYC credential is an API token (sent in the body), not the fake's default JWT.
  process.env.KYC_API_URL = own.baseUrl;
  process.env.KYC_API_TOKEN = OWN_CREDENTIALS.kycApiToken;
  process.env.LIVENESS_API_URL = own.baseUrl;
  process.env.LIVENESS_API_KEY = OWN_CREDENTIALS.livenessApiKey;
  delete process.env.VERIFICATION_API_URL;
  process.env.VERIFICATION_API_KEY = 'a stray key the fake provider must not receive';

  dataDir = await mkdtemp(join(tmpdir(), 'own-provider-test-'));
  const eventsFile = join(dataDir, 'events.jsonl');
  await writeFile(
    eventsFile,
    [
      // What `aws events put-events --entries` takes.
      { Source: 'audit-archiver.checks', DetailType: 'Check Created', Detail: JSON.stringify({ provider: 'kyc', checkId: kyc.checkId }), EventBusName: 'default' },
      // What a person writes: no id, no time.
      { source: 'audit-archiver.checks', 'detail-type': 'Check Created', detail: { provider: 'liveness', checkId: liveness.checkId } },
      // Verification stays on local mode's fake provider, which knows no such check.
      { provider: 'verification', checkId: 'ver_unknown0000000' },
    ]
      .map((line) => JSON.stringify(line))
      .join('\n'),
  );
  notices = [];
  summary = await runLocal({ dataDir, eventsFile, timeFactor: 100, notice: (line) => notices.push(line) });
  ownStats = own.stats();
  // The auditor CLI opens the archive itself (one process at a time): before the test reopens it.
  const kycRef = summary.checks.find((c) => c.provider === 'kyc')!.checkRef;
  cliShow = await runAudit(['show', 'kyc', kycRef.slice(0, 12), '--data-dir', dataDir]);
  emulators = await startEmulators({ dataDir, bucketName: LOCAL_BUCKET_NAME, tableName: LOCAL_TABLE_NAME });
  records = recordItemsOf(((await emulators.dynamoClient().send(new ScanCommand({ TableName: emulators.tableName }))).Items ?? []) as CheckRecord[]);
}, 120_000);

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await emulators?.close();
  await own?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const recordOf = (provider: string) => records.find((r) => r.provider === provider);

interface Reference {
  archivedKey: string;
  sha256: string;
  url: string;
}

/** Every `{archivedKey, sha256, url}` result.json put where a link was. */
function referencesIn(node: unknown): Reference[] {
  if (Array.isArray(node)) return node.flatMap(referencesIn);
  if (node === null || typeof node !== 'object') return [];
  const fields = node as Record<string, unknown>;
  if (typeof fields.archivedKey === 'string' && typeof fields.url === 'string') return [fields as unknown as Reference];
  return Object.values(fields).flatMap(referencesIn);
}

describe('local mode with providers of your own', () => {
  it('says, once per provider, that downloads from its loopback host are allowed because this is local mode', () => {
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/^local mode: images from 127\.0\.0\.1 \(liveness, LIVENESS_API_URL\) may come over plain http, .*from a loopback\/private address .* because this is local mode/);
    expect(notices[1]).toMatch(/^local mode: images from 127\.0\.0\.1 \(kyc, KYC_API_URL\) /);
    expect(notices.join('\n')).not.toContain(OWN_CREDENTIALS.kycApiToken);
  });

  it('delivers both event forms and archives each check, nothing dead-lettered', () => {
    expect(summary.problems).toEqual([]);
    expect({ submitted: summary.submitted, workflows: summary.workflows, invalid: summary.invalid }).toEqual({ submitted: 3, workflows: 3, invalid: 0 });
    expect(recordOf('kyc')).toMatchObject({ status: 'archived', outcome: 'success' });
    expect(recordOf('liveness')).toMatchObject({ status: 'archived', outcome: 'passed' });
    // The put-events entry had no Time: createdAt is when local mode filled it in, as EventBridge would.
    expect(Date.now() - Date.parse(recordOf('kyc')!.createdAt)).toBeLessThan(120_000);
  });

  it('polled the server it was pointed at, with the credentials given, and left verification on the fake provider', () => {
    const ownChecks = Object.fromEntries(ownStats.checks.map((c) => [c.checkId, c]));
    expect(ownChecks[kycCheckId]).toMatchObject({ phase: 'terminal' });
    expect(ownChecks[kycCheckId]!.answers).toBeGreaterThanOrEqual(2);
    expect(ownChecks[livenessCheckId]!.answers).toBeGreaterThanOrEqual(2);
    expect(ownStats.statusCodes['401'] ?? 0).toBe(0);
    expect(ownStats.requests.verification).toBe(0);
    // Local mode's fake verification provider answered (404: unknown id), with its own key, not the stray one.
    expect(recordOf('verification')).toMatchObject({ status: 'not-found' });
  });

  it('downloaded the KYC images from that server over http on 127.0.0.1, byte for byte', async () => {
    const kyc = recordOf('kyc')!;
    const manifest = JSON.parse((await readObject(emulators.s3Client(), emulators.bucketName, kyc.manifestKey!)).toString()) as Manifest;
    // Three imagesFull, and the faces task's two compared pairs.
    const images = manifest.objects.filter((o) => o.source.kind === 'kyc-image' || o.source.kind === 'kyc-check-image');
    expect(images).toHaveLength(7);
    expect(new Set(images.map((o) => (o.source as { host?: string }).host))).toEqual(new Set(['127.0.0.1']));
    expect(ownStats.requests.images).toBe(7);

    // result.json keeps each link next to what was archived from it: the same bytes the server still serves.
    const document: unknown = JSON.parse((await readObject(emulators.s3Client(), emulators.bucketName, kyc.resultKey!)).toString());
    const references = referencesIn(document);
    expect(references).toHaveLength(7);
    for (const { archivedKey, sha256: hash, url } of references) {
      expect(url.startsWith(`${own.baseUrl}/`)).toBe(true);
      const served = Buffer.from(await (await fetch(url)).arrayBuffer());
      const stored = await readObject(emulators.s3Client(), emulators.bucketName, archivedKey);
      expect(sha256(served)).toBe(hash);
      expect(sha256(stored)).toBe(hash);
    }
  });

  it('is read by the auditor CLI with the 12-character checkRef prefix npm start prints', () => {
    expect(cliShow.code, cliShow.err).toBe(0);
    expect(cliShow.out).toContain(`kyc check ${recordOf('kyc')!.checkRef}\n`);
  });
});
