/**
 * The scheduled reconcile handler as deployed: configuration from its environment, the open checks that are due,
 * recovered and unrecoverable checks reported, the Lambda's remaining time respected. The reconcile core itself runs
 * end to end in test/lambdas/operations.
 */
import { DescribeExecutionCommand, RedriveExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { startedItemOf } from '../../../lambdas/records/open-checks';
import { TEST_KEY } from '../../support/identifier-key';

const machine = (provider: string) => `arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow-${provider}`;
const STATE_MACHINE = machine('kyc');
const checkRef = checkRefOf(TEST_KEY, 'kyc', 'c1d2e3f4-0b4d-11ef-8a61-0242ac120002');
// A kyc check: described and redriven on the kyc workflow's state machine.
const executionArn = `arn:aws:states:us-east-1:111122223333:execution:AuditArchiver-Workflow-kyc:kyc-${checkRef}`;

const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);

beforeAll(() => {
  vi.stubEnv('STATE_MACHINE_ARNS', JSON.stringify({ liveness: machine('liveness'), kyc: machine('kyc'), verification: machine('verification') }));
  vi.stubEnv('TABLE_NAME', 'records');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});
afterAll(() => {
  vi.unstubAllEnvs();
  sfn.restore();
  dynamo.restore();
});

describe('scheduled reconcile handler', () => {
  it('redrives a due open check whose workflow failed without a record', async () => {
    const started = new Date(Date.now() - 3_600_000);
    const item = startedItemOf({ provider: 'kyc', checkRef, createdAt: started.toISOString(), executionName: `kyc-${checkRef}`, startId: 's', now: started });
    dynamo.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
      Items: input.ExpressionAttributeValues[':shard'] === item.openShard ? [item] : [],
    }));
    dynamo.on(GetCommand).resolves({ Item: item });
    dynamo.on(UpdateCommand).resolves({});
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn,
      status: 'FAILED',
      redriveStatus: 'REDRIVABLE',
      startDate: started,
      stateMachineArn: STATE_MACHINE,
      input: JSON.stringify({ check: { provider: 'kyc', checkId: 'c1d2e3f4-0b4d-11ef-8a61-0242ac120002', checkRef, createdAt: started.toISOString() } }),
    });
    sfn.on(RedriveExecutionCommand).resolves({ redriveDate: new Date() });

    const { handler } = await import('../../../lambdas/handlers/reconcile');
    const report = await handler({}, { getRemainingTimeInMillis: () => 290_000 });
    expect(report).toMatchObject({ due: 1, redriven: 1, failed: 0, dryRun: false, stoppedForTime: false });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]!.args[0].input.executionArn).toBe(executionArn);
    expect(sfn.commandCalls(RedriveExecutionCommand)[0]!.args[0].input.executionArn).toBe(executionArn);
    expect(dynamo.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({ TableName: 'records', IndexName: 'byOpenDeadline' });

    // Out of time: it stops before touching anything.
    const late = await handler({}, { getRemainingTimeInMillis: () => 5_000 });
    expect(late).toMatchObject({ due: 0, stoppedForTime: true });
  });
});
