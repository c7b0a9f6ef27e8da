/**
 * Runs executions of one definition with aws-local-stepfunctions: Task states call local handlers, Wait states and
 * Retry pauses run at `timeFactor` times real speed, the execution's TimeoutSeconds is scaled the same way.
 *
 * How the current input of a Wait state is known: the library reads `waitTimeOverrides[name]` synchronously right
 * after it dispatches the state's StateEntered event (which carries the input), but its public event log is an async
 * generator that delivers that event only later. So each run's event logger is tapped synchronously: the
 * StateMachine's internal `execute(input, {eventLogger, ...}, cleanup)` is wrapped on our instance and the logger's
 * `dispatch` replaced by our observer. This relies on aws-local-stepfunctions 3.0.0 internals; `run` fails loudly
 * (LocalStepFunctionsError) if the tap did not attach. Events of states nested in Parallel/Map reach the root logger
 * asynchronously, so a SecondsPath Wait inside them may see its previous input (Seconds/Timestamp Waits are exact).
 *
 * `.waitForTaskToken` tasks (callbacks): the handler bound to the state is its worker. It gets the state's input, as a
 * Lambda task without Parameters would, and the task: a fresh token and the integration's resolved parameters (where
 * `$$.Task.Token` stood, the token). What it returns completes the task, what it throws fails it by the error's name;
 * it may return DEFERRED instead and leave the answer to SendTaskSuccess/SendTaskFailure on the service (TaskTokens).
 * HeartbeatSeconds and TimeoutSeconds are enforced here in real time (the library knows neither for callbacks): the
 * worker's clock is real, and so is the rhythm of its heartbeats, while only its waits are scaled.
 */
import '../promise-shim';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { isCallbackIntegration, isLambdaInvokeIntegration, modelOf, type DefinitionModel } from './definition';
import { LocalStepFunctionsError } from './errors';
import { TaskTokens } from './task-tokens';
import { scaledRetryIntervalsMs, scaledWaitMs } from './time-scaling';

/** An aws-local-stepfunctions event-log event (the library does not export the type). */
export interface LibraryEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  retry?: { retrier: unknown; attempt: number };
  Error?: string;
  Cause?: unknown;
  index?: number;
  input?: unknown;
  output?: unknown;
  parentState?: { name: string; type: string };
}

/** A local task handler call, reported for the execution history. */
export type TaskActivity =
  | { phase: 'started'; state: string; resource: string; input: unknown }
  | { phase: 'succeeded'; state: string; resource: string; output: unknown }
  | { phase: 'failed'; state: string; resource: string; error: string; cause: string };

export type RunOutcome =
  | { status: 'SUCCEEDED'; output: unknown }
  | { status: 'FAILED'; error: string; cause: string }
  | { status: 'TIMED_OUT' }
  | { status: 'ABORTED' };

export interface RunObserver {
  /** Every library event of the run, synchronously and in order, until the run ends or is aborted. */
  event(event: LibraryEvent): void;
  task(activity: TaskActivity): void;
}

export interface RunContext {
  executionArn: string;
  executionName: string;
  stateMachineArn: string;
  startDate: Date;
  redriveCount: number;
  /**
   * A redrive: the run starts at this top-level state with the input it had when the execution stopped there (AWS
   * resumes at the unsuccessful state), while `$$.Execution.Input` stays the execution's input.
   */
  resumeAt?: { state: string; input: unknown };
}

export interface Run {
  outcome: Promise<RunOutcome>;
  /** Resolves once the outcome is known and no task handler of the run is still working. */
  settled: Promise<void>;
  /** Ends the run now: later events are dropped, handlers are no longer called. Idempotent. */
  abort(): void;
}

/** A callback task as its worker sees it: the token to answer with and the integration's parameters. */
export interface CallbackTask {
  taskToken: string;
  parameters: unknown;
}

/** Returned by a callback task's worker that leaves the answer to SendTaskSuccess/SendTaskFailure. */
export const DEFERRED: unique symbol = Symbol('answered later through the task token');

/**
 * The Lambda handler itself (raw payload in, raw payload out), or a callback task's worker (the state's input, and the
 * task); `any` so typed handlers can be passed as they are.
 */
export type TaskHandler = (input: any, task?: CallbackTask) => Promise<any>;

