/**
 * Which archive the CLI reads: the local one `npm start` leaves on disk (default), or a deployed stack's table and
 * bucket named by flags or environment — here emulated through AWS_ENDPOINT_URL_*, with credentials from the
 * environment as the SDK's default chain reads them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS, startEmulators } from '../../../local/emulators';
import { LOCAL_BUCKET_NAME, LOCAL_INDEX_SHARDS, LOCAL_TABLE_NAME } from '../../../local/local-names';
import { PROJECT_ROOT } from '../../../local/paths';
import { deployedIndexShards, indexShardsOf } from '../../../bin/cli/target';
import { buildArchive, daysAgo } from '../../lambdas/audit/archive-fixture';
import { runAudit } from '../cli-io';

let dataDir: string;
const refs: string[] = [];
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'issue5-local-'));
  const emulators = await startEmulators({ dataDir, bucketName: LOCAL_BUCKET_NAME, tableName: LOCAL_TABLE_NAME });
  try {
    const fixture = await buildArchive(emulators, [
      { label: 'kyc', script: { provider: 'kyc', tasks: [{ type: 'selfie' }] }, day: daysAgo(1) },
      { label: 'liveness', script: { provider: 'liveness', auditFrames: 1 }, day: daysAgo(1) },
    ]);
    refs.push(fixture.checks.liveness!.record.checkRef, fixture.checks.kyc!.record.checkRef);
    await fixture.close();
  } finally {
    await emulators.close();
  }
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('the local archive', () => {
  it('is read from the data directory when no table or bucket is named, through emulators the CLI starts and stops', async () => {
    const query = await runAudit(['query', '--json', '--data-dir', dataDir]);
    expect(query.code).toBe(0);
    expect(JSON.parse(query.out).items.map((i: { checkRef: string }) => i.checkRef)).toEqual(refs);
    const verify = await runAudit(['verify'], { env: { AUDIT_ARCHIVER_DATA_DIR: dataDir } });
    expect(verify).toMatchObject({ code: 0, out: expect.stringMatching(/^2 checks verified/) });
    // --local wins over a configured stack.
    const local = await runAudit(['query', '--local', '--json', '--data-dir', dataDir], { env: { AUDIT_ARCHIVER_TABLE: 't', AUDIT_ARCHIVER_BUCKET: 'b' } });
    expect(JSON.parse(local.out).items).toHaveLength(2);
  });

  it('says how to create it when there is none', async () => {
    const missing = join(dataDir, 'nothing-here');
    expect(await runAudit(['query', '--data-dir', missing])).toEqual({
      code: 4,
      out: '',
      err: `error: no local archive in ${missing}: run \`npm start\` first, or name a deployed stack (--table/--bucket or AUDIT_ARCHIVER_TABLE/AUDIT_ARCHIVER_BUCKET)\n`,
    });
  });
});

describe('a deployed stack', () => {
  it('is used when the table and bucket are named, with the caller\'s own credentials', async () => {
    const emulators = await startEmulators({ dataDir, bucketName: LOCAL_BUCKET_NAME, tableName: LOCAL_TABLE_NAME });
    vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_CREDENTIALS.secretAccessKey);
    try {
      const env = { AWS_ENDPOINT_URL_S3: emulators.s3Endpoint, AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint };
      const flags = await runAudit(['query', '--json', '--table', LOCAL_TABLE_NAME, '--bucket', LOCAL_BUCKET_NAME, '--region', 'us-east-1'], { env });
      expect(JSON.parse(flags.out).items.map((i: { checkRef: string }) => i.checkRef)).toEqual(refs);
      const fromEnv = await runAudit(['verify', '--region', 'us-east-1'], { env: { ...env, AUDIT_ARCHIVER_TABLE: LOCAL_TABLE_NAME, AUDIT_ARCHIVER_BUCKET: LOCAL_BUCKET_NAME } });
      expect(fromEnv).toMatchObject({ code: 0, out: expect.stringMatching(/^2 checks verified/) });
      const wrongTable = await runAudit(['query', '--table', 'nope', '--bucket', LOCAL_BUCKET_NAME, '--region', 'us-east-1'], { env });
      expect(wrongTable).toMatchObject({ code: 4, err: expect.stringMatching(/^error: DynamoDB Query failed: ResourceNotFoundException/) });
    } finally {
      vi.unstubAllEnvs();
      await emulators.close();
    }
  });

  it('needs both the table and the bucket', async () => {
    expect(await runAudit(['query'], { env: { AUDIT_ARCHIVER_TABLE: 'records' } })).toMatchObject({
      code: 4,
      err: 'error: name both the table and the bucket (--table/--bucket or AUDIT_ARCHIVER_TABLE/AUDIT_ARCHIVER_BUCKET)\n',
    });
    expect(await runAudit(['query', '--local', '--table', 't'])).toMatchObject({ code: 4, err: 'error: --local reads the local archive: drop --table/--bucket\n' });
  });
});

describe('the shard count a query reads', () => {
  it('is the flag, else AUDIT_ARCHIVER_INDEX_SHARDS, else what wrote the archive (cdk.json for a stack, local mode for the local one)', async () => {
    expect(indexShardsOf({ 'index-shards': '8' }, { env: { AUDIT_ARCHIVER_INDEX_SHARDS: '4' } })).toBe(8);
    expect(indexShardsOf({}, { env: { AUDIT_ARCHIVER_INDEX_SHARDS: ' 4 ' } })).toBe(4);
    expect(indexShardsOf({}, { env: {} })).toBe(deployedIndexShards());
    expect(indexShardsOf({}, { env: {} }, LOCAL_INDEX_SHARDS)).toBe(LOCAL_INDEX_SHARDS);
    const cdkJson = JSON.parse(await readFile(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: { indexShards: number } };
    expect(deployedIndexShards()).toBe(cdkJson.context.indexShards);
    expect(() => indexShardsOf({ 'index-shards': '0' }, { env: {} })).toThrow(/--index-shards must be a whole number from 1 to 64/);
    expect(() => indexShardsOf({}, { env: { AUDIT_ARCHIVER_INDEX_SHARDS: 'all' } })).toThrow(/AUDIT_ARCHIVER_INDEX_SHARDS/);
  });

  it('a bad --index-shards is refused before anything is read', async () => {
    expect(await runAudit(['query', '--data-dir', dataDir, '--index-shards', '65'])).toMatchObject({ code: 4, err: expect.stringMatching(/--index-shards must be a whole number/) });
  });
});
