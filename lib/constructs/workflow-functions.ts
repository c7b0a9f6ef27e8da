import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ArchiverConfig } from '../config';
import { SIZING } from '../defaults';
import { ArchiverFunction } from './archiver-function';
import type { EvidenceStorage } from './evidence-storage';
import type { ProviderSecrets } from './provider-secrets';
import { PROVIDERS, type ProviderName } from '../../lambdas/checks/check-status';
import { PROVIDER_URL_VARS } from '../../lambdas/common/environment';

export interface WorkflowFunctionsProps {
  readonly config: ArchiverConfig;
  readonly storage: EvidenceStorage;
  readonly secrets: ProviderSecrets;
  /** Encrypts the functions' log groups. */
  readonly logKey: IKey;
}

/** One provider's poll and archive functions: they serve that provider's checks only, with its secret only. */
export interface ProviderFunctions {
  readonly poll: ArchiverFunction;
  readonly archive: ArchiverFunction;
}

/**
 * The workflows' functions and their least-privilege grants. Each provider has its own poll and archive function
 * (and its own workflow, lib/audit-archiver-stack.ts), so a function holds one provider's secret, never another's:
 * - poll (per provider): reads its provider's secret; no S3, no DynamoDB.
 * - archive (per provider): reads its provider's secret, writes evidence (put, tag, retain; head for idempotency;
 *   never delete) and the record; it also records checks that ended without a result (keeping the answer in S3).
 * - record (shared): writes the failure record, and a manifest of what a failed attempt had stored (reads the check's
 *   folder, writes only `manifest.json` keys); no secrets.
 * Their environment names the one provider (PROVIDER): a check of another provider is refused
 * (ProviderNotServedError) and recorded as failed, never polled or archived.
 */
export class WorkflowFunctions extends Construct {
  public readonly providers: Readonly<Record<ProviderName, ProviderFunctions>>;
  public readonly record: ArchiverFunction;

  constructor(scope: Construct, id: string, props: WorkflowFunctionsProps) {
    super(scope, id);
    const { config, storage, secrets } = props;
    const retentionPolicy = JSON.stringify(config.retention);
    // Every writer of records shards the index keys alike (and the query API reads that many shards).
    const indexShards = String(config.indexShards);

    this.providers = Object.fromEntries(
      PROVIDERS.map((provider): [ProviderName, ProviderFunctions] => {
        const name = provider[0]!.toUpperCase() + provider.slice(1);
        const providerEnvironment = {
          PROVIDER: provider,
          [PROVIDER_URL_VARS[provider]]: config.providers[provider].baseUrl,
          PROVIDER_SECRET_ARNS: secrets.arnsJsonOf(provider),
        };
        const poll = new ArchiverFunction(this, `${name}Poll`, {
          entry: 'lambdas/handlers/poll.ts',
          description: `audit-archiver: polls a ${provider} check once and decides the next wait`,
          sizing: SIZING.poll,
          logKey: props.logKey,
          environment: { ...providerEnvironment, POLLING_POLICY: JSON.stringify(config.polling) },
        });
        secrets.grantReadOf(provider, poll.role);

        const archive = new ArchiverFunction(this, `${name}Archive`, {
          entry: 'lambdas/handlers/archive.ts',
          description: `audit-archiver: archives a ${provider} result and its images (or why there is none), writes the record`,
          sizing: SIZING.archive,
          logKey: props.logKey,
          environment: {
            ...providerEnvironment,
            BUCKET_NAME: storage.bucket.bucketName,
            TABLE_NAME: storage.table.tableName,
            KMS_KEY_ARN: storage.bucketKey.keyArn,
            OBJECT_LOCK_MODE: config.objectLockMode,
            RETENTION_POLICY: retentionPolicy,
            DOWNLOAD_EXTRA_HOSTS: config.downloadExtraHosts.join(','),
            KYC_IMAGE_LINKS: config.kycImageLinks.join(','),
            ARCHIVE_LIMITS: JSON.stringify(config.archiveLimits),
            INDEX_SHARDS: indexShards,
          },
        });
        secrets.grantReadOf(provider, archive.role);
        grantEvidenceWrite(archive, storage);
        grantRecordWrite(archive, storage);
        return [provider, { poll, archive }];
      }),
    ) as Record<ProviderName, ProviderFunctions>;

    this.record = new ArchiverFunction(this, 'Record', {
      entry: 'lambdas/handlers/record.ts',
      description: 'audit-archiver: records a check whose workflow failed',
      sizing: SIZING.record,
      logKey: props.logKey,
      environment: {
        TABLE_NAME: storage.table.tableName,
        RETENTION_POLICY: retentionPolicy,
        INDEX_SHARDS: indexShards,
        BUCKET_NAME: storage.bucket.bucketName,
        KMS_KEY_ARN: storage.bucketKey.keyArn,
        OBJECT_LOCK_MODE: config.objectLockMode,
      },
    });
    grantRecordWrite(this.record, storage);
    grantEvidenceWrite(this.record, storage, 'manifests');
  }

