/**
 * AWS's documented default quotas that bound this design, per account and region unless said otherwise. Each cites
 * the page it comes from; the figures were read on 2026-12-04 from the AWS documentation sources on GitHub
 * (awsdocs/*: the last published copies of those pages) — AWS changes defaults, and new accounts may start lower
 * ("New AWS accounts have reduced state transition quotas"): check Service Quotas in your account before planning.
 */

/** Regions where Step Functions and EventBridge have their higher default quotas. */
export const LARGE_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;

export type QuotaId =
  | 'sfnStateTransitions'
  | 'sfnStartExecution'
  | 'sfnSendTask'
  | 'sfnOpenExecutions'
  | 'lambdaConcurrency'
  | 'lambdaInvokeRate'
  | 'eventBridgeInvocations'
  | 'dynamoTableWrites'
  | 'dynamoOnDemandInitialWrites'
  | 'dynamoPartitionWrites'
  | 's3PrefixPuts'
  | 's3PrefixGets'
  | 'queueConcurrency';

/**
 * How a ceiling is raised: a Service Quotas request, nothing (AWS scales it as traffic grows), a setting of this
 * design (cdk.json or a construct's constant, then deploy), or not at all.
 */
export type Raise = 'quota-request' | 'automatic' | 'setting' | 'fixed';

export interface Quota {
  id: QuotaId;
  /** What is limited, as the page names it. */
  name: string;
  /** The default in the region asked for. */
  limit: number;
  unit: string;
  raise: Raise;
  /** The page that documents it. */
  source: string;
  /** What the figure means for this design. */
  note: string;
  /** What to do past it when a quota request is not the way (AWS scales it, or the design must); a setting's `{n}` is the value needed. */
  action?: string;
}

const SFN_QUOTAS = 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html';

/** An SQS queue that invokes a function through an event source mapping, as deployed (the synthesized template). */
export interface QueueSource {
  /** What the queue is, for the tables ("poll queue"). */
  name: string;
  /** The mapping's maximum concurrency setting, if any (ScalingConfig.MaximumConcurrency). */
  maxConcurrency?: number;
  /** Where the setting lives. */
  settingAt: string;
}

/** Standard mode: an SQS event source mapping processes at most this many batches at once. */
export const SQS_MAPPING_MAX_BATCHES = 1_000;

/**
 * The defaults for `region`. Unknown regions get the lower tier (the documented minimum where tiers differ).
 * `queue`: the busiest SQS event source of the design (its mapping's setting bounds it below AWS's maximum).
 */
