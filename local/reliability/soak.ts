/**
 * The soak: one local stack, a random mix of checks (fault-mix.ts) with storage faults injected, the invariants and
 * the log scan at the end. `npm run soak` runs 1,000 checks; `npm test` a smaller one (test/reliability/soak.test.ts).
 */
import type { ScenarioFigures } from './figures';
import { randomMix } from './fault-mix';
import type { Leak } from './secrets';
import { startSession } from './session';

export interface SoakOptions {
  checks: number;
  seed: number;
  timeFactor?: number;
  storageFaults?: boolean;
  echo?: boolean;
}

export interface SoakResult {
  figures: ScenarioFigures;
  /** Every captured line searched again with every secret learnt during the run. */
  leaks: Leak[];
  storageFaultsInjected?: Record<string, number>;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const storageFaults = options.storageFaults ?? true;
  const session = await startSession({
    timeFactor: options.timeFactor ?? 100,
    storageFaults,
    echo: options.echo ?? false,
    // Enough answers read back to know many people's data and images, few enough to stay quick.
    secretSamples: Math.min(40, Math.max(6, Math.ceil(options.checks / 20))),
  });
  try {
    const figures = await session.run(randomMix({ checks: options.checks, seed: options.seed, storage: storageFaults }));
    const leaks = session.leaks();
    const counts = session.storageFaults?.counts();
    return { figures: { ...figures, leaked: Math.max(figures.leaked, leaks.length) }, leaks, ...(counts ? { storageFaultsInjected: { ...counts } } : {}) };
  } finally {
    await session.close();
  }
}
