/** Turns the results into the printed tables and the target verdicts. Pure (tested in test/bench/cost-report.test.ts). */
import type { ArchiveResult } from './archive';
import type { CostResult } from './cost';
import type { E2eFigures } from './e2e';
import { markdownTable, num, usd } from './lib/table';
import type { Machine } from './lib/machine';
import type { PollingOptions, PollingResult } from './polling';
import type { GroupFigures } from './polling/metrics';
import type { ScaleResult } from './scale';

export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

export const TARGETS = {
  transitionsVsOneSecond: 1 / 7,
  fastP95Seconds: 15,
  windowMisses: 0,
  streamRatio: 0.8,
  rssGrowthMiB: 64,
} as const;

const SCOPES = ['all', 'liveness', 'kyc', 'verification'] as const;

export function pollingVerdicts(polling: PollingResult): Verdict[] {
  const mine = polling.median.ours!;
  const fixed = polling.median['fixed-1s']!;
  const verdicts: Verdict[] = SCOPES.map((scope) => {
    const ratio = mine[scope].transitionsPerCheck / fixed[scope].transitionsPerCheck;
    return {
      target: `ours: transitions ≤ 1/7 of the 1 s poller (${scope})`,
      measured: `${num(mine[scope].transitionsPerCheck)} vs ${num(fixed[scope].transitionsPerCheck)} = 1/${num(1 / ratio)}`,
      met: ratio <= TARGETS.transitionsVsOneSecond,
    };
  });
  verdicts.push({
    target: `ours: p95 latency ≤ ${TARGETS.fastP95Seconds} s for checks done within 10 min`,
    measured: `${num(mine.all.latencyFast.p95)} s (liveness ${num(mine.liveness.latencyFast.p95)}, KYC ${num(mine.kyc.latencyFast.p95)}, verification ${num(mine.verification.latencyFast.p95)})`,
    met: mine.all.latencyFast.p95 <= TARGETS.fastP95Seconds,
  });
  verdicts.push({
    target: 'ours: zero window misses (archived > 30 min after completion, or never)',
    measured: `${mine.all.windowMisses}`,
    met: mine.all.windowMisses === TARGETS.windowMisses,
  });
  return verdicts;
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
  return [num(g.latency.p50), num(g.latency.p95), num(g.latency.max, 0), num(g.latencyFast.p95)];
}

export function pollingTables(polling: PollingResult): string {
  const fixed = polling.median['fixed-1s']!;
  const overall = markdownTable(
    ['policy', 'transitions/check', 'vs 1 s poller', 'polls/check', 'latency p50 s', 'p95 s', 'max s', 'p95 (done ≤ 10 min) s', 'window misses', 'over 25k events'],
    polling.strategies.map((s) => {
      const g = polling.median[s.id]!.all;
      return [s.label, num(g.transitionsPerCheck), `1/${num(fixed.all.transitionsPerCheck / g.transitionsPerCheck)}`, num(g.pollsPerCheck), ...latencyCells(g), String(g.windowMisses), String(g.overHistoryLimit)];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const perProvider = markdownTable(
    ['policy', 'provider', 'transitions/check', 'vs 1 s poller', 'latency p50 s', 'p95 s', 'max s', 'p95 (done ≤ 10 min) s', 'escalation→archive p95 s', 'misses'],
    polling.strategies.flatMap((s) =>
      (['liveness', 'kyc', 'verification'] as const).map((provider) => {
        const g = polling.median[s.id]![provider];
        return [s.id, provider, num(g.transitionsPerCheck), `1/${num(fixed[provider].transitionsPerCheck / g.transitionsPerCheck)}`, ...latencyCells(g), num(g.escalationLatency.p95), String(g.windowMisses)];
      }),
    ),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  return `${overall}\n\n${perProvider}`;
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
      ['S3 requests per liveness archive (engine; bare: one PutObject per frame)', Object.entries(l.s3Requests).map(([name, count]) => `${count} ${name.replace(/Command$/, '')}`).join(', ')],
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
      .sort((a, b) => a[1].per1000.total - b[1].per1000.total)
      .map(([strategy, { usage, per1000 }]) => [
        s.label,
        strategy + (s.overHistoryLimit.includes(strategy) ? ' (fails on AWS: > 25k events)' : ''),
        String(usage.transitions),
        usd(per1000.stepFunctions),
        usd(per1000.lambdaRequests + per1000.lambdaCompute),
        usd(per1000.s3Requests + per1000.s3Storage),
        usd(per1000.dynamo),
        usd(per1000.logs),
        usd(per1000.total),
      ]),
  );
  return markdownTable(
    ['check', 'policy', 'transitions', 'Step Functions', 'Lambda', 'S3 (requests + 1 month)', 'DynamoDB', 'Logs', 'total / 1,000 checks'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

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
    out.push('Policies:', ...results.polling.strategies.map((s) => `- ${s.label}: ${s.description}`), '');
  }
  if (results.archive) out.push('### 2. Archive throughput and memory (s3rver on tmpfs, medians)', '', archiveTables(results.archive), '', archiveNotes(results.archive), '');
  if (results.e2e) out.push('### 3. End-to-end local throughput (zero-wait providers)', '', e2eTable(results.e2e), '');
  if (results.cost) out.push(`### 4. Cost per 1,000 checks (us-east-1 list prices, checked ${results.cost.pricesCheckedOn})`, '', costTable(results.cost), '');
  if (results.verdicts.length > 0) out.push('### Targets', '', verdictTable(results.verdicts), '');
  return out.join('\n');
}
