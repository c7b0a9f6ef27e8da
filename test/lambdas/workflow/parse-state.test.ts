import { describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { InvalidCheckInputError } from '../../../lambdas/common/errors';
import { parseWorkflowState, salvageCheck } from '../../../lambdas/workflow/parse-state';
import type { WorkflowCheck } from '../../../lambdas/checks/workflow-contract';
import { TEST_KEY } from '../../support/identifier-key';

/** A liveness token: a bearer secret that must never reach an error message. */
const TOKEN = 'tok_SECRET_0123456789';
const NOW = new Date('2026-03-19T10:40:00.000Z');

function check(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { provider: 'liveness', checkId: TOKEN, checkRef: checkRefOf(TEST_KEY, 'liveness', TOKEN), createdAt: '2026-03-19T10:31:06.000Z', ...overrides };
}

const poll = { state: 'pending', attempt: 2, firstPolledAt: '2026-03-19T10:31:10Z', waitSeconds: 3, providerStatus: 'in_progress', transientErrors: 0 };

function rejection(input: unknown): InvalidCheckInputError {
  try {
    parseWorkflowState(input, TEST_KEY);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCheckInputError);
    expect((error as InvalidCheckInputError).retryable).toBe(false);
    return error as InvalidCheckInputError;
  }
  return expect.fail('expected parseWorkflowState to throw');
}

describe('parseWorkflowState', () => {
  it('accepts the start function’s state and what the states add to it', () => {
    const input = {
      check: check({ clientKey: undefined, retentionClass: 'aml-cdd' }),
      poll,
      archive: { status: 'escalated', objects: 2, bytes: 900 },
      error: { Error: 'States.Timeout', Cause: 'x' },
      extra: { kept: true },
    };
    const state = parseWorkflowState(input, TEST_KEY);
    expect(state.check).toEqual({ ...check(), retentionClass: 'aml-cdd' });
    expect(state.poll).toEqual(poll);
    expect(state.archive).toEqual({ status: 'escalated', objects: 2, bytes: 900 });
    expect(state.error).toEqual({ Error: 'States.Timeout', Cause: 'x' });
    // Loose at the top: states the workflow adds later must not break the earlier functions.
    expect((state as unknown as Record<string, unknown>).extra).toEqual({ kept: true });
  });

  it('accepts a KYC check with a clientKey and an offset timestamp', () => {
    const sessionId = '0f6a1e2c-2390-11f1-8000-0242ac120002';
    const kyc = { provider: 'kyc', checkId: sessionId, checkRef: checkRefOf(TEST_KEY, 'kyc', sessionId), createdAt: '2026-03-19T11:31:06+01:00', clientKey: 'client_1' };
    expect(parseWorkflowState({ check: kyc }, TEST_KEY).check).toEqual(kyc);
  });

  it('drops check fields it does not know (they never reach keys or records)', () => {
    expect(parseWorkflowState({ check: check({ email: 'user@example.com' }) }, TEST_KEY).check).not.toHaveProperty('email');
  });

  it.each([
    ['no check', { poll }, ['check']],
    ['an unknown provider', { check: check({ provider: 'fax' }) }, ['check.provider']],
    ['an empty checkId', { check: check({ checkId: '' }) }, ['check.checkId']],
    ['a checkId that is not a string', { check: check({ checkId: 42 }) }, ['check.checkId']],
    ['an oversized checkId', { check: check({ checkId: 'x'.repeat(2049) }) }, ['check.checkId']],
    ['a clientKey over 36 characters', { check: check({ clientKey: 'k'.repeat(37) }) }, ['check.clientKey']],
    ['a checkRef that is not a hash', { check: check({ checkRef: TOKEN }) }, ['check.checkRef']],
    ['a createdAt that is not a timestamp', { check: check({ createdAt: 'yesterday' }) }, ['check.createdAt']],
    ['a bad retention class', { check: check({ retentionClass: 'Forever!' }) }, ['check.retentionClass']],
    ['an unknown poll state', { check: check(), poll: { ...poll, state: 'waiting' } }, ['poll.state']],
    ['a zero attempt', { check: check(), poll: { ...poll, attempt: 0 } }, ['poll.attempt']],
    ['a negative wait', { check: check(), poll: { ...poll, waitSeconds: -1 } }, ['poll.waitSeconds']],
    ['a fractional transient count', { check: check(), poll: { ...poll, transientErrors: 1.5 } }, ['poll.transientErrors']],
    ['a poll without firstPolledAt', { check: check(), poll: { ...poll, firstPolledAt: undefined } }, ['poll.firstPolledAt']],
    ['an archive summary without status', { check: check(), archive: { objects: 1 } }, ['archive.status']],
    ['an error without a name', { check: check(), error: { Cause: 'boom' } }, ['error.Error']],
    ['several problems at once', { check: check({ provider: 'fax', createdAt: 'soon' }), poll: { ...poll, attempt: -1 } }, ['check.provider', 'check.createdAt', 'poll.attempt']],
    ['null', null, ['(state)']],
    ['a string', TOKEN, ['(state)']],
    ['an array', [check()], ['(state)']],
  ])('refuses %s, naming the path', (_name, input, paths) => {
    const error = rejection(input);
    expect(error.message).toBe(`workflow state invalid at: ${paths.join(', ')}`);
  });

  it('never echoes a value, whatever is wrong', () => {
    const values = [TOKEN, 'provider-SECRET', 'SECRET-created', 'client-SECRET-key-that-is-far-too-long-to-pass'];
    const error = rejection({ check: { provider: values[1], checkId: TOKEN, checkRef: TOKEN, createdAt: values[2], clientKey: values[3] } });
    expect(error.message).toBe('workflow state invalid at: check.provider, check.clientKey, check.checkRef, check.createdAt');
    for (const value of values) expect(`${error.message}\n${error.stack}`).not.toContain(value);
  });

  it('refuses a checkRef that is a hash, but not of this check id', () => {
    const error = rejection({ check: check({ checkRef: checkRefOf(TEST_KEY, 'liveness', 'another-token') }) });
    expect(error.message).toBe('workflow state invalid at: check.checkRef (not the hash of the check id)');
    expect(error.message).not.toContain(TOKEN);
    // The hash covers the provider too: the same id under another provider is another check.
    expect(() => parseWorkflowState({ check: check({ provider: 'verification' }) }, TEST_KEY)).toThrow(/check\.checkRef/);
  });
});

