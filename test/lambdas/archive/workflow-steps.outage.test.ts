/**
 * The archive step through an outage, against the emulators and the fake providers: the provider answering 503 or 429
 * (Retry-After) to the archive's own fetch, S3 answering SlowDown (injected with aws-sdk-client-mock into the
 * step's own S3 client: s3rver cannot produce it; every other request reaches s3rver). Short waits are slept in the
 * step (recorded here, not slept), longer ones handed back to the workflow as `retry-later`, and an outage that
 * outlasts the evidence window ends in ArchiveOutageError, whose error record says so.
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { invocationOf } from '../../../lambdas/archive/engine';
import { OUTAGE } from '../../../lambdas/archive/outage';
import { archiveDepsFromEnv } from '../../../lambdas/archive/runtime';
import { archiveStep, recordFailureStep, sleepFromEnv } from '../../../lambdas/archive/workflow-steps';
import { ConfigurationError } from '../../../lambdas/common/errors';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import type { ArchiveOutput, PollOutput, WorkflowCheck, WorkflowState } from '../../../lambdas/checks/workflow-contract';
import { recordDepsFromEnv } from '../../../lambdas/records/runtime';
import { LOCAL_CREDENTIALS, startEmulators, type Emulators } from '../../../local/emulators';
import { startFakeProviders, type CheckScript, type FakeProviders } from '../../../local/fake-providers';
import { getRecord, harness, type Harness } from '../../support/archive-harness';
import { TEST_KEY, TEST_KEY_SECRET } from '../../support/identifier-key';

let emulators: Emulators;
let fake: FakeProviders;
let h: Harness;
let env: Record<string, string>;
const savedAwsEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  [emulators, fake] = await Promise.all([startEmulators(), startFakeProviders()]);
  h = harness(emulators);
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  env = {
    BUCKET_NAME: emulators.bucketName,
    TABLE_NAME: emulators.tableName,
    LIVENESS_API_URL: fake.baseUrl,
    KYC_API_URL: `${fake.baseUrl}/v1`,
    VERIFICATION_API_URL: fake.baseUrl,
    LIVENESS_API_KEY: fake.credentials.livenessApiKey,
    KYC_API_TOKEN: fake.credentials.kycJwt,
    VERIFICATION_API_KEY: fake.credentials.verificationApiKey,
    AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
    DOWNLOAD_HTTP_HOSTS: '127.0.0.1',
    DOWNLOAD_ALLOW_PRIVATE_ADDRESSES: 'true',
    OBJECT_LOCK_MODE: 'OFF',
    IDENTIFIER_KEY: TEST_KEY_SECRET,
  };
});

afterAll(async () => {
  for (const [name, value] of [['AWS_ACCESS_KEY_ID', savedAwsEnv.id], ['AWS_SECRET_ACCESS_KEY', savedAwsEnv.secret]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([fake.close(), emulators.close()]);
});

let restoreS3: (() => void) | undefined;
afterEach(() => {
  restoreS3?.();
  restoreS3 = undefined;
});

function added(script: CheckScript): WorkflowCheck {
  const { provider, checkId } = fake.addCheck(script);
  return { provider, checkId, checkRef: checkRefOf(TEST_KEY, provider, checkId), createdAt: new Date().toISOString() };
}

const polledComplete = (): PollOutput => ({
  state: 'complete',
  attempt: 2,
  firstPolledAt: new Date().toISOString(),
  waitSeconds: 0,
  providerStatus: 'complete',
  transientErrors: 0,
});

/** The step as its handler runs it, its short waits recorded instead of slept. */
async function step(state: WorkflowState, timeLeftMs = 280_000): Promise<{ output: ArchiveOutput; waits: number[] }> {
  const waits: number[] = [];
  const invocation = { ...invocationOf(), deadline: Date.now() + timeLeftMs };
  const output = await archiveStep(archiveDepsFromEnv(env), state, TEST_KEY, invocation, async (ms) => void waits.push(ms));
  return { output, waits };
}

