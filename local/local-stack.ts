/**
 * The product on one machine: the synthesized state machine on the local Step Functions service, the real handler
 * modules as its tasks, s3rver and dynalite as S3 and DynamoDB, fake providers (or real ones, see below) — wired
 * through the same environment variables the stack gives the functions in AWS. Events go in through the real start
 * handler, whose StartExecution reaches the local service through AWS_ENDPOINT_URL_SFN. `Poll provider` puts its
 * message on a local poll queue that feeds the real poll handler (the poll loop), whose SendMessage and
 * SendTaskSuccess reach the local queue and service through AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_SFN.
 *
 * The handler modules read their environment once, at import, as in Lambda: one local stack per process.
 * A provider whose URL is already in the environment (LIVENESS_API_URL, KYC_API_URL, VERIFICATION_API_URL, with its
 * credential variable) is used instead of the fake one: those variables win over the synthesized placeholders
 * (real-providers.ts checks them and says what the download policy allows for them).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { CREDENTIAL_ENV_VARS } from '../lambdas/common/credentials';
import { PROVIDER_URL_VARS } from '../lambdas/common/environment';
import { DEFAULT_POLLING_POLICY, pollingPolicySchema, type PollingPolicy } from '../lambdas/polling/polling-policy';
import { PROVIDERS, type ProviderName } from '../lambdas/checks/check-status';
import { recordItemsOf } from '../lambdas/records/open-checks';
import type { CheckRecord } from '../lambdas/records/record';
import { STATE } from '../lambdas/checks/workflow-contract';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startEmulators, type Emulators } from './emulators';
import { startFakeProviders, type CheckScript, type FakeProviders } from './fake-providers';
import { IdentifierKey } from '../lambdas/checks/check-ref';
import { RETENTION_DETAIL_TYPES } from '../lambdas/events/retention-events';
import { IDENTIFIER_KEY_ENV, IDENTIFIER_SECRET_ENV } from '../lambdas/common/identifier-key';
import { localIdentifierKey, temporaryIdentifierKey } from './identifier-key';
import { sweepExpired } from './ttl-sweeper';
import { LOCAL_BUCKET_NAME, LOCAL_INDEX_SHARDS, LOCAL_TABLE_NAME, LOCAL_WAKE_TABLE_NAME } from './local-names';
import { startLocalPollQueue, type LocalPollQueue } from './poll-queue';
import { localDownloadAllowance, realProvidersFrom } from './real-providers';
import { DEFERRED, startLocalStepFunctions, type CallbackTask, type LocalStepFunctions } from './step-functions-service';
import { startStartQueue, type StartQueue } from './start-queue';
import { SIZING } from '../lib/defaults';
import type { MessageOutcome, StartBatchDependencies } from '../lambdas/handlers/start';
import { synthesizeWorkflow } from './synthesize';
import { startLocalWebhookReceiver } from './webhook-receiver';

export interface LocalStackOptions {
  /** Keeps the archive (S3 objects, records, dead letters) here across runs; a temporary one when absent. */
  dataDir?: string;
  /**
   * Wait states and retry pauses run this many times faster than real time. @default 30
   * The fake providers keep real time, so the handlers' clock and theirs agree (image windows, deadlines).
   */
  timeFactor?: number;
  /** Checks the fake providers know from the start. */
  checks?: readonly CheckScript[];
  /** Over the deployed policy (cdk.json). @default escalationSeconds (and …WithWebhooks) 60, so a local escalation resolves in seconds */
  polling?: Partial<PollingPolicy>;
  /** Powertools log level of the handlers. @default 'WARN' (the progress output is the run's log) */
  logLevel?: string;
  /** Where the one-line notices about real providers go (what local mode allows for them). @default stderr */
  notice?: (line: string) => void;
  /** Local Step Functions: executions run at once (more wait, RUNNING) and StartExecution's token bucket. */
  stepFunctions?: { maxConcurrentExecutions?: number; startExecutionRate?: { burst: number; perSecond: number } };
  /** The start queue's event source mapping: batches at once, and the visibility timeout (seconds). */
  startQueue?: { concurrency?: number; visibilityTimeoutSeconds?: number };
  /**
   * Webhook wake-ups (docs/webhooks.md) for these providers: the real receiver handler behind a local Function URL,
   * a wake-up table in dynalite, generated signing secrets the fake providers sign with. @default none
   */
  webhooks?: readonly ProviderName[];
  /** The receiver's port. @default an ephemeral one */
  webhookPort?: number;
}

