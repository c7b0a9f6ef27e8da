/**
 * The soak, small: a random mix drawn from the whole fault catalogue (outcomes, provider faults, bad or unreachable
 * evidence, S3/DynamoDB faults, crashes re-run, duplicates, broken events, malformed states) through one local stack,
 * then the invariants and the log scan. `npm run soak` runs the same with 1,000 checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryLine, writeFigures } from '../../local/reliability/figures';
import { randomMix } from '../../local/reliability/fault-mix';
import { runSoak, type SoakResult } from '../../local/reliability/soak';

const CHECKS = 60;
const SEED = 606;

let result: SoakResult;
beforeAll(async () => {
  result = await runSoak({ checks: CHECKS, seed: SEED });
}, 240_000);

afterAll(async () => {
  if (!result) return;
  await writeFigures('soak-small', { suite: 'npm test', source: 'test/reliability/soak.test.ts', scenarios: [result.figures] });
  process.stdout.write(`${summaryLine(result.figures)}\n`);
});

describe(`soak: ${CHECKS} checks with random faults`, () => {
  it('draws faults of every family, and the same seed draws the same mix', () => {
    const mix = randomMix({ checks: CHECKS, seed: SEED });
    // Events carry fresh ids and times; what is drawn — the checks, their faults and the broken events — repeats.
    const drawn = (m: typeof mix) => ({ checks: m.checks, invalid: m.invalidEvents!.map((e) => [e.label, e.secret]) });
    expect(drawn(randomMix({ checks: CHECKS, seed: SEED }))).toEqual(drawn(mix));
    expect(drawn(randomMix({ checks: CHECKS, seed: SEED + 1 }))).not.toEqual(drawn(mix));
    const kinds = new Set(mix.checks.flatMap((check) => check.kinds));
    expect(kinds.size).toBeGreaterThan(20);
    expect(mix.checks.some((check) => check.storage)).toBe(true);
    expect(mix.checks.some((check) => (check.deliveries ?? 1) > 1)).toBe(true);
    expect(mix.invalidEvents!.length).toBeGreaterThan(0);
  });

  it('ends with exactly one truthful record per check: lost = 0, duplicated = 0, untruthful = 0', () => {
    const f = result.figures;
    expect(f.violations).toEqual([]);
    expect({ lost: f.lost, duplicated: f.duplicated, untruthful: f.untruthful }).toEqual({ lost: 0, duplicated: 0, untruthful: 0 });
    expect(f.checks).toBe(CHECKS);
    expect(f.records).toBe(CHECKS + 1); // and the hand-started state that named its check
    expect(f.objects).toBeGreaterThan(CHECKS);
  });

  it('leaks nothing: no secret in any of the lines it logged', () => {
    expect(result.leaks).toEqual([]);
    expect(result.figures.leaked).toBe(0);
    expect(result.figures.logLines).toBeGreaterThan(3 * CHECKS);
  });

  it('injected storage faults and re-ran what crashed', () => {
    const injected = Object.values(result.storageFaultsInjected ?? {}).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(0);
    expect(result.figures.faults).toBeGreaterThan(CHECKS);
  });
});
