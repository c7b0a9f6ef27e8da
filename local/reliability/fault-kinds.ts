/**
 * The catalogue of what can happen to a check, each with the record status it must end in: clean outcomes of every
 * provider, faults of the provider's status endpoint, bad or unreachable evidence, and storage faults. Scenarios pick
 * kinds by name; the soak draws them at random (fault-mix.ts). Builders take a seeded Rng so a run can be replayed.
 */
import type { RecordStatus } from '../../lambdas/records/record';
import type { CheckScript } from '../fake-providers';
import { SUITE_TIME_FACTOR, type PlannedCheck, type StorageFault } from './plan';
import type { Rng } from './rng';

type Script<P extends CheckScript['provider']> = Extract<CheckScript, { provider: P }>;
type StatusFaults = NonNullable<Script<'verification'>['faults']>;

/** `outage`: long outages (25 simulated minutes each), for their own scenarios; the random mix does not draw them. */
export type KindFamily = 'outcome' | 'provider' | 'evidence' | 'storage' | 'outage';

export interface FaultKind {
  name: string;
  family: KindFamily;
  build(rng: Rng): PlannedCheck;
}

const MINUTE = 60_000;
/** Simulated minutes, in the real milliseconds the fake providers and the storage faults keep. */
const outageMs = (minutes: number) => (minutes * MINUTE) / SUITE_TIME_FACTOR;
const FORMATS = ['jpeg', 'png', 'webp'] as const;

/** Image URLs an attacker-controlled answer could point at: cloud metadata, the Lambda runtime API, private ranges. */
export const FORBIDDEN_IMAGE_URLS = [
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'https://169.254.169.254/latest/api/token',
  'http://127.0.0.1.nip.io:9001/2018-06-01/runtime/invocation/next',
  'https://127.0.0.2:9001/2018-06-01/runtime/invocation/next',
  'https://10.0.0.8/images/passport.jpg',
  'http://10.1.2.3:8080/internal/selfie.png',
  'https://localhost/selfie.jpg',
  'http://localhost:9001/2018-06-01/runtime/invocation/next',
  'https://[::1]/x.jpg',
  'file:///etc/passwd',
] as const;

/** Redirect targets off the image-host allowlist. */
export const OFF_ALLOWLIST_LOCATIONS = [
  'https://images.attacker.example/selfie.jpg',
  'http://evil.example/collect?x=1',
  'https://169.254.169.254/latest/meta-data/',
  'http://10.0.0.1/',
  'https://user:pass@images.attacker.example/x.jpg',
  'ftp://images.attacker.example/x.jpg',
] as const;

function planned(label: string, kinds: string[], script: CheckScript, expect: RecordStatus, faults: number, extra: Partial<PlannedCheck> = {}): PlannedCheck {
  return { label, kinds, script, expect, faults, ...extra };
}

function pending(rng: Rng): { pending: { polls: number } } {
  return { pending: { polls: rng.int(0, 2) } };
}

/** A check with personal data of its own in the answer, so a leak would be attributable. */
function verificationContent(rng: Rng): string {
  return `Reported by jane.roe+${rng.hex(6)}@example.test, wallet 0x${rng.hex(40)}: the claim in this post is accurate.`;
}

function liveness(rng: Rng, extra: Partial<Script<'liveness'>> = {}): Script<'liveness'> {
  return {
    provider: 'liveness',
    ...pending(rng),
    auditFrames: rng.int(2, 4),
    frameFormats: [rng.pick(FORMATS), rng.pick(FORMATS)],
    ...extra,
  };
}

function kyc(rng: Rng, extra: Partial<Script<'kyc'>> = {}): Script<'kyc'> {
  return {
    provider: 'kyc',
    ...pending(rng),
    tasks: [
      { type: 'document', imagesFull: rng.int(1, 2), tries: rng.int(1, 2) },
      { type: 'selfie', imagesFull: 1 },
    ],
    imageFormats: [rng.pick(FORMATS)],
    ...extra,
  };
}

