import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { auditDeps, queryRecords, type AuditDeps, type RawQuery } from '../../../lambdas/audit';
import { TEST_KEY, testKeySource } from '../../support/identifier-key';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import type { ProviderName } from '../../../lambdas/checks/check-status';
import { buildRecord, type CheckRecord } from '../../../lambdas/records/record';
import { createRecordStore } from '../../../lambdas/records/record-store';
import { DEFAULT_RETENTION_POLICY, computeRetention } from '../../../lambdas/records/retention';
import { INDEXES, shardOf } from '../../../lambdas/records/table-schema';
import { startEmulators, type Emulators } from '../../../local/emulators';

const SHARDS = 4;
const DAYS = ['2026-03-17', '2026-03-18', '2026-03-19'];
const NOW = new Date('2026-04-01T00:00:00.000Z');
let emulators: Emulators;
let deps: AuditDeps;
const written: CheckRecord[] = [];

/**
 * 72 records over three days and two providers, spread over 4 shards: several share a createdAt (EventBridge times
 * have whole seconds), every seventh is past its retention, and two were written before sharding (one key per day).
 */
beforeAll(async () => {
  emulators = await startEmulators();
  const dynamo = emulators.dynamoClient();
  const records = createRecordStore({ client: dynamo, tableName: emulators.tableName });
  deps = auditDeps({ identifierKey: testKeySource, dynamo, tableName: emulators.tableName, s3: emulators.s3Client(), bucket: emulators.bucketName, now: () => NOW, indexShards: SHARDS });
  let n = 0;
  for (const day of DAYS) {
    for (const provider of ['liveness', 'verification'] as ProviderName[]) {
      for (let i = 0; i < 12; i++, n++) {
        const checkId = `shards_${n}`;
        const second = String(Math.floor(i / 3) * 7).padStart(2, '0'); // three checks per second
        const check = { provider, checkId, checkRef: checkRefOf(TEST_KEY, provider, checkId), createdAt: `${day}T10:00:${second}.000Z` };
        const archivedAt = n % 7 === 3 ? new Date('2020-01-01T00:00:00Z') : new Date(`${day}T12:00:00Z`);
        const outcome = provider === 'liveness' ? 'passed' : 'true';
        const { retention } = computeRetention(DEFAULT_RETENTION_POLICY, { provider, outcome, now: archivedAt });
        const legacy = n === 5 || n === 40;
        const record = buildRecord({ check, status: 'archived', outcome, retention, archivedAt }, { indexShards: legacy ? 1 : SHARDS });
        await records.write(record);
        written.push(record);
      }
    }
  }
});
afterAll(() => emulators?.close());

const visible = () => written.filter((record) => record.retainUntil > NOW.toISOString());
const refs = (records: CheckRecord[]) => records.map((record) => record.checkRef);

async function readAll(raw: RawQuery, maxRounds: number): Promise<{ records: CheckRecord[]; pages: number[] }> {
  const records: CheckRecord[] = [];
  const pages: number[] = [];
  let next: string | undefined;
  for (let i = 0; i < 500; i++) {
    const page = await queryRecords(deps, { ...raw, ...(next ? { next } : {}) }, { maxRounds });
    records.push(...page.items);
    pages.push(page.items.length);
    next = page.next;
    if (!next) return { records, pages };
  }
  throw new Error('paging did not end');
}

