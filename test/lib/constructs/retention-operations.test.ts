import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { RECEIPT_LOCK_DAYS } from '../../../lib/constructs/retention-operations';
import { logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('RetentionOperations', () => {
  let synth: Synthesized;
  let resources: Record<string, Json>;
  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(synth.stack, c);
  const statementsOfRole = (role: { node: { defaultChild?: unknown } }): Json[] =>
    Object.values(synth.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: id(role) }] } })).flatMap((p) => p.Properties.PolicyDocument.Statement);

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources;
  });

  it('keeps the ledger in a KMS-encrypted, PITR, deletion-protected table and seals receipts under COMPLIANCE Object Lock', () => {
    const ledger = resources[id(synth.stack.retention.ledger)]!;
    expect(ledger.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(ledger.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(ledger.Properties.Replicas[0]).toMatchObject({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    expect(ledger.DeletionPolicy).toBe('Retain');
    const receipts = resources[id(synth.stack.retention.receipts)]!;
    expect(receipts.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: RECEIPT_LOCK_DAYS } } });
    expect(receipts.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(receipts.DeletionPolicy).toBe('Retain');
  });

  it('routes the three retention events from the check bus to the function, and runs the erasure sweep daily', () => {
    const rule = resources[id(synth.stack.retention.eventRule)]!.Properties;
    expect(rule.EventBusName).toEqual({ Ref: id(synth.stack.bus.eventBus as never) });
    expect(rule.EventPattern).toEqual({ source: ['audit-archiver.checks'], 'detail-type': ['Relationship Closed', 'Client Interaction', 'Erasure Requested'] });
    expect(rule.Targets[0].DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [id(synth.stack.trigger.deadLetterQueue), 'Arn'] } });
    synth.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
  });

  it('lets the function delete evidence versions and extend locks, never bypass a lock, and only create and read receipts', () => {
    const statements = statementsOfRole(synth.stack.retention.function.role);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => /Bypass|Scan|PutObjectLegalHold/.test(a))).toEqual([]);
    // Wildcards: only the dead-letter queue's key actions CDK writes for an encrypted queue.
    expect(actions.filter((a) => a.includes('*') && !['kms:GenerateDataKey*', 'kms:ReEncrypt*'].includes(a))).toEqual([]);
    const evidence = statements.find((s) => [s.Action].flat().includes('s3:DeleteObjectVersion'))!;
    expect(evidence.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(synth.stack.storage.bucket), 'Arn'] }, '/*']] });
    const receiptWrites = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(receiptWrites).toHaveLength(1);
    expect(JSON.stringify(receiptWrites[0]!.Resource)).toContain('/receipts/*');
    expect(JSON.stringify(receiptWrites[0]!.Resource)).toContain(id(synth.stack.retention.receipts));
    expect(statements.filter((s) => [s.Action].flat().includes('s3:DeleteObject')).every((s) => !JSON.stringify(s.Resource).includes(id(synth.stack.retention.receipts)))).toBe(true);
  });

  it('turns every removal from the records table into a receipt: the stream (old images), REMOVE only, failures dead-lettered', () => {
    expect(resources[id(synth.stack.storage.table)]!.Properties.StreamSpecification).toEqual({ StreamViewType: 'OLD_IMAGE' });
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(synth.stack.retention.function.function) },
      EventSourceArn: { 'Fn::GetAtt': [id(synth.stack.storage.table), 'StreamArn'] },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['REMOVE'] }) }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [id(synth.stack.trigger.deadLetterQueue), 'Arn'] } } },
    });
  });

  it('writes a receipt for every lifecycle expiration of evidence: S3 reports to EventBridge, one rule routes them', () => {
    expect(resources[id(synth.stack.storage.bucket)]!.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Deleted'],
        detail: { bucket: { name: [{ Ref: id(synth.stack.storage.bucket) }] }, reason: ['Lifecycle Expiration'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id(synth.stack.retention.function.function), 'Arn'] } })],
    });
  });

  it('gives the archive and record functions the ledger to read (a check archived after a close starts on it)', () => {
    for (const fn of [...synth.stack.functions.all('archive'), synth.stack.functions.record]) {
      expect(resources[id(fn.function)]!.Properties.Environment.Variables.LEDGER_TABLE_NAME).toEqual({ Ref: id(synth.stack.retention.ledger) });
      expect(statementsOfRole(fn.role)).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [id(synth.stack.retention.ledger), 'Arn'] } });
    }
  });
});