export interface SubmitResult {
  /** applied: a retention event (Relationship Closed, Client Interaction, Erasure Requested) was carried out. */
  status: 'started' | 'duplicate' | 'applied' | 'invalid' | 'failed';
  provider?: string;
  checkRef?: string;
  /** Invalid or failed: the error's name and message (paths and codes, no values). */
  reason?: string;
}

export interface LocalStack {
  emulators: Emulators;
  /** One state machine per provider, as deployed, behind one endpoint. */
  stepFunctions: LocalStepFunctions;
  /** Each provider's state machine ARN (the start function's STATE_MACHINE_ARNS). */
  stateMachineArns: Record<ProviderName, string>;
  /** The start queue and its dead-letter queue (local-aws-sqs) with the event source mapping stand-in. */
  startQueue: StartQueue;
  /** The message bodies waiting in the dead-letter queue (sealed dead letters; raw events if the redrive moved any). */
  deadLetters(): Promise<string[]>;
  /** The poll loop's queue. */
  pollQueue: LocalPollQueue;
  /** Absent when all three providers are real. */
  fakeProviders?: FakeProviders;
  /** The providers the environment pointed elsewhere than the fake ones. */
  realProviders: ProviderName[];
  /** The key checkRefs and subject hashes are derived with (Secrets Manager's in AWS; the data directory's here). */
  identifierKey: IdentifierKey;
  /** With `webhooks`: the receiver's URL (`{url}/{provider}`) and each provider's signing secret. */
  webhookReceiver?: { url: string; secrets: Partial<Record<ProviderName, string>> };
  /** Delivers one EventBridge event to the start handler, as the rule would. */
  submit(event: unknown): Promise<SubmitResult>;
  /** Every record in the table (not the open checks' `started` items, nor the "seen" markers: they are no records). */
  records(): Promise<CheckRecord[]>;
  /** DynamoDB's TTL process, which dynalite lacks (local/ttl-sweeper.ts): expired records go, each with a receipt. */
  sweepExpired(now?: Date): Promise<number>;
  close(): Promise<void>;
}

type Handler = (event: unknown, context?: { awsRequestId: string; getRemainingTimeInMillis: () => number }) => Promise<unknown>;

export function isRetentionEvent(event: unknown): boolean {
  return (RETENTION_DETAIL_TYPES as readonly unknown[]).includes((event as { 'detail-type'?: unknown } | null)?.['detail-type']);
}

/** Where notices go by default. */
export const stderrLine = (line: string): void => void process.stderr.write(`${line}\n`);

let started = false;

