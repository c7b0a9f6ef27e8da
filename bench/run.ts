/**
 * `npm run bench [-- --quick] [--only polling,archive,e2e,cost,scale]`: the four benchmarks of issue 7, one after the
 * other (each in child processes), then the scale model over their figures (issue 18), the tables, the target
 * verdicts, bench/results.json and bench/chart.svg. A full run takes several minutes; --quick is a smoke run with
 * small samples (figures not meaningful). `--only scale` models again from the figures in bench/results.json.
 */
import '../local/promise-shim';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { benchmarkArchive, type ArchiveOptions, type ArchiveResult } from './archive';
import { benchmarkCost, type CostResult } from './cost';
import { benchmarkE2e, type E2eFigures } from './e2e';
import type { E2eInput } from './e2e/run-stack';
import { renderChart } from './lib/chart';
import { describeMachine } from './lib/machine';
import { benchmarkPolling, type PollingOptions, type PollingResult } from './polling';
import { join } from 'node:path';
import { writeGeneratedSection } from '../local/generated-section';
import { PROJECT_ROOT } from '../local/paths';
import { pollingCostPerCheck } from './cost/workload';
import { usd } from './lib/table';
import { archiveVerdicts, costVerdicts, figuresMarkdown, pollingVerdicts, TARGETS, type BenchResults, type Verdict } from './report';
import { deployedSettings, modelScale, type ScaleResult } from './scale';
import { scaleMarkdown, scaleReadme } from './scale/report';

const BENCHMARKS_DOC = join(PROJECT_ROOT, 'docs', 'benchmarks.md');

