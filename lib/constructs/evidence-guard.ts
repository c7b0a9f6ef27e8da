import { CfnOutput, Lazy, Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, AnyPrincipal, Effect, ManagedPolicy, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LEGAL_HOLD_TAG_VALUE, RETENTION_CLASS_TAG } from '../../lambdas/records/retention';
import { acknowledgeObjectWildcard, grantArchiveRead } from './auditor-api';
import type { EvidenceStorage } from './evidence-storage';

export interface EvidenceGuardProps {
  readonly storage: EvidenceStorage;
  /**
   * The one principal that may bypass Object Lock governance (shorten a retention, delete a locked version): an
   * emergency role the organisation controls. Nobody at all without it.
   *
   * @default - no one may bypass governance retention
   */
  readonly breakGlassRoleArn?: string;
  /**
   * Classes kept under a legal obligation (not erasable): no one but the break-glass role deletes an object or
   * version tagged with one, nor one under legal hold, whatever Object Lock says.
   *
   * @default - none
   */
  readonly lockedClasses?: readonly string[];
}

/**
 * Holds and locks only go one way. A bucket policy (it binds every principal of the account, whatever its own IAM
 * policy says) denies removing a legal hold or the legal-hold lifecycle tag to everyone but the records officer, and
 * denies bypassing governance retention or deleting object versions to everyone but the break-glass role. The records
 * officer role is what `audit-archiver hold` / `release` run as.
 */
export class EvidenceGuard extends Construct {
  /** Assumed by the people who may place and lift legal holds (`audit-archiver hold` / `release`). */
  public readonly recordsOfficerRole: Role;
  private readonly erasers: string[] = [];

  constructor(scope: Construct, id: string, props: EvidenceGuardProps) {
    super(scope, id);
    const { storage } = props;
    const stack = Stack.of(this);

    this.recordsOfficerRole = new Role(this, 'RecordsOfficer', {
      roleName: `${stack.stackName}-records-officer`,
      assumedBy: new AccountRootPrincipal(),
      description: 'audit-archiver: places and lifts legal holds (audit-archiver hold / release)',
      managedPolicies: [recordsOfficerPolicy(this, storage)],
    });

    const officer = this.recordsOfficerRole.roleArn;
    const objects = storage.bucket.arnForObjects('*');
    const except = (arns: string[]) => (arns.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': arns } } : {});
    const breakGlass = props.breakGlassRoleArn ? [props.breakGlassRoleArn] : [];
    storage.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheRecordsOfficerLiftsLegalHolds',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObjectLegalHold'],
        resources: [objects],
        conditions: { StringEquals: { 's3:object-lock-legal-hold': 'OFF' }, ...except([officer]) },
      }),
    );
    storage.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheRecordsOfficerUntagsHeldEvidence',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObjectTagging', 's3:DeleteObjectTagging'],
        resources: [objects],
        conditions: {
          StringEquals: { [`s3:ExistingObjectTag/${RETENTION_CLASS_TAG}`]: LEGAL_HOLD_TAG_VALUE },
          StringNotEqualsIfExists: { [`s3:RequestObjectTag/${RETENTION_CLASS_TAG}`]: LEGAL_HOLD_TAG_VALUE },
          ...except([officer]),
        },
      }),
    );
    storage.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'NoOneShortensRetention',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:BypassGovernanceRetention'],
        resources: [objects],
        ...(breakGlass.length > 0 ? { conditions: except(breakGlass) } : {}),
      }),
    );
    // Erasure (GDPR art. 17) deletes versions: only the roles allowed to erase (allowErasureBy), and never a locked
    // class's or a held object's (the tag says which; Object Lock, never bypassable by them, says it again).
    storage.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyErasureDeletesVersions',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:DeleteObjectVersion'],
        resources: [objects],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => [...breakGlass, ...this.erasers] }) },
        },
      }),
    );
    storage.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'NoOneDeletesLockedClassesOrHeldEvidence',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [objects],
        conditions: {
          StringEquals: { [`s3:ExistingObjectTag/${RETENTION_CLASS_TAG}`]: [...(props.lockedClasses ?? []), LEGAL_HOLD_TAG_VALUE] },
          ...except(breakGlass),
        },
      }),
    );

    new CfnOutput(stack, 'RecordsOfficerRoleArn', {
      value: officer,
      description: 'Assume to place and lift legal holds (audit-archiver hold / release); nobody else can lift one',
    });
  }

  /** A role that carries out erasures (the retention function): it may delete versions of erasable evidence. */
  allowErasureBy(roleArn: string): void {
    this.erasers.push(roleArn);
  }
}

/**
 * What `hold` and `release` do: everything an auditor reads (find the check, its manifest), plus update the record
 * (legal hold on or off), retag every object of the check, set or lift the S3 legal hold, and read the bucket's
 * Object Lock configuration; the record's key through DynamoDB only.
 */
function recordsOfficerPolicy(scope: Construct, storage: EvidenceStorage): ManagedPolicy {
  const region = Stack.of(scope).region;
  const policy = new ManagedPolicy(scope, 'RecordsOfficerPolicy', {
    description: 'audit-archiver: legal holds (audit-archiver hold / release)',
  });
  grantArchiveRead(policy, storage, { list: true });
  policy.addStatements(
    new PolicyStatement({ sid: 'RecordHolds', actions: ['dynamodb:UpdateItem'], resources: [storage.table.tableArn] }),
    new PolicyStatement({
      sid: 'EncryptViaDynamoDB',
      actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [storage.tableKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
    }),
    new PolicyStatement({
      sid: 'EvidenceHolds',
      actions: ['s3:GetObjectTagging', 's3:PutObjectTagging', 's3:GetObjectLegalHold', 's3:PutObjectLegalHold'],
      resources: [storage.bucket.arnForObjects('*')],
    }),
    new PolicyStatement({ sid: 'ObjectLockConfiguration', actions: ['s3:GetBucketObjectLockConfiguration'], resources: [storage.bucket.bucketArn] }),
  );
  acknowledgeObjectWildcard(policy, storage, 'The records officer holds the evidence of any check (keys are per check): tags and legal holds only, no write or delete.');
  return policy;
}
