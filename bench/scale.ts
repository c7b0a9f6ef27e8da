/**
 * Benchmark 5 — the scale model. No new measurement: benchmarks 1, 3 and 4 measured what one check of the deployed
 * design uses (bench/scale/profiles.ts); the model (bench/scale/model.ts) turns that and the workload mix into the
 * load on each AWS default quota (bench/scale/quotas.ts) at an arrival rate, the rate each quota is reached at, the
 * first ceiling, and what to request for 100, 1,000 and 10,000 checks a second.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INDEXES } from '../lambdas/records/table-schema';
import { loadConfig } from '../lib/config';
import { PROJECT_ROOT } from '../local/paths';
import { synthesizeWorkflow, type QueueEventSource, type SynthesizedWorkflow } from '../local/synthesize';
import type { Verdict } from './report';
import { bindingQueue, firstCeiling, shardsFor, hottestKey, increasesFor, queueLoads, quotaLoads, worstCaseKey, type CheckProfile, type HotKey, type Increase, type QueueLoad, type QuotaLoad, type ScaleSettings } from './scale/model';
import { FIXED_SHARDS } from './scale/index-writes';
import { mappingOf, profilesFrom, type ProfileInput } from './scale/profiles';
import { defaultQuotas, SQS_MAPPING_MAX_BATCHES, type Quota, type QuotaId, type QueueSource } from './scale/quotas';

/** The rates the issue asks about. */
export const TARGET_RATES = [100, 1_000, 10_000] as const;

export const SCALE_TARGETS = {
  /** At this rate, only quota requests: no change to code or settings. */
  rate: 1_000,
  /** No index key above this share of a partition's write capacity at `rate`. */
  hotKeyShare: 0.1,
  /** A write to an index entry of at most 1 KB costs one unit. */
  entryBytes: 1024,
} as const;

export interface ScaleResult {
  region: string;
  settings: ScaleSettings;
  profiles: CheckProfile[];
  quotas: Array<Quota & QuotaLoad>;
  first: { id: QuotaId; name: string; ceiling: number };
  hotKey: HotKey;
  worstCase: HotKey & { profile: string };
  /** Every queue mapping's batches in flight per check a second, and its cap. */
  queues: Array<QueueLoad & { cap: number }>;
  increases: Record<string, Increase[]>;
  verdicts: Verdict[];
}

/** The deployed configuration the model is about: cdk.json's region and shard count. */
export function deployedSettings(): { region: string; indexShards: number } {
  const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const config = loadConfig((key) => context[key], {});
  return { region: config.region, indexShards: config.indexShards };
}

/** The queues that invoke the deployed poll function(s) (the synthesized app says): one shared, or one per provider. */
export function deployedPollQueues(synthesized: Pick<SynthesizedWorkflow, 'queueEventSources'> = synthesizeWorkflow()): QueueEventSource[] {
  return synthesized.queueEventSources('poll');
}

/** Where the poll queues' mappings are configured. */
const POLL_QUEUE_SETTING = 'pollMaxConcurrency in cdk.json';

/** `pollQueues`: as deployed unless given ([]: none). */
export function modelScale(input: Omit<ProfileInput, 'pollQueues'> & { pollQueues?: QueueEventSource[]; region: string; indexShards: number }): ScaleResult {
  const pollQueues = input.pollQueues ?? deployedPollQueues();
  const settings: ScaleSettings = {
    indexShards: input.indexShards,
    shardedIndexes: Object.values(INDEXES).filter((index) => 'sharded' in index).map((index) => index.indexName),
    fixedShards: FIXED_SHARDS,
    perClientIndexes: [INDEXES.byClientKey.indexName],
    duplicateRate: 0,
    headroom: 0.8,
    hotKeyShare: SCALE_TARGETS.hotKeyShare,
    queueCaps: Object.fromEntries(pollQueues.map((q) => [mappingOf(q), Math.min(q.maxConcurrency ?? SQS_MAPPING_MAX_BATCHES, SQS_MAPPING_MAX_BATCHES)])),
  };
  const { polling, cost, startMs } = input;
  const profiles = profilesFrom({ polling, cost, startMs, pollQueues });
  return scaleOf(profiles, input.region, settings, { name: 'poll queue', settingAt: POLL_QUEUE_SETTING });
}

