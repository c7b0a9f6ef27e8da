import { Key } from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { INDEXES } from '../../../lambdas/records/table-schema';
import { AuditorApi } from '../../../lib/constructs/auditor-api';
import { EvidenceStorage } from '../../../lib/constructs/evidence-storage';
import { DEFAULT_RETENTION_POLICY } from '../../../lambdas/records/retention';
import { CDK_JSON_CONTEXT, logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('AuditorApi in the stack', () => {
  let synth: Synthesized;
  let resources: Record<string, Json>;
  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(synth.stack, c);
  const api = () => synth.stack.auditorApi;
  const queryStatements = (): Json[] =>
    Object.values(synth.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: id(api().query.role) }] } })).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
  const auditorStatements = (): Json[] => resources[id(api().auditorPolicy)]!.Properties.PolicyDocument.Statement;
  const readerStatements = (): Json[] => resources[id(api().archiveReaderPolicy)]!.Properties.PolicyDocument.Statement;
  const actions = (statements: Json[]) => [...new Set(statements.flatMap((s) => [s.Action].flat() as string[]))].sort();
  const tableArn = () => ({ 'Fn::GetAtt': [id(synth.stack.storage.table), 'Arn'] });
  const indexArns = () =>
    Object.values(INDEXES).map((index) => ({ 'Fn::Join': ['', [tableArn(), `/index/${index.indexName}`]] }));

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources;
  });

  it('authorises every route with IAM (SigV4): no route is open', () => {
    const routes = synth.template.findResources('AWS::ApiGatewayV2::Route');
    expect(Object.values(routes).map((r) => r.Properties.RouteKey).sort()).toEqual(['GET /checks', 'GET /checks/{provider}/{checkId}']);
    for (const route of Object.values(routes)) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
  });

  it('access-logs the $default stage to an encrypted log group, by route template (never the path), with throttling', () => {
    const stage = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    expect(stage).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } });
    expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [id(api().accessLogs), 'Arn'] });
    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(format).toMatchObject({ caller: '$context.identity.userArn', routeKey: '$context.routeKey', status: '$context.status' });
    expect(stage.AccessLogSettings.Format).not.toMatch(/\$context\.path|rawPath|querystring/i);
    expect(resources[id(api().accessLogs)]!.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [id(synth.stack.keys.logs), 'Arn'] });
  });

  it('runs the query function with the table, the bucket and the URL expiry, on the ArchiverFunction defaults', () => {
    const fn = resources[id(api().query.function)]!.Properties;
    expect(fn).toMatchObject({ Architectures: ['arm64'], MemorySize: 512, Timeout: 29 });
    expect(fn.Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: id(synth.stack.storage.table) },
      BUCKET_NAME: { Ref: id(synth.stack.storage.bucket) },
      URL_EXPIRY_SECONDS: '300',
    });
    expect(resources[id(api().query.role)]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('gives the query function read-only access: GetItem/Query on the table and named indexes, GetObject, decrypt via the services', () => {
    expect(actions(queryStatements())).toEqual([
      'dynamodb:GetItem', 'dynamodb:Query', 'kms:Decrypt', 'kms:DescribeKey', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject',
      // The identifier key: a check named by its provider id is looked up by its keyed checkRef.
      'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue',
    ]);
    const statements = queryStatements();
    const records = statements.find((s) => s.Sid === 'RecordsRead')!;
    expect(records.Action).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(records.Resource).toHaveLength(1 + Object.keys(INDEXES).length);
    expect(records.Resource).toEqual(expect.arrayContaining([tableArn(), ...indexArns()]));
    for (const s of statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')))) {
      expect(Object.keys(s.Condition.StringEquals)).toEqual(['kms:ViaService']);
    }
  });

  it('outputs an auditor policy that invokes the two routes and nothing else: no direct read around the retention filter', () => {
    const statements = auditorStatements();
    expect(actions(statements)).toEqual(['execute-api:Invoke']);
    const invoke = statements.find((s) => s.Action === 'execute-api:Invoke')!;
    expect(JSON.stringify(invoke.Resource)).toMatch(/\/\$default\/GET\/checks"/);
    expect(JSON.stringify(invoke.Resource)).toMatch(/\/\$default\/GET\/checks\/\*"/);
    const outputs = synth.template.toJSON().Outputs;
    expect(outputs.AuditorPolicyArn.Value).toEqual({ Ref: id(api().auditorPolicy) });
  });

  it('outputs an archive-reader policy that reads the table and the objects, and writes nothing', () => {
    const statements = readerStatements();
    expect(actions(statements)).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'kms:Decrypt', 'kms:DescribeKey', 's3:GetObject', 's3:ListBucket']);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [id(synth.stack.storage.bucket), 'Arn'] } }));
    expect(statements.every((s) => s.Effect === 'Allow' && s.Resource !== '*')).toBe(true);
    expect(actions(statements).filter((a) => /Put|Update|Delete|Write|Create|\*/.test(a))).toEqual([]);
    const outputs = synth.template.toJSON().Outputs;
    expect(outputs.ArchiveReaderPolicyArn.Value).toEqual({ Ref: id(api().archiveReaderPolicy) });
    expect(JSON.stringify(outputs.AuditorApiUrl.Value)).toContain(id(api().api));
  });
});

describe('AuditorApi alone', () => {
  it('takes the URL expiry and the throttle from its props', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
    const storage = new EvidenceStorage(stack, 'Storage', { retention: DEFAULT_RETENTION_POLICY });
    new AuditorApi(stack, 'Auditors', { storage, logKey: new Key(stack, 'Logs'), urlExpirySeconds: 60, throttle: { rateLimit: 2, burstLimit: 4 } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { URL_EXPIRY_SECONDS: '60' } } });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 4 } });
  });
});
