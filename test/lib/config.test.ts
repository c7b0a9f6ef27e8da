import { describe, expect, it } from 'vitest';
import { DEFAULT_POLLING_POLICY } from '../../lambdas/polling/polling-policy';
import { DEFAULT_RETENTION_POLICY } from '../../lambdas/records/retention';
import { DEFAULT_INDEX_SHARDS, MAX_INDEX_SHARDS } from '../../lambdas/records/table-schema';
import { InvalidConfigError, loadConfig, stateMachineTimeoutSeconds } from '../../lib/config';
import { DEFAULT_POLL_MAX_CONCURRENCY } from '../../lib/constructs/poll-queue';
import { WORST_RETRY_CHAIN_SECONDS } from '../../lib/constructs/polling-workflow';
import { CDK_JSON_CONTEXT } from './synth';

const from = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  loadConfig((key) => context[key], env);

describe('loadConfig', () => {
  it('documents every default in cdk.json, and they match the code defaults', () => {
    const config = from(CDK_JSON_CONTEXT);
    expect(config).toMatchObject({
      region: 'us-east-1',
      eventProducers: [],
      createdAtSkewSeconds: 86_400,
      eventSource: 'audit-archiver.checks',
      objectLockMode: 'GOVERNANCE',
      downloadExtraHosts: [],
      kycImageLinks: [],
      archiveLimits: {},
      indexShards: DEFAULT_INDEX_SHARDS,
      pollMaxConcurrency: DEFAULT_POLL_MAX_CONCURRENCY,
      providers: {
        liveness: { baseUrl: 'https://liveness.example.com' },
        kyc: { baseUrl: 'https://kyc.example.com' },
        verification: { baseUrl: 'https://verification.example.com' },
      },
    });
    expect(config.polling).toEqual(DEFAULT_POLLING_POLICY);
    expect(config.retention).toEqual(DEFAULT_RETENTION_POLICY);
    expect(from({ region: 'eu-west-1' })).toEqual({ ...config, region: 'eu-west-1' });
  });

  it('takes the region from the CLI profile when the context has none, and fails without either', () => {
    expect(from({}, { CDK_DEFAULT_REGION: 'eu-central-1' }).region).toBe('eu-central-1');
    expect(() => from({})).toThrow(/region/);
  });

  it('parses JSON given on the command line (-c key=value)', () => {
    const config = from({
      region: 'eu-west-1',
      downloadExtraHosts: '["cdn.example.net"]',
      polling: '{"maxSeconds": 30}',
      objectLockMode: 'COMPLIANCE',
      indexShards: '32',
      pollMaxConcurrency: '800',
    });
    expect(config.indexShards).toBe(32);
    expect(config.pollMaxConcurrency).toBe(800);
    expect(config.downloadExtraHosts).toEqual(['cdn.example.net']);
    expect(config.polling.maxSeconds).toBe(30);
    expect(config.objectLockMode).toBe('COMPLIANCE');
  });

  it('rejects bad values naming the path, never echoing the value', () => {
    const secretish = 'http://user:hunter2@liveness.example.com';
    const attempt = () => from({ region: 'eu-west-1', providers: { liveness: { baseUrl: secretish } } });
    expect(attempt).toThrow(InvalidConfigError);
    expect(attempt).toThrow(/providers\.liveness\.baseUrl/);
    expect(attempt).not.toThrow(/hunter2/);
    expect(() => from({ region: 'eu-west-1', providers: { kyc: { baseUrl: 'https://u:p@kyc.example.com' } } })).toThrow(
      /providers\.kyc\.baseUrl: must not carry credentials/,
    );
    expect(() => from({ region: 'eu-west-1', providers: { kyc: { secretArn: 'my-secret' } } })).toThrow(/providers\.kyc\.secretArn/);
    expect(() => from({ region: 'eu-west-1', objectLockMode: 'LEGAL' })).toThrow(/objectLockMode/);
    expect(() => from({ region: 'eu-west-1', kycImageLinks: ['imagesFull'] })).toThrow(/kycImageLinks/);
    expect(() => from({ region: 'eu-west-1', downloadExtraHosts: ['10.0.0.1'] })).toThrow(/downloadExtraHosts/);
    expect(() => from({ region: 'eu-west-1', archiveLimits: { maxImagesPerCheck: 0 } })).toThrow(/archiveLimits: .*maxImagesPerCheck/);
    expect(() => from({ region: 'eu-west-1', archiveLimits: { maxImagesPerChek: 10 } })).toThrow(/archiveLimits/);
    expect(from({ region: 'eu-west-1', archiveLimits: { maxImagesPerCheck: 50, maxBytesPerCheck: 64 * 1024 * 1024 } }).archiveLimits).toEqual({
      maxImagesPerCheck: 50,
      maxBytesPerCheck: 64 * 1024 * 1024,
    });
    expect(() => from({ region: 'eu-west-1', polling: { factor: 10 } })).toThrow(/polling\.factor/);
    for (const shards of [0, MAX_INDEX_SHARDS + 1, 2.5, '', 'many', true]) {
      expect(() => from({ region: 'eu-west-1', indexShards: shards })).toThrow(/indexShards/);
    }
    expect(from({ region: 'eu-west-1', indexShards: 1 }).indexShards).toBe(1);
    // SQS event source mappings take a maximum concurrency of 2 to 1,000 (standard mode).
    for (const batches of [1, 1_001, 2.5, '', 'all', false]) {
      expect(() => from({ region: 'eu-west-1', pollMaxConcurrency: batches })).toThrow(/pollMaxConcurrency/);
    }
    expect(from({ region: 'eu-west-1', pollMaxConcurrency: 2 }).pollMaxConcurrency).toBe(2);
    expect(() => from({ region: 'eu-west-1', retention: { classes: { 'aml-cdd': { days: 0, basis: 'x' } } } })).toThrow(
      /retention policy invalid at: classes\.aml-cdd\.days/,
    );
  });

  it('caps the polls of a check (they run in the poll loop, outside the execution history)', () => {
    expect(from({ region: 'eu-west-1', polling: { maxPolls: 50_000 } }).polling.maxPolls).toBe(50_000);
    expect(() => from({ region: 'eu-west-1', polling: { maxPolls: 50_001 } })).toThrow(/polling\.maxPolls/);
  });
});