export interface Engine {
  run(input: unknown, context: RunContext, observer: RunObserver): Run;
}

export interface EngineOptions {
  definition: object;
  taskHandlers: Record<string, TaskHandler>;
  timeFactor: number;
  /** The tokens of callback tasks, shared with the service's SendTask* operations. @default a private registry */
  tokens?: TaskTokens;
}

/** Where `$$.Task.Token` resolves in the library; each callback task swaps it for a fresh token. */
const TOKEN_PLACEHOLDER = 'local-task-token-placeholder';
/** The library's own timeout for callback tasks (real seconds, below setTimeout's limit): the engine keeps the real one. */
const LIBRARY_CALLBACK_TIMEOUT_SECONDS = 2_000_000;

/** Validates the definition (once: it costs a few hundred ms) and the handlers; throws LocalStepFunctionsError. */
export function createEngine({ definition, taskHandlers, timeFactor, tokens = new TaskTokens() }: EngineOptions): Engine {
  let model: DefinitionModel;
  let machine: StateMachine;
  try {
    model = modelOf(definition);
    machine = new StateMachine(forLibrary(definition, model) as StateMachineDefinition);
  } catch (error) {
    throw new LocalStepFunctionsError(`Invalid state machine definition: ${(error as Error).message}`);
  }
  // A Task state without a local handler would make the library invoke the real Lambda through AWS.
  const missing = model.taskStates.filter((name) => typeof taskHandlers[name] !== 'function');
  if (missing.length > 0) throw new LocalStepFunctionsError(`No local handler for Task state(s): ${missing.join(', ')}`);
  const unknown = Object.keys(taskHandlers).filter((name) => !model.taskStates.includes(name));
  if (unknown.length > 0) throw new LocalStepFunctionsError(`Handlers for states that are not Task states: ${unknown.join(', ')}`);
  const top = definition as { StartAt?: unknown; States?: Record<string, unknown> };
  const startAt = String(top.StartAt);
  const observed = new Map<string, RunObserved>([[startAt, observable(machine)]]);
  /** The definition started at `state` (a redrive's resume point): built and validated once per state. */
  const observedFrom = (state: string): RunObserved => {
    let found = observed.get(state);
    if (!found) {
      if (!Object.hasOwn(top.States ?? {}, state)) throw new LocalStepFunctionsError(`No top-level state ${state} to resume at`);
      found = observable(new StateMachine({ ...(forLibrary(definition, model) as StateMachineDefinition), StartAt: state }));
      observed.set(state, found);
    }
    return found;
  };
  return {
    run: (input, context, observer) =>
      startRun({ model, taskHandlers, timeFactor, runObserved: observedFrom(context.resumeAt?.state ?? startAt), tokens }, input, context, observer),
  };
}

/** The definition as the library runs it: callback tasks without its timeouts (the engine keeps them, in real time). */
function forLibrary(definition: object, model: DefinitionModel): object {
  const callbacks = model.taskStates.filter((name) => isCallbackIntegration(model.states.get(name)?.Resource));
  if (callbacks.length === 0) return definition;
  const copy = JSON.parse(JSON.stringify(definition)) as object;
  for (const [name, state] of modelOf(copy).states) {
    if (!callbacks.includes(name)) continue;
    const mutable = state as { TimeoutSeconds?: number; HeartbeatSeconds?: number };
    mutable.TimeoutSeconds = LIBRARY_CALLBACK_TIMEOUT_SECONDS;
    delete mutable.HeartbeatSeconds;
  }
  return copy;
}

/** `value` with every string equal to `from` replaced by `to` (the token placeholder in resolved parameters). */
function replaceString(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((item) => replaceString(item, from, to));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceString(item, from, to)]));
  }
  return value;
}

type Dispatch = (event: LibraryEvent) => void;
type LibraryExecution = ReturnType<StateMachine['run']>;
type RunObserved = (input: unknown, options: RunOptions, dispatch: Dispatch) => LibraryExecution;

