import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFERRED, LocalStepFunctionsError, startLocalStepFunctions, type CallbackTask, type LocalStepFunctions } from '../../local/step-functions-service';

const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

/** Poll ⟲ Wait(SecondsPath) loop as the workflow has it, with Retry and Catch on the poll. */
const pollLoop = {
  Comment: 'test poll loop',
  StartAt: 'Poll',
  States: {
    Poll: {
      Type: 'Task',
      Resource: fn('poll'),
      ResultPath: '$.poll',
      Next: 'Route',
      // 20 s then 40 s: unscaled, the retry test would outlast its timeout.
      Retry: [{ ErrorEquals: ['ProviderUnavailableError'], IntervalSeconds: 20, BackoffRate: 2, MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['ProviderUnavailableError', 'ProviderAuthError'], ResultPath: '$.error', Next: 'Record failure' }],
    },
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.poll.state', StringEquals: 'pending', Next: 'Wait' },
        { Variable: '$.poll.state', StringEquals: 'complete', Next: 'Archived' },
      ],
      Default: 'Record failure',
    },
    Wait: { Type: 'Wait', SecondsPath: '$.poll.waitSeconds', Next: 'Poll' },
    Archived: { Type: 'Succeed' },
    'Record failure': { Type: 'Task', Resource: fn('record'), ResultPath: null, Next: 'Failed' },
    Failed: { Type: 'Fail', Error: 'CheckFailed', Cause: 'The check could not be archived' },
  },
};

/** What the scripted poll handler does for one check id: throw these error names first, then pending polls, then complete. */
interface Script {
  id: string;
  errors?: string[];
  pendingPolls?: number;
  waitSeconds?: number;
  bigResult?: boolean;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function namedError(name: string): Error {
  const error = new Error(`provider said no (${name})`);
  error.name = name;
  return error;
}

const client = (endpoint: string) =>
  new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

async function fullHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

async function apiError(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('local Step Functions service (poll loop, real SDK client)', () => {
  let local: LocalStepFunctions;
  let sfn: SFNClient;
  const pollCalls = new Map<string, number>();
  const pollInputs = new Map<string, unknown[]>();
  const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const pollStarted = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const recorded: { check: Script; error?: { Error: string; Cause: string } }[] = [];
  const observedEvents = new Map<string, { type: string }[]>();

  beforeAll(async () => {
    local = await startLocalStepFunctions({
      definition: pollLoop,
      timeFactor: 1000,
      onEvent: (arn, event) => observedEvents.set(arn, [...(observedEvents.get(arn) ?? []), event as { type: string }]),
      taskHandlers: {
        Poll: async (input: { check: Script }) => {
          const { id, errors = [], pendingPolls = 0, waitSeconds = 60, bigResult } = input.check;
          pollInputs.set(id, [...(pollInputs.get(id) ?? []), input]);
          const n = (pollCalls.get(id) ?? 0) + 1;
          pollCalls.set(id, n);
          pollStarted.get(id)?.resolve();
          await gates.get(id)?.promise;
          const error = errors[n - 1];
          if (error) throw namedError(error);
          if (bigResult) return { state: 'pending', waitSeconds, blob: 'x'.repeat(300_000) };
          return n - errors.length <= pendingPolls ? { state: 'pending', waitSeconds, attempt: n } : { state: 'complete', attempt: n };
        },
        'Record failure': async (input: { check: Script; error?: { Error: string; Cause: string } }) => {
          recorded.push(input);
          return { recorded: true };
        },
      },
    });
    sfn = client(local.endpoint);
  });

  afterAll(async () => {
    sfn?.destroy();
    await local?.close();
  });

  const start = (name: string, check: Script) =>
    sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name, input: JSON.stringify({ check }) }));

