/**
 * Secure defaults in one place: runtime, bundling, sizing, log retention, bucket and queue settings. Constructs read
 * these instead of repeating them, so a reviewer checks one file to know how every resource is hardened.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  BucketEncryption,
  ObjectOwnership,
  StorageClass,
  type BucketProps,
} from 'aws-cdk-lib/aws-s3';

/** The newest Node.js runtime aws-cdk-lib 2.276 offers (cdk-nag AwsSolutions-L1 checks this too). */
export const NODE_RUNTIME = Runtime.NODEJS_24_X;
/** Graviton: cheaper per GB-second than x86 for the same I/O-bound handlers. */
export const ARCHITECTURE = Architecture.ARM_64;

/**
 * esbuild, locally (never Docker): minified ESM with source maps. Everything is bundled, the AWS SDK included, so the
 * deployed code runs the SDK versions the tests ran, not whatever the runtime ships.
 */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  externalModules: [],
  forceDockerBundling: false,
  // Some bundled CommonJS dependencies call require() for Node built-ins; ESM output needs it defined.
  banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
};

/** Environment every function gets (Powertools reads these; source maps make minified stack traces readable). */
export const COMMON_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: 'audit-archiver',
  POWERTOOLS_METRICS_NAMESPACE: 'AuditArchiver',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
} as const;

export interface FunctionSizing {
  memorySize: number;
  timeout: Duration;
}

/**
 * Memory and timeouts per function. The poll function makes one provider request (10 s request timeout inside);
 * the archive function streams KYC images and decodes liveness frames, so it gets memory (and with it CPU) and time.
 */
export const SIZING = {
  start: { memorySize: 256, timeout: Duration.seconds(15) },
  poll: { memorySize: 256, timeout: Duration.seconds(60) },
  archive: { memorySize: 1_024, timeout: Duration.minutes(5) },
  record: { memorySize: 256, timeout: Duration.seconds(30) },
  /** Verifies a signature, two or three DynamoDB writes and one SQS message. */
  webhook: { memorySize: 256, timeout: Duration.seconds(10) },
  /** Acts on the open checks that are due, and stops before its timeout (the rest wait for the next run). */
  reconcile: { memorySize: 256, timeout: Duration.minutes(5) },
  /** Seals and replays dead letters, and stops before its timeout. */
  deadLetters: { memorySize: 256, timeout: Duration.minutes(2) },
} as const satisfies Record<string, FunctionSizing>;

/** Function and workflow logs: long enough for an incident review, short enough to not become an archive itself. */
export const LOG_RETENTION = RetentionDays.ONE_YEAR;

/** Evidence and records are the product: never deleted with the stack. */
export const DATA_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/** Days a replaced or expired evidence version stays recoverable before lifecycle deletes it for good. */
export const NONCURRENT_VERSION_DAYS = 30;
/** Incomplete multipart uploads (an archive that died mid-stream) are removed after this many days. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 1;

/** Settings every bucket of the app shares. */
export const BUCKET_BASELINE = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: DATA_REMOVAL_POLICY,
} as const satisfies Partial<BucketProps>;

/**
 * The server-access-log bucket: SSE-S3 because S3 log delivery cannot write with SSE-KMS; logs move to infrequent
 * access after 90 days and expire after 2 years.
 */
export const ACCESS_LOG_BUCKET_PROPS: BucketProps = {
  ...BUCKET_BASELINE,
  encryption: BucketEncryption.S3_MANAGED,
  versioned: false,
  lifecycleRules: [
    {
      id: 'expire-access-logs',
      transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) }],
      expiration: Duration.days(730),
      abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOAD_DAYS),
    },
  ],
};

/** Dead-lettered events wait this long (SQS maximum) for someone to look at them. */
export const DLQ_RETENTION = Duration.days(14);

/** EventBridge → start function delivery: retries for throttling/outages, then the DLQ. */
export const TARGET_DELIVERY = { retryAttempts: 8, maxEventAge: Duration.hours(24) } as const;
/**
 * The start queue: batches of 10 within a second, at most 5 batches in flight (the back-pressure on StartExecution and
 * on Lambda concurrency); a message the function could not start comes back after the visibility timeout (six times
 * the function's timeout, as AWS advises); past maxReceiveCount (above the function's own MAX_START_RECEIVES, after
 * which it seals the event itself) the queue moves it to the dead-letter queue raw.
 */
export const START_QUEUE = {
  batchSize: 10,
  maxBatchingWindow: Duration.seconds(1),
  maxConcurrency: 5,
  visibilityTimeout: Duration.seconds(90),
  maxReceiveCount: 8,
} as const;

/** The start queue's oldest event older than this raises StartQueueAge: checks are starting late. */
export const START_QUEUE_MAX_AGE = Duration.minutes(5);

/** The dead-letter queue's oldest message older than this raises DeadLettersAging: days before SQS drops it at 14. */
export const DEAD_LETTER_MAX_AGE = Duration.days(3);
