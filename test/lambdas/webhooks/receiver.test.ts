/**
 * The receiver against dynalite: what each notification does to the wake-up table and the poll queue, and what it
 * answers. The loop side of the same table is in test/lambdas/polling/wake-guard.test.ts.
 */
import { TEST_KEY, testKeySource } from '../../support/identifier-key';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import type { PollMessage } from '../../../lambdas/checks/workflow-contract';
import { createWakeStore, type WakeStore } from '../../../lambdas/polling/wake-store';
import { receive, type ReceiverDeps, type WebhookRequest } from '../../../lambdas/webhooks/receiver';
import { webhooksSchema } from '../../../lambdas/webhooks/settings';
import { signPlain, signStandard } from '../../../lambdas/webhooks/signature';
import { startEmulators, type Emulators } from '../../../local/emulators';

const SECRET = 'whsec_' + Buffer.from('verification webhook secret, 32b').toString('base64');
const NEXT_SECRET = 'whsec_' + Buffer.from('the rotated verification secret!').toString('base64');
const now = new Date('2026-11-01T12:00:00.000Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

let emulators: Emulators;
let wakes: WakeStore;
beforeAll(async () => {
  emulators = await startEmulators({ wakeTableName: 'wake-receiver' });
  wakes = createWakeStore({ client: emulators.dynamoClient(), tableName: 'wake-receiver' });
});
afterAll(async () => emulators?.close());

function receiver(overrides: Partial<ReceiverDeps> = {}) {
  const sent: PollMessage[] = [];
  const queues: string[] = [];
  const deps: ReceiverDeps = {
    identifierKey: testKeySource,
    config: webhooksSchema.parse({ verification: { enabled: true }, kyc: { enabled: true, scheme: 'x-signature', checkIdPath: 'sessionId' } }),
    secrets: async () => [SECRET],
    wakes,
    send: async (provider, message) => void (queues.push(provider), sent.push(message)),
    now: () => now,
    ...overrides,
  };
  return { deps, sent, queues };
}

let n = 0;
function notification(checkId: string, options: { id?: string; timestamp?: number; secret?: string; body?: string } = {}): WebhookRequest {
  const body = options.body ?? JSON.stringify({ type: 'verification.updated', timestamp: now.toISOString(), data: { id: checkId, status: 'approved' } });
  const id = options.id ?? `msg_${++n}`;
  const timestamp = options.timestamp ?? nowSeconds;
  return {
    method: 'POST',
    path: '/verification',
    headers: { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandard(options.secret ?? SECRET, id, timestamp, body) },
    body: Buffer.from(body),
  };
}

/** A check whose loop waits: registered as the loop does it (wake-guard.test.ts shows the loop's side). */
async function waiting(checkId: string): Promise<PollMessage> {
  const checkRef = checkRefOf(TEST_KEY, 'verification', checkId);
  const message: PollMessage = {
    taskToken: `token-${checkId}`,
    state: { check: { provider: 'verification', checkId, checkRef, createdAt: now.toISOString() } },
    pollAt: new Date(now.getTime() + 600_000).toISOString(),
    seq: 1,
  };
  await wakes.advance({ provider: 'verification', checkRef }, { loop: 'loop-1', from: 0, by: 'm1', message, now });
  return message;
}

describe('webhook receiver', () => {
  it('wakes a waiting loop: its message goes on the queue again, due now, and 202 comes only after', async () => {
    const waitingMessage = await waiting('ver-wake');
    const r = receiver();
    const response = await receive(r.deps, notification('ver-wake'));
    expect(response).toMatchObject({ statusCode: 202, outcome: 'woken', provider: 'verification', checkRef: checkRefOf(TEST_KEY, 'verification', 'ver-wake') });
    const { pollAt: _due, ...rest } = waitingMessage;
    expect(r.sent).toEqual([{ ...rest, wokeAt: now.toISOString() }]);
    // Onto the notified provider's poll queue (its own workflow's), not another's.
    expect(r.queues).toEqual(['verification']);
  });

  it('remembers a notification for a known check whose loop is not waiting', async () => {
    await wakes.touch({ provider: 'verification', checkRef: checkRefOf(TEST_KEY, 'verification', 'ver-known') }, now);
    const r = receiver();
    expect(await receive(r.deps, notification('ver-known'))).toMatchObject({ statusCode: 202, outcome: 'remembered' });
    expect(r.sent).toEqual([]);
  });

  it('refuses an unknown check with 404, and lets the sender\'s retry through once the check is known', async () => {
    const r = receiver();
    const first = notification('ver-later', { id: 'msg_later' });
    expect(await receive(r.deps, first)).toMatchObject({ statusCode: 404, outcome: 'unknown-check' });
    await waiting('ver-later');
    expect(await receive(r.deps, notification('ver-later', { id: 'msg_later' }))).toMatchObject({ statusCode: 202, outcome: 'woken' });
  });

  it('does nothing for a delivery id already accepted (a replay or a retry), answering 200', async () => {
    await waiting('ver-replay');
    const r = receiver();
    const request = notification('ver-replay', { id: 'msg_replay' });
    expect((await receive(r.deps, request)).outcome).toBe('woken');
    expect(await receive(r.deps, request)).toMatchObject({ statusCode: 200, outcome: 'duplicate' });
    // Re-signed with a fresh timestamp, as a sender's retry is: still the same delivery.
    expect((await receive(r.deps, notification('ver-replay', { id: 'msg_replay', timestamp: nowSeconds + 60 }))).outcome).toBe('duplicate');
    expect(r.sent).toHaveLength(1);
  });

  it('refuses a forged, a stale, an oversized and a malformed notification with 4xx, touching nothing', async () => {
    await waiting('ver-forged');
    const r = receiver();
    const forged = notification('ver-forged', { id: 'msg_forged', secret: 'whsec_' + Buffer.from('not the secret at all, attacker').toString('base64') });
    expect(await receive(r.deps, forged)).toMatchObject({ statusCode: 401, outcome: 'bad-signature' });
    expect(await receive(r.deps, notification('ver-forged', { timestamp: nowSeconds - 301 }))).toMatchObject({ statusCode: 400, outcome: 'stale' });
    const big = notification('ver-forged', { body: JSON.stringify({ data: { id: 'ver-forged' }, pad: 'x'.repeat(70_000) }) });
    expect(await receive(r.deps, big)).toMatchObject({ statusCode: 413, outcome: 'oversized' });
    expect(await receive(r.deps, { ...notification('ver-forged'), headers: {} })).toMatchObject({ statusCode: 400, outcome: 'malformed' });
    expect(await receive(r.deps, notification('x', { body: '{"data":{}}' }))).toMatchObject({ statusCode: 422, outcome: 'no-check-id' });
    expect(await receive(r.deps, notification('x', { body: 'not json' }))).toMatchObject({ statusCode: 400, outcome: 'malformed' });
    expect(r.sent).toEqual([]);
    // The forged one did not use up its id: the genuine notification with that id goes through.
    expect((await receive(r.deps, notification('ver-forged', { id: 'msg_forged' }))).outcome).toBe('woken');
  });

  it('answers 404 for a provider whose webhooks are off and 405 for anything but POST', async () => {
    const r = receiver();
    expect(await receive(r.deps, { ...notification('a'), path: '/liveness' })).toMatchObject({ statusCode: 404, outcome: 'not-found' });
    expect(await receive(r.deps, { ...notification('a'), path: '/nonsense' })).toMatchObject({ statusCode: 404, outcome: 'not-found' });
    expect(await receive(r.deps, { ...notification('a'), method: 'GET' })).toMatchObject({ statusCode: 405 });
  });

  it('during a rotation accepts the new secret after re-reading it, and both while both are configured', async () => {
    await waiting('ver-rotated');
    const reads: boolean[] = [];
    const r = receiver({ secrets: async (_p, options) => (reads.push(options?.fresh ?? false), options?.fresh ? [NEXT_SECRET, SECRET] : [SECRET]) });
    expect((await receive(r.deps, notification('ver-rotated', { secret: NEXT_SECRET }))).outcome).toBe('woken');
    expect(reads).toEqual([false, true]);
  });

  it('reads the check id where configured and verifies X-Signature for a provider set to it', async () => {
    const checkRef = checkRefOf(TEST_KEY, 'kyc', '8d6c3a10-b1c2-11ee-8c90-0242ac120002');
    await wakes.touch({ provider: 'kyc', checkRef }, now);
    const body = JSON.stringify({ sessionId: '8d6c3a10-b1c2-11ee-8c90-0242ac120002', status: 'APPROVED' });
    const r = receiver({ secrets: async () => ['kyc-plain-secret'] });
    const request = { method: 'POST', path: '/kyc', headers: { 'x-signature': signPlain('kyc-plain-secret', body) }, body: Buffer.from(body) };
    expect(await receive(r.deps, request)).toMatchObject({ statusCode: 202, outcome: 'remembered', checkRef });
    expect((await receive(r.deps, request)).outcome).toBe('duplicate');
    expect((await receive(r.deps, { ...request, headers: { 'x-signature': signPlain('wrong', body) } })).statusCode).toBe(401);
  });

  it('answers 503 and forgets the delivery id when the wake-up could not be sent, so the retry is not a "duplicate"', async () => {
    await waiting('ver-sqs-down');
    const down = receiver({ send: async () => Promise.reject(Object.assign(new Error('down'), { name: 'ServiceUnavailable' })) });
    expect(await receive(down.deps, notification('ver-sqs-down', { id: 'msg_retry' }))).toMatchObject({ statusCode: 503, outcome: 'unavailable' });
    const up = receiver();
    expect((await receive(up.deps, notification('ver-sqs-down', { id: 'msg_retry' }))).outcome).toBe('woken');
  });
});
