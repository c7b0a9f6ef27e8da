/**
 * A local stand-in for the AWS Step Functions service: an HTTP endpoint speaking the Step Functions API (AWS JSON
 * 1.0) for one state machine or several (one per provider, as the stack deploys them), whose executions run the deployed ASL definition with aws-local-stepfunctions and
 * call local Task handlers. Local mode points the start Lambda's real `@aws-sdk/client-sfn` StartExecution at it
 * (`AWS_ENDPOINT_URL_SFN`), so idempotent starts and `ExecutionAlreadyExists` behave as in AWS.
 *
 * Operations: StartExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory,
 * RedriveExecution, and SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat for `.waitForTaskToken` tasks (their local
 * handler is the worker that receives the token: see local/step-functions/engine.ts). Known differences from AWS: see local/step-functions/executions.ts (names, redrive from the
 * start), engine.ts (how Wait inputs are observed), history.ts (history mapping). aws-local-stepfunctions itself
 * gives Task states without TimeoutSeconds a 60 s (real-time) timeout, and supports JSONPath definitions only.
 */
import { createEngine, type TaskHandler } from './step-functions/engine';
import { LocalStepFunctionsError, StepFunctionsApiError } from './step-functions/errors';
import { ExecutionStore, type ExecutionRecord } from './step-functions/executions';
import { serveJsonProtocol } from './step-functions/protocol';
import { modelOf } from './step-functions/definition';
import { TaskTokens } from './step-functions/task-tokens';
import { createTokenBucket, type RateLimit } from './step-functions/throttle';

export { DEFERRED, type CallbackTask } from './step-functions/engine';
export { LocalStepFunctionsError } from './step-functions/errors';
export type { ExecutionRecord, ExecutionStatus } from './step-functions/executions';

/** One state machine of several on one endpoint (the stack has one workflow per provider). */
export interface LocalStateMachine {
  stateMachineArn: string;
  definition: object;
  taskHandlers: Record<string, TaskHandler>;
}

export interface LocalStepFunctionsOptions {
  /** ASL definition object (JSONPath). Built once into an aws-local-stepfunctions StateMachine. */
  definition?: object;
  /** Default arn:aws:states:us-east-1:000000000000:stateMachine:audit-archiver-local */
  stateMachineArn?: string;
  /**
   * Several state machines behind the one endpoint, instead of `definition`, `stateMachineArn` and `taskHandlers`:
   * requests go to the one their state machine or execution ARN names; task tokens are shared.
   */
  machines?: readonly LocalStateMachine[];
  /**
   * Task state name → the Lambda handler itself, receiving and returning the raw payload (for
   * `arn:aws:states:::lambda:invoke` states the `{Payload}` envelope is added and removed here); for a
   * `.waitForTaskToken` state, its worker (the state's input and the task token; see engine.ts). Every Task state
   * needs one: none ever reaches AWS. A thrown error's `name` is what Retry/Catch match, as with a Lambda errorType.
   */
  taskHandlers?: Record<string, TaskHandler>;
  /** Wait states, Retry pauses and the execution's TimeoutSeconds run at real duration ÷ timeFactor. Default 1. */
  timeFactor?: number;
  /** Each aws-local-stepfunctions event-log event, synchronously. Events carry state inputs: do not log them. */
  onEvent?: (executionArn: string, event: unknown) => void;
  /** Executions beyond this many wait (shown as RUNNING) until one ends, per state machine. Default 50. */
  maxConcurrentExecutions?: number;
  /** StartExecution's token bucket (AWS's API throttling): past it, ThrottlingException. Default: no limit. */
  startExecutionRate?: RateLimit;
}

export interface LocalStepFunctions {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_SFN or `new SFNClient({ endpoint })`. */
  endpoint: string;
  /** The (first) state machine's ARN. */
  stateMachineArn: string;
  /** Every state machine's ARN, in the order given. */
  stateMachineArns: string[];
  /** Resolves when no execution is running or queued and no task handler is still working. */
  idle(): Promise<void>;
  /** Snapshots of all executions, in start order. */
  executions(): ExecutionRecord[];
  /** StartExecution calls refused with ThrottlingException so far (startExecutionRate). */
  startThrottles(): number;
  /** Aborts running and queued executions, waits for their task handlers to return, closes the server. */
  close(): Promise<void>;
}

export const DEFAULT_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:audit-archiver-local';

