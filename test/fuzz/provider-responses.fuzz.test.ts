/**
 * Fuzzing the provider answer mappers (the clients' interpret* functions, which parse with the schemas of
 * lambdas/providers/*\/schema.ts): near-misses of every documented example, truncated JSON, arbitrary JSON and text,
 * with documented and undocumented status codes. Each answer maps to a CheckStatus or a typed ArchiverError whose
 * message quotes no value from the answer.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../lambdas/common/http';
import { interpretKycResponse } from '../../lambdas/providers/kyc/client';
import { interpretLivenessResponse } from '../../lambdas/providers/liveness/client';
import { interpretVerificationResponse } from '../../lambdas/providers/verification/client';
import { nearMiss, truncatedJson, typedOrValue } from './support';

const DOCS = new URL('../fixtures/provider-docs/', import.meta.url);
const doc = (name: string): unknown => JSON.parse(readFileSync(new URL(name, DOCS), 'utf8'));

const KINDS = ['pending', 'complete', 'escalated', 'no-result'];

function response(status: number, body: unknown): HttpResponse {
  const bodyText = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = undefined;
  }
  return { status, headers: new Headers({ 'content-type': 'application/json' }), bodyText, json };
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

/** 200 (where the schemas do their work) half the time, the other statuses the rest. */
function statuses(...others: number[]): fc.Arbitrary<number> {
  return fc.oneof(fc.constant(200), fc.constantFrom(...others));
}

/** Both branches must be exercised, or the fuzzing proves nothing: counts what the runs produced. */
function tally() {
  const seen = { values: 0, errors: 0, complete: 0 };
  return {
    seen,
    note: <T extends { kind: string }>(outcome: { value?: T; error?: Error }): T | undefined => {
      if (outcome.error) seen.errors += 1;
      else seen.values += 1;
      if (outcome.value?.kind === 'complete') seen.complete += 1;
      return outcome.value;
    },
  };
}

describe('liveness answers', () => {
  const body = bodies(['liveness-complete.json', 'liveness-complete-without-images.json', 'liveness-failed.json', 'liveness-in-progress.json', 'liveness-pending.json']);
  it('map to a CheckStatus or a typed error', () => {
    const t = tally();
    fc.assert(
      fc.property(statuses(202, 400, 401, 403, 410, 404, 500), body, (status, b) => {
        const value = t.note(typedOrValue(() => interpretLivenessResponse(response(status, b))));
        if (value) {
          expect(KINDS).toContain(value.kind);
          expect(value.provider).toBe('liveness');
        }
      }),
      RUNS,
    );
    expect(t.seen.errors).toBeGreaterThan(0);
    expect(t.seen.complete).toBeGreaterThan(0);
  });
});

describe('KYC answers', () => {
  const body = bodies([
    'kyc-session-success.json',
    'kyc-session-not-found.json',
    'kyc-invalid-schema.json',
    'kyc-identifier-required.json',
    'kyc-access-denied.json',
  ]);
  const lookup = fc.constantFrom(
    { by: 'clientKey' as const, clientKey: 'my_client_key_123' },
    { by: 'sessionId' as const, sessionId: '550e8400-e29b-41d4-a716-446655440000' },
  );
  it('map to a CheckStatus or a typed error, and never to another session than the one asked for', () => {
    const t = tally();
    fc.assert(
      fc.property(statuses(400, 401, 403, 500), body, lookup, (status, b, l) => {
        const value = t.note(typedOrValue(() => interpretKycResponse(response(status, b), l)));
        if (value) {
          expect(KINDS).toContain(value.kind);
          if (value.kind === 'complete' && l.by === 'sessionId') {
            expect((value.result as { sessionId: string }).sessionId.toLowerCase()).toBe(l.sessionId);
          }
        }
      }),
      RUNS,
    );
    expect(t.seen.errors).toBeGreaterThan(0);
    expect(t.seen.complete).toBeGreaterThan(0);
  });
});

describe('verification answers', () => {
  const body = bodies(['verification-completed.json', 'verification-escalated.json', 'verification-processing.json', 'verification-not-found.json', 'verification-forbidden.json']);
  it('map to a CheckStatus or a typed error, and never to another verification than the one asked for', () => {
    const t = tally();
    fc.assert(
      fc.property(statuses(401, 403, 404, 429, 500), body, (status, b) => {
        const value = t.note(typedOrValue(() => interpretVerificationResponse(response(status, b), 'ver_abc123def456')));
        if (value) {
          expect(KINDS).toContain(value.kind);
          if (value.kind === 'complete' || value.kind === 'escalated') expect((value.result as { id: string }).id).toBe('ver_abc123def456');
        }
      }),
      RUNS,
    );
    expect(t.seen.errors).toBeGreaterThan(0);
    expect(t.seen.complete).toBeGreaterThan(0);
  });
});