function verification(rng: Rng, extra: Partial<Script<'verification'>> = {}): Script<'verification'> {
  return { provider: 'verification', ...pending(rng), content: verificationContent(rng), ...extra };
}

function anyProvider(rng: Rng): CheckScript {
  return rng.pick([liveness, kyc, verification])(rng);
}

/** The status endpoint's faults merged into a script's own. */
function withStatusFaults(script: CheckScript, faults: StatusFaults): CheckScript {
  return { ...script, faults: { ...(script.faults ?? {}), ...faults } } as CheckScript;
}

function kind(name: string, family: KindFamily, build: (rng: Rng) => Omit<PlannedCheck, 'kinds' | 'label'> & { label?: string }): FaultKind {
  return {
    name,
    family,
    build: (rng) => {
      const built = build(rng);
      return { ...built, label: built.label || name, kinds: [name] };
    },
  };
}

const KINDS: FaultKind[] = [
  // Clean outcomes: every record status a provider's answer can lead to.
  kind('liveness passed', 'outcome', (rng) => planned('', [], liveness(rng), 'archived', 0)),
  kind('liveness not passed', 'outcome', (rng) => planned('', [], liveness(rng, { passed: false }), 'archived', 0)),
  kind('liveness failed', 'outcome', (rng) => planned('', [], liveness(rng, { outcome: 'failed' }), 'failed', 0)),
  kind('liveness expired', 'outcome', (rng) => planned('', [], liveness(rng, { outcome: 'expired' }), 'expired', 0)),
  kind('liveness unknown token', 'outcome', (rng) => planned('', [], liveness(rng, { outcome: 'not-found' }), 'invalid', 0)),
  kind('kyc success', 'outcome', (rng) => planned('', [], kyc(rng), 'archived', 0)),
  kind('kyc failed', 'outcome', (rng) => planned('', [], kyc(rng, { outcome: 'failed' }), 'archived', 0)),
  kind('kyc exception', 'outcome', (rng) => planned('', [], kyc(rng, { outcome: 'exception' }), 'exception', 0)),
  kind('kyc expired', 'outcome', (rng) => planned('', [], kyc(rng, { outcome: 'expired' }), 'expired', 0)),
  kind('kyc session not found', 'outcome', (rng) => planned('', [], kyc(rng, { outcome: 'not-found' }), 'not-found', 0)),
  kind('kyc sessionId not a UUID v1', 'outcome', (rng) =>
    planned('', [], kyc(rng), 'invalid', 1, { eventCheckId: `session-${rng.hex(12)}` }),
  ),
  kind('verification completed', 'outcome', (rng) => planned('', [], verification(rng), 'archived', 0)),
  kind('verification escalated, resolved', 'outcome', (rng) =>
    planned('', [], verification(rng, { outcome: 'escalated', escalation: { resolveAfter: { polls: rng.int(1, 2) } } }), 'archived', 0),
  ),
  kind('verification not found', 'outcome', (rng) => planned('', [], verification(rng, { outcome: 'not-found' }), 'not-found', 0)),
  kind('verification forbidden', 'outcome', (rng) => planned('', [], verification(rng, { outcome: 'forbidden' }), 'forbidden', 0)),

  // The provider's status endpoint misbehaves, then recovers: absorbed by the poll backoff and the task retries.
  kind('5xx burst', 'provider', (rng) => {
    const count = rng.int(1, 5);
    const status = rng.pick([500, 502, 503, 504] as const);
    return planned('', [], withStatusFaults(anyProvider(rng), { serverErrors: { count, status } }), 'archived', count);
  }),
  kind('429 Retry-After', 'provider', (rng) => {
    const count = rng.int(1, 3);
    return planned('', [], withStatusFaults(anyProvider(rng), { rateLimited: { count, retryAfterSeconds: rng.int(1, 3) } }), 'archived', count);
  }),
  kind('slow answers', 'provider', (rng) =>
    planned('', [], withStatusFaults(anyProvider(rng), { delayMs: rng.int(100, 800) }), 'archived', 1),
  ),
  kind('connection reset mid-answer', 'provider', (rng) => {
    const count = rng.int(1, 2);
    // terminalOnly: the cut-off answer is the one the archive step fetches, so the task retry is what recovers.
    const truncated = { count, terminalOnly: rng.chance(0.5) };
    return planned('', [], withStatusFaults(anyProvider(rng), { truncated }), 'archived', count);
  }),
  kind('5xx, 429 and resets together', 'provider', (rng) => {
    const faults = { serverErrors: { count: rng.int(1, 3) }, rateLimited: { count: rng.int(1, 2), retryAfterSeconds: 1 }, truncated: { count: 1 } };
    const count = faults.serverErrors.count + faults.rateLimited.count + 1;
    return planned('', [], withStatusFaults(anyProvider(rng), faults), 'archived', count);
  }),
  kind('provider down for good', 'provider', (rng) =>
    planned('', [], verification(rng, { faults: { serverErrors: { count: 1000, status: rng.pick([500, 503] as const) } } }), 'error', 1),
  ),

  // Evidence that is bad, hostile or gone: the check is archived with what could be had, and says what is missing.
  kind('malformed base64 frame', 'evidence', (rng) => {
    const script = liveness(rng);
    const frames = [...new Set([rng.int(0, script.auditFrames! - 1), rng.int(0, script.auditFrames! - 1)])];
    const faults = frames.map((frame) => ({ frame, kind: 'malformed-base64' as const }));
    return planned('', [], { ...script, faults: { frames: faults } }, 'archived-partial', faults.length);
  }),
  kind('frame magic bytes mismatch', 'evidence', (rng) => {
    const frame = rng.chance(0.3) ? ('probe' as const) : 0;
    return planned('', [], liveness(rng, { faults: { frames: [{ frame, kind: 'magic-mismatch' }] } }), 'archived-partial', 1);
  }),
  kind('frame of a forbidden type (SVG)', 'evidence', (rng) =>
    planned('', [], liveness(rng, { faults: { frames: [{ frame: 1, kind: 'unsupported-type' }] } }), 'archived-partial', 1),
  ),
  kind('oversized frame', 'evidence', (rng) =>
    planned('', [], liveness(rng, { faults: { frames: [{ frame: 0, kind: 'oversized', mib: 5.5 }] } }), 'archived-partial', 1),
  ),
  kind('image with a wrong content type', 'evidence', (rng) => {
    const contentType = rng.pick(['text/html; charset=utf-8', 'application/json', 'image/svg+xml', 'image/gif']);
    return planned('', [], kyc(rng, { faults: { images: [{ task: 1, kind: 'wrong-content-type', contentType }] } }), 'archived-partial', 1);
  }),
  kind('image bytes of another type', 'evidence', (rng) => {
    // Declared PNG or WebP, served as JPEG bytes: the magic bytes decide.
    const contentType = rng.pick(['image/png', 'image/webp']);
    return planned('', [], kyc(rng, { imageFormats: ['jpeg'], faults: { images: [{ task: 0, kind: 'wrong-content-type', contentType }] } }), 'archived-partial', 1);
  }),
  kind('oversized image', 'evidence', (rng) =>
    planned('', [], kyc(rng, { faults: { images: [{ task: 1, kind: 'oversized', mib: 26, omitContentLength: rng.chance(0.25) }] } }), 'archived-partial', 1),
  ),
  kind('image cut off mid-stream', 'evidence', (rng) =>
    planned('', [], kyc(rng, { faults: { images: [{ task: 1, kind: 'fail-mid-stream' }] } }), 'archived-partial', 1),
  ),
  kind('image host 5xx for good', 'evidence', (rng) =>
    planned('', [], kyc(rng, { faults: { images: [{ task: 0, kind: 'server-error', status: rng.pick([500, 502, 503] as const) }] } }), 'archived-partial', 1),
  ),
  kind('slow image', 'evidence', (rng) =>
    planned('', [], kyc(rng, { faults: { images: [{ task: 1, kind: 'slow', delayMs: rng.int(100, 600) }] } }), 'archived', 1),
  ),
  kind('image behind redirects', 'evidence', (rng) =>
    planned('', [], kyc(rng, { faults: { images: [{ task: 0, kind: 'redirect', hops: rng.int(1, 3) }] } }), 'archived', 1),
  ),
  kind('too many redirects', 'evidence', (rng) =>
    planned('', [], kyc(rng, { faults: { images: [{ task: 0, kind: 'redirect', hops: rng.int(4, 8) }] } }), 'archived-partial', 1),
  ),
  kind('redirect off the allowlist', 'evidence', (rng) => {
    const location = rng.pick(OFF_ALLOWLIST_LOCATIONS);
    return planned('', [], kyc(rng, { faults: { images: [{ task: rng.int(0, 1), kind: 'redirect-to', location }] } }), 'archived-partial', 1);
  }),
  kind('image URL to an internal address', 'evidence', (rng) => {
    const url = rng.pick(FORBIDDEN_IMAGE_URLS);
    return planned('', [], kyc(rng, { faults: { images: [{ task: rng.int(0, 1), kind: 'url', url }] } }), 'archived-partial', 1);
  }),
  kind('redirect to an internal address', 'evidence', (rng) => {
    const location = rng.pick(FORBIDDEN_IMAGE_URLS.filter((url) => url.startsWith('http')));
    return planned('', [], kyc(rng, { faults: { images: [{ task: 0, kind: 'redirect-to', location }] } }), 'archived-partial', 1);
  }),
  kind('image already gone (404)', 'evidence', (rng) =>
    planned('', [], kyc(rng, { faults: { images: [{ task: rng.int(0, 1), kind: 'not-found' }] } }), 'archived-partial', 1),
  ),
  kind('liveness image window missed', 'evidence', (rng) => {
    const { pending: _pending, ...script } = liveness(rng);
    return planned('', [], { ...script, completedAgoMs: rng.int(31, 180) * MINUTE }, 'archived-partial', 1);
  }),
  kind('kyc image window missed', 'evidence', (rng) => {
    const { pending: _pending, ...script } = kyc(rng);
    return planned('', [], { ...script, completedAgoMs: rng.int(31, 180) * MINUTE }, 'archived-partial', 1);
  }),

  // Long outages of the provider or of S3 (simulated minutes, at the suite's time factor): 25 minutes are ridden out
  // by polling or the archive step — archived, nothing missing; 120 outlast the evidence window — an error record that
  // says so, never `archived` with gaps. Far past the 30 minutes: the step's budget counts the waits it asked for, and
  // on a loaded machine each attempt's own run adds simulated time the fake providers see pass.
  kind('provider outage of 25 minutes during polling', 'outage', (rng) => {
    // Pending across the outage: its polls meet only errors, then it completes.
    const script = withStatusFaults({ ...anyProvider(rng), pending: { polls: 1 } }, { outage: { ms: outageMs(25), status: rng.pick([500, 502, 503, 504] as const) } });
    return planned('', [], script, 'archived', 1);
  }),
  ...[25, 120].flatMap((minutes) => {
    const expect = minutes < 30 ? ('archived' as const) : ('error' as const);
    return [
      kind(`provider outage of ${minutes} minutes across the archive step`, 'outage', (rng) => {
        // The poll sees the outcome; the provider is down before the archive step's own fetch (429: with Retry-After).
        const status = rng.pick([503, 502, 429] as const);
        const outage = { ms: outageMs(minutes), status, afterTerminalAnswers: 1, ...(status === 429 ? { retryAfterSeconds: rng.int(60, 240) } : {}) };
        return planned('', [], withStatusFaults(anyProvider(rng), { outage }), expect, 1);
      }),
      kind(`S3 outage of ${minutes} minutes across the archive step`, 'outage', (rng) =>
        ({ script: rng.pick([liveness, kyc])(rng), expect, faults: 1, storage: { kind: 's3-outage', ms: outageMs(minutes) } }),
      ),
    ];
  }),

  // Storage faults on an otherwise clean check with evidence.
  kind('S3 throttling', 'storage', (rng) => storageFaulted(rng, { kind: 's3-throttle', failures: rng.int(1, 3) })),
  kind('DynamoDB throttling', 'storage', (rng) => storageFaulted(rng, { kind: 'dynamo-throttle', failures: rng.int(1, 3) })),
  kind('S3 refuses writes', 'storage', (rng) => storageFaulted(rng, { kind: 's3-denied' })),
  kind('crash after uploads, before the record', 'storage', (rng) => storageFaulted(rng, { kind: 'crash-before-record' })),
];

