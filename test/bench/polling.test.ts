import { describe, expect, it } from 'vitest';
import { DEFAULT_POLLING_POLICY } from '../../lambdas/polling/polling-policy';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import type { WorkflowState } from '../../lambdas/checks/workflow-contract';
import { figuresOf, groupFigures, IMAGE_WINDOW_SECONDS } from '../../bench/polling/metrics';
import { nextChangeAfter, statusAt } from '../../bench/polling/provider-model';
import type { SimulatedCheck } from '../../bench/polling/simulate';
import { deployedStrategy, fixedStrategy, oracleStrategy, previousStrategy } from '../../bench/polling/strategies';
import { firstChangeAt, generateWorkload, type CheckPlan, type PlannedCheck } from '../../bench/polling/workload';
import { TEST_KEY } from '../support/identifier-key';

const escalated = { provider: 'verification', outcome: 'escalated', escalatedAt: 10, endsAt: 7_210, deadline: 86_410 } as const;

function planned(plan: CheckPlan): PlannedCheck {
  return { ...plan, checkId: 'c1', checkRef: checkRefOf(TEST_KEY, plan.provider, 'c1') };
}

function stateOf(check: PlannedCheck, poll?: WorkflowState['poll']): WorkflowState {
  return { check: { provider: check.provider, checkId: check.checkId, checkRef: check.checkRef, createdAt: '2026-01-05T09:00:00.000Z' }, ...(poll ? { poll } : {}) };
}

describe('generateWorkload', () => {
  it('is deterministic per seed, sized per provider, and keeps times within their ranges', () => {
    const sizes = { liveness: 50, kyc: 40, verification: 30 };
    const a = generateWorkload(3, sizes);
    expect(generateWorkload(3, sizes)).toEqual(a);
    expect(generateWorkload(4, sizes)).not.toEqual(a);
    expect(a.filter((c) => c.provider === 'kyc')).toHaveLength(40);
    expect(new Set(a.map((c) => c.checkRef)).size).toBe(a.length);
    for (const check of a) {
      expect(check.endsAt).toBeGreaterThan(0);
      if (check.provider === 'liveness') expect(check.endsAt).toBeLessThanOrEqual(900);
      if (check.provider === 'kyc') expect(check.endsAt).toBeLessThanOrEqual(check.ttl);
      if (check.provider === 'verification' && check.outcome === 'escalated') expect(check.endsAt).toBeGreaterThan(check.escalatedAt);
    }
  });
});

describe('provider model', () => {
  it('answers pending, escalated, then complete for an escalated verification', () => {
    expect(statusAt(escalated, 5).kind).toBe('pending');
    const during = statusAt(escalated, 100);
    expect(during.kind).toBe('escalated');
    expect(during.kind === 'escalated' && Date.parse(during.escalation.deadline ?? '') > 0).toBe(true);
    expect(statusAt(escalated, 7_210).kind).toBe('complete');
    expect(nextChangeAfter(escalated, 0)).toBe(10);
    expect(nextChangeAfter(escalated, 10)).toBe(7_210);
    expect(nextChangeAfter(escalated, 7_210)).toBeUndefined();
    expect(firstChangeAt(escalated)).toBe(10);
  });

  it('counts a KYC session’s secondsToLive down and ends it as expired', () => {
    const kyc = { provider: 'kyc', outcome: 'expired', endsAt: 3_600, ttl: 3_600 } as const;
    const pending = statusAt(kyc, 3_000);
    expect(pending.kind === 'pending' && pending.secondsToLive).toBe(600);
    const end = statusAt(kyc, 3_600);
    expect(end.kind === 'no-result' && end.reason).toBe('expired');
  });
});

