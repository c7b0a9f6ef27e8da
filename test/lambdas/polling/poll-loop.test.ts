import { describe, expect, it } from 'vitest';
import { afterPoll, beforeDue, LOOP, needsWorkflow } from '../../../lambdas/polling/poll-loop';
import type { PollMessage, PollOutput, WorkflowState } from '../../../lambdas/checks/workflow-contract';

const t0 = new Date('2026-11-01T10:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const state: WorkflowState = {
  check: { provider: 'verification', checkId: 'v-1', checkRef: '0'.repeat(32), createdAt: t0.toISOString() },
};
const poll = (pollState: PollOutput['state'], waitSeconds = 3): PollOutput => ({
  state: pollState, attempt: 4, firstPolledAt: t0.toISOString(), waitSeconds, providerStatus: pollState, transientErrors: 0,
});
const message = (extra: Partial<PollMessage> = {}): PollMessage => ({ taskToken: 'token-1', state, ...extra });

describe('needsWorkflow', () => {
  it('keeps pending checks and archived reviews in the loop, hands everything else back', () => {
    expect(needsWorkflow(state, poll('pending'))).toBe(false);
    expect(needsWorkflow(state, poll('escalated'))).toBe(true); // first escalation: the workflow archives it
    expect(needsWorkflow({ ...state, archive: { status: 'escalated', objects: 1, bytes: 1 } }, poll('escalated'))).toBe(false);
    for (const terminal of ['complete', 'no-result', 'timed-out'] as const) expect(needsWorkflow(state, poll(terminal))).toBe(true);
  });
});

describe('afterPoll', () => {
  it('hands a terminal poll back as the task result', () => {
    expect(afterPoll(message(), poll('complete', 0), t0)).toEqual({ kind: 'hand-back', output: poll('complete', 0) });
  });

  it('sends the next message after the wait, the poll in its state; the first one starts the heartbeat clock', () => {
    const step = afterPoll(message(), poll('pending', 3), t0);
    expect(step).toEqual({
      kind: 'again',
      heartbeat: false,
      delaySeconds: 3,
      message: { taskToken: 'token-1', state: { ...state, poll: poll('pending', 3) }, heartbeatAt: t0.toISOString() },
    });
  });

  it('reports alive to the workflow once heartbeatEverySeconds have passed, and restarts the clock', () => {
    const recent = afterPoll(message({ heartbeatAt: at(-(LOOP.heartbeatEverySeconds - 1)).toISOString() }), poll('pending'), t0);
    expect(recent).toMatchObject({ heartbeat: false, message: { heartbeatAt: at(-(LOOP.heartbeatEverySeconds - 1)).toISOString() } });
    const due = afterPoll(message({ heartbeatAt: at(-LOOP.heartbeatEverySeconds).toISOString() }), poll('pending'), t0);
    expect(due).toMatchObject({ heartbeat: true, message: { heartbeatAt: t0.toISOString() } });
  });

  it('splits a wait longer than one hop: the first hop carries when the poll is due', () => {
    const step = afterPoll(message(), poll('pending', 900), t0);
    expect(step).toMatchObject({ kind: 'again', delaySeconds: LOOP.maxHopSeconds, message: { pollAt: at(900).toISOString() } });
  });
});

describe('beforeDue', () => {
  it('passes a long wait on in hops until the poll is due, then lets it poll', () => {
    const waiting = message({ pollAt: at(900).toISOString(), heartbeatAt: t0.toISOString() });
    expect(beforeDue(waiting, at(300))).toMatchObject({ delaySeconds: 300, heartbeat: true, message: { pollAt: at(900).toISOString() } });
    // The last hop is exact and carries no due time: the message that arrives then polls.
    const last = beforeDue({ ...waiting, heartbeatAt: at(600).toISOString() }, at(650));
    expect(last).toMatchObject({ delaySeconds: 250, heartbeat: false });
    expect(last?.message.pollAt).toBeUndefined();
    expect(beforeDue(waiting, at(899.5))).toBeUndefined();
    expect(beforeDue(message(), t0)).toBeUndefined();
  });

  it('never lets the heartbeat lapse: at most two hops and a redelivery pass between heartbeats', () => {
    expect(2 * LOOP.maxHopSeconds).toBeLessThan(LOOP.heartbeatTimeoutSeconds);
    expect(LOOP.heartbeatEverySeconds + LOOP.maxHopSeconds).toBeLessThan(LOOP.heartbeatTimeoutSeconds);
  });
});