function storageFaulted(rng: Rng, storage: StorageFault): Omit<PlannedCheck, 'kinds' | 'label'> {
  const script = rng.pick([liveness, kyc])(rng);
  const faults = storage.kind === 's3-throttle' || storage.kind === 'dynamo-throttle' ? storage.failures : 1;
  return { script, expect: storage.kind === 's3-denied' ? 'error' : 'archived', faults, storage };
}

export const FAULT_KINDS: ReadonlyMap<string, FaultKind> = new Map(KINDS.map((k) => [k.name, k]));

export function faultKind(name: string): FaultKind {
  const found = FAULT_KINDS.get(name);
  if (!found) throw new RangeError(`no fault kind named ${name}`);
  return found;
}

export function kindsOf(family: KindFamily): FaultKind[] {
  return KINDS.filter((k) => k.family === family);
}

const STORAGE_KIND_NAMES: Record<StorageFault['kind'], string> = {
  's3-throttle': 'S3 throttling',
  's3-outage': 'S3 outage across the archive step',
  'dynamo-throttle': 'DynamoDB throttling',
  's3-denied': 'S3 refuses writes',
  'crash-before-record': 'crash after uploads, before the record',
};

/**
 * Adds a storage fault to a check whose path writes evidence and a final record (archived or archived-partial);
 * other checks are returned unchanged. S3 refusing writes turns the expected status into error.
 */
