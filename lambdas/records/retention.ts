/**
 * How long each check's evidence and record are kept, and why. One policy sets the record's `ttl`, the objects'
 * `retention-class` tag (the stack's lifecycle rules expire by tag) and, for classes kept under a legal obligation,
 * each object's Object Lock retain-until date. The provider's timestamps are never trusted for deletion.
 *
 * Each class runs on a clock (the law's, not ours):
 * - `archive`: its days count from archive time;
 * - `relationship-end`: its days count from the end of the client's business relationship (FATF R.11, EU AMLR
 *   art. 77, 31 CFR 1020.220): while the relationship is open nothing expires; archive + days is a floor;
 * - `lastInteractionDays` caps a class at that many days after the subject's last interaction (BIPA 740 ILCS
 *   14/15(a): at most 3 years), whichever comes first.
 * And each class says whether an erasure request (GDPR art. 17) erases at once (`erasable`) or is deferred because a
 * legal obligation keeps the data (art. 17(3)(b)); only the latter are Object-Locked.
 *
 * The defaults resolve the conflict the design notes describe: liveness frames of passed checks are destroyed early;
 * KYC sessions are CDD records, kept 5 years after the relationship ends and not erasable before. Every record names
 * the basis it was kept under.
 */
import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { PROVIDERS, type ProviderName } from '../checks/check-status';

const DAY_SECONDS = 86_400;

/** The S3 object tag the stack's lifecycle rules expire by (one rule per class). */
export const RETENTION_CLASS_TAG = 'retention-class';
/** The tag value of an object under legal hold: no lifecycle rule matches it, so nothing expires it. */
export const LEGAL_HOLD_TAG_VALUE = 'legal-hold';
/** The tag value of a check's objects once its record expired: one lifecycle rule deletes them a day later. */
export const EXPIRED_TAG_VALUE = 'expired';

/** The lifecycle tag value an object carries: its class, or none that expires while a legal hold lasts. */
export function lifecycleTagOf(retention: { retentionClass: string; legalHold?: boolean }): string {
  return retention.legalHold ? LEGAL_HOLD_TAG_VALUE : retention.retentionClass;
}

/** Also an S3 tag value and a lifecycle-rule filter: keep it short and plain; `legal-hold` is the hold's own tag. */
const className = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'class names are lowercase letters, digits and dashes')
  .refine((name) => name !== 'legal-hold', 'legal-hold is reserved for objects under legal hold')
  .refine((name) => name !== 'expired', 'expired is reserved for objects whose record expired');

export const RETENTION_CLOCKS = ['archive', 'relationship-end'] as const;
export type RetentionClock = (typeof RETENTION_CLOCKS)[number];

const retentionClassSchema = z
  .object({
    /** Days the class keeps a check, counted on its clock. */
    days: z.number().int().min(1).max(36_500),
    /** The legal or business reason, recorded with every check kept under this class. */
    basis: z.string().trim().min(1).max(300),
    /** What the days count from: archive time, or the end of the client's relationship. @default 'archive' */
    clock: z.enum(RETENTION_CLOCKS).default('archive'),
    /** At most this many days after the subject's last interaction (biometric laws), whichever comes first. */
    lastInteractionDays: z.number().int().min(1).max(36_500).optional(),
    /**
     * An erasure request erases at once. False: a legal obligation keeps the data (GDPR art. 17(3)(b)); the request is
     * refused, kept, and carried out when the retention ends, and the objects are Object-Locked until then.
     * @default false (a class nobody declared erasable is kept and locked)
     */
    erasable: z.boolean().default(false),
  })
  .strict()
  .refine((cls) => cls.clock === 'archive' || cls.lastInteractionDays === undefined, {
    message: 'lastInteractionDays applies to archive-clock classes only',
    path: ['lastInteractionDays'],
  });

export type RetentionClass = z.output<typeof retentionClassSchema>;

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

/** BIPA 740 ILCS 14/15(a): biometric data destroyed within 3 years of the individual's last interaction at the latest. */
export const BIPA_LAST_INTERACTION_DAYS = 1_095;

