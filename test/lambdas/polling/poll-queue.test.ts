/**
 * One message of the poll loop with recorded ports and a scripted provider: what goes back to the workflow (the poll,
 * or the error by its name), what goes on as the next message, and what is left to SQS to deliver again.
 */
import { describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import type { CheckStatus, StatusSource } from '../../../lambdas/checks/check-status';
import { ProviderAuthError, ProviderUnavailableError } from '../../../lambdas/common/errors';
import { sdkLoopPorts } from '../../../lambdas/polling/loop-ports';
import { LOOP } from '../../../lambdas/polling/poll-loop';
import { loopTurn, MalformedPollMessageError, TaskClosedError, type LoopDeps, type LoopPorts } from '../../../lambdas/polling/poll-queue';
import { DEFAULT_POLLING_POLICY } from '../../../lambdas/polling/polling-policy';
import { pollDepsFromEnv } from '../../../lambdas/polling/runtime';
import type { PollMessage, WorkflowState } from '../../../lambdas/checks/workflow-contract';
import { TEST_KEY, testKeySource } from '../../support/identifier-key';

const t0 = new Date('2026-11-01T10:00:00.000Z');
const checkId = 'liveness-token-secret';
const state: WorkflowState = {
  check: { provider: 'liveness', checkId, checkRef: checkRefOf(TEST_KEY, 'liveness', checkId), createdAt: t0.toISOString() },
};
const pending: CheckStatus = { kind: 'pending', provider: 'liveness', providerStatus: 'in_progress', times: {} };
const complete: CheckStatus = { kind: 'complete', provider: 'liveness', providerStatus: 'complete', outcome: 'passed', result: {}, times: {} };

type Call = [string, ...unknown[]];

function harness(answers: Array<CheckStatus | Error>, options: { closed?: boolean; now?: Date } = {}) {
  const calls: Call[] = [];
  let polls = 0;
  const client: StatusSource = {
    provider: 'liveness',
    async getStatus() {
      polls++;
      const answer = answers.shift() ?? pending;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  const closed = async () => {
    if (options.closed) throw new TaskClosedError('gone');
  };
  const ports: LoopPorts = {
    send: async (message, delay) => void calls.push(['send', message, delay]),
    succeed: async (token, output) => (await closed(), void calls.push(['succeed', token, output])),
    fail: async (token, error, cause) => (await closed(), void calls.push(['fail', token, error, JSON.parse(cause)])),
    heartbeat: async (token) => (await closed(), void calls.push(['heartbeat', token])),
  };
  const deps: LoopDeps = { ports, pollDeps: () => ({ client, policy: DEFAULT_POLLING_POLICY, now: () => options.now ?? t0 }), identifierKey: testKeySource, now: () => options.now ?? t0 };
  return { deps, calls, polls: () => polls };
}

const body = (message: Partial<PollMessage> & { state?: unknown } = {}) => JSON.stringify({ taskToken: 'tok', state, ...message });

describe('loopTurn', () => {
  it('polls, and sends the next message with the poll in its state while the check is pending', async () => {
    const h = harness([pending]);
    expect(await loopTurn(h.deps, body())).toBe('polled-again');
    expect(h.calls).toHaveLength(1);
    const [kind, message, delay] = h.calls[0]!;
    expect(kind).toBe('send');
    expect(delay).toBe(DEFAULT_POLLING_POLICY.fastMaxSeconds);
    expect(message).toMatchObject({ taskToken: 'tok', state: { check: state.check, poll: { state: 'pending', attempt: 1 } } });
  });

  it('hands a terminal poll back to the workflow with SendTaskSuccess, and sends nothing more', async () => {
    const h = harness([complete]);
    expect(await loopTurn(h.deps, body())).toBe('handed-back');
    expect(h.calls).toEqual([['succeed', 'tok', expect.objectContaining({ state: 'complete', attempt: 1 })]]);
  });

  it('fails the task with the error name Retry and Catch match, the cause shaped like a Lambda error', async () => {
    const h = harness([new ProviderAuthError('key refused')]);
    expect(await loopTurn(h.deps, body())).toBe('failed');
    expect(h.calls).toEqual([['fail', 'tok', 'ProviderAuthError', { errorType: 'ProviderAuthError', errorMessage: 'key refused' }]]);
  });

  it("hands another provider's check back as ProviderNotServedError, without polling: the poll function of kyc holds kyc's secret only", async () => {
    const h = harness([complete]);
    const kycOnly = pollDepsFromEnv({ PROVIDER: 'kyc', KYC_API_URL: 'https://kyc.example.test', KYC_API_TOKEN: 'jwt' });
    expect(await loopTurn({ ...h.deps, pollDeps: (provider) => kycOnly(provider) }, body())).toBe('failed');
    expect(h.polls()).toBe(0);
    expect(h.calls).toEqual([['fail', 'tok', 'ProviderNotServedError', { errorType: 'ProviderNotServedError', errorMessage: 'this function serves kyc, not liveness' }]]);
  });

  it('absorbs a transient provider error into the loop, then gives it up to the workflow after maxTransientErrors', async () => {
    const h = harness([new ProviderUnavailableError('503', { statusCode: 503 })]);
    expect(await loopTurn(h.deps, body())).toBe('polled-again');
    const exhausted = { state: 'pending', attempt: 40, firstPolledAt: t0.toISOString(), waitSeconds: 60, providerStatus: 'unavailable', transientErrors: DEFAULT_POLLING_POLICY.maxTransientErrors } as const;
    const again = harness([new ProviderUnavailableError('503', { statusCode: 503 })]);
    expect(await loopTurn(again.deps, body({ state: { ...state, poll: exhausted } }))).toBe('failed');
    expect(again.calls[0]).toEqual(['fail', 'tok', 'ProviderUnavailableError', expect.anything()]);
  });

  it('turns a malformed workflow state into InvalidCheckInputError for Record failure, naming paths, never values', async () => {
    const h = harness([]);
    const bad = { check: { ...state.check, checkRef: 'f'.repeat(32) } };
    expect(await loopTurn(h.deps, body({ state: bad }))).toBe('failed');
    expect(h.calls[0]?.[2]).toBe('InvalidCheckInputError');
    expect(JSON.stringify(h.calls)).not.toContain(checkId);
    expect(h.polls()).toBe(0);
  });

  it('refuses a message without a task token (nobody to tell: the dead-letter queue keeps it)', async () => {
    const h = harness([]);
    await expect(loopTurn(h.deps, 'not json')).rejects.toBeInstanceOf(MalformedPollMessageError);
    await expect(loopTurn(h.deps, JSON.stringify({ state }))).rejects.toBeInstanceOf(MalformedPollMessageError);
  });

  it('only passes a long wait on until its poll is due, with a heartbeat when one is due', async () => {
    const h = harness([]);
    const waiting = body({ pollAt: new Date(t0.getTime() + 600_000).toISOString(), heartbeatAt: new Date(t0.getTime() - 400_000).toISOString() });
    expect(await loopTurn(h.deps, waiting)).toBe('passed-on');
    expect(h.polls()).toBe(0);
    expect(h.calls.map((c) => c[0])).toEqual(['heartbeat', 'send']);
    expect(h.calls[1]?.[2]).toBe(LOOP.maxHopSeconds);
  });

  it('ends quietly when the workflow no longer waits on the token', async () => {
    const gone = harness([complete], { closed: true });
    expect(await loopTurn(gone.deps, body())).toBe('closed');
    const lapsed = harness([pending], { closed: true });
    expect(await loopTurn(lapsed.deps, body({ heartbeatAt: new Date(t0.getTime() - 3_600_000).toISOString() }))).toBe('closed');
    expect(lapsed.calls).toEqual([]); // no next message for a loop the workflow gave up on
  });

  it('leaves a port failure to SQS: thrown, so the message comes back and the (read-only) poll runs again', async () => {
    const h = harness([pending]);
    h.deps.ports.send = async () => {
      throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    };
    await expect(loopTurn(h.deps, body())).rejects.toThrow('throttled');
  });
});

describe('sdkLoopPorts', () => {
  it('sends the message as JSON with its delay, and reads the refusals of a closed token as TaskClosedError', async () => {
    const sent: any[] = [];
    const refused = Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
    const ports = sdkLoopPorts({
      sqs: { send: async (command: any) => void sent.push(command.input) } as never,
      sfn: { send: async () => Promise.reject(refused) } as never,
      queueUrl: 'https://sqs.example/q',
    });
    await ports.send({ taskToken: 't', state }, 3);
    expect(sent).toEqual([{ QueueUrl: 'https://sqs.example/q', MessageBody: JSON.stringify({ taskToken: 't', state }), DelaySeconds: 3 }]);
    await expect(ports.succeed('t', { state: 'complete', attempt: 1, firstPolledAt: t0.toISOString(), waitSeconds: 0, providerStatus: 'x', transientErrors: 0 })).rejects.toBeInstanceOf(TaskClosedError);
    await expect(ports.heartbeat('t')).rejects.toBeInstanceOf(TaskClosedError);
  });
});
