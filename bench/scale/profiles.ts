/**
 * Per-check usage of the deployed design, from the bench's own measurements — nothing here is a figure of today's
 * design written down: when the workflow or the archive changes, the next `npm run bench` measures the new usage.
 * - Workflow (benchmark 1, the deployed design on the synthesized state machine, virtual clock): transitions, polls,
 *   the poll loop's hops and its Step Functions API calls (task-token answers, heartbeats), and archive invocations
 *   per check of each provider, over the workload the polling benchmark draws (its sizes are the mix;
 *   bench/polling/workload.ts states the distributions) — expiries and escalations included.
 * - Lifetime: how long that workload's checks stay open (their end, plus the median latency to the archive).
 * - Archive invocations (benchmark 4, the real engine on the emulators): duration, S3 requests and the record's
 *   DynamoDB writes table and index by index, averaged per invocation over the provider's measured check; before
 *   them the real start function's writes for the check (its `started` item in the open-checks index, its seen
 *   marker), once per check.
 * - Durations: the start function's from benchmark 3; the poll function's as the cost benchmark prices them (a poll
 *   measured locally plus the assumed provider round trip and queue send, a hop assumed: bench/cost.ts).
 */
import { PROVIDERS, type ProviderName } from '../../lambdas/checks/check-status';
import type { CostResult } from '../cost';
import type { ArchiveUsage, ScenarioUsage } from '../cost/measure';
import type { RecordWrites } from './index-writes';
import { pollInvocations, PROVIDER_ROUND_TRIP_MS } from '../cost';
import { COST_SCENARIOS } from '../cost/scenarios';
import { mean } from '../lib/stats';
import type { PollingResult } from '../polling';
import { generateWorkload } from '../polling/workload';
import type { CheckProfile } from './model';

/** The deployed policy's strategy id in benchmark 1 (bench/polling/strategies.ts). */
export const DEPLOYED_STRATEGY = 'ours';

/** S3 request classes as S3 rates them per prefix (optimizing-performance): LIST counts against neither. */
const S3_PUT_CLASS = [
  'PutObjectCommand',
  'UploadPartCommand',
  'CreateMultipartUploadCommand',
  'CompleteMultipartUploadCommand',
  'AbortMultipartUploadCommand',
  'PutObjectTaggingCommand',
  'PutObjectRetentionCommand',
  'PutObjectLegalHoldCommand',
  'CopyObjectCommand',
  'DeleteObjectCommand',
];
const S3_GET_CLASS = ['GetObjectCommand', 'HeadObjectCommand', 'GetObjectTaggingCommand'];

export interface ProfileInput {
  polling: Pick<PollingResult, 'options' | 'median'>;
  cost: Pick<CostResult, 'measured'>;
  /** The start function's duration per event, ms (benchmark 3, else the cost benchmark's assumption). */
  startMs: number;
  /**
   * The queues that invoke the poll function (the poll loop), as synthesized: one for every provider, or one per
   * provider (`provider`). Messages come in batches, handled side by side.
   */
  pollQueues?: ReadonlyArray<{ batchSize: number; provider?: string }>;
}

/** The mapping id of a poll queue: its provider's name, or `shared` for one queue that serves every provider. */
export const mappingOf = (queue: { provider?: string }): string => queue.provider ?? 'shared';