export const DEFAULT_RETENTION_POLICY: RetentionPolicy = retentionPolicySchema.parse({
  classes: {
    'biometric-short': {
      days: 90,
      basis: 'Biometric minimisation: passed liveness frames destroyed early (BIPA-style destroy-early duty, GDPR art. 5(1)(e))',
      lastInteractionDays: BIPA_LAST_INTERACTION_DAYS,
      erasable: true,
    },
    'liveness-failed': {
      days: 365,
      basis: 'Failed liveness kept 1 year for fraud review and disputes, well inside the BIPA 3-year ceiling',
      lastInteractionDays: BIPA_LAST_INTERACTION_DAYS,
      erasable: true,
    },
    'aml-cdd': {
      days: 1_825,
      basis: 'AML record-keeping (FATF R.11, EU AMLR art. 77, 31 CFR 1020.220): 5 years after the business relationship ends; GDPR art. 17(3)(b) defers erasure',
      clock: 'relationship-end',
      erasable: false,
    },
    verification: { days: 365, basis: 'Content-verification audit trail: 1 year', erasable: true },
    'no-result': { days: 365, basis: 'Record of a check that ended without a result: 1 year', erasable: true },
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
 * Configuration overrides: `classes` are merged over the defaults by name and field (override a class's days and
 * basis, keeping its clock and erasability; or add one); `rules` and `defaultClass`, when given, replace the defaults. Accepts an object or its JSON text (an env var).
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
        ? { ...DEFAULT_RETENTION_POLICY.classes, ...mergedClasses(classes as Record<string, unknown>) }
        : (classes ?? DEFAULT_RETENTION_POLICY.classes),
  };
  const parsed = retentionPolicySchema.safeParse(merged);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new ConfigurationError(`retention policy invalid at: ${paths.join(', ')}`);
  }
  return parsed.data;
}

/** A default class overridden field by field (an override that is not an object is left for the schema to refuse). */
function mergedClasses(overrides: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(overrides).map(([name, override]) => {
      const base = Object.hasOwn(DEFAULT_RETENTION_POLICY.classes, name) ? DEFAULT_RETENTION_POLICY.classes[name] : undefined;
      const mergeable = base && override !== null && typeof override === 'object' && !Array.isArray(override);
      return [name, mergeable ? { ...base, ...override } : override];
    }),
  );
}

/** What the archive knows about the person a check is about (the retention ledger's subject state). */
export interface SubjectClock {
  /** The business relationship ended then (a Relationship Closed event or command). */
  relationshipClosedAt?: string;
  /** Days after the close to keep relationship-end classes, when a close asked for longer than the class. */
  relationshipDays?: number;
  /** The newest interaction seen: a Client Interaction event, or the newest archived check of the subject. */
  lastInteractionAt?: string;
}

export interface RetentionInput {
  provider: ProviderName;
  /** The record's outcome: passed/failed, the KYC status, the verdict, or the no-result reason. */
  outcome: string;
  /** The event's `retentionClass`: used when it names a configured class. */
  requestedClass?: string;
  /** Expiry suspended: no `ttl` while the hold lasts. */
  legalHold?: boolean;
  /**
   * Who the check is about, when the event or the answer named someone (a subjectKey or KYC clientKey), with what the
   * ledger knows of them. Without a subject, a relationship-end class falls back to the archive clock (no
   * relationship can ever close for it) and the basis says so.
   */
  subject?: SubjectClock;
  /** When the check was created: itself an interaction with its subject. @default now */
  createdAt?: string;
  now: Date;
}

export interface Retention {
  retentionClass: string;
  days: number;
  basis: string;
  /**
   * ISO-8601: when the record expires and the objects may be deleted (their Object Lock retain-until, for locked
   * classes). While a relationship is open: the earliest it could (archive + days), a floor the close extends.
   */
  retainUntil: string;
  /** Epoch seconds of retainUntil for DynamoDB TTL; absent under legal hold and while the relationship is open. */
  ttl?: number;
  legalHold: boolean;
  clock: RetentionClock;
  /** relationship-end: the client's relationship has not closed yet, so nothing expires. */
  relationshipOpen?: true;
  relationshipClosedAt?: string;
  /** Capped classes: the interaction the cap counts from, and the cap. */
  lastInteractionAt?: string;
  lastInteractionDays?: number;
  /** An erasure request erases at once; false: deferred by a legal obligation, and the objects are Object-Locked. */
  erasable: boolean;
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
  const ruleDefinition = policy.classes[ruleClass];
  const shorter = known && ruleDefinition !== undefined && !keepsAtLeastAsLong(policy.classes[requested!]!, ruleDefinition);
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

