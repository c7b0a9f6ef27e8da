/**
 * Whatever reaches the webhook receiver's URL — arbitrary headers, near-miss signatures, bodies of any shape and size,
 * any path and method — it answers with one of its documented outcomes and a 4xx for anything unsigned, never throws,
 * never wakes a loop and never writes: only a correctly signed notification gets past the signature.
 */
import { testKeySource } from '../support/identifier-key';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WakeStore } from '../../lambdas/polling/wake-store';
import { receive, type ReceiverDeps, type ReceiverOutcome } from '../../lambdas/webhooks/receiver';
import { webhooksSchema } from '../../lambdas/webhooks/settings';
import { signStandard } from '../../lambdas/webhooks/signature';

const SECRET = 'whsec_' + Buffer.from('fuzzed receiver secret, 32 bytes').toString('base64');
const now = new Date('2026-11-01T12:00:00.000Z');
const OUTCOMES: ReceiverOutcome[] = ['woken', 'remembered', 'duplicate', 'bad-signature', 'stale', 'malformed', 'oversized', 'no-check-id', 'unknown-check', 'not-found', 'method', 'unavailable'];

function deps(): { deps: ReceiverDeps; writes: () => number } {
  let writes = 0;
  const touch = async () => void (writes += 1);
  const wakes: WakeStore = {
    touch,
    advance: async () => ((writes += 1), {}),
    wake: async () => ((writes += 1), {}),
    firstDelivery: async () => ((writes += 1), true),
    forgetDelivery: touch,
  };
  return {
    deps: {
      identifierKey: testKeySource,
      config: webhooksSchema.parse({ verification: { enabled: true }, kyc: { enabled: true, scheme: 'x-signature' } }),
      secrets: async () => [SECRET],
      wakes,
      send: async () => void (writes += 1),
      now: () => now,
    },
    writes: () => writes,
  };
}

const headerValue = fc.oneof(fc.string(), fc.constantFrom('v1,', 'v1,AAAA', 'v2,xyz', 'sha256=00', String(Math.floor(now.getTime() / 1000))));
const headers = fc.record(
  {
    'webhook-id': headerValue,
    'webhook-timestamp': headerValue,
    'webhook-signature': fc.oneof(headerValue, fc.array(headerValue).map((a) => a.join(' '))),
    'x-signature': headerValue,
    'content-type': fc.constant('application/json'),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(fc.json(), fc.string(), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b).toString('latin1')), fc.constant('x'.repeat(70_000)));

describe('webhook receiver fuzz', () => {
  it('refuses every unsigned or mis-signed request with a documented 4xx, writing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(headers, body, fc.constantFrom('POST', 'GET', 'PUT'), fc.constantFrom('/verification', '/kyc', '/liveness', '/', '/verification/x'), async (h, b, method, path) => {
        const d = deps();
        const response = await receive(d.deps, { method, path, headers: h, body: Buffer.from(b, 'latin1') });
        expect(OUTCOMES).toContain(response.outcome);
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        expect(d.writes()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reads any correctly signed body without throwing: a check id where one is, a 4xx where none is', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string()), fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.integer())), async (raw, id) => {
        const text = id === null ? raw : JSON.stringify({ data: { id } });
        const d = deps();
        const ts = Math.floor(now.getTime() / 1000);
        const response = await receive(d.deps, {
          method: 'POST',
          path: '/verification',
          headers: { 'webhook-id': 'msg_fuzz', 'webhook-timestamp': String(ts), 'webhook-signature': signStandard(SECRET, 'msg_fuzz', ts, text) },
          body: Buffer.from(text),
        });
        expect(OUTCOMES).toContain(response.outcome);
        if (response.statusCode < 300) expect(['remembered', 'woken']).toContain(response.outcome);
        else expect(['malformed', 'no-check-id', 'oversized']).toContain(response.outcome);
      }),
      { numRuns: 300 },
    );
  });
});
