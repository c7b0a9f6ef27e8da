/**
 * The app's configuration: CDK context (cdk.json, `-c key=value`), validated once with zod so a bad value stops the
 * synth with the offending path instead of deploying a broken workflow. Every key has a documented default.
 */
import { z } from 'zod';
import { pollingPolicySchema, type PollingPolicy } from '../lambdas/polling/polling-policy';
import { PROVIDERS, type ProviderName } from '../lambdas/checks/check-status';
import { parseRetentionPolicy, type RetentionPolicy } from '../lambdas/records/retention';
import { ARCHIVE_LIMIT_KEYS, parseArchiveSettings, type ArchiveLimitOverrides } from '../lambdas/archive/settings';
import { WORST_RETRY_CHAIN_SECONDS } from './constructs/polling-workflow';
import { webhookSettingsSchema, type WebhookSettings } from '../lambdas/webhooks/settings';
import { DEFAULT_INDEX_SHARDS, MAX_INDEX_SHARDS } from '../lambdas/records/table-schema';
import { DEFAULT_POLL_MAX_CONCURRENCY, SQS_MAPPING_MAX_CONCURRENCY } from './constructs/poll-queue';

/** Images of a KYC answer the archive may follow besides `imagesFull` (see the KYC session-status document). */
export const KYC_IMAGE_LINK_KINDS = ['images', 'imageObjects', 'faceSelfie', 'faceDoc'] as const;

export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE', 'OFF'] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

const httpsUrl = z
  .url({ protocol: /^https$/, message: 'must be an https:// URL' })
  // zod 4 runs a refinement even after z.url() failed: an unparseable value is left to z.url()'s message.
  .refine((url) => !URL.canParse(url) || (!new URL(url).username && !new URL(url).password), 'must not carry credentials');

const secretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/, {
    message: 'must be a complete secret ARN (with its 6-character suffix)',
  });

const providerSchema = (defaultHost: string) =>
  z
    .object({
      /** Base URL of the provider API. @default https://<provider>.example.com (a placeholder: set the real one) */
      baseUrl: httpsUrl.default(`https://${defaultHost}`),
      /**
       * Complete ARN of an existing secret holding the API key/JWT.
       * @default - the stack creates `<stack>/<provider>` with a random placeholder value
       */
      secretArn: secretArn.optional(),
    })
    .strict();

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lowercase DNS hostname');

