/**
 * Where the functions get the identifier key (checks/check-ref.ts) from. In AWS a Secrets Manager secret the stack
 * generates (IDENTIFIER_KEY_SECRET_ARN): one GetSecretValue per execution environment, then every checkRef is a
 * local HMAC of microseconds. Locally the key itself (IDENTIFIER_KEY), which the local stack keeps in its data
 * directory so the CLI computes the same refs.
 *
 * Why not a KMS HMAC key (GenerateMac): every workflow function recomputes the checkRef of the state it receives (a
 * hand-started execution must not name another check's folder), so a check would cost one KMS request per poll,
 * archive and record step — a network round trip each (milliseconds, against microseconds), $0.03 per 10,000 and a
 * shared per-account request quota — where the secret costs one request per cold start. KMS would keep the key out of
 * the functions' memory; here it is held only in a private field that never serializes (IdentifierKey).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { IdentifierKey } from '../checks/check-ref';
import type { Env } from './environment';
import { ConfigurationError, ProviderUnavailableError } from './errors';

/** Local mode: the key itself. */
export const IDENTIFIER_KEY_ENV = 'IDENTIFIER_KEY';
/** AWS: the secret holding it (set by the stack). */
export const IDENTIFIER_SECRET_ENV = 'IDENTIFIER_KEY_SECRET_ARN';

export interface IdentifierKeySource {
  /** The key; cached once fetched. A failed fetch is not cached (the next call tries again). */
  get(): Promise<IdentifierKey>;
}

export function fixedIdentifierKey(key: IdentifierKey): IdentifierKeySource {
  return { get: async () => key };
}

/**
 * IDENTIFIER_KEY when set (local mode), else the secret named by IDENTIFIER_KEY_SECRET_ARN, read at the first `get`
 * (as the handlers read the rest of their environment per call). Neither set is a ConfigurationError then: a function
 * that never needs the key does not fail for it.
 */
export function identifierKeyFromEnv(env: Env, secretsClient: () => Pick<SecretsManagerClient, 'send'> = () => new SecretsManagerClient({})): IdentifierKeySource {
  let source: IdentifierKeySource | undefined;
  return {
    get() {
      source ??= sourceOf(env, secretsClient);
      return source.get();
    },
  };
}

function sourceOf(env: Env, secretsClient: () => Pick<SecretsManagerClient, 'send'>): IdentifierKeySource {
  const local = env[IDENTIFIER_KEY_ENV]?.trim();
  if (local) {
    try {
      return fixedIdentifierKey(keyOf(local, IDENTIFIER_KEY_ENV));
    } catch (error) {
      return { get: () => Promise.reject(error) };
    }
  }
  const arn = env[IDENTIFIER_SECRET_ENV]?.trim();
  if (!arn) {
    return {
      get: () => Promise.reject(new ConfigurationError(`identifier key: neither ${IDENTIFIER_SECRET_ENV} nor ${IDENTIFIER_KEY_ENV} is set`)),
    };
  }
  return secretIdentifierKey(secretsClient(), arn);
}

/** The key from a Secrets Manager secret (its SecretString), fetched once. */
export function secretIdentifierKey(client: Pick<SecretsManagerClient, 'send'>, secretId: string): IdentifierKeySource {
  let cached: Promise<IdentifierKey> | undefined;
  return {
    get() {
      if (cached) return cached;
      const pending = fetchKey(client, secretId);
      cached = pending;
      pending.catch(() => {
        if (cached === pending) cached = undefined;
      });
      return pending;
    },
  };
}

/** Names of Secrets Manager errors no retry fixes. */
const PERMANENT = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure', 'InvalidParameterException', 'InvalidRequestException', 'ValidationException']);

async function fetchKey(client: Pick<SecretsManagerClient, 'send'>, secretId: string): Promise<IdentifierKey> {
  let value: string | undefined;
  try {
    ({ SecretString: value } = await client.send(new GetSecretValueCommand({ SecretId: secretId })));
  } catch (error) {
    const name = error instanceof Error ? error.name : 'unknown error';
    const message = `identifier key: Secrets Manager failed (${name})`;
    if (PERMANENT.has(name)) throw new ConfigurationError(message);
    throw new ProviderUnavailableError(message);
  }
  return keyOf(value ?? '', 'the identifier secret');
}

function keyOf(value: string, where: string): IdentifierKey {
  try {
    return IdentifierKey.fromSecret(value);
  } catch {
    throw new ConfigurationError(`identifier key: ${where} must hold at least 32 characters`);
  }
}
