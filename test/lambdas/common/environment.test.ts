import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assertServed, credentialSourceOf, jsonEnv, listEnv, providerBaseUrl, providerMapEnv, requiredEnv, servedProviders } from '../../../lambdas/common/environment';
import { pollDepsFromEnv } from '../../../lambdas/polling/runtime';
import { ConfigurationError } from '../../../lambdas/common/errors';
import { pollingPolicySchema } from '../../../lambdas/polling/polling-policy';
import { parseRetentionPolicy } from '../../../lambdas/records/retention';
import { caught, expectTypedError } from '../providers/support/helpers';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return expect.fail('expected a throw');
}

/** A ConfigurationError whose message names `variable` and holds none of `values`. */
function expectConfigError(error: unknown, variable: string, values: readonly string[] = []): ConfigurationError {
  const typed = expectTypedError(error, 'ConfigurationError', false, values);
  expect(typed.message).toContain(variable);
  return typed as ConfigurationError;
}

describe('requiredEnv', () => {
  it('returns the value, trimmed', () => {
    expect(requiredEnv({ TABLE_NAME: '  records \n' }, 'TABLE_NAME')).toBe('records');
  });

  it.each([
    ['unset', {}],
    ['empty', { TABLE_NAME: '' }],
    ['blank', { TABLE_NAME: ' \t ' }],
  ])('names a variable that is %s', (_name, env) => {
    const error = expectConfigError(thrown(() => requiredEnv(env, 'TABLE_NAME')), 'TABLE_NAME');
    expect(error.message).toBe('environment variable TABLE_NAME is not set');
  });

  it('providerBaseUrl reads each provider’s own variable', () => {
    const env = { LIVENESS_API_URL: 'https://l.test', KYC_API_URL: 'https://k.test/v1', VERIFICATION_API_URL: 'https://v.test' };
    expect([providerBaseUrl(env, 'liveness'), providerBaseUrl(env, 'kyc'), providerBaseUrl(env, 'verification')]).toEqual([
      'https://l.test',
      'https://k.test/v1',
      'https://v.test',
    ]);
    expectConfigError(thrown(() => providerBaseUrl({ ...env, KYC_API_URL: undefined }, 'kyc')), 'KYC_API_URL');
  });
});

