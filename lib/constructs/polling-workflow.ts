import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  CustomerManagedEncryptionConfiguration,
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  QueryLanguage,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
  type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, SqsSendMessage } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ARCHIVE_RETRYABLE_ERROR_NAMES, LEASE_ERROR_NAMES } from '../../lambdas/archive/errors';
import { RETRYABLE_ERROR_NAMES } from '../../lambdas/common/errors';
import { RETRY_LATER, STATE, type PollState } from '../../lambdas/checks/workflow-contract';
import { OUTAGE } from '../../lambdas/archive/outage';
import { LOOP } from '../../lambdas/polling/poll-loop';
import { LOG_RETENTION, SIZING } from '../defaults';
import { PollQueue } from './poll-queue';

/** Handler errors worth another try, by `name`: the retryable ones the error modules export. */
export const TRANSIENT_ERRORS = [...new Set([...RETRYABLE_ERROR_NAMES, ...ARCHIVE_RETRYABLE_ERROR_NAMES])];

/**
 * A refused credential, retried twice after a short pause: the function dropped the cached secret, so after a
 * rotation the retry reads the new one. A wrong key still fails fast.
 */
export const CREDENTIAL_ERRORS = ['ProviderAuthError'];

/**
 * The poll loop went silent (its message dead-lettered, HeartbeatSeconds passed) or SQS refused the first message:
 * the loop is started again. The SQS names are those the optimized integration reports (SQS.<exception>).
 */
export const POLL_LOOP_ERRORS = ['States.HeartbeatTimeout', 'SQS.SdkClientException', 'SQS.AmazonSQSException'];

/** What Record failure retries besides Lambda-side failures: only the record store being unavailable. */
export const RECORD_STORE_ERRORS = ['StorageUnavailableError'];

/**
 * Lambda-side failures, not the handler's verdict: service errors, a function that timed out or whose runtime died.
 * Retried: the handlers are idempotent, and an archive that ran out of time resumes from the objects it stored.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
];

/**
 * Up to 5 retries after 2, 4, 8, 16, 32 s, each fully jittered (a random delay up to that, spreading retries of many
 * executions) and capped at 60 s: about a minute of outage absorbed per task before the Catch.
 */
const BACKOFF: Omit<RetryProps, 'errors'> = {
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 5,
  maxDelay: Duration.seconds(60),
  jitterStrategy: JitterType.FULL,
};

/**
 * Another run holds the check's lease (CheckBusyError): waited for with a slow backoff that outlasts a lease (the
 * holder's Lambda timeout plus a minute): 30 s, then ×1.5 up to 2 minutes, 8 times (about 12 minutes in all).
 */
export const LEASE_BACKOFF: Omit<RetryProps, 'errors'> = {
  interval: Duration.seconds(30),
  backoffRate: 1.5,
  maxAttempts: 8,
  maxDelay: Duration.seconds(120),
  jitterStrategy: JitterType.FULL,
};

/** A refused credential: two more tries, with the secret fetched again (after a rotation). */
const CREDENTIAL_RETRY: Omit<RetryProps, 'errors'> = { interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 2 };

/** The retriers of each kind of task, in order: what the construct adds, and what the worst chain counts. */
const STEP_RETRIES: RetryProps[] = [
  { errors: TRANSIENT_ERRORS, ...BACKOFF },
  { errors: LAMBDA_SERVICE_ERRORS, ...BACKOFF },
  { errors: CREDENTIAL_ERRORS, ...CREDENTIAL_RETRY },
];
const TASK_RETRIES = {
  // Transient provider errors are absorbed in the poll loop (maxTransientErrors: an outage of about 26 minutes at the
  // default policy): one that reaches the workflow has outlasted them and is recorded. A silent loop is started again;
  // a refused credential gets the loop's one more try.
  poll: [
    { errors: POLL_LOOP_ERRORS, ...BACKOFF, maxAttempts: 2 },
    { errors: CREDENTIAL_ERRORS, ...CREDENTIAL_RETRY },
  ],
  archive: [...STEP_RETRIES, { errors: [...LEASE_ERROR_NAMES], ...LEASE_BACKOFF }],
  recordFailure: [{ errors: [...LAMBDA_SERVICE_ERRORS, ...RECORD_STORE_ERRORS], ...BACKOFF }],
} as const satisfies Record<string, RetryProps[]>;

