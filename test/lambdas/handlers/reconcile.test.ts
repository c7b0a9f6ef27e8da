/**
 * The scheduled reconcile handler as deployed: configuration from its environment, two days looked back, recovered
 * and unrecoverable checks reported. The reconcile core itself runs end to end in test/lambdas/operations.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, RedriveExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { TEST_KEY } from '../../support/identifier-key';

const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow';
const checkRef = checkRefOf(TEST_KEY, 'kyc', 'c1d2e3f4-0b4d-11ef-8a61-0242ac120002');
const executionArn = `arn:aws:states:us-east-1:111122223333:execution:AuditArchiver-Workflow:kyc-${checkRef}`;

const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);

beforeAll(() => {
  vi.stubEnv('STATE_MACHINE_ARN', STATE_MACHINE);
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
  it('redrives a check whose workflow failed without a record, looking back two days', async () => {
    const started = new Date(Date.now() - 3_600_000);
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn, name: `kyc-${checkRef}`, status: 'FAILED', startDate: started, stateMachineArn: STATE_MACHINE }] });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn,
      status: 'FAILED',
      redriveStatus: 'REDRIVABLE',
      startDate: started,
      stateMachineArn: STATE_MACHINE,
      input: JSON.stringify({ check: { provider: 'kyc', checkId: 'c1d2e3f4-0b4d-11ef-8a61-0242ac120002', checkRef, createdAt: started.toISOString() } }),
    });
    sfn.on(RedriveExecutionCommand).resolves({ redriveDate: new Date() });
    dynamo.on(GetCommand).resolves({});

    const { handler } = await import('../../../lambdas/handlers/reconcile');
    const report = await handler();
    expect(report).toMatchObject({ checks: 1, unrecorded: 1, redriven: 1, failed: 0, dryRun: false });
    expect(Date.now() - Date.parse(report.since)).toBeGreaterThanOrEqual(2 * 86_400_000);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]!.args[0].input.stateMachineArn).toBe(STATE_MACHINE);
    expect(sfn.commandCalls(RedriveExecutionCommand)[0]!.args[0].input.executionArn).toBe(executionArn);
    expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input.TableName).toBe('records');
  });
});
