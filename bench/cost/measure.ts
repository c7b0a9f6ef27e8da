/**
 * Child side of benchmark 4: the usage behind one check of each scenario.
 * - State machine: the scenario's plan through the synthesized definition under each policy (transitions, history
 *   events, poll and archive invocations, poll-loop messages), as in benchmark 1; the candidate designs modelled on
 *   the deployed run (bench/polling/designs.ts).
 * - Functions: the real archive engine on the scenario's fake check with counted S3 and DynamoDB requests, and the
 *   real poll (provider client over HTTP) on a pending check — local durations, medians of `repetitions`.
 */
import { archiveCheck } from '../../lambdas/archive/engine';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { BENCH_KEY } from '../lib/identifier-key';
import { pollCheck } from '../../lambdas/polling/poll-check';
import type { ProviderName } from '../../lambdas/checks/check-status';
import type { WorkflowCheck } from '../../lambdas/checks/workflow-contract';
import { SIZING } from '../../lib/defaults';
import { synthesizeWorkflow } from '../../local/synthesize';
import { archiveDepsFor, createRequestCounter, startCheckOnce } from '../lib/archive-deps';
import type { Endpoints } from '../lib/servers';
import { median } from '../lib/stats';
import { measuredUsage, usageOf, type DesignUsage } from '../polling/designs';
import { deployedPollingPolicy, MODELLED, strategiesFor } from '../polling/seed';
import { simulate, type SimulatedCheck } from '../polling/simulate';
import { createWriteTracker, type RecordWrites } from '../scale/index-writes';
import { dynamoUnits } from './model';
import { COST_SCENARIOS } from './scenarios';

export interface MeasureInput {
  endpoints: Endpoints;
  /** Per scenario id: fake check ids, one per repetition. */
  checkIds: Record<string, Array<{ checkId: string; clientKey?: string }>>;
  /** Per provider: ids of checks that stay pending. */
  pendingIds: Record<ProviderName, string>;
  repetitions: number;
  timeFactor: number;
}

export interface WorkflowUsage extends DesignUsage {
  archiveInvocations: number;
}

/** One archive invocation's usage (median duration; counts from the last repetition, identical across them). */
export interface ArchiveUsage {
  durationMs: number;
  s3Requests: Record<string, number>;
  dynamoRequests: Record<string, number>;
  /** Estimated DynamoDB units: writes ⌈request KiB⌉ × (table + indexes the item is in), reads 1 per GetItem. */
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  /** The record writes item by item and index by index (the scale model's hot keys and table load). */
  recordWrites: RecordWrites;
  objects: number;
  bytes: number;
  status: string;
}

export interface ScenarioUsage {
  scenario: string;
  workflow: Record<string, WorkflowUsage>;
  archives: ArchiveUsage[];
  /** The start function's DynamoDB work for the check (its `started` item and seen marker), last repetition. */
  start: { dynamoRequests: Record<string, number>; recordWrites: RecordWrites };
}

export interface MeasureResult {
  scenarios: ScenarioUsage[];
  pollMs: Record<ProviderName, number>;
  /** Configured memory of each function (lib/defaults.ts SIZING). */
  memoryMb: Record<'start' | 'poll' | 'archive' | 'record' | 'durable', number>;
}

function check(provider: ProviderName, checkId: string, clientKey?: string): WorkflowCheck {
  return { provider, checkId, checkRef: checkRefOf(BENCH_KEY, provider, checkId), createdAt: new Date().toISOString(), ...(clientKey ? { clientKey } : {}) };
}

