import { beforeAll, describe, expect, it } from 'vitest';
import { StateMachine } from 'aws-local-stepfunctions';
import { createEngine, type RunOutcome } from '../../local/step-functions/engine';
import {
  DefinitionResolutionError,
  definitionFromTemplate,
  placeholderFunctionArn,
} from '../../local/workflow-definition';
import { STATE, type PollOutput, type WorkflowState } from '../../lambdas/checks/workflow-contract';
import { synthesize } from '../lib/synth';

const check = {
  provider: 'verification',
  checkId: 'ver-1',
  checkRef: '0123456789abcdef0123456789abcdef',
  createdAt: '2026-01-02T03:04:05Z',
} as const;

function poll(state: PollOutput['state'], attempt: number, waitSeconds = 2): PollOutput {
  return { state, attempt, firstPolledAt: '2026-01-02T03:04:06Z', waitSeconds, providerStatus: state, transientErrors: 0 };
}

/** A typed error the way a Lambda reports it: Step Functions matches Retry/Catch on `name`. */
function fail(name: string): never {
  const error = new Error(`${name} in a test`);
  error.name = name;
  throw error;
}

describe('definitionFromTemplate', () => {
  let definition: ReturnType<typeof definitionFromTemplate>;
  let archiveArn: string;
  let queueArn: string;

  beforeAll(() => {
    // The liveness workflow (each provider has its own state machine, the same states).
    const { stack, template } = synthesize();
    definition = definitionFromTemplate(JSON.stringify(template.toJSON()), { logicalId: stack.getLogicalId(stack.workflows.liveness.stateMachine.node.defaultChild as never) });
    archiveArn = placeholderFunctionArn(stack.getLogicalId(stack.functions.providers.liveness.archive.function.node.defaultChild as never));
    queueArn = `arn:aws:sqs:us-east-1:123456789012:${stack.getLogicalId(stack.workflows.liveness.pollQueue.queue.node.defaultChild as never)}`;
    // Validates the definition (ARNs, paths, state graph) the way local mode will.
    new StateMachine(definition);
  });

  it('resolves the CloudFormation tokens into plain ARNs', () => {
    expect(JSON.stringify(definition)).not.toMatch(/Fn::|"Ref"|\$\{Token/);
    expect((definition.States[STATE.archive] as { Resource: string }).Resource).toBe(archiveArn);
    expect((definition.States[STATE.poll] as unknown as { Parameters: { QueueUrl: string } }).Parameters.QueueUrl).toBe(queueArn);
  });

  it('refuses templates without exactly one state machine (or the one named), and tokens it cannot read', () => {
    expect(() => definitionFromTemplate({ Resources: {} })).toThrow(DefinitionResolutionError);
    // The stack has one per provider: which one must be said.
    expect(() => definitionFromTemplate(synthesize().template.toJSON())).toThrow(/found 3/);
    expect(() =>
      definitionFromTemplate({
        Resources: { M: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Sub': 'x' } } } },
      }),
    ).toThrow(/unsupported intrinsic Fn::Sub/);
  });

  /**
   * Runs the deployed definition on the local engine, waits and retry pauses a million times faster. Poll provider's
   * handler is the poll loop's stand-in: it gets the state and answers the task with what it returns or throws.
   */
  async function run(handlers: Partial<Record<string, (input: any) => unknown>>) {
    const visited: string[] = [];
    const unused = () => Promise.reject(new Error('not expected in this path'));
    const taskHandlers = Object.fromEntries(
      [STATE.poll, STATE.archive, STATE.recordEscalation, STATE.record, STATE.recordFailure].map((name) => [name, async (input: unknown) => (handlers[name] ?? unused)(input)]),
    );
    const engine = createEngine({ definition, taskHandlers, timeFactor: 1_000_000 });
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:AuditArchiver-Workflow:test';
    const context = { executionArn: arn, executionName: 'test', stateMachineArn: arn, startDate: new Date(), redriveCount: 0 };
    const outcome: RunOutcome = await engine.run({ check } satisfies WorkflowState, context, {
      event: (event) => void (event.type === 'StateEntered' && visited.push(event.state!.name)),
      task: () => undefined,
    }).outcome;
    return {
      output: outcome.status === 'SUCCEEDED' ? (outcome.output as any) : undefined,
      error: outcome.status === 'FAILED' ? outcome : undefined,
      visited,
    };
  }

  it('pending → wait → complete → Archive evidence → Archived', async () => {
    let polls = 0;
    const { output, visited } = await run({
      [STATE.poll]: (s: WorkflowState) => (++polls < 3 ? poll('pending', polls) : poll('complete', polls, 0)),
      [STATE.archive]: (s: WorkflowState) => ({ status: 'archived', objects: s.poll!.attempt, bytes: 10 }),
    });
    expect(visited).toEqual([
      STATE.poll, STATE.route, STATE.wait,
      STATE.poll, STATE.route, STATE.wait,
      STATE.poll, STATE.route, STATE.archive, STATE.archivedOrReview, STATE.archived,
    ]);
    expect(output.archive).toEqual({ status: 'archived', objects: 3, bytes: 10 });
    expect(output.check).toEqual(check);
  });

  it('escalated: archives once, waits for review, archives again when complete', async () => {
    const answers = [poll('escalated', 1, 900), poll('escalated', 2, 900), poll('complete', 3, 0)];
    const archived: string[] = [];
    // Both archive states run the archive function (local handlers are bound by state name).
    const archive = (s: WorkflowState) => {
      archived.push(s.poll!.state);
      return { status: s.poll!.state === 'complete' ? 'archived' : 'escalated', objects: 1, bytes: 1 };
    };
    const { output, visited } = await run({
      [STATE.poll]: () => answers.shift()!,
      [STATE.recordEscalation]: archive,
      [STATE.archive]: archive,
    });
    expect(visited).toEqual([
      STATE.poll, STATE.route, STATE.recordEscalation, STATE.escalationArchived, STATE.waitReview,
      STATE.poll, STATE.route, STATE.waitReview,
      STATE.poll, STATE.route, STATE.archive, STATE.archivedOrReview, STATE.archived,
    ]);
    expect(archived).toEqual(['escalated', 'complete']);
    expect(output.archive.status).toBe('archived');
  });

  it('complete, but the archive step\'s re-fetch says escalated: back to the review loop, archived when complete', async () => {
    const answers = [poll('complete', 1, 0), poll('escalated', 2, 900), poll('complete', 3, 0)];
    const archived: string[] = [];
    // The provider moved the check to review between the poll and the archive step's own fetch.
    const reFetched = ['escalated', 'archived'];
    const { output, visited } = await run({
      [STATE.poll]: () => answers.shift()!,
      [STATE.archive]: (s: WorkflowState) => {
        archived.push(s.poll!.state);
        return { status: reFetched.shift()!, objects: 1, bytes: 1 };
      },
    });
    expect(visited).toEqual([
      STATE.poll, STATE.route, STATE.archive, STATE.archivedOrReview, STATE.waitReview,
      // Archived already ($.archive present): the escalation is not archived twice, the review is followed.
      STATE.poll, STATE.route, STATE.waitReview,
      STATE.poll, STATE.route, STATE.archive, STATE.archivedOrReview, STATE.archived,
    ]);
    expect(archived).toEqual(['complete', 'complete']);
    expect(output.archive.status).toBe('archived');
  });

  it.each(['no-result', 'timed-out'] as const)('%s → Record outcome → Recorded', async (state) => {
    const { output, visited } = await run({
      [STATE.poll]: () => poll(state, 1, 0),
      [STATE.record]: (s: WorkflowState) => ({ status: s.poll!.state, objects: 0, bytes: 0 }),
    });
    expect(visited).toEqual([STATE.poll, STATE.route, STATE.record, STATE.recordedOrRetry, STATE.recorded]);
    expect(output.archive.status).toBe(state);
  });

  it('restarts a poll loop that went silent (heartbeat timeout), then goes on', async () => {
    let calls = 0;
    const { output, visited } = await run({
      [STATE.poll]: () => (++calls < 3 ? fail('States.HeartbeatTimeout') : poll('no-result', 1, 0)),
      [STATE.record]: () => ({ status: 'expired', objects: 0, bytes: 0 }),
    });
    expect(calls).toBe(3);
    expect(visited.at(-1)).toBe(STATE.recorded);
    expect(output.archive.status).toBe('expired');
  });

  it('records a provider outage that outlasted the loop, without a retry (the loop absorbed it already)', async () => {
    let calls = 0;
    const { error, visited } = await run({
      [STATE.poll]: () => (++calls, fail('ProviderUnavailableError')),
      [STATE.recordFailure]: () => ({ status: 'error', objects: 0, bytes: 0 }),
    });
    expect(calls).toBe(1);
    expect(visited).toEqual([STATE.poll, STATE.recordFailure, STATE.failed]);
    expect(error).toMatchObject({ error: 'ProviderUnavailableError' });
  });

  it('a permanent error is not retried: Record failure gets $.error, then the execution fails with it', async () => {
    let polls = 0;
    const seen: WorkflowState[] = [];
    const { error, visited } = await run({
      [STATE.poll]: () => {
        polls++;
        return fail('ProviderContractError');
      },
      [STATE.recordFailure]: (s: WorkflowState) => {
        seen.push(s);
        return { status: 'error', objects: 0, bytes: 0 };
      },
    });
    expect(polls).toBe(1);
    expect(visited).toEqual([STATE.poll, STATE.recordFailure, STATE.failed]);
    expect(seen[0]!.error).toMatchObject({ Error: 'ProviderContractError' });
    expect(error).toMatchObject({ status: 'FAILED', error: 'ProviderContractError' });
  });

  it('a refused credential is tried twice more (the secret is fetched again), then recorded as a failure', async () => {
    let polls = 0;
    const { visited } = await run({
      [STATE.poll]: () => {
        polls++;
        return fail('ProviderAuthError');
      },
      [STATE.recordFailure]: () => ({ status: 'error', objects: 0, bytes: 0 }),
    });
    expect(polls).toBe(3);
    expect(visited).toEqual([STATE.poll, STATE.recordFailure, STATE.failed]);
  });

  it('a transient error that outlasts its retries ends in Record failure too', async () => {
    let archives = 0;
    const { error, visited } = await run({
      [STATE.poll]: () => poll('complete', 1, 0),
      [STATE.archive]: () => {
        archives++;
        return fail('StorageUnavailableError');
      },
      [STATE.recordFailure]: () => ({ status: 'error', objects: 0, bytes: 0 }),
    });
    expect(archives).toBe(5 + 1);
    expect(visited.slice(-2)).toEqual([STATE.recordFailure, STATE.failed]);
    expect(error).toMatchObject({ status: 'FAILED', error: 'StorageUnavailableError' });
  });

  it('an unknown poll state becomes an UnexpectedPollState error for Record failure', async () => {
    const seen: WorkflowState[] = [];
    const { error, visited } = await run({
      [STATE.poll]: () => ({ ...poll('pending', 1), state: 'sideways' }),
      [STATE.recordFailure]: (s: WorkflowState) => {
        seen.push(s);
        return { status: 'error', objects: 0, bytes: 0 };
      },
    });
    expect(visited).toEqual([STATE.poll, STATE.route, STATE.unexpected, STATE.recordFailure, STATE.failed]);
    expect(seen[0]!.error?.Error).toBe('UnexpectedPollState');
    expect(error).toMatchObject({ status: 'FAILED', error: 'UnexpectedPollState' });
  });
});
