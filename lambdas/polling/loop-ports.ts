/** The poll loop's ports on the AWS SDK: the next message on SQS, the answers to the workflow on Step Functions. */
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TaskClosedError, type LoopPorts } from './poll-queue';

/** What Step Functions answers for a token it no longer waits on (task timed out, execution ended, already answered). */
const CLOSED_TASK_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export interface SdkLoopPortsOptions {
  sqs: Pick<SQSClient, 'send'>;
  sfn: Pick<SFNClient, 'send'>;
  queueUrl: string;
}

export function sdkLoopPorts({ sqs, sfn, queueUrl }: SdkLoopPortsOptions): LoopPorts {
  const answer = async (send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && CLOSED_TASK_ERRORS.has(name)) throw new TaskClosedError(`task token refused: ${name}`);
      throw error;
    }
  };
  return {
    async send(message, delaySeconds) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds }));
    },
    succeed: (taskToken, output) => answer(() => sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }))),
    fail: (taskToken, error, cause) =>
      answer(() => sfn.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) }))),
    heartbeat: (taskToken) => answer(() => sfn.send(new SendTaskHeartbeatCommand({ taskToken }))),
  };
}
