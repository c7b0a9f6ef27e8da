/**
 * Child side of benchmark 1: one seed's workload through the synthesized state machine under every policy, the
 * policies side by side (each on its own local Step Functions service), then the figures per provider and overall.
 */
import { pollingPolicySchema, type PollingPolicy } from '../../lambdas/polling/polling-policy';
import { PROVIDERS } from '../../lambdas/checks/check-status';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../../local/synthesize';
import { figuresOf, groupFigures, type CheckFigures, type GroupFigures } from './metrics';
import { simulate } from './simulate';
import { deployedStrategy, fixedStrategy, oracleStrategy, type PollingStrategy } from './strategies';
import { generateWorkload, type WorkloadSizes } from './workload';

export interface SeedInput {
  seed: number;
  sizes: WorkloadSizes;
  timeFactor: number;
}

export type FiguresByScope = Record<'all' | (typeof PROVIDERS)[number], GroupFigures>;

export interface StrategyInfo {
  id: string;
  label: string;
  description: string;
}

export interface SeedResult {
  seed: number;
  deployedPolicy: PollingPolicy;
  strategies: StrategyInfo[];
  figures: Record<string, FiguresByScope>;
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
    fixedStrategy(policy, 1, "the verification doc's polling example"),
    fixedStrategy(policy, 60, "AWS's Step Functions job-poller sample"),
    oracleStrategy(policy),
  ];
}

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
  const realSeconds: Record<string, number> = {};
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  try {
    await Promise.all(
      strategies.map(async (strategy) => {
        const started = performance.now();
        const simulated = await simulate({ definition: workflow.definition, strategy, checks, timeFactor: Math.min(input.timeFactor, strategy.maxTimeFactor ?? Infinity), runId: `s${input.seed}` });
        realSeconds[strategy.id] = (performance.now() - started) / 1000;
        figures[strategy.id] = byScope(simulated.map(figuresOf));
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  return {
    seed: input.seed,
    deployedPolicy: policy,
    strategies: strategies.map(({ id, label, description }) => ({ id, label, description })),
    figures,
    realSeconds,
    peakRssMiB: peakRss / 2 ** 20,
  };
}
