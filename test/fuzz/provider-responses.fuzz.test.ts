/**
 * Fuzzing the provider answer readers (the clients' interpret*Answer, lenient by design): near-misses of every
 * documented example, truncated JSON, arbitrary JSON and text, with every status fetchAnswer lets through. Each
 * answer is read — never refused — into a CheckStatus; a terminal one keeps the whole answer as its result; what
 * could not be read is named by path only, never by value.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckStatus, ProviderAnswer } from '../../lambdas/checks/check-status';
import { interpretKycAnswer } from '../../lambdas/providers/kyc/client';
import { interpretLivenessAnswer } from '../../lambdas/providers/liveness/client';
import { interpretVerificationAnswer } from '../../lambdas/providers/verification/client';
import { CANARY, nearMiss, truncatedJson } from './support';

const DOCS = new URL('../fixtures/provider-docs/', import.meta.url);
const doc = (name: string): unknown => JSON.parse(readFileSync(new URL(name, DOCS), 'utf8'));

const KINDS = ['pending', 'complete', 'escalated', 'no-result'];

function answer(httpStatus: number, body: unknown): ProviderAnswer {
  const bodyText = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = undefined;
  }
  return { httpStatus, body: Buffer.from(bodyText), json, receivedAt: '2026-03-19T10:00:00.000Z', scrubbed: 0 };
}

/** Near-misses and truncations of the documented examples, plus arbitrary JSON and text. */
function bodies(examples: string[]): fc.Arbitrary<unknown> {
  const docs = examples.map(doc);
  return fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...docs.map(nearMiss)) },
    { weight: 2, arbitrary: fc.constantFrom(...docs) },
    { weight: 2, arbitrary: fc.oneof(...docs.map(truncatedJson)) },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.string() },
  );
}

const RUNS = { numRuns: 400 };

/** 200 (where the reading does its work) half the time, the other statuses fetchAnswer passes on the rest. */
function statuses(...others: number[]): fc.Arbitrary<number> {
  return fc.oneof(fc.constant(200), fc.constantFrom(...others));
}

/**
 * The properties every reading keeps: a known kind; a terminal answer keeps the whole answer as its result; drift
 * names paths, never values (the canary, planted in strings, must not appear). Counts what the runs produced.
 */
function check(read: (a: ProviderAnswer) => CheckStatus) {
  const seen = { complete: 0, drift: 0, pending: 0 };
  const run = (status: number, body: unknown) => {
    const given = answer(status, body);
    const value = read(given);
    expect(KINDS).toContain(value.kind);
    if (value.kind === 'complete' || value.kind === 'escalated') expect(value.result).toEqual(given.json ?? null);
    if (value.drift) {
      seen.drift += 1;
      expect(JSON.stringify(value.drift)).not.toContain(CANARY);
    }
    if (value.kind === 'complete') seen.complete += 1;
    if (value.kind === 'pending') seen.pending += 1;
  };
  return { seen, run };
}

describe('liveness answers', () => {
  const body = bodies(['liveness-complete.json', 'liveness-complete-without-images.json', 'liveness-failed.json', 'liveness-in-progress.json', 'liveness-pending.json']);
  it('are read, never refused', () => {
    const t = check(interpretLivenessAnswer);
    fc.assert(fc.property(statuses(202, 400, 410), body, t.run), RUNS);
    expect(t.seen.complete).toBeGreaterThan(0);
    expect(t.seen.drift).toBeGreaterThan(0);
  });
});

describe('KYC answers', () => {
  const body = bodies(['kyc-session-success.json', 'kyc-session-not-found.json', 'kyc-invalid-schema.json', 'kyc-identifier-required.json']);
  it('are read, never refused', () => {
    const t = check(interpretKycAnswer);
    fc.assert(fc.property(statuses(400), body, t.run), RUNS);
    expect(t.seen.complete).toBeGreaterThan(0);
    expect(t.seen.drift).toBeGreaterThan(0);
  });
});

describe('verification answers', () => {
  const body = bodies(['verification-completed.json', 'verification-escalated.json', 'verification-processing.json', 'verification-not-found.json', 'verification-forbidden.json']);
  it('are read, never refused', () => {
    const t = check(interpretVerificationAnswer);
    fc.assert(fc.property(statuses(403, 404), body, t.run), RUNS);
    expect(t.seen.complete).toBeGreaterThan(0);
    expect(t.seen.pending).toBeGreaterThan(0);
  });
});