const requestsOf = (check: WorkflowCheck) => fake.stats().checks.find((entry) => entry.checkId === check.checkId)?.requests ?? 0;
const record = (check: WorkflowCheck) => getRecord(h.dynamo, emulators.tableName, check);

/**
 * S3 answers 503 SlowDown to the first `failures` writes of this check's objects (Infinity: for good); everything
 * else reaches s3rver. Returns how many were refused.
 */
function s3SlowDown(checkRef: string, failures: number): () => number {
  const original = S3Client.prototype.send;
  const mock = mockClient(S3Client);
  let refused = 0;
  type Send = (this: S3Client, command: { constructor: { name: string }; input?: unknown }, ...rest: unknown[]) => Promise<unknown>;
  (mock.send as unknown as { callsFake(fn: Send): void }).callsFake(async function (this: S3Client, command, ...rest) {
    const write = command.constructor.name === 'PutObjectCommand' || command.constructor.name === 'CreateMultipartUploadCommand';
    const key = String((command.input as { Key?: unknown } | undefined)?.Key ?? '');
    if (write && key.includes(checkRef) && refused < failures) {
      refused += 1;
      throw new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' });
    }
    return (original as (...args: unknown[]) => Promise<unknown>).call(this, command, ...rest);
  });
  restoreS3 = () => mock.restore();
  return () => refused;
}

describe('archiveStep through a provider outage', () => {
  it('503s to the archive\'s own fetch: short waits in the function (2 s, 4 s), then archived', async () => {
    const check = added({ provider: 'liveness', auditFrames: 2, faults: { serverErrors: { count: 2, status: 503 } } });
    const { output, waits } = await step({ check, poll: polledComplete() });
    expect(waits).toEqual([2_000, 4_000]);
    expect(output).toMatchObject({ status: 'archived', images: 3 });
    expect(requestsOf(check)).toBe(3);
    expect(await record(check)).toMatchObject({ status: 'archived' });
  });

  it('429 with Retry-After: 120 is handed to the workflow; the next attempt, after the wait, archives', async () => {
    const check = added({ provider: 'kyc', faults: { rateLimited: { count: 1, retryAfterSeconds: 120 } } });
    const first = await step({ check, poll: polledComplete() });
    expect(first.waits).toEqual([]);
    expect(first.output).toEqual({
      status: 'retry-later',
      objects: 0,
      bytes: 0,
      recorded: false,
      retryAfterSeconds: 120,
      outage: { since: expect.any(String), failures: 1, waitedSeconds: 120, lastError: 'ProviderUnavailableError: kyc: HTTP 429, provider rate limited (retry after 120 s)' },
    });
    // Nothing recorded yet: the check is still open, its outage is the workflow's to wait out.
    expect(await record(check)).toBeUndefined();
    const second = await step({ check, poll: polledComplete(), archive: first.output });
    expect(second.output).toMatchObject({ status: 'archived' });
    expect(requestsOf(check)).toBe(2);
  });

  it('an absurd Retry-After (a day) is waited as 5 minutes, not a day', async () => {
    const check = added({ provider: 'verification', faults: { rateLimited: { count: 1, retryAfterSeconds: 86_400 } } });
    const { output } = await step({ check, poll: polledComplete() });
    expect(output).toMatchObject({ status: 'retry-later', retryAfterSeconds: OUTAGE.maxWaitSeconds });
  });

  it('an outage that outlasts the window ends in ArchiveOutageError, and the error record says how long and what failed', async () => {
    const check = added({ provider: 'liveness', faults: { serverErrors: { count: 5, status: 502 } } });
    const since = new Date(Date.now() - (OUTAGE.budgetSeconds + 5) * 1000).toISOString();
    const archive: ArchiveOutput = { status: 'retry-later', objects: 0, bytes: 0, recorded: false, retryAfterSeconds: 60, outage: { since, failures: 31, waitedSeconds: 1790, lastError: 'x' } };
    const failure = await step({ check, poll: polledComplete(), archive }).catch((error: Error) => error);
    expect(failure).toMatchObject({ name: 'ArchiveOutageError' });
    const message = (failure as Error).message;
    expect(message).toMatch(/^outage outlasted the evidence window: 32 failed attempts over 30 min, .*; last: ProviderUnavailableError: liveness: HTTP 502, provider unavailable$/);
    expect(requestsOf(check)).toBe(1);
    // What the workflow's Catch hands Record failure (Lambda's error shape), recorded without the token.
    const error = { Error: 'ArchiveOutageError', Cause: JSON.stringify({ errorType: 'ArchiveOutageError', errorMessage: message }) };
    await recordFailureStep(recordDepsFromEnv(env), { check, poll: polledComplete(), error });
    const stored = await record(check);
    expect(stored).toMatchObject({ status: 'error', error: { name: 'ArchiveOutageError' } });
    expect(stored!.error!.cause).toContain('outage outlasted the evidence window: 32 failed attempts over 30 min');
    expect(JSON.stringify(stored)).not.toContain(check.checkId);
  });
});

