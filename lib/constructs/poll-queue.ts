import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DLQ_RETENTION, SIZING } from '../defaults';

export interface PollQueueProps {
  /** Consumes the queue (each message one poll), sends the next message and answers the workflow's task token. */
  readonly pollFunction: LambdaFunction;
  /** Encrypts both queues: messages carry check ids, liveness tokens among them. */
  readonly encryptionKey: IKey;
  /** Poll batches at once (cdk.json `pollMaxConcurrency`). @default DEFAULT_POLL_MAX_CONCURRENCY */
  readonly maxConcurrency?: number;
}

/** Receives before a message is dead-lettered: a poll that fails three times in a row is not a passing glitch. */
export const POLL_MAX_RECEIVES = 3;

/** The most batches an SQS event source mapping runs at once in standard mode (ScalingConfig.MaximumConcurrency). */
export const SQS_MAPPING_MAX_CONCURRENCY = 1_000;

/**
 * Poll batches a poll queue's mapping runs at once unless cdk.json says otherwise: the most a standard-mode mapping
 * takes, which carries 1,000 checks/s of the benchmark's mix with room to spare (the scale model in `npm run bench`
 * reads the synthesized mappings and says how much). Beyond it messages wait in the queue: polls come late, none is
 * lost. The account's Lambda concurrency (1,000 by default, shared) binds first: the model lists that request.
 */
export const DEFAULT_POLL_MAX_CONCURRENCY = SQS_MAPPING_MAX_CONCURRENCY;

/**
 * The poll loop's queue: a message is one check waiting for its next poll, its delay (≤ 900 s) the wait. A message
 * the poll function could not handle comes back after the visibility timeout, and after POLL_MAX_RECEIVES goes to the
 * dead-letter queue; the workflow notices the silence (HeartbeatSeconds) and starts the loop again, so a check is
 * never lost with its message.
 */
export class PollQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: PollQueueProps) {
    super(scope, id);
    const encryption = { encryption: QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey, enforceSSL: true } as const;
    this.deadLetterQueue = new Queue(this, 'DeadLetters', { ...encryption, retentionPeriod: DLQ_RETENTION });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the poll queue; it needs none itself.',
    });
    this.queue = new Queue(this, 'Queue', {
      ...encryption,
      // Six times the function timeout, as AWS advises for an SQS event source (room for throttled retries).
      visibilityTimeout: Duration.seconds(6 * SIZING.poll.timeout.toSeconds()),
      // A message older than a day belongs to a loop the workflow has long since restarted.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: POLL_MAX_RECEIVES },
    });

    const fn = props.pollFunction;
    // Batches run side by side in the function; each message that failed alone comes back (partial batch response).
    fn.addEventSourceMapping('PollQueue', {
      eventSourceArn: this.queue.queueArn,
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency ?? DEFAULT_POLL_MAX_CONCURRENCY,
    });
    fn.addEnvironment('POLL_QUEUE_URL', this.queue.queueUrl);
    // Granted by hand rather than by grantConsumeMessages/grantSendMessages: the key also encrypts state and secrets, so
    // its use is limited to SQS acting for the function (kms:ViaService), as the other functions' grants are.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
