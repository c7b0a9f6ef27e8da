/**
 * pollCheck against the real fake providers through the real provider clients: what one poll turns into (wait,
 * terminal, timed-out), how transient provider faults are absorbed into the backoff, and what is rethrown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { envCredentials } from '../../../lambdas/common/credentials';
import { ProviderUnavailableError } from '../../../lambdas/common/errors';
import { pollCheck, type PollDeps } from '../../../lambdas/polling/poll-check';
import { DEFAULT_POLLING_POLICY, pollingPolicySchema, type PollingPolicy } from '../../../lambdas/polling/polling-policy';
import { createProviderClient } from '../../../lambdas/providers';
import { REJECTED_INPUT_STATUS, type ProviderName } from '../../../lambdas/checks/check-status';
import type { PollOutput, WorkflowState } from '../../../lambdas/checks/workflow-contract';
import { startFakeProviders, type CheckScript, type FakeProviders } from '../../../local/fake-providers';
import { caught, expectTypedError } from '../providers/support/helpers';
import { TEST_KEY } from '../../support/identifier-key';

/** The fake providers run on this virtual clock, and so does the poller: simulated time = poller time. */
const T0 = Date.parse('2026-03-19T10:31:06.000Z');
let t = T0;
const now = () => new Date(t);

let fake: FakeProviders;
beforeAll(async () => {
  fake = await startFakeProviders({ now: () => t });
});
afterAll(() => fake.close());

function credentialsEnv(overrides: Record<string, string> = {}) {
  return envCredentials({
    LIVENESS_API_KEY: fake.credentials.livenessApiKey,
    KYC_API_TOKEN: fake.credentials.kycJwt,
    VERIFICATION_API_KEY: fake.credentials.verificationApiKey,
    ...overrides,
  });
}

interface Recorded {
  deps: PollDeps;
  logged: Array<Record<string, unknown>>;
  transientErrors: ProviderUnavailableError[];
}

function depsFor(provider: ProviderName, policy: PollingPolicy = DEFAULT_POLLING_POLICY, credentialOverrides: Record<string, string> = {}): Recorded {
  const logged: Array<Record<string, unknown>> = [];
  const transientErrors: ProviderUnavailableError[] = [];
  const deps: PollDeps = {
    client: createProviderClient(provider, { baseUrl: fake.baseUrl, credentials: credentialsEnv(credentialOverrides) }),
    policy,
    now,
    logger: { info: (message, fields) => logged.push({ message, ...fields }), warn: (message, fields) => logged.push({ level: 'warn', message, ...fields }) },
    onTransientError: (error) => transientErrors.push(error),
  };
  return { deps, logged, transientErrors };
}

function stateOf(provider: ProviderName, checkId: string, extra: Partial<WorkflowState> = {}): WorkflowState {
  return {
    check: { provider, checkId, checkRef: checkRefOf(TEST_KEY, provider, checkId), createdAt: new Date(T0).toISOString() },
    ...extra,
  };
}

function added(script: CheckScript): WorkflowState {
  const { provider, checkId } = fake.addCheck(script);
  return stateOf(provider, checkId);
}

/** Polls until the answer is not 'pending' (or `max` polls), carrying each output into the next state. */
async function pollUntilSettled(deps: PollDeps, state: WorkflowState, max = 10): Promise<PollOutput[]> {
  const outputs: PollOutput[] = [];
  let current = state;
  for (let i = 0; i < max; i++) {
    const output = await pollCheck(deps, current);
    outputs.push(output);
    if (output.state !== 'pending') break;
    current = { ...current, poll: output };
  }
  return outputs;
}

function requestsOf(checkId: string): number {
  return fake.stats().checks.find((check) => check.checkId === checkId)?.requests ?? 0;
}

const policy = (overrides: Record<string, unknown>) => pollingPolicySchema.parse(overrides);

