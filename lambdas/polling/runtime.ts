/** The poll function's wiring, checked once at init: provider clients and the polling policy. */
import { credentialSourceOf, jsonEnv, providerBaseUrl, type Env } from '../common/environment';
import { ConfigurationError } from '../common/errors';
import { createProviderClient } from '../providers';
import { PROVIDERS, type ProviderName, type StatusSource } from '../checks/check-status';
import { DEFAULT_POLLING_POLICY, pollingPolicySchema } from './polling-policy';
import type { PollDeps } from './poll-check';

export function pollDepsFromEnv(env: Env, extras: Pick<PollDeps, 'logger' | 'onTransientError' | 'onUnknownStatus'> = {}): (provider: ProviderName) => PollDeps {
  const policy = jsonEnv(env, 'POLLING_POLICY', (value) => pollingPolicySchema.parse(value), DEFAULT_POLLING_POLICY);
  const credentials = credentialSourceOf(env);
  const clients = new Map<ProviderName, StatusSource>(
    PROVIDERS.map((provider) => [provider, createProviderClient(provider, { baseUrl: providerBaseUrl(env, provider), credentials })]),
  );
  return (provider) => {
    const client = clients.get(provider);
    if (!client) throw new ConfigurationError('unknown provider');
    return { client, policy, now: () => new Date(), ...extras };
  };
}
