/**
 * The provider's status endpoint misbehaving — 5xx bursts, 429 with Retry-After, slow answers, connections reset
 * mid-answer, a provider down for good — through the local stack: the poll backoff and the task retries absorb what
 * recovers, and what does not ends in a truthful error record.
 */
import { expect } from 'vitest';
import { buildScenario } from '../../local/reliability/scenarios';
import { describeReliability } from './support';

describeReliability({
  name: 'provider-faults',
  source: 'test/reliability/provider-faults.test.ts',
  scenarios: [
    () => buildScenario('provider 5xx bursts', 8, 601),
    () => buildScenario('429 with Retry-After', 6, 602),
    () => buildScenario('slow answers, timeouts and connection resets', 10, 603),
  ],
  expectations: {
    'provider 5xx bursts': (f) => expect(f.statuses).toEqual({ archived: 6, error: 2 }),
    '429 with Retry-After': (f) => expect(f.statuses).toEqual({ archived: 6 }),
  },
});