/** Taps each run's event logger synchronously (see the module comment). */
function observable(machine: StateMachine): RunObserved {
  type Execute = (this: unknown, input: unknown, options: { eventLogger?: { dispatch?: unknown } } | undefined, cleanup: unknown) => unknown;
  const target = machine as unknown as { execute?: Execute };
  const execute = target.execute;
  const incompatible = () => new LocalStepFunctionsError('aws-local-stepfunctions internals changed: cannot observe execution events');
  if (typeof execute !== 'function') throw incompatible();
  let pending: Dispatch | undefined;
  let attached = false;
  target.execute = function (this: unknown, input, options, cleanup) {
    const logger = options?.eventLogger;
    if (pending && logger && typeof logger.dispatch === 'function') {
      // Replaces (not wraps) dispatch: nobody reads the public event log, so the library need not queue events.
      logger.dispatch = pending;
      attached = true;
    }
    pending = undefined;
    return execute.call(this, input, options, cleanup);
  };
  return (input, options, dispatch) => {
    pending = dispatch;
    attached = false;
    const execution = machine.run(input as Parameters<StateMachine['run']>[0], options);
    pending = undefined;
    if (!attached) {
      execution.result.catch(() => undefined);
      execution.abort();
      throw incompatible();
    }
    return execution;
  };
}

interface RunDeps {
  model: DefinitionModel;
  taskHandlers: Record<string, TaskHandler>;
  timeFactor: number;
  runObserved: RunObserved;
  tokens: TaskTokens;
}

/** A failed task as the library must see it: `name` is the error Retry/Catch match, `message` becomes the Cause. */
class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

