import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ProviderName } from '../checks/check-status';
import { ConfigurationError, ProviderUnavailableError } from './errors';

/**
 * Where a provider client gets its secret from. Locally an environment variable, in AWS Secrets Manager
 * (wired by the stack). Implementations cache, and never log the value.
 */
export interface CredentialSource {
  get(provider: ProviderName): Promise<string>;
  /** Forgets a cached value the provider refused (a rotated secret): the next `get` fetches it again. */
  invalidate?(provider: ProviderName): void;
}

/** The environment variable holding each provider's secret in local mode. */
export const CREDENTIAL_ENV_VARS: Readonly<Record<ProviderName, string>> = Object.freeze({
  liveness: 'LIVENESS_API_KEY',
  kyc: 'KYC_API_TOKEN',
  verification: 'VERIFICATION_API_KEY',
});

/** Credentials from environment variables, read when asked for (a function only needs its own provider's). */
export function envCredentials(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  return {
    async get(provider) {
      const name = CREDENTIAL_ENV_VARS[provider];
      const value = name === undefined ? undefined : env[name]?.trim();
      if (!value) {
        throw new ConfigurationError(`credentials: environment variable ${name ?? '(unknown provider)'} is not set`);
      }
      return value;
    },
  };
}

/** AWS error names that no retry will fix: the ARN, the policy or the key is wrong. */
const PERMANENT_SECRET_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidParameterException',
  'InvalidRequestException',
  'ValidationException',
]);

/**
 * Credentials from Secrets Manager, one GetSecretValue per provider for the life of the process. A failed fetch is
 * not cached, so the next attempt (a Step Functions retry in the same container) tries again. The secret string is
 * the raw value or JSON `{"apiKey": "..."}` / `{"token": "..."}`.
 */
export function secretsManagerCredentials(
  client: SecretsManagerClient,
  arns: Partial<Record<ProviderName, string>>,
): CredentialSource {
  const cache = new Map<ProviderName, Promise<string>>();
  return {
    invalidate(provider) {
      cache.delete(provider);
    },
    get(provider) {
      const cached = cache.get(provider);
      if (cached) return cached;
      const pending = fetchSecret(client, provider, arns[provider]);
      cache.set(provider, pending);
      pending.catch(() => {
        if (cache.get(provider) === pending) cache.delete(provider);
      });
      return pending;
    },
  };
}

async function fetchSecret(
  client: SecretsManagerClient,
  provider: ProviderName,
  arn: string | undefined,
): Promise<string> {
  if (!arn) throw new ConfigurationError(`credentials: no secret ARN configured for ${provider}`);
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: arn })));
  } catch (err) {
    // Only the AWS error name: its message is not ours to vouch for.
    const name = err instanceof Error ? err.name : 'unknown error';
    const message = `credentials: Secrets Manager failed for ${provider} (${name})`;
    if (PERMANENT_SECRET_ERRORS.has(name)) throw new ConfigurationError(message);
    throw new ProviderUnavailableError(message);
  }
  return secretValue(provider, secretString);
}

/** The credential inside a secret string: raw, or JSON with `apiKey` or `token`. */
export function secretValue(provider: ProviderName, secretString: string | undefined): string {
  const raw = secretString?.trim();
  const invalid = () =>
    new ConfigurationError(
      `credentials: the ${provider} secret must be a non-empty string or JSON {"apiKey": "..."} / {"token": "..."}`,
    );
  if (!raw) throw invalid();
  if (!raw.startsWith('{')) return raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid();
  }
  const fields = parsed as { apiKey?: unknown; token?: unknown };
  const value = typeof fields.apiKey === 'string' ? fields.apiKey : fields.token;
  if (typeof value !== 'string' || value.trim() === '') throw invalid();
  return value.trim();
}