// The servers of benchmarks 2 and 4 run in this process; the SDK's Node 20 notice is not a benchmark finding.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MIB = 2 ** 20;
const BENCHMARKS = ['polling', 'archive', 'e2e', 'cost', 'scale'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

function settings(quick: boolean) {
  const polling: PollingOptions = {
    seeds: quick ? [1] : [1, 2, 3],
    sizes: quick ? { liveness: 30, kyc: 30, verification: 15 } : { liveness: 200, kyc: 200, verification: 100 },
    timeFactor: 5_000,
    parallel: 3,
    arrivalRate: 100,
  };
  const archive: ArchiveOptions = {
    throughputMiB: quick ? [8] : [8, 64],
    repetitions: quick ? 2 : 7,
    variants: [
      { name: 'deployed', kind: 'multipart', partSize: 5 * MIB, queueSize: 1 },
      { name: 'wider', kind: 'multipart', partSize: 16 * MIB, queueSize: 4 },
      { name: 'single-put', kind: 'single-put', partSize: 0, queueSize: 0 },
    ],
    rssImageMiB: quick ? 32 : 200,
    rssRuns: quick ? 1 : 3,
    livenessFrames: 50,
    livenessFrameKiB: 300,
    livenessRuns: quick ? 2 : 7,
  };
  const e2e: E2eInput = { batchSize: quick ? 15 : 90, batches: quick ? 1 : 3, warmupChecks: 9, submitConcurrency: 8 };
  return { polling, archive, e2e, costRepetitions: quick ? 1 : 5 };
}

async function timed<T>(name: string, work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  process.stderr.write(`${name}…\n`);
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`${name}: ${seconds.toFixed(0)} s\n`);
  return { value, seconds };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } }, strict: true });
  const only = new Set((values.only?.split(',') ?? BENCHMARKS).map((name) => name.trim()) as Benchmark[]);
  for (const name of only) if (!BENCHMARKS.includes(name)) throw new RangeError(`unknown benchmark: ${name}`);
  const quick = values.quick ?? false;
  const config = settings(quick);
  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  const seconds: Record<string, number> = {};

  let polling: PollingResult | undefined;
  let archive: ArchiveResult | undefined;
  let e2e: E2eFigures | undefined;
  let cost: CostResult | undefined;
  if (only.has('polling')) ({ value: polling, seconds: seconds.polling } = await timed('1. polling economy', () => benchmarkPolling(config.polling)));
  if (only.has('archive')) ({ value: archive, seconds: seconds.archive } = await timed('2. archive throughput and memory', () => benchmarkArchive(config.archive)));
  if (only.has('e2e')) ({ value: e2e, seconds: seconds.e2e } = await timed('3. end-to-end local throughput', () => benchmarkE2e(config.e2e)));
  if (only.has('cost')) {
    ({ value: cost, seconds: seconds.cost } = await timed('4. cost per 1,000 checks', () =>
      benchmarkCost({
        repetitions: config.costRepetitions,
        timeFactor: config.polling.timeFactor,
        // Without benchmark 3 in this run: typical local figures, marked in results.json.
        startMs: e2e?.sequentialSubmitMs ?? 40,
        historyEventBytes: e2e?.historyEventBytes ?? 260,
      }),
    ));
  }

  // The scale model needs benchmarks 1, 3 and 4: from this run, or from the last one's results.json, whose other
  // figures are kept (a partial run with the model updates results.json rather than dropping what it did not run).
  let scale: ScaleResult | undefined;
  let stored: BenchResults | undefined;
  if (only.has('scale')) {
    if (BENCHMARKS.some((name) => !only.has(name))) stored = JSON.parse(await readFile(new URL('./results.json', import.meta.url), 'utf8')) as BenchResults;
    const inputs = { polling: polling ?? stored?.polling, cost: cost ?? stored?.cost, e2e: e2e ?? stored?.e2e };
    if (!inputs.polling || !inputs.cost) throw new Error('the scale model needs the polling and cost benchmarks: run them (or all) first');
    ({ value: scale, seconds: seconds.scale } = await timed('5. scale model', async () =>
      modelScale({ ...deployedSettings(), polling: inputs.polling!, cost: inputs.cost!, startMs: inputs.e2e?.sequentialSubmitMs ?? inputs.cost!.options.startMs }),
    ));
  }

  const verdicts: Verdict[] = [
    ...(polling ? pollingVerdicts(polling) : []),
    ...(cost ? costVerdicts(cost) : []),
    ...(archive ? archiveVerdicts(archive) : []),
  ];
  const results: BenchResults = {
    startedAt,
    mode: quick ? 'quick' : 'full',
    machine,
    seconds,
    targets: TARGETS,
    verdicts,
    ...(polling ? { polling } : {}),
    ...(archive ? { archive } : {}),
    ...(e2e ? { e2e } : {}),
    ...(cost ? { cost: { ...cost, startFromE2e: e2e !== undefined } } : {}),
    ...(scale ? { scale } : {}),
  };
  // A scale model over stored figures keeps them in results.json, with their verdicts, and says which they are.
  const reused = stored
    ? Object.fromEntries(
        (['polling', 'archive', 'e2e', 'cost'] as const).filter((name) => !results[name] && stored![name]).map((name) => [name, stored!.reused?.[name] ?? stored!.startedAt]),
      )
    : {};
  const saved: BenchResults = stored
    ? {
        ...stored,
        ...results,
        verdicts: [
          ...pollingVerdicts((polling ?? stored.polling)!),
          ...((cost ?? stored.cost) ? costVerdicts((cost ?? stored.cost)!) : []),
          ...((archive ?? stored.archive) ? archiveVerdicts((archive ?? stored.archive)!) : []),
        ],
        reused,
      }
    : results;
  console.log(`# audit-archiver benchmarks${quick ? ' (quick: small samples, figures not meaningful)' : ''}\n\n${figuresMarkdown(results, config.polling)}`);
  if (scale) console.log(`### 5. Scale model\n\n${scaleMarkdown(scale)}`);
  // Only a full run says something worth keeping in the documentation (the scale model also from a stored full run).
  if (!quick && only.size === BENCHMARKS.length) {
    await writeGeneratedSection(BENCHMARKS_DOC, 'bench-figures', figuresMarkdown(results, config.polling));
    process.stderr.write('wrote the figures of docs/benchmarks.md\n');
  }
  if (scale && !quick && (only.size === BENCHMARKS.length || stored?.mode === 'full')) {
    await writeGeneratedSection(BENCHMARKS_DOC, 'bench-scale', scaleMarkdown(scale));
    await writeGeneratedSection(join(PROJECT_ROOT, 'README.md'), 'scale-quotas', scaleReadme(scale));
    process.stderr.write('wrote the scale model of docs/benchmarks.md and its summary in README.md\n');
  }
  await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(saved, null, 2)}\n`);
  if (polling) {
    const per1000 = (id: string) => pollingCostPerCheck(polling.median[id]!.all.usage) * 1000;
    const points = polling.strategies.map((s) => ({
      label: s.id,
      x: per1000(s.id),
      p95Seconds: polling.median[s.id]!.all.latencyFast.p95,
      highlight: s.id === 'ours',
    }));
    const chart = renderChart(points, { maxX: per1000('fixed-60s'), maxP95Seconds: TARGETS.fastP95Seconds }, {
      title: 'Polling designs: cost per 1,000 checks vs p95 latency (workload of benchmark 1)',
      xLabel: 'polling cost per 1,000 checks, USD (log scale): Step Functions, SQS, poll function, logs',
      format: usd,
    });
    await writeFile(new URL('./chart.svg', import.meta.url), chart);
  }
  process.stderr.write(`wrote bench/results.json${polling ? ' and bench/chart.svg' : ''}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
