import { ArnFormat, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DATA_REMOVAL_POLICY } from '../defaults';

/**
 * The keys of what is not evidence or records (EvidenceStorage holds those two): one for the workflow's own data
 * (provider secrets, the dead-letter queue, execution state, the alarm topic) and one for the log groups. A grant on
 * one data class never opens another: the start function's queue and state grants cannot decrypt evidence or records,
 * and the logs service can use only the logs key, for this account's log groups.
 */
export class ServiceKeys extends Construct {
  /** Provider secrets, the dead-letter queue, workflow state and the alarm topic. */
  public readonly operations: Key;
  /** CloudWatch log groups of the functions, the workflow and the auditor API. */
  public readonly logs: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.operations = new Key(this, 'Operations', {
      description: 'audit-archiver: provider secrets, dead letters, workflow state, alarm topic',
      enableKeyRotation: true,
      removalPolicy: DATA_REMOVAL_POLICY,
    });
    // Step Functions' log delivery (delivery.logs.amazonaws.com) gets kms:Decrypt* on the state key from CDK, with no
    // condition: deny it for any call not made on behalf of this account's log deliveries (the confused deputy).
    const deliveries = stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME });
    this.operations.addToResourcePolicy(
      new PolicyStatement({
        sid: 'LogDeliveryOnlyForThisAccount',
        effect: Effect.DENY,
        principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['kms:*'],
        resources: ['*'],
        conditions: { StringNotEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.operations.addToResourcePolicy(
      new PolicyStatement({
        sid: 'LogDeliveryOnlyForThisAccountsLogs',
        effect: Effect.DENY,
        principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['kms:*'],
        resources: ['*'],
        conditions: { ArnNotLike: { 'aws:SourceArn': deliveries } },
      }),
    );
    this.logs = new Key(this, 'Logs', {
      description: 'audit-archiver: log groups',
      enableKeyRotation: true,
      removalPolicy: DATA_REMOVAL_POLICY,
    });
    // CloudWatch Logs encrypts this account's log groups with the key: the encryption context names the log group,
    // and the confused-deputy conditions tie the service's call to this account.
    const logGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.logs.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccount',
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroups, 'aws:SourceArn': logGroups },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
  }
}