  it('runs Task → Choice → Wait(SecondsPath) loops at timeFactor; Start/Describe/List/History round-trip', async () => {
    // Two 60 s waits: real time would be 2 minutes, far beyond the test timeout.
    const { executionArn, startDate } = await start('loop-1', { id: 'loop-1', pendingPolls: 2, waitSeconds: 60 });
    expect(executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:audit-archiver-local:loop-1');
    expect(startDate).toBeInstanceOf(Date);
    await local.idle();

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', name: 'loop-1', stateMachineArn: local.stateMachineArn, redriveCount: 0 });
    expect(JSON.parse(described.input ?? '')).toEqual({ check: { id: 'loop-1', pendingPolls: 2, waitSeconds: 60 } });
    expect(JSON.parse(described.output ?? '')).toEqual({ check: { id: 'loop-1', pendingPolls: 2, waitSeconds: 60 }, poll: { state: 'complete', attempt: 3 } });
    expect(described.startDate?.getTime()).toBe(startDate?.getTime());
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(described.startDate?.getTime() ?? Infinity);
    expect(pollCalls.get('loop-1')).toBe(3);

    // Poll, Route, Wait ×2, then Poll, Route, Archived.
    const record = local.executions().find((e) => e.arn === executionArn);
    expect(record).toMatchObject({ status: 'SUCCEEDED', transitions: 9 });

    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: local.stateMachineArn, statusFilter: 'SUCCEEDED' }));
    expect(listed.executions?.map((e) => e.executionArn)).toContain(executionArn);
    expect(listed.executions?.every((e) => e.status === 'SUCCEEDED')).toBe(true);