/**
 * A task never times out before its function does (the default here and aws-local-stepfunctions' 60 s would leave a
 * run going on beside its own retry): the function's timeout plus a minute.
 */
const TASK_TIMEOUT_MARGIN = Duration.seconds(60);

/**
 * The longest a task can take with all its retries: every attempt running into its bound (a Lambda task's timeout,
 * the poll loop's heartbeat timeout), every wait at its full (un-jittered) delay. An upper bound: a retrier's attempts
 * are counted as if each error kind used them all.
 */
export function worstTaskSeconds(retries: readonly RetryProps[], attemptSeconds: number): number {
  const attempts = 1 + retries.reduce((n, r) => n + (r.maxAttempts ?? 3), 0);
  let waits = 0;
  for (const r of retries) {
    const interval = (r.interval ?? Duration.seconds(1)).toSeconds();
    const cap = r.maxDelay?.toSeconds() ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < (r.maxAttempts ?? 3); i++) waits += Math.min(interval * (r.backoffRate ?? 2) ** i, cap);
  }
  return attempts * attemptSeconds + Math.ceil(waits);
}

/** A Lambda task's bound per attempt: its task timeout. */
const lambdaAttempt = (functionTimeout: Duration) => functionTimeout.plus(TASK_TIMEOUT_MARGIN).toSeconds();

/**
 * The worst retry chain an execution can run beyond its polling budget (lib/config.ts adds it to the state machine's
 * timeout, so it fits for any accepted configuration): a poll loop that goes silent at the budget's end and is
 * started again, the escalation's archive and the final archive (each with lease waits), then Record failure.
 */
export const WORST_RETRY_CHAIN_SECONDS =
  worstTaskSeconds(TASK_RETRIES.poll, LOOP.heartbeatTimeoutSeconds) +
  2 * worstArchiveSeconds(worstTaskSeconds(TASK_RETRIES.archive, lambdaAttempt(SIZING.archive.timeout))) +
  worstTaskSeconds(TASK_RETRIES.recordFailure, lambdaAttempt(SIZING.record.timeout));

/**
 * An archive step through an outage: its first task chain up to the outage's first failure, the retry-later loop the
 * step keeps within its outage budget (wall clock from that failure, waits included), then the last attempt's chain.
 */
function worstArchiveSeconds(worstTask: number): number {
  return worstTask + OUTAGE.budgetSeconds + worstTask;
}

export interface WorkflowHandlers {
  /** The poll loop (lambdas/handlers/poll.ts): fed by the poll queue, answers the workflow's task token. */
  readonly poll: LambdaFunction;
  /** Archives a complete or escalated check, or records a no-result/timed-out one; returns ArchiveOutput. */
  readonly archive: IFunction;
  /** Records a failure (reading `$.error`); table access only. Returns ArchiveOutput. */
  readonly record: IFunction;
}

export interface PollingWorkflowProps {
  readonly handlers: WorkflowHandlers;
  /** Encrypts the execution history. */
  readonly encryptionKey: IKey;
  /** Encrypts the workflow's log group. */
  readonly logKey: IKey;
  /** Hard stop of every execution: must exceed the longest polling budget (see config.stateMachineTimeoutSeconds). */
  readonly timeout: Duration;
  /** Poll batches the poll queue's mapping runs at once (cdk.json `pollMaxConcurrency`). @default DEFAULT_POLL_MAX_CONCURRENCY */
  readonly pollMaxConcurrency?: number;
}

