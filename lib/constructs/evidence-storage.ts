import { Duration, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, BucketEncryption, ObjectLockRetention, type CfnBucket, type LifecycleRule } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { RetentionPolicy } from '../../lambdas/records/retention';
import { INDEXES, OPEN_CHECKS_INDEX, TABLE_KEY, TTL_ATTRIBUTE } from '../../lambdas/records/table-schema';
import type { ObjectLockMode } from '../config';
import {
  ABORT_INCOMPLETE_UPLOAD_DAYS,
  ACCESS_LOG_BUCKET_PROPS,
  BUCKET_BASELINE,
  DATA_REMOVAL_POLICY,
  NONCURRENT_VERSION_DAYS,
} from '../defaults';

/** The S3 object tag the archive sets and the lifecycle rules filter on (held objects carry one no rule matches). */
import { EXPIRED_TAG_VALUE, RETENTION_CLASS_TAG } from '../../lambdas/records/retention';

export { RETENTION_CLASS_TAG };

export interface EvidenceStorageProps {
  /** Classes become lifecycle rules (expire objects tagged with the class after its days). */
  readonly retention: RetentionPolicy;
  /**
   * Object Lock mode. With GOVERNANCE or COMPLIANCE the bucket's default retention is the shortest class's days, a
   * floor the archive's per-object retain-until dates extend; OFF creates the bucket without Object Lock.
   *
   * @default 'GOVERNANCE'
   */
  readonly objectLockMode?: ObjectLockMode;
}

/**
 * Where evidence and records live: the evidence bucket (versioned, Object Lock, lifecycle by retention class,
 * access-logged) and the records table, each with its own customer-managed KMS key (rotated yearly), and the
 * access-log bucket. A principal that may use one key for its job gains nothing on the other data class.
 */
export class EvidenceStorage extends Construct {
  /** Encrypts the evidence bucket only. */
  public readonly bucketKey: Key;
  /** Encrypts the records table only. */
  public readonly tableKey: Key;
  public readonly bucket: Bucket;
  public readonly accessLogBucket: Bucket;
  public readonly table: TableV2;
  public readonly objectLockMode: ObjectLockMode;

  constructor(scope: Construct, id: string, props: EvidenceStorageProps) {
    super(scope, id);
    this.objectLockMode = props.objectLockMode ?? 'GOVERNANCE';

    this.bucketKey = new Key(this, 'EvidenceKey', {
      description: 'audit-archiver: evidence objects',
      enableKeyRotation: true,
      removalPolicy: DATA_REMOVAL_POLICY,
    });
    this.tableKey = new Key(this, 'RecordsKey', {
      description: 'audit-archiver: check records',
      enableKeyRotation: true,
      removalPolicy: DATA_REMOVAL_POLICY,
    });

    this.accessLogBucket = new Bucket(this, 'AccessLogs', ACCESS_LOG_BUCKET_PROPS);
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server-access-log destination of the evidence bucket; logging it would log itself.',
    });

    this.bucket = new Bucket(this, 'Evidence', {
      ...BUCKET_BASELINE,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.bucketKey,
      bucketKeyEnabled: true,
      versioned: true,
      objectLockEnabled: this.objectLockMode !== 'OFF',
      objectLockDefaultRetention: defaultRetention(this.objectLockMode, props.retention),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'evidence/',
      lifecycleRules: lifecycleRules(props.retention),
    });
    // Lifecycle expirations reach EventBridge (Object Deleted): each becomes a deletion receipt. Set on the resource
    // itself: `eventBridgeEnabled` would add a custom-resource function for what CloudFormation does natively.
    (this.bucket.node.defaultChild as CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    this.table = new TableV2(this, 'Records', {
      partitionKey: { name: TABLE_KEY.partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryptionV2.customerManagedKey(this.tableKey),
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // Every removal (TTL or not) becomes a deletion receipt (lib/constructs/retention-operations.ts).
      dynamoStream: StreamViewType.OLD_IMAGE,
      removalPolicy: DATA_REMOVAL_POLICY,
      globalSecondaryIndexes: Object.values(INDEXES).map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      })),
    });
    // Reconcile's sparse index of open checks: keys and what reconcile reads, not whole records.
    this.table.addGlobalSecondaryIndex({
      indexName: OPEN_CHECKS_INDEX.indexName,
      partitionKey: { name: OPEN_CHECKS_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: OPEN_CHECKS_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...OPEN_CHECKS_INDEX.projection],
    });
  }
}

/**
 * One rule per retention class: objects tagged `retention-class=<name>` expire after the class's days (a delete
 * marker on the versioned bucket); the versions behind it go NONCURRENT_VERSION_DAYS later, once Object Lock allows.
 * A last rule aborts incomplete multipart uploads and removes delete markers left without versions.
 */
export function lifecycleRules(retention: RetentionPolicy): LifecycleRule[] {
  // A relationship-end class has no end until its relationship closes: days from upload would delete a live client's
  // evidence. Its objects are handed to the `expired` rule when the record expires (retention/expiry.ts).
  const byClass = Object.entries(retention.classes).filter(([, cls]) => cls.clock !== 'relationship-end').map(
    ([name, cls]): LifecycleRule => ({
      id: `retention-${name}`,
      tagFilters: { [RETENTION_CLASS_TAG]: name },
      expiration: Duration.days(cls.days),
      noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
    }),
  );
  return [
    ...byClass,
    {
      id: 'retention-expired',
      tagFilters: { [RETENTION_CLASS_TAG]: EXPIRED_TAG_VALUE },
      expiration: Duration.days(1),
      noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
    },
    {
      id: 'abort-incomplete-uploads',
      abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOAD_DAYS),
      expiredObjectDeleteMarker: true,
    },
  ];
}

/** A floor that never outlasts any class: lifecycle must be able to delete a class's objects when its days end. */
function defaultRetention(mode: ObjectLockMode, retention: RetentionPolicy): ObjectLockRetention | undefined {
  // A default retention would lock the erasable classes too, and an erasure could not delete them: those objects then
  // carry no retention at all, and the archive locks each object of a locked class itself (archive/s3-store.ts).
  if (mode === 'OFF' || Object.values(retention.classes).some((cls) => cls.erasable)) return undefined;
  const shortest = Duration.days(Math.min(...Object.values(retention.classes).map((cls) => cls.days)));
  return mode === 'COMPLIANCE' ? ObjectLockRetention.compliance(shortest) : ObjectLockRetention.governance(shortest);
}