    const history = await fullHistory(sfn, executionArn ?? '');
    const types = history.map((e) => e.type);
    expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
    expect(record?.events).toBe(history.length);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types.filter((t) => t?.endsWith('StateEntered'))).toHaveLength(9);
    expect(types.filter((t) => t === 'WaitStateEntered')).toHaveLength(2);
    expect(types.filter((t) => t === 'LambdaFunctionSucceeded')).toHaveLength(3);
    const waitEntered = history.find((e) => e.type === 'WaitStateEntered');
    expect(JSON.parse(waitEntered?.stateEnteredEventDetails?.input ?? '')).toMatchObject({ poll: { state: 'pending', waitSeconds: 60 } });
    const withoutData = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false, reverseOrder: true }));
    expect(withoutData.events?.[0]?.type).toBe('ExecutionSucceeded');
    expect(withoutData.events?.some((e) => e.stateEnteredEventDetails?.input !== undefined)).toBe(false);

    // onEvent sees the library's own event log.
    expect(observedEvents.get(executionArn ?? '')?.filter((e) => e.type === 'StateEntered')).toHaveLength(9);
  });

  it('StartExecution with the same name and input while running returns the same execution; otherwise ExecutionAlreadyExists', async () => {
    const gate = deferred();
    gates.set('dup', gate);
    const check = { id: 'dup' };
    const first = await start('dup', check);
    const again = await start('dup', check);
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());

    const otherInput = await apiError(start('dup', { id: 'dup', pendingPolls: 1 }));
    expect(otherInput.name).toBe('ExecutionAlreadyExists');
    expect(otherInput).toBeInstanceOf(ExecutionAlreadyExists);

    gate.resolve();
    await local.idle();
    const afterCompletion = await apiError(start('dup', check));
    expect(afterCompletion.name).toBe('ExecutionAlreadyExists');
    expect(afterCompletion).toBeInstanceOf(ExecutionAlreadyExists);
    expect(afterCompletion.$metadata?.httpStatusCode).toBe(400);
    expect(local.executions().filter((e) => e.name === 'dup')).toHaveLength(1);
    expect(pollCalls.get('dup')).toBe(1);
  });

  it('rejects invalid names, unknown state machines and bad input with the AWS error codes', async () => {
    for (const name of ['', 'has space', 'a/b', 'semi;colon', 'brace{', 'tab\there', 'ctrl\u0001', 'x'.repeat(81)]) {
      expect((await apiError(start(name, { id: 'never' }))).name, JSON.stringify(name)).toBe('InvalidName');
    }
    const okName = 'a'.repeat(80);
    expect((await start(okName, { id: okName })).executionArn).toContain(okName);

    const startWith = (stateMachineArn: string, input: string) => sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'x', input }));
    expect((await apiError(startWith('arn:aws:states:us-east-1:000000000000:stateMachine:other', '{}'))).name).toBe('StateMachineDoesNotExist');
    expect((await apiError(startWith('not-an-arn', '{}'))).name).toBe('InvalidArn');
    expect((await apiError(startWith(local.stateMachineArn, '{not json'))).name).toBe('InvalidExecutionInput');
    const tooBig = JSON.stringify({ check: { id: 'big' }, pad: 'x'.repeat(256 * 1024) });
    expect((await apiError(startWith(local.stateMachineArn, tooBig))).name).toBe('InvalidExecutionInput');
    const unknownArn = 'arn:aws:states:us-east-1:000000000000:execution:audit-archiver-local:nope';
    expect((await apiError(sfn.send(new DescribeExecutionCommand({ executionArn: unknownArn })))).name).toBe('ExecutionDoesNotExist');
    expect(local.executions().some((e) => e.name === 'x')).toBe(false);
    await local.idle();
  });

  it('matches Retry and Catch on the thrown error name', async () => {
    const retried = await start('retry-then-catch', {
      id: 'retry',
      errors: ['ProviderUnavailableError', 'ProviderUnavailableError', 'ProviderUnavailableError'],
    });
    const notRetried = await start('catch-only', { id: 'auth', errors: ['ProviderAuthError'] });
    await local.idle();

    expect(pollCalls.get('retry')).toBe(3); // first attempt + MaxAttempts 2
    expect(pollCalls.get('auth')).toBe(1); // not in the retrier's ErrorEquals
    for (const { executionArn } of [retried, notRetried]) {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(described).toMatchObject({ status: 'FAILED', error: 'CheckFailed', cause: 'The check could not be archived' });
    }
    const caught = recorded.find((r) => r.check.id === 'retry');
    expect(caught?.error?.Error).toBe('ProviderUnavailableError');
    expect(JSON.parse(caught?.error?.Cause ?? '')).toMatchObject({ errorType: 'ProviderUnavailableError', errorMessage: 'provider said no (ProviderUnavailableError)' });
    expect(recorded.find((r) => r.check.id === 'auth')?.error?.Error).toBe('ProviderAuthError');

    const records = local.executions();
    // Poll + 2 retries, Record failure, Failed — retries are billed transitions too.
    expect(records.find((e) => e.name === 'retry-then-catch')?.transitions).toBe(5);
    expect(records.find((e) => e.name === 'catch-only')?.transitions).toBe(3);
    const types = (await fullHistory(sfn, retried.executionArn ?? '')).map((e) => e.type);
    expect(types.filter((t) => t === 'LambdaFunctionFailed')).toHaveLength(3);
    expect(types.at(-1)).toBe('ExecutionFailed');
  });

  it('redrives a FAILED execution at the state that failed, with the input it had there; same name and ARN', async () => {
    // Poll (pending) → Route → Wait → Poll fails (ConfigurationError, not caught): the execution fails at the second Poll.
    const { executionArn } = await start('redrive-me', { id: 'redrive', errors: ['', 'ConfigurationError'], waitSeconds: 5 });
    await local.idle();
    const failed = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'ConfigurationError', redriveStatus: 'REDRIVABLE' });
    expect(JSON.parse(failed.cause ?? '')).toMatchObject({ errorType: 'ConfigurationError' });
    const eventsBefore = (await fullHistory(sfn, executionArn ?? '')).length;

    const { redriveDate } = await sfn.send(new RedriveExecutionCommand({ executionArn }));
    expect(redriveDate).toBeInstanceOf(Date);
    await local.idle();
    const redriven = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, name: 'redrive-me' });
    expect(redriven.error).toBeUndefined();
    expect(pollCalls.get('redrive')).toBe(3);
    // The third poll got the failed poll's input (the first poll's result in $.poll), not the execution's input.
    expect(pollInputs.get('redrive')?.[2]).toEqual(pollInputs.get('redrive')?.[1]);
    expect(pollInputs.get('redrive')?.[2]).toMatchObject({ poll: { state: 'pending', attempt: 1 } });

    const history = await fullHistory(sfn, executionArn ?? '');
    const types = history.map((e) => e.type);
    expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    expect(types.indexOf('ExecutionFailed')).toBeLessThan(types.indexOf('ExecutionRedriven'));
    // After the redrive: Poll again, then Route and Archived — nothing before the failed state ran again.
    const after = history.slice(eventsBefore).filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);
    expect(after).toEqual(['Poll', 'Route', 'Archived']);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(local.executions().find((e) => e.arn === executionArn)?.transitions).toBe(4 + 3); // Poll, Route, Wait, Poll; then Poll, Route, Archived

    const again = await apiError(sfn.send(new RedriveExecutionCommand({ executionArn })));
    expect(again.name).toBe('ExecutionNotRedrivable');
    expect(again).toBeInstanceOf(ExecutionNotRedrivable);
    const redrivenOnly = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: local.stateMachineArn, redriveFilter: 'REDRIVEN' }),
    );
    expect(redrivenOnly.executions?.map((e) => e.name)).toContain('redrive-me');
  });

  it('a redrive of an execution that reached its Fail state through a Catch fails again at once, as on AWS', async () => {
    const { executionArn } = await start('redrive-caught', { id: 'redrive-caught', errors: ['ProviderAuthError'] });
    await local.idle();
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', error: 'CheckFailed' });
    const recordedBefore = recorded.length;
    await sfn.send(new RedriveExecutionCommand({ executionArn }));
    await local.idle();
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', error: 'CheckFailed', redriveCount: 1 });
    // Neither the poll nor Record failure ran again: the failed state was the Fail state.
    expect(pollCalls.get('redrive-caught')).toBe(1);
    expect(recorded.length).toBe(recordedBefore);
  });

  it('StopExecution aborts a running execution; the late task result is dropped', async () => {
    const gate = deferred();
    const started = deferred();
    gates.set('stop', gate);
    pollStarted.set('stop', started);
    const { executionArn } = await start('stop-me', { id: 'stop' });
    await started.promise;
    const { stopDate } = await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by the test' }));
    expect(stopDate).toBeInstanceOf(Date);
    gate.resolve();
    await local.idle();

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by the test' });
    expect(described.output).toBeUndefined();
    const types = (await fullHistory(sfn, executionArn ?? '')).map((e) => e.type);
    expect(types.at(-1)).toBe('ExecutionAborted');
    expect(types).not.toContain('LambdaFunctionSucceeded');
  });

  it('fails an execution whose state output exceeds 256 KiB with States.DataLimitExceeded', async () => {
    const { executionArn } = await start('too-big', { id: 'big', bigResult: true });
    await local.idle();
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(pollCalls.get('big')).toBe(1);
  });

  it('pages ListExecutions newest first with maxResults and nextToken', async () => {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: local.stateMachineArn, maxResults: 2, nextToken }));
      expect(page.executions?.length).toBeLessThanOrEqual(2);
      names.push(...(page.executions ?? []).map((e) => e.name ?? ''));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names).toEqual(local.executions().map((e) => e.name).reverse());
    expect((await apiError(sfn.send(new ListExecutionsCommand({ stateMachineArn: local.stateMachineArn, nextToken: 'garbage' })))).name).toBe('InvalidToken');
  });
});

