/**
 * The fault suite's scenarios, each a set of fault kinds repeated over `size` checks (a seeded Rng varies providers,
 * counts and targets). `npm test` runs them small; the soak (fault-mix.ts) draws from the same catalogue.
 */
import { randomUUID } from 'node:crypto';
import { CHECK_CREATED_DETAIL_TYPE, DEFAULT_EVENT_SOURCE } from '../../lambdas/events/check-created';
import { addDuplicates, addStorageFault, faultKind, kindsOf } from './fault-kinds';
import type { InvalidEvent, MalformedState, PlannedCheck, Scenario } from './plan';
import { createRng, type Rng } from './rng';

/** `size` checks cycling through the kinds, each built with its own draw of the Rng. */
function cycle(name: string, kinds: readonly string[], size: number, seed: number, extra: Partial<Scenario> = {}): Scenario {
  const rng = createRng(seed);
  const checks: PlannedCheck[] = Array.from({ length: size }, (_, i) => faultKind(kinds[i % kinds.length]!).build(rng));
  return { name, checks, ...extra };
}

export const SCENARIO_BUILDERS = {
  'provider 5xx bursts': (size: number, seed: number) =>
    cycle('provider 5xx bursts', ['5xx burst', '5xx burst', '5xx burst', 'provider down for good'], size, seed),
  '429 with Retry-After': (size: number, seed: number) => cycle('429 with Retry-After', ['429 Retry-After'], size, seed),
  'slow answers, timeouts and connection resets': (size: number, seed: number) =>
    cycle(
      'slow answers, timeouts and connection resets',
      ['slow answers', 'connection reset mid-answer', '5xx, 429 and resets together', 'image cut off mid-stream', 'slow image'],
      size,
      seed,
    ),
  'malformed base64 frames': (size: number, seed: number) => cycle('malformed base64 frames', ['malformed base64 frame'], size, seed),
  'wrong content types and magic bytes': (size: number, seed: number) =>
    cycle(
      'wrong content types and magic bytes',
      ['frame magic bytes mismatch', 'frame of a forbidden type (SVG)', 'image with a wrong content type', 'image bytes of another type'],
      size,
      seed,
    ),
  'oversized images': (size: number, seed: number) => cycle('oversized images', ['oversized image', 'oversized frame'], size, seed),
  'redirects off the allowlist': (size: number, seed: number) =>
    cycle('redirects off the allowlist', ['redirect off the allowlist', 'too many redirects', 'image behind redirects'], size, seed),
  'image URLs to internal addresses': (size: number, seed: number) =>
    cycle('image URLs to internal addresses', ['image URL to an internal address', 'redirect to an internal address'], size, seed),
  'images vanished before archiving': (size: number, seed: number) =>
    cycle(
      'images vanished before archiving',
      ['liveness image window missed', 'kyc image window missed', 'image already gone (404)', 'image host 5xx for good'],
      size,
      seed,
    ),
  'the same event three times': (size: number, seed: number) => {
    const rng = createRng(seed);
    const outcomes = kindsOf('outcome').filter((k) => k.name !== 'kyc sessionId not a UUID v1');
    const checks = Array.from({ length: size }, (_, i) => addDuplicates(outcomes[i % outcomes.length]!.build(rng), 3));
    return { name: 'the same event three times', checks };
  },
  'events with bad schemas': (size: number, seed: number) => {
    const rng = createRng(seed);
    const badIds = Array.from({ length: Math.max(1, Math.ceil(size / 3)) }, () => faultKind('kyc sessionId not a UUID v1').build(rng));
    return { name: 'events with bad schemas', checks: badIds, invalidEvents: invalidEvents(rng, size), malformedStates: malformedStates(rng) };
  },
  'S3 and DynamoDB throttling and refusals': (size: number, seed: number) =>
    cycle(
      'S3 and DynamoDB throttling and refusals',
      ['S3 throttling', 'DynamoDB throttling', 'S3 throttling', 'DynamoDB throttling', 'S3 refuses writes'],
      size,
      seed,
    ),
  'provider or S3 outage of 25 minutes across the archive step': (size: number, seed: number) =>
    cycle(
      'provider or S3 outage of 25 minutes across the archive step',
      ['provider outage of 25 minutes across the archive step', 'S3 outage of 25 minutes across the archive step'],
      size,
      seed,
    ),
  'provider or S3 outage of 120 minutes, past the evidence window': (size: number, seed: number) =>
    cycle(
      'provider or S3 outage of 120 minutes, past the evidence window',
      ['provider outage of 120 minutes across the archive step', 'S3 outage of 120 minutes across the archive step'],
      size,
      seed,
    ),
  'provider outage of 25 minutes during polling': (size: number, seed: number) =>
    cycle('provider outage of 25 minutes during polling', ['provider outage of 25 minutes during polling'], size, seed),
  'crash after uploads, before the record': (size: number, seed: number) => {
    const rng = createRng(seed);
    const bases = ['liveness passed', 'kyc success', 'malformed base64 frame', 'image already gone (404)'];
    const crash = (i: number) => addStorageFault(faultKind(bases[i % bases.length]!).build(rng), { kind: 'crash-before-record' });
    const checks = Array.from({ length: size }, (_, i) => crash(i));
    return { name: 'crash after uploads, before the record', checks };
  },
  // Two runs of one check at once: each check's workflow gets a second execution (a restart's name, the same input)
  // while the first still polls; both reach the archive step, one record must come out, anchoring the manifest in S3.
  'two runs of one check at once': (size: number, seed: number) => {
    const rng = createRng(seed);
    const bases = ['liveness passed', 'kyc success', 'verification completed', 'kyc failed'];
    const checks = Array.from({ length: size }, (_, i): PlannedCheck => {
      const check = faultKind(bases[i % bases.length]!).build(rng);
      const script = { ...check.script, pending: { polls: 4 } } as PlannedCheck['script'];
      return { ...check, script, label: `${check.label} + a second run at once`, kinds: [...check.kinds, 'a second run at once'], concurrentRuns: 1 };
    });
    return { name: 'two runs of one check at once', checks };
  },
  // Reconcile at volume: two in three checks' workflows are stopped while polling (redriven), one in three dies before
  // its record (the error record retried); beside them open items not due yet. The real reconcile pages the
  // open-checks index and runs out of time budget run after run: each open check acted on once, the others never.
  'reconcile at volume': (size: number, seed: number) => {
    const rng = createRng(seed);
    const bases = ['liveness passed', 'kyc success', 'verification completed'];
    const checks = Array.from({ length: size }, (_, i): PlannedCheck => {
      const check = faultKind(bases[i % bases.length]!).build(rng);
      if (i % 3 === 2) return addStorageFault(check, { kind: 'crash-before-record' });
      const script = { ...check.script, pending: { polls: 30 } } as PlannedCheck['script'];
      return { ...check, script, label: `${check.label} + stopped while polling`, kinds: [...check.kinds, 'stopped while polling'], stoppedWhilePolling: true };
    });
    return { name: 'reconcile at volume', checks, reconcile: { pageSize: 3, checksPerRun: 4, notDue: 200 } };
  },
  // Checks that end at once (each path's record status) so the burst, not the polling, is what the scenario measures;
  // the session throttles StartExecution (see test/reliability/burst.test.ts).
  'a burst of events past the start path': (size: number, seed: number) => ({
    ...cycle('a burst of events past the start path', ['liveness passed', 'kyc success', 'verification completed', 'liveness failed'], size, seed),
    burst: true,
  }),
} satisfies Record<string, (size: number, seed: number) => Scenario>;

