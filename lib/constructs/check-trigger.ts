import { Stack, Validations } from 'aws-cdk-lib';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHECK_CREATED_DETAIL_TYPE, DEFAULT_CREATED_AT_SKEW_SECONDS, DEFAULT_EVENT_SOURCE } from '../../lambdas/events/check-created';
import { DLQ_RETENTION, SIZING, START_ASYNC_INVOKE, TARGET_DELIVERY } from '../defaults';
import { ArchiverFunction } from './archiver-function';

/** A workflow the start function may start, and nothing else (PollingWorkflow). */
export interface StartableWorkflow {
  readonly stateMachine: IStateMachine;
  grantStartExecution(grantee: IGrantable): void;
}

export interface CheckTriggerProps {
  /** The workflow the start function starts (and may only start). */
  readonly workflow: StartableWorkflow;
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
  /** Encrypts the dead-letter queue (dead-lettered events hold check ids, liveness tokens among them). */
  readonly encryptionKey: IKey;
  /** Encrypts the start function's log group. */
  readonly logKey: IKey;
}

/**
 * `Check Created` → start function → StartExecution. Every event that does not start (or find) its workflow ends up
 * in one dead-letter queue, with its reason:
 * - EventBridge could not deliver it to the function (throttling, outage) after TARGET_DELIVERY retries: the target's
 *   DLQ; the message is the event, the reason is in the ERROR_CODE / ERROR_MESSAGE message attributes.
 * - The function failed on it (InvalidEventError for an event outside the contract, StartExecutionFailedError)
 *   after START_ASYNC_INVOKE retries: the function's on-failure destination; the message is an invocation record with
 *   the event in `requestPayload` and `responsePayload.errorType` / `errorMessage` (field paths, no values).
 */
export class CheckTrigger extends Construct {
  public readonly rule: Rule;
  public readonly startFunction: ArchiverFunction;
  public readonly deadLetterQueue: Queue;
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
      reason: 'This queue is the dead-letter queue (of the rule target and of the start function); it needs none itself.',
    });
    // EventBridge encrypts what it dead-letters with the queue's key: allow it for this account's rules only.
    props.encryptionKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowEventBridgeDeadLettersOfThisAccount',
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
      description: 'audit-archiver: validates a Check Created event and starts its workflow once',
      sizing: SIZING.start,
      logKey: props.logKey,
      environment: {
        STATE_MACHINE_ARN: props.workflow.stateMachine.stateMachineArn,
        CREATED_AT_SKEW_SECONDS: String(props.createdAtSkewSeconds ?? DEFAULT_CREATED_AT_SKEW_SECONDS),
      },
    });
    props.workflow.grantStartExecution(this.startFunction.role);
    this.startFunction.function.configureAsyncInvoke({
      ...START_ASYNC_INVOKE,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    // The destination sends with the function's role: SqsDestination grants sqs:SendMessage plus the key actions
    // SQS needs for an encrypted queue, as CDK's grantSendMessages writes them.
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(this.startFunction.role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${action} on the one dead-letter-queue key only, granted by CDK's Queue.grantSendMessages for the on-failure destination.`,
      });
    }

    this.rule = new Rule(this, 'CheckCreated', {
      description: 'audit-archiver: Check Created events start the archiving workflow',
      eventBus: this.eventBus,
      eventPattern: { source: [props.eventSource ?? DEFAULT_EVENT_SOURCE], detailType: [CHECK_CREATED_DETAIL_TYPE] },
      targets: [
        new LambdaFunction(this.startFunction.function, { ...TARGET_DELIVERY, deadLetterQueue: this.deadLetterQueue }),
      ],
    });
  }
}