describe('pollCheck: answers', () => {
  it('a pending liveness check is polled every 3 s in its first ten minutes, then completes', async () => {
    const { deps, logged } = depsFor('liveness');
    const state = added({ provider: 'liveness', pending: { polls: 2 } });
    const outputs = await pollUntilSettled(deps, state);
    expect(outputs).toEqual([
      { state: 'pending', attempt: 1, firstPolledAt: now().toISOString(), waitSeconds: 3, providerStatus: 'pending', transientErrors: 0 },
      { state: 'pending', attempt: 2, firstPolledAt: now().toISOString(), waitSeconds: 3, providerStatus: 'in_progress', transientErrors: 0 },
      // The provider's completion time travels on: the archive step's evidence window starts there.
      { state: 'complete', attempt: 3, firstPolledAt: now().toISOString(), waitSeconds: 0, providerStatus: 'complete', transientErrors: 0, completedAt: expect.any(String) },
    ]);
    expect(Date.parse(outputs[2]!.completedAt!)).toBeGreaterThan(0);
    // Logs name the check by its ref: a liveness token is a bearer secret.
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatchObject({ message: 'polled', provider: 'liveness', checkRef: state.check.checkRef, state: 'pending' });
    expect(JSON.stringify(logged)).not.toContain(state.check.checkId);
  });

  it('the wait follows the policy: a custom backoff, capped at maxSeconds once the fast phase is over', async () => {
    const { deps } = depsFor('verification', policy({ initialSeconds: 10, factor: 3, maxSeconds: 40, fastPhaseSeconds: 0 }));
    const outputs = await pollUntilSettled(deps, added({ provider: 'verification', pending: { polls: 3 } }));
    expect(outputs.map((output) => [output.state, output.waitSeconds])).toEqual([
      ['pending', 10],
      ['pending', 30],
      ['pending', 40],
      ['complete', 0],
    ]);
    expect(outputs[0]!.providerStatus).toBe('processing');
  });

  it('a KYC session about to expire is looked at again when it does, not after the full backoff', async () => {
    const { deps } = depsFor('kyc', policy({ initialSeconds: 30, maxSeconds: 60, fastPhaseSeconds: 0 }));
    const output = await pollCheck(deps, added({ provider: 'kyc', pending: { polls: 5 }, ttlSeconds: 5 }));
    expect(output).toMatchObject({ state: 'pending', providerStatus: 'idle', waitSeconds: 6 });
  });

  it.each([
    ['liveness', { provider: 'liveness', outcome: 'failed' }, 'failed'],
    ['liveness', { provider: 'liveness', outcome: 'expired' }, '410'],
    ['kyc', { provider: 'kyc', outcome: 'expired' }, 'expired'],
    ['verification', { provider: 'verification', outcome: 'forbidden' }, '403'],
    ['verification', { provider: 'verification', outcome: 'not-found' }, '404'],
  ] as Array<[ProviderName, CheckScript, string]>)('a terminal %s answer without a result ends polling as no-result (%j)', async (provider, script, providerStatus) => {
    const { deps } = depsFor(provider);
    const output = await pollCheck(deps, added(script));
    // KYC states when it answered (its terminal time); the others' terminal answers without a result state none.
    const completed = provider === 'kyc' ? { completedAt: expect.any(String) } : {};
    expect(output).toEqual({ state: 'no-result', attempt: 1, firstPolledAt: now().toISOString(), waitSeconds: 0, providerStatus, transientErrors: 0, ...completed });
  });

  it('an unknown KYC session is no-result', async () => {
    const { deps } = depsFor('kyc');
    const output = await pollCheck(deps, stateOf('kyc', '0f6a1e2c-2390-11f1-8000-0242ac120002'));
    expect(output).toMatchObject({ state: 'no-result', providerStatus: 'error', attempt: 1 });
  });

  it('a pending check past its provider budget ends as timed-out, keeping the last provider status', async () => {
    const { deps } = depsFor('liveness');
    const state = added({ provider: 'liveness', pending: { polls: 50 } });
    const first = await pollCheck(deps, state);
    const previous: PollOutput = { ...first, firstPolledAt: new Date(t - 3_601_000).toISOString() };
    expect(await pollCheck(deps, { ...state, poll: previous })).toMatchObject({
      state: 'timed-out',
      attempt: 2,
      waitSeconds: 0,
      providerStatus: 'in_progress',
    });
  });
});

describe('pollCheck: input the provider would refuse', () => {
  it.each([
    ['a random string', 'not-a-session-id'],
    ['a UUID v4', '3b241101-e2bb-4255-8caf-4136c566a962'],
  ])('a KYC sessionId that is %s is sent as given; the provider\'s 400 ends it as no-result', async (_name, sessionId) => {
    const { deps, logged } = depsFor('kyc');
    const before = fake.stats().requests.kyc;
    const output = await pollCheck(deps, stateOf('kyc', sessionId));
    expect(output).toEqual({
      state: 'no-result',
      attempt: 1,
      firstPolledAt: now().toISOString(),
      waitSeconds: 0,
      providerStatus: '400',
      transientErrors: 0,
    });
    expect(fake.stats().requests.kyc).toBe(before + 1);
    expect(JSON.stringify(logged)).not.toContain(sessionId);
  });

  it('an id that cannot be sent at all ends as no-result without any request', async () => {
    const { deps } = depsFor('liveness');
    const before = fake.stats().requests.liveness;
    expect(await pollCheck(deps, stateOf('liveness', 'x'.repeat(5000)))).toMatchObject({ state: 'no-result', providerStatus: REJECTED_INPUT_STATUS });
    expect(fake.stats().requests.liveness).toBe(before);
  });

  it('a KYC check with a clientKey is looked up by it, whatever the sessionId', async () => {
    const { deps } = depsFor('kyc');
    const { checkId, clientKey } = fake.addCheck({ provider: 'kyc' });
    const state = stateOf('kyc', checkId);
    const output = await pollCheck(deps, { ...state, check: { ...state.check, clientKey: clientKey! } });
    expect(output).toMatchObject({ state: 'complete', providerStatus: 'success' });
  });
});

