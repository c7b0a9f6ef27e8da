import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IdentifierKey, checkRefOf } from '../../../lambdas/checks/check-ref';
import { ConfigurationError, ProviderUnavailableError } from '../../../lambdas/common/errors';
import { IDENTIFIER_KEY_ENV, IDENTIFIER_SECRET_ENV, identifierKeyFromEnv } from '../../../lambdas/common/identifier-key';

const SECRET = 'Zq3v9Lk2Wm8Rt5Yp1Xc7Nb4Hj6Gf0Ds2Ae9Uo3Ii5Kk8Ll1Mm4Nn7Pp0Qq2Rr6S';
const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:AuditArchiver/identifier-key-AbCdEf';
const ref = (key: IdentifierKey) => checkRefOf(key, 'liveness', 'tok_1');

describe('identifierKeyFromEnv', () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => sm.reset());

  it('local mode: the key from IDENTIFIER_KEY, no Secrets Manager call', async () => {
    const key = await identifierKeyFromEnv({ [IDENTIFIER_KEY_ENV]: SECRET, [IDENTIFIER_SECRET_ENV]: ARN }, () => new SecretsManagerClient({})).get();
    expect(ref(key)).toBe(ref(IdentifierKey.fromSecret(SECRET)));
    expect(sm.calls()).toHaveLength(0);
  });

  it('AWS: one GetSecretValue of the named secret, cached for the life of the process', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: SECRET });
    const source = identifierKeyFromEnv({ [IDENTIFIER_SECRET_ENV]: ARN }, () => new SecretsManagerClient({}));
    const [a, b] = [await source.get(), await source.get()];
    expect(ref(a)).toBe(ref(IdentifierKey.fromSecret(SECRET)));
    expect(a).toBe(b);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('a throttled fetch is retryable and not cached; a refused one is a configuration error', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' })).resolves({ SecretString: SECRET });
    const source = identifierKeyFromEnv({ [IDENTIFIER_SECRET_ENV]: ARN }, () => new SecretsManagerClient({}));
    await expect(source.get()).rejects.toBeInstanceOf(ProviderUnavailableError);
    await expect(source.get()).resolves.toBeInstanceOf(IdentifierKey);

    sm.reset();
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    const denied = identifierKeyFromEnv({ [IDENTIFIER_SECRET_ENV]: ARN }, () => new SecretsManagerClient({}));
    await expect(denied.get()).rejects.toThrow(new ConfigurationError('identifier key: Secrets Manager failed (AccessDeniedException)'));
  });

  it('a secret too short, or no variable at all, is a configuration error that names no value', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'tiny-secret' });
    const short = identifierKeyFromEnv({ [IDENTIFIER_SECRET_ENV]: ARN }, () => new SecretsManagerClient({}));
    const error = (await short.get().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).not.toContain('tiny-secret');
    await expect(identifierKeyFromEnv({}).get()).rejects.toThrow(/neither IDENTIFIER_KEY_SECRET_ARN nor IDENTIFIER_KEY is set/);
    await expect(identifierKeyFromEnv({ [IDENTIFIER_KEY_ENV]: 'short' }).get()).rejects.toBeInstanceOf(ConfigurationError);
  });
});
