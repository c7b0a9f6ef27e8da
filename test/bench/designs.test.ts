import { describe, expect, it } from 'vitest';
import { busyIntervals, INVOCATION_SECONDS, measuredUsage, modelledUsage } from '../../bench/polling/designs';
import type { SimulatedCheck } from '../../bench/polling/simulate';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { BENCH_KEY } from '../../bench/lib/identifier-key';
import { DEFAULT_POLLING_POLICY } from '../../lambdas/polling/polling-policy';

const policy = DEFAULT_POLLING_POLICY; // fast phase: the first 600 s of polling
const check = { provider: 'kyc', outcome: 'success', endsAt: 700, ttl: 3_600, checkId: 'k', checkRef: checkRefOf(BENCH_KEY, 'kyc', 'k') } as const;

/** A deployed run: one Poll provider task, seven polls in the fast phase and two after, then the archive. */
const kyc: SimulatedCheck = {
  check,
  status: 'SUCCEEDED',
  transitions: 4, // Poll provider, Route by status, Archive evidence, Archived
  historyEvents: 20,
  polls: 9,
  tasks: [{ polls: [0, 100, 200, 300, 400, 500, 599, 660, 720], messages: 10, hops: [630], heartbeats: 2 }],
  archives: [{ kind: 'evidence', at: 721 }],
};

/** An escalation: three fast polls, the escalation archived, then a review loop of three polls. */
const escalated: SimulatedCheck = {
  ...kyc,
  transitions: 8, // Poll, Route, Archive escalation, Wait for review, Poll, Route, Archive, Archived
  polls: 6,
  tasks: [
    { polls: [0, 3, 6], messages: 3, hops: [], heartbeats: 0 },
    { polls: [100, 160, 220], messages: 3, hops: [], heartbeats: 0 },
  ],
  archives: [{ kind: 'escalation', at: 7 }, { kind: 'evidence', at: 221 }],
};

describe('measuredUsage', () => {
  it('counts the poll loop: a message per poll or hop (sent, received, deleted), an answer per task and the heartbeats', () => {
    expect(measuredUsage(kyc)).toMatchObject({ transitions: 4, historyEvents: 20, polls: 9, hops: 1, sqsMessages: 10, sfnApiCalls: 1 + 2, expressSeconds: 0 });
  });

  it('counts a baseline (no messages) as polls only', () => {
    const baseline = { ...kyc, transitions: 29, tasks: kyc.tasks.map((t) => ({ ...t, messages: 0, hops: [] })) };
    expect(measuredUsage(baseline)).toMatchObject({ transitions: 29, polls: 9, hops: 0, sqsMessages: 0, sfnApiCalls: 0 });
  });
});

describe('modelledUsage', () => {
  it('express: the fast phase in 285 s children (task + route each), the rest in the Standard Wait loop', () => {
    const usage = modelledUsage('express', kyc, policy);
    // Span 599.25 s → children of 285, 285 and 29.25 s (billed 29.3); two slow polls at three transitions each.
    expect(usage.expressExecutions).toBe(3);
    expect(usage.expressSeconds).toBeCloseTo(285 + 285 + 29.3, 9);
    expect(usage.transitions).toBe(4 - 2 + 3 * 2 + 2 * 3);
    expect(usage.historyEvents).toBe(20 + (14 - 4) * 3);
    expect(usage.polls).toBe(9);
    expect(usage.sqsMessages).toBe(0);
    // The review loop runs in the Standard workflow: each poll a Wait, a Poll and a Route (the first Wait is there already).
    expect(modelledUsage('express', escalated, policy)).toMatchObject({ expressExecutions: 1, transitions: 8 + (2 - 2) + (3 * 3 - 3) });
  });

  it('retry: one billed transition per poll after each task’s first, three history events each', () => {
    expect(modelledUsage('retry', kyc, policy)).toMatchObject({ transitions: 4 + 8, historyEvents: 20 + 8 * 3, polls: 9 });
    expect(modelledUsage('retry', escalated, policy)).toMatchObject({ transitions: 8 + 4 });
  });

  it('durable: a step and a wait per poll and an operation per archive, no Step Functions', () => {
    expect(modelledUsage('durable', kyc, policy)).toMatchObject({ transitions: 0, historyEvents: 0, durableOperations: 2 * 9 + 1, durableResumes: 2, polls: 9 });
  });

  it('lambda-loop: the fast phase held in one invocation, the rest as in express', () => {
    expect(modelledUsage('lambda-loop', kyc, policy)).toMatchObject({ heldInvocations: 1, heldSeconds: 599.25, polls: 2, transitions: 4 - 2 + 2 + 3 * 2 });
  });
});

describe('busyIntervals', () => {
  it('is each poll and hop for the loop, and one held interval for the in-Lambda fast phase', () => {
    const loop = busyIntervals('ours', kyc, policy);
    expect(loop).toHaveLength(10);
    expect(loop[7]).toEqual([630, 630 + INVOCATION_SECONDS.hop]);
    expect(loop[8]).toEqual([660, 660 + INVOCATION_SECONDS.poll]);
    const held = busyIntervals('lambda-loop', kyc, policy);
    expect(held).toEqual([[0, 599.25], [660, 660 + INVOCATION_SECONDS.poll], [720, 720 + INVOCATION_SECONDS.poll]]);
  });
});
