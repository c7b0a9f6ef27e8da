import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import {
  CHECK_CREATED_DETAIL_TYPE,
  InvalidEventError,
  executionNameOf,
  parseCheckCreated,
  workflowInputOf,
} from '../../../lambdas/events/check-created';
import { TEST_KEY } from '../../support/identifier-key';

const TOKEN = 'lt_9f3c2a7e1b5d4c8a-secret-bearer-token';

function event(detail: unknown, overrides: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': CHECK_CREATED_DETAIL_TYPE,
    source: 'audit-archiver.checks',
    account: '111122223333',
    time: '2026-03-04T05:06:07Z',
    region: 'eu-west-1',
    resources: [],
    detail,
    ...overrides,
  };
}

/** The paths an invalid event is rejected at. */
function rejectedAt(input: unknown): string[] {
  try {
    parseCheckCreated(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return (error as InvalidEventError).issues.map((i) => i.path);
  }
  throw new Error('expected the event to be rejected');
}

describe('parseCheckCreated and workflowInputOf', () => {
  it('turns a liveness event into the workflow input, createdAt defaulting to the event time', () => {
    const input = workflowInputOf(parseCheckCreated(event({ provider: 'liveness', checkId: TOKEN })), { key: TEST_KEY });
    expect(input).toEqual({
      check: { provider: 'liveness', checkId: TOKEN, checkRef: checkRefOf(TEST_KEY, 'liveness', TOKEN), createdAt: '2026-03-04T05:06:07Z' },
    });
  });

  it('believes a createdAt within the allowed skew of the event time; further either way, uses the event time and keeps the claim', () => {
    const at = (createdAt: string, maxSkewSeconds?: number) =>
      workflowInputOf(parseCheckCreated(event({ provider: 'liveness', checkId: TOKEN, createdAt })), { key: TEST_KEY, ...(maxSkewSeconds ? { maxSkewSeconds } : {}) }).check;
    // The event's time is 2026-03-04T05:06:07Z; the default skew is one day.
    expect(at('2026-03-03T05:06:07Z')).toMatchObject({ createdAt: '2026-03-03T05:06:07Z' });
    expect(at('2026-03-03T05:06:07Z').createdAtClaimed).toBeUndefined();
    expect(at('2026-03-03T05:06:06Z')).toMatchObject({ createdAt: '2026-03-04T05:06:07Z', createdAtClaimed: '2026-03-03T05:06:06Z' });
    expect(at('2031-01-01T00:00:00Z')).toMatchObject({ createdAt: '2026-03-04T05:06:07Z', createdAtClaimed: '2031-01-01T00:00:00Z' });
    // An offset counts: 06:06:07+01:00 is the event's instant.
    expect(at('2026-03-04T06:06:07+01:00', 60).createdAtClaimed).toBeUndefined();
    expect(at('2026-03-04T05:08:08Z', 60)).toMatchObject({ createdAt: '2026-03-04T05:06:07Z', createdAtClaimed: '2026-03-04T05:08:08Z' });
  });

  it('keeps clientKey, createdAt (with offset) and retentionClass, and drops unknown fields', () => {
    const detail = {
      provider: 'kyc',
      checkId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
      clientKey: 'client-42',
      createdAt: '2026-03-04T06:00:00.123+01:00',
      retentionClass: 'aml-cdd',
      customerEmail: 'someone@example.com',
    };
    const { check } = workflowInputOf(parseCheckCreated(event(detail)), { key: TEST_KEY });
    expect(check).toEqual({
      provider: 'kyc',
      checkId: detail.checkId,
      clientKey: 'client-42',
      checkRef: checkRefOf(TEST_KEY, 'kyc', detail.checkId),
      createdAt: '2026-03-04T06:00:00.123+01:00',
      retentionClass: 'aml-cdd',
    });
  });

  it.each([
    ['an unknown provider', { provider: 'face', checkId: 'x' }, ['detail.provider']],
    ['an empty checkId', { provider: 'kyc', checkId: '' }, ['detail.checkId']],
    ['a checkId over 2048 characters', { provider: 'kyc', checkId: 'x'.repeat(2049) }, ['detail.checkId']],
    ['a clientKey over 36 characters', { provider: 'kyc', checkId: 'x', clientKey: 'k'.repeat(37) }, ['detail.clientKey']],
    ['a createdAt without offset', { provider: 'kyc', checkId: 'x', createdAt: '2026-03-04T05:06:07' }, ['detail.createdAt']],
    ['a createdAt that is no date', { provider: 'kyc', checkId: 'x', createdAt: 'yesterday' }, ['detail.createdAt']],
    ['a retentionClass with capitals', { provider: 'kyc', checkId: 'x', retentionClass: 'AML' }, ['detail.retentionClass']],
    ['a numeric checkId', { provider: 'liveness', checkId: 12 }, ['detail.checkId']],
    ['no detail', undefined, ['detail']],
  ])('rejects %s', (_, detail, paths) => {
    expect(rejectedAt(event(detail))).toEqual(paths);
  });

  it('rejects other detail types and envelopes without time', () => {
    expect(rejectedAt(event({ provider: 'kyc', checkId: 'x' }, { 'detail-type': 'Check Deleted' }))).toEqual(['detail-type']);
    expect(rejectedAt(event({ provider: 'kyc', checkId: 'x' }, { time: undefined }))).toEqual(['time']);
    expect(rejectedAt(null)).toEqual(['(event)']);
  });

  it('never puts the check id in the error it throws', () => {
    for (const detail of [
      { provider: 'face', checkId: TOKEN },
      { provider: 'liveness', checkId: TOKEN, createdAt: TOKEN },
      { provider: 'liveness', checkId: TOKEN, retentionClass: TOKEN },
      { provider: 'kyc', checkId: TOKEN, clientKey: TOKEN },
    ]) {
      try {
        parseCheckCreated(event(detail));
        throw new Error('expected a rejection');
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidEventError);
        expect(JSON.stringify({ ...(error as InvalidEventError), message: (error as Error).message })).not.toContain(TOKEN);
      }
    }
  });

  it('fast-check: any input either parses or throws InvalidEventError, whose message never echoes a value', () => {
    const secret = fc.string({ minLength: 12, maxLength: 64 }).map((s) => `tok-${s}`);
    const detail = fc.record(
      {
        provider: fc.oneof(fc.constantFrom('liveness', 'kyc', 'verification'), fc.anything()),
        checkId: fc.oneof(secret, fc.anything()),
        clientKey: fc.oneof(fc.string(), fc.anything()),
        createdAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
        retentionClass: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,40}$/), fc.string()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(detail, fc.anything()), (d) => {
        try {
          const input = workflowInputOf(parseCheckCreated(event(d)), { key: TEST_KEY });
          expect(input.check.checkRef).toMatch(/^[0-9a-f]{32}$/);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventError);
          const checkId = (d as { checkId?: unknown } | null)?.checkId;
          if (typeof checkId === 'string' && checkId.startsWith('tok-')) {
            expect((error as Error).message).not.toContain(checkId);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('executionNameOf', () => {
  it('names the same check the same way, different checks differently, within Step Functions limits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('liveness', 'kyc', 'verification' as const),
        fc.string({ minLength: 1, maxLength: 2048 }),
        fc.string({ minLength: 1, maxLength: 2048 }),
        (provider, a, b) => {
          const name = (id: string) => executionNameOf({ provider, checkRef: checkRefOf(TEST_KEY, provider, id) });
          expect(name(a)).toBe(name(a));
          if (a !== b) expect(name(a)).not.toBe(name(b));
          // Provider and hash only: the check id (a bearer token for liveness) never shows in the name.
          expect(name(a)).toMatch(/^(liveness|kyc|verification)-[0-9a-f]{32}$/);
          expect(name(a).length).toBeLessThanOrEqual(80);
        },
      ),
    );
  });
});
