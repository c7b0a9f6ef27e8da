/**
 * One message of the poll loop: poll once (or only pass a long wait on), then hand the poll back to the workflow or
 * send the next message. What the workflow must decide — a check to archive or record, an error by its name — goes
 * back through the task token, so the workflow's Retry and Catch work as they did on the poll task; what only the
 * loop can fix (SQS or Step Functions briefly unreachable) is thrown, and SQS delivers the message again.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ProviderName } from '../checks/check-status';
import type { PollMessage, PollOutput, WorkflowState } from '../checks/workflow-contract';
import { parseWorkflowState } from '../workflow/parse-state';
import type { IdentifierKeySource } from '../common/identifier-key';
import { pollCheck, type PollDeps } from './poll-check';
import { afterPoll, beforeDue, registers, wokenDuring, type LoopStep, type NextMessage } from './poll-loop';
import { loopIdOf, type WakeStore } from './wake-store';

/** What the loop does to the world: SQS for the next message, the task token for the workflow. */
export interface LoopPorts {
  send(message: PollMessage, delaySeconds: number): Promise<void>;
  /** SendTaskSuccess: the task's result is the poll (`$.poll`). */
  succeed(taskToken: string, output: PollOutput): Promise<void>;
  /** SendTaskFailure: Retry and Catch match `error`, as they matched a Lambda's error type. */
  fail(taskToken: string, error: string, cause: string): Promise<void>;
  heartbeat(taskToken: string): Promise<void>;
}

/** The workflow no longer waits on this token (timed out, stopped, answered by another loop): this loop ends. */
export class TaskClosedError extends Error {
  override readonly name = 'TaskClosedError';
}

/** A message without a task token: nobody can be told, so it goes to the dead-letter queue after its receives. */
export class MalformedPollMessageError extends Error {
  override readonly name = 'MalformedPollMessageError';
}

/** `superseded`: the other copy of a woken message advanced the loop first; this one ends quietly. */
export type TurnOutcome = 'handed-back' | 'polled-again' | 'passed-on' | 'failed' | 'closed' | 'superseded';

export interface LoopDeps {
  ports: LoopPorts;
  /** The poll's dependencies for the check's provider (a logger keyed to the check, for instance). */
  pollDeps: (provider: ProviderName, state: WorkflowState) => PollDeps;
  /** The state's checkRef must be the keyed hash of its check id (workflow/parse-state.ts). */
  identifierKey: IdentifierKeySource;
  now: () => Date;
  logger?: { info(message: string, fields: Record<string, unknown>): void };
  /** The wake-up table for a provider whose webhooks are on; undefined otherwise (the loop only polls). */
  wakes?: (provider: ProviderName) => WakeStore | undefined;
}

const isoTime = z.iso.datetime({ offset: true });
const envelopeSchema = z.looseObject({
  taskToken: z.string().min(1).max(2048),
  state: z.unknown(),
  heartbeatAt: isoTime.optional().catch(undefined),
  pollAt: isoTime.optional().catch(undefined),
  seq: z.number().int().min(1).optional().catch(undefined),
  wokeAt: isoTime.optional().catch(undefined),
});

/**
 * `deliveryId` names this SQS delivery (its message id; a redelivery keeps it): with webhooks on, it lets a redelivered
 * copy advance the loop again after a failure, while the other copy of a woken message cannot.
 */