describe('salvageCheck', () => {
  it('returns the state’s own check when it is valid', () => {
    const full = check({ retentionClass: 'aml-cdd', clientKey: 'client_1' });
    expect(salvageCheck({ check: full, error: { Error: 'X' } }, NOW, TEST_KEY)).toEqual(full);
  });

  it('rebuilds the checkRef when it does not match, keeping the valid fields', () => {
    const salvaged = salvageCheck({ check: check({ checkRef: 'f'.repeat(32), clientKey: 'client_1', retentionClass: 'aml-cdd' }) }, NOW, TEST_KEY);
    expect(salvaged).toEqual({ ...check(), clientKey: 'client_1', retentionClass: 'aml-cdd' } satisfies Record<string, unknown>);
  });

  it('rebuilds from provider and check id alone: fresh checkRef, createdAt now', () => {
    const salvaged = salvageCheck({ check: { provider: 'verification', checkId: 'ver_1', checkRef: 'nope', createdAt: 'soon' } }, NOW, TEST_KEY);
    expect(salvaged).toEqual<WorkflowCheck>({
      provider: 'verification',
      checkId: 'ver_1',
      checkRef: checkRefOf(TEST_KEY, 'verification', 'ver_1'),
      createdAt: NOW.toISOString(),
    });
  });

  it('keeps a valid clientKey even when another field is broken (its hash and the cause’s redaction need it)', () => {
    const salvaged = salvageCheck({ check: { provider: 'kyc', checkId: 'not-a-uuid', clientKey: 'client_7', createdAt: 7, retentionClass: 'BAD CLASS' } }, NOW, TEST_KEY);
    expect(salvaged).toEqual({ provider: 'kyc', checkId: 'not-a-uuid', checkRef: checkRefOf(TEST_KEY, 'kyc', 'not-a-uuid'), createdAt: NOW.toISOString(), clientKey: 'client_7' });
  });

  it('drops an invalid clientKey rather than the check', () => {
    const salvaged = salvageCheck({ check: check({ clientKey: 'k'.repeat(40) }) }, NOW, TEST_KEY);
    expect(salvaged).toEqual(check());
  });

  it.each([
    ['no state', undefined],
    ['null', null],
    ['a string', 'liveness'],
    ['no check', { error: { Error: 'X' } }],
    ['a check that is a string', { check: TOKEN }],
    ['no provider', { check: { checkId: TOKEN } }],
    ['an unknown provider', { check: check({ provider: 'fax' }) }],
    ['no check id', { check: { provider: 'kyc', createdAt: '2026-03-19T10:31:06.000Z' } }],
    ['an empty check id', { check: check({ checkId: '' }) }],
    ['a numeric check id', { check: check({ checkId: 12 }) }],
  ])('finds nothing usable in %s', (_name, input) => {
    expect(salvageCheck(input, NOW, TEST_KEY)).toBeUndefined();
  });
});