describe('queries over sharded index keys', () => {
  it('writes each record to one shard of its day and outcome, by its checkRef; records from before sharding keep the unsharded key', () => {
    const spread = new Set(written.map((record) => shardOf(record.checkRef, SHARDS)));
    expect(spread.size).toBe(SHARDS);
    const sharded = written.find((record) => shardOf(record.checkRef, SHARDS) === 2)!;
    expect(sharded.providerDay).toBe(`${sharded.provider}#${sharded.createdAt.slice(0, 10)}#2`);
    expect(sharded.providerOutcome).toBe(`${sharded.provider}#${sharded.outcome}#2`);
    expect(written[5]!.providerDay).toBe(`liveness#${DAYS[0]}`);
    expect(written[40]!.providerOutcome).toBe('verification#true');
  });

  it('merges the shards of each day by createdAt: every visible record once, days and providers in order, none past retention', async () => {
    const { records } = await readAll({ from: DAYS[0], to: DAYS[2], limit: '1000' }, Infinity);
    expect(new Set(refs(records))).toEqual(new Set(refs(visible())));
    expect(records).toHaveLength(visible().length);
    const groupOf = (record: CheckRecord) => `${record.createdAt.slice(0, 10)} ${record.provider === 'liveness' ? 0 : 1}`;
    for (let i = 1; i < records.length; i++) {
      const [a, b] = [records[i - 1]!, records[i]!];
      expect(groupOf(a) <= groupOf(b)).toBe(true);
      if (groupOf(a) === groupOf(b)) expect(a.createdAt <= b.createdAt).toBe(true);
    }
    // Newest first: the same records, each group newest first.
    const desc = (await readAll({ from: DAYS[0], to: DAYS[2], limit: '1000', order: 'desc' }, Infinity)).records;
    expect(new Set(refs(desc))).toEqual(new Set(refs(records)));
    for (let i = 1; i < desc.length; i++) {
      if (groupOf(desc[i - 1]!) === groupOf(desc[i]!)) expect(desc[i - 1]!.createdAt >= desc[i]!.createdAt).toBe(true);
    }
  });

  it('pages through the same sequence whatever the page size and round budget, with one token across all shards', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const whole = refs((await readAll({ from: DAYS[0], to: DAYS[2], limit: '1000', order }, Infinity)).records);
      for (const [limit, maxRounds] of [
        [1, 1],
        [4, 1],
        [13, 2],
        [5, Infinity],
      ] as const) {
        const { records, pages } = await readAll({ from: DAYS[0], to: DAYS[2], limit: String(limit), order }, maxRounds);
        expect(refs(records), `${order}, limit ${limit}, ${maxRounds} rounds`).toEqual(whole);
        expect(Math.max(...pages)).toBeLessThanOrEqual(limit);
      }
    }
  });

  it('queries by outcome across the shards, the legacy key included', async () => {
    const { records } = await readAll({ provider: 'verification', outcome: 'true', limit: '7' }, 1);
    expect(new Set(refs(records))).toEqual(new Set(refs(visible().filter((record) => record.provider === 'verification'))));
    expect(refs(records)).toContain(written[40]!.checkRef);
    expect(records.map((record) => record.createdAt)).toEqual(records.map((record) => record.createdAt).sort());
  });

  it('keeps createdAt order when one shard is dense with records past retention and another holds a later record', async () => {
    // Shard 0: 60 records past retention from 00:00, one visible at 00:30; shard 1: one visible at 02:00. Shard 0's
    // first read (a few dozen records, all filtered out) ends before 00:30: 02:00 may not go out before it is read on.
    const day = '2026-03-25';
    const records = createRecordStore({ client: deps.dynamo, tableName: deps.tableName });
    const idsIn = (shard: number, count: number) => {
      const ids: string[] = [];
      for (let i = 0; ids.length < count; i++) if (shardOf(checkRefOf(TEST_KEY, 'kyc', `dense_${i}`), SHARDS) === shard) ids.push(`dense_${i}`);
      return ids;
    };
    const write = async (checkId: string, time: string, expired: boolean) => {
      const archivedAt = expired ? new Date('2020-01-01T00:00:00Z') : new Date(`${day}T12:00:00Z`);
      const { retention } = computeRetention(DEFAULT_RETENTION_POLICY, { provider: 'kyc', outcome: 'success', now: archivedAt });
      const check = { provider: 'kyc' as const, checkId, checkRef: checkRefOf(TEST_KEY, 'kyc', checkId), createdAt: `${day}T${time}.000Z` };
      await records.write(buildRecord({ check, status: 'archived', outcome: 'success', retention, archivedAt }, { indexShards: SHARDS }));
      return check.checkRef;
    };
    const dense = idsIn(0, 61);
    for (const [i, id] of dense.slice(0, 60).entries()) await write(id, `00:${String(i).padStart(2, '0')}:00`, true);
    const early = await write(dense[60]!, '00:30:30', false);
    const late = await write(idsIn(1, 1)[0]!, '02:00:00', false);
    const page = await queryRecords(deps, { provider: 'kyc', from: day, to: day, limit: '10' }, { maxRounds: Infinity });
    expect(refs(page.items)).toEqual([early, late]);
    const desc = await queryRecords(deps, { provider: 'kyc', from: day, to: day, limit: '10', order: 'desc' }, { maxRounds: Infinity });
    expect(refs(desc.items)).toEqual([late, early]);
  });

  it('reads ahead over empty days: a record 40 days after the range starts is found within a budget of 10 rounds', async () => {
    const page = await queryRecords(deps, { provider: 'liveness', from: '2026-02-05', to: DAYS[0], limit: '1' }, { maxRounds: 10 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.createdAt.slice(0, 10)).toBe(DAYS[0]);
  });

  it('a reader with fewer shards than the writers misses records (hence one indexShards for all), one with more misses none', async () => {
    const fewer = await queryRecords({ ...deps, indexShards: 1 }, { from: DAYS[0], to: DAYS[2], limit: '1000' }, { maxRounds: Infinity });
    expect(fewer.items.length).toBeLessThan(visible().length);
    const more = await queryRecords({ ...deps, indexShards: 9 }, { from: DAYS[0], to: DAYS[2], limit: '1000' }, { maxRounds: Infinity });
    expect(new Set(refs(more.items))).toEqual(new Set(refs(visible())));
  });

  it('asks DynamoDB for each shard key of a group, never for a key outside the plan', async () => {
    const keys: string[] = [];
    const spy = {
      ...deps,
      dynamo: {
        send: (command: QueryCommand) => {
          keys.push(String(command.input.ExpressionAttributeValues?.[':ipk']));
          expect(command.input.IndexName).toBe(INDEXES.byProviderDay.indexName);
          return deps.dynamo.send(command);
        },
      } as unknown as AuditDeps['dynamo'],
    };
    await queryRecords(spy, { provider: 'kyc', from: DAYS[1], to: DAYS[1] }, { maxRounds: Infinity });
    expect(keys.sort()).toEqual([`kyc#${DAYS[1]}`, `kyc#${DAYS[1]}#1`, `kyc#${DAYS[1]}#2`, `kyc#${DAYS[1]}#3`]);
  });
});
