import { describe, expect, it } from 'vitest';
import { HOP_MS, pollInvocations, QUEUE_SEND_MS, WEBHOOK_MS, type ScenarioCost } from '../../bench/cost';
import type { WorkflowUsage } from '../../bench/cost/measure';
import { addCounts, costOf, dynamoUnits, s3RequestCost, scaleCost, type CheckUsage } from '../../bench/cost/model';
import { PRICES } from '../../bench/cost/prices';
import { pollingCostPerCheck } from '../../bench/cost/workload';
import type { DesignUsage } from '../../bench/polling/designs';
import type { ThroughputFigures } from '../../bench/archive';
import { renderChart } from '../../bench/lib/chart';
import { markdownTable, num, usd } from '../../bench/lib/table';
import { archiveNotes, costVerdicts } from '../../bench/report';

const memory = { start: 256, poll: 256, archive: 1024, record: 256, durable: 256 };

describe('cost model', () => {
  const usage: CheckUsage = {
    transitions: 1_000,
    expressRequests: 0,
    expressSeconds: 0,
    sqsRequests: 0,
    durableOperations: 0,
    invocations: [
      { fn: 'poll', count: 10, durationMs: 99.2 },
      { fn: 'archive', count: 1, durationMs: 1_000 },
    ],
    s3Requests: { PutObjectCommand: 2, GetObjectCommand: 1, DeleteObjectCommand: 5 },
    storedBytes: 1024 ** 3,
    dynamoWriteUnits: 2,
    dynamoReadUnits: 1,
    logBytes: 1024 ** 3 / 2,
  };

  it('multiplies each kind of usage by its price', () => {
    const cost = costOf(usage, memory);
    expect(cost.stepFunctions).toBeCloseTo(0.025);
    expect(cost.lambdaRequests).toBeCloseTo(11 * 0.2e-6, 12);
    // 10 × 0.1 s (rounded up to the ms) × 0.25 GB + 1 s × 1 GB = 1.25 GB-s
    expect(cost.lambdaCompute).toBeCloseTo(1.25 * PRICES.lambdaArmPerGbSecond, 12);
    expect(cost.s3Requests).toBeCloseTo(2 * PRICES.s3PutClassPerRequest + PRICES.s3GetClassPerRequest, 12);
    expect(cost.s3Storage).toBeCloseTo(0.023);
    expect(cost.dynamo).toBeCloseTo(2 * 0.625e-6 + 0.125e-6, 12);
    expect(cost.logs).toBeCloseTo(0.25);
    expect(cost.total).toBeCloseTo(cost.stepFunctions + cost.lambdaRequests + cost.lambdaCompute + cost.s3Requests + cost.s3Storage + cost.dynamo + cost.logs, 12);
    expect(cost.totalWithoutStorage).toBeCloseTo(cost.total - 0.023, 12);
    expect(scaleCost(cost, 1000).total).toBeCloseTo(cost.total * 1000, 9);
  });

  it('bills Express by requests and 64 MB × seconds, SQS and durable operations by the request (hand-computed)', () => {
    const none = { ...usage, transitions: 0, invocations: [], s3Requests: {}, storedBytes: 0, dynamoWriteUnits: 0, dynamoReadUnits: 0, logBytes: 0 };
    // Three Express children for ten minutes: 3 × $1/M + 600 s × 64/1024 GB × $0.06/3,600 per GB-s = $0.000003 + $0.000625.
    expect(costOf({ ...none, expressRequests: 3, expressSeconds: 600 }, memory).stepFunctionsExpress).toBeCloseTo(0.000628, 12);
    // A minute of 64 MB Express ≈ one Standard poll of three transitions (the comparison).
    expect(costOf({ ...none, expressSeconds: 60 }, memory).stepFunctionsExpress).toBeCloseTo(0.0000625, 12);
    expect(costOf({ ...none, sqsRequests: 360 }, memory).sqs).toBeCloseTo(360 * 0.4e-6, 12);
    expect(costOf({ ...none, durableOperations: 100 }, memory).durable).toBeCloseTo(0.0008, 12);
    expect(costOf({ ...none, transitions: 3 }, memory).stepFunctions).toBeCloseTo(0.000075, 12);
  });

  it('prices no request AWS would not see (the emulator-only tagging calls)', () => {
    expect(s3RequestCost({ 'PutObjectTaggingCommand (emulator only)': 52, PutObjectCommand: 1 })).toBeCloseTo(0.005 / 1000, 12);
  });

  it('prices DELETE as free and unknown S3 requests as GET-class', () => {
    expect(s3RequestCost({ DeleteObjectCommand: 100 })).toBe(0);
    expect(s3RequestCost({ HeadObjectCommand: 1000 })).toBeCloseTo(0.0004);
    expect(addCounts({ A: 1 }, { A: 2, B: 1 })).toEqual({ A: 3, B: 1 });
  });

  it('estimates DynamoDB write units per KiB of request and per index the item enters', () => {
    const put = JSON.stringify({ Item: { pk: { S: 'x' }, providerDay: { S: 'd' }, providerOutcome: { S: 'o' }, pad: { S: 'x'.repeat(1500) } } });
    const units = dynamoUnits({ counts: { GetItemCommand: 2 }, textBodies: { PutItemCommand: [put] } });
    expect(units).toEqual({ write: 2 * 3, read: 2 });
  });
});

