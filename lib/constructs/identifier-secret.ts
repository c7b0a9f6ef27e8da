import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { IDENTIFIER_SECRET_ENV } from '../../lambdas/common/identifier-key';
import { DATA_REMOVAL_POLICY } from '../defaults';
import type { ArchiverFunction } from './archiver-function';

export interface IdentifierSecretProps {
  /** Encrypts the secret. */
  readonly encryptionKey: IKey;
}

/**
 * The key of every stored identifier (lambdas/common/identifier-key.ts): checkRefs and client/subject hashes are
 * HMAC-SHA256 with it, so a table, a log or an S3 key listing no longer lets anyone confirm a guessed check id or
 * client key. Generated at deploy (64 characters) and never rotated: a new key would give every check a new name.
 */
export class IdentifierSecret extends Construct {
  public readonly secret: Secret;

  constructor(scope: Construct, id: string, props: IdentifierSecretProps) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      secretName: `${Stack.of(this).stackName}/identifier-key`,
      description: 'audit-archiver: HMAC key of every checkRef and client hash. Never change it: every check would get a new name.',
      encryptionKey: props.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: DATA_REMOVAL_POLICY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'An HMAC key of stored identifiers: rotating it would rename every check and hide every record from lookups by id, so it is never rotated.',
    });
    new CfnOutput(Stack.of(this), 'IdentifierSecretArn', {
      value: this.secret.secretArn,
      description: 'The identifier key (audit-archiver --identifier-secret): name checks by id and clients by key',
    });
  }

  /** The function reads the key (GetSecretValue, decrypt through Secrets Manager) and is told where it is. */
  grantTo(fn: ArchiverFunction): void {
    this.grantRead(fn.role);
    fn.function.addEnvironment(IDENTIFIER_SECRET_ENV, this.secret.secretArn);
  }

  /**
   * Read access for a role or a managed policy (people: auditors, the records officer). Statements on the principal
   * only: the key's policy already defers to IAM, and naming principals in it would tie the key to every role.
   */
  grantRead(target: IGrantable | ManagedPolicy): void {
    const statements = [
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.secret.secretArn],
      }),
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.secret.encryptionKey!.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      }),
    ];
    for (const statement of statements) {
      if (target instanceof ManagedPolicy) target.addStatements(statement);
      else target.grantPrincipal.addToPrincipalPolicy(statement);
    }
  }
}
