import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../../../lambdas/audit';
import { parseQuery } from '../../../lambdas/audit/filters';
import { subjectHashOf } from '../../../lambdas/checks/check-ref';
import { TEST_KEY } from '../../support/identifier-key';

const NOW = new Date('2026-03-19T10:40:00.000Z');
const hash = (clientKey: string) => subjectHashOf(TEST_KEY, clientKey);

function rejects(raw: Parameters<typeof parseQuery>[0], message: RegExp): void {
  let error: unknown;
  try {
    parseQuery(raw, NOW, hash);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidQueryError);
  expect((error as Error).message).toMatch(message);
}

describe('parseQuery', () => {
  it('defaults to every provider, the last 30 days up to now, ascending, 50 per page', () => {
    expect(parseQuery({}, NOW)).toEqual({
      filters: { providers: ['liveness', 'kyc', 'verification'], from: '2026-02-17T00:00:00.000Z', to: NOW.toISOString(), order: 'asc' },
      page: { limit: 50 },
      defaulted: { from: true, to: true },
    });
  });

  it('reads dates as whole UTC days and date-times with their zone', () => {
    const { filters } = parseQuery({ from: '2026-03-01', to: '2026-03-02' }, NOW);
    expect([filters.from, filters.to]).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-02T23:59:59.999Z']);
    const times = parseQuery({ from: '2026-03-01T10:00+02:00', to: '2026-03-01T12:00:00Z' }, NOW).filters;
    expect([times.from, times.to]).toEqual(['2026-03-01T08:00:00.000Z', '2026-03-01T12:00:00.000Z']);
  });

  it('has no lower date bound when an index other than the day index answers', () => {
    expect(parseQuery({ outcome: 'failed' }, NOW).filters.from).toBe('0000-01-01T00:00:00.000Z');
    expect(parseQuery({ clientKey: 'client-1' }, NOW, hash).filters.from).toBe('0000-01-01T00:00:00.000Z');
  });

  it('hashes a clientKey as the archive does (keyed) and never keeps the key itself', () => {
    const parsed = parseQuery({ clientKey: 'client-1' }, NOW, hash);
    expect(parsed.filters.clientKeyHash).toBe(subjectHashOf(TEST_KEY, 'client-1'));
    expect(JSON.stringify(parsed)).not.toContain('client-1');
    expect(parseQuery({ clientKeyHash: subjectHashOf(TEST_KEY, 'client-1') }, NOW).filters.clientKeyHash).toBe(subjectHashOf(TEST_KEY, 'client-1'));
    // Without the identifier key a clientKey cannot be turned into what the records carry.
    expect(() => parseQuery({ clientKey: 'client-1' }, NOW)).toThrow(/clientKey needs the identifier key/);
  });

  it('finds the checks of every provider filed under a client (a liveness check by its subjectKey too)', () => {
    expect(parseQuery({ clientKey: 'client-1', provider: 'liveness' }, NOW, hash).filters).toMatchObject({ providers: ['liveness'], clientKeyHash: subjectHashOf(TEST_KEY, 'client-1') });
  });

  it('takes comma-separated lists, without duplicates', () => {
    const { filters } = parseQuery({ provider: 'kyc,liveness,kyc', outcome: 'passed, failed', status: 'archived,archived-partial' }, NOW);
    expect(filters).toMatchObject({ providers: ['liveness', 'kyc'], outcomes: ['passed', 'failed'], statuses: ['archived', 'archived-partial'] });
  });

  it.each([
    [{ provider: 'passport' }, /provider must be one of liveness, kyc, verification/],
    [{ from: '19.03.2026' }, /from must be a date \(2026-03-19\) or a date-time with zone/],
    [{ to: '2026-02-30' }, /to must be a date/],
    [{ from: '2026-03-19T10:00' }, /from must be a date/],
    [{ from: '2026-03-10', to: '2026-03-01' }, /from must not be after to/],
    [{ from: '2010-01-01', to: '2026-01-01' }, /longer than 3660 days needs an outcome or clientKey/],
    [{ status: 'done' }, /status must be one of .*archived-partial/],
    [{ outcome: 'a b' }, /outcome must be letters, digits/],
    [{ clientKey: 'x'.repeat(129) }, /clientKey must be 1-128 characters/],
    [{ clientKeyHash: 'ABC' }, /clientKeyHash must be 32 lowercase hex/],
    [{ clientKey: 'a', clientKeyHash: 'b' }, /give clientKey or clientKeyHash, not both/],
    [{ limit: '0' }, /limit must be a whole number from 1 to 1000/],
    [{ limit: '10.5' }, /limit must be a whole number/],
    [{ limit: '1001' }, /limit must be a whole number/],
    [{ order: 'newest' }, /order must be asc or desc/],
    [{ provider: ',' }, /a list filter takes 1-20/],
  ])('rejects %j with a message naming the parameter', (raw, message) => rejects(raw, message));

  it('never echoes a rejected clientKey', () => {
    const secret = 'c'.repeat(40);
    try {
      parseQuery({ clientKey: secret.repeat(4) }, NOW, hash);
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
      return;
    }
    expect.unreachable('a 160-character clientKey is refused');
  });
});
