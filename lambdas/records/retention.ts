/**
 * How long each check's evidence and record are kept, and why. One policy sets the record's `ttl`, the objects'
 * `retention-class` tag (the stack's lifecycle rules expire by tag) and, with Object Lock, each object's
 * retain-until date. Retention counts from archive time: the provider's timestamps are not trusted for deletion.
 *
 * The defaults resolve the conflict the design notes describe: biometric laws (Illinois BIPA, GDPR storage
 * limitation) ask to destroy face images early, AML record-keeping asks to keep customer due-diligence records
 * 5 years. Liveness frames of passed checks are destroyed early; KYC sessions are CDD records and kept 5 years
 * (GDPR art. 17(3)(b) defers erasure while that obligation lasts). Every record names the basis it was kept under.
 */
import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { PROVIDERS, type ProviderName } from '../checks/check-status';

const DAY_SECONDS = 86_400;

/** The S3 object tag the stack's lifecycle rules expire by (one rule per class). */
export const RETENTION_CLASS_TAG = 'retention-class';
/** The tag value of an object under legal hold: no lifecycle rule matches it, so nothing expires it. */
export const LEGAL_HOLD_TAG_VALUE = 'legal-hold';

/** The lifecycle tag value an object carries: its class, or none that expires while a legal hold lasts. */
export function lifecycleTagOf(retention: { retentionClass: string; legalHold?: boolean }): string {
  return retention.legalHold ? LEGAL_HOLD_TAG_VALUE : retention.retentionClass;
}

/** Also an S3 tag value and a lifecycle-rule filter: keep it short and plain; `legal-hold` is the hold's own tag. */
const className = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'class names are lowercase letters, digits and dashes')
  .refine((name) => name !== 'legal-hold', 'legal-hold is reserved for objects under legal hold');

const retentionClassSchema = z
  .object({
    /** Days from archiving until the record expires and lifecycle rules delete the objects. */
    days: z.number().int().min(1).max(36_500),
    /** The legal or business reason, recorded with every check kept under this class. */
    basis: z.string().trim().min(1).max(300),
  })
  .strict();

const ruleSchema = z
  .object({
    provider: z.enum(PROVIDERS),
    /** Record outcomes the rule applies to (e.g. `passed`, `failed`, `success`, `expired`); all when omitted. */
    outcomes: z.array(z.string().min(1)).min(1).optional(),
    class: className,
  })
  .strict();

export const retentionPolicySchema = z
  .object({
    classes: z.record(className, retentionClassSchema),
    /** First matching rule wins. */
    rules: z.array(ruleSchema),
    /** Class of checks no rule matches (e.g. liveness checks that expired, timed out or failed in the workflow). */
    defaultClass: className,
  })
  .strict()
  .superRefine((policy, ctx) => {
    const known = (name: string) => Object.hasOwn(policy.classes, name);
    if (!known(policy.defaultClass)) {
      ctx.addIssue({ code: 'custom', path: ['defaultClass'], message: `unknown class ${policy.defaultClass}` });
    }
    policy.rules.forEach((rule, index) => {
      if (!known(rule.class)) ctx.addIssue({ code: 'custom', path: ['rules', index, 'class'], message: `unknown class ${rule.class}` });
    });
  });

export type RetentionPolicy = z.output<typeof retentionPolicySchema>;

export const DEFAULT_RETENTION_POLICY: RetentionPolicy = retentionPolicySchema.parse({
  classes: {
    'biometric-short': {
      days: 90,
      basis: 'Biometric minimisation: passed liveness frames destroyed early (BIPA-style destroy-early duty, GDPR art. 5(1)(e))',
    },
    'liveness-failed': {
      days: 365,
      basis: 'Failed liveness kept 1 year for fraud review and disputes, well inside the BIPA 3-year ceiling',
    },
    'aml-cdd': {
      days: 1_825,
      basis: 'AML record-keeping (FATF R.11, EU AMLR art. 77, 31 CFR 1020.220): 5 years; GDPR art. 17(3)(b) defers erasure',
    },
    verification: { days: 365, basis: 'Content-verification audit trail: 1 year' },
    'no-result': { days: 365, basis: 'Record of a check that ended without a result: 1 year' },
  },
  rules: [
    { provider: 'liveness', outcomes: ['passed'], class: 'biometric-short' },
    { provider: 'liveness', outcomes: ['failed'], class: 'liveness-failed' },
    // Sessions that reached the person (finished, failed, broke or expired midway) are CDD records.
    { provider: 'kyc', outcomes: ['success', 'failed', 'exception', 'expired'], class: 'aml-cdd' },
    { provider: 'verification', class: 'verification' },
  ],
  defaultClass: 'no-result',
});

