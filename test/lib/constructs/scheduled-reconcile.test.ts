import { beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../../lambdas/checks/check-status';
import { joinedJson, logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('ScheduledReconcile', () => {
  let synth: Synthesized;
  let resources: Record<string, Json>;
  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(synth.stack, c);

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources;
  });

  it('runs the reconcile function every 5 minutes (each run reads only the open checks that are due)', () => {
    const rule = resources[id(synth.stack.reconcile.rule)]!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [id(synth.stack.reconcile.function.function), 'Arn'] });
    const env = resources[id(synth.stack.reconcile.function.function)]!.Properties.Environment.Variables;
    expect(env).toMatchObject({ TABLE_NAME: { Ref: id(synth.stack.storage.table) } });
    // Each provider's workflow: a check is recovered on its own provider's state machine.
    expect(joinedJson(env.STATE_MACHINE_ARNS)).toEqual(Object.fromEntries(PROVIDERS.map((p) => [p, `<${id(synth.stack.workflows[p].stateMachine)}>`])));
  });

  it('may describe, redrive and start the workflows’ executions, query the open-checks index and claim items — nothing else', () => {
    const statements: Json[] = Object.values(
      synth.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: id(synth.stack.reconcile.function.role) }] } }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]).filter((a) => !a.startsWith('logs:'));
    // No ListExecutions any more: reconcile reads records, O(open checks), not two days of executions.
    expect(actions).not.toContain('states:ListExecutions');
    expect(actions.filter((a) => !a.startsWith('kms:')).sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'states:DescribeExecution', 'states:RedriveExecution', 'states:StartExecution'].sort(),
    );
    const byAction = (action: string) => statements.find((s) => [s.Action].flat().includes(action))!;
    const started = statements.filter((s) => [s.Action].flat().includes('states:StartExecution')).flatMap((s) => [s.Resource].flat());
    expect(new Set(started)).toEqual(new Set(PROVIDERS.map((p) => ({ Ref: id(synth.stack.workflows[p].stateMachine) }))));
    const redriven = JSON.stringify(byAction('states:RedriveExecution').Resource);
    for (const provider of PROVIDERS) expect(redriven).toContain(`:execution:AuditArchiver-Workflow-${provider}:*`);
    expect(redriven).not.toContain(':execution:AuditArchiver-Workflow:*');
    expect(byAction('dynamodb:UpdateItem').Resource).toEqual({ 'Fn::GetAtt': [id(synth.stack.storage.table), 'Arn'] });
    expect(JSON.stringify(byAction('dynamodb:Query').Resource)).toMatch(/\/index\/[\w-]+"/);
    // The records key only through DynamoDB.
    const onRecordsKey = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')) && s.Condition?.StringEquals?.['kms:ViaService']);
    expect(onRecordsKey.length).toBeGreaterThan(0);
  });
});