export async function loopTurn(deps: LoopDeps, body: string, deliveryId: string = randomUUID()): Promise<TurnOutcome> {
  const message = parseEnvelope(body);
  // Not fetched is not the check's fault: the message comes back (a batch item failure) and is tried again.
  const identifier = await deps.identifierKey.get();
  let state: WorkflowState;
  try {
    state = parseWorkflowState(message.state, identifier);
  } catch (error) {
    return fail(deps, message.taskToken, error);
  }
  const current: PollMessage = { ...message, state };
  const wake = deps.wakes?.(state.check.provider);
  const key = { provider: state.check.provider, checkRef: state.check.checkRef };
  // The workflow's own message starts a loop: from now on the receiver knows the check.
  if (wake && current.heartbeatAt === undefined && current.seq === undefined) await wake.touch(key, deps.now());
  const claim = async (step: LoopStep, polledAt?: Date): Promise<LoopStep | undefined> => {
    if (!wake || !registers(current, step)) return step;
    const from = current.seq ?? 0;
    const next: LoopStep = step.kind === 'again' ? { ...step, message: { ...step.message, seq: from + 1 } } : step;
    const advanced = await wake.advance(key, {
      loop: loopIdOf(current.taskToken),
      from,
      by: deliveryId,
      ...(next.kind === 'again' ? { message: next.message } : {}),
      now: deps.now(),
    });
    if (!advanced) return undefined;
    return next.kind === 'again' && polledAt ? wokenDuring(next, advanced.wokenAt, polledAt) : next;
  };

  const hop = beforeDue(current, deps.now());
  if (hop) {
    const claimed = await claim(hop);
    if (!claimed) return 'superseded';
    return (await carry(deps, current.taskToken, claimed as NextMessage)) ? 'passed-on' : 'closed';
  }

  const polledAt = deps.now();
  let poll: PollOutput;
  try {
    poll = await pollCheck(deps.pollDeps(state.check.provider, state), state);
  } catch (error) {
    return fail(deps, message.taskToken, error);
  }
  const log = { provider: state.check.provider, checkRef: state.check.checkRef };
  const step = await claim(afterPoll(current, poll, deps.now()), polledAt);
  if (!step) {
    deps.logger?.info('the other copy of a woken message went on: this one ends', log);
    return 'superseded';
  }
  if (step.kind === 'hand-back') {
    // Webhooks on: the review's wait belongs in the loop, where a notification can end it. The workflow's Wait for
    // review then passes at once, and the next loop polls and waits interruptibly (one more poll per escalation).
    const output = wake && step.output.state === 'escalated' ? { ...step.output, waitSeconds: 0 } : step.output;
    const delivered = await unlessClosed(() => deps.ports.succeed(current.taskToken, output));
    deps.logger?.info(delivered ? 'poll handed back to the workflow' : 'workflow no longer waiting: loop ends', { ...log, state: poll.state });
    return delivered ? 'handed-back' : 'closed';
  }
  if (await carry(deps, current.taskToken, step)) return 'polled-again';
  deps.logger?.info('workflow no longer waiting: loop ends', log);
  return 'closed';
}

function parseEnvelope(body: string): PollMessage & { state: unknown } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedPollMessageError('poll message is not JSON');
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) throw new MalformedPollMessageError('poll message has no task token');
  const { heartbeatAt, pollAt, seq, wokeAt, ...rest } = parsed.data;
  return {
    ...rest,
    ...(heartbeatAt ? { heartbeatAt } : {}),
    ...(pollAt ? { pollAt } : {}),
    ...(seq ? { seq } : {}),
    ...(wokeAt ? { wokeAt } : {}),
  } as PollMessage & { state: unknown };
}

/** The next message, after a heartbeat when one is due. False when the workflow no longer waits. */
async function carry(deps: LoopDeps, taskToken: string, step: NextMessage): Promise<boolean> {
  if (step.heartbeat && !(await unlessClosed(() => deps.ports.heartbeat(taskToken)))) return false;
  await deps.ports.send(step.message, step.delaySeconds);
  return true;
}

/** The error goes to the workflow by its name, with a cause in the shape a Lambda error has (type and message). */
async function fail(deps: LoopDeps, taskToken: string, error: unknown): Promise<TurnOutcome> {
  const errorType = error instanceof Error && error.name ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  const delivered = await unlessClosed(() => deps.ports.fail(taskToken, errorType, JSON.stringify({ errorType, errorMessage })));
  return delivered ? 'failed' : 'closed';
}

async function unlessClosed(call: () => Promise<void>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (error instanceof TaskClosedError) return false;
    throw error;
  }
}
