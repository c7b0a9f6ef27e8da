import { beforeAll, describe, expect, it } from 'vitest';
import { POLL_MAX_CONCURRENCY } from '../../lib/constructs/poll-queue';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../../local/synthesize';

describe('the synthesized app, as local mode and the bench read it', () => {
  let app: SynthesizedWorkflow;
  beforeAll(() => {
    app = synthesizeWorkflow();
  });

  it('finds the queue that invokes the poll function, with its batch size and maximum concurrency', () => {
    expect(app.queueEventSources('poll')).toEqual([{ batchSize: 10, maxConcurrency: POLL_MAX_CONCURRENCY }]);
  });

  it('finds no queue where a function is invoked by the workflow itself', () => {
    expect(app.queueEventSources('archive')).toEqual([]);
    expect(app.queueEventSources('record')).toEqual([]);
  });
});