/**
 * Configuration overrides: `classes` are merged over the defaults by name (override a class's days and basis, or add
 * one); `rules` and `defaultClass`, when given, replace the defaults. Accepts an object or its JSON text (an env var).
 * Throws ConfigurationError naming the offending paths, never the values.
 */
export function parseRetentionPolicy(config: unknown = {}): RetentionPolicy {
  let input = config;
  if (typeof config === 'string') {
    try {
      input = config.trim() === '' ? {} : JSON.parse(config);
    } catch {
      throw new ConfigurationError('retention policy: not valid JSON');
    }
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigurationError('retention policy: expected an object');
  }
  const overrides = input as Record<string, unknown>;
  const classes = overrides.classes;
  const merged = {
    ...DEFAULT_RETENTION_POLICY,
    ...overrides,
    classes:
      classes !== null && typeof classes === 'object' && !Array.isArray(classes)
        ? { ...DEFAULT_RETENTION_POLICY.classes, ...classes }
        : (classes ?? DEFAULT_RETENTION_POLICY.classes),
  };
  const parsed = retentionPolicySchema.safeParse(merged);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new ConfigurationError(`retention policy invalid at: ${paths.join(', ')}`);
  }
  return parsed.data;
}

export interface RetentionInput {
  provider: ProviderName;
  /** The record's outcome: passed/failed, the KYC status, the verdict, or the no-result reason. */
  outcome: string;
  /** The event's `retentionClass`: used when it names a configured class. */
  requestedClass?: string;
  /** Expiry suspended: no `ttl` while the hold lasts. */
  legalHold?: boolean;
  now: Date;
}

export interface Retention {
  retentionClass: string;
  days: number;
  basis: string;
  /** ISO-8601: when the record expires and the objects may be deleted (Object Lock retain-until when enabled). */
  retainUntil: string;
  /** Epoch seconds of retainUntil for DynamoDB TTL; absent under legal hold. */
  ttl?: number;
  legalHold: boolean;
}

export interface RetentionDecision {
  retention: Retention;
  /** Set when the requested class was not applied (not configured, or shorter than the rule's): the rule's applies. */
  warning?: string;
  /**
   * The event asked for a class shorter than the one the policy's rule gives: refused. Events come from whoever may
   * put them on the bus; they may lengthen retention, never shorten it (that takes a change of the policy itself).
   */
  shorterRequestRefused?: true;
}

/**
 * Picks the class for a check and computes its dates. The event's requested class applies only when it keeps the
 * evidence at least as long as the rule's class. An unknown or shorter requested class does not fail the archive (the
 * evidence window would close while someone fixes the event): the rule's class applies, the basis says so, and the
 * caller logs the warning (and counts a refused shorter request).
 */
export function computeRetention(policy: RetentionPolicy, input: RetentionInput): RetentionDecision {
  const ruleClass =
    policy.rules.find((rule) => rule.provider === input.provider && (!rule.outcomes || rule.outcomes.includes(input.outcome)))
      ?.class ?? policy.defaultClass;
  const requested = input.requestedClass;
  const known = requested !== undefined && Object.hasOwn(policy.classes, requested);
  const shorter = known && policy.classes[requested!]!.days < (policy.classes[ruleClass]?.days ?? 0);
  const useRequested = known && !shorter;
  const retentionClass = useRequested ? requested! : ruleClass;
  const cls = policy.classes[retentionClass];
  if (!cls) throw new ConfigurationError(`retention policy: class ${retentionClass} is not configured`);

  let basis = useRequested && requested !== ruleClass ? `${cls.basis} (longer class requested by the event)` : cls.basis;
  let warning: string | undefined;
  const shown = (requested ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64);
  if (requested !== undefined && !known) {
    warning = `requested retention class "${shown}" is not configured; ${retentionClass} applied`;
    basis = `${basis} (requested class "${shown}" not configured)`;
  } else if (shorter) {
    warning = `requested retention class "${shown}" is shorter than ${retentionClass}: refused, ${retentionClass} applied`;
    basis = `${basis} (requested class "${shown}" refused: shorter than the policy's)`;
  }

  const retainUntilMs = input.now.getTime() + cls.days * DAY_SECONDS * 1000;
  const legalHold = input.legalHold === true;
  return {
    retention: {
      retentionClass,
      days: cls.days,
      basis,
      retainUntil: new Date(retainUntilMs).toISOString(),
      ttl: legalHold ? undefined : ttlOf(new Date(retainUntilMs).toISOString()),
      legalHold,
    },
    ...(warning ? { warning } : {}),
    ...(shorter ? { shorterRequestRefused: true as const } : {}),
  };
}

/** DynamoDB TTL (epoch seconds) of an ISO retain-until date. */
export function ttlOf(retainUntil: string): number {
  return Math.floor(Date.parse(retainUntil) / 1000);
}