describe('local Step Functions service (limits and integrations)', () => {
  it('ends an execution at TimeoutSeconds ÷ timeFactor as TIMED_OUT', async () => {
    const local = await startLocalStepFunctions({
      definition: {
        StartAt: 'Long wait',
        TimeoutSeconds: 60,
        States: { 'Long wait': { Type: 'Wait', Seconds: 36_000, Next: 'Done' }, Done: { Type: 'Succeed' } },
      },
      taskHandlers: {},
      timeFactor: 1000,
    });
    const sfn = client(local.endpoint);
    try {
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name: 'slow' }));
      await local.idle();
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('TIMED_OUT');
      const types = (await fullHistory(sfn, executionArn ?? '')).map((e) => e.type);
      expect(types).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
    } finally {
      sfn.destroy();
      await local.close();
    }
  });

  it('meters StartExecution with a token bucket, as AWS does: past it, ThrottlingException (HTTP 400), which the SDK retries', async () => {
    const local = await startLocalStepFunctions({
      definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
      taskHandlers: {},
      startExecutionRate: { burst: 2, perSecond: 0.001 },
    });
    const sfn = new SFNClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 2 });
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name: 'a' }));
      await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name: 'b' }));
      const refused = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name: 'c' })).catch((error: unknown) => error as { name: string; $metadata: { httpStatusCode?: number; attempts?: number } });
      expect(refused).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400, attempts: 2 } });
      // Both attempts were refused; no execution was started for them.
      expect(local.startThrottles()).toBe(2);
      expect(local.executions().map((e) => e.name)).toEqual(['a', 'b']);
    } finally {
      sfn.destroy();
      await local.close();
    }
  });

  it('wraps lambda:invoke payloads and queues executions beyond maxConcurrentExecutions', async () => {
    const gate = deferred();
    const seen: unknown[] = [];
    const local = await startLocalStepFunctions({
      definition: {
        StartAt: 'Invoke',
        States: {
          Invoke: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: fn('echo'), Payload: { 'n.$': '$.n', 'execution.$': '$$.Execution.Name' } },
            OutputPath: '$.Payload',
            End: true,
          },
        },
      },
      taskHandlers: {
        Invoke: async (payload: { n: number; execution: string }) => {
          seen.push(payload);
          await gate.promise;
          return { doubled: payload.n * 2 };
        },
      },
      maxConcurrentExecutions: 1,
    });
    const sfn = client(local.endpoint);
    try {
      const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name: 'one', input: '{"n":1}' }));
      const second = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name: 'two', input: '{"n":2}' }));
      const queued = local.executions().find((e) => e.name === 'two');
      expect(queued).toMatchObject({ status: 'RUNNING', events: 0 }); // waiting for a slot: not started
      expect(seen).toEqual([{ n: 1, execution: 'one' }]);
      gate.resolve();
      await local.idle();
      expect(seen).toEqual([
        { n: 1, execution: 'one' },
        { n: 2, execution: 'two' },
      ]);
      for (const [{ executionArn }, doubled] of [[first, 2], [second, 4]] as const) {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        expect(described.status).toBe('SUCCEEDED');
        expect(JSON.parse(described.output ?? '')).toEqual({ doubled });
      }
      const history = await fullHistory(sfn, first.executionArn ?? '');
      expect(history.map((e) => e.type)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
      expect(history[2]?.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke', region: 'us-east-1' });
    } finally {
      sfn.destroy();
      await local.close();
    }
  });

  it('close() aborts running executions, waits for their handlers and stops serving', async () => {
    const gate = deferred();
    const started = deferred();
    let handlerFinished = false;
    const local = await startLocalStepFunctions({
      definition: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: fn('work'), End: true } } },
      taskHandlers: {
        Work: async () => {
          started.resolve();
          await gate.promise;
          handlerFinished = true;
          return {};
        },
      },
    });
    const sfn = client(local.endpoint);
    await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name: 'interrupted' }));
    await started.promise;
    const closing = local.close();
    gate.resolve();
    await closing;
    expect(handlerFinished).toBe(true);
    expect(local.executions()).toMatchObject([{ name: 'interrupted', status: 'ABORTED' }]);
    await expect(sfn.send(new ListExecutionsCommand({ stateMachineArn: local.stateMachineArn }))).rejects.toThrow();
    sfn.destroy();
  });

  it('refuses a definition whose Task states lack local handlers, or handlers for unknown states', async () => {
    await expect(startLocalStepFunctions({ definition: pollLoop, taskHandlers: { Poll: async () => ({}) } })).rejects.toThrow(
      new LocalStepFunctionsError('No local handler for Task state(s): Record failure'),
    );
    const handlers = { Poll: async () => ({}), 'Record failure': async () => ({}), Typo: async () => ({}) };
    await expect(startLocalStepFunctions({ definition: pollLoop, taskHandlers: handlers })).rejects.toBeInstanceOf(LocalStepFunctionsError);
    await expect(startLocalStepFunctions({ definition: { StartAt: 'Nowhere', States: {} }, taskHandlers: {} })).rejects.toThrow(
      /Invalid state machine definition/,
    );
  });
});

