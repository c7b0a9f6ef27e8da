/**
 * The parts of an ASL (JSONPath) definition the local service needs to know about: every state by name, including
 * those nested in Parallel branches and Map iterators (ASL state names are unique across the whole machine).
 */

export interface RetrierDefinition {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface StateDefinition {
  Type: string;
  Resource?: string;
  InputPath?: string | null;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  Retry?: RetrierDefinition[];
}

export interface DefinitionModel {
  states: ReadonlyMap<string, StateDefinition>;
  /** Names of the Task states, in definition order. */
  taskStates: string[];
  /** The top-level TimeoutSeconds of the execution, when set. */
  timeoutSeconds?: number;
}

interface MachineLike {
  States?: Record<string, StateDefinition & { Branches?: MachineLike[]; Iterator?: MachineLike; ItemProcessor?: MachineLike }>;
}

/** Indexes a definition's states. Throws TypeError when the object has no `States` map. */
export function modelOf(definition: object): DefinitionModel {
  const top = definition as MachineLike & { TimeoutSeconds?: unknown };
  if (!top.States || typeof top.States !== 'object') throw new TypeError('State machine definition has no States');
  const states = new Map<string, StateDefinition>();
  const visit = (machine: MachineLike): void => {
    for (const [name, state] of Object.entries(machine.States ?? {})) {
      states.set(name, state);
      for (const branch of state.Branches ?? []) visit(branch);
      if (state.Iterator) visit(state.Iterator);
      if (state.ItemProcessor) visit(state.ItemProcessor);
    }
  };
  visit(top);
  const taskStates = [...states].filter(([, s]) => s.Type === 'Task').map(([name]) => name);
  const timeoutSeconds = typeof top.TimeoutSeconds === 'number' ? top.TimeoutSeconds : undefined;
  return { states, taskStates, ...(timeoutSeconds !== undefined && { timeoutSeconds }) };
}

/** `…:sqs:sendMessage.waitForTaskToken` and the like: the task waits for SendTaskSuccess/Failure on its token. */
export function isCallbackIntegration(resource: string | undefined): boolean {
  return resource?.endsWith('.waitForTaskToken') ?? false;
}

/** `arn:aws:states:::lambda:invoke`: the handler gets and returns `{Payload}` envelopes instead of the raw payload. */
export function isLambdaInvokeIntegration(resource: string | undefined): boolean {
  return resource === 'arn:aws:states:::lambda:invoke';
}
