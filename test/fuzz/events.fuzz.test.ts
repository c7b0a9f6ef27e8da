/**
 * Fuzzing what enters the workflow: `Check Created` events (parseCheckCreated) and workflow states
 * (parseWorkflowState, salvageCheck). A bad event is an InvalidEventError naming paths and codes, never values (the
 * check id may be a liveness token); a bad state an InvalidCheckInputError; and a failure can always be recorded
 * under the check a state names, whenever it names one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { InvalidCheckInputError } from '../../lambdas/common/errors';
import { CHECK_CREATED_DETAIL_TYPE, InvalidEventError, executionNameOf, parseCheckCreated, workflowInputOf } from '../../lambdas/events/check-created';
import { parseWorkflowState, salvageCheck } from '../../lambdas/workflow/parse-state';
import { CANARY, nearMiss, typedOrValue } from './support';
import { TEST_KEY } from '../support/identifier-key';

const EVENT = {
  id: '7f1c0e1e-0b4d-41ef-9a61-0242ac120002',
  source: 'audit-archiver.checks',
  'detail-type': CHECK_CREATED_DETAIL_TYPE,
  time: '2026-03-19T10:31:06Z',
  detail: { provider: 'kyc', checkId: `${CANARY}-session`, clientKey: 'client_1', createdAt: '2026-03-19T10:31:00+01:00', retentionClass: 'aml-cdd' },
};

const STATE = {
  check: {
    provider: 'liveness',
    checkId: `${CANARY}-token`,
    checkRef: checkRefOf(TEST_KEY, 'liveness', `${CANARY}-token`),
    createdAt: '2026-03-19T10:31:06.000Z',
  },
  poll: { state: 'complete', attempt: 3, firstPolledAt: '2026-03-19T10:31:08.000Z', waitSeconds: 0, providerStatus: 'complete', transientErrors: 0 },
  error: { Error: 'ProviderUnavailableError', Cause: 'x' },
};

describe('parseCheckCreated', () => {
  it('accepts a valid event or throws InvalidEventError naming paths and codes only', () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: nearMiss(EVENT) }, fc.constant(EVENT), fc.anything()), (event) => {
        const { value, error } = typedOrValue(() => parseCheckCreated(event), [InvalidEventError]);
        if (error) {
          seen.invalid += 1;
          expect((error as InvalidEventError).issues.length).toBeGreaterThan(0);
          return;
        }
        seen.valid += 1;
        const input = workflowInputOf(value!, { key: TEST_KEY });
        expect(input.check.checkRef).toBe(checkRefOf(TEST_KEY, input.check.provider, input.check.checkId));
        expect(executionNameOf(input.check)).toMatch(/^[a-z]+-[0-9a-f]{32}$/);
        expect(executionNameOf(input.check)).not.toContain(CANARY);
        expect(parseWorkflowState(JSON.parse(JSON.stringify(input)), TEST_KEY)).toEqual(input);
      }),
      { numRuns: 1_000 },
    );
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
  });
});

describe('workflow states', () => {
  const states = fc.oneof({ weight: 5, arbitrary: nearMiss(STATE) }, fc.constant(STATE), fc.anything());

  it('parseWorkflowState: a valid state or InvalidCheckInputError naming paths only', () => {
    fc.assert(
      fc.property(states, (state) => {
        const { value } = typedOrValue(() => parseWorkflowState(state, TEST_KEY), [InvalidCheckInputError]);
        if (value) expect(value.check.checkRef).toBe(checkRefOf(TEST_KEY, value.check.provider, value.check.checkId));
      }),
      { numRuns: 1_000 },
    );
  });

  it('salvageCheck never throws, and keys a failure by the hash of the check id it names', () => {
    const now = new Date('2026-03-19T11:00:00.000Z');
    fc.assert(
      fc.property(states, (state) => {
        const check = salvageCheck(state, now, TEST_KEY);
        if (!check) return;
        expect(check.checkRef).toBe(checkRefOf(TEST_KEY, check.provider, check.checkId));
        expect(Number.isNaN(Date.parse(check.createdAt))).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });
});