describe('local Step Functions service (.waitForTaskToken callbacks)', () => {
  /** The workflow's shape: a callback task that sends the state and its token, a Retry and a Catch. */
  const callbackLoop = (heartbeatSeconds = 900) => ({
    StartAt: 'Poll',
    States: {
      Poll: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        Parameters: { QueueUrl: 'https://sqs.local/q', MessageBody: { 'taskToken.$': '$$.Task.Token', 'state.$': '$' } },
        HeartbeatSeconds: heartbeatSeconds,
        ResultPath: '$.poll',
        Retry: [{ ErrorEquals: ['States.HeartbeatTimeout'], IntervalSeconds: 1, MaxAttempts: 1 }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record failure' }],
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
      'Record failure': { Type: 'Pass', Next: 'Failed' },
      Failed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
    },
  });

  async function withService(
    worker: (state: unknown, task?: CallbackTask) => Promise<unknown>,
    run: (local: LocalStepFunctions, sfn: SFNClient) => Promise<void>,
    heartbeatSeconds?: number,
  ): Promise<void> {
    const local = await startLocalStepFunctions({ definition: callbackLoop(heartbeatSeconds), timeFactor: 1000, taskHandlers: { Poll: worker } });
    const sfn = client(local.endpoint);
    try {
      await run(local, sfn);
    } finally {
      sfn.destroy();
      await local.close();
    }
  }

  const startWith = (local: LocalStepFunctions, sfn: SFNClient, name: string) =>
    sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name, input: JSON.stringify({ check: { id: name } }) }));

  it('gives the worker the state and a fresh token in the parameters; SendTaskSuccess through the API completes the task', async () => {
    const tasks: CallbackTask[] = [];
    const states: unknown[] = [];
    await withService(
      async (state, task) => {
        states.push(state);
        tasks.push(task!);
        return DEFERRED;
      },
      async (local, sfn) => {
        const { executionArn } = await startWith(local, sfn, 'answered');
        await vi.waitFor(() => expect(tasks).toHaveLength(1));
        const { taskToken, parameters } = tasks[0]!;
        expect(states[0]).toEqual({ check: { id: 'answered' } });
        expect(parameters).toEqual({ QueueUrl: 'https://sqs.local/q', MessageBody: { taskToken, state: { check: { id: 'answered' } } } });
        await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
        await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ state: 'complete' }) }));
        await local.idle();
        const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        expect(done.status).toBe('SUCCEEDED');
        expect(JSON.parse(done.output!)).toEqual({ check: { id: 'answered' }, poll: { state: 'complete' } });
        // The task ended: its token is refused as AWS refuses it.
        const late = await apiError(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })));
        expect(late.name).toBe('TaskTimedOut');
        expect((await apiError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'nope' })))).name).toBe('TaskDoesNotExist');
        expect(local.executions().find((e) => e.arn === executionArn)?.transitions).toBe(2);
      },
    );
  });

  it('fails the task with SendTaskFailure by error name, for the Catch; a worker may also answer by returning or throwing', async () => {
    let mode: 'api' | 'throw' | 'return' = 'api';
    const tokens: string[] = [];
    await withService(
      async (_state, task) => {
        if (mode === 'throw') throw namedError('ProviderAuthError');
        if (mode === 'return') return { state: 'no-result' };
        tokens.push(task!.taskToken);
        return DEFERRED;
      },
      async (local, sfn) => {
        const { executionArn } = await startWith(local, sfn, 'refused');
        await vi.waitFor(() => expect(tokens).toHaveLength(1));
        await sfn.send(new SendTaskFailureCommand({ taskToken: tokens[0]!, error: 'ProviderUnavailableError', cause: '{"errorType":"ProviderUnavailableError"}' }));
        await local.idle();
        expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', error: 'ProviderUnavailableError' });

        mode = 'throw';
        const thrown = await startWith(local, sfn, 'thrown');
        await local.idle();
        expect(await sfn.send(new DescribeExecutionCommand({ executionArn: thrown.executionArn }))).toMatchObject({ status: 'FAILED', error: 'ProviderAuthError' });

        mode = 'return';
        const returned = await startWith(local, sfn, 'returned');
        await local.idle();
        const output = (await sfn.send(new DescribeExecutionCommand({ executionArn: returned.executionArn }))).output!;
        expect(JSON.parse(output).poll).toEqual({ state: 'no-result' });
      },
    );
  });

  it('ends a silent task at HeartbeatSeconds with States.HeartbeatTimeout, which Retry and Catch see by name', async () => {
    let workers = 0;
    await withService(
      async () => {
        workers++;
        return DEFERRED; // nobody answers, nobody heartbeats
      },
      async (local, sfn) => {
        const { executionArn } = await startWith(local, sfn, 'silent');
        await local.idle();
        expect(workers).toBe(2); // the first try and one retry
        expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
      },
      1, // HeartbeatSeconds run in real time: the worker's clock is real
    );
  });

  it('closes the tokens of a stopped execution', async () => {
    const tokens: string[] = [];
    await withService(
      async (_state, task) => (tokens.push(task!.taskToken), DEFERRED),
      async (local, sfn) => {
        const { executionArn } = await startWith(local, sfn, 'stopped');
        await vi.waitFor(() => expect(tokens).toHaveLength(1));
        await sfn.send(new StopExecutionCommand({ executionArn }));
        await local.idle();
        expect((await apiError(sfn.send(new SendTaskSuccessCommand({ taskToken: tokens[0]!, output: '{}' })))).name).toBe('TaskTimedOut');
      },
    );
  });
});