describe('report helpers', () => {
  it('formats markdown tables with aligned columns', () => {
    const table = markdownTable(['a', 'b'], [['x', '10'], ['long', '2']], ['l', 'r']);
    expect(table.split('\n')).toEqual(['| a    |  b |', '|------|---:|', '| x    | 10 |', '| long |  2 |']);
    expect(num(Number.NaN)).toBe('–');
    expect(usd(0.1234)).toBe('$0.123');
    expect(usd(12.345)).toBe('$12.35');
  });

  it('draws one point per policy, the target region and escaped labels', () => {
    const svg = renderChart(
      [
        { label: 'ours', x: 0.22, p95Seconds: 3.9, highlight: true },
        { label: '<fixed>', x: 43, p95Seconds: 1.4 },
      ],
      { maxX: 1.04, maxP95Seconds: 5 },
      { title: 'T & P', xLabel: 'cost', format: usd },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('&lt;fixed&gt;');
    expect(svg).toContain('T &amp; P');
    expect(svg).toContain('targets: ≤ $1.04, p95 ≤ 5 s');
    expect(svg).not.toContain('NaN');
  });

  it('explains single-put as not adopted, and the streamed miss only when it is missed', () => {
    const row = (variant: string, streamedMiBps: number, bareMiBps: number, bareMultipartMiBps: number): ThroughputFigures => ({
      sizeMiB: 64, variant, kind: variant === 'single-put' ? 'single-put' : 'multipart', partSizeMiB: 5, queueSize: 1,
      streamedMiBps, bareMiBps, bareMultipartMiBps, ratio: streamedMiBps / bareMiBps, ratioToMultipart: streamedMiBps / bareMultipartMiBps, samples: [],
    });
    const archive = (deployed: ThroughputFigures) => ({ throughput: [deployed, row('single-put', 180, 360, Number.NaN)] });
    const missed = archiveNotes(archive(row('deployed', 90, 360, 150)));
    expect(missed).toContain('single-put is measured, not adopted: 180 MiB/s at 64 MiB (0.50 × bare PutObject)');
    expect(missed).toContain('partial object');
    expect(missed).toContain('missed (0.25 < 0.8)');
    expect(missed).toContain('150 MiB/s, 2.4× slower than one PutObject (360 MiB/s)');
    expect(archiveNotes(archive(row('deployed', 300, 360, 340)))).not.toContain('missed');
  });
});

describe('designs priced', () => {
  const zero: DesignUsage = {
    transitions: 0, historyEvents: 0, polls: 0, hops: 0, heldInvocations: 0, heldSeconds: 0, sqsMessages: 0,
    expressExecutions: 0, expressSeconds: 0, durableOperations: 0, durableResumes: 0, sfnApiCalls: 0,
  };

  it('gives each design the poll-function invocations it makes', () => {
    const workflow = (u: Partial<DesignUsage>): WorkflowUsage => ({ ...zero, ...u, archiveInvocations: 1 });
    expect(pollInvocations('ours', workflow({ polls: 20, hops: 2, sqsMessages: 22 }), 160)).toEqual([
      { fn: 'poll', count: 20, durationMs: 160 + QUEUE_SEND_MS },
      { fn: 'poll', count: 2, durationMs: HOP_MS },
      { fn: 'poll', count: 0, durationMs: 0 },
    ]);
    expect(pollInvocations('webhooks', workflow({ polls: 5, sqsMessages: 5, webhookRequests: 2 }), 160)).toContainEqual({ fn: 'poll', count: 2, durationMs: WEBHOOK_MS });
    expect(pollInvocations('lambda-loop', workflow({ polls: 2, heldInvocations: 1, heldSeconds: 600 }), 160)).toContainEqual({ fn: 'poll', count: 1, durationMs: 600_000 });
    expect(pollInvocations('durable', workflow({ polls: 3, durableResumes: 2 }), 160)[0]).toMatchObject({ fn: 'durable', count: 3 });
  });

  it('prices the polling of a check over the workload (hand-computed)', () => {
    // 4 transitions, 20 messages of 3 requests, 20 polls of 0.17 s at 256 MB, 30 history events and 20 invocation logs.
    const usage = { ...zero, transitions: 4, historyEvents: 30, polls: 20, sqsMessages: 20 };
    const expected = 4 * 0.025e-3 + 60 * 0.4e-6 + 20 * 0.2e-6 + 20 * 0.17 * 0.25 * 0.0000133334 + ((30 * 260 + 20 * 400) / 1024 ** 3) * 0.5;
    expect(pollingCostPerCheck(usage)).toBeCloseTo(expected, 12);
  });

  it('checks the deployed design against the fixed 60 s poller in every scenario, storage aside', () => {
    const per1000 = (totalWithoutStorage: number) => ({ usage: {} as never, per1000: { totalWithoutStorage } as never });
    const scenario = (label: string, ours: number, fixed: number): ScenarioCost => ({
      scenario: label, label, evidence: '', overHistoryLimit: [], byStrategy: { ours: per1000(ours), 'fixed-60s': per1000(fixed) },
    });
    const verdicts = costVerdicts({ scenarios: [scenario('a', 0.19, 0.24), scenario('b', 1.1, 0.97)] } as never);
    expect(verdicts.map((v) => v.met)).toEqual([true, false]);
    expect(verdicts[0]!.measured).toBe('$0.190 vs $0.240 (0.79×)');
  });
});