describe('stateMachineTimeoutSeconds', () => {
  it('outlasts the longest polling budget (the escalation ceiling included) plus its last wait, in whole hours', () => {
    const policy = { ...DEFAULT_POLLING_POLICY, escalationSeconds: 6 * 3_600, maxEscalationSeconds: 3_600 };
    const timeout = stateMachineTimeoutSeconds(policy);
    const longest = Math.max(...Object.values(policy.maxPollingSeconds));
    // Plus the worst retry chain of the workflow's tasks (checked against the synthesized definition in
    // test/lib/constructs/polling-workflow.test.ts).
    expect(timeout).toBeGreaterThanOrEqual(longest + policy.escalationSeconds + WORST_RETRY_CHAIN_SECONDS);
    expect(timeout % 3_600).toBe(0);
    // By default the escalation ceiling (7 days) is the longest budget; the retry chain adds about five hours.
    expect(stateMachineTimeoutSeconds(DEFAULT_POLLING_POLICY)).toBe(
      7 * 86_400 + Math.ceil((Math.max(DEFAULT_POLLING_POLICY.maxSeconds, DEFAULT_POLLING_POLICY.escalationSeconds, 900) + WORST_RETRY_CHAIN_SECONDS) / 3_600) * 3_600,
    );
  });
});

describe('provider base URLs', () => {
  it('an empty or unparseable baseUrl is a config error naming the path, never an untyped crash', () => {
    for (const baseUrl of ['', 'not a url', 'https://']) {
      expect(() => from({ region: 'us-east-1', providers: { liveness: { baseUrl } } })).toThrow(InvalidConfigError);
    }
  });
});