/** Builds the state machine and starts the endpoint. Throws LocalStepFunctionsError on bad options. */
export async function startLocalStepFunctions(options: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  const machines: readonly LocalStateMachine[] = options.machines ?? [
    { stateMachineArn: options.stateMachineArn ?? DEFAULT_STATE_MACHINE_ARN, definition: options.definition!, taskHandlers: options.taskHandlers! },
  ];
  const timeFactor = options.timeFactor ?? 1;
  const maxConcurrentExecutions = options.maxConcurrentExecutions ?? 50;
  if (machines.length === 0) throw new LocalStepFunctionsError('no state machine');
  for (const { stateMachineArn, definition, taskHandlers } of machines) {
    if (!/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(stateMachineArn)) {
      throw new LocalStepFunctionsError(`Invalid stateMachineArn: ${stateMachineArn}`);
    }
    if (!definition || !taskHandlers) throw new LocalStepFunctionsError('a state machine needs its definition and task handlers');
  }
  if (new Set(machines.map((m) => m.stateMachineArn)).size !== machines.length) throw new LocalStepFunctionsError('state machine ARNs must differ');
  if (!(Number.isFinite(timeFactor) && timeFactor > 0)) throw new LocalStepFunctionsError('timeFactor must be a positive number');
  if (!(Number.isInteger(maxConcurrentExecutions) && maxConcurrentExecutions >= 1)) {
    throw new LocalStepFunctionsError('maxConcurrentExecutions must be a positive integer');
  }
  // One token space: SendTask* names a token, not a state machine.
  const tokens = new TaskTokens();
  const stores = machines.map(({ stateMachineArn, definition, taskHandlers }) => {
    const engine = createEngine({ definition, taskHandlers, timeFactor, tokens });
    const { states } = modelOf(definition);
    return {
      stateMachineArn,
      executionPrefix: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`,
      store: new ExecutionStore({
        engine,
        stateMachineArn,
        maxConcurrentExecutions,
        resourceOf: (state) => states.get(state)?.Resource,
        ...(options.onEvent && { onEvent: options.onEvent }),
      }),
    };
  });
  // An ARN no state machine here owns goes to the first, which answers as AWS does (InvalidArn, ...DoesNotExist).
  const first = stores[0]!.store;
  const byMachine = (arn: unknown) => stores.find((s) => s.stateMachineArn === arn)?.store ?? first;
  const byExecution = (arn: unknown) => (typeof arn === 'string' && stores.find((s) => arn.startsWith(s.executionPrefix))?.store) || first;
  // One bucket for every state machine: the StartExecution quota is the account's.
  const startBucket = options.startExecutionRate ? createTokenBucket(options.startExecutionRate) : undefined;
  const server = await serveJsonProtocol({
    StartExecution: (request) => {
      if (startBucket && !startBucket.take()) throw new StepFunctionsApiError('ThrottlingException', 'Rate exceeded');
      return byMachine(request.stateMachineArn).start(request);
    },
    DescribeExecution: (request) => byExecution(request.executionArn).describe(request.executionArn),
    ListExecutions: (request) => byMachine(request.stateMachineArn).list(request),
    StopExecution: (request) => byExecution(request.executionArn).stop(request),
    GetExecutionHistory: (request) => byExecution(request.executionArn).history(request),
    RedriveExecution: (request) => byExecution(request.executionArn).redrive(request),
    SendTaskSuccess: (request) => (tokens.succeed(request.taskToken, request.output), {}),
    SendTaskFailure: (request) => (tokens.fail(request.taskToken, request.error, request.cause), {}),
    SendTaskHeartbeat: (request) => (tokens.heartbeat(request.taskToken), {}),
  });
  let closing: Promise<void> | undefined;
  return {
    endpoint: server.endpoint,
    stateMachineArn: stores[0]!.stateMachineArn,
    stateMachineArns: stores.map((s) => s.stateMachineArn),
    idle: async () => void (await Promise.all(stores.map((s) => s.store.idle()))),
    // In start order across the state machines.
    executions: () => stores.flatMap((s) => s.store.records()).sort((a, b) => a.startDate.getTime() - b.startDate.getTime()),
    startThrottles: () => startBucket?.refused() ?? 0,
    close: () => (closing ??= Promise.all([server.close(), ...stores.map((s) => s.store.close())]).then(() => undefined)),
  };
}
