import { describe, expect, it } from 'vitest';
import { checkRefOf, subjectHashOf } from '../../../lambdas/checks/check-ref';
import { STATUS_RANK, buildRecord, sanitizeWorkflowError, summaryOf } from '../../../lambdas/records/record';
import { DEFAULT_RETENTION_POLICY, computeRetention } from '../../../lambdas/records/retention';
import { TEST_KEY } from '../../support/identifier-key';
import { DEFAULT_INDEX_SHARDS, indexKeysOf, shardOf, shardedKey } from '../../../lambdas/records/table-schema';

const now = new Date('2026-03-19T10:40:00.000Z');
const check = {
  provider: 'kyc' as const,
  checkId: '550e8400-e29b-11d4-a716-446655440000',
  checkRef: checkRefOf(TEST_KEY, 'kyc', '550e8400-e29b-11d4-a716-446655440000'),
  createdAt: '2026-03-19T23:31:06-05:00',
};
const { retention } = computeRetention(DEFAULT_RETENTION_POLICY, { provider: 'kyc', outcome: 'success', now });

describe('buildRecord', () => {
  it('carries the auditor attributes and the index keys, normalizing createdAt to UTC', () => {
    const record = buildRecord({
      check,
      status: 'archived-partial',
      outcome: 'success',
      providerStatus: 'success',
      confidence: 0.93,
      times: { createdAt: '2026-03-19T10:31:06.000Z', completedAt: '2026-03-19T10:31:30.000Z' },
      evidence: { objects: 5, bytes: 1234, manifestKey: 'm', resultKey: 'r', missing: ['refused', 'window-passed', 'refused'] },
      retention,
      subjectHash: subjectHashOf(TEST_KEY, 'my_client_key_123'),
      archivedAt: now,
    });
    expect(record).toMatchObject({
      pk: `kyc#${check.checkRef}`,
      status: 'archived-partial',
      statusRank: STATUS_RANK['archived-partial'],
      outcome: 'success',
      confidence: 0.93,
      createdAt: '2026-03-20T04:31:06.000Z',
      // The default 16 shards, by the checkRef: shard 0 keeps the unsharded key.
      providerDay: shardedKey('kyc#2026-03-20', shardOf(check.checkRef, DEFAULT_INDEX_SHARDS)),
      providerOutcome: shardedKey('kyc#success', shardOf(check.checkRef, DEFAULT_INDEX_SHARDS)),
      clientKeyHash: subjectHashOf(TEST_KEY, 'my_client_key_123'),
      imagesMissing: { count: 3, reasons: ['refused', 'window-passed'] },
      retentionClass: 'aml-cdd',
      ttl: retention.ttl,
      archivedAt: now.toISOString(),
    });
    expect(JSON.stringify(record)).not.toContain('my_client_key_123');
    expect(JSON.stringify(record)).not.toContain(check.checkId);
    expect(summaryOf(record)).toEqual({ status: 'archived-partial', objects: 5, bytes: 1234, imagesMissing: 'refused,window-passed', imagesMissingCount: 3 });
  });

  it('spreads the day and outcome keys over the configured shards by checkRef; one shard is the unsharded key', () => {
    const input = { check, status: 'archived' as const, outcome: 'success', retention, archivedAt: now };
    expect(buildRecord(input, { indexShards: 1 })).toMatchObject({ providerDay: 'kyc#2026-03-20', providerOutcome: 'kyc#success' });
    // Many checks over 8 shards: every shard used, each check always on the same one, day and outcome alike.
    const shards = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const ref = checkRefOf(TEST_KEY, 'kyc', `spread-${i}`);
      const keys = indexKeysOf({ provider: 'kyc', checkRef: ref, createdAt: '2026-03-20T04:31:06.000Z', outcome: 'success' }, 8);
      const shard = shardOf(ref, 8);
      expect(keys).toEqual(indexKeysOf({ provider: 'kyc', checkRef: ref, createdAt: '2026-03-20T23:59:59.999Z', outcome: 'success' }, 8));
      expect(keys).toEqual({ providerDay: shardedKey('kyc#2026-03-20', shard), providerOutcome: shardedKey('kyc#success', shard) });
      shards.set(shard, (shards.get(shard) ?? 0) + 1);
    }
    expect([...shards.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Roughly even: no shard far from 400 / 8 = 50.
    for (const count of shards.values()) expect(count).toBeGreaterThan(25);
    expect(shardedKey('kyc#2026-03-20', 3)).toBe('kyc#2026-03-20#3');
  });

  it('keeps a createdAt claim the start function did not believe, and counts images an entry stands for', () => {
    const record = buildRecord({
      check: { ...check, createdAt: '2026-03-19T10:30:00.000Z', createdAtClaimed: '2019-01-01T00:00:00.000Z' },
      status: 'archived-partial',
      outcome: 'passed',
      evidence: { objects: 3, bytes: 10, missing: ['over-limit'], missingCount: 1_500 },
      retention,
      archivedAt: now,
    }, { indexShards: 1 });
    expect(record).toMatchObject({ createdAt: '2026-03-19T10:30:00.000Z', createdAtClaimed: '2019-01-01T00:00:00.000Z', providerDay: 'kyc#2026-03-19' });
    expect(record.imagesMissing).toEqual({ count: 1_500, reasons: ['over-limit'] });
  });

  it('ranks records so they only move forward', () => {
    expect(STATUS_RANK.error).toBeLessThan(STATUS_RANK.escalated);
    expect(STATUS_RANK['timed-out']).toBeLessThan(STATUS_RANK.escalated);
    expect(STATUS_RANK.escalated).toBeLessThan(STATUS_RANK.expired);
    expect(STATUS_RANK.expired).toBeLessThan(STATUS_RANK.archived);
    expect(STATUS_RANK.archived).toBe(STATUS_RANK['archived-partial']);
  });
});

describe('sanitizeWorkflowError', () => {
  it('keeps the Lambda error type and message, drops the trace, redacts ids, tokens and personal data', () => {
    const cause = JSON.stringify({
      errorType: 'ProviderUnavailableError',
      errorMessage: `kyc HTTP 503 for session ${check.checkId} (user john@example.com, jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefSIG) https://api.example.com/x?token=abc`,
      trace: ['at secret (/var/task/index.js:1:1)'],
    });
    const { name, cause: clean } = sanitizeWorkflowError({ Error: 'ProviderUnavailableError', Cause: cause }, [check.checkId]);
    expect(name).toBe('ProviderUnavailableError');
    expect(clean).toMatch(/^ProviderUnavailableError: kyc HTTP 503 for session \[redacted\]/);
    for (const leaked of [check.checkId, 'john@example.com', 'eyJhbGci', 'token=abc', '/var/task']) expect(clean).not.toContain(leaked);
  });

  it('accepts a plain-text cause, bounds its length, and replaces a weird error name', () => {
    const { name, cause } = sanitizeWorkflowError({ Error: 'bad name with spaces', Cause: 'x'.repeat(10) + ' y'.repeat(600) }, []);
    expect(name).toBe('UnknownError');
    expect(cause!.length).toBeLessThanOrEqual(500);
    expect(sanitizeWorkflowError({ Error: 'States.Timeout' }, [])).toEqual({ name: 'States.Timeout' });
  });
});

describe('storableConfidence', () => {
  it('keeps what DynamoDB can store and drops the rest (result.json keeps the original)', async () => {
    const { storableConfidence } = await import('../../../lambdas/records/record');
    expect([0, 0.97, 1, -0.5, 1e9, 1e-9].map(storableConfidence)).toEqual([0, 0.97, 1, -0.5, 1e9, 1e-9]);
    expect([5e-324, 1e200, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Infinity, undefined].map(storableConfidence)).toEqual(
      [undefined, undefined, undefined, undefined, undefined, undefined],
    );
  });
});
