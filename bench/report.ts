/** Turns the results into the printed tables and the target verdicts. Pure (tested in test/bench/cost-report.test.ts). */
import type { ArchiveResult } from './archive';
import type { CostResult } from './cost';
import type { E2eFigures } from './e2e';
import { markdownTable, num, usd } from './lib/table';
import type { Machine } from './lib/machine';
import type { PollingOptions, PollingResult } from './polling';
import { pollingCostPerCheck } from './cost/workload';
import { HISTORY_EVENT_BUDGET, type GroupFigures } from './polling/metrics';
import type { ScaleResult } from './scale';

export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

export const TARGETS = {
  /** p95 completion → archive start, checks done within 10 minutes / later. */
  fastP95Seconds: 5,
  lateP95Seconds: 60,
  windowMisses: 0,
  /** No execution above a tenth of the 25,000-event history. */
  historyEvents: HISTORY_EVENT_BUDGET,
  /** Cost per 1,000 checks, storage aside, ≤ the fixed 60 s poller's in every cost scenario. */
  costVsFixed60s: 1,
  /** Webhooks on (issue 16): a resolved escalation archived within this many seconds (p95, virtual clock)… */
  webhookEscalationP95Seconds: 5,
  /** …at a polling cost per 1,000 checks within this multiple of the oracle's. */
  webhookCostVsOracle: 2,
  streamRatio: 0.8,
  rssGrowthMiB: 64,
} as const;

const PROVIDER_SCOPES = ['liveness', 'kyc', 'verification'] as const;
const DEPLOYED = 'ours';

export function pollingVerdicts(polling: PollingResult): Verdict[] {
  const mine = polling.median[DEPLOYED]!;
  const perProvider = (pick: (g: GroupFigures) => number) => PROVIDER_SCOPES.map((p) => `${p} ${num(pick(mine[p]))}`).join(', ');
  return [
    {
      target: `ours: p95 completion → archive ≤ ${TARGETS.fastP95Seconds} s for checks done within 10 min`,
      measured: `${num(mine.all.latencyFast.p95)} s (${perProvider((g) => g.latencyFast.p95)})`,
      met: mine.all.latencyFast.p95 <= TARGETS.fastP95Seconds,
    },
    {
      target: `ours: p95 completion → archive ≤ ${TARGETS.lateP95Seconds} s for checks done later`,
      measured: `${num(mine.all.latencyLate.p95)} s (${perProvider((g) => g.latencyLate.p95)})`,
      met: mine.all.latencyLate.p95 <= TARGETS.lateP95Seconds,
    },
    {
      target: 'ours: zero window misses (archived > 30 min after completion, or never)',
      measured: `${mine.all.windowMisses}`,
      met: mine.all.windowMisses === TARGETS.windowMisses,
    },
    {
      target: `ours: no execution above 10 % of the 25,000-event history (${TARGETS.historyEvents} events)`,
      measured: `largest ${num(mine.all.historyEventsMax, 0)} events; ${mine.all.overHistoryBudget} above`,
      met: mine.all.overHistoryBudget === 0,
    },
    ...webhookVerdicts(polling),
  ];
}

/** Issue 16's bar, when the run has the webhook row: escalations done after ten minutes are the reviews. */
function webhookVerdicts(polling: PollingResult): Verdict[] {
  const hooks = polling.median.webhooks;
  const oracle = polling.median.oracle;
  if (!hooks || !oracle) return [];
  const reviews = hooks.verification.latencyLate.p95;
  const ratio = pollingCostPerCheck(hooks.all.usage) / pollingCostPerCheck(oracle.all.usage);
  return [
    {
      target: `webhooks: p95 resolution → archive ≤ ${TARGETS.webhookEscalationP95Seconds} s for verifications done after 10 min (reviews)`,
      measured: `${num(reviews)} s (the loop alone: ${num(polling.median[DEPLOYED]!.verification.latencyLate.p95)} s)`,
      met: reviews <= TARGETS.webhookEscalationP95Seconds,
    },
    {
      target: `webhooks: polling cost per 1,000 checks ≤ ${TARGETS.webhookCostVsOracle}× the oracle's`,
      measured: `${num(ratio, 2)}× (${usd(pollingCostPerCheck(hooks.all.usage) * 1000)} vs ${usd(pollingCostPerCheck(oracle.all.usage) * 1000)})`,
      met: ratio <= TARGETS.webhookCostVsOracle,
    },
  ];
}

