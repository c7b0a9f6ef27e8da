import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_POLL_MAX_CONCURRENCY, POLL_MAX_RECEIVES } from '../../../lib/constructs/poll-queue';
import { OUTAGE } from '../../../lambdas/archive/outage';
import { CREDENTIAL_ERRORS, LAMBDA_SERVICE_ERRORS, LEASE_BACKOFF, POLL_LOOP_ERRORS, RECORD_STORE_ERRORS, TRANSIENT_ERRORS, WORST_RETRY_CHAIN_SECONDS } from '../../../lib/constructs/polling-workflow';
import { SIZING } from '../../../lib/defaults';
import { loadConfig } from '../../../lib/config';
import { LOOP } from '../../../lambdas/polling/poll-loop';
import { placeholderFunctionArn, definitionFromTemplate } from '../../../local/workflow-definition';
import { RETRYABLE_ERROR_NAMES } from '../../../lambdas/common/errors';
import { ARCHIVE_RETRYABLE_ERROR_NAMES, LEASE_ERROR_NAMES } from '../../../lambdas/archive/errors';
import { STATE } from '../../../lambdas/checks/workflow-contract';
import { PROVIDERS, type ProviderName } from '../../../lambdas/checks/check-status';
import { logicalIdOf, synthesize, type Synthesized } from '../synth';

type AnyState = Record<string, any>;

/** The workflow most tests read: every provider's is built alike (the first test below holds that). */
const P = 'kyc' as const;

