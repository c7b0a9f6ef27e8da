/**
 * The poll loop with webhooks on, against dynalite: long waits are registered beside the check, a notification's copy
 * of the waiting message and the delayed original never both go on (the sequence guard), a redelivery of the same
 * copy still may, and a notification that lands while the loop polls makes it poll again at once.
 */
import { TEST_KEY, testKeySource } from '../../support/identifier-key';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import type { CheckStatus, StatusSource } from '../../../lambdas/checks/check-status';
import type { PollMessage, WorkflowState } from '../../../lambdas/checks/workflow-contract';
import { DEFAULT_POLLING_POLICY } from '../../../lambdas/polling/polling-policy';
import { loopTurn, type LoopDeps } from '../../../lambdas/polling/poll-queue';
import { createWakeStore, type WakeStore } from '../../../lambdas/polling/wake-store';
import { startEmulators, type Emulators } from '../../../local/emulators';

let emulators: Emulators;
let store: WakeStore;
beforeAll(async () => {
  emulators = await startEmulators({ wakeTableName: 'wake-test' });
  store = createWakeStore({ client: emulators.dynamoClient(), tableName: 'wake-test' });
});
afterAll(async () => emulators?.close());

const t0 = new Date('2026-11-01T10:00:00.000Z');
let n = 0;
/** A verification under review (escalated, its evidence archived): the loop waits 60 s between polls. */
function review(): { state: WorkflowState; key: { provider: 'verification'; checkRef: string } } {
  const checkId = `ver-${++n}`;
  const checkRef = checkRefOf(TEST_KEY, 'verification', checkId);
  return {
    key: { provider: 'verification', checkRef },
    state: {
      check: { provider: 'verification', checkId, checkRef, createdAt: t0.toISOString() },
      poll: { state: 'escalated', attempt: 3, firstPolledAt: t0.toISOString(), waitSeconds: 60, providerStatus: 'review', transientErrors: 0 },
      archive: { status: 'escalated', objects: 1, bytes: 10 },
    },
  };
}
const escalated: CheckStatus = { kind: 'escalated', provider: 'verification', providerStatus: 'review', escalation: {}, times: {} } as CheckStatus;
const approved: CheckStatus = { kind: 'complete', provider: 'verification', providerStatus: 'approved', outcome: 'passed', result: {}, times: {} } as CheckStatus;

function harness(answers: Array<CheckStatus | (() => Promise<CheckStatus>)>, now = () => new Date(t0.getTime() + 120_000)) {
  const sent: Array<{ message: PollMessage; delay: number }> = [];
  const handedBack: unknown[] = [];
  let polls = 0;
  const client: StatusSource = {
    provider: 'verification',
    async getStatus() {
      polls++;
      const answer = answers.shift() ?? escalated;
      return typeof answer === 'function' ? answer() : answer;
    },
  };
  const deps: LoopDeps = {
    identifierKey: testKeySource,
    ports: {
      send: async (message, delay) => void sent.push({ message, delay }),
      succeed: async (_token, output) => void handedBack.push(output),
      fail: async () => undefined,
      heartbeat: async () => undefined,
    },
    pollDeps: () => ({ client, policy: DEFAULT_POLLING_POLICY, now }),
    now,
    wakes: (provider) => (provider === 'verification' ? store : undefined),
  };
  return { deps, sent, handedBack, polls: () => polls };
}

const first = (state: WorkflowState, token = 'token-a') => JSON.stringify({ taskToken: token, state });

