import { CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ProviderName } from '../../lambdas/checks/check-status';
import { WAKE_TABLE_KEY, WAKE_TTL_ATTRIBUTE } from '../../lambdas/polling/wake-store';
import type { WebhookSettings } from '../../lambdas/webhooks/settings';
import { SIZING } from '../defaults';
import { ArchiverFunction } from './archiver-function';

/** One provider's poll loop: its function and its queue. */
export interface PollLoop {
  readonly pollFunction: LambdaFunction;
  readonly pollQueue: IQueue;
}

export type WebhookProviderConfig = WebhookSettings & { secretArn?: string };

export interface WebhookReceiverProps {
  /** The providers whose webhooks are on, with their settings (cdk.json `webhooks`). */
  readonly providers: Partial<Record<ProviderName, WebhookProviderConfig>>;
  /**
   * Each provider's poll loop (its workflow's): the poll function registers long waits in the wake-up table, and the
   * receiver sends a waiting loop's message again, due now, to that provider's poll queue. Only the loops of providers
   * whose webhooks are on are touched.
   */
  readonly pollLoops: Readonly<Partial<Record<ProviderName, PollLoop>>>;
  /** Encrypts the wake-up table and the webhook secrets (the workflow's data: messages carry task tokens, check ids). */
  readonly encryptionKey: IKey;
  readonly logKey: IKey;
}

/**
 * Webhook wake-ups (docs/webhooks.md): a Lambda Function URL, `POST {url}/{provider}`, for the providers whose webhooks
 * are on, the secrets it verifies signatures with, and the wake-up table it shares with the poll loop. The URL has no
 * IAM auth — providers cannot sign AWS requests — so the signature is the authentication, checked before anything is
 * written; what a notification can do is make a waiting check poll now, nothing else.
 */
export class WebhookReceiver extends Construct {
  public readonly table: TableV2;
  public readonly function: ArchiverFunction;
  public readonly url: string;
  public readonly secrets: Partial<Record<ProviderName, ISecret>>;

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const providers = Object.keys(props.providers) as ProviderName[];
    const loopOf = (provider: ProviderName): PollLoop => {
      const loop = props.pollLoops[provider];
      if (!loop) throw new Error(`webhooks are on for ${provider}, whose poll loop was not given`);
      return loop;
    };

    this.table = new TableV2(this, 'WakeUps', {
      partitionKey: { name: WAKE_TABLE_KEY, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.customerManagedKey(props.encryptionKey),
      timeToLiveAttribute: WAKE_TTL_ATTRIBUTE,
      // Only wake-ups in flight and recent delivery ids (two or three days): nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.secrets = Object.fromEntries(
      providers.map((provider) => {
        const arn = props.providers[provider]!.secretArn;
        if (arn) return [provider, Secret.fromSecretCompleteArn(this, `${provider}Secret`, arn)];
        const secretName = `${stack.stackName}/webhooks/${provider}`;
        const secret = new Secret(this, `${provider}Secret`, {
          secretName,
          description: `audit-archiver: the ${provider} webhook signing secret(s) (whsec_..., several space-separated during a rotation). The generated value is a placeholder.`,
          encryptionKey: props.encryptionKey,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: 'The provider issues the signing secret; a rotation adds the new one beside the old here (docs/webhooks.md), so Secrets Manager cannot rotate it.',
        });
        new CfnOutput(this, `${provider}WebhookSecretName`, { value: secretName, description: `Put the ${provider} webhook signing secret here` });
        return [provider, secret];
      }),
    );

    const settings = Object.fromEntries(providers.map((p) => [p, withoutArn(props.providers[p]!)]));
    this.function = new ArchiverFunction(this, 'Receiver', {
      entry: 'lambdas/handlers/webhook.ts',
      description: 'audit-archiver: verifies a provider webhook and wakes the check\'s poll loop',
      sizing: SIZING.webhook,
      logKey: props.logKey,
      environment: {
        WEBHOOKS: JSON.stringify(settings),
        WEBHOOK_SECRET_ARNS: stack.toJsonString(Object.fromEntries(providers.map((p) => [p, this.secrets[p]!.secretArn]))),
        WAKE_TABLE_NAME: this.table.tableName,
        POLL_QUEUE_URLS: stack.toJsonString(Object.fromEntries(providers.map((p) => [p, loopOf(p).pollQueue.queueUrl]))),
      },
    });
    for (const provider of providers) this.secrets[provider]!.grantRead(this.function.role);
    this.grantTable(this.function.role, ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], props.encryptionKey);
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: providers.map((p) => loopOf(p).pollQueue.queueArn) }),
    );
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${stack.region}.amazonaws.com` } },
      }),
    );
    const functionUrl = this.function.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    this.url = functionUrl.url;

    // The poll loops of the providers whose webhooks are on register their long waits (UpdateItem only).
    for (const provider of providers) {
      const { pollFunction } = loopOf(provider);
      pollFunction.addEnvironment('WAKE_TABLE_NAME', this.table.tableName);
      pollFunction.addEnvironment('WEBHOOK_PROVIDERS', provider);
      this.grantTable(pollFunction, ['dynamodb:UpdateItem'], props.encryptionKey);
    }
  }

  /** The wake-up table only, these actions only, its key only through DynamoDB. */
  private grantTable(grantee: IGrantable, actions: string[], key: IKey): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.table.tableArn] }));
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}

function withoutArn({ secretArn: _arn, ...settings }: WebhookProviderConfig): WebhookSettings {
  return settings;
}