/**
 * The Standard workflow, in JSONPath (the local executor ignores JSONata), with the state names of
 * lambdas/checks/workflow-contract.ts:
 *
 *   Poll provider (the poll loop, until the check needs the workflow) → Route by status
 *     pending                     → Wait before next poll ($.poll.waitSeconds) → Poll provider
 *     complete                    → Archive evidence → Archived (or, when the re-fetch says escalated, Wait for review)
 *     escalated, archived         → Wait for review ($.poll.waitSeconds) → Poll provider
 *     escalated, not yet archived → Archive escalation → Wait for review
 *     no-result | timed-out       → Record outcome → Recorded
 *     anything else               → Unexpected poll state → Record failure → Failed
 *   any task error after retries  → Record failure → Failed
 *
 * `Poll provider` sends the state and its task token to the poll queue and waits: the poll function polls, and waits
 * between polls as SQS message delays, until the check is terminal, escalated for the first time or timed out, then
 * answers with the poll (SendTaskSuccess) or its error by name (SendTaskFailure, matched by Retry and Catch as a
 * Lambda error type was). A poll costs an SQS request and an invocation, not three state transitions; a check costs
 * about four. The loop says it is alive every few minutes (SendTaskHeartbeat); silent for HeartbeatSeconds, it is
 * presumed lost and started again. The loop computes the backoff and ends a check as timed-out past its provider's
 * budget; the execution timeout is the backstop. Logs carry no execution data: the input holds liveness tokens.
 */
