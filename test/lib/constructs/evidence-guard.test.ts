import { beforeAll, describe, expect, it } from 'vitest';
import { LEGAL_HOLD_TAG_VALUE, RETENTION_CLASS_TAG } from '../../../lambdas/records/retention';
import { logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

function bucketPolicyStatements(synth: Synthesized): Json[] {
  const policies = Object.values(synth.template.findResources('AWS::S3::BucketPolicy')) as Json[];
  const bucketId = logicalIdOf(synth.stack, synth.stack.storage.bucket);
  const evidence = policies.find((policy) => policy.Properties.Bucket.Ref === bucketId);
  return evidence!.Properties.PolicyDocument.Statement as Json[];
}

function statement(statements: Json[], sid: string): Json {
  const found = statements.find((s) => s.Sid === sid);
  expect(found, sid).toBeDefined();
  return found!;
}

describe('EvidenceGuard', () => {
  let synth: Synthesized;
  let statements: Json[];
  let officerArn: Json;

  beforeAll(() => {
    synth = synthesize();
    statements = bucketPolicyStatements(synth);
    officerArn = { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.stack.guard.recordsOfficerRole), 'Arn'] };
  });

  it('denies lifting a legal hold to every principal but the records officer', () => {
    const lift = statement(statements, 'OnlyTheRecordsOfficerLiftsLegalHolds');
    expect(lift).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObjectLegalHold' });
    expect(lift.Condition).toEqual({
      StringEquals: { 's3:object-lock-legal-hold': 'OFF' },
      ArnNotEquals: { 'aws:PrincipalArn': [officerArn] },
    });
  });

  it('denies retagging or untagging held evidence to every principal but the records officer', () => {
    const untag = statement(statements, 'OnlyTheRecordsOfficerUntagsHeldEvidence');
    expect(untag).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect([untag.Action].flat().sort()).toEqual(['s3:DeleteObjectTagging', 's3:PutObjectTagging']);
    expect(untag.Condition).toEqual({
      StringEquals: { [`s3:ExistingObjectTag/${RETENTION_CLASS_TAG}`]: LEGAL_HOLD_TAG_VALUE },
      StringNotEqualsIfExists: { [`s3:RequestObjectTag/${RETENTION_CLASS_TAG}`]: LEGAL_HOLD_TAG_VALUE },
      ArnNotEquals: { 'aws:PrincipalArn': [officerArn] },
    });
  });

  it('denies bypassing governance retention to everyone when no break-glass role is set', () => {
    const bypass = statement(statements, 'NoOneShortensRetention');
    expect(bypass).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:BypassGovernanceRetention' });
    expect(bypass.Condition).toBeUndefined();
  });

  it('lets only the retention function delete versions (erasure), and no one a locked class or held evidence', () => {
    const versions = statement(statements, 'OnlyErasureDeletesVersions');
    expect(versions).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:DeleteObjectVersion' });
    expect(versions.Condition).toEqual({
      ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.stack.retention.function.role), 'Arn'] }] },
    });
    const locked = statement(statements, 'NoOneDeletesLockedClassesOrHeldEvidence');
    expect([locked.Action].flat().sort()).toEqual(['s3:DeleteObject', 's3:DeleteObjectVersion']);
    expect(locked.Condition).toEqual({ StringEquals: { 's3:ExistingObjectTag/retention-class': ['aml-cdd', 'legal-hold'] } });
  });

  it('lets only the configured break-glass role bypass governance retention', () => {
    const breakGlass = 'arn:aws:iam::123456789012:role/evidence-break-glass';
    const bypass = statement(bucketPolicyStatements(synthesize({ breakGlassRoleArn: breakGlass })), 'NoOneShortensRetention');
    expect(bypass.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': [breakGlass] } });
  });

  it('refuses a break-glass value that is not a role ARN', () => {
    expect(() => synthesize({ breakGlassRoleArn: 'arn:aws:iam::123456789012:user/alice' })).toThrow(/breakGlassRoleArn/);
  });

  it('gives the records officer holds and tags, never object writes, deletes or retention changes', () => {
    const policies = synth.template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Description: 'audit-archiver: legal holds (audit-archiver hold / release)' },
    });
    const [officerPolicy] = Object.values(policies) as Json[];
    const actions = (officerPolicy!.Properties.PolicyDocument.Statement as Json[]).flatMap((s) => [s.Action].flat() as string[]);
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObjectLegalHold', 's3:PutObjectTagging', 'dynamodb:UpdateItem']));
    for (const forbidden of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectRetention', 's3:BypassGovernanceRetention', 'dynamodb:DeleteItem', 'dynamodb:PutItem']) {
      expect(actions).not.toContain(forbidden);
    }
    expect(actions.some((action) => action.includes('*'))).toBe(false);
    synth.template.hasOutput('RecordsOfficerRoleArn', { Value: officerArn });
  });
});
