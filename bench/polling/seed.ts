/**
 * Child side of benchmark 1: one seed's workload through the synthesized state machine under every policy (each on its
 * own local Step Functions service, side by side), the candidate designs modelled on the deployed run's polls, then
 * the figures per provider and overall, and the poll function's concurrency at the stated arrival rate.
 */
import { pollingPolicySchema, type PollingPolicy } from '../../lambdas/polling/polling-policy';
import { PROVIDERS } from '../../lambdas/checks/check-status';
import { createRng } from '../../local/reliability/rng';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../../local/synthesize';
import { concurrencyAt, type ConcurrencyFigures } from './concurrency';
import { busyIntervals, DESIGNS, usageOf, type DesignId } from './designs';
import { figuresOf, groupFigures, type CheckFigures, type GroupFigures } from './metrics';
import { simulate, type SimulatedCheck } from './simulate';
import { deployedStrategy, fixedStrategy, oracleStrategy, previousStrategy, webhookStrategy, type PollingStrategy } from './strategies';
import { generateWorkload, type WorkloadSizes } from './workload';

export interface SeedInput {
  seed: number;
  sizes: WorkloadSizes;
  timeFactor: number;
  /** Checks per second for the concurrency figures. */
  arrivalRate: number;
}

export type FiguresByScope = Record<'all' | (typeof PROVIDERS)[number], GroupFigures>;

export interface StrategyInfo {
  id: string;
  label: string;
  description: string;
  /** A real run of the synthesized state machine, or a design modelled on the deployed run's polls. */
  kind: 'measured' | 'modelled';
}

export interface SeedResult {
  seed: number;
  deployedPolicy: PollingPolicy;
  strategies: StrategyInfo[];
  figures: Record<string, FiguresByScope>;
  /** The poll function's concurrency at `arrivalRate`, per strategy or design. */
  concurrency: Record<string, ConcurrencyFigures>;
  realSeconds: Record<string, number>;
  peakRssMiB: number;
}

export function deployedPollingPolicy(workflow: SynthesizedWorkflow): PollingPolicy {
  const text = workflow.functionEnvironment('poll').POLLING_POLICY;
  if (!text) throw new Error('the synthesized poll function has no POLLING_POLICY');
  return pollingPolicySchema.parse(JSON.parse(text));
}

export function strategiesFor(policy: PollingPolicy): PollingStrategy[] {
  return [
    deployedStrategy(policy),
    webhookStrategy(policy),
    previousStrategy(),
    fixedStrategy(policy, 1, "the verification doc's polling example"),
    fixedStrategy(policy, 60, "AWS's Step Functions job-poller sample"),
    oracleStrategy(policy),
  ];
}

/** Designs modelled on the deployed run (bench/polling/designs.ts). */
export const MODELLED: Exclude<DesignId, 'ours'>[] = ['express', 'retry', 'durable', 'lambda-loop'];

function byScope(figures: CheckFigures[]): FiguresByScope {
  const scoped = Object.fromEntries(PROVIDERS.map((provider) => [provider, groupFigures(figures.filter((f) => f.provider === provider))]));
  return { all: groupFigures(figures), ...scoped } as FiguresByScope;
}

export async function run(input: SeedInput): Promise<SeedResult> {
  const workflow = synthesizeWorkflow();
  const policy = deployedPollingPolicy(workflow);
  const strategies = strategiesFor(policy);
  const checks = generateWorkload(input.seed, input.sizes);
  const figures: Record<string, FiguresByScope> = {};
  const concurrency: Record<string, ConcurrencyFigures> = {};
  const realSeconds: Record<string, number> = {};
  const runs: Record<string, SimulatedCheck[]> = {};
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  try {
    await Promise.all(
      strategies.map(async (strategy) => {
        const started = performance.now();
        runs[strategy.id] = await simulate({ definition: workflow.definition, strategy, checks, timeFactor: Math.min(input.timeFactor, strategy.maxTimeFactor ?? Infinity), runId: `s${input.seed}` });
        realSeconds[strategy.id] = (performance.now() - started) / 1000;
        figures[strategy.id] = byScope(runs[strategy.id]!.map((r) => figuresOf(r)));
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  const ours = runs.ours!;
  for (const design of MODELLED) figures[design] = byScope(ours.map((r) => figuresOf(r, usageOf(design, r, policy))));

  const window = { rate: input.arrivalRate, windowSeconds: 600, binSeconds: 0.1 };
  for (const [id, simulated] of Object.entries(runs)) {
    if (id === 'fixed-1s' || id === 'oracle') continue; // no contenders: the 1 s poller fails on AWS, the oracle is a bound
    concurrency[id] = concurrencyAt(simulated.map((r) => busyIntervals('measured', r, policy)), { ...window, rng: createRng(input.seed * 7919 + id.length) });
  }
  for (const design of MODELLED) {
    concurrency[design] = concurrencyAt(ours.map((r) => busyIntervals(design, r, policy)), { ...window, rng: createRng(input.seed * 7919 + design.length + 100) });
  }
  return {
    seed: input.seed,
    deployedPolicy: policy,
    strategies: [
      ...strategies.map(({ id, label, description }): StrategyInfo => ({ id, label, description, kind: 'measured' })),
      ...MODELLED.map((id): StrategyInfo => ({ id, label: DESIGNS[id].label, description: DESIGNS[id].description, kind: 'modelled' })),
    ],
    figures,
    concurrency,
    realSeconds,
    peakRssMiB: peakRss / 2 ** 20,
  };
}
