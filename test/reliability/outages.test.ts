/**
 * Long outages, 25 simulated minutes each (the suite's Wait states and retry pauses run 100× faster, and so do the
 * outages: 15 real seconds), through the local stack: the provider down before the archive step's own fetch (5xx, or
 * 429 with Retry-After), S3 answering SlowDown to every request of the archive step (aws-sdk-client-mock in the
 * handlers' own clients), and the provider down while a check is still being polled. Every check ends archived,
 * nothing missing: the archive step waits in the workflow, within the evidence window, rather than failing. An outage
 * of 120 minutes outlasts the window: the archive step stops at its end, and the record says why.
 */
import { expect } from 'vitest';
import { buildScenario } from '../../local/reliability/scenarios';
import { describeReliability } from './support';

const ARCHIVE_STEP = 6;
const POLLING = 3;
const PAST_WINDOW = 2;

describeReliability({
  name: 'outages',
  source: 'test/reliability/outages.test.ts',
  options: { storageFaults: true },
  scenarios: [
    () => buildScenario('provider or S3 outage of 25 minutes across the archive step', ARCHIVE_STEP, 641),
    () => buildScenario('provider outage of 25 minutes during polling', POLLING, 642),
    () => buildScenario('provider or S3 outage of 120 minutes, past the evidence window', PAST_WINDOW, 643),
  ],
  expectations: {
    'provider or S3 outage of 25 minutes across the archive step': (f, s) => {
      expect(f.statuses).toEqual({ archived: ARCHIVE_STEP });
      expect(f.missing).toEqual({});
      // S3 refused the archive step many times over the outage, not once or twice: the step waited it out.
      expect(s.storageFaults!.counts().s3OutageRefused).toBeGreaterThanOrEqual(3 * 10);
      // The provider's outage answered the archive step, which kept asking: at least a few times per check.
      const outageAnswers = s.stack.fakeProviders!.stats().checks.filter((c) => c.label?.includes('provider outage of 25 minutes across')).map((c) => c.requests - c.answers);
      expect(outageAnswers).toHaveLength(3);
      for (const answers of outageAnswers) expect(answers).toBeGreaterThanOrEqual(3);
    },
    'provider outage of 25 minutes during polling': (f, s) => {
      expect(f.statuses).toEqual({ archived: POLLING });
      const outageAnswers = s.stack.fakeProviders!.stats().checks.filter((c) => c.label?.includes('during polling')).map((c) => c.requests - c.answers);
      expect(outageAnswers).toHaveLength(POLLING);
      // 25 minutes at the poll loop's backoff (3 s doubling to 60 s): twenty-odd errors in a row, each absorbed.
      for (const answers of outageAnswers) expect(answers).toBeGreaterThanOrEqual(20);
    },
    'provider or S3 outage of 120 minutes, past the evidence window': async (f, s) => {
      // The archive step waited for the 30 minutes of the window, then said so: an error record, not `archived`.
      expect(f.statuses).toEqual({ error: PAST_WINDOW });
      const refs = new Set(s.stack.stepFunctions.executions().slice(-PAST_WINDOW).map((execution) => execution.name.split('-').at(-1)));
      const records = (await s.stack.records()).filter((record) => refs.has(record.checkRef));
      expect(records).toHaveLength(PAST_WINDOW);
      for (const record of records) {
        expect(record.error?.name).toBe('ArchiveOutageError');
        expect(record.error?.cause).toMatch(/outage outlasted the evidence window: \d+ failed attempts over 30 min/);
      }
    },
  },
});
