import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLL_MAX_CONCURRENCY } from '../../lib/constructs/poll-queue';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../../local/synthesize';

describe('the synthesized app, as local mode and the bench read it', () => {
  let app: SynthesizedWorkflow;
  beforeAll(() => {
    app = synthesizeWorkflow();
  });

  it('finds every queue that invokes a poll function, with its batch size, maximum concurrency and provider', () => {
    const sources = app.queueEventSources('poll');
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source).toMatchObject({ batchSize: 10, maxConcurrency: DEFAULT_POLL_MAX_CONCURRENCY });
    // One poll function for every provider has no PROVIDER; one per provider names it.
    const providers = sources.map((s) => s.provider);
    expect(providers.every((p) => p === undefined) || new Set(providers).size === sources.length).toBe(true);
  });

  it("takes the mappings' maximum concurrency from cdk.json (pollMaxConcurrency)", () => {
    const sources = synthesizeWorkflow({ pollMaxConcurrency: 300 }).queueEventSources('poll');
    expect(sources.map((s) => s.maxConcurrency)).toEqual(sources.map(() => 300));
  });

  it('finds no queue where a function is invoked by the workflow itself', () => {
    expect(app.queueEventSources('archive')).toEqual([]);
    expect(app.queueEventSources('record')).toEqual([]);
  });
});
