/**
 * The archive engine wired as the archive function wires it (lambdas/archive/runtime.ts) — same S3 store, record
 * store, provider clients and settings — against the benchmark's servers, with request counters on the AWS clients.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ArchiveDeps } from '../../lambdas/archive/engine';
import { createS3Client, createS3Store, type S3StoreConfig } from '../../lambdas/archive/s3-store';
import { parseArchiveSettings } from '../../lambdas/archive/settings';
import type { CredentialSource } from '../../lambdas/common/credentials';
import { createProviderClient } from '../../lambdas/providers';
import type { ProviderName } from '../../lambdas/checks/check-status';
import { createDynamoDocumentClient, createRecordStore } from '../../lambdas/records/record-store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { LOCAL_PROVIDER_CREDENTIALS } from '../../local/fake-providers';
import { EMULATOR_ONLY } from '../cost/model';
import type { Endpoints } from './servers';
import { benchKeySource } from './identifier-key';
import type { SentRequest } from '../scale/index-writes';
import { randomUUID } from 'node:crypto';
import { CHECK_CREATED_DETAIL_TYPE, DEFAULT_EVENT_SOURCE } from '../../lambdas/events/check-created';
import { startCheck, type StartResult } from '../../lambdas/handlers/start';

/** AWS requests made, by command name, with the bytes of their serialized request bodies (when known). */
export interface RequestCounter {
  counts: Record<string, number>;
  bodyBytes: Record<string, number[]>;
  /** Serialized request bodies that were strings (JSON protocols: DynamoDB), by command. */
  textBodies: Record<string, string[]>;
  /** Every request in the order sent, with its JSON body and whether a condition refused it (DynamoDB). */
  sequence: SentRequest[];
  reset(): void;
}

export function createRequestCounter(): RequestCounter {
  const counter: RequestCounter = {
    counts: {},
    bodyBytes: {},
    textBodies: {},
    sequence: [],
    reset() {
      counter.counts = {};
      counter.bodyBytes = {};
      counter.textBodies = {};
      counter.sequence = [];
    },
  };
  return counter;
}

/** The bytes themselves: the SDK's JSON body adapter warns when its string methods are used. */
function bodyText(body: Uint8Array): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

/**
 * Counts every command the client sends (retries would count once: none happen against the emulators). A tagging
 * call after a PutObject that carried its tags already (lambdas/archive/s3-store.ts tags again only against an
 * emulator, which ignores the header) is counted as `PutObjectTaggingCommand (emulator only)`: AWS never sees it.
 */
export function countRequests(client: { middlewareStack: S3Client['middlewareStack'] }, counter: RequestCounter): void {
  const taggedOnPut = new Set<string>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      let name = context.commandName ?? 'unknown';
      const input = args.input as { Key?: string; Tagging?: unknown; Metadata?: Record<string, string> } | undefined;
      if (name === 'PutObjectCommand' && input?.Key && typeof input.Tagging === 'string' && input.Metadata?.sha256) taggedOnPut.add(input.Key);
      if (name === 'PutObjectTaggingCommand' && input?.Key && taggedOnPut.delete(input.Key)) name = `${name}${EMULATOR_ONLY}`;
      counter.counts[name] = (counter.counts[name] ?? 0) + 1;
      const request = args.request as { body?: unknown; headers?: Record<string, string> } | undefined;
      const body = request?.body;
      const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.length : undefined;
      if (bytes !== undefined) (counter.bodyBytes[name] ??= []).push(bytes);
      const json = /json/i.test(request?.headers?.['content-type'] ?? '');
      const text = typeof body === 'string' || (json && body instanceof Uint8Array) ? (typeof body === 'string' ? body : bodyText(body as Uint8Array)) : undefined;
      if (text !== undefined) (counter.textBodies[name] ??= []).push(text);
      const sent: SentRequest = { name, ...(text !== undefined ? { body: text } : {}) };
      counter.sequence.push(sent);
      try {
        return await next(args);
      } catch (error) {
        if ((error as Error)?.name === 'ConditionalCheckFailedException') sent.conditionFailed = true;
        throw error;
      }
    },
    { step: 'finalizeRequest', name: 'benchRequestCounter' },
  );
}