describe('pollCheck: transient provider errors', () => {
  it('a 503 is absorbed into the backoff, counted, and reset by the next real answer', async () => {
    const { deps, transientErrors, logged } = depsFor('liveness');
    const state = added({ provider: 'liveness', pending: { polls: 1 }, faults: { serverErrors: { count: 2, status: 503 } } });
    const outputs = await pollUntilSettled(deps, state);
    expect(outputs).toEqual([
      { state: 'pending', attempt: 1, firstPolledAt: now().toISOString(), waitSeconds: 3, providerStatus: 'unavailable', transientErrors: 1 },
      // Errors in a row double the wait, fast phase or not: an outage is not hammered every 3 s.
      { state: 'pending', attempt: 2, firstPolledAt: now().toISOString(), waitSeconds: 6, providerStatus: 'unavailable', transientErrors: 2 },
      { state: 'pending', attempt: 3, firstPolledAt: now().toISOString(), waitSeconds: 3, providerStatus: 'pending', transientErrors: 0 },
      { state: 'complete', attempt: 4, firstPolledAt: now().toISOString(), waitSeconds: 0, providerStatus: 'complete', transientErrors: 0, completedAt: expect.any(String) },
    ]);
    expect(transientErrors.map((error) => error.details.statusCode)).toEqual([503, 503]);
    expect(logged[0]).toMatchObject({ transientError: 503 });
    expect(logged[2]).not.toHaveProperty('transientError');
  });

  it('a 429 Retry-After longer than the backoff is honoured', async () => {
    const { deps, transientErrors } = depsFor('verification');
    const codesBefore = fake.stats().statusCodes[429] ?? 0;
    const state = added({ provider: 'verification', pending: { polls: 1 }, faults: { rateLimited: { count: 1, retryAfterSeconds: 17 } } });
    const output = await pollCheck(deps, state);
    expect(output).toEqual({
      state: 'pending',
      attempt: 1,
      firstPolledAt: now().toISOString(),
      waitSeconds: 17,
      providerStatus: 'unavailable',
      transientErrors: 1,
    });
    expect(transientErrors[0]!.details).toEqual({ statusCode: 429, retryAfterSeconds: 17 });
    expect((fake.stats().statusCodes[429] ?? 0) - codesBefore).toBe(1);
  });

  it('a Retry-After shorter than the backoff does not shorten the wait; the last provider status is kept', async () => {
    const { deps } = depsFor('kyc', policy({ initialSeconds: 20, fastPhaseSeconds: 0 }));
    const state = added({ provider: 'kyc', pending: { polls: 3 }, faults: { rateLimited: { count: 1, retryAfterSeconds: 1 } } });
    const previous: PollOutput = { state: 'pending', attempt: 1, firstPolledAt: now().toISOString(), waitSeconds: 20, providerStatus: 'processing', transientErrors: 0 };
    const output = await pollCheck(deps, { ...state, poll: previous });
    expect(output).toMatchObject({ state: 'pending', attempt: 2, waitSeconds: 40, providerStatus: 'processing', transientErrors: 1 });
  });

  it('errors beyond maxTransientErrors are rethrown as ProviderUnavailableError for the workflow to retry', async () => {
    const { deps, transientErrors } = depsFor('kyc', policy({ maxTransientErrors: 2 }));
    const state = added({ provider: 'kyc', pending: { polls: 1 }, faults: { serverErrors: { count: 3, status: 502 } } });
    const first = await pollCheck(deps, state);
    const second = await pollCheck(deps, { ...state, poll: first });
    expect([first.transientErrors, second.transientErrors]).toEqual([1, 2]);
    const error = expectTypedError(await caught(pollCheck(deps, { ...state, poll: second })), 'ProviderUnavailableError', true, [state.check.checkId]);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).details.statusCode).toBe(502);
    expect(transientErrors).toHaveLength(3);
    expect(requestsOf(state.check.checkId)).toBe(3);
  });

  it('with maxTransientErrors 0 the first fault is rethrown', async () => {
    const { deps } = depsFor('liveness', policy({ maxTransientErrors: 0 }));
    const state = added({ provider: 'liveness', faults: { rateLimited: { count: 1, retryAfterSeconds: 5 } } });
    const error = await caught(pollCheck(deps, state));
    expectTypedError(error, 'ProviderUnavailableError', true, [state.check.checkId]);
    expect((error as ProviderUnavailableError).details).toEqual({ statusCode: 429, retryAfterSeconds: 5 });
  });

  it('a truncated answer is transient too', async () => {
    const { deps } = depsFor('verification');
    const state = added({ provider: 'verification', faults: { truncated: { count: 1 } } });
    expect(await pollCheck(deps, state)).toMatchObject({ state: 'pending', transientErrors: 1 });
    expect(await pollCheck(deps, state)).toMatchObject({ state: 'complete', transientErrors: 0 });
  });
});