export type ScenarioName = keyof typeof SCENARIO_BUILDERS;

export function buildScenario(name: ScenarioName, size: number, seed = 6): Scenario {
  return SCENARIO_BUILDERS[name](size, seed);
}

function envelope(detail: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    source: DEFAULT_EVENT_SOURCE,
    'detail-type': CHECK_CREATED_DETAIL_TYPE,
    time: new Date().toISOString(),
    detail,
    ...overrides,
  };
}

/** A liveness-token-shaped secret: each broken event carries one, which must reach neither a log nor a dead letter. */
function token(rng: Rng): string {
  return `tok${rng.hex(29)}`;
}

/** Events that break the contract in as many ways as there are: each must be rejected, none may start a workflow. */
export function invalidEvents(rng: Rng, count: number): InvalidEvent[] {
  const makers: Array<(secret: string) => { label: string; event: unknown }> = [
    (s) => ({ label: 'unknown provider', event: envelope({ provider: 'passport', checkId: s }) }),
    () => ({ label: 'no checkId', event: envelope({ provider: 'liveness' }) }),
    () => ({ label: 'empty checkId', event: envelope({ provider: 'kyc', checkId: '' }) }),
    (s) => ({ label: 'checkId not a string', event: envelope({ provider: 'verification', checkId: [s] }) }),
    (s) => ({ label: 'checkId too long', event: envelope({ provider: 'liveness', checkId: s.repeat(80) }) }),
    (s) => ({ label: 'clientKey too long', event: envelope({ provider: 'kyc', checkId: s, clientKey: 'k'.repeat(37) }) }),
    (s) => ({ label: 'createdAt not a date', event: envelope({ provider: 'liveness', checkId: s, createdAt: 'yesterday' }) }),
    (s) => ({ label: 'retentionClass with capitals', event: envelope({ provider: 'liveness', checkId: s, retentionClass: 'Forever' }) }),
    (s) => ({ label: 'wrong detail-type', event: envelope({ provider: 'liveness', checkId: s }, { 'detail-type': 'Check Deleted' }) }),
    (s) => ({ label: 'no time', event: envelope({ provider: 'liveness', checkId: s }, { time: undefined }) }),
    (s) => ({ label: 'detail is a string', event: envelope(JSON.stringify({ provider: 'liveness', checkId: s })) }),
    () => ({ label: 'event is null', event: null }),
    (s) => ({ label: 'event is an array', event: [{ provider: 'liveness', checkId: s }] }),
    (s) => ({ label: 'event is a bare detail', event: { provider: 'liveness', checkId: s } }),
    (s) => ({ label: 'provider in capitals', event: envelope({ provider: 'LIVENESS', checkId: s }) }),
  ];
  return Array.from({ length: count }, (_, i) => {
    const secret = token(rng);
    const made = makers[i % makers.length]!(secret);
    const carries = JSON.stringify(made.event ?? null).includes(secret);
    return { label: made.label, event: made.event, ...(carries ? { secret } : {}) };
  });
}

/**
 * Workflow states that did not come from the start function (a redrive or an operator's hand-started execution):
 * refused by the first task, and recorded as an error under the check they name when they name one.
 */
export function malformedStates(rng: Rng): MalformedState[] {
  const checkId = token(rng);
  return [
    {
      label: 'checkRef that is not the hash of the check id',
      input: { check: { provider: 'liveness', checkId, checkRef: 'f'.repeat(32), createdAt: new Date().toISOString() } },
      salvage: { provider: 'liveness', checkId },
    },
    { label: 'no check at all', input: { hello: 'world' } },
  ];
}
