/**
 * Wiring of the archive engine against the local emulators for tests: real S3 (s3rver) and DynamoDB (dynalite),
 * a stub provider client (the engine's input boundary), and read-back helpers that show the real effect.
 */
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import type { ArchiveDeps } from '../../lambdas/archive/engine';
import type { DownloadPolicy } from '../../lambdas/archive/intake';
import type { Manifest } from '../../lambdas/archive/manifest';
import { createS3Store, type EvidenceStore } from '../../lambdas/archive/s3-store';
import type { CheckRecord } from '../../lambdas/records/record';
import { createRecordStore, type RecordStore } from '../../lambdas/records/record-store';
import { DEFAULT_RETENTION_POLICY } from '../../lambdas/records/retention';
import { recordKeyOf } from '../../lambdas/records/table-schema';
import type { HttpResponse } from '../../lambdas/common/http';
import { answerOf } from '../../lambdas/providers/answer';
import type { CheckRef, CheckStatus, ProviderAnswer, ProviderClient, ProviderName } from '../../lambdas/checks/check-status';
import { interpretKycAnswer } from '../../lambdas/providers/kyc/client';
import { interpretLivenessAnswer } from '../../lambdas/providers/liveness/client';
import { interpretVerificationAnswer } from '../../lambdas/providers/verification/client';
import type { ScriptedAnswer } from './answers';
import type { WorkflowCheck } from '../../lambdas/checks/workflow-contract';
import type { Emulators } from '../../local/emulators';
import { TEST_KEY, testKeySource } from './identifier-key';

export const FIXED_NOW = new Date('2026-03-19T10:40:00.000Z');

/** Loopback image servers are the test's "provider host": allowed explicitly, like a local-mode configuration. */
export function loopbackPolicy(overrides: Partial<DownloadPolicy> = {}): DownloadPolicy {
  return {
    allowedHosts: ['127.0.0.1'],
    allowHttpHosts: ['127.0.0.1'],
    allowPrivateAddresses: true,
    maxBytes: 16 * 1024 * 1024,
    timeoutMs: 5_000,
    maxRedirects: 2,
    ...overrides,
  } as DownloadPolicy;
}

const INTERPRETERS: Record<ProviderName, (answer: ProviderAnswer) => CheckStatus> = {
  liveness: interpretLivenessAnswer,
  kyc: interpretKycAnswer,
  verification: interpretVerificationAnswer,
};

/**
 * A client whose every request gets the next answer given (the last one repeats), read by the provider's real
 * interpreter. Like the real liveness client it scrubs the token from the kept answer.
 */
export function stubClient(provider: ProviderName, ...answers: ScriptedAnswer[]): ProviderClient & { calls: number } {
  const interpret = INTERPRETERS[provider];
  const client = {
    provider,
    calls: 0,
    async fetchAnswer(ref: CheckRef): Promise<ProviderAnswer> {
      const scripted = answers[Math.min(client.calls, answers.length - 1)];
      client.calls++;
      if (!scripted) throw new Error('stub client: no answer');
      return answerOf(httpResponseOf(scripted), FIXED_NOW, provider === 'liveness' ? ref.checkId : undefined);
    },
    interpret: (answer: ProviderAnswer) => interpret(answer),
    async getStatus(ref: CheckRef) {
      return interpret(await client.fetchAnswer(ref));
    },
  };
  return client;
}

/** The HTTP response a scripted answer is on the wire. */
export function httpResponseOf(scripted: ScriptedAnswer): HttpResponse {
  const bodyText = scripted.text ?? (scripted.body === undefined ? '' : JSON.stringify(scripted.body));
  let json: unknown;
  try {
    json = bodyText.trim() === '' ? undefined : JSON.parse(bodyText);
  } catch {
    json = undefined;
  }
  return { status: scripted.httpStatus, headers: new Headers({ 'content-type': 'application/json' }), body: Buffer.from(bodyText), bodyText, json };
}

let counter = 0;
/** A fresh check with a unique id; createdAt fixes the S3 key's date. */
/** The per-check caps at their defaults: tests set the per-image limits they exercise. */
export const PER_CHECK_CAPS = { maxImagesPerCheck: 500, maxBytesPerCheck: 2 * 1024 * 1024 * 1024 };

export function makeCheck(provider: ProviderName, overrides: Partial<WorkflowCheck> = {}): WorkflowCheck {
  const checkId = overrides.checkId ?? `${provider}-check-${process.pid}-${Date.now()}-${++counter}`;
  return {
    provider,
    checkId,
    checkRef: checkRefOf(TEST_KEY, provider, checkId),
    createdAt: '2026-03-19T10:31:06.000Z',
    ...overrides,
  };
}

export interface Harness {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  store: EvidenceStore;
  records: RecordStore;
  deps(client: ProviderClient, overrides?: Partial<ArchiveDeps>): ArchiveDeps;
}

export function harness(emulators: Emulators): Harness {
  const s3 = emulators.s3Client();
  const dynamo = emulators.dynamoClient();
  const store = createS3Store({ client: s3, bucket: emulators.bucketName });
  const records = createRecordStore({ client: dynamo, tableName: emulators.tableName });
  return {
    s3,
    dynamo,
    store,
    records,
    deps: (client, overrides = {}) => ({
      client,
      store,
      records,
      downloadPolicy: loopbackPolicy(),
      limits: { ...PER_CHECK_CAPS, maxFrameBytes: 1024 * 1024, maxImageBytes: 16 * 1024 * 1024, quarantineMaxBytes: 32 * 1024 * 1024, concurrency: 3 },
      kycImageLinks: [],
      retention: DEFAULT_RETENTION_POLICY,
      identifierKey: testKeySource,
      now: () => FIXED_NOW,
      ...overrides,
    }),
  };
}

export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await Body!.transformToByteArray());
}

export async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  return JSON.parse((await readObject(s3, bucket, key)).toString('utf8')) as T;
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function tagsOf(s3: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
  const { TagSet } = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return Object.fromEntries((TagSet ?? []).map((tag) => [tag.Key!, tag.Value!]));
}

export async function metadataOf(s3: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
  const { Metadata } = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return Metadata ?? {};
}

/** The check's record; undefined while the item is only the open check's `started` marker (no record yet). */
export async function getRecord(dynamo: DynamoDBDocumentClient, tableName: string, check: WorkflowCheck): Promise<CheckRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: { pk: recordKeyOf(check.provider, check.checkRef) }, ConsistentRead: true }),
  );
  return Item?.status === 'started' ? undefined : (Item as CheckRecord | undefined);
}

/** The manifest of a check, asserted to list exactly the objects under its prefix (besides itself). */
export async function manifestOf(s3: S3Client, bucket: string, record: CheckRecord): Promise<Manifest> {
  return readJson<Manifest>(s3, bucket, record.manifestKey!);
}
