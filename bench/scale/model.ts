/**
 * The scale model: from what one check uses (measured by the bench, see profiles.ts) and the workload mix, the
 * steady load an arrival rate R puts on each AWS quota and on the hottest DynamoDB partition key, the rate at which
 * each quota is reached, the first one, and what to raise for a target rate. Loads are linear in R: a quota's ceiling
 * is limit ÷ load of one check a second. Pure (tested in test/bench/scale-model.test.ts).
 */
import type { Quota, QuotaId } from './quotas';

/** What one check of a kind uses over its life. */
export interface CheckProfile {
  id: string;
  label: string;
  provider: string;
  /** Share of arrivals (the profiles' shares add up to 1). */
  share: number;
  /** How long its execution stays open, seconds. */
  lifetimeSeconds: number;
  transitions: number;
  /** Step Functions SendTask* calls (a callback poll loop makes one per poll). */
  sendTaskCalls: number;
  /**
   * Lambda invocations; `perEvent` ones run again for a duplicate event (the start function). `queue`: invoked by the
   * design's SQS event source, `batch` messages to an invocation, handled side by side (count is in messages; full
   * batches assumed, as at the rates modelled the queue holds thousands of messages a second).
   */
  invocations: Array<{ fn: string; count: number; durationMs: number; perEvent?: boolean; queue?: { batch: number } }>;
  /** S3 requests under the check's folder, by request class. */
  s3: { puts: number; gets: number };
  /** DynamoDB write units: the table's, and each index key's (base key, before sharding). */
  dynamo: { tableUnits: number; indexUnits: Array<{ index: string; key: string; units: number }>; largestEntryBytes: number };
}

export interface ScaleSettings {
  /** Sharded indexes divide a key's writes over this many keys. */
  indexShards: number;
  shardedIndexes: readonly string[];
  /** Indexes whose keys belong to one client (a KYC clientKey): their load does not grow with the arrival rate. */
  perClientIndexes: readonly string[];
  /** Extra deliveries of an event (EventBridge is at least once): each starts the start function again. */
  duplicateRate: number;
  /** Plan quotas to this share of their limit (bursts, jitter). */
  headroom: number;
  /** The most of a partition's write capacity one index key should take. */
  hotKeyShare: number;
}

/** The hottest key of an index, per check a second of arrivals. */
export interface HotKey {
  index: string;
  key: string;
  /** Write units a second per check a second, before sharding. */
  unitsPerCheck: number;
  shards: number;
  /** After sharding: what one shard key takes per check a second. */
  perShardKey: number;
}

export interface QuotaLoad {
  id: QuotaId;
  /** Load per check a second of arrivals (in the quota's unit). */
  perCheck: number;
  /** Arrival rate at which the quota is reached (Infinity when this design does not use it). */
  ceiling: number;
}

/** Σ share × f(profile). */
function weighted(profiles: readonly CheckProfile[], f: (profile: CheckProfile) => number): number {
  return profiles.reduce((sum, profile) => sum + profile.share * f(profile), 0);
}

/** Every index key's write units per check a second of arrivals, by `index key`, before sharding. */
export function indexKeyLoads(profiles: readonly CheckProfile[]): Map<string, { index: string; key: string; unitsPerCheck: number }> {
  const loads = new Map<string, { index: string; key: string; unitsPerCheck: number }>();
  for (const profile of profiles) {
    for (const write of profile.dynamo.indexUnits) {
      const id = `${write.index} ${write.key}`;
      const load = loads.get(id) ?? { index: write.index, key: write.key, unitsPerCheck: 0 };
      load.unitsPerCheck += profile.share * write.units;
      loads.set(id, load);
    }
  }
  return loads;
}

/**
 * The hottest index key under this mix, after sharding. Keys of per-client indexes are left out: one client's
 * checks, not the arrival rate, load them.
 */
export function hottestKey(profiles: readonly CheckProfile[], settings: ScaleSettings): HotKey | undefined {
  let hottest: HotKey | undefined;
  for (const load of indexKeyLoads(profiles).values()) {
    if (settings.perClientIndexes.includes(load.index)) continue;
    const shards = settings.shardedIndexes.includes(load.index) ? settings.indexShards : 1;
    const key: HotKey = { ...load, shards, perShardKey: load.unitsPerCheck / shards };
    if (!hottest || key.perShardKey > hottest.perShardKey) hottest = key;
  }
  return hottest;
}

/** The hottest key when all checks are of one kind (a deployment that runs one product): the worst case. */
export function worstCaseKey(profiles: readonly CheckProfile[], settings: ScaleSettings): HotKey & { profile: string } {
  const each = profiles.map((profile) => ({ profile: profile.id, key: hottestKey([{ ...profile, share: 1 }], settings) }));
  const worst = each.filter((e) => e.key).sort((a, b) => b.key!.perShardKey - a.key!.perShardKey)[0];
  if (!worst) throw new Error('no index writes measured');
  return { ...worst.key!, profile: worst.profile };
}

