import { describe, expect, it } from 'vitest';
import { DEFAULT_POLLING_POLICY } from '../../lambdas/polling/polling-policy';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import type { WorkflowState } from '../../lambdas/checks/workflow-contract';
import { figuresOf, groupFigures, IMAGE_WINDOW_SECONDS } from '../../bench/polling/metrics';
import { nextChangeAfter, statusAt } from '../../bench/polling/provider-model';
import type { SimulatedCheck } from '../../bench/polling/simulate';
import { deployedStrategy, fixedStrategy, oracleStrategy } from '../../bench/polling/strategies';
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

  it('ours keeps the deployed fast phase on the virtual clock: short waits for ten minutes, then the full backoff', async () => {
    const kyc = planned({ provider: 'kyc', outcome: 'success', endsAt: 3_000, ttl: 3_600 });
    const ours = deployedStrategy(DEFAULT_POLLING_POLICY);
    let state = stateOf(kyc);
    let t = 0;
    const waits: Array<{ t: number; wait: number }> = [];
    while (t < 1_200) {
      const out = await ours.poll(state, kyc, t);
      waits.push({ t, wait: out.waitSeconds });
      state = stateOf(kyc, out);
      t += out.waitSeconds;
    }
    expect(waits.slice(0, 4).map((w) => w.wait)).toEqual([3, 6, 12, 14]);
    expect(Math.max(...waits.filter((w) => w.t < 600).map((w) => w.wait))).toBe(14);
    expect(waits.filter((w) => w.t >= 600).every((w) => w.wait === DEFAULT_POLLING_POLICY.maxSeconds)).toBe(true);
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
    archives: [{ kind: 'evidence', at: 112 }],
    ...overrides,
  });

  it('measures latency from the final answer to the archive task', () => {
    const figures = figuresOf(run({}));
    expect(figures).toMatchObject({ latency: 12, invocations: 4, finishedWithin10Min: true, succeeded: true });
  });

  it('counts late archives, missing archives and failures as window misses', () => {
    const late = figuresOf(run({ archives: [{ kind: 'evidence', at: 100 + IMAGE_WINDOW_SECONDS + 1 }] }));
    const failed = figuresOf(run({ archives: [{ kind: 'failure', at: 120 }] }));
    const group = groupFigures([figuresOf(run({})), late, failed]);
    expect(group.windowMisses).toBe(2);
    expect(group.failures).toBe(1);
    expect(group.latency.n).toBe(2);
    expect(group.transitionsPerCheck).toBe(10);
  });

  it('flags executions over the 25,000-event history limit', () => {
    expect(groupFigures([figuresOf(run({ historyEvents: 25_001 })), figuresOf(run({}))]).overHistoryLimit).toBe(1);
  });
});