/** Per cost scenario: the deployed design against the fixed 60 s poller, storage aside. */
export function costVerdicts(cost: CostResult): Verdict[] {
  return cost.scenarios.map((scenario) => {
    const mine = scenario.byStrategy[DEPLOYED]!.per1000.totalWithoutStorage;
    const fixed = scenario.byStrategy['fixed-60s']!.per1000.totalWithoutStorage;
    return {
      target: `ours: cost per 1,000 checks ≤ the fixed 60 s poller's, storage aside (${scenario.label})`,
      measured: `${usd(mine)} vs ${usd(fixed)} (${num(mine / fixed, 2)}×)`,
      met: mine <= fixed * TARGETS.costVsFixed60s,
    };
  });
}

export function archiveVerdicts(archive: ArchiveResult): Verdict[] {
  const largest = Math.max(...archive.throughput.map((t) => t.sizeMiB));
  const deployed = archive.throughput.find((t) => t.variant === 'deployed' && t.sizeMiB === largest);
  return [
    {
      target: `streamed download→S3 ≥ ${TARGETS.streamRatio} × bare PutObject throughput (${num(largest, 0)} MiB, deployed upload settings)`,
      measured: deployed ? `${num(deployed.ratio, 2)} (${num(deployed.streamedMiBps, 0)} vs ${num(deployed.bareMiBps, 0)} MiB/s)` : 'not measured',
      met: deployed !== undefined && deployed.ratio >= TARGETS.streamRatio,
    },
    {
      target: `peak RSS growth ≤ ${TARGETS.rssGrowthMiB} MiB archiving one ${archive.rss.imageMiB} MiB image`,
      measured: `${num(archive.rss.growthMiB)} MiB (${archive.rss.method})`,
      met: archive.rss.growthMiB <= TARGETS.rssGrowthMiB,
    },
  ];
}

export function verdictTable(verdicts: readonly Verdict[]): string {
  return markdownTable(['target', 'measured', 'met'], verdicts.map((v) => [v.target, v.measured, v.met ? 'yes' : '**NO**']));
}

function latencyCells(g: GroupFigures): string[] {
  return [num(g.latency.p50), num(g.latency.p95), num(g.latency.max, 0), num(g.latencyFast.p95), num(g.latencyLate.p95)];
}