/** Local state machines are `<prefix>-<provider>`. */
const LOCAL_STATE_MACHINE_ARN_PREFIX = 'arn:aws:states:us-east-1:000000000000:stateMachine:audit-archiver-local-Workflow';

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (started) throw new Error('one local stack per process: the handlers read their environment once, at import');
  // Before anything starts: a bad URL or a missing credential is the user's to fix, not a check's to fail on.
  const real = await realProvidersFrom(process.env);
  started = true;
  const realProviders = real.map((p) => p.provider);
  const notice = options.notice ?? stderrLine;
  const timeFactor = options.timeFactor ?? 30;
  const workflow = synthesizeWorkflow();

  const webhookProviders = [...new Set(options.webhooks ?? [])];
  const emulators = await startEmulators({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    bucketName: LOCAL_BUCKET_NAME,
    tableName: LOCAL_TABLE_NAME,
    ...(webhookProviders.length ? { wakeTableName: LOCAL_WAKE_TABLE_NAME } : {}),
  });
  // The receiver listens before the fake providers start (they need its URL); its handler is imported further down.
  let webhookHandler: Parameters<typeof startLocalWebhookReceiver>[0]['handler'] | undefined;
  const receiver = webhookProviders.length
    ? await startLocalWebhookReceiver({ handler: (event) => webhookHandler!(event), ...(options.webhookPort !== undefined ? { port: options.webhookPort } : {}) })
    : undefined;
  const webhookSecrets = Object.fromEntries(webhookProviders.map((p) => [p, `whsec_${randomBytes(32).toString('base64')}`]));
  const fakeProviders =
    realProviders.length < PROVIDERS.length
      ? await startFakeProviders({
          checks: options.checks ?? [],
          log: (line) => process.stderr.write(`${line}\n`),
          ...(receiver ? { webhooks: { url: receiver.url, secrets: webhookSecrets } } : {}),
        })
      : undefined;

  const identifierKeyHex = options.dataDir !== undefined ? await localIdentifierKey(options.dataDir) : temporaryIdentifierKey();
  const pollEnv = workflow.functionEnvironment('poll');
  const archiveEnv = workflow.functionEnvironment('archive');
  const deployedPolicy = pollingPolicySchema.parse(JSON.parse(pollEnv.POLLING_POLICY ?? '{}'));
  const polling = pollingPolicySchema.parse({ ...DEFAULT_POLLING_POLICY, ...deployedPolicy, escalationSeconds: 60, escalationSecondsWithWebhooks: 60, ...options.polling });

  // The service and the queue first: the handlers must know their endpoints before they are imported; tasks and
  // messages reach the handlers through `call`.
  const handlers: Partial<Record<'poll' | 'archive' | 'record', Handler>> = {};
  // Each task invocation gets a Lambda context: its deadline is the function's timeout, in real time as in Lambda.
  const timeouts = { poll: SIZING.poll.timeout.toMilliseconds(), archive: SIZING.archive.timeout.toMilliseconds(), record: SIZING.record.timeout.toMilliseconds() };
  const call = (name: keyof typeof handlers) => (input: unknown) => {
    const deadline = Date.now() + timeouts[name];
    return handlers[name]!(input, { awsRequestId: `local-${name}`, getRemainingTimeInMillis: () => deadline - Date.now() });
  };
  const pollQueue = await startLocalPollQueue({ timeFactor, consumer: (event) => call('poll')(event) as never });
  // Each provider's workflow, as deployed (its own state machine); locally one poll queue and one module of each handler
  // serve all three (handler modules read their environment once per process, and there is no IAM to split here).
  const stateMachineArns = Object.fromEntries(PROVIDERS.map((p) => [p, `${LOCAL_STATE_MACHINE_ARN_PREFIX}-${p}`])) as Record<ProviderName, string>;
  const taskHandlers = {
    // Step Functions' sqs:sendMessage: the message (with its task token) onto the poll queue; the loop answers.
    [STATE.poll]: async (_state: unknown, task?: CallbackTask) => {
      const { MessageBody, DelaySeconds } = task!.parameters as { MessageBody: unknown; DelaySeconds?: number };
      pollQueue.send(typeof MessageBody === 'string' ? MessageBody : JSON.stringify(MessageBody), DelaySeconds ?? 0);
      return DEFERRED;
    },
    [STATE.archive]: call('archive'),
    [STATE.recordEscalation]: call('archive'),
    [STATE.record]: call('archive'),
    [STATE.recordFailure]: call('record'),
  };
  const stepFunctions = await startLocalStepFunctions({
    machines: PROVIDERS.map((p) => ({ stateMachineArn: stateMachineArns[p], definition: workflow.definitions[p], taskHandlers })),
    timeFactor,
    ...(options.stepFunctions?.maxConcurrentExecutions ? { maxConcurrentExecutions: options.stepFunctions.maxConcurrentExecutions } : {}),
    ...(options.stepFunctions?.startExecutionRate ? { startExecutionRate: options.stepFunctions.startExecutionRate } : {}),
  });

  let startBatch: ((event: SQSEvent) => ReturnType<(typeof import('../lambdas/handlers/start'))['handleBatch']>) | undefined;
  const startQueue = await startStartQueue({
    consumer: (event) => startBatch!(event),
    ...(options.startQueue?.concurrency ? { concurrency: options.startQueue.concurrency } : {}),
    ...(options.startQueue?.visibilityTimeoutSeconds ? { visibilityTimeoutSeconds: options.startQueue.visibilityTimeoutSeconds } : {}),
  });
  const deadLetterKey = await localDeadLetterKey(options.dataDir);

  Object.assign(process.env, {
    ...workflow.functionEnvironment('start'),
    ...archiveEnv,
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
    AWS_ENDPOINT_URL_SQS: pollQueue.endpoint,
    POLL_QUEUE_URL: pollQueue.queueUrl,
    // The webhook receiver wakes each provider's loop on its poll queue: all the one local queue.
    POLL_QUEUE_URLS: JSON.stringify(Object.fromEntries(PROVIDERS.map((p) => [p, pollQueue.queueUrl]))),
    AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
    // The start function reaches the dead-letter queue at its URL's host (the SQS endpoint above is the poll queue's).
    DEAD_LETTER_QUEUE_URL: startQueue.deadLetterQueueUrl,
    START_QUEUE_URL: startQueue.queueUrl,
    // A throttled start's first wait: a second here (the queue's visibility timeout is seconds locally too).
    START_THROTTLE_BACKOFF_SECONDS: '1',
    // No KMS here: dead letters are sealed with a local key (kept in the data directory with the archive).
    DEAD_LETTER_KEY_ARN: '',
    DEAD_LETTER_LOCAL_KEY: deadLetterKey.toString('base64'),
    STATE_MACHINE_ARNS: JSON.stringify(stateMachineArns),
    BUCKET_NAME: emulators.bucketName,
    TABLE_NAME: emulators.tableName,
    LEDGER_TABLE_NAME: emulators.ledgerTableName,
    RECEIPTS_BUCKET_NAME: emulators.receiptsBucketName,
    [IDENTIFIER_KEY_ENV]: identifierKeyHex,
    KMS_KEY_ARN: '', // s3rver has no KMS
    OBJECT_LOCK_MODE: 'OFF', // nor Object Lock
    POLLING_POLICY: JSON.stringify(polling),
    // The archive step's short outage waits run as fast as the Wait states here (its budget counts them in full).
    ARCHIVE_WAIT_SPEEDUP: String(timeFactor),
    INDEX_SHARDS: String(LOCAL_INDEX_SHARDS),
    ...(receiver
      ? {
          WAKE_TABLE_NAME: LOCAL_WAKE_TABLE_NAME,
          WEBHOOK_PROVIDERS: webhookProviders.join(','),
          WEBHOOKS: JSON.stringify(Object.fromEntries(webhookProviders.map((p) => [p, { enabled: true }]))),
          WEBHOOK_SECRETS: JSON.stringify(webhookSecrets),
        }
      : {}),
  });
  delete process.env.PROVIDER_SECRET_ARNS;
  // One handler module serves every provider here (in AWS each provider's function serves its own: PROVIDER).
  delete process.env.PROVIDER;
  delete process.env[IDENTIFIER_SECRET_ENV];
  delete process.env.WEBHOOK_SECRET_ARNS;
  // The synthesized environment carries cdk.json's placeholder URLs: the user's own providers win over them.
  for (const p of real) {
    process.env[p.urlVariable] = p.baseUrl;
    process.env[p.credentialVariable] = p.credential;
  }
  if (fakeProviders) {
    const { credentials, baseUrl } = fakeProviders;
    const fake: Record<ProviderName, string> = {
      liveness: credentials.livenessApiKey,
      kyc: credentials.kycJwt,
      verification: credentials.verificationApiKey,
    };
    for (const provider of PROVIDERS) {
      if (realProviders.includes(provider)) continue;
      process.env[PROVIDER_URL_VARS[provider]] = baseUrl;
      // The fake provider accepts only its own credential, whatever a stray variable says.
      process.env[CREDENTIAL_ENV_VARS[provider]] = fake[provider];
    }
  }
  // The fake providers serve images over http on loopback, and so may the user's: allowed for their hosts, only here.
  const downloads = localDownloadAllowance(real, fakeProviders ? new URL(fakeProviders.baseUrl).hostname : undefined);
  process.env.DOWNLOAD_HTTP_HOSTS = downloads.httpHosts.join(',');
  process.env.DOWNLOAD_ALLOW_PRIVATE_ADDRESSES = String(downloads.allowPrivateAddresses);
  for (const line of downloads.notices) notice(line);

  const [start, poll, archive, record, retention] = await Promise.all([
    import('../lambdas/handlers/start'),
    import('../lambdas/handlers/poll'),
    import('../lambdas/handlers/archive'),
    import('../lambdas/handlers/record'),
    import('../lambdas/handlers/retention'),
  ]);
  Object.assign(handlers, { poll: poll.handler, archive: archive.handler, record: record.handler });
  const startDeps: StartBatchDependencies = start.startDepsFromEnv(process.env);
  startBatch = (event) => start.startBatch(event, startDeps);
  if (receiver) webhookHandler = (await import('../lambdas/handlers/webhook')).handler;

  async function deadLetters(): Promise<string[]> {
    // Peeks: each receive hides what it returned for a moment, then all of it is made visible again.
    const sqs = startQueue.sqsClient();
    const bodies = new Map<string, string>();
    const handles: string[] = [];
    for (;;) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: startQueue.deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 5 }));
      const fresh = (Messages ?? []).filter((m) => !bodies.has(m.MessageId!));
      if (fresh.length === 0) break;
      for (const m of fresh) {
        bodies.set(m.MessageId!, m.Body ?? '');
        handles.push(m.ReceiptHandle!);
      }
    }
    for (const ReceiptHandle of handles) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: startQueue.deadLetterQueueUrl, ReceiptHandle, VisibilityTimeout: 0 })).catch(() => undefined);
    }
    return [...bodies.values()];
  }

  return {
    emulators,
    stepFunctions,
    stateMachineArns,
    startQueue,
    deadLetters,
    pollQueue,
    ...(fakeProviders ? { fakeProviders } : {}),
    realProviders,
    identifierKey: IdentifierKey.fromSecret(identifierKeyHex),
    ...(receiver ? { webhookReceiver: { url: receiver.url, secrets: webhookSecrets } } : {}),
    async submit(event) {
      // The retention events have their own rule and function in AWS (lib/constructs/retention-operations.ts).
      if (isRetentionEvent(event)) {
        try {
          await retention.handler(event);
          return { status: 'applied' };
        } catch (error) {
          const { name, message } = error as Error;
          return { status: name === 'InvalidEventError' ? 'invalid' : 'failed', reason: `${name}: ${message}` };
        }
      }
      return submitResultOf(await startQueue.submit(event));
    },
    sweepExpired(now) {
      return sweepExpired({ dynamo: emulators.dynamoClient(), tableName: emulators.tableName, ...(now ? { now } : {}), deliver: retention.handler });
    },
    async records() {
      const items: CheckRecord[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await emulators.dynamoClient().send(new ScanCommand({ TableName: emulators.tableName, ExclusiveStartKey }));
        items.push(...recordItemsOf((page.Items ?? []) as CheckRecord[]));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
    },
    async close() {
      // The queue is in memory: its dead letters (sealed, no secrets) are kept with the archive.
      if (options.dataDir) {
        const letters = await deadLetters().catch(() => []);
        await writeFile(join(options.dataDir, 'dead-letters.jsonl'), letters.map((body) => `${body}\n`).join(''));
      }
      await startQueue.close();
      await stepFunctions.close();
      await pollQueue.close();
      await fakeProviders?.close();
      await receiver?.close();
      await emulators.close();
    },
  };
}

function submitResultOf(outcome: MessageOutcome): SubmitResult {
  switch (outcome.outcome) {
    case 'started':
    case 'duplicate':
      return { status: outcome.outcome, provider: outcome.provider, checkRef: outcome.checkRef };
    case 'dead-lettered':
      return { status: outcome.reason.startsWith('InvalidEventError') ? 'invalid' : 'failed', reason: outcome.reason };
    case 'retry':
      return { status: 'failed', reason: outcome.reason };
  }
}

/** The key local dead letters are sealed with: kept in the data directory, so a later run can replay them. */
async function localDeadLetterKey(dataDir: string | undefined): Promise<Buffer> {
  if (!dataDir) return randomBytes(32);
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, 'dead-letter.key');
  const existing = await readFile(file).catch(() => undefined);
  if (existing?.length === 32) return existing;
  const key = randomBytes(32);
  await writeFile(file, key, { mode: 0o600 });
  return key;
}
