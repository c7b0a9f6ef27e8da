import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { PROVIDERS, type ProviderName } from '../../../lambdas/checks/check-status';
import { joinedJson, logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('CheckTrigger', () => {
  let synth: Synthesized;
  let ids: { fn: string; dlq: string; queue: string; rule: string; key: string; deadLetterKey: string; stateMachines: Record<ProviderName, string>; table: string };

  beforeAll(() => {
    synth = synthesize();
    const { stack } = synth;
    ids = {
      fn: logicalIdOf(stack, stack.trigger.startFunction.function),
      dlq: logicalIdOf(stack, stack.trigger.deadLetterQueue),
      queue: logicalIdOf(stack, stack.trigger.startQueue),
      deadLetterKey: logicalIdOf(stack, stack.trigger.deadLetterKey),
      table: logicalIdOf(stack, stack.storage.table),
      rule: logicalIdOf(stack, stack.trigger.rule),
      key: logicalIdOf(stack, stack.keys.operations),
      stateMachines: Object.fromEntries(PROVIDERS.map((p) => [p, logicalIdOf(stack, stack.workflows[p].stateMachine)])) as Record<ProviderName, string>,
    };
  });

  it("matches Check Created events of the configured source on the stack's own bus", () => {
    const rule = synth.template.toJSON().Resources[ids.rule].Properties;
    expect(rule.EventPattern).toEqual({ source: ['audit-archiver.checks'], 'detail-type': ['Check Created'] });
    expect(rule.EventBusName).toEqual({ Ref: logicalIdOf(synth.stack, synth.stack.bus.eventBus as never) });
    expect(rule.State).toBe('ENABLED');
  });

  it('listens on another bus and source when the context says so', () => {
    const { template } = synthesize({ eventBusName: 'checks', eventSource: 'acme.identity' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'checks',
      EventPattern: { source: ['acme.identity'], 'detail-type': ['Check Created'] },
    });
  });

  it('targets the start queue with a retry policy and the dead-letter queue (back-pressure instead of loss)', () => {
    const rule = synth.template.toJSON().Resources[ids.rule].Properties;
    expect(rule.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
      },
    ]);
  });

  it('feeds the start function in batches at a bounded concurrency, with partial batch responses; the queue redrives to the DLQ', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: ids.fn },
      EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const queue = synth.template.toJSON().Resources[ids.queue].Properties;
    expect(queue).toMatchObject({
      VisibilityTimeout: 90,
      KmsMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] }, maxReceiveCount: 8 },
    });
    // No asynchronous invocation path is left: nothing reaches the function but the queue.
    expect(Object.keys(synth.template.findResources('AWS::Lambda::EventInvokeConfig'))).toEqual([]);
  });

  it('keeps dead letters 14 days, encrypted with the key, over TLS only, writable by this rule', () => {
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
      MessageRetentionPeriod: 14 * 86_400,
    });
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: ids.dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ids.rule, 'Arn'] } } },
          }),
        ]),
      },
    });
    // EventBridge encrypts dead letters with the queue's key: the key policy lets it, for this account's rules.
    const keyPolicy = synth.template.toJSON().Resources[ids.key].Properties.KeyPolicy.Statement as Json[];
    expect(keyPolicy).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: { ArnLike: { 'aws:SourceArn': expect.anything() } },
      }),
    );
  });

  it("gives the start function each provider's state machine ARN, the table, its queue, the dead-letter queue and key, and nothing secret", () => {
    const fn = synth.template.toJSON().Resources[ids.fn].Properties;
    expect(fn.Environment.Variables).toEqual({
      POWERTOOLS_SERVICE_NAME: 'audit-archiver',
      POWERTOOLS_METRICS_NAMESPACE: 'AuditArchiver',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      STATE_MACHINE_ARNS: expect.any(Object),
      CREATED_AT_SKEW_SECONDS: '86400',
      TABLE_NAME: { Ref: ids.table },
      DEAD_LETTER_QUEUE_URL: { Ref: ids.dlq },
      DEAD_LETTER_KEY_ARN: { 'Fn::GetAtt': [ids.deadLetterKey, 'Arn'] },
      // A throttled start's message is kept out of sight longer (ChangeMessageVisibility, which the mapping grants).
      START_QUEUE_URL: { Ref: ids.queue },
      // Where the key of checkRefs is (an ARN, not the key).
      IDENTIFIER_KEY_SECRET_ARN: { Ref: logicalIdOf(synth.stack, synth.stack.identifiers.secret) },
    });
    // {"liveness":arn,"kyc":arn,"verification":arn}: the provider picks the workflow.
    expect(joinedJson(fn.Environment.Variables.STATE_MACHINE_ARNS)).toEqual(Object.fromEntries(PROVIDERS.map((p) => [p, `<${ids.stateMachines[p]}>`])));
  });

  it('lets the start role start the workflows\' state machines, write its check items, seal (never open) dead letters, read the identifier key — nothing else', () => {
    const policies = synth.template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalIdOf(synth.stack, synth.stack.trigger.startFunction.role) }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    const states = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('states:')));
    expect(states.map((s) => s.Action)).toEqual(states.map(() => 'states:StartExecution'));
    expect(new Set(states.flatMap((s) => [s.Resource].flat()))).toEqual(new Set(PROVIDERS.map((p) => ({ Ref: ids.stateMachines[p] }))));
    // Executions are encrypted with the key: the caller encrypts the input, for each state machine's context only.
    for (const provider of PROVIDERS) {
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [ids.key, 'Arn'] },
        Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': { Ref: ids.stateMachines[provider] } } },
      });
    }
    // Its check items: item-level writes on the table itself, no index, no scan, no update.
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] } });
    // The dead-letter key: seal only. Opening a replay blob is the redrive's privilege.
    const onDeadLetterKey = statements.filter((s) => JSON.stringify(s.Resource).includes(ids.deadLetterKey));
    expect(onDeadLetterKey).toEqual([{ Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: { 'Fn::GetAtt': [ids.deadLetterKey, 'Arn'] } }]);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(
      actions.filter((a) => !/^(logs:(CreateLogStream|PutLogEvents)|states:StartExecution|sqs:(SendMessage|GetQueueAttributes|GetQueueUrl|ReceiveMessage|ChangeMessageVisibility|DeleteMessage)|dynamodb:(PutItem|GetItem|DeleteItem)|kms:.*)$/.test(a)),
    ).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: { Ref: logicalIdOf(synth.stack, synth.stack.identifiers.secret) } }),
    );
  });
});

