/**
 * Benchmark 4 — cost per 1,000 checks. Usage is measured (bench/cost/measure.ts, in a child): transitions and
 * invocations from the synthesized state machine, S3/DynamoDB requests and durations from the real archive engine
 * and poll against the emulators and fake providers; the start function's duration and the size of a logged
 * history event come from benchmark 3. Usage × AWS list prices (bench/cost/prices.ts).
 */
import type { ProviderName } from '../lambdas/checks/check-status';
import { runInChild } from './lib/child';
import { startServers } from './lib/servers';
import type { MeasureInput, MeasureResult } from './cost/measure';
import { addCounts, costOf, scaleCost, type Cost, type CheckUsage, type Invocations } from './cost/model';
import type { WorkflowUsage } from './cost/measure';
import { PRICES, PRICES_CHECKED_ON } from './cost/prices';
import { COST_SCENARIOS } from './cost/scenarios';
import { HISTORY_EVENT_LIMIT } from './polling/metrics';

/** Assumed CloudWatch Logs bytes per Lambda invocation: START/END/REPORT platform lines plus one application line. */
export const LAMBDA_LOG_BYTES_PER_INVOCATION = 400;

/** Assumed: the poll loop's SendMessage (or SendTaskSuccess) after the poll, and a hop that only passes a wait on. */
export const QUEUE_SEND_MS = 20;
export const HOP_MS = 30;
/** Assumed duration of one webhook receiver invocation (not measured here): a signature, two writes, one SendMessage. */
export const WEBHOOK_MS = 50;
/** Assumed: a durable function replaying its checkpoints on each resume. */
export const DURABLE_REPLAY_MS = 20;
/** SQS requests per poll-loop message: sent, received and deleted once (no batching: the conservative case). */
export const SQS_REQUESTS_PER_MESSAGE = 3;

/**
 * Assumed round trip of one provider status request from Lambda, added to the poll's local duration (the fake
 * providers answer over loopback in about a millisecond; a real provider API does not).
 */
export const PROVIDER_ROUND_TRIP_MS = 150;

export interface CostOptions {
  repetitions: number;
  timeFactor: number;
  /** From benchmark 3 (local figures). */
  startMs: number;
  historyEventBytes: number;
}

export interface ScenarioCost {
  scenario: string;
  /** Strategies whose execution would exceed AWS's 25,000-event history limit (and fail) on this check. */
  overHistoryLimit: string[];
  label: string;
  evidence: string;
  /** Per strategy id: the usage of one check and the cost of 1,000. */
  byStrategy: Record<string, { usage: CheckUsage; per1000: Cost }>;
}

export interface CostResult {
  options: CostOptions;
  prices: typeof PRICES;
  pricesCheckedOn: string;
  measured: MeasureResult;
  scenarios: ScenarioCost[];
}

/** The poll function's invocations under a design: polls, the loop's hops, a held fast phase, durable resumes. */
export function pollInvocations(design: string, workflow: WorkflowUsage, pollMs: number): Invocations[] {
  if (design === 'durable') {
    return [
      { fn: 'durable', count: workflow.polls, durationMs: pollMs + DURABLE_REPLAY_MS },
      { fn: 'durable', count: workflow.durableResumes, durationMs: DURABLE_REPLAY_MS },
    ];
  }
  const loop = workflow.sqsMessages > 0;
  return [
    { fn: 'poll', count: workflow.polls, durationMs: pollMs + (loop ? QUEUE_SEND_MS : 0) },
    { fn: 'poll', count: workflow.hops, durationMs: HOP_MS },
    { fn: 'poll', count: workflow.heldInvocations, durationMs: workflow.heldInvocations > 0 ? (workflow.heldSeconds * 1000) / workflow.heldInvocations : 0 },
    // The webhook receiver (256 MB, as the poll function): a signature, two DynamoDB writes and a SendMessage.
    ...(workflow.webhookRequests ? [{ fn: 'poll' as const, count: workflow.webhookRequests, durationMs: WEBHOOK_MS }] : []),
  ];
}

export async function benchmarkCost(options: CostOptions): Promise<CostResult> {
  const servers = await startServers();
  try {
    const checkIds: MeasureInput['checkIds'] = {};
    for (const scenario of COST_SCENARIOS) {
      checkIds[scenario.id] = Array.from({ length: options.repetitions }, () => {
        const created = servers.fakeProviders.addCheck(scenario.script);
        return { checkId: created.checkId, ...(created.clientKey ? { clientKey: created.clientKey } : {}) };
      });
    }
    const pendingIds = Object.fromEntries(
      (['liveness', 'kyc', 'verification'] as const).map((provider) => [provider, servers.fakeProviders.addCheck({ provider, pending: { ms: 365 * 86_400_000 } }).checkId]),
    ) as Record<ProviderName, string>;
    const measured = await runInChild<MeasureResult>('../cost/measure.ts', {
      endpoints: servers.endpoints,
      checkIds,
      pendingIds,
      repetitions: options.repetitions,
      timeFactor: options.timeFactor,
    } satisfies MeasureInput);

    const scenarios: ScenarioCost[] = COST_SCENARIOS.map((scenario) => {
      const usage = measured.scenarios.find((s) => s.scenario === scenario.id)!;
      const pollMs = measured.pollMs[scenario.plan.provider] + PROVIDER_ROUND_TRIP_MS;
      const byStrategy: ScenarioCost['byStrategy'] = {};
      for (const [strategy, workflow] of Object.entries(usage.workflow)) {
        // The workflow's archive invocations are the measured ones, in order (the escalation's, then the final).
        const archives = Array.from({ length: workflow.archiveInvocations }, (_, k) => usage.archives[Math.min(k, usage.archives.length - 1)]!);
        const invocations = [
          { fn: 'start' as const, count: 1, durationMs: options.startMs },
          ...pollInvocations(strategy, workflow, pollMs),
          ...archives.map((a) => ({ fn: 'archive' as const, count: 1, durationMs: a.durationMs })),
        ].filter((i) => i.count > 0);
        const checkUsage: CheckUsage = {
          transitions: workflow.transitions,
          expressRequests: workflow.expressExecutions,
          expressSeconds: workflow.expressSeconds,
          sqsRequests: workflow.sqsMessages * SQS_REQUESTS_PER_MESSAGE,
          durableOperations: workflow.durableOperations,
          invocations,
          s3Requests: addCounts(...archives.map((a) => a.s3Requests)),
          storedBytes: archives.reduce((sum, a) => sum + a.bytes, 0),
          dynamoWriteUnits: archives.reduce((sum, a) => sum + a.dynamoWriteUnits, 0) + (workflow.wakeWrites ?? 0),
          dynamoReadUnits: archives.reduce((sum, a) => sum + a.dynamoReadUnits, 0),
          logBytes: workflow.historyEvents * options.historyEventBytes + invocations.reduce((sum, i) => sum + i.count, 0) * LAMBDA_LOG_BYTES_PER_INVOCATION,
        };
        byStrategy[strategy] = { usage: checkUsage, per1000: scaleCost(costOf(checkUsage, measured.memoryMb), 1000) };
      }
      const overHistoryLimit = Object.entries(usage.workflow).filter(([, w]) => w.historyEvents > HISTORY_EVENT_LIMIT).map(([id]) => id);
      return { scenario: scenario.id, overHistoryLimit, label: scenario.label, evidence: scenario.evidence, byStrategy };
    });
    return { options, prices: PRICES, pricesCheckedOn: PRICES_CHECKED_ON, measured, scenarios };
  } finally {
    await servers.close();
  }
}
