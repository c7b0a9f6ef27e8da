/**
 * What arrives broken or twice: the same event three times (once while its workflow runs, once after), events that
 * break the contract, check ids the provider's input rules refuse, and executions started by hand with malformed
 * states — one workflow per check, one record per check, a dead letter (reason only) per broken event.
 */
import { expect } from 'vitest';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { buildScenario } from '../../local/reliability/scenarios';
import { describeReliability } from './support';

describeReliability({
  name: 'events',
  source: 'test/reliability/events.test.ts',
  scenarios: [() => buildScenario('the same event three times', 14, 621), () => buildScenario('events with bad schemas', 15, 622)],
  expectations: {
    'the same event three times': (f) => {
      expect(f.events).toBe(3 * f.checks);
      expect(f.workflows).toBe(f.checks);
      // Every record status a provider's answer can lead to, once each.
      expect(Object.keys(f.statuses).sort()).toEqual(['archived', 'exception', 'expired', 'failed', 'forbidden', 'invalid', 'not-found']);
    },
    'events with bad schemas': async (f, session) => {
      expect(f.rejected).toBe(15 + 2);
      expect(f.statuses).toEqual({ invalid: 5 });
      // Hand-started: one state names its check (recorded as an error under it), one names nothing (the failed
      // execution is the trace: there is nothing to key a record by).
      const malformed = session.stack.stepFunctions.executions().filter((e) => e.name.startsWith('malformed-'));
      expect(malformed.map((e) => e.status)).toEqual(['FAILED', 'FAILED']);
      const state = buildScenario('events with bad schemas', 15, 622).malformedStates![0]!;
      const records = await session.stack.records();
      const salvaged = records.find((r) => r.checkRef === checkRefOf(session.stack.identifierKey, 'liveness', state.salvage!.checkId));
      expect(salvaged).toMatchObject({ status: 'error', error: { name: 'InvalidCheckInputError' } });
    },
  },
});