  /** Every provider's poll functions, or archive functions, in PROVIDERS order. */
  all(role: keyof ProviderFunctions): ArchiverFunction[] {
    return PROVIDERS.map((provider) => this.providers[provider][role]);
  }
}

/**
 * Evidence objects: create (tagged with their retention class; with Object Lock, retained, and legally held when the
 * check's record is under legal hold), abort an unfinished multipart upload, and read back what an earlier attempt
 * stored (ListBucket + GetObject). No delete, no version or lock bypass. `manifests`: create only manifest.json keys.
 */
function grantEvidenceWrite(fn: ArchiverFunction, storage: EvidenceStorage, scope: 'all' | 'manifests' = 'all'): void {
  const writeActions = ['s3:PutObject', 's3:PutObjectTagging'];
  if (scope === 'all') writeActions.push('s3:AbortMultipartUpload');
  if (storage.objectLockMode !== 'OFF') writeActions.push('s3:PutObjectRetention', 's3:PutObjectLegalHold');
  const writable = storage.bucket.arnForObjects(scope === 'all' ? '*' : '*/manifest.json');
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: writeActions, resources: [writable] }));
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [storage.bucket.arnForObjects('*')] }));
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [storage.bucket.bucketArn] }));
  fn.role.addToPrincipalPolicy(keyUseThrough('s3', storage, ['kms:GenerateDataKey', 'kms:Decrypt']));
  const bucketId = Stack.of(storage).getLogicalId(storage.bucket.node.defaultChild as CfnBucket);
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
    reason: 'Evidence keys are per check (provider/date/checkRef/...), unknown until run time; the actions are create/tag/retain/read only, no delete.',
  });
  if (scope === 'manifests') {
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*/manifest.json]`,
      reason: 'Only manifest.json keys of any check folder (known at run time): the manifest of what a failed attempt stored.',
    });
  }
}

/**
 * The check's record: read it (idempotency, records only move forward), take and give back its write lease
 * (UpdateItem), and put it, conditionally. No delete, no scan.
 */
function grantRecordWrite(fn: ArchiverFunction, storage: EvidenceStorage): void {
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [storage.table.tableArn],
    }),
  );
  fn.role.addToPrincipalPolicy(
    keyUseThrough('dynamodb', storage, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']),
  );
}

/** Use of the data key only through one service (kms:ViaService), as that service does on the caller's behalf. */
function keyUseThrough(service: 's3' | 'dynamodb', storage: EvidenceStorage, actions: string[]): PolicyStatement {
  return new PolicyStatement({
    actions,
    resources: [service === 's3' ? storage.bucketKey.keyArn : storage.tableKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `${service}.${Stack.of(storage).region}.amazonaws.com` } },
  });
}
