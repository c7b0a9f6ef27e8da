import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { DEFAULT_POLLING_POLICY, pollingPolicySchema } from '../../../lambdas/polling/polling-policy';
import { DEFAULT_RETENTION_POLICY, parseRetentionPolicy } from '../../../lambdas/records/retention';
import { DEFAULT_INDEX_SHARDS } from '../../../lambdas/records/table-schema';
import type { ArchiverFunction } from '../../../lib/constructs/archiver-function';
import { logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('WorkflowFunctions and the functions of the stack', () => {
  let synth: Synthesized;
  let resources: Record<string, Json>;
  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(synth.stack, c);
  const envOf = (fn: ArchiverFunction) => resources[id(fn.function)]!.Properties.Environment.Variables as Json;
  const statementsOf = (fn: ArchiverFunction): Json[] =>
    Object.values(synth.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: id(fn.role) }] } })).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
  const actionsOf = (fn: ArchiverFunction) => statementsOf(fn).flatMap((s) => [s.Action].flat() as string[]);
  const polls = () => synth.stack.functions.all('poll');
  const archives = () => synth.stack.functions.all('archive');
  const all = () => [synth.stack.trigger.startFunction, ...polls(), ...archives(), synth.stack.functions.record];

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources;
  });

  it('runs every function on arm64 and the newest Node.js runtime the CDK offers', () => {
    const newest = Object.values(Runtime)
      .filter((r): r is Runtime => r instanceof Runtime && /^nodejs\d+\.x$/.test(r.name))
      .map((r) => Number(r.name.match(/\d+/)![0]))
      .sort((a, b) => b - a)[0];
    const functions = synth.template.findResources('AWS::Lambda::Function');
    // start, a poll and an archive function per provider (3 + 3), record, the scheduled reconcile, the dead-letter
    // redrive, the auditor API's query function and retention.
    expect(Object.keys(functions)).toHaveLength(12);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], Runtime: `nodejs${newest}.x`, Handler: 'index.handler' });
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: expect.stringMatching(/Logs/) });
    }
  });

  it('sizes each function for its work', () => {
    const sized = (fn: ArchiverFunction) => ({
      memory: resources[id(fn.function)]!.Properties.MemorySize,
      timeout: resources[id(fn.function)]!.Properties.Timeout,
    });
    expect(sized(synth.stack.trigger.startFunction)).toEqual({ memory: 256, timeout: 15 });
    for (const poll of polls()) expect(sized(poll)).toEqual({ memory: 256, timeout: 60 });
    for (const archive of archives()) expect(sized(archive)).toEqual({ memory: 1024, timeout: 300 });
    expect(sized(synth.stack.functions.record)).toEqual({ memory: 256, timeout: 30 });
  });

  it("passes each poll function its provider, that provider's URL and secret ARN only, and the polling policy (as the poller parses it)", () => {
    const env = envOf(synth.stack.functions.providers.liveness.poll);
    expect(Object.keys(env).sort()).toEqual(
      [
        'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_LOG_LEVEL', 'NODE_OPTIONS',
        'PROVIDER', 'LIVENESS_API_URL', 'PROVIDER_SECRET_ARNS', 'POLLING_POLICY', 'POLL_QUEUE_URL',
        'IDENTIFIER_KEY_SECRET_ARN',
      ].sort(),
    );
    expect(env.PROVIDER).toBe('liveness');
    expect(env.LIVENESS_API_URL).toBe('https://liveness.example.com');
    expect(envOf(synth.stack.functions.providers.verification.poll)).toMatchObject({ PROVIDER: 'verification', VERIFICATION_API_URL: expect.any(String) });
    expect(envOf(synth.stack.functions.providers.verification.poll)).not.toHaveProperty('LIVENESS_API_URL');
    // Each poll function feeds on its own workflow's poll queue.
    const queues = polls().map((fn) => JSON.stringify(envOf(fn).POLL_QUEUE_URL));
    expect(new Set(queues).size).toBe(3);
    expect(pollingPolicySchema.parse(JSON.parse(env.POLLING_POLICY))).toEqual(DEFAULT_POLLING_POLICY);
    expect(env.PROVIDER_SECRET_ARNS).toEqual({
      'Fn::Join': ['', expect.arrayContaining([{ Ref: expect.stringMatching(/^ProviderSecretsliveness/) }])],
    });
  });

  it('passes the archive function storage names, lock mode, retention policy and download settings', () => {
    const { stack } = synth;
    const env = envOf(stack.functions.providers.kyc.archive);
    expect(env).toMatchObject({
      PROVIDER: 'kyc',
      BUCKET_NAME: { Ref: id(stack.storage.bucket) },
      TABLE_NAME: { Ref: id(stack.storage.table) },
      KMS_KEY_ARN: { 'Fn::GetAtt': [id(stack.storage.bucketKey), 'Arn'] },
      OBJECT_LOCK_MODE: 'GOVERNANCE',
      DOWNLOAD_EXTRA_HOSTS: '',
      KYC_IMAGE_LINKS: '',
      ARCHIVE_LIMITS: '{}',
      INDEX_SHARDS: String(DEFAULT_INDEX_SHARDS),
      KYC_API_URL: 'https://kyc.example.com',
    });
    expect(parseRetentionPolicy(env.RETENTION_POLICY)).toEqual(DEFAULT_RETENTION_POLICY);
    expect(envOf(stack.functions.record)).toMatchObject({ TABLE_NAME: { Ref: id(stack.storage.table) }, RETENTION_POLICY: env.RETENTION_POLICY, INDEX_SHARDS: env.INDEX_SHARDS });
    const custom = synthesize({ downloadExtraHosts: ['cdn.kyc.example.net'], kycImageLinks: ['faceSelfie', 'faceDoc'], archiveLimits: { maxImagesPerCheck: 50 }, indexShards: 8 });
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { DOWNLOAD_EXTRA_HOSTS: 'cdn.kyc.example.net', KYC_IMAGE_LINKS: 'faceSelfie,faceDoc', ARCHIVE_LIMITS: '{"maxImagesPerCheck":50}', INDEX_SHARDS: '8' },
      },
    });
    // Every function that writes records or reads the indexes gets the one count; the others none.
    const withShards = Object.values(custom.template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.INDEX_SHARDS);
    // The three archive functions (one per provider), record and the auditor API's query function.
    expect(withShards.map((f) => f.Properties.Environment.Variables.INDEX_SHARDS)).toEqual(['8', '8', '8', '8', '8']);
    const queryFn = custom.template.toJSON().Resources[logicalIdOf(custom.stack, custom.stack.auditorApi.query.function)];
    expect(queryFn.Properties.Environment.Variables.INDEX_SHARDS).toBe('8');
    expect(custom.template.toJSON().Outputs.IndexShards.Value).toBe('8');
  });

  it('puts no secret values in any environment: secrets are referenced by ARN', () => {
    const secretArn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kyc-api-key-AbCdEf';
    const { template } = synthesize({ providers: { kyc: { baseUrl: 'https://kyc.example.com', secretArn } } });
    const envs = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment.Variables);
    for (const env of envs) {
      for (const [name, value] of Object.entries(env)) {
        expect(name).not.toMatch(/KEY$|TOKEN|PASSWORD|JWT/);
        expect(JSON.stringify(value)).not.toMatch(/SecretString|GenerateSecretString|resolve:secretsmanager/);
      }
    }
    expect(JSON.stringify(envs)).toContain(secretArn);
  });

  it("keeps the poll functions away from S3 and DynamoDB: each reads its provider's secret and runs its poll loop", () => {
    const actions = actionsOf(synth.stack.functions.providers.liveness.poll);
    expect(actions.filter((a) => /^(s3|dynamodb):/.test(a))).toEqual([]);
    expect(new Set(actions)).toEqual(
      new Set([
        'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue',
        // The poll queue (lib/constructs/poll-queue.ts) and the answers to the workflow's task token.
        'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:SendMessage',
        'kms:Decrypt', 'kms:GenerateDataKey', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat',
      ]),
    );
    // The identifier key is decrypted through Secrets Manager only.
    expect(statementsOf(synth.stack.functions.providers.liveness.poll)).toContainEqual(
      expect.objectContaining({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } } }),
    );
  });

  it('lets the archive function create, tag, retain and head evidence, and write its record — never delete', () => {
    const { stack } = synth;
    const statements = statementsOf(stack.functions.providers.verification.archive);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectRetention', 's3:PutObjectTagging'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(stack.storage.bucket), 'Arn'] }, '/*']] },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      // UpdateItem: the check's write lease (taken and given back), never a record field.
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Resource: { 'Fn::GetAtt': [id(stack.storage.table), 'Arn'] },
    });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      }),
    );
  });

  it('lets the record function write records, read the evidence, and write nothing in S3 but manifests', () => {
    const actions = actionsOf(synth.stack.functions.record);
    expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('kms:')).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:GetItem', // the retention ledger: a subject's clock
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      's3:PutObjectLegalHold',
      's3:PutObjectRetention',
      's3:PutObjectTagging',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const writes = statementsOf(synth.stack.functions.record).filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0]!.Resource)).toMatch(/\/\*\/manifest\.json"/);
  });

  it('grants no function a delete, a scan, a lock bypass or a wildcard beyond the acknowledged key actions', () => {
    for (const fn of all()) {
      // Queue consumers delete what they handled (sqs:DeleteMessage: the poll function its queue, the start function
      // its queue), and the start function takes back a `started` item it wrote itself for a check whose record
      // expired (a DeleteItem conditional on its own startId) — no data is deleted.
      const allowed =
        fn === synth.stack.trigger.startFunction ? ['sqs:DeleteMessage', 'dynamodb:DeleteItem'] : polls().includes(fn) ? ['sqs:DeleteMessage'] : [];
      const actions = actionsOf(fn).filter((a) => !allowed.includes(a));
      expect(actions.filter((a) => /Delete|Scan|Bypass|^s3:\*|^dynamodb:\*|^kms:\*$/.test(a)), fn.node.path).toEqual([]);
      expect(actions.filter((a) => a.includes('*') && !['kms:GenerateDataKey*', 'kms:ReEncrypt*'].includes(a)), fn.node.path).toEqual([]);
      // The DLQ destination's key actions come from Queue.grantSendMessages: only the start function has them.
      if (fn !== synth.stack.trigger.startFunction) expect(actions.filter((a) => a.includes('*'))).toEqual([]);
      for (const s of statementsOf(fn)) expect(s.Resource, fn.node.path).not.toBe('*');
    }
  });

  it('writes each function log only to its own log group (no AWSLambdaBasicExecutionRole)', () => {
    for (const fn of all()) {
      expect(resources[id(fn.role)]!.Properties.ManagedPolicyArns).toBeUndefined();
      expect(statementsOf(fn)).toContainEqual({
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [id(fn.logGroup), 'Arn'] },
      });
    }
  });
});