export function pollingTables(polling: PollingResult): string {
  const measured = polling.strategies.filter((s) => s.kind !== 'modelled');
  const overall = markdownTable(
    ['policy (real runs of the state machine)', 'transitions/check', 'polls/check', 'latency p50 s', 'p95 s', 'max s', 'p95 done ≤ 10 min', 'p95 done later', 'window misses', 'largest history', 'over 25k events'],
    measured.map((s) => {
      const g = polling.median[s.id]!.all;
      return [s.label, num(g.transitionsPerCheck), num(g.pollsPerCheck), ...latencyCells(g), String(g.windowMisses), num(g.historyEventsMax, 0), String(g.overHistoryLimit)];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const perProvider = markdownTable(
    ['policy', 'provider', 'transitions/check', 'polls/check', 'latency p50 s', 'p95 s', 'max s', 'p95 done ≤ 10 min', 'p95 done later', 'escalation→archive p95 s', 'misses'],
    measured.flatMap((s) =>
      PROVIDER_SCOPES.map((provider) => {
        const g = polling.median[s.id]![provider];
        return [s.id, provider, num(g.transitionsPerCheck), num(g.pollsPerCheck), ...latencyCells(g), num(g.escalationLatency.p95), String(g.windowMisses)];
      }),
    ),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  return `${overall}\n\n${perProvider}`;
}

/** The deployed design and the candidates: what one check bills on average over the workload. */
export function designTable(polling: PollingResult): string {
  const designs = polling.strategies.filter((s) => s.id === DEPLOYED || s.id === 'webhooks' || s.kind === 'modelled' || s.id === 'previous' || s.id === 'fixed-60s');
  return markdownTable(
    ['design', 'Standard transitions', 'Express runs', 'Express s', 'SQS messages', 'poll invocations', 'held Lambda s', 'durable ops', 'largest history', 'over 2,500 events', 'polling $ / 1,000 checks'],
    designs.map((s) => {
      const g = polling.median[s.id]!.all;
      const u = g.usage;
      return [
        `${s.label}${s.kind === 'modelled' ? ' (modelled)' : ''}`,
        num(u.transitions),
        num(u.expressExecutions, 2),
        num(u.expressSeconds, 0),
        num(u.sqsMessages),
        num(u.polls + u.hops + u.heldInvocations),
        num(u.heldSeconds, 0),
        num(u.durableOperations),
        num(g.historyEventsMax, 0),
        String(g.overHistoryBudget),
        usd(pollingCostPerCheck(u) * 1000),
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

/** At the stated arrival rate: the poll function's concurrency (Little's law; peak by Monte Carlo) and the API rates. */
export function concurrencyTable(polling: PollingResult): string {
  const rate = polling.options.arrivalRate;
  const rows = polling.strategies
    .filter((s) => polling.concurrency[s.id])
    .map((s) => {
      const c = polling.concurrency[s.id]!;
      const u = polling.median[s.id]!.all.usage;
      const invocations = u.polls + u.hops + u.heldInvocations + u.durableResumes;
      return [
        `${s.id}${s.kind === 'modelled' ? ' (modelled)' : ''}`,
        num(c.mean, 0),
        num(c.peak, 0),
        num(rate * invocations, 0),
        num(rate * u.sqsMessages * 3, 0),
        num(rate * u.transitions, 0),
        num(rate * (u.durableOperations > 0 ? 0 : 1 + u.sfnApiCalls), 0),
      ];
    });
  return markdownTable(
    ['design', 'Lambda concurrency, mean', 'peak (100 ms bins, 10 min)', 'invocations/s', 'SQS requests/s', 'Standard transitions/s', 'Step Functions API calls/s'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

export function archiveTables(archive: ArchiveResult): string {
  const throughput = markdownTable(
    ['image', 'upload (part × in flight)', 'streamed MiB/s', 'bare PutObject MiB/s', 'bare multipart MiB/s', 'streamed / PutObject', 'streamed / multipart'],
    archive.throughput.map((t) => [
      `${num(t.sizeMiB, 0)} MiB`,
      t.kind === 'multipart' ? `${t.variant} (${num(t.partSizeMiB, 0)} MiB × ${t.queueSize})` : `${t.variant} (not adopted: one streamed PutObject)`,
      num(t.streamedMiBps, 0),
      num(t.bareMiBps, 0),
      num(t.bareMultipartMiBps, 0),
      num(t.ratio, 2),
      num(t.ratioToMultipart, 2),
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
  );
  const l = archive.liveness;
  const memory = markdownTable(
    ['measurement', 'figure'],
    [
      [`peak RSS growth, engine archiving one ${archive.rss.imageMiB} MiB KYC image (streamed)`, `${num(archive.rss.growthMiB)} MiB`],
      [`peak RSS growth, naive download-into-memory then PutObject (${archive.rssBuffered.imageMiB} MiB)`, `${num(archive.rssBuffered.growthMiB)} MiB`],
      [`liveness: engine archiving ${l.frames} frames × ${l.frameKiB} KiB (${num(l.decodedMiB)} MiB decoded)`, `${num(l.engineMs, 0)} ms = ${num(l.engineMiBps)} MiB/s`],
      ['… of which fetching and parsing the provider answer', `${num(l.fetchMs, 0)} ms`],
      ['… decode + upload + manifest + record (engine − fetch)', `${num(l.decodeUploadMs, 0)} ms`],
      [`bare PutObject of the decoded frames (same concurrency)`, `${num(l.bareMs, 0)} ms = ${num(l.bareMiBps)} MiB/s (engine/bare ${num(l.ratio, 2)})`],
      ['S3 requests per liveness archive (engine; bare: one PutObject per frame)', Object.entries(l.s3Requests).map(([name, count]) => `${count} ${name.replace('Command', '')}`).join(', ')],
    ],
  );
  return `${throughput}\n\n${memory}`;
}

/**
 * Why the deployed upload stays multipart although single-put measures faster, and why the streamed target is
 * missed: figures from the largest image, the reasons from what cannot be seen in a table.
 */
export function archiveNotes(archive: Pick<ArchiveResult, 'throughput'>): string {
  const largest = Math.max(...archive.throughput.map((t) => t.sizeMiB));
  const at = (variant: string) => archive.throughput.find((t) => t.variant === variant && t.sizeMiB === largest);
  const deployed = at('deployed');
  const single = at('single-put');
  const notes: string[] = [];
  if (single) {
    notes.push(
      `- single-put is measured, not adopted: ${num(single.streamedMiBps, 0)} MiB/s at ${num(largest, 0)} MiB (${num(single.ratio, 2)} × bare PutObject). ` +
        'On s3rver a streamed PutObject whose source is cut mid-stream leaves a partial object behind (an orphan the reliability invariants catch). ' +
        'Real S3 stores a PUT atomically, but that cannot be verified on this machine, so the engine keeps the multipart Upload, which an interrupted download aborts without an object.',
    );
  }
  if (deployed && deployed.ratio < TARGETS.streamRatio) {
    notes.push(
      `- The streamed target is missed (${num(deployed.ratio, 2)} < ${TARGETS.streamRatio}): s3rver's multipart upload alone, bytes already in memory, runs at ${num(deployed.bareMultipartMiBps, 0)} MiB/s, ` +
        `${num(deployed.bareMiBps / deployed.bareMultipartMiBps, 1)}× slower than one PutObject (${num(deployed.bareMiBps, 0)} MiB/s). ` +
        'On top of that the streamed path downloads, hashes (sha256) and uploads at once, on 2 cores shared with s3rver and the image host.',
    );
  }
  return notes.join('\n');
}

export function e2eTable(e2e: E2eFigures): string {
  return markdownTable(
    ['measurement', 'figure'],
    [
      ['checks per minute (median of batches)', num(e2e.checksPerMinute, 0)],
      ['batches', e2e.batches.map((b) => `${b.checks} checks in ${num(b.seconds)} s`).join('; ')],
      ['start handler per event, one at a time (median)', `${num(e2e.sequentialSubmitMs)} ms`],
      ['checks without their archived record', String(e2e.problems)],
    ],
  );
}

export function costTable(cost: CostResult): string {
  const rows = cost.scenarios.flatMap((s) =>
    Object.entries(s.byStrategy)
      .sort((a, b) => a[1].per1000.totalWithoutStorage - b[1].per1000.totalWithoutStorage)
      .map(([strategy, { usage, per1000 }]) => [
        s.label,
        strategy + (MODELLED_IDS.has(strategy) ? ' (modelled)' : '') + (s.overHistoryLimit.includes(strategy) ? ' (fails on AWS: > 25k events)' : ''),
        String(usage.transitions),
        usd(per1000.stepFunctions),
        usd(per1000.stepFunctionsExpress),
        usd(per1000.sqs),
        usd(per1000.lambdaRequests + per1000.lambdaCompute),
        usd(per1000.durable),
        usd(per1000.s3Requests),
        usd(per1000.dynamo),
        usd(per1000.logs),
        usd(per1000.totalWithoutStorage),
        usd(per1000.s3Storage),
      ]),
  );
  return markdownTable(
    ['check', 'design', 'transitions', 'Standard', 'Express', 'SQS', 'Lambda', 'durable', 'S3 requests', 'DynamoDB', 'Logs', 'total, storage aside', 'S3 storage (1 month)'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

const MODELLED_IDS = new Set(['express', 'retry', 'durable', 'lambda-loop']);

export function machineLine(machine: Machine): string {
  return `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' / ')}`;
}

/** What bench/results.json holds: every figure of a run, the machine and the verdicts. */
export interface BenchResults {
  startedAt: string;
  mode: 'quick' | 'full';
  machine: Machine;
  seconds: Record<string, number>;
  targets: typeof TARGETS;
  verdicts: Verdict[];
  polling?: PollingResult;
  archive?: ArchiveResult;
  e2e?: E2eFigures;
  cost?: CostResult & { startFromE2e: boolean };
  /** The scale model over benchmarks 1, 3 and 4 (bench/scale.ts). */
  scale?: ScaleResult;
  /** Figures kept from earlier runs (`--only scale`, `--only cost,scale`): when each kept benchmark ran. */
  reused?: Partial<Record<'polling' | 'archive' | 'e2e' | 'cost', string>>;
}

/** The figures of a run as Markdown: printed by the bench, and the generated part of docs/benchmarks.md. */
export function figuresMarkdown(results: BenchResults, polling: Pick<PollingOptions, 'sizes'>): string {
  const out: string[] = [`Run of ${results.startedAt.slice(0, 10)} on ${machineLine(results.machine)}.`, ''];
  if (results.polling) {
    const checks = Object.values(polling.sizes).reduce((a, b) => a + b, 0);
    out.push(`### 1. Polling economy — median of ${results.polling.seeds.length} seeds × ${checks} checks`, '', pollingTables(results.polling), '');
    out.push('Designs — what a check bills on average (polling $: Step Functions, SQS, the poll function, durable operations and their logs, at benchmark 1\'s assumed durations):', '', designTable(results.polling), '');
    out.push(`Poll function concurrency and API rates at ${results.polling.options.arrivalRate} checks/s (one message per invocation; Lambda batches would divide the concurrency):`, '', concurrencyTable(results.polling), '');
    out.push('Policies and designs:', ...results.polling.strategies.map((s) => `- ${s.label}: ${s.description}`), '');
  }
  if (results.archive) out.push('### 2. Archive throughput and memory (s3rver on tmpfs, medians)', '', archiveTables(results.archive), '', archiveNotes(results.archive), '');
  if (results.e2e) out.push('### 3. End-to-end local throughput (zero-wait providers)', '', e2eTable(results.e2e), '');
  if (results.cost) out.push(`### 4. Cost per 1,000 checks (us-east-1 list prices, checked ${results.cost.pricesCheckedOn})`, '', costTable(results.cost), '');
  if (results.verdicts.length > 0) out.push('### Targets', '', verdictTable(results.verdicts), '');
  return out.join('\n');
}