describe('archiveStep through an S3 outage (SlowDown)', () => {
  it('a few SlowDowns: waited out in the function; the archive resumes and nothing is missing', async () => {
    const check = added({ provider: 'liveness', auditFrames: 3 });
    const refused = s3SlowDown(check.checkRef, 2);
    const { output, waits } = await step({ check, poll: polledComplete() });
    expect(refused()).toBe(2);
    expect(waits).toEqual([2_000, 4_000]);
    expect(output).toMatchObject({ status: 'archived', images: 4 });
    const stored = await record(check);
    expect(stored).toMatchObject({ status: 'archived' });
    expect(stored!.imagesMissing).toBeUndefined();
  });

  it('SlowDown for longer: handed to the workflow, which archives once S3 is back', async () => {
    const check = added({ provider: 'kyc' });
    const refused = s3SlowDown(check.checkRef, Number.POSITIVE_INFINITY);
    const first = await step({ check, poll: polledComplete() });
    expect(first.waits).toEqual([2_000, 4_000]);
    expect(first.output).toMatchObject({ status: 'retry-later', retryAfterSeconds: 8, outage: { failures: 3, waitedSeconds: 14 } });
    expect(first.output.outage!.lastError).toMatch(/^StorageUnavailableError: .*SlowDown \(HTTP 503\)$/);
    expect(refused()).toBe(3);
    restoreS3!();
    restoreS3 = undefined;
    const second = await step({ check, poll: polledComplete(), archive: first.output });
    expect(second.output).toMatchObject({ status: 'archived' });
  });

  it('with too little of the invocation left, even a short wait goes to the workflow', async () => {
    const check = added({ provider: 'verification' });
    s3SlowDown(check.checkRef, 1);
    const { output, waits } = await step({ check, poll: polledComplete() }, OUTAGE.attemptReserveMs);
    expect(waits).toEqual([]);
    expect(output).toMatchObject({ status: 'retry-later', retryAfterSeconds: 2 });
  });
});

describe('sleepFromEnv', () => {
  it('sleeps in real time in AWS; local mode (ARCHIVE_WAIT_SPEEDUP) as fast as its Wait states', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      await sleepFromEnv({ ARCHIVE_WAIT_SPEEDUP: '100' })(2_000);
      expect(timers.mock.calls.map((call) => call[1])).toContain(20);
      expect(timers.mock.calls.map((call) => call[1])).not.toContain(2_000);
    } finally {
      timers.mockRestore();
    }
    expect(sleepFromEnv({})).toBe(sleepFromEnv({ ARCHIVE_WAIT_SPEEDUP: ' ' }));
    for (const bad of ['0', '0.5', 'fast', '-3']) expect(() => sleepFromEnv({ ARCHIVE_WAIT_SPEEDUP: bad }), bad).toThrow(ConfigurationError);
  });
});
