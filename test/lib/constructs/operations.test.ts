import { beforeAll, describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME, METRIC } from '../../../lambdas/common/metric-names';
import { PROVIDERS } from '../../../lambdas/checks/check-status';
import { INDEXES } from '../../../lambdas/records/table-schema';
import { DEFAULT_THRESHOLDS, Operations } from '../../../lib/constructs/operations';
import { COMMON_ENVIRONMENT } from '../../../lib/defaults';
import { logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

const FLOW_DIMENSIONS = [{ Name: 'service', Value: COMMON_ENVIRONMENT.POWERTOOLS_SERVICE_NAME }];

/** A CloudFormation string value with its tokens replaced by `<token>`: enough to read JSON bodies and ARNs. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as Json)?.['Fn::Join'];
  if (join) return (join[1] as unknown[]).map(flatten).join(join[0]);
  return '<token>';
}

describe('Operations (in the stack)', () => {
  let synth: Synthesized;
  let resources: Json;
  let ids: Record<'topic' | 'key' | 'dlq' | 'start' | 'record', string>;
  let perProvider: Record<'stateMachine' | 'poll' | 'archive', string[]>;
  let alarms: Record<string, Json>;

  beforeAll(() => {
    synth = synthesize();
    const { stack } = synth;
    resources = synth.template.toJSON().Resources;
    ids = {
      topic: logicalIdOf(stack, stack.operations.topic),
      key: logicalIdOf(stack, stack.keys.operations),
      dlq: logicalIdOf(stack, stack.trigger.deadLetterQueue),
      start: logicalIdOf(stack, stack.trigger.startFunction.function),
      record: logicalIdOf(stack, stack.functions.record.function),
    };
    perProvider = {
      stateMachine: PROVIDERS.map((p) => logicalIdOf(stack, stack.workflows[p].stateMachine)),
      poll: stack.functions.all('poll').map((fn) => fn.logicalId),
      archive: stack.functions.all('archive').map((fn) => fn.logicalId),
    };
    alarms = Object.fromEntries(
      Object.values(resources)
        .filter((r: Json) => r.Type === 'AWS::CloudWatch::Alarm')
        .map((r: Json) => [String(r.Properties.AlarmName).replace(/^AuditArchiver-/, ''), r.Properties]),
    );
  });

  it('has an SNS topic encrypted with the stack key, TLS only, published to by this account’s alarms, as an output', () => {
    const topic = resources[ids.topic].Properties;
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [ids.key, 'Arn'] });
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Resource: { Ref: ids.topic },
            Condition: {
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
    const policy = Object.values(resources).find((r: Json) => r.Type === 'AWS::SNS::TopicPolicy') as Json;
    const allow = policy.Properties.PolicyDocument.Statement.find((s: Json) => s.Effect === 'Allow');
    expect(flatten(allow.Condition.ArnLike['aws:SourceArn'])).toMatch(/^arn:aws:cloudwatch:[\w-]+:<token>:alarm:\*$/);
    expect(synth.template.toJSON().Outputs.AlarmTopicArn.Value).toEqual({ Ref: ids.topic });
  });

  it('lets CloudWatch use the key for this topic’s messages only', () => {
    const statements: Json[] = resources[ids.key].Properties.KeyPolicy.Statement;
    const forAlarms = statements.filter((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect(forAlarms).toHaveLength(1);
    const [statement] = forAlarms as [Json];
    expect(statement.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    const topicArn = flatten(statement.Condition.StringEquals['kms:EncryptionContext:aws:sns:topicArn']);
    // The ARN the key names is the topic's: same (fixed) name.
    expect(topicArn).toBe(`arn:aws:sns:us-east-1:<token>:${resources[ids.topic].Properties.TopicName}`);
  });

  it("alarms on failed, timed-out and aborted executions of every provider's workflow (one alarm each, their sum)", () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      expect(alarms[metric], metric).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
      const { expression, stats } = summed(alarms[metric]!);
      expect(expression.split(' + ')).toHaveLength(3);
      expect(stats.map((m) => m.Metric.Dimensions)).toEqual(perProvider.stateMachine.map((id) => [{ Name: 'StateMachineArn', Value: { Ref: id } }]));
      for (const stat of stats) expect(stat).toMatchObject({ Metric: { Namespace: 'AWS/States', MetricName: metric }, Stat: 'Sum', Period: 300 });
    }
  });

  it('alarms when the dead-letter queue holds any message, on any window miss and on any provider drift', () => {
    expect(alarms.DeadLetters).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.dlq, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // Nothing expires unseen: the oldest letter (the queue's age, or the redrive's for letters it received and left)
    // alarms days before SQS drops it at 14 days.
    const aging = alarms.DeadLettersAging!;
    expect(aging.Threshold).toBe(3 * 86_400);
    expect(aging.Threshold).toBeLessThan(14 * 86_400 / 2);
    const expression = aging.Metrics.find((m: Json) => m.Expression);
    expect(expression.Expression).toBe('MAX([FILL(queue, 0), FILL(redrive, 0)])');
    const byId = (id: string) => aging.Metrics.find((m: Json) => m.Id === id).MetricStat;
    expect(byId('queue')).toMatchObject({ Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage' }, Stat: 'Maximum' });
    expect(byId('redrive')).toMatchObject({ Metric: { MetricName: METRIC.deadLetterOldestAgeSeconds }, Stat: 'Maximum', Period: 3600 });
    for (const [alarm, metric] of [['WindowMisses', METRIC.windowMisses], ['ProviderDrift', METRIC.providerDrift]] as const) {
      expect(alarms[alarm], alarm).toMatchObject({
        Namespace: COMMON_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE,
        MetricName: metric,
        Dimensions: FLOW_DIMENSIONS,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('alarms on the provider error rate: ProviderErrors per poll invocation, over a minimum of polls', () => {
    const alarm = alarms.ProviderErrorRate!;
    expect(alarm).toMatchObject({
      Threshold: DEFAULT_THRESHOLDS.providerErrorRatePercent,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: DEFAULT_THRESHOLDS.providerErrorPeriods,
    });
    const byId = Object.fromEntries((alarm.Metrics as Json[]).map((m) => [m.Id, m]));
    expect(byId.errors.MetricStat).toEqual({
      Metric: { Namespace: 'AuditArchiver', MetricName: METRIC.providerErrors, Dimensions: FLOW_DIMENSIONS },
      Period: 300,
      Stat: 'Sum',
    });
    // Polls: the sum of every provider's poll function's invocations.
    expect(byId.polls.Expression.split(' + ')).toHaveLength(3);
    const polls = (alarm.Metrics as Json[]).filter((m) => m.MetricStat?.Metric.MetricName === 'Invocations').map((m) => m.MetricStat.Metric);
    expect(polls).toEqual(perProvider.poll.map((id) => ({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }] })));
    const expression = (alarm.Metrics as Json[]).find((m) => m.Expression);
    expect(expression).toMatchObject({ ReturnData: true, Expression: 'IF(polls >= 10, 100 * FILL(errors, 0) / polls, 0)' });
  });

  it('alarms on Errors and Throttles of each role: start and record, and poll and archive summed over their per-provider functions', () => {
    for (const role of ['start', 'record'] as const) {
      const name = role[0]!.toUpperCase() + role.slice(1);
      for (const metric of ['Errors', 'Throttles']) {
        expect(alarms[`${name}Function${metric}`], `${role} ${metric}`).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids[role] } }],
          Statistic: 'Sum',
          Threshold: 1,
        });
      }
    }
    for (const role of ['poll', 'archive'] as const) {
      const name = role[0]!.toUpperCase() + role.slice(1);
      for (const metric of ['Errors', 'Throttles']) {
        const alarm = alarms[`${name}Function${metric}`]!;
        expect(alarm, `${role} ${metric}`).toMatchObject({ Threshold: 1 });
        const { stats } = summed(alarm);
        expect(stats.map((m) => m.Metric.Dimensions), `${role} ${metric}`).toEqual(perProvider[role].map((id) => [{ Name: 'FunctionName', Value: { Ref: id } }]));
        for (const stat of stats) expect(stat).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: metric }, Stat: 'Sum' });
      }
    }
  });

  it('alarms on throttled state transitions and StartExecution calls (account-wide buckets) and on throttled writes to the records table and each auditor index', () => {
    const common = { Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 };
    expect(alarms.StateTransitionThrottles).toMatchObject({
      ...common,
      Namespace: 'AWS/States',
      MetricName: 'ThrottledEvents',
      Dimensions: [{ Name: 'ServiceMetric', Value: 'StateTransition' }],
      Statistic: 'Sum',
      Period: 300,
    });
    expect(alarms.StartExecutionThrottles).toMatchObject({
      ...common,
      Namespace: 'AWS/States',
      MetricName: 'ThrottledEvents',
      Dimensions: [{ Name: 'APIName', Value: 'StartExecution' }],
      Statistic: 'Sum',
    });
    const table = { Name: 'TableName', Value: { Ref: logicalIdOf(synth.stack, synth.stack.storage.table) } };
    expect(alarms.RecordsTableWriteThrottles).toMatchObject({ ...common, Namespace: 'AWS/DynamoDB', MetricName: 'WriteThrottleEvents', Dimensions: [table], Statistic: 'Sum' });
    const indexAlarm = alarms.IndexWriteThrottles!;
    expect(indexAlarm).toMatchObject(common);
    const stats = (indexAlarm.Metrics as Json[]).filter((m) => m.MetricStat).map((m) => m.MetricStat);
    // Dimensions are a set to CloudWatch: compared by name.
    const byName = (dimensions: Json[]) => [...dimensions].sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
    expect(stats.map((stat) => byName(stat.Metric.Dimensions))).toEqual(
      Object.values(INDEXES).map((index) => byName([table, { Name: 'GlobalSecondaryIndexName', Value: index.indexName }])),
    );
    for (const stat of stats) expect(stat).toMatchObject({ Metric: { Namespace: 'AWS/DynamoDB', MetricName: 'WriteThrottleEvents' }, Stat: 'Sum', Period: 300 });
    const sum = (indexAlarm.Metrics as Json[]).find((m) => m.Expression)!;
    expect(sum).toMatchObject({ ReturnData: true });
    expect(sum.Expression.split(' + ')).toHaveLength(Object.keys(INDEXES).length);
  });

  it('notifies the topic when any alarm fires and when it clears; no data never alarms', () => {
    // Executions failed/timed out/aborted, dead letters, window misses, provider drift, unrecoverable checks; provider error rate;
    // errors and throttles of five functions; the dead-letter and start queues' ages; throttled transitions, StartExecution calls, table and index writes.
    expect(Object.keys(alarms)).toHaveLength(7 + 1 + 10 + 2 + 4);
    for (const [name, alarm] of Object.entries(alarms)) {
      expect(alarm.AlarmActions, name).toEqual([{ Ref: ids.topic }]);
      expect(alarm.OKActions, name).toEqual([{ Ref: ids.topic }]);
      expect(alarm.TreatMissingData, name).toBe('notBreaching');
      expect(alarm.AlarmDescription, name).toContain(`Runbook: docs/operations.md#runbook (${name})`);
    }
  });

  it('reads the flow metrics where every function publishes them (namespace and service of its environment)', () => {
    // Handlers fall back to these when the variables are unset (local mode, tests): the same pair.
    expect([DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME]).toEqual([
      COMMON_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE,
      COMMON_ENVIRONMENT.POWERTOOLS_SERVICE_NAME,
    ]);
    const functions = Object.values(resources).filter((r: Json) => r.Type === 'AWS::Lambda::Function') as Json[];
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions) {
      const env = fn.Properties.Environment?.Variables ?? {};
      if (!env.POWERTOOLS_SERVICE_NAME) continue; // CDK's own helper functions, if any
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(alarms.WindowMisses!.Namespace);
      expect(env.POWERTOOLS_SERVICE_NAME).toBe(FLOW_DIMENSIONS[0]!.Value);
    }
  });

  it('has a dashboard with the flow’s key numbers', () => {
    const dashboard = Object.values(resources).find((r: Json) => r.Type === 'AWS::CloudWatch::Dashboard') as Json;
    const body = JSON.parse(flatten(dashboard.Properties.DashboardBody));
    const metricRows: unknown[][] = body.widgets.flatMap((w: Json) => w.properties?.metrics ?? []);
    // Each row is [namespace, metricName, ...dimensions, options]; CloudWatch may abbreviate repeats as ".".
    const flowRows = metricRows.filter((row) => row[0] === 'AuditArchiver');
    const named = (name: string) => flowRows.some((row) => row[1] === name && row.includes('service'));
    for (const name of [
      METRIC.checksStarted,
      METRIC.checksArchived,
      METRIC.checksWithoutResult,
      METRIC.windowMisses,
      METRIC.imagesArchived,
      METRIC.imagesQuarantined,
      METRIC.providerDrift,
      METRIC.bytesArchived,
      METRIC.providerErrors,
      METRIC.archiveDurationMs,
    ]) {
      expect(named(name), name).toBe(true);
    }
    for (const name of ['ExecutionsStarted', 'ExecutionsFailed', 'ApproximateNumberOfMessagesVisible']) {
      expect(metricRows.some((row) => row.includes(name)), name).toBe(true);
    }
    const p95 = metricRows.find((row) => row.includes(METRIC.archiveDurationMs) && JSON.stringify(row).includes('"p95"'));
    expect(p95, 'archive duration p95').toBeDefined();
    const running = metricRows.find((row) => JSON.stringify(row).includes('RUNNING_SUM'));
    expect(running, 'executions running').toBeDefined();
    const byProvider = metricRows.find((row) => JSON.stringify(row).includes('{AuditArchiver,provider,service,statusCode} MetricName=\\"ProviderErrors\\"'));
    expect(byProvider, 'provider errors by provider and status code').toBeDefined();
    expect(body.widgets.some((w: Json) => w.type === 'alarm' && w.properties.alarms.length === Object.keys(alarms).length)).toBe(true);
    // Throttling: used vs quota of the account's Step Functions buckets, and each index's write units and throttles.
    for (const name of ['ConsumedCapacity', 'ProvisionedRefillRate', 'ThrottledEvents', 'ConsumedWriteCapacityUnits', 'WriteThrottleEvents']) {
      expect(metricRows.some((row) => row.includes(name)), name).toBe(true);
    }
    for (const index of Object.values(INDEXES)) {
      expect(metricRows.some((row) => row.includes('ConsumedWriteCapacityUnits') && row.includes(index.indexName)), index.indexName).toBe(true);
    }
    const titles = body.widgets.map((w: Json) => w.properties?.title);
    expect(titles).toEqual(expect.arrayContaining(['State transitions (account-wide quota)', 'StartExecution (account-wide quota)', 'Records table writes and throttles']));
  });
});

describe('Operations (thresholds)', () => {
  it('takes other thresholds', () => {
    const stack = new Stack(new App(), 'Ops', { env: { account: '111122223333', region: 'eu-west-1' } });
    const fn = (id: string) =>
      new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=()=>{}') });
    new Operations(stack, 'Operations', {
      stateMachines: [new StateMachine(stack, 'Machine', { definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Pass')) })],
      deadLetterQueue: new Queue(stack, 'Dlq'),
      recordsTable: new TableV2(stack, 'Records', { partitionKey: { name: 'pk', type: AttributeType.STRING } }),
      functions: { start: fn('Start'), poll: [fn('Poll')], archive: [fn('Archive')], record: fn('Record'), reconcile: fn('Reconcile') },
      encryptionKey: new Key(stack, 'Key'),
      thresholds: { providerErrorRatePercent: 25, providerErrorMinPolls: 50, providerErrorPeriods: 2, functionErrors: 5 },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Ops-ProviderErrorRate',
      Threshold: 25,
      EvaluationPeriods: 2,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(polls >= 50, 100 * FILL(errors, 0) / polls, 0)' })]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Ops-ArchiveFunctionErrors', Threshold: 5 });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'Ops-alarms' });
  });
});

/** An alarm on a sum: its expression (the one returned) and the metrics it adds up. */
function summed(alarm: Json): { expression: string; stats: Json[] } {
  const metrics = alarm.Metrics as Json[];
  const expression = metrics.find((m) => m.ReturnData !== false && m.Expression)?.Expression as string;
  expect(expression).toMatch(/^FILL\(\w+, 0\)( \+ FILL\(\w+, 0\))*$/);
  return { expression, stats: metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat) };
}
