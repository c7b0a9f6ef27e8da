/**
 * The functions' configuration, read from their environment once at init (the stack sets it; local mode sets the
 * same variables). A missing or malformed value is a ConfigurationError naming the variable, never its value.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { PROVIDERS, type ProviderName } from '../checks/check-status';
import { envCredentials, secretsManagerCredentials, type CredentialSource } from './credentials';
import { ConfigurationError, ProviderNotServedError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

export const PROVIDER_URL_VARS: Readonly<Record<ProviderName, string>> = {
  liveness: 'LIVENESS_API_URL',
  kyc: 'KYC_API_URL',
  verification: 'VERIFICATION_API_URL',
};

export function requiredEnv(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

/**
 * A JSON variable checked by `parse`; `fallback` when unset. A parser's own ConfigurationError (value-free by contract)
 * is kept as the detail, prefixed with the variable's name: the operator must learn which variable to fix.
 */
export function jsonEnv<T>(env: Env, name: string, parse: (value: unknown) => T, fallback: T): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(`environment variable ${name} is not valid JSON`);
  }
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new ConfigurationError(`environment variable ${name} is invalid: ${error.message}`);
    const paths = error instanceof z.ZodError ? [...new Set(error.issues.map((i) => i.path.join('.') || '(root)'))].join(', ') : '';
    throw new ConfigurationError(`environment variable ${name} is invalid${paths ? ` at: ${paths}` : ''}`);
  }
}

/** A comma-separated list; empty entries dropped. */
export function listEnv(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

export function providerBaseUrl(env: Env, provider: ProviderName): string {
  return requiredEnv(env, PROVIDER_URL_VARS[provider]);
}

/**
 * The providers a workflow function serves: PROVIDER (one name; the stack gives each provider its own poll and
 * archive functions, with that provider's secret only), or every provider when unset (local mode, one process).
 */
export function servedProviders(env: Env): readonly ProviderName[] {
  const provider = env.PROVIDER?.trim();
  if (!provider) return PROVIDERS;
  if (!(PROVIDERS as readonly string[]).includes(provider)) throw new ConfigurationError('environment variable PROVIDER names an unknown provider');
  return [provider as ProviderName];
}

/** Refuses a provider outside `served` with ProviderNotServedError (recorded as the check's failure). */
export function assertServed(served: readonly ProviderName[], provider: ProviderName): void {
  if (!(PROVIDERS as readonly string[]).includes(provider)) throw new ConfigurationError('unknown provider');
  if (!served.includes(provider)) throw new ProviderNotServedError(`this function serves ${served.join(', ')}, not ${provider}`);
}

/** A JSON map provider → value (STATE_MACHINE_ARNS, POLL_QUEUE_URLS): `required` providers must be present. */
export function providerMapEnv(env: Env, name: string, required: readonly ProviderName[] = PROVIDERS): Partial<Record<ProviderName, string>> {
  const map = jsonEnv(env, name, (value) => z.partialRecord(z.enum(PROVIDERS), z.string().min(1)).parse(value), undefined);
  if (!map) throw new ConfigurationError(`environment variable ${name} is not set`);
  const missing = required.filter((p) => !map[p]);
  if (missing.length) throw new ConfigurationError(`environment variable ${name} has no entry for ${missing.join(', ')}`);
  return map;
}

/**
 * Secrets Manager when PROVIDER_SECRET_ARNS (JSON provider → ARN, set by the stack: the function's own provider
 * only) is present; otherwise the
 * local-mode variables LIVENESS_API_KEY / KYC_API_TOKEN / VERIFICATION_API_KEY.
 */
export function credentialSourceOf(env: Env, secretsClient: () => SecretsManagerClient = () => new SecretsManagerClient({})): CredentialSource {
  const arns = jsonEnv(env, 'PROVIDER_SECRET_ARNS', (value) => z.partialRecord(z.enum(PROVIDERS), z.string().min(1)).parse(value), undefined);
  return arns ? secretsManagerCredentials(secretsClient(), arns) : envCredentials(env as NodeJS.ProcessEnv);
}
