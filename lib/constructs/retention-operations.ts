import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket, BucketEncryption, ObjectLockRetention, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RETENTION_DETAIL_TYPES } from '../../lambdas/events/retention-events';
import { LEDGER_KEY } from '../../lambdas/records/ledger';
import { INDEXES } from '../../lambdas/records/table-schema';
import { BUCKET_BASELINE, DATA_REMOVAL_POLICY, SIZING, TARGET_DELIVERY } from '../defaults';
import { ArchiverFunction } from './archiver-function';
import type { EvidenceStorage } from './evidence-storage';
import type { IdentifierSecret } from './identifier-secret';

/** How long each sealed receipt is locked (COMPLIANCE): longer than any class keeps what it speaks of. */
export const RECEIPT_LOCK_DAYS = 3_650;

export interface RetentionOperationsProps {
  readonly storage: EvidenceStorage;
  /** Encrypts the function's log group. */
  readonly logKey: IKey;
  readonly identifiers: IdentifierSecret;
  /** The bus the checks are published on: the retention events come from the same producers. */
  readonly eventBus: IEventBus;
  readonly eventSource: string;
  /** The deployed retention policy (JSON), as the workflow functions have it. */
  readonly retentionPolicy: string;
  /** Where events the function failed on end up (the check trigger's dead-letter queue). */
  readonly deadLetterQueue: IQueue;
}

/**
 * Retention on the law's clock (docs/retention.md): the ledger table (subject state, refused erasures, the receipt
 * chain), the receipts bucket (each receipt sealed under COMPLIANCE Object Lock), and one function that handles
 * `Relationship Closed`, `Client Interaction` and `Erasure Requested` from the check bus and, daily, carries out the
 * refused erasures whose date has come.
 */
export class RetentionOperations extends Construct {
  public readonly ledger: TableV2;
  public readonly receipts: Bucket;
  public readonly function: ArchiverFunction;
  public readonly eventRule: Rule;

  constructor(scope: Construct, id: string, props: RetentionOperationsProps) {
    super(scope, id);
    const { storage } = props;
    this.ledger = new TableV2(this, 'Ledger', {
      partitionKey: { name: LEDGER_KEY.partitionKey, type: AttributeType.STRING },
      sortKey: { name: LEDGER_KEY.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryptionV2.customerManagedKey(storage.tableKey),
      removalPolicy: DATA_REMOVAL_POLICY,
    });

    this.receipts = new Bucket(this, 'Receipts', {
      ...BUCKET_BASELINE,
      encryption: BucketEncryption.KMS,
      encryptionKey: storage.bucketKey,
      bucketKeyEnabled: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(RECEIPT_LOCK_DAYS)),
      serverAccessLogsBucket: storage.accessLogBucket,
      serverAccessLogsPrefix: 'receipts/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.function = new ArchiverFunction(this, 'Retention', {
      entry: 'lambdas/handlers/retention.ts',
      description: 'audit-archiver: relationship closes, interactions, erasure requests and the daily erasure sweep',
      sizing: SIZING.reconcile,
      logKey: props.logKey,
      environment: {
        TABLE_NAME: storage.table.tableName,
        LEDGER_TABLE_NAME: this.ledger.tableName,
        BUCKET_NAME: storage.bucket.bucketName,
        RECEIPTS_BUCKET_NAME: this.receipts.bucketName,
        KMS_KEY_ARN: storage.bucketKey.keyArn,
        OBJECT_LOCK_MODE: storage.objectLockMode,
        RETENTION_POLICY: props.retentionPolicy,
      },
    });
    props.identifiers.grantTo(this.function);
    this.grantOperations(storage);

    this.eventRule = new Rule(this, 'Events', {
      description: 'audit-archiver: Relationship Closed, Client Interaction, Erasure Requested',
      eventBus: props.eventBus,
      eventPattern: { source: [props.eventSource], detailType: [...RETENTION_DETAIL_TYPES] },
      targets: [new LambdaFunction(this.function.function, { retryAttempts: TARGET_DELIVERY.retryAttempts, deadLetterQueue: props.deadLetterQueue })],
    });
    // Every object S3's lifecycle deletes (S3 reports to the account's default bus): a receipt.
    new Rule(this, 'LifecycleExpirations', {
      description: 'audit-archiver: a deletion receipt for every lifecycle expiration of evidence',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Deleted'],
        detail: { bucket: { name: [storage.bucket.bucketName] }, reason: ['Lifecycle Expiration'] },
      },
      targets: [new LambdaFunction(this.function.function, { retryAttempts: TARGET_DELIVERY.retryAttempts, deadLetterQueue: props.deadLetterQueue })],
    });
    // Every record removed from the table: a receipt (and, for a TTL expiry, the objects handed to lifecycle).
    this.function.function.addEventSource(
      new DynamoEventSource(storage.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 25,
        bisectBatchOnError: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(props.deadLetterQueue),
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('REMOVE') })],
      }),
    );
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(this.function.role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${action} on the dead-letter-queue key only, granted by CDK's Queue.grantSendMessages for the stream's on-failure destination.`,
      });
    }
    new Rule(this, 'ErasureSweep', {
      description: 'audit-archiver: carry out refused erasures whose date has come',
      schedule: Schedule.rate(Duration.days(1)),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });

    Validations.of(this.function.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(storage.bucket.node.defaultChild as CfnBucket)}.Arn>/*]`,
      reason: 'Evidence keys are per check (provider/date/checkRef/...), known only when a close or an erasure names the check.',
    });
    Validations.of(this.function.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.receipts.node.defaultChild as CfnBucket)}.Arn>/receipts/*]`,
      reason: 'One object per receipt (receipts/<seq>.json), numbered at run time; create and read only.',
    });
  }

  /**
   * The function's grants, each the narrowest its job needs: records (read, conditional update, the tombstone put,
   * the byClientKey index), the ledger, the evidence objects (list versions, delete them — an erasure —, tags and the
   * Object Lock date, which S3 lets it only extend without a bypass, never granted), the receipts (create, read, list).
   * Deleting a locked version needs s3:BypassGovernanceRetention (GOVERNANCE) or is impossible (COMPLIANCE): the
   * locked classes stay undeletable for this role too.
   */
  private grantOperations(storage: EvidenceStorage): void {
    const role = this.function.role;
    const region = Stack.of(this).region;
    const table = storage.table.tableArn;
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [table] }));
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table}/index/${INDEXES.byClientKey.indexName}`] }));
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'], resources: [this.ledger.tableArn] }),
    );
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: [storage.bucket.bucketArn] }));
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:GetObjectTagging',
          's3:PutObjectTagging',
          ...(storage.objectLockMode !== 'OFF' ? ['s3:GetObjectRetention', 's3:PutObjectRetention'] : []),
        ],
        resources: [storage.bucket.arnForObjects('*')],
      }),
    );
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [this.receipts.arnForObjects('receipts/*')] }));
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.receipts.bucketArn] }));
    for (const [service, key] of [['s3', storage.bucketKey], ['dynamodb', storage.tableKey]] as const) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` } },
        }),
      );
    }
  }

  /** The archive's functions read a subject's clock from the ledger (a check archived after a close starts on it). */
  grantLedgerRead(fn: ArchiverFunction): void {
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [this.ledger.tableArn] }));
    fn.function.addEnvironment('LEDGER_TABLE_NAME', this.ledger.tableName);
  }
}
