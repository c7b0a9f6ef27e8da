import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('DeadLetterRedrive', () => {
  let synth: Synthesized;
  let resources: Record<string, Json>;
  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(synth.stack, c);

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources;
  });

  it('runs every 15 minutes with the dead-letter queue, the start queue and the dead-letter key', () => {
    const { rule, function: fn } = synth.stack.deadLetterRedrive;
    const trigger = synth.stack.trigger;
    expect(resources[id(rule)]!.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(resources[id(rule)]!.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [id(fn.function), 'Arn'] });
    expect(resources[id(fn.function)]!.Properties.Environment.Variables).toMatchObject({
      DEAD_LETTER_QUEUE_URL: { Ref: id(trigger.deadLetterQueue) },
      START_QUEUE_URL: { Ref: id(trigger.startQueue) },
      DEAD_LETTER_KEY_ARN: { 'Fn::GetAtt': [id(trigger.deadLetterKey), 'Arn'] },
    });
  });

  it('may consume and write dead letters, send to the start queue and open replay blobs — no table, no workflow, nothing secret but the identifier key', () => {
    const { function: fn } = synth.stack.deadLetterRedrive;
    const trigger = synth.stack.trigger;
    const statements: Json[] = Object.values(
      synth.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: id(fn.role) }] } }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    // Besides queues and keys, only the identifier key's secret: raw letters are named by their keyed checkRef.
    expect(actions.filter((a) => !/^(logs:|sqs:|kms:)/.test(a))).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:'))).map((s) => s.Resource)).toEqual([
      { Ref: id(synth.stack.identifiers.secret) },
    ]);
    const sqsResources = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('sqs:'))).map((s) => s.Resource);
    expect(sqsResources.every((r) => [id(trigger.deadLetterQueue), id(trigger.startQueue)].includes(r['Fn::GetAtt'][0]))).toBe(true);
    // Opening a blob (kms:Decrypt on the dead-letter key) is this role's privilege, and only on that key.
    const opens = statements.filter((s) => JSON.stringify(s.Resource).includes(id(trigger.deadLetterKey)));
    expect(opens).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [id(trigger.deadLetterKey), 'Arn'] } });
  });

  it('outputs the dead-letter key the runbook replays with', () => {
    synth.template.hasOutput('DeadLetterKeyArn', { Value: { 'Fn::GetAtt': [id(synth.stack.trigger.deadLetterKey), 'Arn'] } });
  });
});
