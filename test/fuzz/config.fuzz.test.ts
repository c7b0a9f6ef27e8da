/**
 * Fuzzing configuration and arguments: the retention policy (object or JSON text, as its environment variable
 * carries it), the archive settings, JSON environment variables, the CDK context, and the soak's command line. Each is
 * accepted whole or refused with a typed error naming paths, never values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArchiveSettings } from '../../lambdas/archive/settings';
import { jsonEnv } from '../../lambdas/common/environment';
import { ConfigurationError } from '../../lambdas/common/errors';
import { pollingPolicySchema } from '../../lambdas/polling/polling-policy';
import { DEFAULT_RETENTION_POLICY, computeRetention, parseRetentionPolicy } from '../../lambdas/records/retention';
import { InvalidConfigError, loadConfig } from '../../lib/config';
import { SoakUsageError, parseSoakArgs } from '../../local/reliability/soak-args';
import { CANARY, nearMiss, truncatedJson, typedOrValue } from './support';

const RETENTION = {
  classes: { custom: { days: 30, basis: 'archived' } },
  rules: [
    { provider: 'liveness', class: 'custom' },
    { provider: 'kyc', outcomes: ['success'], class: 'aml-cdd' },
  ],
  defaultClass: 'no-result',
};

describe('retention policy', () => {
  const input = fc.oneof(
    { weight: 4, arbitrary: nearMiss(RETENTION) },
    { weight: 2, arbitrary: nearMiss(DEFAULT_RETENTION_POLICY) },
    truncatedJson(RETENTION),
    nearMiss(RETENTION).map((value) => JSON.stringify(value) ?? ''),
    fc.anything(),
  );

  it('parses to a policy every provider and outcome can be retained under, or throws ConfigurationError', () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(input, fc.constantFrom('liveness', 'kyc', 'verification') , fc.constantFrom('passed', 'success', 'expired', 'error'), (config, provider, outcome) => {
        const { value } = typedOrValue(() => parseRetentionPolicy(config), [ConfigurationError]);
        if (!value) return void (seen.invalid += 1);
        seen.valid += 1;
        const { retention } = computeRetention(value, { provider, outcome, now: new Date('2026-03-19T10:00:00Z') });
        expect(Number.isNaN(Date.parse(retention.retainUntil))).toBe(false);
      }),
      { numRuns: 600 },
    );
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
  });
});

describe('archive settings and JSON environment variables', () => {
  const SETTINGS = { maxFrameBytes: 5_242_880, maxImageBytes: 26_214_400, concurrency: 4, kycImageLinks: ['images'], retention: RETENTION };
  it('parseArchiveSettings: settings or ConfigurationError', () => {
    fc.assert(
      fc.property(fc.oneof(nearMiss(SETTINGS), fc.anything()), (input) => {
        const { value } = typedOrValue(() => parseArchiveSettings(input), [ConfigurationError]);
        if (value) expect(value.limits.concurrency).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it('jsonEnv with the polling policy: a policy or ConfigurationError, whatever the variable holds', () => {
    const policy = { initialSeconds: 2, factor: 1.6, maxSeconds: 60, maxTransientErrors: 8 };
    const text = fc.oneof(nearMiss(policy).map((v) => JSON.stringify(v) ?? ''), truncatedJson(policy), fc.string());
    fc.assert(
      fc.property(text, (raw) => {
        typedOrValue(() => jsonEnv({ POLLING_POLICY: raw }, 'POLLING_POLICY', (v) => pollingPolicySchema.parse(v), pollingPolicySchema.parse({})), [ConfigurationError]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('CDK context', () => {
  const CONTEXT: Record<string, unknown> = {
    region: 'eu-central-1',
    providers: { liveness: { baseUrl: 'https://liveness.example' }, kyc: { baseUrl: 'https://kyc.example/v1' }, verification: { baseUrl: 'https://verify.example' } },
    polling: { initialSeconds: 2, factor: 1.6, maxSeconds: 60 },
    retention: RETENTION,
    objectLockMode: 'COMPLIANCE',
    kycImageLinks: ['images'],
  };
  it('loadConfig: a config or InvalidConfigError naming paths', () => {
    fc.assert(
      fc.property(fc.oneof(nearMiss(CONTEXT), fc.dictionary(fc.constantFrom('region', 'providers', 'polling', 'retention', 'objectLockMode', 'kycImageLinks'), fc.jsonValue())), (context) => {
        const read = (key: string) => (context as Record<string, unknown> | null | undefined)?.[key];
        typedOrValue(() => loadConfig(read, {}), [InvalidConfigError]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('soak command line', () => {
  const token = fc.oneof(
    fc.constantFrom('--checks', '--seed', '--time-factor', '--no-storage-faults', '--echo', '--results', '--checks=10', '--seed=-1', '-x', '--', 'soak'),
    fc.string({ maxLength: 8 }),
    fc.integer().map(String),
  );
  it('parses to arguments or throws SoakUsageError', () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6 }), (argv) => {
        const { value } = typedOrValue(() => parseSoakArgs(argv), [SoakUsageError]);
        if (!value) return void (seen.invalid += 1);
        seen.valid += 1;
        expect(value.checks).toBeGreaterThanOrEqual(1);
        expect(value.results).toMatch(/^[\w-]{1,64}$/);
      }),
      { numRuns: 500 },
    );
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
    expect(CANARY).toBeTruthy();
  });
});