describe('strategies', () => {
  const liveness = planned({ provider: 'liveness', outcome: 'complete', endsAt: 30 });

  it('ours waits what the deployed policy says; fixed pollers replace only the wait', async () => {
    const ours = await deployedStrategy(DEFAULT_POLLING_POLICY).poll(stateOf(liveness), liveness, 0);
    expect(ours).toMatchObject({ state: 'pending', waitSeconds: DEFAULT_POLLING_POLICY.initialSeconds, attempt: 1 });
    const fixed = await fixedStrategy(DEFAULT_POLLING_POLICY, 60, 'test').poll(stateOf(liveness), liveness, 0);
    expect(fixed).toMatchObject({ state: 'pending', waitSeconds: 60 });
    const done = await fixedStrategy(DEFAULT_POLLING_POLICY, 60, 'test').poll(stateOf(liveness, fixed), liveness, 60);
    expect(done.state).toBe('complete');
  });

  it('the oracle starts at the first change and waits exactly until the next one', async () => {
    const check = planned(escalated);
    const oracle = oracleStrategy(DEFAULT_POLLING_POLICY);
    expect(oracle.startsAt(check)).toBe(10);
    const first = await oracle.poll(stateOf(check), check, 10);
    expect(first).toMatchObject({ state: 'escalated', waitSeconds: 7_200 });
  });

  it('ours polls in the loop every 3 s on the virtual clock for ten minutes, then at the full backoff; previous keeps its old schedule', async () => {
    const kyc = planned({ provider: 'kyc', outcome: 'success', endsAt: 3_000, ttl: 3_600 });
    const walk = async (strategy: ReturnType<typeof deployedStrategy>) => {
      let state = stateOf(kyc);
      let t = 0;
      const waits: Array<{ t: number; wait: number }> = [];
      while (t < 1_200) {
        const out = await strategy.poll(state, kyc, t);
        waits.push({ t, wait: out.waitSeconds });
        state = stateOf(kyc, out);
        t += out.waitSeconds;
      }
      return waits;
    };
    const ours = deployedStrategy(DEFAULT_POLLING_POLICY);
    expect(ours.loop).toBe(true);
    const waits = await walk(ours);
    expect(waits.filter((w) => w.t < 600).every((w) => w.wait === 3)).toBe(true);
    expect(waits.filter((w) => w.t >= 600 + 200).every((w) => w.wait === DEFAULT_POLLING_POLICY.maxSeconds)).toBe(true);
    const previous = await walk(previousStrategy());
    expect(previousStrategy().loop).toBeUndefined();
    expect(previous.slice(0, 4).map((w) => w.wait)).toEqual([3, 6, 12, 14]);
  });
});

describe('metrics', () => {
  const check = planned({ provider: 'liveness', outcome: 'complete', endsAt: 100 });
  const run = (overrides: Partial<SimulatedCheck>): SimulatedCheck => ({
    check,
    status: 'SUCCEEDED',
    transitions: 10,
    historyEvents: 30,
    polls: 3,
    tasks: [{ polls: [0, 3, 6], messages: 0, hops: [], heartbeats: 0 }],
    archives: [{ kind: 'evidence', at: 112 }],
    ...overrides,
  });

  it('measures latency from the final answer to the archive task, and the usage of the run', () => {
    const figures = figuresOf(run({}));
    expect(figures).toMatchObject({ latency: 12, finishedWithin10Min: true, succeeded: true, usage: { transitions: 10, polls: 3, sqsMessages: 0 } });
  });

  it('splits the latency at ten minutes: ≤ 5 s targeted before, ≤ 60 s after', () => {
    const late = planned({ provider: 'liveness', outcome: 'complete', endsAt: 700 });
    const group = groupFigures([figuresOf(run({})), figuresOf(run({ check: late, archives: [{ kind: 'evidence', at: 740 }] }))]);
    expect(group.latencyFast).toMatchObject({ n: 1, p95: 12 });
    expect(group.latencyLate).toMatchObject({ n: 1, p95: 40 });
  });

  it('counts late archives, missing archives and failures as window misses', () => {
    const late = figuresOf(run({ archives: [{ kind: 'evidence', at: 100 + IMAGE_WINDOW_SECONDS + 1 }] }));
    const failed = figuresOf(run({ archives: [{ kind: 'failure', at: 120 }] }));
    const group = groupFigures([figuresOf(run({})), late, failed]);
    expect(group.windowMisses).toBe(2);
    expect(group.failures).toBe(1);
    expect(group.latency.n).toBe(2);
    expect(group.transitionsPerCheck).toBe(10);
    // Every archive or record task counts: the scale model's archive invocations per check.
    expect(groupFigures([figuresOf(run({ archives: [{ kind: 'escalation', at: 50 }, { kind: 'evidence', at: 112 }] })), failed]).archivesPerCheck).toBe(1.5);
  });

  it('flags executions over the 25,000-event history limit, and over a tenth of it', () => {
    const group = groupFigures([figuresOf(run({ historyEvents: 25_001 })), figuresOf(run({ historyEvents: 2_501 })), figuresOf(run({}))]);
    expect(group.overHistoryLimit).toBe(1);
    expect(group.overHistoryBudget).toBe(2);
    expect(group.historyEventsMax).toBe(25_001);
  });
});
