import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { StateTransitionMetric, type IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRIC, type MetricName } from '../../lambdas/common/metric-names';
import { INDEXES } from '../../lambdas/records/table-schema';
import { COMMON_ENVIRONMENT } from '../defaults';

/**
 * The flow's functions, by role: each role gets an Errors and a Throttles alarm. A role served by one function per
 * provider (poll, archive) is watched as the sum over its functions: one alarm per role, whatever the providers.
 */
export interface OperatedFunctions {
  readonly start: IFunction;
  readonly poll: readonly IFunction[];
  readonly archive: readonly IFunction[];
  readonly record: IFunction;
  readonly reconcile: IFunction;
}

export interface OperationsThresholds {
  /** Provider errors per poll, in percent, above which the provider-error alarm fires. */
  readonly providerErrorRatePercent: number;
  /** Fewer polls than this in a period never make the provider-error rate alarm (one error of two polls is noise). */
  readonly providerErrorMinPolls: number;
  /** Consecutive 5-minute periods the provider-error rate must stay above the threshold. */
  readonly providerErrorPeriods: number;
  /** Errors of one function in 5 minutes that make its alarm. */
  readonly functionErrors: number;
}

export const DEFAULT_THRESHOLDS: OperationsThresholds = {
  providerErrorRatePercent: 10,
  providerErrorMinPolls: 10,
  providerErrorPeriods: 3,
  functionErrors: 1,
};

export interface OperationsProps {
  /** The workflows' state machines (one per provider): alarms and graphs watch their sum. */
  readonly stateMachines: readonly IStateMachine[];
  /** The trigger's dead-letter queue (events that did not start a workflow). */
  readonly deadLetterQueue: IQueue;
  /** The start queue (events waiting for the start function): its oldest message's age is the start path's lag. */
  readonly startQueue?: IQueue;
  /** Thresholds of the queue-age alarms. */
  readonly queueAges?: { startQueueSeconds: number; deadLetterSeconds: number };
  readonly functions: OperatedFunctions;
  /** The records table: its writes and its auditor indexes' writes are watched for throttling. */
  readonly recordsTable: ITableV2;
  /** Encrypts the alarm topic (the stack key); CloudWatch gets to use it for this topic only. */
  readonly encryptionKey: IKey;
  readonly thresholds?: Partial<OperationsThresholds>;
}

/** The periods alarms and dashboard widgets aggregate over. */
const PERIOD = Duration.minutes(5);

/**
 * Alarms, their SNS topic and the dashboard. Every alarm notifies the topic when it fires and when it clears; the
 * Runbook in docs/operations.md says what each one means and what to do (alarm descriptions point there).
 *
 * The flow's own metrics (metric-names.ts) are read in the namespace and with the `service` dimension the functions
 * publish under (COMMON_ENVIRONMENT), so the two cannot drift apart.
 */
export class Operations extends Construct {
  public readonly topic: Topic;
  public readonly dashboard: Dashboard;
  /** Every alarm, by id (the id is also the alarm name's suffix). */
  public readonly alarms: Readonly<Record<string, Alarm>>;

  private readonly alarmsById: Record<string, Alarm> = {};
  private readonly stackName: string;
  private sums = 0;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stackName = stack.stackName;
    const thresholds = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    const { deadLetterQueue, functions, recordsTable } = props;
    const sum = { period: PERIOD, statistic: 'Sum' };
    // Every provider's workflow together: a failed execution is a failed check, whichever provider's it was.
    const executions = (metric: 'metricStarted' | 'metricSucceeded' | 'metricFailed' | 'metricTimedOut' | 'metricAborted', label: string) =>
      this.sumOf(props.stateMachines.map((machine) => machine[metric](sum)), label);
    const byRole = (fns: IFunction | readonly IFunction[], metric: 'metricErrors' | 'metricThrottles' | 'metricInvocations', label: string) =>
      this.sumOf((Array.isArray(fns) ? fns : [fns as IFunction]).map((fn) => fn[metric](sum)), label);

