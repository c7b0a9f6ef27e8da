import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PROVIDERS, type ProviderName } from '../../lambdas/checks/check-status';
import type { ProviderConfig } from '../config';

export interface ProviderSecretsProps {
  /** `secretArn` per provider: an existing secret is referenced, never copied. */
  readonly providers: Record<ProviderName, ProviderConfig>;
  /** Encrypts the secrets the stack creates. */
  readonly encryptionKey: IKey;
}

/**
 * Where each provider's credential (API key or JWT) lives. A provider with `secretArn` in the context uses that
 * secret; otherwise the stack creates `<stack>/<provider>` (random placeholder value) for an operator to fill in after
 * deploy, and outputs its name. Each provider's functions get that provider's ARN and read access to that secret
 * alone; they read the value at run time and never log it.
 */
export class ProviderSecrets extends Construct {
  public readonly secrets: Record<ProviderName, ISecret>;

  constructor(scope: Construct, id: string, props: ProviderSecretsProps) {
    super(scope, id);
    const entries = PROVIDERS.map((provider): [ProviderName, ISecret] => {
      const arn = props.providers[provider].secretArn;
      if (arn) return [provider, Secret.fromSecretCompleteArn(this, provider, arn)];

      // A name an operator can find: `<stack>/<provider>`.
      const secretName = `${Stack.of(this).stackName}/${provider}`;
      const secret = new Secret(this, provider, {
        secretName,
        description: `audit-archiver: ${provider} provider API key/JWT. Put the real value here after deploy (the generated one is a placeholder).`,
        encryptionKey: props.encryptionKey,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'The provider issues this credential; it is rotated at the provider and pasted here, so Secrets Manager cannot rotate it.',
      });
      new CfnOutput(this, `${provider}SecretName`, {
        value: secretName,
        description: `Secret to fill with the ${provider} provider credential`,
      });
      return [provider, secret];
    });
    this.secrets = Object.fromEntries(entries) as Record<ProviderName, ISecret>;
  }

  /**
   * `{"<provider>":arn}`, this provider's only: the PROVIDER_SECRET_ARNS environment variable of its functions (a
   * function of one provider is never told where another's secret is).
   */
  arnsJsonOf(provider: ProviderName): string {
    return Stack.of(this).toJsonString({ [provider]: this.secrets[provider].secretArn });
  }

  /** Read access (GetSecretValue, DescribeSecret, and decrypt through Secrets Manager) to this provider's secret only. */
  grantReadOf(provider: ProviderName, grantee: IGrantable): void {
    this.secrets[provider].grantRead(grantee);
  }
}