describe('PollingWorkflow', () => {
  let synth: Synthesized;
  let states: Record<string, AnyState>;
  let definition: AnyState;

  beforeAll(() => {
    synth = synthesize();
    definition = definitionFromTemplate(synth.template.toJSON(), { logicalId: logicalIdOf(synth.stack, synth.stack.workflows[P].stateMachine) }) as AnyState;
    states = definition.States;
  });

  it("is one workflow per provider: the same states, each with its provider's poll queue and archive function; Record failure shared", () => {
    const { stack, template } = synth;
    template.resourceCountIs('AWS::StepFunctions::StateMachine', PROVIDERS.length);
    const id = (c: object) => logicalIdOf(stack, c as never);
    const withPlaceholders = (provider: ProviderName) => {
      const { poll, archive } = stack.functions.providers[provider];
      const text = JSON.stringify(definitionFromTemplate(template.toJSON(), { logicalId: id(stack.workflows[provider].stateMachine) }));
      return text.replaceAll(id(stack.workflows[provider].pollQueue.queue), '<queue>').replaceAll(id(archive.function), '<archive>').replaceAll(id(poll.function), '<poll>');
    };
    for (const provider of PROVIDERS) {
      expect(withPlaceholders(provider), provider).toBe(withPlaceholders(P));
      expect(template.toJSON().Resources[id(stack.workflows[provider].stateMachine)].Properties.StateMachineName).toBe(`AuditArchiver-Workflow-${provider}`);
    }
    expect(JSON.stringify(definition)).toContain(placeholderFunctionArn(id(stack.functions.record.function)));
    // Each queue feeds its own provider's poll function only.
    for (const provider of PROVIDERS) {
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { EventSourceArn: { 'Fn::GetAtt': [id(stack.workflows[provider].pollQueue.queue), 'Arn'] } } }));
      expect(mappings.map((m) => m.Properties.FunctionName), provider).toEqual([{ Ref: id(stack.functions.providers[provider].poll.function) }]);
    }
  });

  it('is a Standard state machine with CMK encryption, X-Ray and logs without execution data', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^Workflow${P}Logs`), 'Arn'] } } }],
      },
      EncryptionConfiguration: {
        Type: 'CUSTOMER_MANAGED_KMS_KEY',
        KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.stack.keys.operations), 'Arn'] },
      },
    });
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.stack.keys.logs), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  it('uses exactly the state names of the workflow contract, in JSONPath', () => {
    expect(new Set(Object.keys(states))).toEqual(new Set(Object.values(STATE)));
    expect(definition.StartAt).toBe(STATE.poll);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const state of Object.values(states)) expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('polls through the poll queue and waits for the loop to answer (callback, heartbeat), the state in the message', () => {
    const queueId = logicalIdOf(synth.stack, synth.stack.workflows[P].pollQueue.queue);
    expect(states[STATE.poll]).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: {
        QueueUrl: `arn:aws:sqs:us-east-1:123456789012:${queueId}`, // the Ref, resolved to a placeholder
        MessageBody: { 'taskToken.$': '$$.Task.Token', 'state.$': '$' },
      },
      HeartbeatSeconds: LOOP.heartbeatTimeoutSeconds,
      ResultPath: '$.poll',
      Next: STATE.route,
      Retry: expect.any(Array),
      Catch: expect.any(Array),
    });
  });

  it('invokes the archive and record functions directly (Resource = function ARN) with the whole state as payload', () => {
    const fns = synth.stack.functions;
    const arn = (f: { function: object }) => placeholderFunctionArn(logicalIdOf(synth.stack, f.function as never));
    const archive = fns.providers[P].archive;
    expect(states[STATE.archive]).toMatchObject({ Resource: arn(archive), ResultPath: '$.archive' });
    expect(states[STATE.recordEscalation]).toMatchObject({ Resource: arn(archive), ResultPath: '$.archive' });
    expect(states[STATE.record]).toMatchObject({ Resource: arn(archive), ResultPath: '$.archive' });
    expect(states[STATE.recordFailure]).toMatchObject({ Resource: arn(fns.record) });
    for (const name of [STATE.archive, STATE.recordEscalation, STATE.record, STATE.recordFailure]) {
      expect(states[name]!.Parameters, name).toBeUndefined();
      expect(states[name]!.InputPath, name).toBeUndefined();
    }
  });

  it('routes by $.poll.state as the contract says', () => {
    const route = states[STATE.route]!;
    expect(route.Type).toBe('Choice');
    expect(route.Default).toBe(STATE.unexpected);
    const next = (state: string) =>
      route.Choices.find((c: AnyState) => c.Variable === '$.poll.state' && c.StringEquals === state)?.Next;
    expect(next('pending')).toBe(STATE.wait);
    expect(next('complete')).toBe(STATE.archive);
    // Escalated: once archived ($.archive present) wait for the review; the first time, archive what is known.
    expect(next('escalated')).toBe(STATE.recordEscalation);
    const archivedAlready = route.Choices.findIndex((c: AnyState) => c.And);
    expect(archivedAlready).toBeLessThan(route.Choices.findIndex((c: AnyState) => c.StringEquals === 'escalated'));
    expect(route.Choices[archivedAlready]).toEqual({
      And: [
        { Variable: '$.poll.state', StringEquals: 'escalated' },
        { Variable: '$.archive', IsPresent: true },
        // An escalation whose archive waits out an outage is archived when the wait ends, not skipped.
        { Not: { Variable: '$.archive.status', StringEquals: 'retry-later' } },
      ],
      Next: STATE.waitReview,
    });
    // No `IsPresent: false` anywhere: aws-local-stepfunctions 3.0.0 never matches it, so local mode would differ.
    expect(JSON.stringify(definition)).not.toContain('"IsPresent":false');
    expect(route.Choices.find((c: AnyState) => c.Or)).toEqual({
      Or: [
        { Variable: '$.poll.state', StringEquals: 'no-result' },
        { Variable: '$.poll.state', StringEquals: 'timed-out' },
      ],
      Next: STATE.record,
    });
    // Every archive state: `retry-later` (the provider or S3 is out) waits as the step asks, then routes again.
    const retryLater = { Variable: '$.archive.status', StringEquals: 'retry-later', Next: STATE.waitArchive };
    expect(states[STATE.recordEscalation]!.Next).toBe(STATE.escalationArchived);
    expect(states[STATE.escalationArchived]).toEqual({ Type: 'Choice', Choices: [retryLater], Default: STATE.waitReview });
    // The archive step asks the provider again: an answer that went (back) to review returns to the review loop.
    expect(states[STATE.archive]!.Next).toBe(STATE.archivedOrReview);
    expect(states[STATE.archivedOrReview]).toEqual({
      Type: 'Choice',
      Choices: [retryLater, { Variable: '$.archive.status', StringEquals: 'escalated', Next: STATE.waitReview }],
      Default: STATE.archived,
    });
    expect(states[STATE.record]!.Next).toBe(STATE.recordedOrRetry);
    expect(states[STATE.recordedOrRetry]).toEqual({ Type: 'Choice', Choices: [retryLater], Default: STATE.recorded });
    expect(states[STATE.waitArchive]).toEqual({ Type: 'Wait', SecondsPath: '$.archive.retryAfterSeconds', Next: STATE.route });
    expect(states[STATE.unexpected]).toMatchObject({ Type: 'Pass', ResultPath: '$.error', Next: STATE.recordFailure });
    expect(states[STATE.archived]!.Type).toBe('Succeed');
    expect(states[STATE.recorded]!.Type).toBe('Succeed');
  });

  it('waits the seconds the poll function decided, then polls again (no fixed wait)', () => {
    for (const name of [STATE.wait, STATE.waitReview]) {
      expect(states[name]).toEqual({ Type: 'Wait', SecondsPath: '$.poll.waitSeconds', Next: STATE.poll });
    }
  });

  it('retries transient handler errors and Lambda service errors by name, with full jitter and a 60 s cap', () => {
    expect(TRANSIENT_ERRORS).toEqual(expect.arrayContaining([...RETRYABLE_ERROR_NAMES, ...ARCHIVE_RETRYABLE_ERROR_NAMES]));
    for (const name of [STATE.archive, STATE.recordEscalation, STATE.record]) {
      const retry = states[name]!.Retry as AnyState[];
      // Archive tasks also wait out another run's lease on the check (CheckBusyError), slowly enough to outlast it.
      const lease = [[...LEASE_ERROR_NAMES]];
      expect(retry.map((r) => r.ErrorEquals), name).toEqual([TRANSIENT_ERRORS, LAMBDA_SERVICE_ERRORS, CREDENTIAL_ERRORS, ...lease]);
      for (const r of retry.slice(0, 2)) {
        expect(r).toEqual({
          ErrorEquals: r.ErrorEquals,
          IntervalSeconds: 2,
          BackoffRate: 2,
          MaxAttempts: 5,
          MaxDelaySeconds: 60,
          JitterStrategy: 'FULL',
        });
      }
      // A refused credential: two tries with the secret fetched again (after a rotation), then Record failure.
      expect(retry[2]).toEqual({ ErrorEquals: CREDENTIAL_ERRORS, IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 2 });
      // No catch-all retry: permanent errors (auth, contract, invalid input) go straight to Record failure.
      expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
      expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain('States.TaskFailed');
    }
  });

  it('waits for a lease longer than the lease lasts (the holder\'s Lambda timeout plus a minute)', () => {
    const retry = (states[STATE.archive]!.Retry as AnyState[]).find((r) => r.ErrorEquals.includes('CheckBusyError'))!;
    expect(retry).toMatchObject({ IntervalSeconds: 30, BackoffRate: 1.5, MaxDelaySeconds: 120, JitterStrategy: 'FULL' });
    // Full jitter waits a random part of each delay (half on average): the full delays must add up to more than
    // twice a lease, so that the retries outlast it on average and a lease rarely exhausts them.
    let total = 0;
    for (let i = 0, wait = retry.IntervalSeconds; i < retry.MaxAttempts; i++, wait *= retry.BackoffRate) total += Math.min(wait, retry.MaxDelaySeconds);
    expect(total).toBeGreaterThan(2 * (SIZING.archive.timeout.toSeconds() + 60));
    expect(LEASE_BACKOFF.maxAttempts).toBe(retry.MaxAttempts);
  });

  it('gives every Lambda task a timeout longer than its function\'s, so a run never goes on beside its own retry', () => {
    const timeouts: Record<string, number> = {
      [STATE.archive]: SIZING.archive.timeout.toSeconds(),
      [STATE.recordEscalation]: SIZING.archive.timeout.toSeconds(),
      [STATE.record]: SIZING.archive.timeout.toSeconds(),
      [STATE.recordFailure]: SIZING.record.timeout.toSeconds(),
    };
    for (const [name, fn] of Object.entries(timeouts)) expect(states[name]!.TimeoutSeconds, name).toBe(fn + 60);
  });

  it('restarts a silent poll loop twice, gives a refused credential two more tries, and leaves provider outages to the loop', () => {
    const retry = states[STATE.poll]!.Retry as AnyState[];
    expect(retry).toEqual([
      { ErrorEquals: POLL_LOOP_ERRORS, IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
      { ErrorEquals: CREDENTIAL_ERRORS, IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 2 },
    ]);
    expect(POLL_LOOP_ERRORS).toContain('States.HeartbeatTimeout');
    // The loop absorbed maxTransientErrors already: a ProviderUnavailableError reaching the workflow is recorded.
    expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain('ProviderUnavailableError');
  });

  it('runs the poll loop from an encrypted queue with a dead-letter queue, and lets it answer only this workflow', () => {
    const { stack, template } = synth;
    const json = template.toJSON().Resources as Record<string, AnyState>;
    const queueId = logicalIdOf(stack, stack.workflows[P].pollQueue.queue);
    const dlqId = logicalIdOf(stack, stack.workflows[P].pollQueue.deadLetterQueue);
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(stack, stack.keys.operations), 'Arn'] };
    expect(json[queueId]!.Properties).toEqual({
      KmsMasterKeyId: keyArn,
      MessageRetentionPeriod: 86_400,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: POLL_MAX_RECEIVES },
    });
    expect(json[dlqId]!.Properties).toMatchObject({ KmsMasterKeyId: keyArn });
    const pollFn = logicalIdOf(stack, stack.functions.providers[P].poll.function);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: pollFn },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: DEFAULT_POLL_MAX_CONCURRENCY },
    });
    expect(json[pollFn]!.Properties.Environment.Variables.POLL_QUEUE_URL).toEqual({ Ref: queueId });

    const statements = (role: object) =>
      Object.values(json)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: AnyState) => ref.Ref === logicalIdOf(stack, role as never)))
        .flatMap((r) => r.Properties.PolicyDocument.Statement as AnyState[]);
    const poll = statements(stack.functions.providers[P].poll.role);
    const smArn = { Ref: logicalIdOf(stack, stack.workflows[P].stateMachine) };
    expect(poll).toContainEqual(expect.objectContaining({
      Action: ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'],
      Resource: smArn,
    }));
    // Its own provider's workflow only: no other state machine, no other poll queue.
    const reached = JSON.stringify(poll);
    for (const other of PROVIDERS.filter((p) => p !== P)) {
      expect(reached).not.toContain(logicalIdOf(stack, stack.workflows[other].stateMachine));
      expect(reached).not.toContain(logicalIdOf(stack, stack.workflows[other].pollQueue.queue));
    }
    expect(poll).toContainEqual(expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: { StringEquals: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com' } },
    }));
    expect(poll).toContainEqual(expect.objectContaining({
      Action: 'kms:GenerateDataKey',
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': smArn } },
    }));
    // The poll function reads no evidence key use beyond SQS and the answers: no unconditioned KMS statement.
    expect(poll.filter((st) => JSON.stringify(st.Action).includes('kms:') && !st.Condition)).toEqual([]);
    // The workflow no longer invokes the poll function.
    const machine = statements(stack.workflows[P].stateMachine.role);
    expect(JSON.stringify(machine)).not.toContain(pollFn);
    expect(machine).toContainEqual(expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } }));
  });

  it('catches everything else into Record failure, which ends in Failed with the error', () => {
    for (const name of [STATE.poll, STATE.archive, STATE.recordEscalation, STATE.record]) {
      expect(states[name]!.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.recordFailure }]);
    }
    const recordFailure = states[STATE.recordFailure]!;
    expect(recordFailure.Catch).toBeUndefined();
    expect(recordFailure.Next).toBe(STATE.failed);
    expect(recordFailure.Retry).toEqual([
      expect.objectContaining({ ErrorEquals: [...LAMBDA_SERVICE_ERRORS, ...RECORD_STORE_ERRORS], JitterStrategy: 'FULL' }),
    ]);
    expect(states[STATE.failed]).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  /** The worst a state can take, read from the synthesized definition: every attempt to its timeout, full waits. */
  function worstOf(state: AnyState): number {
    const retries = (state.Retry ?? []) as AnyState[];
    const attempts = 1 + retries.reduce((n, r) => n + (r.MaxAttempts ?? 3), 0);
    let waits = 0;
    for (const r of retries) {
      for (let i = 0; i < (r.MaxAttempts ?? 3); i++) waits += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** i, r.MaxDelaySeconds ?? Infinity);
    }
    // A Lambda task is bound by its TimeoutSeconds; the poll loop by its HeartbeatSeconds (a silent loop is retried).
    return attempts * (state.TimeoutSeconds ?? state.HeartbeatSeconds) + Math.ceil(waits);
  }

  it('fits the worst retry chain inside the state machine timeout, for any polling policy config accepts', () => {
    // The chain as the deployed definition has it: the last poll, two archives (escalation and final), Record failure.
    // Each archive state may also loop through `Wait before archiving again` for as long as the step's outage budget
    // (wall clock from the outage's first failure), with a full chain before that failure and after the last wait.
    const throughOutage = (state: AnyState) => 2 * worstOf(state) + OUTAGE.budgetSeconds;
    const chain = worstOf(states[STATE.poll]!) + throughOutage(states[STATE.recordEscalation]!) + throughOutage(states[STATE.archive]!) + worstOf(states[STATE.recordFailure]!);
    expect(WORST_RETRY_CHAIN_SECONDS).toBe(chain);
    for (const polling of [
      undefined,
      { maxPollingSeconds: { liveness: 600, kyc: 600, verification: 600 }, maxEscalationSeconds: 3_600, escalationSeconds: 60 },
      { maxPollingSeconds: { liveness: 7_200, kyc: 86_400, verification: 30 * 86_400 } },
    ]) {
      const synthesized = polling ? synthesize({ polling }) : synth;
      const policy = loadConfig((key) => synthesized.stack.node.tryGetContext(key), { CDK_DEFAULT_REGION: 'us-east-1' }).polling;
      const timeout = shortestTimeout(synthesized);
      const longestBudget = Math.max(...Object.values(policy.maxPollingSeconds), policy.maxEscalationSeconds);
      const longestWait = Math.max(policy.maxSeconds, policy.escalationSeconds, 900);
      expect(timeout, JSON.stringify(polling)).toBeGreaterThanOrEqual(longestBudget + longestWait + chain);
    }
  });

  it('times out only after the longest polling budget (unlike a timeout shorter than the wait)', () => {
    const budgets = Object.values(synth.stack.node.tryGetContext('polling').maxPollingSeconds as Record<string, number>);
    expect(definition.TimeoutSeconds).toBeGreaterThan(Math.max(...budgets));
    const longer = synthesize({
      polling: { maxPollingSeconds: { liveness: 7_200, kyc: 86_400, verification: 30 * 86_400 } },
    });
    const timeout = shortestTimeout(longer);
    expect(timeout).toBeGreaterThan(30 * 86_400);
  });
});

/** The shortest TimeoutSeconds of the providers' workflows (each must fit every budget). */
function shortestTimeout(s: Synthesized): number {
  const of = (provider: ProviderName) =>
    (definitionFromTemplate(s.template.toJSON(), { logicalId: logicalIdOf(s.stack, s.stack.workflows[provider].stateMachine) }) as AnyState).TimeoutSeconds as number;
  return Math.min(...PROVIDERS.map(of));
}
