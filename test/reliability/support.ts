/**
 * One test file = one local stack (the handlers read their environment at import: one stack per process) running
 * several scenarios in turn. After each, the whole archive is checked (lost = 0, duplicated = 0, untruthful = 0) and
 * every log line written meanwhile is searched for the run's secrets (leaked = 0). The figures go to
 * reliability/results/<file>.json, from which the figures of docs/reliability.md are generated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryLine, writeFigures, type ScenarioFigures } from '../../local/reliability/figures';
import type { Scenario } from '../../local/reliability/plan';
import { startSession, type Session, type SessionOptions } from '../../local/reliability/session';

export interface ReliabilityFile {
  /** Results file name (without .json). */
  name: string;
  source: string;
  scenarios: ReadonlyArray<() => Scenario>;
  options?: SessionOptions;
  /** Extra assertions on the figures of one scenario, by scenario name. */
  expectations?: Record<string, (figures: ScenarioFigures, session: Session) => void | Promise<void>>;
}

export function describeReliability(file: ReliabilityFile): { session: () => Session; figures: () => ScenarioFigures[] } {
  let session: Session | undefined;
  const figures: ScenarioFigures[] = [];
  const scenarios = file.scenarios.map((build) => build());

  beforeAll(async () => {
    session = await startSession(file.options);
    for (const scenario of scenarios) figures.push(await session.run(scenario));
  }, 240_000);

  afterAll(async () => {
    await session?.close();
    if (figures.length > 0) {
      await writeFigures(file.name, { suite: 'npm test', source: file.source, scenarios: figures });
      for (const f of figures) process.stdout.write(`${summaryLine(f)}\n`);
    }
  });

  describe.each(scenarios.map((scenario) => scenario.name))('%s', (name) => {
    const of = () => {
      const found = figures.find((f) => f.scenario === name);
      if (!found) throw new Error(`scenario ${name} did not run`);
      return found;
    };

    it('every check that entered has exactly one record, with the status its path must give; nothing lost, duplicated or leaked', () => {
      const f = of();
      expect(f.violations).toEqual([]);
      expect({ lost: f.lost, duplicated: f.duplicated, untruthful: f.untruthful, leaked: f.leaked }).toEqual({ lost: 0, duplicated: 0, untruthful: 0, leaked: 0 });
      expect(f.records).toBe(f.checks + (scenarios.find((s) => s.name === name)!.malformedStates ?? []).filter((m) => m.salvage).length);
    });

    it('really injected its faults and logged what happened', async () => {
      const f = of();
      expect(f.checks).toBeGreaterThan(0);
      expect(f.faults).toBeGreaterThanOrEqual(f.checks);
      expect(f.logLines).toBeGreaterThan(f.checks);
      await file.expectations?.[name]?.(f, session!);
    });
  });

  it('no secret in any line the whole run logged: tokens, credentials, OCR values, emails, wallets, image bytes', () => {
    expect(session!.leaks()).toEqual([]);
    // The handlers logged each check's way (polls, archives, refusals): the scan had something to look at.
    expect(session!.capturedLines()).toBeGreaterThan(3 * figures.reduce((sum, f) => sum + f.checks, 0));
  });

  return { session: () => session!, figures: () => figures };
}