describe('jsonEnv', () => {
  const schema = z.object({ limit: z.number().int().min(1), nested: z.object({ name: z.string() }).optional() }).strict();
  const parse = (value: unknown) => schema.parse(value);
  const fallback = { limit: 7 };

  it('parses and checks the value', () => {
    expect(jsonEnv({ SETTINGS: ' {"limit": 3, "nested": {"name": "n"}} ' }, 'SETTINGS', parse, fallback)).toEqual({ limit: 3, nested: { name: 'n' } });
  });

  it.each([
    ['unset', {}],
    ['empty', { SETTINGS: '' }],
    ['blank', { SETTINGS: '   ' }],
  ])('returns the fallback when %s', (_name, env) => {
    expect(jsonEnv(env, 'SETTINGS', parse, fallback)).toBe(fallback);
  });

  it('names a variable that is not JSON, without its text', () => {
    const error = expectConfigError(thrown(() => jsonEnv({ SETTINGS: '{"limit": SECRET' }, 'SETTINGS', parse, fallback)), 'SETTINGS', ['SECRET']);
    expect(error.message).toBe('environment variable SETTINGS is not valid JSON');
  });

  it.each([
    ['a wrong type at the root', '"SECRET"', '(root)'],
    ['a bad field', '{"limit": 0}', 'limit'],
    ['a bad nested field', '{"limit": 1, "nested": {"name": 5}}', 'nested.name'],
    ['an unknown key', '{"limit": 1, "SECRET": 1}', '(root)'],
    ['two bad fields', '{"limit": "SECRET", "nested": []}', 'limit, nested'],
  ])('names the paths of %s, never the values', (_name, raw, paths) => {
    const error = expectConfigError(thrown(() => jsonEnv({ SETTINGS: raw }, 'SETTINGS', parse, fallback)), 'SETTINGS', ['SECRET']);
    expect(error.message).toBe(`environment variable SETTINGS is invalid at: ${paths}`);
  });

  it('a parser’s own ConfigurationError still names the variable', () => {
    const error = expectConfigError(
      thrown(() => jsonEnv({ RETENTION_POLICY: '{"classes": {"aml-cdd": {"days": -1}}}' }, 'RETENTION_POLICY', parseRetentionPolicy, parseRetentionPolicy({}))),
      'RETENTION_POLICY',
    );
    expect(error.message).toMatch(/^environment variable RETENTION_POLICY is invalid: retention policy invalid at: classes\.aml-cdd\.days/);
  });

  it('any other parser failure is a ConfigurationError naming the variable, without the parser’s message', () => {
    const failing = () => {
      throw new TypeError('parser saw SECRET');
    };
    const error = expectConfigError(thrown(() => jsonEnv({ SETTINGS: '{}' }, 'SETTINGS', failing, fallback)), 'SETTINGS', ['SECRET']);
    expect(error.message).toBe('environment variable SETTINGS is invalid');
  });

  it('reads the polling policy as the poll function does (a refinement error has the root path)', () => {
    const policy = (raw: string) => jsonEnv({ POLLING_POLICY: raw }, 'POLLING_POLICY', (value) => pollingPolicySchema.parse(value), undefined);
    expect(policy('{"initialSeconds": 5}')).toMatchObject({ initialSeconds: 5, factor: 2 });
    expect(expectConfigError(thrown(() => policy('{"initialSeconds": 30, "maxSeconds": 10}')), 'POLLING_POLICY').message).toBe(
      'environment variable POLLING_POLICY is invalid at: (root)',
    );
    expect(expectConfigError(thrown(() => policy('{"maxPollingSeconds": {"kyc": 5}}')), 'POLLING_POLICY').message).toContain('maxPollingSeconds.kyc');
  });
});

describe('listEnv', () => {
  it.each([
    ['unset', undefined, []],
    ['empty', '', []],
    ['one entry', 'a.test', ['a.test']],
    ['entries with blanks and empty items', ' a.test, ,b.test ,,', ['a.test', 'b.test']],
  ])('%s', (_name, value, expected) => {
    expect(listEnv({ HOSTS: value }, 'HOSTS')).toEqual(expected);
  });
});

