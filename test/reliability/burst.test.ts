/**
 * A burst of Check Created events far above what the local start path takes at once: every event lands on the start
 * queue together, StartExecution is metered by a token bucket as AWS meters it (a few calls, then a few a second) and
 * refuses the rest with ThrottlingException. The queue holds the burst and drains: every check is started once and
 * recorded once, nothing that could have been started ends in the dead-letter queue.
 */
import { expect } from 'vitest';
import { buildScenario } from '../../local/reliability/scenarios';
import { describeReliability } from './support';

/** StartExecution's bucket for this run: AWS's is 800 (1,300) calls and 150 (300) a second; the burst is 24× this one. */
const START_EXECUTION_RATE = { burst: 2, perSecond: 2 };
const CHECKS = 48;

describeReliability({
  name: 'burst',
  source: 'test/reliability/burst.test.ts',
  // The start queue's visibility timeout well above a receive's in-invocation retries, as in AWS (90 s).
  options: { stack: { stepFunctions: { startExecutionRate: START_EXECUTION_RATE }, startQueue: { visibilityTimeoutSeconds: 30 } } },
  scenarios: [() => buildScenario('a burst of events past the start path', CHECKS, 631)],
  expectations: {
    'a burst of events past the start path': async (f, session) => {
      expect(f.events).toBe(CHECKS);
      expect(f.workflows).toBe(CHECKS);
      // The bucket really refused calls: more than one per check on average.
      expect(f.startThrottles).toBeGreaterThan(CHECKS);
      expect(f.statuses).toEqual({ archived: 36, failed: 12 });
      // Nothing dead-lettered (every event could be started), and the start queue is empty.
      expect(f.deadLettered).toBe(0);
      expect(await session.stack.startQueue.depth()).toEqual({ queued: 0, deadLettered: 0 });
    },
  },
});