/**
 * The model's figures and verdicts for measured profiles. `queue` names the queues whose mappings `settings.queueCaps`
 * bounds: the one that reaches its cap first becomes the queueConcurrency quota, the rest are in `queues`.
 */
export function scaleOf(profiles: CheckProfile[], region: string, settings: ScaleSettings, queue?: Omit<QueueSource, 'maxConcurrency'>): ScaleResult {
  const queues = queueLoads(profiles).map((load) => ({ ...load, cap: settings.queueCaps?.[load.mapping] ?? SQS_MAPPING_MAX_BATCHES }));
  const binding = bindingQueue(queues, settings.queueCaps);
  const quotas = defaultQuotas(
    region,
    queue && binding ? { ...queue, name: binding.mapping === 'shared' ? queue.name : `${binding.mapping} ${queue.name}`, maxConcurrency: binding.cap } : undefined,
  );
  const loads = quotaLoads(profiles, quotas, settings);
  const first = firstCeiling(loads);
  const hotKey = hottestKey(profiles, settings);
  if (!hotKey) throw new Error('no index writes measured');
  const worstCase = worstCaseKey(profiles, settings);
  const increases = Object.fromEntries(TARGET_RATES.map((rate) => [String(rate), increasesFor(rate, loads, quotas, settings, hotKey)]));

  const partition = quotas.dynamoPartitionWrites.limit;
  const atTarget = (key: HotKey) => (SCALE_TARGETS.rate * key.perShardKey) / partition;
  const atRate = increases[String(SCALE_TARGETS.rate)]!;
  // A quota request or AWS's own scaling changes nothing in the archive; a setting or the design does.
  const blocking = atRate.filter((increase) => quotas[increase.id].raise === 'fixed' || quotas[increase.id].raise === 'setting');
  const requests = atRate.filter((increase) => increase.request !== undefined).length;
  const largestEntry = Math.max(...profiles.map((profile) => profile.dynamo.largestEntryBytes));
  const verdicts: Verdict[] = [
    {
      target: `${SCALE_TARGETS.rate.toLocaleString('en-US')} checks/s takes quota requests only (no change to code or settings)`,
      measured:
        blocking.length === 0
          ? `${requests} quota requests; ${atRate.length - requests} limits AWS raises as traffic grows`
          : blocking.map((b) => b.action).join('; '),
      met: blocking.length === 0,
    },
    {
      target: `hottest index key ≤ ${SCALE_TARGETS.hotKeyShare * 100} % of a partition's writes at ${SCALE_TARGETS.rate.toLocaleString('en-US')} checks/s (workload mix)`,
      measured: `${percent(atTarget(hotKey))} (${hotKey.index} ${hotKey.key}, ${hotKey.shards} shard${hotKey.shards === 1 ? '' : 's'})`,
      met: atTarget(hotKey) <= SCALE_TARGETS.hotKeyShare,
    },
    {
      target: `… and when every check is of one kind`,
      measured:
        `${percent(atTarget(worstCase))} (all ${worstCase.profile}: ${worstCase.index} ${worstCase.key})` +
        (atTarget(worstCase) > SCALE_TARGETS.hotKeyShare && settings.shardedIndexes.includes(worstCase.index)
          ? `; indexShards ≥ ${shardsFor(worstCase.unitsPerCheck, SCALE_TARGETS.rate, SCALE_TARGETS.hotKeyShare, partition)} in cdk.json keeps it under ${SCALE_TARGETS.hotKeyShare * 100} %`
          : ''),
      met: atTarget(worstCase) <= SCALE_TARGETS.hotKeyShare,
    },
    {
      target: `index entries ≤ ${SCALE_TARGETS.entryBytes} bytes (one write unit per index write)`,
      measured: `largest ${largestEntry} bytes`,
      met: largestEntry <= SCALE_TARGETS.entryBytes,
    },
  ];
  return {
    region,
    settings,
    profiles,
    quotas: loads.map((load) => ({ ...quotas[load.id], ...load })),
    first: { id: first.id, name: quotas[first.id].name, ceiling: first.ceiling },
    hotKey,
    worstCase,
    queues,
    increases,
    verdicts,
  };
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;
}