describe('pollCheck: errors that are not transient', () => {
  it.each([
    ['liveness', { LIVENESS_API_KEY: 'wrong-liveness-key' }],
    ['kyc', { KYC_API_TOKEN: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3cm9uZyJ9.d3Jvbmctc2lnbmF0dXJl' }],
    ['verification', { VERIFICATION_API_KEY: 'wrong-verification-key' }],
  ] as Array<[ProviderName, Record<string, string>]>)('a refused %s credential is rethrown as ProviderAuthError, not absorbed', async (provider, credentials) => {
    const { deps, transientErrors, logged } = depsFor(provider, DEFAULT_POLLING_POLICY, credentials);
    const state = added({ provider } as CheckScript);
    const secrets = [state.check.checkId, ...Object.values(credentials)];
    expectTypedError(await caught(pollCheck(deps, state)), 'ProviderAuthError', false, secrets);
    expect(transientErrors).toEqual([]);
    expect(logged).toEqual([]);
  });
});

describe('pollCheck: escalated verification', () => {
  it('under review: polls at the escalation interval', async () => {
    const { deps } = depsFor('verification');
    const output = await pollCheck(deps, added({ provider: 'verification', outcome: 'escalated' }));
    expect(output).toMatchObject({ state: 'escalated', providerStatus: 'escalated', waitSeconds: DEFAULT_POLLING_POLICY.escalationSeconds });
  });

  it('a deadline sooner than the interval: polls once right after it', async () => {
    const { deps } = depsFor('verification');
    const output = await pollCheck(deps, added({ provider: 'verification', outcome: 'escalated', escalation: { deadlineMs: 30_000 } }));
    expect(output).toMatchObject({ state: 'escalated', waitSeconds: 31 });
  });

  it('past its deadline: still followed, at the review pace (reviews overrun)', async () => {
    const { deps } = depsFor('verification');
    const output = await pollCheck(
      deps,
      added({ provider: 'verification', outcome: 'escalated', completedAgoMs: 2 * 3_600_000, escalation: { deadlineMs: 60_000 } }),
    );
    expect(output).toMatchObject({ state: 'escalated', providerStatus: 'escalated', waitSeconds: DEFAULT_POLLING_POLICY.escalationSeconds });
  });

  it('resolved after review: complete', async () => {
    const { deps } = depsFor('verification');
    const state = added({ provider: 'verification', outcome: 'escalated', escalation: { resolveAfter: { polls: 1 } } });
    const first = await pollCheck(deps, state);
    expect(first.state).toBe('escalated');
    expect(await pollCheck(deps, { ...state, poll: first })).toMatchObject({ state: 'complete', attempt: 2, providerStatus: 'completed' });
  });
});

describe('pollCheck: a status the document does not list', () => {
  it('keeps polling within the budget, logs the word it saw (never the id) and counts it as provider drift', async () => {
    const { deps, logged } = depsFor('verification');
    const unknown: ProviderName[] = [];
    const { checkId } = fake.addCheck({
      provider: 'verification',
      answers: [
        { status: 200, body: { id: '{{checkId}}', status: 'queued_for_model_v2', createdAt: '2026-11-01T10:00:00Z' } },
        { status: 200, body: { id: '{{checkId}}', status: 'completed', verdict: true, createdAt: '2026-11-01T10:00:00Z' } },
      ],
    });
    const state = stateOf('verification', checkId);
    const first = await pollCheck({ ...deps, onUnknownStatus: (provider) => unknown.push(provider) }, state);
    expect(first).toMatchObject({ state: 'pending', providerStatus: 'queued_for_model_v2', waitSeconds: DEFAULT_POLLING_POLICY.initialSeconds });
    expect(unknown).toEqual(['verification']);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'warn', providerStatus: 'queued_for_model_v2', checkRef: state.check.checkRef }));
    expect(JSON.stringify(logged)).not.toContain(checkId);
    expect(await pollCheck(deps, { ...state, poll: first })).toMatchObject({ state: 'complete', attempt: 2 });
  });
});
