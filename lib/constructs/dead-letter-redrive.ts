import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { SIZING } from '../defaults';
import { ArchiverFunction } from './archiver-function';
import type { CheckTrigger } from './check-trigger';

export interface DeadLetterRedriveProps {
  readonly trigger: CheckTrigger;
  /** Encrypts the function's log group. */
  readonly logKey: IKey;
  /** How often it runs. @default Duration.minutes(15) */
  readonly every?: Duration;
}

/**
 * Dead letters come back (lambdas/handlers/dead-letters.ts): every 15 minutes raw dead letters are sealed and the
 * replayable ones go back to the start queue with their original event. Its role reads and writes the dead-letter
 * queue, sends to the start queue, and is the one that may open replay blobs (kms:Decrypt on the dead-letter key).
 */
export class DeadLetterRedrive extends Construct {
  public readonly function: ArchiverFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: DeadLetterRedriveProps) {
    super(scope, id);
    const { trigger } = props;
    this.function = new ArchiverFunction(this, 'Redrive', {
      entry: 'lambdas/handlers/dead-letters.ts',
      description: 'audit-archiver: seals raw dead letters and replays the ones that can help into the start queue',
      sizing: SIZING.deadLetters,
      logKey: props.logKey,
      environment: {
        DEAD_LETTER_QUEUE_URL: trigger.deadLetterQueue.queueUrl,
        START_QUEUE_URL: trigger.startQueue.queueUrl,
        DEAD_LETTER_KEY_ARN: trigger.deadLetterKey.keyArn,
      },
    });
    const role = this.function.role;
    trigger.deadLetterQueue.grantConsumeMessages(role);
    trigger.deadLetterQueue.grantSendMessages(role);
    trigger.startQueue.grantSendMessages(role);
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [trigger.deadLetterKey.keyArn] }));
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${action} on the queues' key only, as CDK's Queue.grantSendMessages writes it (dead-letter and start queue).`,
      });
    }
    this.rule = new Rule(this, 'Schedule', {
      description: 'audit-archiver: replay dead-lettered Check Created events',
      schedule: Schedule.rate(props.every ?? Duration.minutes(15)),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });
  }
}
