/**
 * An execution history in the shape of GetExecutionHistory, built from the aws-local-stepfunctions event log and
 * the local task calls. The mapping follows what AWS records for a JSONPath Standard workflow:
 *   StateEntered/StateExited          → <Type>StateEntered / <Type>StateExited (TaskStateEntered, WaitStateExited...)
 *   task call to a Lambda function ARN → LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded|Failed
 *   task call to arn:aws:states:::x:y  → TaskScheduled, TaskStarted, TaskSucceeded|Failed
 *   Task state failing with States.Timeout → LambdaFunctionTimedOut / TaskTimedOut
 *   Map iterations                     → MapIterationStarted|Succeeded|Failed
 * Retries and catches have no event of their own (as on AWS: the next Scheduled/StateExited shows them). The
 * execution's start, redrive and end events are added by the execution store, which knows why a run ended.
 */
import type { LibraryEvent, TaskActivity } from './engine';

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

const DATA_DETAILS = { truncated: false };

export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];

  constructor(private readonly region: string) {}

  /** Appends one event with its details under the member name AWS uses for that type. */
  add(type: string, details?: Record<string, unknown>, timestamp = new Date()): void {
    const id = this.events.length + 1;
    const event: HistoryEvent = { id, previousEventId: id - 1, timestamp, type };
    if (details) event[detailsMemberOf(type)] = details;
    this.events.push(event);
  }

  recordLibraryEvent(event: LibraryEvent, resourceOf: (state: string) => string | undefined): void {
    const at = new Date(event.timestamp);
    const state = event.state;
    switch (event.type) {
      case 'ExecutionStarted':
        this.add('ExecutionStarted', { input: json(event.input), inputDetails: DATA_DETAILS }, at);
        return;
      case 'StateEntered':
        if (state) this.add(`${state.type}StateEntered`, { name: state.name, input: json(state.input), inputDetails: DATA_DETAILS }, at);
        return;
      case 'StateExited':
        if (state) this.add(`${state.type}StateExited`, { name: state.name, output: json(state.output), outputDetails: DATA_DETAILS }, at);
        return;
      case 'StateFailed':
        if (state?.type === 'Task' && event.Error === 'States.Timeout') {
          const resource = resourceOf(state.name) ?? '';
          const failure = { error: 'States.Timeout', cause: String(event.Cause ?? '') };
          if (isLambdaFunction(resource)) this.add('LambdaFunctionTimedOut', failure, at);
          else this.add('TaskTimedOut', { ...integrationOf(resource), ...failure }, at);
        } else if (state?.type === 'Map' || state?.type === 'Parallel') {
          this.add(`${state.type}StateFailed`, undefined, at);
        }
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.add(event.type, { name: event.parentState?.name, index: event.index }, at);
        return;
      default:
        return; // StateRetried, StateCaught, Parallel branches, execution end (recorded by the store)
    }
  }

  recordTask(activity: TaskActivity): void {
    const lambda = isLambdaFunction(activity.resource);
    const integration = integrationOf(activity.resource);
    switch (activity.phase) {
      case 'started':
        if (lambda) {
          this.add('LambdaFunctionScheduled', { resource: activity.resource, input: json(activity.input), inputDetails: DATA_DETAILS });
          this.add('LambdaFunctionStarted');
        } else {
          this.add('TaskScheduled', { ...integration, region: this.region, parameters: json(activity.input) });
          this.add('TaskStarted', integration);
        }
        return;
      case 'succeeded':
        if (lambda) this.add('LambdaFunctionSucceeded', { output: json(activity.output), outputDetails: DATA_DETAILS });
        else this.add('TaskSucceeded', { ...integration, output: json(activity.output), outputDetails: DATA_DETAILS });
        return;
      case 'failed':
        if (lambda) this.add('LambdaFunctionFailed', { error: activity.error, cause: activity.cause });
        else this.add('TaskFailed', { ...integration, error: activity.error, cause: activity.cause });
        return;
    }
  }
}

/** The events without their `input`, `output` and `parameters` (GetExecutionHistory includeExecutionData=false). */
export function withoutExecutionData(events: readonly HistoryEvent[]): HistoryEvent[] {
  const DATA_KEYS = new Set(['input', 'inputDetails', 'output', 'outputDetails', 'parameters']);
  return events.map((event) => {
    const copy: HistoryEvent = { ...event };
    for (const [key, value] of Object.entries(event)) {
      if (key.endsWith('EventDetails') && value && typeof value === 'object') {
        copy[key] = Object.fromEntries(Object.entries(value).filter(([k]) => !DATA_KEYS.has(k)));
      }
    }
    return copy;
  });
}

/** `TaskStateEntered` → `stateEnteredEventDetails` (shared by all state types), `TaskScheduled` → `taskScheduledEventDetails`. */
function detailsMemberOf(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

function isLambdaFunction(resource: string): boolean {
  return /^arn:aws[\w-]*:lambda:/.test(resource);
}

/** `arn:aws:states:::lambda:invoke` → resourceType "lambda", resource "invoke". */
function integrationOf(resource: string): { resourceType: string; resource: string } {
  const match = /^arn:aws[\w-]*:states:::([^:]+):(.+)$/.exec(resource);
  return match ? { resourceType: match[1] ?? '', resource: match[2] ?? '' } : { resourceType: 'unknown', resource };
}

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}
