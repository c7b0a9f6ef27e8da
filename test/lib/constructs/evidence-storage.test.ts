import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_RETENTION_POLICY } from '../../../lambdas/records/retention';
import { INDEXES, OPEN_CHECKS_INDEX, TABLE_KEY, TTL_ATTRIBUTE } from '../../../lambdas/records/table-schema';
import { RETENTION_CLASS_TAG } from '../../../lib/constructs/evidence-storage';
import { logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('EvidenceStorage', () => {
  let synth: Synthesized;
  let keyArn: Json;
  let tableKeyArn: Json;
  let evidence: Json;
  let accessLogs: Json;

  beforeAll(() => {
    synth = synthesize();
    const { stack } = synth;
    keyArn = { 'Fn::GetAtt': [logicalIdOf(stack, stack.storage.bucketKey), 'Arn'] };
    tableKeyArn = { 'Fn::GetAtt': [logicalIdOf(stack, stack.storage.tableKey), 'Arn'] };
    const resources = synth.template.toJSON().Resources as Record<string, Json>;
    evidence = resources[logicalIdOf(stack, stack.storage.bucket)]!.Properties;
    accessLogs = resources[logicalIdOf(stack, stack.storage.accessLogBucket)]!.Properties;
  });

  it('has one customer-managed key per data class (evidence, records, operations, logs), rotated, kept when the stack goes', () => {
    const keys = Object.values(synth.template.findResources('AWS::KMS::Key')) as Json[];
    expect(keys.map((key) => key.Properties.Description).sort()).toEqual([
      'audit-archiver: check records',
      'audit-archiver: encrypts the replay blobs of dead-lettered events (the original event, liveness tokens included)',
      'audit-archiver: evidence objects',
      'audit-archiver: log groups',
      'audit-archiver: provider secrets, dead letters, workflow state, alarm topic',
    ]);
    for (const key of keys) {
      expect(key).toMatchObject({ Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    expect(keyArn).not.toEqual(tableKeyArn);
  });

  it('encrypts evidence with the key, versions it, blocks public access and keeps it on stack deletion', () => {
    expect(evidence.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } },
    ]);
    expect(evidence.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(evidence.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(evidence.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    synth.template.hasResource('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' } }, DeletionPolicy: 'Retain' });
  });

  it('enables Object Lock in GOVERNANCE mode by default without a bucket default retention, which would lock the erasable classes too', () => {
    expect(evidence.ObjectLockEnabled).toBe(true);
    // No Rule: each object of a locked class carries its own retention (archive/s3-store.ts), the erasable ones none.
    expect(evidence.ObjectLockConfiguration?.Rule).toBeUndefined();
  });

  it('keeps a default retention no longer than the shortest class when no class is erasable', () => {
    const classes = Object.fromEntries(Object.keys(DEFAULT_RETENTION_POLICY.classes).map((name) => [name, { erasable: false }]));
    const shortest = Math.min(...Object.values(DEFAULT_RETENTION_POLICY.classes).map((c) => c.days));
    synthesize({ retention: { classes } }).template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: shortest } } },
    });
  });

  it('switches to COMPLIANCE mode, or no Object Lock, through context', () => {
    const compliance = synthesize({ objectLockMode: 'COMPLIANCE' }).template;
    compliance.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OBJECT_LOCK_MODE: 'COMPLIANCE' }) },
    });
    const off = synthesize({ objectLockMode: 'OFF' });
    // The receipts bucket is always locked (retention-operations.test.ts): the evidence and access-log buckets are not.
    const receipts = logicalIdOf(off.stack, off.stack.retention.receipts);
    for (const [logicalId, bucket] of Object.entries(off.template.findResources('AWS::S3::Bucket'))) {
      if (logicalId === receipts) continue;
      expect(bucket.Properties.ObjectLockEnabled).not.toBe(true);
      expect(bucket.Properties.ObjectLockConfiguration).toBeUndefined();
    }
    off.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OBJECT_LOCK_MODE: 'OFF' }) },
    });
    expect(JSON.stringify(off.template.findResources('AWS::IAM::Policy'))).not.toContain('s3:PutObjectRetention');
    expect(JSON.stringify(off.template.findResources('AWS::IAM::Policy'))).not.toContain('s3:PutObjectLegalHold');
  });

  it('expires objects by their retention-class tag, one rule per archive-clock class, hands expired checks to one rule, and aborts incomplete uploads', () => {
    const rules = evidence.LifecycleConfiguration.Rules as Json[];
    const archiveClock = Object.entries(DEFAULT_RETENTION_POLICY.classes).filter(([, cls]) => cls.clock === 'archive');
    // aml-cdd runs on the relationship's clock: days from upload would delete a live client's evidence.
    expect(rules.map((r) => r.Id)).not.toContain('retention-aml-cdd');
    expect(rules).toContainEqual({
      Id: 'retention-expired',
      Status: 'Enabled',
      TagFilters: [{ Key: RETENTION_CLASS_TAG, Value: 'expired' }],
      ExpirationInDays: 1,
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
    });
    for (const [name, cls] of archiveClock) {
      expect(rules).toContainEqual({
        Id: `retention-${name}`,
        Status: 'Enabled',
        TagFilters: [{ Key: RETENTION_CLASS_TAG, Value: name }],
        ExpirationInDays: cls.days,
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      });
    }
    expect(rules).toContainEqual({
      Id: 'abort-incomplete-uploads',
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      ExpiredObjectDeleteMarker: true,
    });
    expect(rules).toHaveLength(archiveClock.length + 2);
  });

  it('builds the lifecycle rules from the retention context', () => {
    const { template } = synthesize({ retention: { classes: { 'sanctions-10y': { days: 3_650, basis: 'Sanctions screening records, 10 years' } } } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'retention-sanctions-10y', ExpirationInDays: 3_650, TagFilters: [{ Key: RETENTION_CLASS_TAG, Value: 'sanctions-10y' }] }),
        ]),
      },
    });
  });

  it('denies plain-HTTP access to both buckets', () => {
    for (const bucket of [synth.stack.storage.bucket, synth.stack.storage.accessLogBucket]) {
      synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalIdOf(synth.stack, bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('logs server access to a separate SSE-S3 bucket that is itself locked down and expires its logs', () => {
    expect(evidence.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalIdOf(synth.stack, synth.stack.storage.accessLogBucket) },
      LogFilePrefix: 'evidence/',
    });
    expect(accessLogs.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(accessLogs.PublicAccessBlockConfiguration.BlockPublicPolicy).toBe(true);
    expect(accessLogs.LifecycleConfiguration.Rules[0]).toMatchObject({ ExpirationInDays: 730 });
    // Delivery through the bucket policy (logging.s3.amazonaws.com), not ACLs.
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIdOf(synth.stack, synth.stack.storage.accessLogBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 's3:PutObject', Principal: { Service: 'logging.s3.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('stores records in an on-demand, PITR, deletion-protected, KMS-encrypted table with TTL and the auditor GSIs', () => {
    const table = synth.template.toJSON().Resources[logicalIdOf(synth.stack, synth.stack.storage.table)]!;
    const p = table.Properties;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.KeySchema).toEqual([{ AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' }]);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(p.Replicas).toEqual([
      expect.objectContaining({
        Region: 'us-east-1',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { KMSMasterKeyId: tableKeyArn },
      }),
    ]);
    const indexes = p.GlobalSecondaryIndexes as Json[];
    // The auditor indexes, and reconcile's sparse index of open checks (keys and a few fields only).
    expect(indexes).toHaveLength(Object.keys(INDEXES).length + 1);
    expect(indexes).toContainEqual({
      IndexName: OPEN_CHECKS_INDEX.indexName,
      KeySchema: [
        { AttributeName: OPEN_CHECKS_INDEX.partitionKey, KeyType: 'HASH' },
        { AttributeName: OPEN_CHECKS_INDEX.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...OPEN_CHECKS_INDEX.projection] },
    });
    for (const index of Object.values(INDEXES)) {
      expect(indexes).toContainEqual({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      });
    }
  });
});
