import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { envCredentials, secretsManagerCredentials, secretValue } from '../../../lambdas/common/credentials';
import { caught, expectTypedError } from '../providers/support/helpers';

describe('envCredentials', () => {
  const env = { LIVENESS_API_KEY: 'live-SECRET', KYC_API_TOKEN: ' kyc-SECRET\n', VERIFICATION_API_KEY: '' };

  it('reads each provider from its variable (trimmed)', async () => {
    const source = envCredentials(env);
    expect(await source.get('liveness')).toBe('live-SECRET');
    expect(await source.get('kyc')).toBe('kyc-SECRET');
  });

  it('names the missing variable, not a value', async () => {
    const err = expectTypedError(await caught(envCredentials(env).get('verification')), 'ConfigurationError', false, ['SECRET']);
    expect(err.message).toContain('VERIFICATION_API_KEY');
    const unset = expectTypedError(await caught(envCredentials({}).get('kyc')), 'ConfigurationError', false);
    expect(unset.message).toContain('KYC_API_TOKEN');
  });

  it('defaults to process.env', async () => {
    process.env.LIVENESS_API_KEY = 'from-process-env';
    try {
      expect(await envCredentials().get('liveness')).toBe('from-process-env');
    } finally {
      delete process.env.LIVENESS_API_KEY;
    }
  });
});

describe('secretsManagerCredentials', () => {
  const sm = mockClient(SecretsManagerClient);
  const arns = {
    liveness: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:liveness-AbCdEf',
    kyc: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:kyc-AbCdEf',
  };
  beforeEach(() => sm.reset());

  it('fetches each secret once and caches it', async () => {
    sm.on(GetSecretValueCommand, { SecretId: arns.liveness }).resolves({ SecretString: 'raw-live-SECRET' });
    sm.on(GetSecretValueCommand, { SecretId: arns.kyc }).resolves({ SecretString: '{"token":"kyc-SECRET"}' });
    const source = secretsManagerCredentials(new SecretsManagerClient({ region: 'eu-west-1' }), arns);
    const all = await Promise.all([source.get('liveness'), source.get('liveness'), source.get('kyc')]);
    expect(all).toEqual(['raw-live-SECRET', 'raw-live-SECRET', 'kyc-SECRET']);
    expect(await source.get('liveness')).toBe('raw-live-SECRET');
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId).sort()).toEqual([arns.kyc, arns.liveness]);
  });

  it('fetches a secret again once a provider refused it (rotation), and a client refused with 401 triggers that', async () => {
    sm.on(GetSecretValueCommand, { SecretId: arns.liveness }).resolvesOnce({ SecretString: 'old-SECRET' }).resolves({ SecretString: 'new-SECRET' });
    const source = secretsManagerCredentials(new SecretsManagerClient({ region: 'eu-west-1' }), arns);
    expect(await source.get('liveness')).toBe('old-SECRET');

    const { createLivenessClient } = await import('../../../lambdas/providers/liveness/client');
    const { startTestServer } = await import('../providers/support/test-server');
    const server = await startTestServer();
    try {
      server.script({ status: 401, body: { error: 'bad key' } });
      const client = createLivenessClient({ baseUrl: server.baseUrl, credentials: source });
      expectTypedError(await caught(client.getStatus({ provider: 'liveness', checkId: 'tok' })), 'ProviderAuthError', false);
    } finally {
      await server.close();
    }
    expect(await source.get('liveness')).toBe('new-SECRET');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('throws ConfigurationError for a provider without an ARN, without calling AWS', async () => {
    const source = secretsManagerCredentials(new SecretsManagerClient({ region: 'eu-west-1' }), arns);
    const err = expectTypedError(await caught(source.get('verification')), 'ConfigurationError', false);
    expect(err.message).toContain('verification');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('maps permanent AWS errors to ConfigurationError, transient ones to a retryable error, without AWS messages', async () => {
    const notFound = Object.assign(new Error('Secrets Manager can not find SECRET-detail'), { name: 'ResourceNotFoundException' });
    const throttled = Object.assign(new Error('Rate exceeded SECRET-detail'), { name: 'ThrottlingException' });
    sm.on(GetSecretValueCommand, { SecretId: arns.liveness }).rejects(notFound);
    sm.on(GetSecretValueCommand, { SecretId: arns.kyc }).rejects(throttled);
    const source = secretsManagerCredentials(new SecretsManagerClient({ region: 'eu-west-1' }), arns);
    const permanent = expectTypedError(await caught(source.get('liveness')), 'ConfigurationError', false, ['SECRET-detail', arns.liveness]);
    expect(permanent.message).toContain('ResourceNotFoundException');
    expectTypedError(await caught(source.get('kyc')), 'ProviderUnavailableError', true, ['SECRET-detail']);
  });

  it('does not cache a failure: the next call tries again', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalServiceError' }))
      .resolves({ SecretString: '{"apiKey":"live-SECRET"}' });
    const source = secretsManagerCredentials(new SecretsManagerClient({ region: 'eu-west-1' }), arns);
    expectTypedError(await caught(source.get('liveness')), 'ProviderUnavailableError', true);
    expect(await source.get('liveness')).toBe('live-SECRET');
    expect(await source.get('liveness')).toBe('live-SECRET');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refuses a binary-only secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const source = secretsManagerCredentials(new SecretsManagerClient({ region: 'eu-west-1' }), arns);
    expectTypedError(await caught(source.get('kyc')), 'ConfigurationError', false);
  });
});

describe('secretValue', () => {
  it.each([
    ['raw-key', 'raw-key'],
    ['  raw-key\n', 'raw-key'],
    ['{"apiKey":"a-key"}', 'a-key'],
    ['{"token":"eyJ.x.y"}', 'eyJ.x.y'],
    ['{"apiKey":"a","token":"t"}', 'a'],
  ])('%j → %j', (secret, expected) => {
    expect(secretValue('liveness', secret)).toBe(expected);
  });

  it.each([undefined, '', '   ', '{"apiKey":""}', '{"other":"SECRET"}', '{"apiKey":42}', '{not json SECRET'])(
    'refuses %j without echoing it',
    (secret) => {
      let err: unknown;
      try {
        secretValue('kyc', secret);
      } catch (e) {
        err = e;
      }
      expectTypedError(err, 'ConfigurationError', false, ['SECRET']);
    },
  );
});
