/** The webhook receiver's wiring, checked once at init: settings, secrets, the wake-up table and the poll queues. */
import { identifierKeyFromEnv } from '../common/identifier-key';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { PROVIDERS, type ProviderName } from '../checks/check-status';
import { jsonEnv, providerMapEnv, requiredEnv, type Env } from '../common/environment';
import { ConfigurationError } from '../common/errors';
import { createDynamoDocumentClient } from '../records/record-store';
import { createWakeStore } from '../polling/wake-store';
import type { ReceiverDeps } from './receiver';
import { webhooksSchema } from './settings';
import { secretsFrom } from './signature';

/** A cached secret is re-read after this long, so a rotation reaches every warm function within minutes. */
const SECRET_MAX_AGE_MS = 5 * 60_000;
/** A bad signature re-reads the secret at most this often: forged requests cannot turn into a Secrets Manager flood. */
const SECRET_REFRESH_MIN_MS = 30_000;

export function receiverDepsFromEnv(env: Env): ReceiverDeps {
  const config = jsonEnv(env, 'WEBHOOKS', (value) => webhooksSchema.parse(value), {});
  const sqs = new SQSClient({ maxAttempts: 4 });
  // Each provider's poll queue (its workflow's): for the providers whose webhooks are on.
  const queueUrls = providerMapEnv(env, 'POLL_QUEUE_URLS', enabledProviders(config));
  return {
    config,
    identifierKey: identifierKeyFromEnv(env),
    secrets: webhookSecretsFromEnv(env),
    wakes: createWakeStore({
      client: createDynamoDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
      tableName: requiredEnv(env, 'WAKE_TABLE_NAME'),
    }),
    send: async (provider, message) => {
      const queueUrl = queueUrls[provider];
      if (!queueUrl) throw new ConfigurationError(`webhooks: no poll queue for ${provider}`);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: 0 }));
    },
    now: () => new Date(),
  };
}

function enabledProviders(config: ReceiverDeps['config']): ProviderName[] {
  return PROVIDERS.filter((p) => config[p]?.enabled);
}

/**
 * Secrets Manager when WEBHOOK_SECRET_ARNS (JSON provider → ARN) is set, as the stack does; else WEBHOOK_SECRETS
 * (JSON provider → secret value), local mode's. A value may hold several secrets (a rotation; see signature.ts).
 */
export function webhookSecretsFromEnv(env: Env, client: () => SecretsManagerClient = () => new SecretsManagerClient({})): ReceiverDeps['secrets'] {
  const record = z.partialRecord(z.enum(PROVIDERS), z.string().min(1));
  const arns = jsonEnv(env, 'WEBHOOK_SECRET_ARNS', (value) => record.parse(value), undefined);
  if (!arns) {
    const values = jsonEnv(env, 'WEBHOOK_SECRETS', (value) => record.parse(value), {});
    return async (provider) => {
      const value = values[provider];
      if (!value) throw new ConfigurationError(`webhooks: no secret for ${provider}`);
      return secretsFrom(value);
    };
  }
  const sm = client();
  const cache = new Map<ProviderName, { at: number; secrets: Promise<string[]> }>();
  return async (provider, options = {}) => {
    const arn = arns[provider];
    if (!arn) throw new ConfigurationError(`webhooks: no secret ARN for ${provider}`);
    const cached = cache.get(provider);
    const age = cached ? Date.now() - cached.at : Infinity;
    if (cached && age < SECRET_MAX_AGE_MS && !(options.fresh && age >= SECRET_REFRESH_MIN_MS)) return cached.secrets;
    const secrets = sm.send(new GetSecretValueCommand({ SecretId: arn })).then(({ SecretString }) => secretsFrom(SecretString ?? ''));
    cache.set(provider, { at: Date.now(), secrets });
    secrets.catch(() => cache.delete(provider));
    return secrets;
  };
}