export class PollingWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  /** `<stack>-<construct id>`, e.g. audit-archiver-Workflow-kyc (a plain string, not a token). */
  public readonly stateMachineName: string;
  /** `...:execution:<state machine name>:*`: every execution of this state machine (names are per check). */
  public readonly executionsArn: string;
  public readonly logGroup: LogGroup;
  public readonly pollQueue: PollQueue;
  private readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: PollingWorkflowProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    const { handlers } = props;

    this.pollQueue = new PollQueue(this, 'PollQueue', {
      pollFunction: handlers.poll,
      encryptionKey: props.encryptionKey,
      ...(props.pollMaxConcurrency !== undefined ? { maxConcurrency: props.pollMaxConcurrency } : {}),
    });
    const poll = SqsSendMessage.jsonPath(this, STATE.poll, {
      queue: this.pollQueue.queue,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      messageBody: TaskInput.fromObject({ taskToken: JsonPath.taskToken, state: JsonPath.entirePayload }),
      heartbeatTimeout: Timeout.duration(Duration.seconds(LOOP.heartbeatTimeoutSeconds)),
      resultPath: '$.poll',
    });
    for (const retry of TASK_RETRIES.poll) poll.addRetry(retry);
    // Archive tasks also wait out another run's lease on the check (CheckBusyError).
    const archive = this.task(STATE.archive, handlers.archive, '$.archive', SIZING.archive.timeout, TASK_RETRIES.archive);
    const archiveEscalation = this.task(STATE.recordEscalation, handlers.archive, '$.archive', SIZING.archive.timeout, TASK_RETRIES.archive);
    // The archive function, not the record one: a no-result answer is fetched again and kept as result.json.
    const recordOutcome = this.task(STATE.record, handlers.archive, '$.archive', SIZING.archive.timeout, TASK_RETRIES.archive);
    const recordFailure = this.task(STATE.recordFailure, handlers.record, '$.archive', SIZING.record.timeout, TASK_RETRIES.recordFailure);

    const failed = Fail.jsonPath(this, STATE.failed, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    recordFailure.next(failed);
    for (const task of [poll, archive, archiveEscalation, recordOutcome]) {
      task.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    }

    const waitBeforeNextPoll = Wait.jsonPath(this, STATE.wait, { time: WaitTime.secondsPath('$.poll.waitSeconds') });
    const waitForReview = Wait.jsonPath(this, STATE.waitReview, { time: WaitTime.secondsPath('$.poll.waitSeconds') });
    const unexpected = Pass.jsonPath(this, STATE.unexpected, {
      parameters: {
        Error: 'UnexpectedPollState',
        Cause: 'The poll function returned a state this workflow does not route.',
      },
      resultPath: '$.error',
    });

    const is = (state: PollState) => Condition.stringEquals('$.poll.state', state);
    // The provider or S3 is out (lambdas/archive/outage.ts): wait as the archive step asks, then route the check again,
    // which runs the same archive step; the step bounds the loop by the evidence window (OUTAGE.budgetSeconds).
    const retryLater = Condition.stringEquals('$.archive.status', RETRY_LATER);
    const waitArchive = Wait.jsonPath(this, STATE.waitArchive, { time: WaitTime.secondsPath('$.archive.retryAfterSeconds') });
    // The archive step asks the provider again: a check that went (back) to review since the poll keeps being followed.
    const archivedOrReview = Choice.jsonPath(this, STATE.archivedOrReview)
      .when(retryLater, waitArchive)
      .when(Condition.stringEquals('$.archive.status', 'escalated'), waitForReview)
      .otherwise(new Succeed(this, STATE.archived));
    const escalationArchived = Choice.jsonPath(this, STATE.escalationArchived).when(retryLater, waitArchive).otherwise(waitForReview);
    const recordedOrRetry = Choice.jsonPath(this, STATE.recordedOrRetry).when(retryLater, waitArchive).otherwise(new Succeed(this, STATE.recorded));
    const route = Choice.jsonPath(this, STATE.route)
      .when(is('pending'), waitBeforeNextPoll.next(poll))
      .when(is('complete'), archive.next(archivedOrReview))
      // Written as "archived already → wait; else archive" rather than with IsPresent: false, which
      // aws-local-stepfunctions 3.0.0 never matches (it returns `IsPresent && value !== undefined`).
      .when(Condition.and(is('escalated'), Condition.isPresent('$.archive'), Condition.not(retryLater)), waitForReview.next(poll))
      .when(is('escalated'), archiveEscalation.next(escalationArchived))
      .when(Condition.or(is('no-result'), is('timed-out')), recordOutcome.next(recordedOrRetry))
      .otherwise(unexpected.next(recordFailure));
    waitArchive.next(route);

    this.logGroup = new LogGroup(this, 'Logs', { retention: LOG_RETENTION, encryptionKey: props.logKey });
    // A fixed name: the role's key condition (kms:EncryptionContext:aws:states:stateMachineArn) is built from it;
    // without one CDK renders an ARN with an empty name and Step Functions cannot use the key.
    const stateMachineName = `${Stack.of(this).stackName}-${id}`;
    this.stateMachineName = stateMachineName;
    this.executionsArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      comment: 'audit-archiver: poll a check until terminal, then archive its evidence or record why there is none',
      stateMachineType: StateMachineType.STANDARD,
      queryLanguage: QueryLanguage.JSON_PATH,
      definitionBody: DefinitionBody.fromChainable(poll.next(route)),
      timeout: props.timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      encryptionConfiguration: new CustomerManagedEncryptionConfiguration(props.encryptionKey),
    });
    this.grantTaskAnswers(handlers.poll);
    this.acknowledgeRoleFindings(handlers);
  }

  /**
   * StartExecution on this state machine only. With a customer-managed key the caller also encrypts the execution
   * input: GenerateDataKey and Decrypt, for this state machine's encryption context only.
   */
  grantStartExecution(grantee: IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': this.stateMachine.stateMachineArn },
        },
      }),
    );
  }

  /**
   * The poll loop answers `Poll provider` (SendTaskSuccess/Failure/Heartbeat on this state machine). With a
   * customer-managed key Step Functions encrypts the answer: GenerateDataKey, for this state machine's context only.
   */
  private grantTaskAnswers(fn: LambdaFunction): void {
    this.stateMachine.grantTaskResponse(fn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [this.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': this.stateMachine.stateMachineArn },
        },
      }),
    );
  }

  /** A Lambda task (Resource = the function ARN, payload = the whole state) with backoff retries. */
  private task(name: string, fn: IFunction, resultPath: string, functionTimeout: Duration, retries: readonly RetryProps[]): LambdaInvoke {
    const task = LambdaInvoke.jsonPath(this, name, {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      resultPath,
      retryOnServiceExceptions: false,
      taskTimeout: Timeout.duration(functionTimeout.plus(TASK_TIMEOUT_MARGIN)),
    });
    for (const retry of retries) task.addRetry(retry);
    return task;
  }

  private acknowledgeRoleFindings(handlers: WorkflowHandlers): void {
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy') ?? this.stateMachine.role;
    const stack = Stack.of(this);
    for (const fn of new Set([handlers.archive, handlers.record])) {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as never);
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the function and its versions/aliases (grantInvoke); one function only.',
      });
    }
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: "kms:GenerateDataKey* on the poll queue's key only, granted by CDK's SqsSendMessage: Poll provider sends the loop's first message.",
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* and CloudWatch Logs log-delivery actions (CreateLogDelivery, ListLogDeliveries, ...) support no resource-level permissions.',
    });
  }
}