export const benchCredentials: CredentialSource = {
  async get(provider) {
    const values: Record<ProviderName, string> = {
      liveness: LOCAL_PROVIDER_CREDENTIALS.livenessApiKey,
      kyc: LOCAL_PROVIDER_CREDENTIALS.kycJwt,
      verification: LOCAL_PROVIDER_CREDENTIALS.verificationApiKey,
    };
    return values[provider];
  },
};

export interface BenchArchiveOptions {
  s3Counter?: RequestCounter;
  dynamoCounter?: RequestCounter;
  /** Upload tuning (the deployed store uses the defaults: 5 MiB parts, 1 in flight). */
  upload?: Pick<S3StoreConfig, 'partSize' | 'queueSize'>;
  /** Over the deployed archive settings (e.g. maxImageBytes for the 200 MiB image). */
  maxImageBytes?: number;
}

export function s3ClientFor(endpoints: Endpoints): S3Client {
  return createS3Client({ endpoint: endpoints.s3, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

export function archiveDepsFor(endpoints: Endpoints, provider: ProviderName, options: BenchArchiveOptions = {}): ArchiveDeps {
  const settings = parseArchiveSettings({ ...(options.maxImageBytes ? { maxImageBytes: options.maxImageBytes } : {}) });
  const s3 = s3ClientFor(endpoints);
  if (options.s3Counter) countRequests(s3, options.s3Counter);
  const dynamo = createDynamoDocumentClient({ endpoint: endpoints.dynamo, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  if (options.dynamoCounter) countRequests(dynamo as unknown as S3Client, options.dynamoCounter);
  const host = new URL(endpoints.providers).hostname;
  return {
    client: createProviderClient(provider, { baseUrl: endpoints.providers, credentials: benchCredentials }),
    store: createS3Store({ client: s3, bucket: endpoints.bucket, ...options.upload }),
    records: createRecordStore({ client: dynamo, tableName: endpoints.table }),
    // As local mode configures it: the fake providers serve their images over http on loopback.
    downloadPolicy: {
      allowedHosts: [host],
      allowHttpHosts: [host],
      allowPrivateAddresses: true,
      maxBytes: settings.limits.maxImageBytes,
      timeoutMs: 30_000, // as deployed (lambdas/archive/runtime.ts)
      maxRedirects: 3,
    },
    limits: settings.limits,
    kycImageLinks: settings.kycImageLinks,
    retention: settings.retention,
    identifierKey: benchKeySource,
    now: () => new Date(),
  };
}

/**
 * The start function's work for one check, wired as lambdas/handlers/start.ts wires it (its record store on the
 * benchmark's table, the request counter on its DynamoDB client): the `started` item and the seen marker. The
 * StartExecution call is answered here — the workflow itself is benchmark 1's — so only the start's DynamoDB writes
 * are measured.
 */
export async function startCheckOnce(
  endpoints: Endpoints,
  counter: RequestCounter,
  detail: { provider: ProviderName; checkId: string; clientKey?: string },
): Promise<StartResult> {
  const dynamo = createDynamoDocumentClient({ endpoint: endpoints.dynamo, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  countRequests(dynamo as unknown as S3Client, counter);
  const now = new Date();
  const event = { id: randomUUID(), source: DEFAULT_EVENT_SOURCE, 'detail-type': CHECK_CREATED_DETAIL_TYPE, time: now.toISOString(), detail };
  const quiet = { info() {}, warn() {}, error() {} };
  return startCheck(event, {
    sfn: { send: async () => ({ executionArn: `arn:aws:states:${LOCAL_REGION}:000000000000:execution:bench:${randomUUID()}` }) } as never,
    stateMachineArns: { [detail.provider]: `arn:aws:states:${LOCAL_REGION}:000000000000:stateMachine:bench-${detail.provider}` },
    records: createRecordStore({ client: dynamo, tableName: endpoints.table }),
    now: () => now,
    identifierKey: benchKeySource,
    logger: quiet,
    metrics: { addMetric() {}, publishStoredMetrics() {} } as never,
  });
}
