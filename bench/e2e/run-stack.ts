/**
 * Child side of benchmark 3: the whole local stack (local/local-stack.ts — synthesized state machine on the
 * local Step Functions service, the real handlers, s3rver, dynalite, fake providers) fed checks that are already
 * terminal at the provider, so no Wait ever runs: what is measured is the pipeline (start → poll → archive → record).
 */
import { randomUUID } from 'node:crypto';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CHECK_CREATED_DETAIL_TYPE, DEFAULT_EVENT_SOURCE } from '../../lambdas/events/check-created';
import type { CheckScript } from '../../local/fake-providers';
import { startLocalStack, type LocalStack } from '../../local/local-stack';

export interface E2eInput {
  /** Checks per batch, cycled over the three providers. */
  batchSize: number;
  batches: number;
  warmupChecks: number;
  /** Events delivered at once, as EventBridge invokes the start function concurrently. */
  submitConcurrency: number;
}

export interface E2eBatch {
  checks: number;
  seconds: number;
  checksPerMinute: number;
  archived: number;
  /** Checks without the expected 'archived' record. */
  problems: number;
  /** Median time of one event through the start handler (StartExecution included), ms. */
  submitMsMedian: number;
}

export interface E2eResult {
  batches: E2eBatch[];
  /** The warm-up batch, delivered one event at a time: its median is the start function's own duration. */
  sequentialSubmitMs: number;
  /** Average serialized size of a history event without execution data (what LogLevel.ALL logs), bytes. */
  historyEventBytes: number;
}

const SCRIPTS: CheckScript[] = [{ provider: 'liveness' }, { provider: 'kyc' }, { provider: 'verification' }];

function event(detail: unknown) {
  return { id: randomUUID(), source: DEFAULT_EVENT_SOURCE, 'detail-type': CHECK_CREATED_DETAIL_TYPE, time: new Date().toISOString(), detail };
}

async function runBatch(stack: LocalStack, size: number, concurrency: number): Promise<E2eBatch> {
  const created = Array.from({ length: size }, (_, i) => stack.fakeProviders!.addCheck(SCRIPTS[i % SCRIPTS.length]!));
  const events = created.map((c) => event({ provider: c.provider, checkId: c.checkId, ...(c.clientKey ? { clientKey: c.clientKey } : {}) }));
  const before = new Set((await stack.records()).map((r) => `${r.provider}#${r.checkRef}`));
  const submitMs: number[] = [];
  const started = performance.now();
  const refs: string[] = [];
  const queue = [...events];
  const deliver = async () => {
    for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
      const t = performance.now();
      const result = await stack.submit(e);
      submitMs.push(performance.now() - t);
      if (result.status === 'started') refs.push(`${result.provider}#${result.checkRef}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, deliver));
  await stack.stepFunctions.idle();
  const seconds = (performance.now() - started) / 1000;
  const records = new Map((await stack.records()).map((r) => [`${r.provider}#${r.checkRef}`, r]));
  const archived = refs.filter((ref) => !before.has(ref) && records.get(ref)?.status === 'archived').length;
  submitMs.sort((a, b) => a - b);
  return { checks: size, seconds, checksPerMinute: (size / seconds) * 60, archived, problems: size - archived, submitMsMedian: submitMs[Math.floor(submitMs.length / 2)]! };
}

async function historyEventBytes(stack: LocalStack): Promise<number> {
  const sfn = new SFNClient({ endpoint: stack.stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  let bytes = 0;
  let events = 0;
  for (const execution of stack.stepFunctions.executions().slice(0, 30)) {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.arn, includeExecutionData: false, maxResults: 1000 }));
    for (const e of page.events ?? []) {
      // A CloudWatch log record of the state machine also carries the execution ARN.
      bytes += Buffer.byteLength(JSON.stringify(e)) + execution.arn.length;
      events++;
    }
  }
  sfn.destroy();
  return events === 0 ? 0 : bytes / events;
}

export async function run(input: E2eInput): Promise<E2eResult> {
  // Zero-wait providers: no Wait runs, the time factor only matters for retries (none expected).
  const stack = await startLocalStack({ timeFactor: 30, logLevel: 'ERROR' });
  try {
    const warmup = await runBatch(stack, input.warmupChecks, 1);
    const batches: E2eBatch[] = [];
    for (let i = 0; i < input.batches; i++) {
      batches.push(await runBatch(stack, input.batchSize, input.submitConcurrency));
      process.stderr.write(`  e2e: batch ${i + 1}/${input.batches}: ${batches.at(-1)!.checksPerMinute.toFixed(0)} checks/min\n`);
    }
    return { batches, sequentialSubmitMs: warmup.submitMsMedian, historyEventBytes: await historyEventBytes(stack) };
  } finally {
    await stack.close();
  }
}
