import { Stack, Validations } from 'aws-cdk-lib';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHECK_CREATED_DETAIL_TYPE, DEFAULT_CREATED_AT_SKEW_SECONDS, DEFAULT_EVENT_SOURCE } from '../../lambdas/events/check-created';
import { PROVIDERS, type ProviderName } from '../../lambdas/checks/check-status';
import { DATA_REMOVAL_POLICY, DLQ_RETENTION, SIZING, START_QUEUE, TARGET_DELIVERY } from '../defaults';
import { ArchiverFunction } from './archiver-function';

/** A workflow the start function may start, and nothing else (PollingWorkflow). */
export interface StartableWorkflow {
  readonly stateMachine: IStateMachine;
  grantStartExecution(grantee: IGrantable): void;
}

export interface CheckTriggerProps {
  /** Each provider's workflow: the start function starts a check on its provider's (and may only start these). */
  readonly workflows: Readonly<Record<ProviderName, StartableWorkflow>>;
  /** The bus the checks are published on (CheckBus). */
  readonly eventBus: IEventBus;
  /**
   * How far an event's `createdAt` may be from the event's `time` before the event's time is used instead.
   *
   * @default DEFAULT_CREATED_AT_SKEW_SECONDS (one day)
   */
  readonly createdAtSkewSeconds?: number;
  /**
   * `source` of the `Check Created` events.
   *
   * @default 'audit-archiver.checks'
   */
  readonly eventSource?: string;
  /** Encrypts the queues (events hold check ids, liveness tokens among them). */
  readonly encryptionKey: IKey;
  /** The records table: the start function writes each check's `started` item and "seen" marker there. */
  readonly table: ITableV2;
  /** The records table's key (used through DynamoDB only). */
  readonly tableKey: IKey;
  /** Encrypts the start function's log group. */
  readonly logKey: IKey;
}

/**
 * `Check Created` → start queue → start function → StartExecution. The queue is the back-pressure: a burst waits in
 * it, the function takes batches at a bounded concurrency, and what it cannot start yet comes back (partial batch
 * responses, the visibility timeout as the retry delay). Every event that does not start (or find) its workflow ends
 * up in one dead-letter queue:
 * - the start function seals it there itself (lambdas/events/dead-letters.ts): an event outside the contract at once,
 *   one it could not start after MAX_START_RECEIVES receives — checkId replaced by the checkRef, the original event
 *   encrypted with the dead-letter key, which only the replay (scheduled redrive, `audit-archiver dead-letters`) opens;
 * - as a last resort, raw: EventBridge could not deliver it to the queue (target DLQ), or the function failed on it
 *   past the queue's maxReceiveCount; the scheduled redrive seals those on its next run.
 */
export class CheckTrigger extends Construct {
  public readonly rule: Rule;
  public readonly startFunction: ArchiverFunction;
  public readonly startQueue: Queue;
  public readonly deadLetterQueue: Queue;
  /** Encrypts the replay blobs of dead letters: decrypting them is the replay's privilege alone. */
  public readonly deadLetterKey: Key;
  public readonly eventBus: IEventBus;

  constructor(scope: Construct, id: string, props: CheckTriggerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.eventBus = props.eventBus;

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue (of the rule target and of the start queue); it needs none itself.',
    });
    this.startQueue = new Queue(this, 'Checks', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
      visibilityTimeout: START_QUEUE.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: START_QUEUE.maxReceiveCount },
    });
    this.deadLetterKey = new Key(this, 'DeadLetterKey', {
      description: 'audit-archiver: encrypts the replay blobs of dead-lettered events (the original event, liveness tokens included)',
      enableKeyRotation: true,
      removalPolicy: DATA_REMOVAL_POLICY,
    });
    // EventBridge encrypts what it delivers and dead-letters with the queues' key: for this account's rules only.
    props.encryptionKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowEventBridgeQueuesOfThisAccount',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) },
        },
      }),
    );

    this.startFunction = new ArchiverFunction(this, 'Start', {
      entry: 'lambdas/handlers/start.ts',
      description: 'audit-archiver: validates Check Created events from the start queue and starts each workflow once',
      sizing: SIZING.start,
      logKey: props.logKey,
      environment: {
        STATE_MACHINE_ARNS: stack.toJsonString(Object.fromEntries(PROVIDERS.map((p) => [p, props.workflows[p].stateMachine.stateMachineArn]))),
        CREATED_AT_SKEW_SECONDS: String(props.createdAtSkewSeconds ?? DEFAULT_CREATED_AT_SKEW_SECONDS),
        TABLE_NAME: props.table.tableName,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        DEAD_LETTER_KEY_ARN: this.deadLetterKey.keyArn,
        // A throttled start waits longer before its next receive (ChangeMessageVisibility, granted with the mapping).
        START_QUEUE_URL: this.startQueue.queueUrl,
      },
    });
    const role = this.startFunction.role;
    for (const provider of PROVIDERS) props.workflows[provider].grantStartExecution(role);
    // The started item, the seen marker, and taking back an abandoned start: item-level, no index, no scan.
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'], resources: [props.table.tableArn] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [props.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
      }),
    );
    this.deadLetterQueue.grantSendMessages(role);
    // Seal only: the start function can encrypt a replay blob, never open one.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [this.deadLetterKey.keyArn] }));
    this.startFunction.function.addEventSource(
      new SqsEventSource(this.startQueue, {
        batchSize: START_QUEUE.batchSize,
        maxBatchingWindow: START_QUEUE.maxBatchingWindow,
        maxConcurrency: START_QUEUE.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${action} on the queues' key only, as CDK's Queue.grantSendMessages writes it for the dead-letter queue.`,
      });
    }

    this.rule = new Rule(this, 'CheckCreated', {
      description: 'audit-archiver: Check Created events start the archiving workflow (through the start queue)',
      eventBus: this.eventBus,
      eventPattern: { source: [props.eventSource ?? DEFAULT_EVENT_SOURCE], detailType: [CHECK_CREATED_DETAIL_TYPE] },
      targets: [new SqsQueue(this.startQueue, { ...TARGET_DELIVERY, deadLetterQueue: this.deadLetterQueue })],
    });
  }
}