    // A fixed name: the key policy names the topic's ARN, and a generated one would make key and topic depend on
    // each other.
    const topicName = `${stack.stackName}-alarms`;
    this.topic = new Topic(this, 'AlarmTopic', {
      topicName,
      displayName: 'audit-archiver alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    const topicArn = stack.formatArn({ service: 'sns', resource: topicName });
    // CloudWatch alarms publish with their own service principal: allowed for this account's alarms only (the topic
    // policy replaces SNS's default one, which would otherwise allow the account).
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    // Publishing to an encrypted topic needs the key: for messages of this topic only (SNS's encryption context).
    props.encryptionKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToTheAlarmTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': topicArn } },
      }),
    );

    // Workflow outcomes: any failed, timed-out or aborted execution is a check that may lack its archive.
    this.alarmAtLeastOne('ExecutionsFailed', executions('metricFailed', 'failed'), 'A check workflow failed (its error is in the record).');
    this.alarmAtLeastOne('ExecutionsTimedOut', executions('metricTimedOut', 'timed out'), 'A check workflow hit the state machine timeout.');
    this.alarmAtLeastOne('ExecutionsAborted', executions('metricAborted', 'aborted'), 'A check workflow was stopped before it ended.');
    this.alarmAtLeastOne(
      'DeadLetters',
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      'Check Created events are waiting in the dead-letter queue: their checks have no workflow.',
    );
    // Nothing expires from the dead-letter queue unseen (SQS keeps messages 14 days at most), and a start queue that
    // lags means checks wait: liveness frames are served about 30 minutes.
    if (props.queueAges) {
      // SQS stops counting a message in its age metric once it was received three times, which the redrive does to
      // every letter it leaves; the redrive reports those letters' age itself. The larger of the two is watched, per
      // hour (the redrive reports every 15 minutes; the threshold is days).
      const hour = Duration.hours(1);
      const age = new MathExpression({
        expression: 'MAX([FILL(queue, 0), FILL(redrive, 0)])',
        usingMetrics: {
          queue: deadLetterQueue.metricApproximateAgeOfOldestMessage({ period: hour, statistic: 'Maximum' }),
          redrive: this.flowMetric(METRIC.deadLetterOldestAgeSeconds, undefined, 'Maximum').with({ period: hour }),
        },
        label: 'Oldest dead letter (s)',
        period: hour,
      });
      this.alarm('DeadLettersAging', age, {
        threshold: props.queueAges.deadLetterSeconds,
        description: 'A dead letter has waited days without being replayed: look before the queue drops it at 14 days.',
      });
    }
    if (props.startQueue && props.queueAges) {
      this.alarm('StartQueueAge', props.startQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }), {
        threshold: props.queueAges.startQueueSeconds,
        description: 'Check Created events wait in the start queue: checks start late (StartExecution throttled or the start function failing).',
      });
    }
    this.alarmAtLeastOne('WindowMisses', this.flowMetric(METRIC.windowMisses), 'An image was gone before it could be archived.');
    this.alarmAtLeastOne(
      'ProviderDrift',
      this.flowMetric(METRIC.providerDrift),
      'A provider answered outside its document (a field that could not be read, a status word it does not list): archived anyway; look before it costs evidence.',
    );
    this.alarmAtLeastOne(
      'UnrecoverableChecks',
      this.flowMetric(METRIC.checksUnrecoverable),
      'Scheduled reconcile found a check without a record that it could not redrive or restart.',
    );

    const errorRate = new MathExpression({
      expression: `IF(polls >= ${thresholds.providerErrorMinPolls}, 100 * FILL(errors, 0) / polls, 0)`,
      usingMetrics: { errors: this.flowMetric(METRIC.providerErrors), polls: byRole(functions.poll, 'metricInvocations', 'polls') },
      label: 'Provider errors per poll (%)',
      period: PERIOD,
    });
    this.alarm('ProviderErrorRate', errorRate, {
      threshold: thresholds.providerErrorRatePercent,
      evaluationPeriods: thresholds.providerErrorPeriods,
      description: `More than ${thresholds.providerErrorRatePercent}% of polls failed at the provider for ${thresholds.providerErrorPeriods} periods of 5 minutes.`,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    for (const [role, fns] of Object.entries(functions) as [keyof OperatedFunctions, IFunction | IFunction[]][]) {
      const name = role[0]!.toUpperCase() + role.slice(1);
      const which = Array.isArray(fns) ? `A ${role} function (one per provider)` : `The ${role} function`;
      this.alarm(`${name}FunctionErrors`, byRole(fns, 'metricErrors', `${role} errors`), {
        threshold: thresholds.functionErrors,
        description: `${which} threw (after its own handling).`,
      });
      this.alarmAtLeastOne(`${name}FunctionThrottles`, byRole(fns, 'metricThrottles', `${role} throttles`), `${which} was throttled.`);
    }

    // Throttling: the account-wide Step Functions buckets (shared by every state machine of the account and region)
    // and the records table with its indexes. Retries hide throttles until they run out: any is a ceiling reached.
    const throttles = this.throttleMetrics(recordsTable);
    this.alarmAtLeastOne(
      'StateTransitionThrottles',
      throttles.transitions,
      'Step Functions throttled state transitions (the account and region quota, shared by every state machine): executions slow down and retry.',
    );
    this.alarmAtLeastOne(
      'StartExecutionThrottles',
      throttles.starts,
      'StartExecution calls were throttled (the account and region quota): events wait in the start queue and start as the quota refills (none is dead-lettered for it; StartQueueAge shows the wait). If it recurs, request a higher StartExecution quota (docs/operations.md).',
    );
    this.alarmAtLeastOne('RecordsTableWriteThrottles', throttles.table, 'Writes to the records table were throttled: records are written late, or by retries.');
    this.alarmAtLeastOne(
      'IndexWriteThrottles',
      new MathExpression({
        expression: Object.keys(throttles.indexes).map((id) => `FILL(${id}, 0)`).join(' + '),
        usingMetrics: throttles.indexes,
        label: 'index write throttles',
        period: PERIOD,
      }),
      'Writes to an auditor index were throttled (a hot index key, or the table quota): the records writing them are throttled too.',
    );
    this.alarms = this.alarmsById;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-flow`,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '## audit-archiver\nChecks started → archived / without result / failed, evidence archived, and what stops it. Alarms and what to do: docs/operations.md → Runbook.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new SingleValueWidget({
        title: 'Checks (dashboard range)',
        metrics: [
          ...this.checkOutcomeMetrics(),
          this.flowMetric(METRIC.windowMisses, 'window misses'),
        ],
        setPeriodToTimeRange: true,
        width: 24,
        height: 4,
      }),
    );
    this.dashboard.addWidgets(
      this.graph('Checks', [
        ...this.checkOutcomeMetrics(),
        this.flowMetric(METRIC.duplicateEvents, 'duplicate events'),
        this.flowMetric(METRIC.invalidEvents, 'invalid events'),
      ]),
      this.graph(
        'Evidence archived',
        [
          this.flowMetric(METRIC.imagesArchived, 'images'),
          this.flowMetric(METRIC.imagesMissing, 'images missing'),
          this.flowMetric(METRIC.imagesQuarantined, 'kept in quarantine'),
          this.flowMetric(METRIC.windowMisses, 'window misses'),
          this.flowMetric(METRIC.providerDrift, 'provider drift'),
        ],
        [this.flowMetric(METRIC.bytesArchived, 'bytes')],
      ),
      this.graph('Provider errors', [
        this.flowMetric(METRIC.providerErrors, 'provider errors'),
        errorRate.with({ label: 'errors per poll (%)' }),
        // The poll function also publishes each error with its provider and status code (429, 503, network, ...).
        new MathExpression({
          expression: `SEARCH('{${COMMON_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE},provider,service,statusCode} MetricName="${METRIC.providerErrors}"', 'Sum', ${PERIOD.toSeconds()})`,
          label: '',
          period: PERIOD,
        }),
      ]),
    );
    const executionsEnded = ['succeeded', 'failed', 'timedOut', 'aborted'];
    const started = executions('metricStarted', 'started');
    this.dashboard.addWidgets(
      this.graph('Archive duration', [
        this.flowMetric(METRIC.archiveDurationMs, 'p95 (ms)', 'p95'),
        this.flowMetric(METRIC.archiveDurationMs, 'p50 (ms)', 'p50'),
        this.flowMetric(METRIC.archiveDurationMs, 'max (ms)', 'Maximum'),
      ]),
      this.graph('Executions', [
        started,
        executions('metricSucceeded', 'succeeded'),
        executions('metricFailed', 'failed'),
        executions('metricTimedOut', 'timed out'),
        executions('metricAborted', 'aborted'),
        new MathExpression({
          // Step Functions publishes no per-state-machine count of running executions: net starts over the range.
          expression: `RUNNING_SUM(FILL(started, 0) - ${executionsEnded.map((m) => `FILL(${m}, 0)`).join(' - ')})`,
          usingMetrics: {
            started: executions('metricStarted', 'started'),
            succeeded: executions('metricSucceeded', 'succeeded'),
            failed: executions('metricFailed', 'failed'),
            timedOut: executions('metricTimedOut', 'timed out'),
            aborted: executions('metricAborted', 'aborted'),
          },
          label: 'running (started − ended since the range began)',
          period: PERIOD,
        }),
      ]),
      this.graph('Dead-letter queue depth', [
        deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'messages' }),
      ]),
    );
    this.dashboard.addWidgets(
      this.graph(
        'Function errors and throttles',
        Object.entries(functions).flatMap(([role, fns]: [string, IFunction | IFunction[]]) => [
          byRole(fns, 'metricErrors', `${role} errors`),
          byRole(fns, 'metricThrottles', `${role} throttles`),
        ]),
        [],
        12,
      ),
      new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarmsById), width: 12, height: 6 }),
    );
    // Sums per period as rates, comparable with the per-second quotas; each expression names its metric uniquely.
    let rates = 0;
    const perSecond = (metric: Metric, label: string) => {
      const id = `rate${rates++}`;
      return new MathExpression({ expression: `${id} / PERIOD(${id})`, usingMetrics: { [id]: metric }, label, period: PERIOD });
    };
    this.dashboard.addWidgets(
      this.graph(
        'State transitions (account-wide quota)',
        [
          perSecond(StateTransitionMetric.metricConsumedCapacity({ period: PERIOD, statistic: 'Sum' }), 'used per second'),
          StateTransitionMetric.metricProvisionedRefillRate({ period: PERIOD, statistic: 'Average', label: 'quota: refill per second' }),
        ],
        [throttles.transitions.with({ label: 'throttled' })],
      ),
      this.graph(
        'StartExecution (account-wide quota)',
        [
          perSecond(this.statesApiMetric('ConsumedCapacity', 'Sum'), 'calls per second'),
          this.statesApiMetric('ProvisionedRefillRate', 'Average').with({ label: 'quota: refill per second' }),
        ],
        [throttles.starts.with({ label: 'throttled' })],
      ),
      this.graph(
        'Records table writes and throttles',
        Object.values(INDEXES).map((index) =>
          perSecond(this.dynamoMetric('ConsumedWriteCapacityUnits', recordsTable, index.indexName), `${index.indexName} write units per second`),
        ),
        [throttles.table.with({ label: 'table throttled' }), ...Object.values(INDEXES).map((index, i) => throttles.indexes[`index${i}`]!.with({ label: `${index.indexName} throttled` }))],
      ),
    );
  }

  /**
   * The sum of these metrics (one metric stays itself). Each sum names its metrics uniquely: CloudWatch wants one id
   * per metric across a whole alarm or widget, nested expressions included.
   */
  private sumOf(metrics: IMetric[], label: string): IMetric {
    if (metrics.length === 1) return metrics[0]!;
    const ids = metrics.map(() => `sum${this.sums++}`);
    return new MathExpression({
      expression: ids.map((id) => `FILL(${id}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(ids.map((id, i) => [id, metrics[i]!])),
      label,
      period: PERIOD,
    });
  }

  /** Throttle counts (Sum over the period) of the Step Functions buckets and of the records table and its indexes. */
  private throttleMetrics(table: ITableV2) {
    return {
      transitions: StateTransitionMetric.metricThrottledEvents({ period: PERIOD, statistic: 'Sum' }),
      starts: this.statesApiMetric('ThrottledEvents', 'Sum'),
      table: this.dynamoMetric('WriteThrottleEvents', table),
      indexes: Object.fromEntries(Object.values(INDEXES).map((index, i) => [`index${i}`, this.dynamoMetric('WriteThrottleEvents', table, index.indexName)])),
    };
  }

  /** A metric of the StartExecution API bucket (AWS/States, APIName dimension). */
  private statesApiMetric(metricName: string, statistic: string): Metric {
    return new Metric({ namespace: 'AWS/States', metricName, dimensionsMap: { APIName: 'StartExecution' }, statistic, period: PERIOD });
  }

  /** A metric of the records table, or of one of its global secondary indexes. */
  private dynamoMetric(metricName: string, table: ITableV2, indexName?: string): Metric {
    return new Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap: { TableName: table.tableName, ...(indexName ? { GlobalSecondaryIndexName: indexName } : {}) },
      statistic: 'Sum',
      period: PERIOD,
    });
  }

  /** One of the flow's metrics as the functions publish it (namespace, {service}); Sum over 5 minutes by default. */
  /** Where checks end up: started, then each kind of record. */
  private checkOutcomeMetrics() {
    return [
      this.flowMetric(METRIC.checksStarted, 'started'),
      this.flowMetric(METRIC.checksArchived, 'archived'),
      this.flowMetric(METRIC.checksPartiallyArchived, 'archived, images missing'),
      this.flowMetric(METRIC.checksWithoutResult, 'no result'),
      this.flowMetric(METRIC.checksTimedOut, 'timed out'),
      this.flowMetric(METRIC.checksFailed, 'failed'),
    ];
  }

  private flowMetric(metricName: MetricName, label?: string, statistic = 'Sum'): Metric {
    return new Metric({
      namespace: COMMON_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: COMMON_ENVIRONMENT.POWERTOOLS_SERVICE_NAME },
      statistic,
      period: PERIOD,
      ...(label !== undefined && { label }),
    });
  }

  private graph(title: string, left: IMetric[], right: IMetric[] = [], width = 8): GraphWidget {
    return new GraphWidget({ title, left, right, width, height: 6 });
  }

  private alarmAtLeastOne(id: string, metric: IMetric, description: string): Alarm {
    return this.alarm(id, metric, { threshold: 1, description });
  }

  private alarm(
    id: string,
    metric: IMetric,
    options: { threshold: number; description: string; evaluationPeriods?: number; comparison?: ComparisonOperator },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.stackName}-${id}`,
      alarmDescription: `${options.description} Runbook: docs/operations.md#runbook (${id}).`,
      metric,
      threshold: options.threshold,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      // No data is no failure: a quiet hour must not alarm (or keep an alarm from clearing).
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarmsById[id] = alarm;
    return alarm;
  }
}
