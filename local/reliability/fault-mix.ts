/**
 * The soak's random mix: every check draws a kind from the whole catalogue (outcomes, provider faults, bad or
 * unreachable evidence, storage faults), then maybe a flaky provider, a storage fault and duplicate deliveries on top;
 * a share of broken events and hand-started malformed states rides along. Seeded: the same seed, the same mix.
 */
import { FAULT_KINDS, addDuplicates, addStatusFaults, addStorageFault, type FaultKind, type KindFamily } from './fault-kinds';
import type { PlannedCheck, Scenario, StorageFault } from './plan';
import { createRng, type Rng } from './rng';
import { invalidEvents, malformedStates } from './scenarios';

/** How often each family is drawn (oversized evidence is rarer: it streams tens of MiB). */
const FAMILY_WEIGHTS: Record<KindFamily, number> = { outcome: 30, provider: 25, evidence: 35, storage: 10, outage: 0 };
const RARE = new Set(['oversized image', 'oversized frame', 'provider down for good']);

export interface MixOptions {
  checks: number;
  seed: number;
  /** Include storage faults (needs a session with storageFaults). @default true */
  storage?: boolean;
}

export function randomMix({ checks, seed, storage = true }: MixOptions): Scenario {
  const rng = createRng(seed);
  const families = (Object.keys(FAMILY_WEIGHTS) as KindFamily[]).filter((family) => FAMILY_WEIGHTS[family] > 0 && (storage || family !== 'storage'));
  const byFamily = new Map(families.map((family) => [family, [...FAULT_KINDS.values()].filter((k) => k.family === family)]));
  const planned: PlannedCheck[] = Array.from({ length: checks }, (_, i) => {
    let check = pickKind(rng, families, byFamily).build(rng);
    if (rng.chance(0.25)) check = addStatusFaults(check, rng);
    if (storage && rng.chance(0.1)) check = addStorageFault(check, randomStorageFault(rng));
    if (rng.chance(0.08)) check = addDuplicates(check, rng.int(2, 3));
    return { ...check, label: `#${i + 1} ${check.label}` };
  });
  return {
    name: `random mix of ${checks} checks (seed ${seed})`,
    checks: planned,
    invalidEvents: invalidEvents(rng, Math.max(2, Math.round(checks * 0.03))),
    malformedStates: malformedStates(rng),
  };
}

function pickKind(rng: Rng, families: KindFamily[], byFamily: Map<KindFamily, FaultKind[]>): FaultKind {
  const totalWeight = families.reduce((sum, family) => sum + FAMILY_WEIGHTS[family], 0);
  let draw = rng.next() * totalWeight;
  const family = families.find((f) => (draw -= FAMILY_WEIGHTS[f]) < 0) ?? families[0]!;
  const kinds = byFamily.get(family)!;
  for (;;) {
    const kind = rng.pick(kinds);
    // Rare kinds are re-drawn four times out of five.
    if (!RARE.has(kind.name) || rng.chance(0.2)) return kind;
  }
}

function randomStorageFault(rng: Rng): StorageFault {
  switch (rng.int(0, 3)) {
    case 0:
      return { kind: 's3-throttle', failures: rng.int(1, 3) };
    case 1:
      return { kind: 'dynamo-throttle', failures: rng.int(1, 3) };
    case 2:
      return { kind: 's3-denied' };
    default:
      return { kind: 'crash-before-record' };
  }
}
