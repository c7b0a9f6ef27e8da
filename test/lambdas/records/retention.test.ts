import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lambdas/common/errors';
import { PROVIDERS } from '../../../lambdas/checks/check-status';
import {
  DEFAULT_RETENTION_POLICY,
  cappedRetainUntil,
  computeRetention,
  expiresOf,
  keepsAtLeastAsLong,
  parseRetentionPolicy,
  relationshipRetainUntil,
  retentionPolicySchema,
} from '../../../lambdas/records/retention';

const now = new Date('2026-03-19T10:40:00.000Z');
const DAY = 86_400;
const retention = (provider: (typeof PROVIDERS)[number], outcome: string, extra: object = {}) =>
  computeRetention(DEFAULT_RETENTION_POLICY, { provider, outcome, now, ...extra });

describe('default retention policy', () => {
  it.each([
    ['liveness', 'passed', 'biometric-short', 90, /BIPA/],
    ['liveness', 'failed', 'liveness-failed', 365, /fraud/],
    ['kyc', 'success', 'aml-cdd', 1825, /FATF R\.11, EU AMLR art\. 77/],
    ['kyc', 'failed', 'aml-cdd', 1825, /AML/],
    ['kyc', 'expired', 'aml-cdd', 1825, /AML/],
    ['verification', 'true', 'verification', 365, /verification/],
    ['verification', 'not-found', 'verification', 365, /verification/],
    ['liveness', 'expired', 'no-result', 365, /without a result/],
    ['kyc', 'not-found', 'no-result', 365, /without a result/],
    ['kyc', 'timed-out', 'no-result', 365, /without a result/],
  ] as const)('%s %s → %s, %i days, with its basis', (provider, outcome, cls, days, basis) => {
    const { retention: r, warning } = retention(provider, outcome);
    expect(r.retentionClass).toBe(cls);
    expect(r.days).toBe(days);
    expect(r.basis).toMatch(basis);
    expect(r.retainUntil).toBe(new Date(now.getTime() + days * DAY * 1000).toISOString());
    expect(r.ttl).toBe(Math.floor(now.getTime() / 1000) + days * DAY);
    expect(r.legalHold).toBe(false);
    expect(warning).toBeUndefined();
  });

  it('uses a configured class the event asks for when it keeps the evidence longer', () => {
    const decision = retention('liveness', 'passed', { requestedClass: 'aml-cdd' });
    expect(decision.retention.retentionClass).toBe('aml-cdd');
    expect(decision.retention.days).toBe(1825);
    expect(decision.retention.basis).toMatch(/longer class requested by the event/);
    expect(decision.shorterRequestRefused).toBeUndefined();
  });

  it('refuses a class that would shorten retention (an event must never destroy evidence early), and says so', () => {
    const decision = retention('kyc', 'success', { requestedClass: 'biometric-short' });
    expect(decision.retention).toMatchObject({ retentionClass: 'aml-cdd', days: 1825 });
    expect(decision.shorterRequestRefused).toBe(true);
    expect(decision.warning).toMatch(/"biometric-short" is shorter than aml-cdd: refused/);
    expect(decision.retention.basis).toMatch(/requested class "biometric-short" refused: shorter than the policy's/);
  });

  it('for every rule and every configured class, the class applied is never shorter than the rule\'s', () => {
    for (const rule of DEFAULT_RETENTION_POLICY.rules) {
      for (const outcome of rule.outcomes ?? ['anything']) {
        const ruleDays = DEFAULT_RETENTION_POLICY.classes[rule.class]!.days;
        for (const requestedClass of Object.keys(DEFAULT_RETENTION_POLICY.classes)) {
          const { retention: r } = retention(rule.provider, outcome, { requestedClass });
          expect(r.days, `${rule.provider} ${outcome} asking ${requestedClass}`).toBeGreaterThanOrEqual(ruleDays);
        }
      }
    }
  });

  it('falls back to the rule and warns when the requested class is not configured, without echoing odd characters', () => {
    const { retention: r, warning } = retention('liveness', 'passed', { requestedClass: 'forever<script>' });
    expect(r.retentionClass).toBe('biometric-short');
    expect(warning).toMatch(/"foreverscript" is not configured/);
    expect(r.basis).toMatch(/requested class "foreverscript" not configured/);
  });

  it('a legal hold suspends expiry: no ttl, retainUntil still known', () => {
    const { retention: r } = retention('kyc', 'success', { legalHold: true });
    expect(r.ttl).toBeUndefined();
    expect(r.legalHold).toBe(true);
    expect(r.retainUntil).toBe('2031-03-18T10:40:00.000Z');
  });
});

describe('parseRetentionPolicy', () => {
  it('returns the defaults for empty configuration (object, empty JSON text)', () => {
    expect(parseRetentionPolicy()).toEqual(DEFAULT_RETENTION_POLICY);
    expect(parseRetentionPolicy('')).toEqual(DEFAULT_RETENTION_POLICY);
  });

  it('merges classes over the defaults by name and replaces rules when given', () => {
    const policy = parseRetentionPolicy(
      JSON.stringify({
        classes: { 'biometric-short': { days: 30, basis: 'Illinois BIPA, shortened by counsel' }, 'kyc-7y': { days: 2555, basis: 'Local law: 7 years' } },
        rules: [{ provider: 'kyc', class: 'kyc-7y' }],
      }),
    );
    expect(policy.classes['aml-cdd']?.days).toBe(1825);
    expect(policy.classes['biometric-short']?.days).toBe(30);
    expect(computeRetention(policy, { provider: 'kyc', outcome: 'success', now }).retention.retentionClass).toBe('kyc-7y');
    expect(computeRetention(policy, { provider: 'liveness', outcome: 'passed', now }).retention.retentionClass).toBe('no-result');
  });

  it.each([
    ['not JSON', '{'],
    ['an array', []],
    ['unknown top-level key', { keepForever: true }],
    ['zero days', { classes: { verification: { days: 0, basis: 'x' } } }],
    ['fractional days', { classes: { verification: { days: 1.5, basis: 'x' } } }],
    ['empty basis', { classes: { verification: { days: 10, basis: ' ' } } }],
    ['rule to an unknown class', { rules: [{ provider: 'kyc', class: 'nope' }] }],
    ['unknown provider', { rules: [{ provider: 'banking', class: 'aml-cdd' }] }],
    ['bad class name', { classes: { 'Has Spaces': { days: 1, basis: 'x' } } }],
    ['unknown default class', { defaultClass: 'missing' }],
  ])('rejects %s with a ConfigurationError naming paths, not values', (_label, config) => {
    const error = (() => {
      try {
        parseRetentionPolicy(config);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    for (const value of ['nope', 'banking', 'missing']) expect(error!.message).not.toContain(value);
  });

  it('property: malformed configurations always fail with ConfigurationError (never another error)', () => {
    fc.assert(
      fc.property(fc.anything(), (config) => {
        try {
          parseRetentionPolicy(config);
          return true; // some random values are valid overrides (e.g. {}): fine
        } catch (error) {
          return error instanceof ConfigurationError;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: every accepted policy yields a ttl after now and a retainUntil matching the days', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
    const cls = fc.record({ days: fc.integer({ min: 1, max: 36_500 }), basis: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '') });
    const config = fc
      .dictionary(name, cls, { minKeys: 1, maxKeys: 5 })
      .chain((classes) => {
        const names = Object.keys(classes);
        return fc.record({
          classes: fc.constant(classes),
          rules: fc.array(
            fc.record({ provider: fc.constantFrom(...PROVIDERS), class: fc.constantFrom(...names), outcomes: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }), { nil: undefined }) }),
            { maxLength: 6 },
          ),
          defaultClass: fc.constantFrom(...names),
        });
      });
    fc.assert(
      fc.property(
        config,
        fc.constantFrom(...PROVIDERS),
        fc.string({ maxLength: 10 }),
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        (raw, provider, outcome, at) => {
          const policy = retentionPolicySchema.parse(JSON.parse(JSON.stringify(raw)));
          const { retention: r } = computeRetention(policy, { provider, outcome, now: at });
          expect(r.ttl).toBeGreaterThan(Math.floor(at.getTime() / 1000));
          expect(Date.parse(r.retainUntil) - at.getTime()).toBe(r.days * DAY * 1000);
          expect(policy.classes[r.retentionClass]).toBeDefined();
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('retention clocks', () => {
  const YEAR_MS = 365 * DAY * 1000;
  const kyc = (subject: object | undefined, extra: object = {}) =>
    computeRetention(DEFAULT_RETENTION_POLICY, { provider: 'kyc', outcome: 'success', now, ...(subject ? { subject } : {}), ...extra }).retention;

  it('a KYC check of a client whose relationship is open never expires: no ttl, archive + 5 years is only a floor', () => {
    const r = kyc({});
    expect(r).toMatchObject({ clock: 'relationship-end', relationshipOpen: true, erasable: false, retainUntil: '2031-03-18T10:40:00.000Z' });
    expect(r.ttl).toBeUndefined();
    expect(expiresOf(r)).toBe(false);
  });

  it('one whose relationship closed N years ago expires at N + 5 years (days after the close), never before its floor', () => {
    // Onboarded eight years ago, closed two years ago: still inside the window, three years to go.
    const onboarded = new Date(now.getTime() - 8 * YEAR_MS);
    const closedAt = new Date(now.getTime() - 2 * YEAR_MS).toISOString();
    const r = computeRetention(DEFAULT_RETENTION_POLICY, { provider: 'kyc', outcome: 'success', now: onboarded, subject: { relationshipClosedAt: closedAt } }).retention;
    expect(r.retainUntil).toBe(new Date(Date.parse(closedAt) + 1_825 * DAY * 1000).toISOString());
    expect(r.retainUntil > now.toISOString()).toBe(true);
    expect(r).toMatchObject({ relationshipClosedAt: closedAt, ttl: Math.floor(Date.parse(r.retainUntil) / 1000) });
    expect(r.relationshipOpen).toBeUndefined();
    // Closed before this check was even archived: the floor (archive + 5 years) wins; a close never shortens.
    expect(kyc({ relationshipClosedAt: '2020-01-01T00:00:00.000Z' }).retainUntil).toBe('2031-03-18T10:40:00.000Z');
    // A close that asked for more years keeps it that much longer.
    expect(kyc({ relationshipClosedAt: now.toISOString(), relationshipDays: 3_650 }).retainUntil).toBe(new Date(now.getTime() + 3_650 * DAY * 1000).toISOString());
  });

  it('without a client or subject key a relationship can never close: the archive clock applies, and the basis says so', () => {
    const r = kyc(undefined);
    expect(r).toMatchObject({ clock: 'archive', retainUntil: '2031-03-18T10:40:00.000Z', ttl: Math.floor(Date.parse('2031-03-18T10:40:00.000Z') / 1000) });
    expect(r.basis).toMatch(/no client or subject key: counted from archive/);
  });

  it('a biometric class ends at its days or 3 years after the last interaction, whichever comes first', () => {
    const policy = parseRetentionPolicy({ classes: { 'biometric-enrolment': { days: 3_650, basis: 'Enrolled face kept while in use', lastInteractionDays: 1_095, erasable: true } }, rules: [{ provider: 'liveness', class: 'biometric-enrolment' }] });
    const at = (lastInteractionAt?: string) =>
      computeRetention(policy, { provider: 'liveness', outcome: 'passed', now, createdAt: now.toISOString(), subject: lastInteractionAt ? { lastInteractionAt } : {} }).retention;
    expect(at().retainUntil).toBe(new Date(now.getTime() + 1_095 * DAY * 1000).toISOString());
    // A later interaction (a Client Interaction event, a newer check) moves it, up to the class's own days.
    expect(at('2028-01-01T00:00:00.000Z')).toMatchObject({ retainUntil: new Date(Date.parse('2028-01-01T00:00:00.000Z') + 1_095 * DAY * 1000).toISOString(), lastInteractionAt: '2028-01-01T00:00:00.000Z', lastInteractionDays: 1_095 });
    expect(at('2040-01-01T00:00:00.000Z').retainUntil).toBe(new Date(now.getTime() + 3_650 * DAY * 1000).toISOString());
    // An older interaction never moves it back before the check itself.
    expect(at('2020-01-01T00:00:00.000Z').lastInteractionAt).toBe(now.toISOString());
    // The defaults: 90 and 365 days are both inside the 3-year cap.
    expect(retention('liveness', 'passed').retention).toMatchObject({ days: 90, lastInteractionDays: 1_095, erasable: true });
    expect(cappedRetainUntil('2026-01-01T00:00:00.000Z', 90, '2026-01-01T00:00:00.000Z', 1_095)).toBe('2026-04-01T00:00:00.000Z');
  });

  it('says which classes erasure may take at once, and a class nobody declared erasable is locked', () => {
    const erasable = Object.entries(DEFAULT_RETENTION_POLICY.classes).filter(([, cls]) => cls.erasable).map(([name]) => name);
    expect(erasable.sort()).toEqual(['biometric-short', 'liveness-failed', 'no-result', 'verification']);
    expect(parseRetentionPolicy({ classes: { 'tax-10y': { days: 3_650, basis: 'Tax records' } } }).classes['tax-10y']).toMatchObject({ clock: 'archive', erasable: false });
    // An override of a default class keeps its clock and erasability.
    expect(parseRetentionPolicy({ classes: { 'aml-cdd': { days: 2_555, basis: 'Local law: 7 years after the relationship' } } }).classes['aml-cdd']).toMatchObject({ days: 2_555, clock: 'relationship-end', erasable: false });
    expect(() => parseRetentionPolicy({ classes: { x: { days: 1, basis: 'x', clock: 'relationship-end', lastInteractionDays: 5 } } })).toThrow(ConfigurationError);
  });

  it('an event may ask only for a class at least as long along every clock', () => {
    const policy = parseRetentionPolicy({
      classes: {
        'archive-10y': { days: 3_650, basis: 'Ten years from archive', erasable: false },
        'erasable-10y': { days: 3_650, basis: 'Ten years, erasable', clock: 'relationship-end', erasable: true },
        'relationship-10y': { days: 3_650, basis: 'Ten years after the relationship', clock: 'relationship-end' },
      },
    });
    const asked = (requestedClass: string) => computeRetention(policy, { provider: 'kyc', outcome: 'success', requestedClass, subject: {}, now });
    // Longer in days, but from archive: it could end while the relationship is still open.
    expect(asked('archive-10y')).toMatchObject({ shorterRequestRefused: true, retention: { retentionClass: 'aml-cdd' } });
    // Longer, but erasable at once where the rule's class is not.
    expect(asked('erasable-10y')).toMatchObject({ shorterRequestRefused: true, retention: { retentionClass: 'aml-cdd' } });
    expect(asked('relationship-10y').retention).toMatchObject({ retentionClass: 'relationship-10y', relationshipOpen: true });
    const cls = policy.classes;
    expect(keepsAtLeastAsLong(cls['relationship-10y']!, cls['aml-cdd']!)).toBe(true);
    expect(keepsAtLeastAsLong(cls['aml-cdd']!, cls['relationship-10y']!)).toBe(false);
    // A 3-year interaction cap can end a class sooner than one without it.
    expect(keepsAtLeastAsLong(cls['biometric-short']!, cls['no-result']!)).toBe(false);
    expect(keepsAtLeastAsLong(cls['no-result']!, cls['biometric-short']!)).toBe(true);
  });

  it('relationshipRetainUntil never moves a date back', () => {
    expect(relationshipRetainUntil('2031-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', 1_825)).toBe('2031-01-01T00:00:00.000Z');
    expect(relationshipRetainUntil('2031-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z', 1_825)).toBe('2034-12-31T00:00:00.000Z');
  });
});