export function addStorageFault(check: PlannedCheck, storage: StorageFault): PlannedCheck {
  if (check.storage || (check.expect !== 'archived' && check.expect !== 'archived-partial')) return check;
  const name = STORAGE_KIND_NAMES[storage.kind];
  const faults = storage.kind === 's3-throttle' || storage.kind === 'dynamo-throttle' ? storage.failures : 1;
  return {
    ...check,
    label: `${check.label} + ${name}`,
    kinds: [...check.kinds, name],
    faults: check.faults + faults,
    storage,
    ...(storage.kind === 's3-denied' ? { expect: 'error' as const } : {}),
  };
}

/** Adds transient status-endpoint faults (5xx, 429, slow answers) to a check whose path ends in an answer. */
export function addStatusFaults(check: PlannedCheck, rng: Rng): PlannedCheck {
  if (check.kinds.some((k) => FAULT_KINDS.get(k)?.family === 'provider') || check.expect === 'error') return check;
  const serverErrors = rng.chance(0.6) ? { count: rng.int(1, 3) } : undefined;
  const rateLimited = rng.chance(0.4) ? { count: 1, retryAfterSeconds: 1 } : undefined;
  const delayMs = rng.chance(0.3) ? rng.int(50, 300) : undefined;
  const added = (serverErrors?.count ?? 0) + (rateLimited?.count ?? 0) + (delayMs ? 1 : 0);
  if (added === 0) return check;
  const faults = { ...(serverErrors && { serverErrors }), ...(rateLimited && { rateLimited }), ...(delayMs && { delayMs }) };
  return {
    ...check,
    label: `${check.label} + flaky provider`,
    kinds: [...check.kinds, 'flaky provider'],
    faults: check.faults + added,
    script: withStatusFaults(check.script, faults),
  };
}

/** Delivers the check's event `deliveries` times in all. */
export function addDuplicates(check: PlannedCheck, deliveries: number): PlannedCheck {
  return {
    ...check,
    label: `${check.label} ×${deliveries}`,
    kinds: [...check.kinds, 'same event delivered again'],
    faults: check.faults + deliveries - 1,
    deliveries,
  };
}
