import { describe, expect, it } from 'vitest';
import { secretsFrom, signPlain, signStandard, verifySignature, type VerifyInput } from '../../../lambdas/webhooks/signature';

/**
 * The published Standard Webhooks example (the reference libraries' "sign function works" test, and the spec's):
 * secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp 1614265330,
 * body {"test": 2432232314} → v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
 */
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const AT_SPEC_TIME = new Date(SPEC.timestamp * 1000);

function standard(overrides: Partial<VerifyInput> & { headers?: Record<string, string | undefined> } = {}): VerifyInput {
  return {
    scheme: 'standard-webhooks',
    headers: { 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature },
    body: Buffer.from(SPEC.body),
    secrets: [SPEC.secret],
    now: AT_SPEC_TIME,
    ...overrides,
  };
}

describe('Standard Webhooks signature', () => {
  it('reproduces the specification example exactly', () => {
    expect(signStandard(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
  });

  it('accepts the specification example, with or without the whsec_ prefix', () => {
    expect(verifySignature(standard())).toEqual({ ok: true, deliveryId: SPEC.id });
    expect(verifySignature(standard({ secrets: [SPEC.secret.replace('whsec_', '')] })).ok).toBe(true);
  });

  it('accepts one valid signature among several, other versions and junk skipped (the spec\'s multi-signature case)', () => {
    const header = ['v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', 'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', SPEC.signature, 'v1a,xyz'].join(' ');
    expect(verifySignature(standard({ headers: { ...standard().headers, 'webhook-signature': header } })).ok).toBe(true);
  });

  it('accepts during a rotation: a notification signed with either secret', () => {
    const other = 'whsec_' + Buffer.from('another secret of thirty-two bytes!').toString('base64');
    expect(verifySignature(standard({ secrets: [other, SPEC.secret] })).ok).toBe(true);
    expect(verifySignature(standard({ secrets: [SPEC.secret, other] })).ok).toBe(true);
    expect(verifySignature(standard({ secrets: [other] }))).toEqual({ ok: false, refusal: 'bad-signature' });
  });

  it('refuses a changed body, id or timestamp', () => {
    expect(verifySignature(standard({ body: Buffer.from('{"test": 2432232315}') }))).toEqual({ ok: false, refusal: 'bad-signature' });
    expect(verifySignature(standard({ headers: { ...standard().headers, 'webhook-id': 'msg_other' } }))).toEqual({ ok: false, refusal: 'bad-signature' });
    expect(verifySignature(standard({ headers: { ...standard().headers, 'webhook-timestamp': String(SPEC.timestamp + 1) } }))).toEqual({ ok: false, refusal: 'bad-signature' });
  });

  it('refuses partial, empty and invalid signatures (the reference libraries\' failing cases)', () => {
    for (const signature of [SPEC.signature.slice(0, 8), 'v1,', 'v1,dawfeoifkpqwoekfpqoekf', 'v2,' + SPEC.signature.slice(3), SPEC.signature.slice(3)]) {
      expect(verifySignature(standard({ headers: { ...standard().headers, 'webhook-signature': signature } })).ok, signature).toBe(false);
    }
  });

  it('refuses missing headers and a timestamp that is not Unix seconds as malformed', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      expect(verifySignature(standard({ headers: { ...standard().headers, [name]: undefined } }))).toEqual({ ok: false, refusal: 'malformed' });
    }
    expect(verifySignature(standard({ headers: { ...standard().headers, 'webhook-timestamp': 'hello' } }))).toEqual({ ok: false, refusal: 'malformed' });
  });

  it('refuses a timestamp more than five minutes old or ahead as stale', () => {
    const at = (seconds: number) => new Date((SPEC.timestamp + seconds) * 1000);
    expect(verifySignature(standard({ now: at(300) })).ok).toBe(true);
    expect(verifySignature(standard({ now: at(-300) })).ok).toBe(true);
    expect(verifySignature(standard({ now: at(301) }))).toEqual({ ok: false, refusal: 'stale' });
    expect(verifySignature(standard({ now: at(-301) }))).toEqual({ ok: false, refusal: 'stale' });
  });
});

describe('X-Signature (HMAC-SHA256 of the body)', () => {
  const body = Buffer.from('{"id":"v-1","status":"approved"}');
  const plain = (header: string | undefined, secrets = ['s3cret']): VerifyInput => ({
    scheme: 'x-signature',
    headers: { 'x-signature': header },
    body,
    secrets,
    now: new Date(),
  });

  it('accepts hex, sha256=hex and base64, and identifies the delivery by the body hash', () => {
    const hex = signPlain('s3cret', body);
    const verdict = verifySignature(plain(hex));
    expect(verdict.ok && verdict.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(verifySignature(plain(`sha256=${hex}`)).ok).toBe(true);
    expect(verifySignature(plain(Buffer.from(hex, 'hex').toString('base64'))).ok).toBe(true);
    expect(verifySignature(plain(hex, ['old', 's3cret'])).ok).toBe(true);
  });

  it('refuses a wrong secret, a missing header and garbage', () => {
    expect(verifySignature(plain(signPlain('other', body)))).toEqual({ ok: false, refusal: 'bad-signature' });
    expect(verifySignature(plain(undefined))).toEqual({ ok: false, refusal: 'malformed' });
    expect(verifySignature(plain('%%%'))).toEqual({ ok: false, refusal: 'malformed' });
  });
});

describe('secretsFrom', () => {
  it('reads several secrets for a rotation', () => {
    expect(secretsFrom('whsec_a whsec_b')).toEqual(['whsec_a', 'whsec_b']);
    expect(secretsFrom('whsec_a\nwhsec_b\n')).toEqual(['whsec_a', 'whsec_b']);
    expect(secretsFrom('{"secrets":["whsec_a","whsec_b"]}')).toEqual(['whsec_a', 'whsec_b']);
    expect(secretsFrom('{"secret":"whsec_a"}')).toEqual(['whsec_a']);
    expect(secretsFrom('{broken')).toEqual([]);
  });
});
