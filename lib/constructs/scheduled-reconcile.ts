import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PROVIDERS, type ProviderName } from '../../lambdas/checks/check-status';
import { OPEN_CHECKS_INDEX } from '../../lambdas/records/table-schema';
import { SIZING } from '../defaults';
import { ArchiverFunction } from './archiver-function';
import type { EvidenceStorage } from './evidence-storage';
import type { PollingWorkflow } from './polling-workflow';

export interface ScheduledReconcileProps {
  /** Each provider's workflow: a check is recovered on its own provider's. */
  readonly workflows: Readonly<Record<ProviderName, PollingWorkflow>>;
  readonly storage: EvidenceStorage;
  /** Encrypts the function's log group. */
  readonly logKey: IKey;
  /** How often it runs. @default Duration.minutes(5): each run only reads the open checks that are due */
  readonly every?: Duration;
}

/**
 * Runs reconcile on a schedule (lambdas/handlers/reconcile.ts): open checks that are due — started and never recorded,
 * escalations whose workflow died, error records worth another try — are recovered without waiting for an operator.
 * Its role can describe, redrive and start executions of the workflows' state machines, query the open-checks index, and read
 * and update items (its claim, the next look) — nothing else.
 */
export class ScheduledReconcile extends Construct {
  public readonly function: ArchiverFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: ScheduledReconcileProps) {
    super(scope, id);
    const { workflows, storage } = props;
    const stack = Stack.of(this);
    this.function = new ArchiverFunction(this, 'Reconcile', {
      entry: 'lambdas/handlers/reconcile.ts',
      description: 'audit-archiver: recovers checks whose workflow ended without a record',
      sizing: SIZING.reconcile,
      logKey: props.logKey,
      environment: {
        STATE_MACHINE_ARNS: stack.toJsonString(Object.fromEntries(PROVIDERS.map((p) => [p, workflows[p].stateMachine.stateMachineArn]))),
        TABLE_NAME: storage.table.tableName,
      },
    });
    const role = this.function.role;
    // StartExecution plus the execution input's key, for each state machine's encryption context only.
    for (const provider of PROVIDERS) workflows[provider].grantStartExecution(role);
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:DescribeExecution', 'states:RedriveExecution'], resources: PROVIDERS.map((p) => workflows[p].executionsArn) }),
    );
    // Records: GetItem and UpdateItem on the table, Query on the open-checks index only; the key through DynamoDB only.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [storage.table.tableArn] }));
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${storage.table.tableArn}/index/${OPEN_CHECKS_INDEX.indexName}`] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        // Encrypt and GenerateDataKey too: reconcile writes (its claim, the next look), not only reads.
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [storage.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
      }),
    );
    for (const provider of PROVIDERS) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:aws:states:${stack.region}:<AWS::AccountId>:execution:${workflows[provider].stateMachineName}:*]`,
        reason: "Describe and redrive the executions of one provider's state machine; execution names are per check, unknown until run time.",
      });
    }

    this.rule = new Rule(this, 'Schedule', {
      description: 'audit-archiver: recover checks whose workflow ended without a record',
      schedule: Schedule.rate(props.every ?? Duration.minutes(5)),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });
  }
}
