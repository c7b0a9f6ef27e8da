import { describe, expect, it } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import { TEST_KEY } from '../support/identifier-key';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { OPEN_CHECKS_INDEX } from '../../lambdas/records/table-schema';
import { buildRecord } from '../../lambdas/records/record';
import { DEFAULT_RETENTION_POLICY, computeRetention } from '../../lambdas/records/retention';
import { deployedPollQueues, scaleOf } from '../../bench/scale';
import { HOP_MS, PROVIDER_ROUND_TRIP_MS, QUEUE_SEND_MS } from '../../bench/cost';
import { changedAttributes, createWriteTracker, itemBytes, unitsOf, valueBytes } from '../../bench/scale/index-writes';
import {
  batchSeconds,
  bindingQueue,
  queueLoads,
  firstCeiling,
  hottestKey,
  increasesFor,
  perCheckLoads,
  quotaLoads,
  roundUp,
  shardsFor,
  worstCaseKey,
  type CheckProfile,
  type ScaleSettings,
} from '../../bench/scale/model';
import { profilesFrom } from '../../bench/scale/profiles';
import { scaleMarkdown, scaleReadme } from '../../bench/scale/report';
import { defaultQuotas } from '../../bench/scale/quotas';
import { generateWorkload } from '../../bench/polling/workload';
import { mean } from '../../bench/lib/stats';

const SETTINGS: ScaleSettings = {
  indexShards: 10,
  shardedIndexes: ['byDay', 'byOutcome'],
  perClientIndexes: ['byClient'],
  duplicateRate: 0,
  headroom: 0.8,
  hotKeyShare: 0.1,
};

/** Two kinds of check, numbers chosen to be added up by hand. */
function profiles(): CheckProfile[] {
  return [
    {
      id: 'a',
      label: 'a',
      provider: 'p',
      share: 0.75,
      lifetimeSeconds: 100,
      transitions: 20,
      sendTaskCalls: 0,
      invocations: [
        { fn: 'start', count: 1, durationMs: 100, perEvent: true },
        { fn: 'poll', count: 4, durationMs: 250 },
      ],
      s3: { puts: 8, gets: 2 },
      dynamo: {
        tableUnits: 1,
        indexUnits: [
          { index: 'byDay', key: 'p#day', units: 2 },
          { index: 'byOutcome', key: 'p#ok', units: 1 },
          { index: 'byClient', key: 'c1', units: 40 },
        ],
        largestEntryBytes: 900,
      },
    },
    {
      id: 'b',
      label: 'b',
      provider: 'q',
      share: 0.25,
      lifetimeSeconds: 1000,
      transitions: 60,
      sendTaskCalls: 10,
      invocations: [{ fn: 'start', count: 1, durationMs: 100, perEvent: true }, { fn: 'archive', count: 2, durationMs: 1000 }],
      s3: { puts: 4, gets: 0 },
      dynamo: { tableUnits: 2, indexUnits: [{ index: 'byDay', key: 'q#day', units: 4 }], largestEntryBytes: 1000 },
    },
  ];
}