describe('poll loop with webhooks on', () => {
  it('knows the check from its loop\'s first message, and registers a long wait with its number', async () => {
    const { state, key } = review();
    expect(await store.wake(key, t0)).toBeUndefined(); // nobody has heard of it
    const h = harness([escalated]);
    expect(await loopTurn(h.deps, first(state), 'm1')).toBe('polled-again');
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.delay).toBe(60);
    expect(h.sent[0]!.message.seq).toBe(1);
    const woken = await store.wake(key, new Date(t0.getTime() + 130_000));
    expect(woken?.message).toEqual(h.sent[0]!.message);
  });

  it('lets only one of the two copies of a woken message go on; a redelivery of the winner may go on again', async () => {
    const { state, key } = review();
    const h = harness([escalated, escalated, escalated, escalated]);
    await loopTurn(h.deps, first(state), 'm1');
    const waiting = h.sent[0]!.message;
    const { message: stored } = (await store.wake(key, new Date(t0.getTime() + 125_000)))!;
    const copy = JSON.stringify({ ...stored, wokeAt: new Date(t0.getTime() + 125_000).toISOString() });

    expect(await loopTurn(h.deps, copy, 'wake-1')).toBe('polled-again');
    expect(h.sent[1]!.message.seq).toBe(2);
    // SQS delivers the same copy again (say the send had failed after the advance): it may go on.
    expect(await loopTurn(h.deps, copy, 'wake-1')).toBe('polled-again');
    // The delayed original, when its delay ends: the loop has moved on without it.
    expect(await loopTurn(h.deps, JSON.stringify(waiting), 'm2')).toBe('superseded');
    expect(h.sent).toHaveLength(3);
    // An old message after the loop moved on (seq 2 → 3 by the redelivery's own advance? no: same number, same by).
    expect((await store.wake(key, new Date(t0.getTime() + 126_000)))?.message?.seq).toBe(2);
  });

  it('a copy that answers the notification polls and hands the resolution back; the original then ends quietly', async () => {
    const { state, key } = review();
    const h = harness([escalated, approved, approved]);
    await loopTurn(h.deps, first(state), 'm1');
    const original = JSON.stringify(h.sent[0]!.message);
    const { message } = (await store.wake(key, new Date(t0.getTime() + 125_000)))!;
    expect(await loopTurn(h.deps, JSON.stringify(message), 'wake-1')).toBe('handed-back');
    expect(h.handedBack).toEqual([expect.objectContaining({ state: 'complete' })]);
    expect(await loopTurn(h.deps, original, 'm2')).toBe('superseded');
    expect(h.handedBack).toHaveLength(1);
    // Nothing waits any more: a later notification is remembered, not sent.
    expect(await store.wake(key, new Date(t0.getTime() + 200_000))).toEqual({});
  });

  it('a notification that lands while the loop polls makes it poll again at once, once', async () => {
    const { state, key } = review();
    const now = () => new Date(t0.getTime() + 120_000);
    const h = harness([], now);
    await loopTurn(h.deps, first(state), 'm1');
    // The provider is slow to answer; the notification arrives meanwhile.
    const h2 = harness([async () => (await store.wake(key, new Date(t0.getTime() + 120_500)), escalated)], now);
    expect(await loopTurn(h2.deps, JSON.stringify(h.sent[0]!.message), 'm2')).toBe('polled-again');
    expect(h2.sent[0]!.delay).toBe(0);
    expect(h2.sent[0]!.message.wokeAt).toBe(new Date(t0.getTime() + 120_500).toISOString());
    // The immediate poll sees nothing new: back to the review's wait, the same notification not answered twice.
    const h3 = harness([escalated], now);
    expect(await loopTurn(h3.deps, JSON.stringify(h2.sent[0]!.message), 'm3')).toBe('polled-again');
    expect(h3.sent[0]!.delay).toBe(60);
  });

  it('registers the hops of a long wait too, and a woken hop polls at once instead of passing the wait on', async () => {
    const { state, key } = review();
    const now = () => new Date(t0.getTime() + 120_000);
    const h = harness([escalated], now);
    // A 900 s review wait (webhooks on) passes in hops of 300 s.
    const long = { ...state, poll: { ...state.poll!, waitSeconds: 900 } };
    h.deps.pollDeps = () => ({ client: { provider: 'verification', getStatus: async () => escalated }, policy: { ...DEFAULT_POLLING_POLICY, escalationSeconds: 900 }, now });
    expect(await loopTurn(h.deps, first(long), 'l1')).toBe('polled-again');
    expect(h.sent[0]).toMatchObject({ delay: 300, message: { seq: 1, pollAt: expect.any(String) } });
    // The hop arrives early (not due): it passes the wait on, registered as the next number.
    const later = () => new Date(t0.getTime() + 420_000);
    const hop = harness([], later);
    expect(await loopTurn(hop.deps, JSON.stringify(h.sent[0]!.message), 'l2')).toBe('passed-on');
    expect(hop.polls()).toBe(0);
    expect(hop.sent[0]!.message.seq).toBe(2);
    // A notification now: the receiver's copy of the hop (its pollAt dropped) polls at once.
    const { message } = (await store.wake(key, later()))!;
    expect(message?.seq).toBe(2);
    const { pollAt: _due, ...copy } = message!;
    const woken = harness([approved], later);
    expect(await loopTurn(woken.deps, JSON.stringify(copy), 'w1')).toBe('handed-back');
    expect(woken.polls()).toBe(1);
  });

  it('a new Poll provider task (a new token) takes the check over from the old loop, whose stragglers then end', async () => {
    const { state } = review();
    const a = harness([escalated]);
    await loopTurn(a.deps, first(state, 'token-a'), 'a1');
    const b = harness([escalated]);
    expect(await loopTurn(b.deps, first(state, 'token-b'), 'b1')).toBe('polled-again');
    const straggler = harness([escalated]);
    expect(await loopTurn(straggler.deps, JSON.stringify(a.sent[0]!.message), 'a2')).toBe('superseded');
  });

  it('short waits (the fast phase) write nothing but the first touch; providers without webhooks nothing at all', async () => {
    const { state, key } = review();
    const pendingState: WorkflowState = { check: state.check };
    const pending = { kind: 'pending', provider: 'verification', providerStatus: 'pending', times: {} } as CheckStatus;
    const h = harness([pending], () => t0);
    expect(await loopTurn(h.deps, first(pendingState), 'p1')).toBe('polled-again');
    expect(h.sent[0]!.delay).toBe(3);
    expect(h.sent[0]!.message.seq).toBeUndefined();
    expect(await store.wake(key, t0)).toEqual({});
    const off = harness([pending], () => t0);
    off.deps.wakes = () => undefined;
    const other = review();
    await loopTurn(off.deps, first({ check: other.state.check }), 'p2');
    expect(await store.wake(other.key, t0)).toBeUndefined();
  });
});

