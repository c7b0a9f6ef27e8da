import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DEFAULT_URL_EXPIRY_SECONDS } from '../../lambdas/audit/presign';
import { DEFAULT_INDEX_SHARDS, INDEXES } from '../../lambdas/records/table-schema';
import { LOG_RETENTION, type FunctionSizing } from '../defaults';
import { ArchiverFunction } from './archiver-function';
import type { EvidenceStorage } from './evidence-storage';

export interface AuditorApiProps {
  readonly storage: EvidenceStorage;
  /** Write shards of the sharded indexes, as the record writers use them (cdk.json indexShards). @default DEFAULT_INDEX_SHARDS */
  readonly indexShards?: number;
  /** Encrypts the query function's and the access log groups. */
  readonly logKey: IKey;
  /** Lifetime of the presigned image URLs the API hands out. @default 300 */
  readonly urlExpirySeconds?: number;
  /** Requests per second (steady, burst) across all auditors. @default 10, 20 */
  readonly throttle?: { rateLimit: number; burstLimit: number };
}

/** The query function answers within API Gateway's 30 s integration limit; memory for JSON and signing only. */
export const QUERY_SIZING: FunctionSizing = { memorySize: 512, timeout: Duration.seconds(29) };

/**
 * The auditors' way in: an HTTP API with IAM authorisation (SigV4; no route is open) in front of the query function,
 * access-logged to its own encrypted log group, and two managed policies, neither of which writes:
 * - auditorPolicy: the API's two routes and nothing else. The API hides records past their retention and presigns
 *   images with the query function's credentials, so an auditor reads exactly what retention allows.
 * - archiveReaderPolicy: direct reads of the records table and every evidence object (the CLI, the console, verify of
 *   the whole archive). It reads around the retention filter (a record between its retainUntil and the TTL sweep, an
 *   object between its expiry and the lifecycle run): give it to the people who must see the whole archive.
 *
 *   GET /checks                        query the auditor indexes (lambdas/handlers/query-api.ts)
 *   GET /checks/{provider}/{checkId}   one check, with presigned image URLs
 */
export class AuditorApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly query: ArchiverFunction;
  public readonly accessLogs: LogGroup;
  /** Attach to auditors: the query API only (what retention allows). */
  public readonly auditorPolicy: ManagedPolicy;
  /** Attach to those who verify or export from the archive directly (CLI, console): the table and every object. */
  public readonly archiveReaderPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: AuditorApiProps) {
    super(scope, id);
    const { storage } = props;

    this.query = new ArchiverFunction(this, 'Query', {
      entry: 'lambdas/handlers/query-api.ts',
      description: 'audit-archiver: answers auditor queries (read-only) and logs every access',
      sizing: QUERY_SIZING,
      logKey: props.logKey,
      environment: {
        TABLE_NAME: storage.table.tableName,
        BUCKET_NAME: storage.bucket.bucketName,
        URL_EXPIRY_SECONDS: String(props.urlExpirySeconds ?? DEFAULT_URL_EXPIRY_SECONDS),
        INDEX_SHARDS: String(props.indexShards ?? DEFAULT_INDEX_SHARDS),
      },
    });
    // Presigned URLs carry the function's own credentials: it must be able to read what it signs.
    grantArchiveRead(this.query.role, storage, { list: false });
    acknowledgeObjectWildcard(this.query.role, storage, 'The query function reads result.json/manifest.json and presigns image GETs of any check (keys are per check); GetObject only.');

    this.api = new HttpApi(this, 'Api', {
      description: 'audit-archiver auditor API (IAM authorisation)',
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: LOG_RETENTION, encryptionKey: props.logKey });
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 10, burstLimit: 20 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // The route template, never the path: a liveness check id in the path is a bearer token.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            caller: '$context.identity.userArn',
            accountId: '$context.identity.accountId',
            sourceIp: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('Query', this.query.function);
    this.api.addRoutes({ path: '/checks', methods: [HttpMethod.GET], integration });
    this.api.addRoutes({ path: '/checks/{provider}/{checkId}', methods: [HttpMethod.GET], integration });

    this.auditorPolicy = new ManagedPolicy(this, 'AuditorPolicy', {
      description: 'audit-archiver auditors: the query API only (records past retention hidden, images presigned by the API)',
    });
    this.auditorPolicy.addStatements(
      new PolicyStatement({
        sid: 'QueryApi',
        actions: ['execute-api:Invoke'],
        resources: [this.api.arnForExecuteApi('GET', '/checks', '$default'), this.api.arnForExecuteApi('GET', '/checks/*', '$default')],
      }),
    );
    this.archiveReaderPolicy = new ManagedPolicy(this, 'ArchiveReaderPolicy', {
      description: 'audit-archiver archive readers (CLI, console, verify): the records table and every evidence object, read-only',
    });
    grantArchiveRead(this.archiveReaderPolicy, storage, { list: true });
    acknowledgeObjectWildcard(this.archiveReaderPolicy, storage, 'Archive readers verify and export the evidence of any check (keys are per check); GetObject only, no write.');
    const stack = Stack.of(this);
    const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const apiId = stack.getLogicalId(this.api.node.defaultChild as never);
    Validations.of(this.auditorPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${shown(stack.partition, 'Partition')}:execute-api:${shown(stack.region, 'Region')}:<AWS::AccountId>:<${apiId}>/$default/GET/checks/*]`,
      reason: 'The show route takes the provider and check id as path parameters: invoking GET /checks/{provider}/{checkId} needs the wildcard.',
    });
  }

  /** The API's base URL (ends in `/`). */
  get url(): string {
    return this.stage.url;
  }
}

/** A ManagedPolicy or a role: where the read statements go. */
type StatementTarget = IGrantable | ManagedPolicy;

/**
 * Read-only archive access: GetItem and Query on the table and its auditor indexes (named, no wildcard), GetObject
 * on evidence objects, ListBucket for `verify` to tell missing objects and find unexpected ones, and the KMS key's
 * Decrypt only through S3 and DynamoDB (kms:ViaService).
 */
export function grantArchiveRead(target: StatementTarget, storage: EvidenceStorage, options: { list: boolean }): void {
  const region = Stack.of(storage).region;
  const statements = [
    new PolicyStatement({
      sid: 'RecordsRead',
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resources: [storage.table.tableArn, ...Object.values(INDEXES).map((index) => `${storage.table.tableArn}/index/${index.indexName}`)],
    }),
    new PolicyStatement({ sid: 'EvidenceRead', actions: ['s3:GetObject'], resources: [storage.bucket.arnForObjects('*')] }),
    ...(options.list ? [new PolicyStatement({ sid: 'EvidenceList', actions: ['s3:ListBucket'], resources: [storage.bucket.bucketArn] })] : []),
    new PolicyStatement({
      sid: 'DecryptViaS3',
      actions: ['kms:Decrypt'],
      resources: [storage.bucketKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
    }),
    new PolicyStatement({
      sid: 'DecryptViaDynamoDB',
      actions: ['kms:Decrypt', 'kms:DescribeKey'],
      resources: [storage.tableKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
    }),
  ];
  for (const statement of statements) {
    if (target instanceof ManagedPolicy) target.addStatements(statement);
    else target.grantPrincipal.addToPrincipalPolicy(statement);
  }
}

/** Acknowledges cdk-nag's finding on `<bucket>/*`, with the reason this scope needs every check's objects. */
export function acknowledgeObjectWildcard(scope: Construct, storage: EvidenceStorage, reason: string): void {
  const bucketId = Stack.of(storage).getLogicalId(storage.bucket.node.defaultChild as CfnBucket);
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`, reason });
}