describe('scale model formulas', () => {
  it('weights each quota’s load per check by the mix', () => {
    const loads = perCheckLoads(profiles(), SETTINGS);
    expect(loads.sfnStateTransitions).toBeCloseTo(0.75 * 20 + 0.25 * 60); // 30
    expect(loads.sfnStartExecution).toBe(1);
    expect(loads.sfnSendTask).toBeCloseTo(2.5);
    expect(loads.sfnOpenExecutions).toBeCloseTo(0.75 * 100 + 0.25 * 1000); // Little's law: 325 s per check/s
    expect(loads.lambdaConcurrency).toBeCloseTo(0.75 * (0.1 + 4 * 0.25) + 0.25 * (0.1 + 2 * 1)); // 1.35
    expect(loads.lambdaInvokeRate).toBeCloseTo(0.75 * 5 + 0.25 * 3);
    expect(loads.dynamoTableWrites).toBeCloseTo(0.75 * (1 + 2 + 1 + 40) + 0.25 * (2 + 4)); // 34.5
    expect(loads.s3PrefixPuts).toBeCloseTo(Math.max(0.75 * 8, 0.25 * 4)); // one provider's day: 6
    expect(loads.s3PrefixGets).toBeCloseTo(1.5);
    // The hottest key: p#day takes 0.75 × 2 = 1.5 units per check, over 10 shards.
    expect(loads.dynamoPartitionWrites).toBeCloseTo(0.15);
  });

  it('counts a duplicate event as another start invocation, StartExecution call and EventBridge invocation', () => {
    const loads = perCheckLoads(profiles(), { ...SETTINGS, duplicateRate: 0.5 });
    expect(loads.sfnStartExecution).toBe(1.5);
    expect(loads.eventBridgeInvocations).toBe(1.5);
    expect(loads.lambdaInvokeRate).toBeCloseTo(0.75 * (1.5 + 4) + 0.25 * (1.5 + 2));
  });

  it('finds the hottest key after sharding, leaves per-client keys out, and the worst case of one kind of check', () => {
    expect(hottestKey(profiles(), SETTINGS)).toEqual({ index: 'byDay', key: 'p#day', unitsPerCheck: 1.5, shards: 10, perShardKey: 0.15 });
    // Unsharded, byOutcome's single key would be hotter than a tenth of byDay's.
    expect(hottestKey(profiles(), { ...SETTINGS, shardedIndexes: ['byDay'] })).toMatchObject({ index: 'byOutcome', perShardKey: 0.75 });
    // All checks of kind b: q#day takes 4 units per check.
    expect(worstCaseKey(profiles(), SETTINGS)).toMatchObject({ profile: 'b', key: 'q#day', unitsPerCheck: 4, perShardKey: 0.4 });
  });

  it('puts each quota’s ceiling at limit ÷ load per check, and names the first', () => {
    const quotas = defaultQuotas('us-east-1');
    const loads = quotaLoads(profiles(), quotas, SETTINGS);
    const of = (id: string) => loads.find((load) => load.id === id)!;
    expect(of('sfnStateTransitions').ceiling).toBeCloseTo(1_500 / 30); // 50 checks/s
    expect(of('sfnStartExecution').ceiling).toBe(300);
    expect(of('lambdaConcurrency').ceiling).toBeCloseTo(1_000 / 1.35);
    expect(of('dynamoPartitionWrites').ceiling).toBeCloseTo(1_000 / 0.15);
    expect(firstCeiling(loads)).toMatchObject({ id: 'sfnStateTransitions' });
    // Another region, the lower tier: 500 transitions/s.
    expect(firstCeiling(quotaLoads(profiles(), defaultQuotas('eu-central-1'), SETTINGS)).ceiling).toBeCloseTo(500 / 30);
  });

  it('asks for load ÷ headroom at a target rate, rounded up to two digits; says what AWS scales by itself and what needs shards', () => {
    const quotas = defaultQuotas('us-east-1');
    const loads = quotaLoads(profiles(), quotas, SETTINGS);
    const hot = hottestKey(profiles(), SETTINGS);
    expect(increasesFor(10, loads, quotas, SETTINGS, hot)).toEqual([]); // 300 transitions/s: under 80 % of 1,500
    const at1000 = increasesFor(1_000, loads, quotas, SETTINGS, hot);
    const of = (id: string) => at1000.find((increase) => increase.id === id);
    expect(of('sfnStateTransitions')).toEqual({ id: 'sfnStateTransitions', load: 30_000, limit: 1_500, request: 38_000 }); // 37,500 → 38,000
    expect(of('sfnStartExecution')).toMatchObject({ load: 1_000, request: 1_300 }); // 1,250 → 1,300
    expect(of('eventBridgeInvocations')).toBeUndefined();
    expect(of('s3PrefixPuts')).toMatchObject({ load: 6_000, action: expect.stringMatching(/S3 partitions/) });
    expect(of('dynamoPartitionWrites')).toBeUndefined(); // 150 units/s on the hottest shard key
    // At 10,000 checks/s the hottest key passes 80 % of a partition: more shards, not a request.
    const partition = increasesFor(10_000, loads, quotas, SETTINGS, hot).find((increase) => increase.id === 'dynamoPartitionWrites')!;
    expect(partition.request).toBeUndefined();
    expect(partition.action).toBe('indexShards ≥ 19 in cdk.json (150 for ≤ 10 % of a partition), then deploy');
  });

  it('counts a queue-invoked function in batches in flight, and asks for the setting rather than a quota request', () => {
    const queued = profiles().map((p) => ({
      ...p,
      invocations: p.invocations.map((i) => (i.fn === 'poll' ? { ...i, queue: { batch: 5, mapping: 'shared' } } : i)),
    }));
    const capped = { ...SETTINGS, queueCaps: { shared: 100 } };
    const loads = perCheckLoads(queued, capped);
    // Kind a: 4 polls of 250 ms, five to a batch: 0.2 batch-seconds a check; 75 % of arrivals.
    expect(loads.queueConcurrency).toBeCloseTo(0.75 * ((4 * 0.25) / 5));
    expect(perCheckLoads(profiles(), SETTINGS).queueConcurrency).toBe(0);
    // The same batches are the function's invocations and its share of the account's concurrency.
    expect(loads.lambdaInvokeRate).toBeCloseTo(0.75 * (1 + 4 / 5) + 0.25 * (1 + 2));
    expect(loads.lambdaConcurrency).toBeCloseTo(0.75 * (0.1 + (4 * 0.25) / 5) + 0.25 * (0.1 + 2 * 1));
    // The mapping's maxConcurrency bounds it below AWS's 1,000 batches.
    const quotas = defaultQuotas('us-east-1', { name: 'poll queue', maxConcurrency: 100, settingAt: 'X in y.ts' });
    expect(quotas.queueConcurrency).toMatchObject({ limit: 100, raise: 'setting' });
    expect(defaultQuotas('us-east-1', { name: 'poll queue', settingAt: 'X in y.ts' }).queueConcurrency.limit).toBe(1_000);
    const at1000 = increasesFor(1_000, quotaLoads(queued, quotas, capped), quotas, capped, hottestKey(queued, capped));
    // 150 batches in flight at 1,000 checks/s: past 80 % of 100, so the setting goes to ≥ 150 ÷ 0.8.
    const queue = at1000.find((i) => i.id === 'queueConcurrency')!;
    expect(queue.load).toBeCloseTo(150);
    expect(queue).toMatchObject({ setting: 190, action: 'X in y.ts ≥ 190, then deploy' });
    // Past what one mapping takes, the setting alone cannot do it.
    const at10000 = increasesFor(10_000, quotaLoads(queued, quotas, capped), quotas, capped, hottestKey(queued, capped)).find((i) => i.id === 'queueConcurrency')!;
    expect(at10000).toMatchObject({ setting: 1_900, action: expect.stringMatching(/^more than one mapping takes \(1,900 batches/) });
    const result = scaleOf(queued, 'us-east-1', { ...capped, indexShards: 40 }, { name: 'poll queue', settingAt: 'X in y.ts' });
    expect(result.verdicts[0]).toMatchObject({ met: false, measured: expect.stringMatching(/X in y\.ts/) });
    expect(scaleReadme(result)).toMatch(/needs these quota requests[\s\S]*changes to the archive \(no quota request raises them\):\n\n- Lambda concurrency of the poll queue's event source mapping: X in y\.ts ≥ 190/);
    expect(scaleReadme(scaleOf(profiles(), 'us-east-1', { ...SETTINGS, indexShards: 40 }))).toMatch(/needs no change to code or settings, only these quota requests/);
    // At the most a mapping takes, 150 batches are 15 %: nothing to change.
    const roomy = scaleOf(queued, 'us-east-1', { ...SETTINGS, indexShards: 40, queueCaps: { shared: 1_000 } }, { name: 'poll queue', settingAt: 'X in y.ts' });
    expect(roomy.verdicts[0]).toMatchObject({ met: true });
  });

  it('lasts a batch as long as its slowest message: the expected maximum over the kinds of message it is drawn from', () => {
    // One message in ten takes 1 s, the rest 100 ms: a batch of ten has a slow one with probability 1 − 0.9¹⁰.
    const kinds = [
      { count: 9, durationMs: 100 },
      { count: 1, durationMs: 1_000 },
    ];
    expect(batchSeconds(kinds, 10)).toBeCloseTo(0.1 * 0.9 ** 10 + 1 * (1 - 0.9 ** 10)); // 0.686 s, not the mean 0.19 s
    expect(batchSeconds(kinds, 1)).toBeCloseTo(0.19);
    expect(batchSeconds([{ count: 4, durationMs: 250 }], 10)).toBeCloseTo(0.25);
    expect(batchSeconds([], 10)).toBe(0);
  });

  it('compares each provider’s poll queue with its own cap, and the queues together with the sum of the caps', () => {
    const perProvider = profiles().map((p) =>
      p.id === 'a'
        ? { ...p, invocations: p.invocations.map((i) => (i.fn === 'poll' ? { ...i, queue: { batch: 5, mapping: 'p' } } : i)) }
        : { ...p, invocations: [...p.invocations, { fn: 'poll', count: 8, durationMs: 500, queue: { batch: 10, mapping: 'q' } }] },
    );
    const loads = queueLoads(perProvider);
    // p: 0.75 × 4 ÷ 5 × 0.25 s = 0.15 batches per check/s; q: 0.25 × 8 ÷ 10 × 0.5 s = 0.1.
    expect(loads.map((l) => [l.mapping, l.perCheck])).toEqual([
      ['p', expect.closeTo(0.15)],
      ['q', expect.closeTo(0.1)],
    ]);
    // q reaches its cap of 50 first (at 500 checks/s; p's 100 at 667): it is the queueConcurrency quota.
    const caps = { p: 100, q: 50 };
    expect(bindingQueue(loads, caps)).toMatchObject({ mapping: 'q', cap: 50 });
    const settings = { ...SETTINGS, indexShards: 40, queueCaps: caps };
    expect(perCheckLoads(perProvider, settings).queueConcurrency).toBeCloseTo(0.1);
    const result = scaleOf(perProvider, 'us-east-1', settings, { name: 'poll queue', settingAt: 'X in y.ts' });
    expect(result.quotas.find((q) => q.id === 'queueConcurrency')).toMatchObject({ name: "Lambda concurrency of the q poll queue's event source mapping", limit: 50 });
    expect(result.quotas.find((q) => q.id === 'queueConcurrency')!.ceiling).toBeCloseTo(500);
    expect(result.queues.map((q) => q.cap)).toEqual([100, 50]);
    expect(scaleMarkdown(result)).toMatch(/\| all poll queues +\| +\| +\| +150 \|/);
    // One queue for both: a batch mixes 250 ms and 500 ms polls and lasts nearly as long as the slow ones.
    const shared = perProvider.map((p) => ({ ...p, invocations: p.invocations.map((i) => (i.queue ? { ...i, queue: { batch: 10, mapping: 'shared' } } : i)) }));
    const [one] = queueLoads(shared);
    expect(one!.messages).toBeCloseTo(0.75 * 4 + 0.25 * 8);
    expect(one!.batchSeconds).toBeCloseTo(0.25 * 0.6 ** 10 + 0.5 * (1 - 0.6 ** 10));
    expect(one!.perCheck).toBeGreaterThan(0.15 + 0.1 * 0.9);
  });

  it('rounds requests up, never down', () => {
    expect([roundUp(37_500), roundUp(1_250), roundUp(95), roundUp(100), roundUp(101), roundUp(0)]).toEqual([38_000, 1_300, 95, 100, 110, 0]);
    expect(shardsFor(1.5, 1_000, 0.1, 1_000)).toBe(15);
    expect(shardsFor(0.01, 10, 0.1, 1_000)).toBe(1);
  });

  it('judges the done criteria: only quota requests at 1,000 checks/s, and no index key over 10 % of a partition', () => {
    const sharded = scaleOf(profiles(), 'us-east-1', SETTINGS);
    expect(sharded.first).toMatchObject({ id: 'sfnStateTransitions' });
    expect(sharded.verdicts.map((v) => v.met)).toEqual([true, false, false, true]); // 15 % and 40 % of a partition
    expect(sharded.verdicts[1]!.measured).toMatch(/^15 % \(byDay p#day, 10 shards\)/);
    const enough = scaleOf(profiles(), 'us-east-1', { ...SETTINGS, indexShards: 40 });
    expect(enough.verdicts.map((v) => v.met)).toEqual([true, true, true, true]);
    // One key: 1,500 units/s at 1,000 checks/s is past a partition, which no quota request fixes.
    const unsharded = scaleOf(profiles(), 'us-east-1', { ...SETTINGS, indexShards: 1 });
    expect(unsharded.verdicts[0]).toMatchObject({ met: false, measured: expect.stringMatching(/indexShards ≥ 2/) });
  });
});

describe('DynamoDB write units of records', () => {
  it('sizes values the way DynamoDB documents it', () => {
    expect(valueBytes({ S: 'héllo' })).toBe(6);
    expect(valueBytes({ N: '1804143001' })).toBe(6); // 10 digits → 5 + 1
    expect(valueBytes({ N: '-0.97' })).toBe(3); // 2 significant digits + 1, + 1 for the sign
    expect(valueBytes({ N: '1200' })).toBe(2); // trailing zeros trimmed
    expect(valueBytes({ BOOL: true })).toBe(1);
    expect(valueBytes({ L: [{ S: 'ab' }, { S: 'c' }] })).toBe(3 + 1 + 2 + 1 + 1);
    expect(valueBytes({ M: { count: { N: '3' }, reasons: { L: [{ S: 'refused' }] } } })).toBe(3 + (1 + 5 + 2) + (1 + 7 + (3 + 1 + 7)));
    expect(itemBytes({ pk: { S: 'kyc#x' }, n: { N: '12' } })).toBe(2 + 5 + 1 + 2);
    expect([unitsOf(1), unitsOf(1024), unitsOf(1025)]).toEqual([1, 1, 2]);
  });

  it('counts an index write per index an item enters, updates in place, and a delete and a put when its key moves', () => {
    const tracker = createWriteTracker([
      { indexName: 'byDay', partitionKey: 'day', sortKey: 'createdAt', sharded: true },
      { indexName: 'byOutcome', partitionKey: 'outcome', sortKey: 'createdAt', sharded: true },
      { indexName: 'byClient', partitionKey: 'client', sortKey: 'createdAt' },
    ]);
    const put = (item: object) => ({ name: 'PutItemCommand', body: JSON.stringify({ TableName: 't', Item: marshall(item) }) });
    const first = tracker.add([put({ pk: 'v#1', day: 'v#2026-03-19#3', outcome: 'v#escalated#3', createdAt: 'x' })]);
    expect(first.tableUnits).toBe(1);
    expect(first.indexWrites.map((w) => [w.index, w.kind, w.key])).toEqual([
      ['byDay', 'put', 'v#2026-03-19'],
      ['byOutcome', 'put', 'v#escalated'],
    ]);
    const big = 'x'.repeat(1500);
    const second = tracker.add([put({ pk: 'v#1', day: 'v#2026-03-19#3', outcome: 'v#true#3', createdAt: 'x', detail: big })]);
    expect(second.tableUnits).toBe(2);
    expect(second.indexWrites.map((w) => [w.index, w.kind, w.key, w.units])).toEqual([
      ['byDay', 'update', 'v#2026-03-19', 2],
      ['byOutcome', 'delete', 'v#escalated', 1],
      ['byOutcome', 'put', 'v#true', 2],
    ]);
    // The same item again: no index holds anything new, so only the table is written.
    expect(tracker.add([put({ pk: 'v#1', day: 'v#2026-03-19#3', outcome: 'v#true#3', createdAt: 'x', detail: big })]).indexWrites).toEqual([]);
    // A transactional put costs double; an UpdateItem of an item not seen is sized by its request (an upper bound).
    const third = tracker.add([
      { name: 'TransactWriteItemsCommand', body: JSON.stringify({ TransactItems: [{ Put: { TableName: 't', Item: marshall({ pk: 'v#2', client: 'c', createdAt: 'x' }) } }] }) },
      { name: 'UpdateItemCommand', body: JSON.stringify({ Key: { pk: { S: 'v#3' } }, UpdateExpression: 'SET #d = :d', ExpressionAttributeNames: { '#d': 'day' } }) },
    ]);
    expect(third.tableUnits).toBe(2 + 1);
    expect(third.estimated).toBe(1);
    expect(third.indexWrites.map((w) => [w.index, w.kind, w.units])).toEqual([
      ['byClient', 'put', 2],
      ['byDay', 'update', 1],
    ]);
    // An index takes only items with both its keys: no sort key, no entry.
    expect(tracker.add([put({ pk: 'v#4', day: 'v#2026-03-19#1' })]).indexWrites).toEqual([]);
  });

  it('follows a check from its started item through the open-checks index (projected, sparse, sharded) to its final record', () => {
    const open = OPEN_CHECKS_INDEX;
    const byDay = { indexName: 'byDay', partitionKey: 'day', sortKey: 'createdAt', sharded: true as const };
    const tracker = createWriteTracker([byDay, open]);
    const put = (item: object, conditionFailed = false) => ({ name: 'PutItemCommand', body: JSON.stringify({ Item: marshall(item) }), ...(conditionFailed ? { conditionFailed } : {}) });
    const update = (expression: string, conditionFailed = false) => ({
      name: 'UpdateItemCommand',
      body: JSON.stringify({ Key: { pk: { S: 'k#1' } }, UpdateExpression: expression, ExpressionAttributeNames: { '#status': 'status' } }),
      ...(conditionFailed ? { conditionFailed } : {}),
    });
    const started = { pk: 'k#1', status: 'started', openShard: 'open#07', reconcileAt: 't1', executionName: 'e', padding: 'p'.repeat(200) };
    const start = tracker.add([put(started), put({ pk: 'seen#k#1', startId: 's' })]);
    // The entry holds the table key, the index keys and the projected attributes, not the padding; its key is one of
    // the index's fixed shards, counted as `open`.
    const entry = marshall({ pk: 'k#1', openShard: 'open#07', reconcileAt: 't1', status: 'started', executionName: 'e' });
    expect(start.indexWrites).toEqual([{ index: 'byOpenDeadline', key: 'open', kind: 'put', units: 1, entryBytes: itemBytes(entry as never) }]);
    expect(start.tableUnits).toBe(2);
    // The lease: attributes the open index does not hold, and if_not_exists of what it holds: no index write.
    const archive = tracker.add([
      update('SET leaseOwner = :owner, leaseUntil = :until, #status = if_not_exists(#status, :started)'),
      put({ pk: 'k#1', status: 'archived', day: 'k#2026-03-19#4', createdAt: 'c', executionName: 'e' }),
      update('REMOVE leaseOwner, leaseUntil', true),
    ]);
    // Lease, record, and the refused release (charged, writes nothing); the record leaves the open index.
    expect(archive.tableUnits).toBe(3);
    expect(archive.indexWrites.map((w) => [w.index, w.kind, w.key])).toEqual([
      ['byDay', 'put', 'k#2026-03-19'],
      ['byOpenDeadline', 'delete', 'open'],
    ]);
    // An escalated record moves its entry (a new reconcileAt: delete and put); a lease on it rewrites every ALL index.
    const tracker2 = createWriteTracker([byDay, open]);
    tracker2.add([put(started)]);
    const escalated = tracker2.add([put({ ...started, status: 'escalated', reconcileAt: 't2', day: 'k#d#4', createdAt: 'c' }), update('SET leaseOwner = :owner')]);
    expect(escalated.indexWrites.map((w) => [w.index, w.kind])).toEqual([
      ['byDay', 'put'],
      ['byOpenDeadline', 'delete'],
      ['byOpenDeadline', 'put'],
      ['byDay', 'update'],
    ]);
  });

  it('reads which attributes an update changes', () => {
    expect(changedAttributes('SET leaseOwner = :o, leaseUntil = :u, provider = if_not_exists(provider, :p), #s = if_not_exists(#s, :x)', { '#s': 'status' })).toEqual([
      'leaseOwner',
      'leaseUntil',
    ]);
    expect(changedAttributes('SET legalHold = :true, legalHoldSince = if_not_exists(legalHoldSince, :now) REMOVE #ttl', { '#ttl': 'ttl' })).toEqual(['legalHold', 'ttl']);
    expect(changedAttributes('REMOVE leaseOwner, leaseUntil')).toEqual(['leaseOwner', 'leaseUntil']);
  });

  it('a record the archive builds is under 1 KB, so each index write costs one unit', () => {
    const checkId = 'liveness-token-123';
    const check = { provider: 'liveness' as const, checkId, checkRef: checkRefOf(TEST_KEY, 'liveness', checkId), createdAt: '2026-03-19T10:00:00.000Z' };
    const { retention } = computeRetention(DEFAULT_RETENTION_POLICY, { provider: 'liveness', outcome: 'passed', now: new Date('2026-03-19T10:05:00Z') });
    const record = buildRecord({ check, status: 'archived', outcome: 'passed', retention, archivedAt: new Date('2026-03-19T10:05:00Z') });
    const bytes = itemBytes(marshall(record, { removeUndefinedValues: true }) as never);
    expect(bytes).toBeGreaterThan(400);
    expect(unitsOf(bytes)).toBe(1);
  });
});

describe('profiles from the bench’s measurements', () => {
  /** Benchmark 1's figures of one provider under the poll loop: polls, hops (messages that only wait), task-token calls. */
  const figures = (transitions: number, polls: number, hops: number, archives: number) => ({
    checks: 10,
    transitionsPerCheck: transitions,
    pollsPerCheck: polls,
    usage: { transitions, historyEvents: 3 * transitions, polls, hops, heldInvocations: 0, heldSeconds: 0, sqsMessages: polls + hops, expressExecutions: 0, expressSeconds: 0, durableOperations: 0, durableResumes: 0, sfnApiCalls: 2 },
    archivesPerCheck: archives,
    latency: { n: 10, p50: 4, p95: 9, max: 12 },
  });
  const archive = (durationMs: number, units: number) => ({
    durationMs,
    // The tagging AWS never sees (the put carried the tags) is marked, and not counted as a request to the prefix.
    s3Requests: { PutObjectCommand: 3, 'PutObjectTaggingCommand (emulator only)': 3, ListObjectsV2Command: 1, HeadObjectCommand: 1 },
    recordWrites: { tableUnits: units, itemBytes: [900], estimated: 0, indexWrites: [{ index: 'byProviderDay', key: 'x#d', kind: 'put', units, entryBytes: 900 }] },
  });
  /** The start function's writes: the started item (1 unit, in the open-checks index) and the seen marker. */
  const started = {
    dynamoRequests: { PutItemCommand: 2 },
    recordWrites: { tableUnits: 2, itemBytes: [300, 100], estimated: 0, indexWrites: [{ index: 'byOpenDeadline', key: 'open', kind: 'put', units: 1, entryBytes: 250 }] },
  };
  const input = {
    polling: {
      options: { seeds: [1], sizes: { liveness: 30, kyc: 10, verification: 0 }, timeFactor: 1, parallel: 1, arrivalRate: 100 },
      median: { ours: { liveness: figures(5, 6, 0, 1), kyc: figures(9, 40, 3, 1.5) } },
    },
    cost: {
      measured: {
        pollMs: { liveness: 2, kyc: 4, verification: 1 },
        scenarios: [
          { scenario: 'liveness-1min', archives: [archive(200, 1)], start: started },
          { scenario: 'kyc-10min', archives: [archive(100, 1), archive(300, 3)], start: started },
        ],
      },
    },
    startMs: 30,
  };

  it('takes shares from the polling workload, per-check usage from benchmark 1 and per-invocation usage from benchmark 4', () => {
    const [liveness, kyc] = profilesFrom(input as never);
    expect(liveness).toMatchObject({ id: 'liveness', share: 0.75, transitions: 5, sendTaskCalls: 2, s3: { puts: 3, gets: 1 } });
    expect(kyc).toMatchObject({ id: 'kyc', share: 0.25, transitions: 9, sendTaskCalls: 2 });
    // KYC: 40 polls (the local poll + the provider round trip + the next SendMessage), 3 hops, 1.5 archive invocations
    // a check, each the mean of the two measured (200 ms, 2 units).
    expect(kyc!.invocations).toEqual([
      { fn: 'start', count: 1, durationMs: 30, perEvent: true },
      { fn: 'poll', count: 40, durationMs: 4 + PROVIDER_ROUND_TRIP_MS + QUEUE_SEND_MS },
      { fn: 'poll', count: 3, durationMs: HOP_MS },
      { fn: 'archive', count: 1.5, durationMs: 200 },
    ]);
    // No hops: no invocation for them.
    expect(liveness!.invocations.map((i) => i.fn)).toEqual(['start', 'poll', 'archive']);
    // The archive's 2 units an invocation × 1.5, and the start's 2 once.
    expect(kyc!.dynamo.tableUnits).toBe(3 + 2);
    expect(kyc!.dynamo.indexUnits).toEqual([
      { index: 'byOpenDeadline', key: 'open', units: 1 },
      { index: 'byProviderDay', key: 'x#d', units: 3 },
    ]);
    // Open for the workload's mean end, plus the median latency to the archive.
    const ends = generateWorkload(1, input.polling.options.sizes).filter((c) => c.provider === 'liveness').map((c) => c.endsAt);
    expect(liveness!.lifetimeSeconds).toBeCloseTo(mean(ends) + 4);
    // Polled from a queue: every poll-function invocation is marked with its batch size and its mapping.
    const queued = profilesFrom({ ...input, pollQueues: [{ batchSize: 10 }] } as never)[1]!;
    expect(queued.invocations.filter((i) => i.fn === 'poll').map((i) => i.queue)).toEqual([
      { batch: 10, mapping: 'shared' },
      { batch: 10, mapping: 'shared' },
    ]);
    // A poll queue per provider: each check's polls go to its provider's.
    const own = profilesFrom({ ...input, pollQueues: [{ batchSize: 10, provider: 'liveness' }, { batchSize: 5, provider: 'kyc' }] } as never);
    expect(own.map((p) => p.invocations.find((i) => i.fn === 'poll')!.queue)).toEqual([
      { batch: 10, mapping: 'liveness' },
      { batch: 5, mapping: 'kyc' },
    ]);
  });

  it('refuses figures of another design or without the record writes, rather than guess', () => {
    expect(() => profilesFrom({ ...input, polling: { ...input.polling, median: {} } } as never)).toThrow(/deployed policy/);
    // Benchmark 1 from before the poll loop: invocations, no usage.
    const before = { checks: 10, transitionsPerCheck: 30, pollsPerCheck: 9, invocationsPerCheck: 10, latency: { n: 10, p50: 4, p95: 9, max: 12 } };
    expect(() => profilesFrom({ ...input, polling: { ...input.polling, median: { ours: { liveness: before, kyc: before } } } } as never)).toThrow(/--only polling,scale/);
    const old = { measured: { ...input.cost.measured, scenarios: [{ scenario: 'liveness-1min', archives: [{ durationMs: 1, s3Requests: {} }] }] } };
    expect(() => profilesFrom({ ...input, polling: { ...input.polling, options: { ...input.polling.options, sizes: { liveness: 1, kyc: 0, verification: 0 } } }, cost: old } as never)).toThrow(/record writes/);
    // Benchmark 4 from before the start function's writes were measured: the open-checks index would be missing.
    const noStart = { measured: { ...input.cost.measured, scenarios: input.cost.measured.scenarios.map(({ start: _start, ...rest }) => rest) } };
    expect(() => profilesFrom({ ...input, cost: noStart } as never)).toThrow(/--only cost,scale/);
  });

  it('finds every poll queue in the synthesized app', () => {
    const three = [
      { batchSize: 10, maxConcurrency: 500, provider: 'liveness' as const },
      { batchSize: 10, maxConcurrency: 800, provider: 'kyc' as const },
    ];
    expect(deployedPollQueues({ queueEventSources: (entry) => (entry === 'poll' ? three : []) })).toEqual(three);
    expect(deployedPollQueues({ queueEventSources: () => [] })).toEqual([]);
  });
});
