import { describe, expect, it } from 'vitest';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../lib/app';
import { PROVIDERS } from '../../lambdas/checks/check-status';
import { CDK_JSON_CONTEXT, synthesize } from './synth';

/** Every acknowledgment in the tree: construct path, rule id, reason. */
function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack', () => {
    const { app } = synthesize(); // Template.fromStack runs the plugins and would throw on a finding
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only these findings, each with a reason', () => {
    const { stack } = synthesize();
    const acks = acknowledgments(stack);
    for (const ack of acks) expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(40);
    const byRule = acks.map((a) => `${a.path.replace(/^AuditArchiver\//, '')} ${a.id.replace(/<[A-Za-z0-9]+\.Arn>/, '<Arn>')}`);
    expect(byRule.sort()).toEqual(
      [
        'AuditorApi/ArchiveReaderPolicy AwsSolutions-IAM5[Resource::<Arn>/*]',
        'AuditorApi/AuditorPolicy AwsSolutions-IAM5[Resource::arn:aws:execute-api:us-east-1:<AWS::AccountId>:<AuditorApi56B801F6>/$default/GET/checks/*]',
        'AuditorApi/Query/Role AwsSolutions-IAM5[Resource::<Arn>/*]',
        'DeadLetterRedrive/Redrive/Role AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'DeadLetterRedrive/Redrive/Role AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        // Each provider's archive function writes evidence of its provider's checks.
        ...PROVIDERS.map((p) => `Functions/${p[0]!.toUpperCase()}${p.slice(1)}Archive/Role AwsSolutions-IAM5[Resource::<Arn>/*]`),
        'Functions/Record/Role AwsSolutions-IAM5[Resource::<Arn>/*/manifest.json]',
        'Functions/Record/Role AwsSolutions-IAM5[Resource::<Arn>/*]',
        'Guard/RecordsOfficerPolicy AwsSolutions-IAM5[Resource::<Arn>/*]',
        'Identifiers/Secret AwsSolutions-SMG4',
        'ProviderSecrets/kyc AwsSolutions-SMG4',
        'ProviderSecrets/liveness AwsSolutions-SMG4',
        'ProviderSecrets/verification AwsSolutions-SMG4',
        ...PROVIDERS.map((p) => `Reconcile/Reconcile/Role AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:AuditArchiver-Workflow-${p}:*]`),
        'Retention/Retention/Role AwsSolutions-IAM5[Resource::<Arn>/*]',
        'Retention/Retention/Role AwsSolutions-IAM5[Resource::<Arn>/receipts/*]',
        'Retention/Retention/Role AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'Retention/Retention/Role AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        'Storage/AccessLogs AwsSolutions-S1',
        'Trigger/DeadLetters AwsSolutions-SQS3',
        'Trigger/Start/Role AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'Trigger/Start/Role AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        // One workflow per provider, each with the same findings.
        ...PROVIDERS.flatMap((p) => [
          `Workflow-${p}/PollQueue/DeadLetters AwsSolutions-SQS3`,
          `Workflow-${p}/StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Action::kms:GenerateDataKey*]`,
          `Workflow-${p}/StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]`,
          `Workflow-${p}/StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::<Arn>:*]`,
          `Workflow-${p}/StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::<Arn>:*]`,
        ]),
      ].sort(),
    );
  });

  it('fails the synth of this app when a resource breaks a rule (the check can fail)', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const stack = buildApp(app);
    new Queue(stack, 'PlainQueue'); // no SSL enforcement, no DLQ
    let message = '';
    try {
      Template.fromStack(stack);
    } catch (error) {
      message = String((error as Error).message);
    }
    expect(message).toMatch(/AwsSolutions-SQS3/);
    expect(message).toMatch(/AwsSolutions-SQS4/);
    expect(message).toContain('AuditArchiver/PlainQueue');
    // Only the added queue is reported: the rest of the stack stays clean.
    expect(message).not.toMatch(/AuditArchiver\/(Storage|Functions|Workflow|Trigger|ProviderSecrets)[-/]/);
  });
});