describe('replay guard', () => {
  it('accepts a delivery id once, and again once forgotten', async () => {
    expect(await store.firstDelivery('verification', 'msg_1', t0)).toBe(true);
    expect(await store.firstDelivery('verification', 'msg_1', t0)).toBe(false);
    expect(await store.firstDelivery('kyc', 'msg_1', t0)).toBe(true);
    await store.forgetDelivery('verification', 'msg_1');
    expect(await store.firstDelivery('verification', 'msg_1', t0)).toBe(true);
    // Past its three days the id counts as new (DynamoDB's TTL deletes lazily; dynalite never does).
    expect(await store.firstDelivery('verification', 'msg_1', new Date(t0.getTime() + 3 * 86_400_000 + 1000))).toBe(true);
  });
});

describe('first escalation with webhooks on', () => {
  it('hands the escalation back with no workflow wait: the review is waited for in the loop, where a notification can end it', async () => {
    const { state } = review();
    const fresh: WorkflowState = { check: state.check };
    const h = harness([escalated]);
    expect(await loopTurn(h.deps, first(fresh), 'e1')).toBe('handed-back');
    expect(h.handedBack).toEqual([expect.objectContaining({ state: 'escalated', waitSeconds: 0 })]);
    const off = harness([escalated]);
    off.deps.wakes = () => undefined;
    await loopTurn(off.deps, first({ check: review().state.check }), 'e2');
    expect(off.handedBack).toEqual([expect.objectContaining({ state: 'escalated', waitSeconds: 60 })]);
  });
});
