/**
 * The webhook row of the polling benchmark: the deployed loop with wake-ups, simulated through the synthesized state
 * machine on the virtual clock, next to the loop alone. A resolved escalation is archived within 5 s of its resolution
 * (the bar) instead of within the review's 60 s, at a cost that stays within 2× the oracle's; with webhooks
 * on, polling is the safety net (lambdas/polling/polling-policy.ts withWebhooks), so checks are polled less.
 */
import { BENCH_KEY } from '../../bench/lib/identifier-key';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { pollingCostPerCheck } from '../../bench/cost/workload';
import { measuredUsage } from '../../bench/polling/designs';
import { figuresOf } from '../../bench/polling/metrics';
import { deployedPollingPolicy } from '../../bench/polling/seed';
import { simulate, type SimulatedCheck } from '../../bench/polling/simulate';
import { deployedStrategy, oracleStrategy, webhookStrategy } from '../../bench/polling/strategies';
import type { CheckPlan, PlannedCheck } from '../../bench/polling/workload';
import { synthesizeWorkflow } from '../../local/synthesize';

const plans: CheckPlan[] = [
  { provider: 'verification', outcome: 'escalated', escalatedAt: 40, endsAt: 7_237, deadline: 86_440 },
  { provider: 'liveness', outcome: 'complete', endsAt: 1_500 },
  { provider: 'verification', outcome: 'completed', endsAt: 20 },
] as CheckPlan[];
const checks: PlannedCheck[] = plans.map((plan, i) => ({ ...plan, checkId: `c${i}`, checkRef: checkRefOf(BENCH_KEY, plan.provider, `c${i}`) }));

let runs: Record<'ours' | 'webhooks' | 'oracle', SimulatedCheck[]>;

beforeAll(async () => {
  const workflow = synthesizeWorkflow();
  const policy = deployedPollingPolicy(workflow);
  const run = (strategy: Parameters<typeof simulate>[0]['strategy']) => simulate({ definition: workflow.definition, strategy, checks, timeFactor: 5_000, runId: strategy.id });
  const [ours, webhooks, oracle] = await Promise.all([run(deployedStrategy(policy)), run(webhookStrategy(policy)), run(oracleStrategy(policy))]);
  runs = { ours: ours!, webhooks: webhooks!, oracle: oracle! };
}, 120_000);

const byRef = (list: SimulatedCheck[], i: number) => list.find((r) => r.check.checkRef === checks[i]!.checkRef)!;

describe('bench: the poll loop with webhooks', () => {
  it('archives a resolved escalation within 5 s of its resolution, where the loop alone waits for its next review poll', () => {
    const woken = figuresOf(byRef(runs.webhooks, 0));
    const alone = figuresOf(byRef(runs.ours, 0));
    expect(woken.latency).toBeLessThanOrEqual(5);
    expect(alone.latency).toBeGreaterThan(5);
    expect(byRef(runs.webhooks, 0).status).toBe('SUCCEEDED');
    // Escalation archived once, then the final archive: the wake-up doubled nothing.
    expect(byRef(runs.webhooks, 0).archives.map((a) => a.kind)).toEqual(['escalation', 'evidence']);
  });

  it('leaves polling to the safety net: no 3 s fast phase, fewer polls, and still archived within 5 s of completion', () => {
    for (const i of [1, 2]) {
      expect(byRef(runs.webhooks, i).polls, checks[i]!.provider).toBeLessThan(byRef(runs.ours, i).polls);
      expect(figuresOf(byRef(runs.webhooks, i)).latency, checks[i]!.provider).toBeLessThanOrEqual(5);
    }
    // The liveness check ends 25 min in, in the loop's 60 s backoff: woken, where the loop alone could wait a minute.
    expect(byRef(runs.webhooks, 1).tasks[0]!.wakes).toBe(1);
  });

  it('costs less than 2× the oracle per check: the receiver, its writes and the loop\'s registrations included', () => {
    const cost = (list: SimulatedCheck[]) => list.reduce((sum, r) => sum + pollingCostPerCheck(measuredUsage(r)), 0);
    const usage = measuredUsage(byRef(runs.webhooks, 0));
    expect(usage.webhookRequests).toBe(2); // escalation and resolution
    expect(usage.wakeWrites).toBeGreaterThan(4);
    expect(cost(runs.webhooks)).toBeLessThan(2 * cost(runs.oracle));
    expect(cost(runs.webhooks)).toBeLessThan(cost(runs.ours));
  });
});
