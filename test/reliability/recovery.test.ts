/**
 * Runs that overlap and checks left open, at the suite's scale: two workflows of one check at once must converge on
 * one record that anchors the manifest in S3; workflows stopped while polling and archive steps that died before their
 * record are recovered by the real reconcile, paging the open-checks index and stopping for time run after run, each
 * open check acted on exactly once and the checks not yet due never read. After each scenario, `verify` passes on
 * every record (no record anchors a manifest that is not the one in S3).
 */
import { expect } from 'vitest';
import { buildScenario } from '../../local/reliability/scenarios';
import { describeReliability } from './support';

const CONCURRENT = 8;
const OPEN = 12;

describeReliability({
  name: 'recovery',
  source: 'test/reliability/recovery.test.ts',
  options: { storageFaults: true },
  scenarios: [() => buildScenario('two runs of one check at once', CONCURRENT, 641), () => buildScenario('reconcile at volume', OPEN, 642)],
  expectations: {
    'two runs of one check at once': (f) => {
      expect(f.recovery).toMatchObject({ concurrentRuns: CONCURRENT });
      expect(f.workflows).toBe(2 * CONCURRENT);
      expect(f.verified).toBe(CONCURRENT);
      expect(f.statuses).toEqual({ archived: CONCURRENT });
    },
    'reconcile at volume': (f, s) => {
      // Two in three stopped while polling (redriven, resumed at the poll), one in three crashed before its record
      // (its error record retried by a new execution).
      expect(f.recovery).toMatchObject({ redriven: (2 * OPEN) / 3, retried: OPEN / 3, restarted: 0, notDue: 200 });
      expect(f.recovery!.reconcileRuns).toBeGreaterThanOrEqual(OPEN / 4);
      expect(s.storageFaults!.counts().crashes).toBe(OPEN / 3);
      expect(f.verified).toBe(OPEN);
      expect(f.statuses).toEqual({ archived: OPEN });
    },
  },
});
