/** The poll function's wiring, checked once at init: provider clients and the polling policy. */
import { assertServed, credentialSourceOf, jsonEnv, listEnv, providerBaseUrl, requiredEnv, servedProviders, type Env } from '../common/environment';
import { createDynamoDocumentClient } from '../records/record-store';
import { ConfigurationError } from '../common/errors';
import { createProviderClient } from '../providers';
import { PROVIDERS, type ProviderName, type StatusSource } from '../checks/check-status';
import { DEFAULT_POLLING_POLICY, pollingPolicySchema } from './polling-policy';
import type { PollDeps } from './poll-check';
import { createWakeStore, type WakeStore } from './wake-store';

/** Clients for the providers the function serves (PROVIDER); another provider's check is refused (ProviderNotServedError). */
export function pollDepsFromEnv(env: Env, extras: Pick<PollDeps, 'logger' | 'onTransientError' | 'onUnknownStatus'> = {}): (provider: ProviderName) => PollDeps {
  const policy = jsonEnv(env, 'POLLING_POLICY', (value) => pollingPolicySchema.parse(value), DEFAULT_POLLING_POLICY);
  const credentials = credentialSourceOf(env);
  const served = servedProviders(env);
  const clients = new Map<ProviderName, StatusSource>(
    served.map((provider) => [provider, createProviderClient(provider, { baseUrl: providerBaseUrl(env, provider), credentials })]),
  );
  return (provider) => {
    assertServed(served, provider);
    const client = clients.get(provider);
    if (!client) throw new ConfigurationError('unknown provider');
    return { client, policy, now: () => new Date(), ...extras };
  };
}

/**
 * The wake-up table for the providers whose webhooks are on (WEBHOOK_PROVIDERS, comma-separated; WAKE_TABLE_NAME):
 * their loops register long waits so a notification can end them. Undefined for the others.
 */
export function wakeStoresFromEnv(env: Env): (provider: ProviderName) => WakeStore | undefined {
  const enabled = new Set(listEnv(env, 'WEBHOOK_PROVIDERS'));
  if (enabled.size === 0) return () => undefined;
  for (const provider of enabled) {
    if (!(PROVIDERS as readonly string[]).includes(provider)) throw new ConfigurationError('WEBHOOK_PROVIDERS names an unknown provider');
  }
  const store = createWakeStore({
    client: createDynamoDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
    tableName: requiredEnv(env, 'WAKE_TABLE_NAME'),
  });
  return (provider) => (enabled.has(provider) ? store : undefined);
}