describe('credentialSourceOf', () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => sm.reset());
  const arns = {
    liveness: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:liveness-AbCdEf',
    kyc: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:kyc-AbCdEf',
  };
  const localVars = { LIVENESS_API_KEY: 'env-live-key', KYC_API_TOKEN: 'env-kyc-token', VERIFICATION_API_KEY: 'env-ver-key' };

  it('uses Secrets Manager when PROVIDER_SECRET_ARNS is set, ignoring the local variables', async () => {
    sm.on(GetSecretValueCommand, { SecretId: arns.liveness }).resolves({ SecretString: '{"apiKey":"sm-live-key"}' });
    sm.on(GetSecretValueCommand, { SecretId: arns.kyc }).resolves({ SecretString: 'sm-kyc-token' });
    const source = credentialSourceOf({ PROVIDER_SECRET_ARNS: JSON.stringify(arns), ...localVars });
    expect(await source.get('liveness')).toBe('sm-live-key');
    expect(await source.get('kyc')).toBe('sm-kyc-token');
    expect(await source.get('liveness')).toBe('sm-live-key');
    expect(sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId)).toEqual([arns.liveness, arns.kyc]);
    // A provider without an ARN is a configuration error, not a fallback to a variable.
    expectConfigError(await caught(source.get('verification')), 'verification', ['env-ver-key']);
  });

  it('builds the Secrets Manager client with the factory given, only when ARNs are configured', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'sm-value' });
    const built: SecretsManagerClient[] = [];
    const factory = () => {
      const client = new SecretsManagerClient({ region: 'eu-west-1' });
      built.push(client);
      return client;
    };
    credentialSourceOf(localVars, factory);
    expect(built).toHaveLength(0);
    expect(await credentialSourceOf({ PROVIDER_SECRET_ARNS: JSON.stringify(arns) }, factory).get('kyc')).toBe('sm-value');
    expect(built).toHaveLength(1);
  });

  it.each([
    ['unset', {}],
    ['blank', { PROVIDER_SECRET_ARNS: ' ' }],
  ])('uses the local variables when PROVIDER_SECRET_ARNS is %s, without calling AWS', async (_name, env) => {
    const source = credentialSourceOf({ ...env, ...localVars });
    expect(await Promise.all([source.get('liveness'), source.get('kyc'), source.get('verification')])).toEqual([
      'env-live-key',
      'env-kyc-token',
      'env-ver-key',
    ]);
    expectConfigError(await caught(credentialSourceOf({}).get('kyc')), 'KYC_API_TOKEN');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it.each([
    ['not JSON', 'arn:aws:secretsmanager:HIDDEN', 'environment variable PROVIDER_SECRET_ARNS is not valid JSON'],
    ['not an object', '["arn:aws:secretsmanager:HIDDEN"]', 'environment variable PROVIDER_SECRET_ARNS is invalid at: (root)'],
    ['an ARN that is not a string', '{"liveness": 12345, "kyc": "arn:aws:secretsmanager:HIDDEN"}', 'environment variable PROVIDER_SECRET_ARNS is invalid at: liveness'],
  ])('refuses PROVIDER_SECRET_ARNS that is %s at init, naming the variable only', (_name, raw, message) => {
    const error = expectConfigError(thrown(() => credentialSourceOf({ PROVIDER_SECRET_ARNS: raw, ...localVars })), 'PROVIDER_SECRET_ARNS', ['HIDDEN', '12345']);
    expect(error.message).toBe(message);
  });
});

describe('one provider per function (PROVIDER), and the per-provider maps', () => {
  it('serves the one provider PROVIDER names, or every provider when unset (local mode)', () => {
    expect(servedProviders({ PROVIDER: 'kyc' })).toEqual(['kyc']);
    expect(servedProviders({})).toEqual(['liveness', 'kyc', 'verification']);
    expectConfigError(thrown(() => servedProviders({ PROVIDER: 'acme' })), 'PROVIDER', ['acme']);
  });

  it("refuses another provider's check with ProviderNotServedError (not retryable: Record failure records it)", () => {
    const error = thrown(() => assertServed(['kyc'], 'liveness'));
    expectTypedError(error, 'ProviderNotServedError', false);
    expect(() => assertServed(['kyc'], 'kyc')).not.toThrow();
  });

  it('the poll function of one provider builds only its client and refuses the others', () => {
    const env = { PROVIDER: 'verification', VERIFICATION_API_URL: 'https://verification.example.test', VERIFICATION_API_KEY: 'k' };
    const depsFor = pollDepsFromEnv(env);
    expect(depsFor('verification').client).toBeDefined();
    expectTypedError(thrown(() => depsFor('liveness')), 'ProviderNotServedError', false);
    // Another provider's URL is not needed (the stack does not give it).
    expectConfigError(thrown(() => pollDepsFromEnv({ PROVIDER: 'kyc' })), 'KYC_API_URL');
  });

  it('reads a provider map (STATE_MACHINE_ARNS, POLL_QUEUE_URLS) and names the providers it lacks', () => {
    expect(providerMapEnv({ M: '{"kyc":"a"}' }, 'M', ['kyc'])).toEqual({ kyc: 'a' });
    expect((expectConfigError(thrown(() => providerMapEnv({ M: '{"kyc":"a"}' }, 'M')), 'M')).message).toContain('liveness, verification');
    expectConfigError(thrown(() => providerMapEnv({}, 'M')), 'M');
    expectConfigError(thrown(() => providerMapEnv({ M: '{"fax":"a"}' }, 'M')), 'M');
  });
});