export const contextSchema = z
  .object({
    /**
     * Region to deploy to (the records table's customer-managed-key encryption needs a concrete region). Pinned in
     * cdk.json so evidence never lands in whatever region a profile happens to name.
     * @default CDK_DEFAULT_REGION (the CLI's profile region); synth fails when neither is set
     */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name such as eu-west-1'),
    /** Bus the `Check Created` rule listens on. @default 'default' (the account's default event bus) */
    /**
     * An existing bus to listen on (e.g. `default`): then whoever may put events on it can start checks.
     * @default - a dedicated bus the stack creates, `<stack name>-checks`
     */
    eventBusName: z.string().regex(/^[A-Za-z0-9._\-/]{1,256}$/).optional(),
    /**
     * Principal ARNs (wildcards allowed) that may publish on the dedicated bus; everyone else is denied.
     * @default [] - principals of this account whose IAM allows events:PutEvents on the bus
     */
    eventProducers: z.array(z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::(\d{12}|\*):[\w+=,.@/*-]{1,512}$/, 'must be an IAM principal ARN')).default([]),
    /**
     * How far an event's createdAt may be from the event's time; further, the event's time is used and the record
     * keeps the claimed value. @default 86400
     */
    createdAtSkewSeconds: z.number().int().min(60).max(31 * 86_400).default(86_400),
    /** `source` of the `Check Created` events. @default 'audit-archiver.checks' */
    eventSource: z.string().min(1).max(256).default('audit-archiver.checks'),
    /** Per provider: base URL and optional existing secret. */
    providers: z
      .object({
        liveness: providerSchema('liveness.example.com').default({ baseUrl: 'https://liveness.example.com' }),
        kyc: providerSchema('kyc.example.com').default({ baseUrl: 'https://kyc.example.com' }),
        verification: providerSchema('verification.example.com').default({
          baseUrl: 'https://verification.example.com',
        }),
      })
      .strict()
      .default({
        liveness: { baseUrl: 'https://liveness.example.com' },
        kyc: { baseUrl: 'https://kyc.example.com' },
        verification: { baseUrl: 'https://verification.example.com' },
      }),
    /** Backoff and polling budgets (lambdas/polling/polling-policy.ts). @default DEFAULT_POLLING_POLICY */
    polling: pollingPolicySchema.default(pollingPolicySchema.parse({})),
    /** Retention classes and rules, merged over DEFAULT_RETENTION_POLICY (lambdas/records/retention.ts). @default {} */
    retention: z.unknown().optional(),
    /** S3 Object Lock mode of archived objects; COMPLIANCE can never be shortened, not even by root. @default 'GOVERNANCE' */
    objectLockMode: z.enum(OBJECT_LOCK_MODES).default('GOVERNANCE'),
    /** Hosts the archive may download images from besides the providers' own hosts (e.g. a CDN). @default [] */
    downloadExtraHosts: z.array(hostname).default([]),
    /** KYC image links archived besides `imagesFull`. @default [] */
    kycImageLinks: z.array(z.enum(KYC_IMAGE_LINK_KINDS)).default([]),
    /**
     * Archive limits over lambdas/archive/settings.ts's defaults: per image (maxFrameBytes, maxImageBytes,
     * quarantineMaxBytes), per check (maxImagesPerCheck, maxBytesPerCheck) and concurrency.
     * @default {}
     */
    archiveLimits: z
      .object(Object.fromEntries(ARCHIVE_LIMIT_KEYS.map((key) => [key, z.number().optional()])) as Record<(typeof ARCHIVE_LIMIT_KEYS)[number], z.ZodOptional<z.ZodNumber>>)
      .strict()
      .default({}),
    /**
     * Keys the write-hot auditor indexes (byProviderDay, byOutcome) spread each provider's day and outcome over; the
     * functions that write records and the query API get the same count. Raising it is safe at any time; after lowering
     * it, run `audit-archiver backfill` (records in the dropped shards are not found until then). 1 for a small archive.
     * @default 16 (DEFAULT_INDEX_SHARDS)
     */
    indexShards: z
      .preprocess((value) => (typeof value === 'string' && /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : value), z.number().int().min(1).max(MAX_INDEX_SHARDS))
      .default(DEFAULT_INDEX_SHARDS),
    /**
     * Poll batches each poll queue's event source mapping runs at once (up to 10 polls a batch). Past it polls wait in
     * the queue and come late; none is lost. 2 to 1,000 (SQS standard mode's most). The default carries 1,000 checks/s
     * of the benchmark mix; `npm run bench -- --only scale` reads it from the synthesized app and says what it carries.
     * @default 1000 (DEFAULT_POLL_MAX_CONCURRENCY)
     */
    pollMaxConcurrency: z
      .preprocess((value) => (typeof value === 'string' && /^\s*\d{1,4}\s*$/.test(value) ? Number(value) : value), z.number().int().min(2).max(SQS_MAPPING_MAX_CONCURRENCY))
      .default(DEFAULT_POLL_MAX_CONCURRENCY),
    /**
     * The one role that may bypass Object Lock governance or delete object versions (an emergency role you control).
     * @default - nobody may
     */
    breakGlassRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN').optional(),
    /**
     * Webhook wake-ups per provider (docs/webhooks.md): `enabled`, `scheme`, `checkIdPath`, `toleranceSeconds`,
     * `maxBodyBytes` and optionally `secretArn` (an existing secret with the signing secret(s)).
     * @default {} - every provider off: the checks are only polled
     */
    webhooks: z.partialRecord(z.enum(PROVIDERS), webhookSettingsSchema.extend({ secretArn: secretArn.optional() }).strict()).default({}),
  });

export interface ProviderConfig {
  baseUrl: string;
  secretArn?: string;
}

/** The validated configuration the stack is built from. */
export interface ArchiverConfig {
  region: string;
  eventBusName?: string;
  eventProducers: string[];
  createdAtSkewSeconds: number;
  eventSource: string;
  providers: Record<ProviderName, ProviderConfig>;
  polling: PollingPolicy;
  retention: RetentionPolicy;
  objectLockMode: ObjectLockMode;
  downloadExtraHosts: string[];
  kycImageLinks: (typeof KYC_IMAGE_LINK_KINDS)[number][];
  /** Validated by parseArchiveSettings; handed to the archive function as ARCHIVE_LIMITS. */
  archiveLimits: ArchiveLimitOverrides;
  /** Write shards of the sharded auditor indexes, handed to the record writers and the query API as INDEX_SHARDS. */
  indexShards: number;
  /** Poll batches at once per poll queue mapping (ScalingConfig.MaximumConcurrency). */
  pollMaxConcurrency: number;
  breakGlassRoleArn?: string;
  /** Webhook wake-ups per provider; only providers with `enabled: true` get a route. */
  webhooks: Partial<Record<ProviderName, WebhookSettings & { secretArn?: string }>>;
  /** State-machine timeout: the longest polling budget plus the margin below. */
  stateMachineTimeoutSeconds: number;
}

/** Thrown when context is invalid; names the paths, never the values (a value could be an ARN or a URL with a key). */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}

/** Context keys this app reads (everything else in the context belongs to the CDK). */
export const CONTEXT_KEYS = [
  'region',
  'eventBusName',
  'eventProducers',
  'createdAtSkewSeconds',
  'eventSource',
  'providers',
  'polling',
  'retention',
  'objectLockMode',
  'downloadExtraHosts',
  'kycImageLinks',
  'archiveLimits',
  'indexShards',
  'pollMaxConcurrency',
  'breakGlassRoleArn',
  'webhooks',
] as const;

/**
 * Validates the app's context. `read(key)` returns a context value (`app.node.tryGetContext`), which may be a string
 * when given with `-c key=value`: JSON strings are parsed. `env` supplies CDK_DEFAULT_REGION when no region is set.
 */
export function loadConfig(read: (key: string) => unknown, env: NodeJS.ProcessEnv = process.env): ArchiverConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = fromCli(read(key));
    if (value !== undefined) raw[key] = value;
  }
  raw.region ??= env.CDK_DEFAULT_REGION;
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InvalidConfigError(`invalid context: ${issues.join('; ')}`);
  }
  const context = parsed.data;
  let retention: RetentionPolicy;
  try {
    retention = parseRetentionPolicy(context.retention ?? {});
  } catch (error) {
    throw new InvalidConfigError(`invalid context: ${(error as Error).message}`);
  }
  try {
    parseArchiveSettings(context.archiveLimits);
  } catch (error) {
    throw new InvalidConfigError(`invalid context: archiveLimits: ${(error as Error).message}`);
  }
  const { retention: _ignored, ...rest } = context;
  return { ...rest, retention, stateMachineTimeoutSeconds: stateMachineTimeoutSeconds(context.polling) };
}

/**
 * The workflow's hard stop. It must outlast the longest polling budget (the poll function then ends the check as
 * timed-out and records it), the one wait that may start just before the budget runs out, and the worst chain of task
 * retries after it (WORST_RETRY_CHAIN_SECONDS, from the workflow's own retry policy), so that a check whose every
 * retry is used still ends in its record rather than in a timeout. Rounded up to whole hours.
 */
export function stateMachineTimeoutSeconds(policy: PollingPolicy): number {
  const longestBudget = Math.max(...PROVIDERS.map((p) => policy.maxPollingSeconds[p]), policy.maxEscalationSeconds);
  // The poll function caps a provider's Retry-After at 900 s: the longest single wait is one of these.
  const longestWait = Math.max(policy.maxSeconds, policy.escalationSeconds, policy.escalationSecondsWithWebhooks, 900);
  const total = longestBudget + longestWait + WORST_RETRY_CHAIN_SECONDS;
  return Math.ceil(total / 3_600) * 3_600;
}

function fromCli(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}