export async function run(input: MeasureInput): Promise<MeasureResult> {
  const workflow = synthesizeWorkflow();
  const policy = deployedPollingPolicy(workflow);
  const strategies = strategiesFor(policy);
  const scenarios: ScenarioUsage[] = [];

  for (const scenario of COST_SCENARIOS) {
    const planned = { ...scenario.plan, checkId: `cost_${scenario.id}`, checkRef: checkRefOf(BENCH_KEY, scenario.plan.provider, `cost_${scenario.id}`) };
    const workflowUsage: Record<string, WorkflowUsage> = {};
    let ours: SimulatedCheck | undefined;
    await Promise.all(
      strategies.map(async (strategy) => {
        const [simulated] = await simulate({
          definition: workflow.definition,
          strategy,
          checks: [planned],
          timeFactor: Math.min(input.timeFactor, strategy.maxTimeFactor ?? Infinity),
          runId: `cost-${scenario.id}`,
        });
        if (!simulated || simulated.status !== 'SUCCEEDED') throw new Error(`cost scenario ${scenario.id} under ${strategy.id}: ${simulated?.status}`);
        if (strategy.id === 'ours') ours = simulated;
        workflowUsage[strategy.id] = { ...measuredUsage(simulated), archiveInvocations: simulated.archives.length };
      }),
    );
    for (const design of MODELLED) workflowUsage[design] = { ...usageOf(design, ours!, policy), archiveInvocations: ours!.archives.length };

    // Each repetition archives a fresh check: the engine converges on what an earlier run stored, and would not redo it.
    const provider = scenario.plan.provider;
    const durations: number[][] = Array.from({ length: scenario.archives }, () => []);
    const last: ArchiveUsage[] = [];
    let start: ScenarioUsage['start'] | undefined;
    for (const { checkId, clientKey } of input.checkIds[scenario.id] ?? []) {
      // From the start function's items across the check's archive invocations: a later write replaces the earlier
      // item (index keys may move, the open-checks entry leaves with the final record).
      const writes = createWriteTracker();
      // One check, one createdAt, across its invocations (the index entries' sort key).
      const checked = check(provider, checkId, clientKey);
      const startCounter = createRequestCounter();
      const started = await startCheckOnce(input.endpoints, startCounter, { provider, checkId, ...(clientKey ? { clientKey } : {}) });
      if (started.status !== 'started') throw new Error(`cost scenario ${scenario.id}: the start function found the check ${started.status}`);
      start = { dynamoRequests: { ...startCounter.counts }, recordWrites: writes.add(startCounter.sequence) };
      for (let k = 0; k < scenario.archives; k++) {
        const s3Counter = createRequestCounter();
        const dynamoCounter = createRequestCounter();
        const deps = archiveDepsFor(input.endpoints, provider, { s3Counter, dynamoCounter });
        const began = performance.now();
        const output = await archiveCheck(deps, checked);
        durations[k]!.push(performance.now() - began);
        const units = dynamoUnits(dynamoCounter);
        last[k] = {
          durationMs: 0,
          s3Requests: { ...s3Counter.counts },
          dynamoRequests: { ...dynamoCounter.counts },
          dynamoWriteUnits: units.write,
          dynamoReadUnits: units.read,
          recordWrites: writes.add(dynamoCounter.sequence),
          objects: output.objects,
          bytes: output.bytes,
          status: output.status,
        };
      }
    }
    if (!start) throw new Error(`cost scenario ${scenario.id}: no repetitions`);
    scenarios.push({ scenario: scenario.id, workflow: workflowUsage, archives: last.map((usage, k) => ({ ...usage, durationMs: median(durations[k]!) })), start });
    process.stderr.write(`  cost: ${scenario.id} measured\n`);
  }

  const pollMs = {} as Record<ProviderName, number>;
  for (const provider of Object.keys(input.pendingIds) as ProviderName[]) {
    const deps = archiveDepsFor(input.endpoints, provider);
    const state = { check: check(provider, input.pendingIds[provider]) };
    const times: number[] = [];
    for (let i = 0; i < input.repetitions * 4; i++) {
      const started = performance.now();
      await pollCheck({ client: deps.client, policy, now: () => new Date() }, state);
      times.push(performance.now() - started);
    }
    pollMs[provider] = median(times.slice(2)); // the first requests open connections
  }
  // A durable function (design c) would poll as the poll function does: the same memory.
  const memoryMb = { start: SIZING.start.memorySize, poll: SIZING.poll.memorySize, archive: SIZING.archive.memorySize, record: SIZING.record.memorySize, durable: SIZING.poll.memorySize };
  return { scenarios, pollMs, memoryMb };
}