  const clockless = cls.clock === 'relationship-end' && input.subject === undefined;
  if (clockless) basis = `${basis} (no client or subject key: counted from archive)`;
  const dates = datesOf({ ...cls, clock: clockless ? 'archive' : cls.clock }, input.now.toISOString(), input.subject, input.createdAt);
  const legalHold = input.legalHold === true;
  const retention: Retention = {
    retentionClass,
    days: cls.days,
    basis,
    legalHold,
    erasable: cls.erasable,
    ...dates,
  };
  return {
    retention: { ...retention, ...(expiresOf(retention) ? { ttl: ttlOf(retention.retainUntil) } : {}) },
    ...(warning ? { warning } : {}),
    ...(shorter ? { shorterRequestRefused: true as const } : {}),
  };
}

/**
 * Whether class `a` keeps a check at least as long as class `b` along every clock: as many days, counted from no
 * earlier a moment (a relationship-end class outlasts an archive one of the same days, never the reverse), no tighter
 * cap after the last interaction, and no erasure where `b` refuses one.
 */
export function keepsAtLeastAsLong(a: RetentionClass, b: RetentionClass): boolean {
  if (a.days < b.days) return false;
  if (b.clock === 'relationship-end' && a.clock !== 'relationship-end') return false;
  if (a.lastInteractionDays !== undefined && (b.lastInteractionDays === undefined || a.lastInteractionDays < b.lastInteractionDays)) return false;
  return !(a.erasable && !b.erasable);
}

type Dates = Pick<Retention, 'retainUntil' | 'clock' | 'relationshipOpen' | 'relationshipClosedAt' | 'lastInteractionAt' | 'lastInteractionDays'>;

/** The class's dates for a check archived at `archivedAt`, given what is known of its subject. */
function datesOf(cls: RetentionClass, archivedAt: string, subject: SubjectClock | undefined, createdAt: string | undefined): Dates {
  const floor = plusDays(archivedAt, cls.days);
  if (cls.clock === 'relationship-end') {
    const closedAt = subject?.relationshipClosedAt;
    if (!closedAt) return { clock: cls.clock, retainUntil: floor, relationshipOpen: true };
    return { clock: cls.clock, retainUntil: relationshipRetainUntil(floor, closedAt, Math.max(cls.days, subject?.relationshipDays ?? 0)), relationshipClosedAt: closedAt };
  }
  if (cls.lastInteractionDays === undefined) return { clock: cls.clock, retainUntil: floor };
  const interaction = latest(createdAt ?? archivedAt, subject?.lastInteractionAt);
  return {
    clock: cls.clock,
    retainUntil: cappedRetainUntil(archivedAt, cls.days, interaction, cls.lastInteractionDays),
    lastInteractionAt: interaction,
    lastInteractionDays: cls.lastInteractionDays,
  };
}

/**
 * A relationship-end record once its relationship has closed: `days` after the close, never before what it was kept
 * until already (its Object Lock can only be extended, and a close never shortens).
 */
export function relationshipRetainUntil(current: string, closedAt: string, days: number): string {
  return latest(current, plusDays(closedAt, days));
}

/** A capped record: its class's days from archive, or the cap after the last interaction, whichever comes first. */
export function cappedRetainUntil(archivedAt: string, days: number, lastInteractionAt: string, lastInteractionDays: number): string {
  const byClass = plusDays(archivedAt, days);
  const byInteraction = plusDays(lastInteractionAt, lastInteractionDays);
  return byClass < byInteraction ? byClass : byInteraction;
}

/**
 * Whether the record expires by itself: not under legal hold, and not waiting for its relationship to end. Records
 * that expire carry `ttl` (DynamoDB deletes them some days after); the others carry none.
 */
export function expiresOf(record: { legalHold?: boolean; relationshipOpen?: boolean }): boolean {
  return record.legalHold !== true && record.relationshipOpen !== true;
}

export function plusDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_SECONDS * 1000).toISOString();
}

/** The later of two ISO dates (normalized). */
export function latest(a: string, b: string | undefined): string {
  const first = new Date(a).toISOString();
  if (b === undefined) return first;
  const second = new Date(b).toISOString();
  return second > first ? second : first;
}

/** DynamoDB TTL (epoch seconds) of an ISO retain-until date. */
export function ttlOf(retainUntil: string): number {
  return Math.floor(Date.parse(retainUntil) / 1000);
}
