/** Usage of one check × list prices = its cost; pure, so the arithmetic is tested (test/bench/cost-report.test.ts). */
import { GB, PRICES } from './prices';

export type FunctionName = 'start' | 'poll' | 'archive' | 'record' | 'durable';

export interface Invocations {
  fn: FunctionName;
  count: number;
  /** Duration of one invocation, ms (billed rounded up to the next ms). */
  durationMs: number;
}

export interface CheckUsage {
  /** Standard state transitions (retries included). */
  transitions: number;
  /** Express executions and their billed seconds (100 ms steps, at the 64 MB of PRICES.expressBilledMemoryGb). */
  expressRequests: number;
  expressSeconds: number;
  /** SQS requests (SendMessage, ReceiveMessage, DeleteMessage). */
  sqsRequests: number;
  /** Lambda durable operations (steps, waits, invokes). */
  durableOperations: number;
  invocations: Invocations[];
  s3Requests: Record<string, number>;
  /** Bytes written to S3 (first month of storage priced). */
  storedBytes: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  /** CloudWatch Logs ingested: state machine events + function logs. */
  logBytes: number;
}

export interface Cost {
  stepFunctions: number;
  stepFunctionsExpress: number;
  sqs: number;
  lambdaRequests: number;
  lambdaCompute: number;
  durable: number;
  s3Requests: number;
  s3Storage: number;
  dynamo: number;
  logs: number;
  total: number;
  /** Everything but S3 storage (the goal's "storage aside": the same for every design). */
  totalWithoutStorage: number;
}

/** S3 request classes (https://aws.amazon.com/s3/pricing/): PUT/COPY/POST/LIST vs GET and the rest. */
const S3_PUT_CLASS = new Set([
  'PutObjectCommand',
  'UploadPartCommand',
  'CreateMultipartUploadCommand',
  'CompleteMultipartUploadCommand',
  'PutObjectTaggingCommand',
  'ListObjectsV2Command',
  'CopyObjectCommand',
  'PutObjectRetentionCommand',
  'PutObjectLegalHoldCommand',
]);
/** Free: https://aws.amazon.com/s3/pricing/ ("DELETE and CANCEL requests are free"). */
const S3_FREE = new Set(['DeleteObjectCommand', 'AbortMultipartUploadCommand']);
/** Counted requests AWS never sees (bench/lib/archive-deps.ts marks them): not priced. */
export const EMULATOR_ONLY = ' (emulator only)';

export function s3RequestCost(requests: Record<string, number>, prices = PRICES): number {
  let cost = 0;
  for (const [name, count] of Object.entries(requests)) {
    if (S3_FREE.has(name) || name.endsWith(EMULATOR_ONLY)) continue;
    cost += count * (S3_PUT_CLASS.has(name) ? prices.s3PutClassPerRequest : prices.s3GetClassPerRequest);
  }
  return cost;
}

/** USD for one check. `memoryMb`: each function's configured memory (lib/defaults.ts SIZING; durable: an assumption). */
export function costOf(usage: CheckUsage, memoryMb: Record<FunctionName, number>, prices = PRICES): Cost {
  const requests = usage.invocations.reduce((sum, i) => sum + i.count, 0);
  const gbSeconds = usage.invocations.reduce((sum, i) => sum + i.count * (Math.ceil(i.durationMs) / 1000) * (memoryMb[i.fn] / 1024), 0);
  const parts = {
    stepFunctions: usage.transitions * prices.stepFunctionsPerTransition,
    stepFunctionsExpress:
      usage.expressRequests * prices.stepFunctionsExpressPerRequest + usage.expressSeconds * prices.expressBilledMemoryGb * prices.stepFunctionsExpressPerGbSecond,
    sqs: usage.sqsRequests * prices.sqsPerRequest,
    lambdaRequests: requests * prices.lambdaPerRequest,
    lambdaCompute: gbSeconds * prices.lambdaArmPerGbSecond,
    durable: usage.durableOperations * prices.lambdaDurablePerOperation,
    s3Requests: s3RequestCost(usage.s3Requests, prices),
    s3Storage: (usage.storedBytes / GB) * prices.s3StandardPerGbMonth,
    dynamo: usage.dynamoWriteUnits * prices.dynamoPerWriteRequestUnit + usage.dynamoReadUnits * prices.dynamoPerReadRequestUnit,
    logs: (usage.logBytes / GB) * prices.cloudWatchLogsPerGb,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { ...parts, total, totalWithoutStorage: total - parts.s3Storage };
}

export function scaleCost(cost: Cost, factor: number): Cost {
  return Object.fromEntries(Object.entries(cost).map(([key, value]) => [key, value * factor])) as unknown as Cost;
}

/** Sums request counts by command. */
export function addCounts(...counts: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of counts) for (const [name, n] of Object.entries(c)) out[name] = (out[name] ?? 0) + n;
  return out;
}

const INDEX_ATTRIBUTES = ['providerDay', 'providerOutcome', 'clientKeyHash'];

/**
 * An estimate from the requests (not the items): a write costs ⌈request KiB⌉ units in the table and again in each
 * index whose key attribute the request names; a strongly consistent read of a record (< 4 KiB) one unit.
 */
export function dynamoUnits(counter: { counts: Record<string, number>; textBodies: Record<string, string[]> }): { write: number; read: number } {
  let write = 0;
  for (const name of ['PutItemCommand', 'UpdateItemCommand', 'PutCommand', 'UpdateCommand']) {
    for (const body of counter.textBodies[name] ?? []) {
      const indexes = INDEX_ATTRIBUTES.filter((attribute) => body.includes(`"${attribute}"`) || body.includes(`#${attribute}`)).length;
      write += Math.ceil(Buffer.byteLength(body) / 1024) * (1 + indexes);
    }
  }
  const read = (counter.counts.GetItemCommand ?? 0) + (counter.counts.GetCommand ?? 0);
  return { write, read };
}
