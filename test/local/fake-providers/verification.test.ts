import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startVirtual, T0, verification, type VirtualFake } from './helpers';

const HOUR = 3600_000;
let fake: VirtualFake;
beforeEach(async () => {
  fake = await startVirtual();
});
afterEach(() => fake.close());

describe('verification', () => {
  it('401 without or with a wrong bearer key', async () => {
    const { checkId } = fake.addCheck({ provider: 'verification' });
    for (const key of [null, 'wrong']) {
      const res = await verification(fake, checkId, key);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
      expect(typeof res.body.error.message).toBe('string');
    }
  });

  it('404 for an unknown id, and for a check whose outcome is not-found', async () => {
    const notFound = { error: { code: 'not_found', message: 'Verification not found' } };
    expect(await verification(fake, 'ver_unknown')).toMatchObject({ status: 404, body: notFound });
    const { checkId } = fake.addCheck({ provider: 'verification', outcome: 'not-found', pending: { polls: 1 } });
    expect((await verification(fake, checkId)).body.status).toBe('processing');
    expect(await verification(fake, checkId)).toMatchObject({ status: 404, body: notFound });
  });

  it('403 for another organization’s check, from the first request', async () => {
    const { checkId } = fake.addCheck({ provider: 'verification', outcome: 'forbidden', pending: { polls: 3 } });
    expect(await verification(fake, checkId)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', message: 'This verification belongs to a different organization' } },
    });
  });

  it('processing (the documented pending body) then completed with the full body', async () => {
    const { checkId } = fake.addCheck({ provider: 'verification', pending: { ms: 2000 }, content: 'Water boils at 100 °C at sea level.' });
    expect(checkId).toMatch(/^ver_[0-9a-f]{16}$/);
    const pending = await verification(fake, checkId);
    expect(pending).toMatchObject({ status: 200 });
    expect(pending.body).toEqual({ id: checkId, status: 'processing', content: 'Water boils at 100 °C at sea level.', createdAt: new Date(T0).toISOString() });
    fake.advance(2000);
    const done = (await verification(fake, checkId)).body;
    expect(done).toMatchObject({
      id: checkId,
      status: 'completed',
      verdict: 'true',
      confidence: 0.95,
      decision: 'accept',
      processingTimeMs: 2000,
      costCents: 5,
      createdAt: new Date(T0).toISOString(),
      completedAt: new Date(T0 + 2000).toISOString(),
    });
    expect(done.paradigmResults).toHaveLength(2);
    expect(done.paradigmResults[0]).toMatchObject({ paradigm: 'reasoning', provider: 'anthropic', model: 'claude-sonnet-4-5-20250929' });
    expect(done.paradigmResults[1]).toMatchObject({ paradigm: 'tool' });
    for (const key of ['reasoning', 'metadata']) expect(done).toHaveProperty(key);
  });

  it('escalated, then resolved after N escalated polls: completed body keeping the escalation, status resolved', async () => {
    const { checkId } = fake.addCheck({
      provider: 'verification',
      outcome: 'escalated',
      verdict: 'false',
      confidence: 0.9,
      decision: 'reject',
      escalation: { resolveAfter: { polls: 2 }, priority: 'medium' },
    });
    const first = (await verification(fake, checkId)).body;
    expect(first).toMatchObject({ id: checkId, status: 'escalated', verdict: 'uncertain', confidence: 0.45 });
    expect(first.escalation).toEqual({
      id: expect.stringMatching(/^esc_/),
      reason: 'low_confidence',
      priority: 'medium',
      deadline: new Date(T0 + 24 * HOUR).toISOString(),
      status: 'pending',
    });
    expect((await verification(fake, checkId)).body.status).toBe('escalated');
    fake.advance(1000);
    const resolved = (await verification(fake, checkId)).body;
    expect(resolved).toMatchObject({ status: 'completed', verdict: 'false', confidence: 0.9, decision: 'reject', completedAt: new Date(T0 + 1000).toISOString() });
    expect(resolved.escalation).toEqual({ ...first.escalation, status: 'resolved' });
  });

  it('escalation resolved by time, or left pending past its deadline', async () => {
    const timed = fake.addCheck({ provider: 'verification', outcome: 'escalated', escalation: { resolveAfter: { ms: 2 * HOUR } } });
    const stuck = fake.addCheck({ provider: 'verification', outcome: 'escalated', escalation: { deadlineMs: HOUR } });
    expect((await verification(fake, timed.checkId)).body.status).toBe('escalated');
    fake.advance(2 * HOUR);
    expect((await verification(fake, timed.checkId)).body).toMatchObject({ status: 'completed', escalation: { status: 'resolved' } });
    const late = (await verification(fake, stuck.checkId)).body;
    expect(late).toMatchObject({ status: 'escalated', escalation: { status: 'pending' } });
    expect(Date.parse(late.escalation.deadline)).toBeLessThan(T0 + 2 * HOUR);
    expect(fake.stats().checks.find((c) => c.checkId === timed.checkId)?.resolvedAt).toBe(new Date(T0 + 2 * HOUR).toISOString());
  });

  it('5xx and 429 faults in the provider’s error shape', async () => {
    const { checkId } = fake.addCheck({ provider: 'verification', faults: { serverErrors: { count: 1, status: 502 }, rateLimited: { count: 1, retryAfterSeconds: 2 } } });
    expect(await verification(fake, checkId)).toMatchObject({ status: 502, body: { error: { code: 'bad_gateway' } } });
    const limited = await verification(fake, checkId);
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'too_many_requests' } } });
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await verification(fake, checkId)).body.status).toBe('completed');
  });
});
