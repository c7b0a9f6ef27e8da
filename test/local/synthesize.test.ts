import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLL_MAX_CONCURRENCY } from '../../lib/constructs/poll-queue';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../../local/synthesize';
import { PROVIDERS, type ProviderName } from '../../lambdas/checks/check-status';
import { STATE } from '../../lambdas/checks/workflow-contract';

describe('the synthesized app, as local mode and the bench read it', () => {
  let app: SynthesizedWorkflow;
  beforeAll(() => {
    app = synthesizeWorkflow();
  });

  it('finds every queue that invokes a poll function, with its batch size, maximum concurrency and provider', () => {
    const sources = app.queueEventSources('poll');
    for (const source of sources) expect(source).toMatchObject({ batchSize: 10, maxConcurrency: DEFAULT_POLL_MAX_CONCURRENCY });
    // One workflow per provider: one poll queue each, its function naming the provider.
    expect(sources.map((s) => s.provider).sort()).toEqual([...PROVIDERS].sort());
  });

  it("takes the mappings' maximum concurrency from cdk.json (pollMaxConcurrency)", () => {
    const sources = synthesizeWorkflow({ pollMaxConcurrency: 300 }).queueEventSources('poll');
    expect(sources.map((s) => s.maxConcurrency)).toEqual(sources.map(() => 300));
  });

  it("reads each provider's definition and functions: its own poll queue and archive function, the shared Record failure", () => {
    const resources = (provider: ProviderName) => {
      const states = (app.definitions[provider] as { States: Record<string, { Resource?: string; Parameters?: { QueueUrl?: string } }> }).States;
      return { queue: states[STATE.poll]!.Parameters!.QueueUrl, archive: states[STATE.archive]!.Resource, record: states[STATE.recordFailure]!.Resource };
    };
    const all = PROVIDERS.map(resources);
    expect(new Set(all.map((r) => r.queue)).size).toBe(3);
    expect(new Set(all.map((r) => r.archive)).size).toBe(3);
    expect(new Set(all.map((r) => r.record)).size).toBe(1);
    expect(app.definition).toBe(app.definitions[PROVIDERS[0]]);
    for (const provider of PROVIDERS) {
      expect(app.functionEnvironment('poll', provider).PROVIDER).toBe(provider);
      expect(app.functionEnvironment('archive', provider).PROVIDER).toBe(provider);
    }
  });

  it('finds no queue where a function is invoked by the workflow itself', () => {
    expect(app.queueEventSources('archive')).toEqual([]);
    expect(app.queueEventSources('record')).toEqual([]);
  });
});