/** Load of one check a second on each quota. */
export function perCheckLoads(profiles: readonly CheckProfile[], settings: ScaleSettings): Record<QuotaId, number> {
  const events = 1 + settings.duplicateRate;
  // A queue's messages come `batch` to an invocation, handled side by side: one invocation, about one message long.
  const runs = (invocation: CheckProfile['invocations'][number]) => (invocation.count * (invocation.perEvent ? events : 1)) / (invocation.queue?.batch ?? 1);
  const tableAndIndexes = weighted(profiles, (p) => p.dynamo.tableUnits + p.dynamo.indexUnits.reduce((sum, w) => sum + w.units, 0));
  const perProvider = (f: (profile: CheckProfile) => number) => {
    const totals = new Map<string, number>();
    for (const profile of profiles) totals.set(profile.provider, (totals.get(profile.provider) ?? 0) + profile.share * f(profile));
    return Math.max(0, ...totals.values());
  };
  return {
    sfnStateTransitions: weighted(profiles, (p) => p.transitions),
    sfnStartExecution: events,
    sfnSendTask: weighted(profiles, (p) => p.sendTaskCalls),
    sfnOpenExecutions: weighted(profiles, (p) => p.lifetimeSeconds),
    lambdaConcurrency: weighted(profiles, (p) => p.invocations.reduce((sum, i) => sum + (runs(i) * i.durationMs) / 1000, 0)),
    lambdaInvokeRate: weighted(profiles, (p) => p.invocations.reduce((sum, i) => sum + runs(i), 0)),
    eventBridgeInvocations: events,
    dynamoTableWrites: tableAndIndexes,
    dynamoOnDemandInitialWrites: tableAndIndexes,
    dynamoPartitionWrites: hottestKey(profiles, settings)?.perShardKey ?? 0,
    // Per provider, as if its checks shared one prefix: what S3 must reach by splitting the hash-first keys.
    s3PrefixPuts: perProvider((p) => p.s3.puts),
    s3PrefixGets: perProvider((p) => p.s3.gets),
    // Batches in flight at the queue's event source.
    queueConcurrency: weighted(profiles, (p) => p.invocations.reduce((sum, i) => sum + (i.queue ? (runs(i) * i.durationMs) / 1000 : 0), 0)),
  };
}

export function quotaLoads(profiles: readonly CheckProfile[], quotas: Record<QuotaId, Quota>, settings: ScaleSettings): QuotaLoad[] {
  const loads = perCheckLoads(profiles, settings);
  return (Object.keys(quotas) as QuotaId[]).map((id) => ({ id, perCheck: loads[id], ceiling: loads[id] > 0 ? quotas[id].limit / loads[id] : Infinity }));
}

/** The quota reached first as arrivals grow, and at which rate: how many checks a second the defaults carry. */
export function firstCeiling(loads: readonly QuotaLoad[]): QuotaLoad {
  return [...loads].sort((a, b) => a.ceiling - b.ceiling)[0]!;
}

/** Shards that keep the hottest key at `share` of a partition at `rate` checks a second. */
export function shardsFor(unitsPerCheck: number, rate: number, share: number, partitionLimit: number): number {
  return Math.max(1, Math.ceil((rate * unitsPerCheck) / (share * partitionLimit)));
}

export interface Increase {
  id: QuotaId;
  /** Steady load at the target rate. */
  load: number;
  limit: number;
  /** A quota request for at least this (load ÷ headroom, rounded up to two significant digits). */
  request?: number;
  /** A setting of the design to raise to at least this (load ÷ headroom, rounded up). */
  setting?: number;
  /** What else it takes (automatic scaling, a setting), when no quota request does. */
  action?: string;
}

/** What must change for `rate` checks a second: every quota whose load passes headroom × limit. */
export function increasesFor(
  rate: number,
  loads: readonly QuotaLoad[],
  quotas: Record<QuotaId, Quota>,
  settings: ScaleSettings,
  hot: HotKey | undefined,
): Increase[] {
  const increases: Increase[] = [];
  for (const { id, perCheck } of loads) {
    const quota = quotas[id];
    const load = rate * perCheck;
    if (load <= quota.limit * settings.headroom) continue;
    const increase: Increase = { id, load, limit: quota.limit };
    if (quota.raise === 'quota-request') increase.request = roundUp(load / settings.headroom);
    else if (quota.raise === 'automatic') increase.action = quota.action ?? quota.note;
    else if (quota.raise === 'setting') {
      increase.setting = roundUp(load / settings.headroom);
      increase.action = (quota.action ?? `${quota.name} ≥ {n}`).replace('{n}', increase.setting.toLocaleString('en-US'));
    }
    else if (id === 'dynamoPartitionWrites' && hot && settings.shardedIndexes.includes(hot.index)) {
      increase.action = `indexShards ≥ ${shardsFor(hot.unitsPerCheck, rate, settings.headroom, quota.limit)} in cdk.json (${shardsFor(hot.unitsPerCheck, rate, settings.hotKeyShare, quota.limit)} for ≤ ${settings.hotKeyShare * 100} % of a partition), then deploy`;
    } else increase.action = `${hot?.index ?? 'an index'} key ${hot?.key ?? ''} is not sharded: a design change`;
    increases.push(increase);
  }
  return increases;
}

/** Up to two significant digits: 12,345 → 13,000; 1,234 → 1,300; 95 → 95. */
export function roundUp(value: number): number {
  if (value <= 0) return 0;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(value)) - 1);
  return Math.ceil(value / step - 1e-9) * step;
}