function startRun({ model, taskHandlers, timeFactor, runObserved, tokens }: RunDeps, input: unknown, context: RunContext, observer: RunObserver): Run {
  let finalized = false; // no more events, no more handler calls
  let ended = false; // outcome known
  let timedOut = false;
  let inFlight = 0;
  let markSettled!: () => void;
  const settled = new Promise<void>((resolve) => (markSettled = resolve));
  const checkSettled = () => {
    if (ended && inFlight === 0) markSettled();
  };
  const inputs = new Map<string, unknown>(); // latest input of each state entered
  const retries = new Map<string, number[]>(); // retrier attempts since each state was entered
  const currentCall = new Map<string, { abandoned: boolean }>(); // a timed-out call's late result is not history

  const onEvent: Dispatch = (event) => {
    if (finalized) return;
    const name = event.state?.name;
    if (name !== undefined) {
      if (event.type === 'StateEntered') {
        inputs.set(name, event.state?.input);
        retries.delete(name);
      } else if (event.type === 'StateRetried' && event.retry) {
        const index = model.states.get(name)?.Retry?.indexOf(event.retry.retrier as never) ?? -1;
        const attempts = retries.get(name) ?? [];
        if (index >= 0) attempts[index] = event.retry.attempt;
        retries.set(name, attempts);
      } else if (event.type === 'StateFailed' && event.Error === 'States.Timeout') {
        const call = currentCall.get(name);
        if (call) call.abandoned = true;
      }
    }
    observer.event(event);
  };

  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number[]> = {};
  for (const [name, state] of model.states) {
    if (state.Type === 'Wait') {
      Object.defineProperty(waitTimeOverrides, name, {
        enumerable: true,
        get: () => scaledWaitMs(state, inputs.get(name), timeFactor, Date.now()),
      });
    }
    const retriers = state.Retry;
    if (retriers && retriers.length > 0) {
      Object.defineProperty(retryIntervalOverrides, name, {
        enumerable: true,
        get: () => scaledRetryIntervalsMs(retriers, retries.get(name) ?? [], timeFactor),
      });
    }
  }

  const callTask = async (name: string, taskInput: unknown): Promise<unknown> => {
    if (finalized) throw new TaskFailure('States.Runtime', 'The execution has ended');
    const handler = taskHandlers[name] as TaskHandler;
    const resource = model.states.get(name)?.Resource ?? '';
    const invoke = isLambdaInvokeIntegration(resource);
    const call = { abandoned: false };
    currentCall.set(name, call);
    const report = (activity: TaskActivity) => {
      if (!finalized && !call.abandoned) observer.task(activity);
    };
    inFlight++;
    if (isCallbackIntegration(resource)) return callback(name, resource, taskInput, handler, report);
    report({ phase: 'started', state: name, resource, input: taskInput });
    try {
      const payload = invoke ? ((taskInput as { Payload?: unknown } | null)?.Payload ?? {}) : taskInput;
      // Lambda results travel as JSON: Dates become strings, undefined becomes null.
      const result: unknown = JSON.parse(JSON.stringify((await handler(payload)) ?? null));
      const output = invoke ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
      report({ phase: 'succeeded', state: name, resource, output });
      return output;
    } catch (error) {
      const failure = taskFailureOf(error);
      report({ phase: 'failed', state: name, resource, error: failure.name, cause: failure.message });
      throw failure;
    } finally {
      inFlight--;
      checkSettled();
    }
  };
  /** A `.waitForTaskToken` task: its worker runs, then the task waits for its token's answer (see the module comment). */
  const callback = async (name: string, resource: string, taskInput: unknown, handler: TaskHandler, report: (activity: TaskActivity) => void): Promise<unknown> => {
    const state = model.states.get(name);
    const { token, result } = tokens.issue({
      runId: context.executionArn,
      ...(state?.HeartbeatSeconds !== undefined && { heartbeatSeconds: state.HeartbeatSeconds }),
      ...(state?.TimeoutSeconds !== undefined && { timeoutSeconds: state.TimeoutSeconds }),
    });
    const parameters = replaceString(taskInput, TOKEN_PLACEHOLDER, token);
    report({ phase: 'started', state: name, resource, input: parameters });
    try {
      void Promise.resolve()
        .then(() => handler(inputs.get(name), { taskToken: token, parameters }))
        .then(
          (returned: unknown) => {
            if (returned !== DEFERRED) tokens.complete(token, { ok: true, output: JSON.parse(JSON.stringify(returned ?? null)) });
          },
          (error: unknown) => {
            const failure = taskFailureOf(error);
            tokens.complete(token, { ok: false, error: failure.name, cause: failure.message });
          },
        );
      const outcome = await result;
      if (!outcome.ok) {
        report({ phase: 'failed', state: name, resource, error: outcome.error, cause: outcome.cause });
        throw new TaskFailure(outcome.error, outcome.cause);
      }
      report({ phase: 'succeeded', state: name, resource, output: outcome.output });
      return outcome.output;
    } finally {
      inFlight--;
      checkSettled();
    }
  };

  const taskResourceLocalHandlers = Object.fromEntries(
    model.taskStates.map((name) => [name, (taskInput: unknown) => callTask(name, taskInput)]),
  );

  const execution = runObserved(
    context.resumeAt ? context.resumeAt.input : input,
    {
      overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides } as RunOptions['overrides'],
      context: {
        Execution: {
          Id: context.executionArn,
          Name: context.executionName,
          StartTime: context.startDate.toISOString(),
          Input: input as never,
          RedriveCount: context.redriveCount,
        },
        StateMachine: { Id: context.stateMachineArn, Name: context.stateMachineArn.split(':').pop() },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    },
    onEvent,
  );

  const timeout =
    model.timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          finalized = true;
          execution.abort();
        }, (model.timeoutSeconds * 1000) / timeFactor);

  const outcome = execution.result
    .then((output): RunOutcome => ({ status: 'SUCCEEDED', output }), (error: unknown) => outcomeOfError(error, timedOut))
    .then((result) => {
      finalized = true;
      ended = true;
      clearTimeout(timeout);
      tokens.closeRun(context.executionArn);
      checkSettled();
      return result;
    });

  return {
    outcome,
    settled,
    abort: () => {
      if (finalized) return;
      finalized = true;
      execution.abort();
      tokens.closeRun(context.executionArn);
    },
  };
}

function outcomeOfError(error: unknown, timedOut: boolean): RunOutcome {
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT' };
  if (error instanceof ExecutionAbortedError) return timedOut ? { status: 'TIMED_OUT' } : { status: 'ABORTED' };
  const cause = error instanceof ExecutionError ? error.cause : undefined;
  if (cause instanceof Error) return { status: 'FAILED', error: cause.name, cause: cause.message };
  return { status: 'FAILED', error: 'States.Runtime', cause: 'The local executor failed unexpectedly' };
}

/**
 * Keeps the thrown error's `name` (Retry/Catch match it, as AWS matches the Lambda errorType) and builds the Cause
 * the way Lambda reports a Node.js error: `{"errorType","errorMessage","trace"}` as a JSON string.
 */
function taskFailureOf(error: unknown): TaskFailure {
  const errorType = error instanceof Error && typeof error.name === 'string' && error.name !== '' ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  const trace = error instanceof Error && typeof error.stack === 'string' ? error.stack.split('\n') : [];
  return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}
