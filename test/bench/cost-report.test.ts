import { describe, expect, it } from 'vitest';
import { addCounts, costOf, dynamoUnits, s3RequestCost, scaleCost, type CheckUsage } from '../../bench/cost/model';
import { PRICES } from '../../bench/cost/prices';
import type { ThroughputFigures } from '../../bench/archive';
import { renderChart } from '../../bench/lib/chart';
import { markdownTable, num, usd } from '../../bench/lib/table';
import { archiveNotes } from '../../bench/report';

const memory = { start: 256, poll: 256, archive: 1024, record: 256 };

describe('cost model', () => {
  const usage: CheckUsage = {
    transitions: 1_000,
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
    expect(scaleCost(cost, 1000).total).toBeCloseTo(cost.total * 1000, 9);
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
        { label: 'ours', transitions: 38, p95Seconds: 52, highlight: true },
        { label: '<fixed>', transitions: 1800, p95Seconds: 1.4 },
      ],
      { maxTransitions: 257, maxP95Seconds: 15 },
      'T & P',
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('&lt;fixed&gt;');
    expect(svg).toContain('T &amp; P');
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
