/**
 * The one-off backfill of the sharded index keys, against dynalite: records written before sharding (one key per
 * provider and day) and with another shard count end with the keys the current count gives, every query finds them,
 * nothing else of a record changes, a second run rewrites nothing, and a record a writer changes meanwhile is read
 * again rather than overwritten. The CLI command runs it on a local archive.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { auditDeps, queryRecords } from '../../../lambdas/audit';
import { TEST_KEY, testKeySource } from '../../support/identifier-key';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import type { ProviderName } from '../../../lambdas/checks/check-status';
import { backfillIndexKeys, changesOf } from '../../../lambdas/operations/backfill-index-keys';
import { buildRecord, type CheckRecord, type RecordStatus } from '../../../lambdas/records/record';
import { createRecordStore, type RecordStore } from '../../../lambdas/records/record-store';
import { DEFAULT_RETENTION_POLICY, computeRetention } from '../../../lambdas/records/retention';
import { indexKeysOf, shardOf, shardedKey } from '../../../lambdas/records/table-schema';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { LOCAL_BUCKET_NAME, LOCAL_INDEX_SHARDS, LOCAL_TABLE_NAME } from '../../../local/local-names';
import { runAudit } from '../../bin/cli-io';

const DAY = '2026-03-19';
const NOW = new Date('2026-04-01T00:00:00.000Z');
let emulators: Emulators;
let dynamo: DynamoDBDocumentClient;
let records: RecordStore;

function recordOf(provider: ProviderName, i: number, indexShards: number, status: RecordStatus = 'archived', outcome = provider === 'kyc' ? 'success' : 'passed'): CheckRecord {
  const checkId = `backfill_${provider}_${i}`;
  const check = { provider, checkId, checkRef: checkRefOf(TEST_KEY, provider, checkId), createdAt: `${DAY}T10:${String(i % 60).padStart(2, '0')}:00.000Z` };
  const { retention } = computeRetention(DEFAULT_RETENTION_POLICY, { provider, outcome, now: new Date(`${DAY}T12:00:00Z`) });
  return buildRecord({ check, status, outcome, retention, archivedAt: new Date(`${DAY}T12:00:00Z`) }, { indexShards });
}

async function scanAll(): Promise<Record<string, unknown>[]> {
  return ((await dynamo.send(new ScanCommand({ TableName: emulators.tableName }))).Items ?? []) as Record<string, unknown>[];
}

const withoutKeys = ({ providerDay: _d, providerOutcome: _o, ...rest }: Record<string, unknown>) => rest;

beforeEach(async () => {
  emulators = await startEmulators();
  dynamo = emulators.dynamoClient();
  records = createRecordStore({ client: dynamo, tableName: emulators.tableName });
});
afterEach(() => emulators?.close());

describe('backfillIndexKeys', () => {
  it('moves records from before sharding and from another shard count onto the current keys; a query then finds them all', async () => {
    const legacy = Array.from({ length: 30 }, (_, i) => recordOf('liveness', i, 1));
    const eight = Array.from({ length: 30 }, (_, i) => recordOf('kyc', i, 8));
    for (const record of [...legacy, ...eight]) await records.write(record);
    await records.applyLegalHold('kyc', eight[3]!.checkRef, { now: NOW, reason: 'matter 7' });
    // Not a check record: left alone.
    await dynamo.send(new PutCommand({ TableName: emulators.tableName, Item: { pk: 'note#1', text: 'kept' } }));
    const before = new Map((await scanAll()).map((item) => [item.pk, item]));

    const dry = await backfillIndexKeys({ dynamo, tableName: emulators.tableName, indexShards: 4, dryRun: true, pageSize: 7 });
    expect(dry).toMatchObject({ scanned: 61, skipped: 1, failed: 0 });
    expect(dry.rewritten + dry.current).toBe(60);
    expect(new Map((await scanAll()).map((item) => [item.pk, item]))).toEqual(before);

    const report = await backfillIndexKeys({ dynamo, tableName: emulators.tableName, indexShards: 4, dryRun: false, pageSize: 7, concurrency: 4 });
    expect(report).toEqual({ ...dry, errors: [] });
    // Those already where 4 shards put them: shard 0 of the legacy ones, and kyc's in shards 0-3 of 8 that are < 4 and agree.
    expect(report.current).toBeGreaterThan(0);
    expect(report.rewritten).toBeGreaterThan(30);
    for (const item of await scanAll()) {
      if (item.pk === 'note#1') {
        expect(item).toEqual(before.get('note#1'));
        continue;
      }
      const expected = indexKeysOf(item as unknown as CheckRecord, 4);
      expect({ providerDay: item.providerDay, providerOutcome: item.providerOutcome }).toEqual(expected);
      expect(withoutKeys(item)).toEqual(withoutKeys(before.get(item.pk)!)); // hold, ttl, evidence: unchanged
    }
    expect((await records.get('kyc', eight[3]!.checkRef))!.legalHold).toBe(true);

    const deps = auditDeps({ identifierKey: testKeySource, dynamo, tableName: emulators.tableName, s3: emulators.s3Client(), bucket: emulators.bucketName, now: () => NOW, indexShards: 4 });
    const page = await queryRecords(deps, { from: DAY, to: DAY, limit: '1000' }, { maxRounds: Infinity });
    expect(page.items).toHaveLength(60);
    const outcome = await queryRecords(deps, { provider: 'kyc', outcome: 'success', limit: '1000' }, { maxRounds: Infinity });
    expect(outcome.items).toHaveLength(30);

    expect(await backfillIndexKeys({ dynamo, tableName: emulators.tableName, indexShards: 4, dryRun: false })).toMatchObject({ rewritten: 0, current: 60, skipped: 1 });
  });

  it('reads a record again when a writer changed it after the scan, and sets the keys of what is there now', async () => {
    const escalated = recordOf('kyc', 1, 1, 'escalated', 'pending');
    await records.write(escalated);
    const final = recordOf('kyc', 1, 1, 'archived', 'success');
    let rewrote = false;
    // The writer's final record lands between the scan and the backfill's first update of it.
    const racing = {
      send: async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'UpdateCommand' && !rewrote) {
          rewrote = true;
          await records.write(final);
        }
        return dynamo.send(command as never);
      },
    };
    const report = await backfillIndexKeys({ dynamo: racing, tableName: emulators.tableName, indexShards: 4, dryRun: false });
    expect(rewrote).toBe(true);
    expect(report).toMatchObject({ scanned: 1, changedMeanwhile: 1, failed: 0 });
    const stored = (await records.get('kyc', final.checkRef))!;
    expect(stored.status).toBe('archived');
    expect({ providerDay: stored.providerDay, providerOutcome: stored.providerOutcome }).toEqual(indexKeysOf(stored, 4));
  });

  it('only changes the keys an item has, from the fields they come from', () => {
    const record = recordOf('liveness', 7, 1) as unknown as Record<string, unknown>;
    expect(changesOf(record, 1)).toEqual({});
    expect(changesOf({ pk: 'x', text: 'not a record' }, 4)).toBeUndefined();
    const { providerOutcome: _o, ...dayOnly } = record;
    const shard = shardOf(record.checkRef as string, 64);
    expect(changesOf(dayOnly, 64)).toEqual(shard === 0 ? {} : { providerDay: shardedKey(`liveness#${DAY}`, shard) });
  });
});

describe('audit-archiver backfill', () => {
  let dataDir: string;
  afterAll(() => dataDir && rm(dataDir, { recursive: true, force: true }));

  it('spreads a local archive over its shards, reports what it did, and says so when nothing is left', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'backfill-'));
    const archive = await startEmulators({ dataDir, bucketName: LOCAL_BUCKET_NAME, tableName: LOCAL_TABLE_NAME });
    try {
      const local = createRecordStore({ client: archive.dynamoClient(), tableName: LOCAL_TABLE_NAME });
      for (let i = 0; i < 12; i++) await local.write(recordOf('verification', i, 1, 'archived', 'true'));
    } finally {
      await archive.close();
    }

    const dry = await runAudit(['backfill', '--dry-run', '--json', '--data-dir', dataDir]);
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.out) as { indexShards: number; dryRun: boolean; scanned: number; rewritten: number };
    expect(planned).toMatchObject({ indexShards: LOCAL_INDEX_SHARDS, dryRun: true, scanned: 12 });
    expect(planned.rewritten).toBeGreaterThan(0);

    const run = await runAudit(['backfill', '--data-dir', dataDir]);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`index keys for ${LOCAL_INDEX_SHARDS} shards`);
    expect(run.out).toContain(`scanned 12: ${12 - planned.rewritten} already current, ${planned.rewritten} rewritten`);
    expect((await runAudit(['backfill', '--data-dir', dataDir])).out).toContain('scanned 12: 12 already current, 0 rewritten');
    expect(await runAudit(['backfill', '--data-dir', dataDir, '--concurrency', '0'])).toMatchObject({ code: 2 });
  });
});
