import { beforeAll, describe, expect, it } from 'vitest';
import { AwsSolutionsChecks } from 'cdk-nag';
import { webhooksSchema } from '../../../lambdas/webhooks/settings';
import { InvalidConfigError, loadConfig } from '../../../lib/config';
import type { ProviderName } from '../../../lambdas/checks/check-status';
import { CDK_JSON_CONTEXT, joinedJson, logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('WebhookReceiver', () => {
  let synth: Synthesized;
  let resources: Record<string, Json>;
  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(synth.stack, c);
  const statementsOfRole = (roleId: string): Json[] =>
    Object.values(synth.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap((p) => p.Properties.PolicyDocument.Statement);

  beforeAll(() => {
    synth = synthesize({ webhooks: { verification: { enabled: true }, kyc: { enabled: true, scheme: 'x-signature', checkIdPath: '$.sessionId' }, liveness: { enabled: false } } });
    resources = synth.template.toJSON().Resources;
  });

  it('is off by default: no receiver, no URL, the poll loop only polls', () => {
    const plain = synthesize();
    expect(plain.stack.webhooks).toBeUndefined();
    expect(Object.keys(plain.template.findResources('AWS::Lambda::Url'))).toHaveLength(0);
    expect(Object.keys(plain.template.toJSON().Outputs).filter((name) => /Webhook/.test(name))).toEqual([]);
    for (const poll of plain.stack.functions.all('poll')) {
      const pollEnv = plain.template.toJSON().Resources[logicalIdOf(plain.stack, poll.function)].Properties.Environment.Variables;
      expect(pollEnv).not.toHaveProperty('WEBHOOK_PROVIDERS');
    }
  });

  it('puts the receiver behind a Function URL without IAM auth (the signature authenticates) and outputs its URL', () => {
    const urls = Object.values(synth.template.findResources('AWS::Lambda::Url'));
    expect(urls).toHaveLength(1);
    expect(urls[0]!.Properties).toMatchObject({ AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [id(synth.stack.webhooks!.function.function), 'Arn'] } });
    // The public may invoke it only through the URL: no InvokeFunction for '*' that skips the Function URL.
    const publicPermissions = Object.values(synth.template.findResources('AWS::Lambda::Permission')).filter((p) => p.Properties.Principal === '*');
    expect(publicPermissions.map((p) => p.Properties).sort((a, b) => a.Action.localeCompare(b.Action))).toEqual([
      expect.objectContaining({ Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true }),
      expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'NONE' }),
    ]);
    const outputs = synth.template.toJSON().Outputs as Json;
    expect(outputs).toHaveProperty('WebhookUrl');
    const url = Object.entries(outputs).find(([name]) => name === 'WebhookUrl');
    expect(url?.[1].Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/ReceiverFunctionFunctionUrl/), 'FunctionUrl'] });
    expect(Object.keys(outputs).filter((name) => /WebhookSecretName/.test(name)).sort()).toEqual([expect.stringMatching(/kyc/), expect.stringMatching(/verification/)]);
  });

  it('hands the receiver the enabled providers\' settings (as the receiver parses them), secret ARNs, the table and their poll queues', () => {
    const env = resources[id(synth.stack.webhooks!.function.function)]!.Properties.Environment.Variables as Json;
    const settings = webhooksSchema.parse(JSON.parse(env.WEBHOOKS));
    expect(Object.keys(settings).sort()).toEqual(['kyc', 'verification']);
    expect(settings.kyc).toMatchObject({ enabled: true, scheme: 'x-signature', checkIdPath: '$.sessionId' });
    expect(settings.verification).toMatchObject({ scheme: 'standard-webhooks', checkIdPath: '$.data.id', toleranceSeconds: 300 });
    expect(env).toHaveProperty('WEBHOOK_SECRET_ARNS');
    expect(env.WAKE_TABLE_NAME).toEqual({ Ref: id(synth.stack.webhooks!.table) });
    // Each enabled provider's poll queue (its own workflow's); liveness, off, is not reachable.
    expect(joinedJson(env.POLL_QUEUE_URLS)).toEqual({
      verification: `<${id(synth.stack.workflows.verification.pollQueue.queue)}>`,
      kyc: `<${id(synth.stack.workflows.kyc.pollQueue.queue)}>`,
    });
    // The poll loops of the enabled providers register their waits; liveness's only polls.
    const pollEnv = (provider: ProviderName) => resources[id(synth.stack.functions.providers[provider].poll.function)]!.Properties.Environment.Variables as Json;
    expect(pollEnv('verification')).toMatchObject({ WEBHOOK_PROVIDERS: 'verification', WAKE_TABLE_NAME: { Ref: id(synth.stack.webhooks!.table) } });
    expect(pollEnv('kyc')).toMatchObject({ WEBHOOK_PROVIDERS: 'kyc', WAKE_TABLE_NAME: { Ref: id(synth.stack.webhooks!.table) } });
    expect(pollEnv('liveness')).not.toHaveProperty('WEBHOOK_PROVIDERS');
  });

  it('keeps the wake-up table encrypted with the workflow key, with TTL and point-in-time recovery', () => {
    expect(resources[id(synth.stack.webhooks!.table)]!.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [id(synth.stack.keys.operations), 'Arn'] } } })],
    });
  });

  it('grants the receiver only item writes on the table, SendMessage on the enabled providers\' poll queues and its secrets; the poll loops only UpdateItem', () => {
    const receiver = statementsOfRole(id(synth.stack.webhooks!.function.role));
    const actions = receiver.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'sqs:SendMessage', 'secretsmanager:GetSecretValue']));
    expect(actions.filter((a) => /^dynamodb:/.test(a)).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(actions).not.toEqual(expect.arrayContaining([expect.stringMatching(/^(states|s3):/)]));
    const sqs = receiver.find((s) => [s.Action].flat().includes('sqs:SendMessage'))!;
    expect(new Set(sqs.Resource)).toEqual(
      new Set([
        { 'Fn::GetAtt': [id(synth.stack.workflows.verification.pollQueue.queue), 'Arn'] },
        { 'Fn::GetAtt': [id(synth.stack.workflows.kyc.pollQueue.queue), 'Arn'] },
      ]),
    );
    for (const provider of ['verification', 'kyc', 'liveness'] as const) {
      const poll = statementsOfRole(id(synth.stack.functions.providers[provider].poll.role));
      const table = poll.filter((s) => JSON.stringify(s.Resource).includes(id(synth.stack.webhooks!.table)));
      expect(table.flatMap((s) => [s.Action].flat()), provider).toEqual(provider === 'liveness' ? [] : ['dynamodb:UpdateItem']);
    }
  });

  it('passes cdk-nag with only the signing secrets\' rotation acknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(synth.app);
    expect(report.violations).toEqual([]);
  });

  it('refuses unknown settings and bad paths at synth', () => {
    const read = (webhooks: unknown) => () => loadConfig((key) => ({ ...CDK_JSON_CONTEXT, webhooks })[key]);
    expect(read({ verification: { enabled: true, checkIdPath: 'data..id' } })).toThrow(InvalidConfigError);
    expect(read({ verification: { enabled: true, scheme: 'md5' } })).toThrow(/webhooks\.verification\.scheme/);
    expect(read({ acme: { enabled: true } })).toThrow(InvalidConfigError);
    expect(read({ verification: { enabled: true, secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:hooks-AbCdEf' } })()).toMatchObject({
      webhooks: { verification: { enabled: true, secretArn: expect.stringContaining('hooks') } },
    });
  });
});