export function profilesFrom(input: ProfileInput): CheckProfile[] {
  const { sizes, seeds } = input.polling.options;
  const total = PROVIDERS.reduce((sum, provider) => sum + sizes[provider], 0);
  const deployed = input.polling.median[DEPLOYED_STRATEGY];
  if (!deployed) throw new Error(`benchmark 1 has no '${DEPLOYED_STRATEGY}' strategy: the scale model needs the deployed policy's figures`);
  const workloads = seeds.map((seed) => generateWorkload(seed, sizes));

  return PROVIDERS.filter((provider) => sizes[provider] > 0).map((provider) => {
    const figures = deployed[provider];
    // Figures from before the poll loop (issue 14) describe another design: measure again rather than mix them.
    if (!figures.usage || figures.archivesPerCheck === undefined) throw new Error("benchmark 1's figures predate the deployed design: run `npm run bench -- --only polling,scale`");
    const { usage, archivesPerCheck } = figures;
    const { archives, start } = measuredOf(input.cost, provider);
    const endsAt = mean(workloads.flat().filter((check) => check.provider === provider).map((check) => check.endsAt));
    const perArchive = (f: (archive: ArchiveUsage) => number) => mean(archives.map(f)) * archivesPerCheck;
    const count = (archive: ArchiveUsage, names: string[]) => names.reduce((sum, name) => sum + (archive.s3Requests[name] ?? 0), 0);
    const source = input.pollQueues?.find((q) => q.provider === provider) ?? input.pollQueues?.find((q) => q.provider === undefined);
    const queue = source ? { queue: { batch: source.batchSize, mapping: mappingOf(source) } } : {};
    const polls = pollInvocations(DEPLOYED_STRATEGY, { ...usage, archiveInvocations: archivesPerCheck }, input.cost.measured.pollMs[provider] + PROVIDER_ROUND_TRIP_MS);
    return {
      id: provider,
      label: `${provider} (${figures.checks} checks a seed)`,
      provider,
      share: sizes[provider] / total,
      lifetimeSeconds: endsAt + (Number.isFinite(figures.latency.p50) ? figures.latency.p50 : 0),
      transitions: usage.transitions,
      sendTaskCalls: usage.sfnApiCalls,
      invocations: [
        { fn: 'start', count: 1, durationMs: input.startMs, perEvent: true },
        ...polls.filter((i) => i.count > 0).map((i) => ({ fn: i.fn, count: i.count, durationMs: i.durationMs, ...queue })),
        { fn: 'archive', count: archivesPerCheck, durationMs: mean(archives.map((a) => a.durationMs)) },
      ],
      s3: { puts: perArchive((a) => count(a, S3_PUT_CLASS)), gets: perArchive((a) => count(a, S3_GET_CLASS)) },
      // The start function's writes once per check (its `started` item, in the open-checks index, and the seen marker),
      // the archive's per invocation.
      dynamo: {
        tableUnits: start.recordWrites.tableUnits + perArchive((a) => a.recordWrites.tableUnits),
        indexUnits: indexUnitsOf(archives, archivesPerCheck, start.recordWrites),
        largestEntryBytes: Math.max(0, ...[start.recordWrites, ...archives.map((a) => a.recordWrites)].flatMap((w) => w.indexWrites.map((i) => i.entryBytes))),
      },
    } satisfies CheckProfile;
  });
}

/** The start and archive invocations measured for the provider's check (benchmark 4 measures one check per provider). */
function measuredOf(cost: ProfileInput['cost'], provider: ProviderName): { archives: ArchiveUsage[]; start: ScenarioUsage['start'] } {
  const scenario = COST_SCENARIOS.find((s) => s.plan.provider === provider);
  const usage = scenario && cost.measured.scenarios.find((s) => s.scenario === scenario.id);
  if (!usage || usage.archives.length === 0) throw new Error(`benchmark 4 measured no ${provider} archive`);
  if (usage.archives.some((archive) => !archive.recordWrites)) throw new Error('benchmark 4 results without record writes: run the cost benchmark again');
  // Figures from before the start function's writes were measured would leave the open-checks index out.
  if (!usage.start) throw new Error("benchmark 4 results without the start function's writes: run `npm run bench -- --only cost,scale`");
  return { archives: usage.archives, start: usage.start };
}

/**
 * Each index key's units per check: the start's writes once, the measured archive invocations' per invocation times
 * invocations per check.
 */
function indexUnitsOf(archives: readonly ArchiveUsage[], archivesPerCheck: number, start: RecordWrites): CheckProfile['dynamo']['indexUnits'] {
  const byKey = new Map<string, { index: string; key: string; units: number }>();
  const add = (write: RecordWrites['indexWrites'][number], times: number) => {
    const id = `${write.index} ${write.key}`;
    const entry = byKey.get(id) ?? { index: write.index, key: write.key, units: 0 };
    entry.units += write.units * times;
    byKey.set(id, entry);
  };
  for (const write of start.indexWrites) add(write, 1);
  for (const archive of archives) for (const write of archive.recordWrites.indexWrites) add(write, archivesPerCheck / archives.length);
  return [...byKey.values()];
}