describe('local Step Functions service (several state machines on one endpoint, one per provider)', () => {
  const machine = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:audit-archiver-local-Workflow-${name}`;
  const callback = {
    StartAt: 'Poll',
    States: {
      Poll: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        Parameters: { QueueUrl: 'https://sqs.local/q', MessageBody: { 'taskToken.$': '$$.Task.Token', 'state.$': '$' } },
        ResultPath: '$.poll',
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
    },
  };

  it('starts, describes, lists and answers each execution on the state machine it names; names are per state machine', async () => {
    const tasks: { machine: string; token: string }[] = [];
    const handlers = (name: string) => ({ Poll: async (_state: unknown, task?: CallbackTask) => (tasks.push({ machine: name, token: task!.taskToken }), DEFERRED) });
    const local = await startLocalStepFunctions({
      machines: ['kyc', 'liveness'].map((name) => ({ stateMachineArn: machine(name), definition: callback, taskHandlers: handlers(name) })),
      timeFactor: 1000,
    });
    const sfn = client(local.endpoint);
    try {
      expect(local.stateMachineArns).toEqual([machine('kyc'), machine('liveness')]);
      // The same execution name on two state machines: two executions, as in AWS.
      const kyc = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine('kyc'), name: 'check-1', input: '{}' }));
      const liveness = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine('liveness'), name: 'check-1', input: '{}' }));
      expect(kyc.executionArn).toContain(':execution:audit-archiver-local-Workflow-kyc:check-1');
      expect(liveness.executionArn).toContain(':execution:audit-archiver-local-Workflow-liveness:check-1');
      await vi.waitFor(() => expect(tasks).toHaveLength(2));
      // One token space: the token alone finds its task, whichever state machine's.
      for (const { token } of tasks) await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
      await local.idle();
      for (const arn of [kyc.executionArn!, liveness.executionArn!]) {
        expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('SUCCEEDED');
      }
      const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine('kyc') }));
      expect(listed.executions?.map((e) => e.executionArn)).toEqual([kyc.executionArn]);
      expect(local.executions()).toHaveLength(2);
      // A state machine not deployed here is refused as AWS refuses it.
      const unknown = await apiError(sfn.send(new StartExecutionCommand({ stateMachineArn: machine('verification'), name: 'x', input: '{}' })));
      expect(unknown.name).toBe('StateMachineDoesNotExist');
      const missing = await apiError(sfn.send(new DescribeExecutionCommand({ executionArn: kyc.executionArn!.replace('Workflow-kyc', 'Workflow-verification') })));
      expect(missing.name).toBe('ExecutionDoesNotExist');
    } finally {
      sfn.destroy();
      await local.close();
    }
  });

  it('refuses two state machines with one ARN', async () => {
    const m = { stateMachineArn: machine('kyc'), definition: callback, taskHandlers: {} };
    await expect(startLocalStepFunctions({ machines: [m, m] })).rejects.toThrow(LocalStepFunctionsError);
  });
});