export function defaultQuotas(region: string, queue?: QueueSource): Record<QuotaId, Quota> {
  const queueLimit = Math.min(queue?.maxConcurrency ?? SQS_MAPPING_MAX_BATCHES, SQS_MAPPING_MAX_BATCHES);
  const large = (LARGE_REGIONS as readonly string[]).includes(region);
  const quotas: Quota[] = [
    {
      id: 'sfnStateTransitions',
      name: 'Step Functions Standard StateTransition refill rate',
      limit: large ? 1_500 : 500,
      unit: 'transitions/s',
      raise: 'quota-request',
      source: `${SFN_QUOTAS} (Quotas related to state throttling: bucket ${large ? '5,000' : '800'}, refill ${large ? '1,500' : '500'} per second)`,
      note: 'Shared by every Standard state machine of the account and region; throttled transitions are retried by Step Functions (the ExecutionThrottled metric).',
    },
    {
      id: 'sfnStartExecution',
      name: 'Step Functions StartExecution refill rate (Standard)',
      limit: large ? 300 : 150,
      unit: 'calls/s',
      raise: 'quota-request',
      source: `${SFN_QUOTAS} (Quotas related to API action throttling: bucket ${large ? '1,300' : '800'}, refill ${large ? '300' : '150'} per second)`,
      note: 'One call per Check Created event, duplicates included (they are answered from the running execution but still spend a token).',
    },
    {
      id: 'sfnSendTask',
      name: 'Step Functions SendTaskSuccess/Failure/Heartbeat refill rate',
      limit: large ? 500 : 300,
      unit: 'calls/s',
      raise: 'quota-request',
      source: `${SFN_QUOTAS} (Other quotas: bucket ${large ? '3,000' : '1,500'}, refill ${large ? '500' : '300'} per second each)`,
      note: 'The poll loop answers each task token and heartbeats long waits. Benchmark 1 counts the two together, and each API has a bucket of this size of its own: this ceiling is low by up to half.',
    },
    {
      id: 'sfnOpenExecutions',
      name: 'Step Functions open executions (Standard)',
      limit: 1_000_000,
      unit: 'executions',
      raise: 'quota-request',
      source: `${SFN_QUOTAS} (Quotas related to accounts: 1,000,000 per Region; ExecutionLimitExceeded past it)`,
      note: 'Every check in flight holds one: arrival rate × how long checks stay open (Little’s law).',
    },
    {
      id: 'lambdaConcurrency',
      name: 'Lambda concurrent executions',
      limit: 1_000,
      unit: 'concurrent executions',
      raise: 'quota-request',
      source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (Concurrent executions: 1,000)',
      note: 'Shared by every function of the account and region: arrival rate × Σ invocations × duration of each function.',
    },
    {
      id: 'lambdaInvokeRate',
      name: 'Lambda invocation requests per second',
      limit: 10_000,
      unit: 'invocations/s',
      raise: 'quota-request',
      source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (10 × the concurrent executions quota)',
      note: 'Rises with the concurrency quota.',
    },
    {
      id: 'eventBridgeInvocations',
      name: 'EventBridge rule target invocations',
      limit: large ? 18_750 : 750,
      unit: 'invocations/s',
      raise: 'quota-request',
      source: `https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (Invocation quotas by Region: ${large ? '18,750 in the largest Regions' : '750 to 4,500 by Region; the lowest assumed'})`,
      note: 'One per Check Created event matched; throttled invocations are delayed, not dropped.',
    },
    {
      id: 'dynamoTableWrites',
      name: 'DynamoDB on-demand table write request units (table and its indexes together)',
      limit: 40_000,
      unit: 'write units/s',
      raise: 'quota-request',
      source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html (Throughput default quotas: per table 40,000 write request units; applies to the table plus all its global secondary indexes)',
      note: 'Record writes to the table and to each index the record is in.',
    },
    {
      id: 'dynamoOnDemandInitialWrites',
      name: 'DynamoDB on-demand initial peak (a new table)',
      limit: 4_000,
      unit: 'write units/s',
      raise: 'automatic',
      source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadWriteCapacityMode.html (Initial throughput for on-demand capacity mode: a newly created table serves up to 4,000 write request units; more than double the previous peak within 30 minutes may throttle)',
      note: 'Not a quota: the peak a new table takes at once; past double the previous peak DynamoDB needs time.',
      action: 'ramp up over 30 min per doubling, or pre-warm the table (UpdateTable WarmThroughput)',
    },
    {
      id: 'dynamoPartitionWrites',
      name: 'DynamoDB writes per partition key',
      limit: 1_000,
      unit: 'write units/s',
      raise: 'fixed',
      source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html (as long as the traffic against a given partition key does not exceed 1000 write capacity units)',
      note: 'The hottest index key; the sharded indexes divide a provider’s day and outcome over indexShards keys (cdk.json).',
      action: 'more indexShards (cdk.json), then deploy',
    },
    {
      id: 's3PrefixPuts',
      name: 'S3 PUT/COPY/POST/DELETE per partitioned prefix',
      limit: 3_500,
      unit: 'requests/s',
      raise: 'automatic',
      source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html (at least 3,500 PUT/COPY/POST/DELETE requests per second per partitioned prefix)',
      note: 'Keys start with two hex characters of the keyed checkRef ({checkRef[0..2]}/{provider}/{checkRef}/): S3 partitions on them as traffic grows and keeps those partitions from day to day (503 SlowDown, retried, while it splits). Counted here as if a provider’s checks shared one prefix: the rate S3 must reach by splitting.',
      action: 'nothing to request: S3 partitions on the hash-first keys as traffic grows, with 503 SlowDown (retried) meanwhile',
    },
    {
      id: 's3PrefixGets',
      name: 'S3 GET/HEAD per partitioned prefix',
      limit: 5_500,
      unit: 'requests/s',
      raise: 'automatic',
      source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html (at least 5,500 GET/HEAD requests per second per partitioned prefix)',
      note: 'The archive reads back what an earlier attempt stored; as for PUTs, S3 partitions further below the day.',
      action: 'nothing to request: S3 partitions on the hash-first keys as traffic grows',
    },
    {
      id: 'queueConcurrency',
      name: `Lambda concurrency of the ${queue?.name ?? 'queue'}'s event source mapping`,
      limit: queueLimit,
      unit: 'concurrent batches',
      raise: 'setting',
      source:
        'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (standard mode: at most 1,000 batches at once per event source mapping, growing by up to 300 a minute; maximum concurrency 2 to 1,000; provisioned mode up to 16 times that)' +
        (queue?.maxConcurrency !== undefined ? `; the mapping's maxConcurrency is ${queue.maxConcurrency}` : ''),
      note: 'Messages past it wait in the queue: nothing is lost, but each waits longer than its delay.',
      // {n}: the setting the target rate needs.
      action: `${queue?.settingAt ?? 'the mapping’s maxConcurrency'} ≥ {n} (at most 1,000 in standard mode; past that, provisioned mode: ProvisionedPollerConfig), then deploy`,
    },
  ];
  return Object.fromEntries(quotas.map((quota) => [quota.id, quota])) as Record<QuotaId, Quota>;
}
