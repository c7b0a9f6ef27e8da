/**
 * The archive-side workflow steps as the handlers run them: deps built from an environment like the stack's (here
 * pointing at the emulators and the fake providers), states as the workflow hands them over, effects read back from
 * S3 and DynamoDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveDepsFromEnv } from '../../../lambdas/archive/runtime';
import { ESCALATION_POLLING_ENDED } from '../../../lambdas/archive/engine';
import { archiveStep, recordFailureStep } from '../../../lambdas/archive/workflow-steps';
import { checkRefOf, subjectHashOf } from '../../../lambdas/checks/check-ref';
import { ConfigurationError, InvalidCheckInputError } from '../../../lambdas/common/errors';
import type { ProviderName } from '../../../lambdas/checks/check-status';
import { recordDepsFromEnv } from '../../../lambdas/records/runtime';
import type { PollOutput, WorkflowCheck } from '../../../lambdas/checks/workflow-contract';
import { LOCAL_CREDENTIALS, startEmulators, type Emulators } from '../../../local/emulators';
import { startFakeProviders, type CheckScript, type FakeProviders } from '../../../local/fake-providers';
import { getRecord, harness, listKeys, readJson, readObject, type Harness } from '../../support/archive-harness';
import { TEST_KEY, TEST_KEY_SECRET } from '../../support/identifier-key';

let emulators: Emulators;
let fake: FakeProviders;
let h: Harness;
let env: Record<string, string>;
const savedAwsEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  [emulators, fake] = await Promise.all([startEmulators(), startFakeProviders()]);
  h = harness(emulators);
  // The clients the runtime builds take their credentials from the default chain, as in Lambda.
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

const CREATED_AT = '2026-03-19T10:31:06.000Z';

function checkOf(provider: ProviderName, checkId: string, extra: Partial<WorkflowCheck> = {}): WorkflowCheck {
  return { provider, checkId, checkRef: checkRefOf(TEST_KEY, provider, checkId), createdAt: CREATED_AT, ...extra };
}

function added(script: CheckScript): WorkflowCheck {
  const { provider, checkId } = fake.addCheck(script);
  return checkOf(provider, checkId);
}

function polled(state: PollOutput['state'], providerStatus: string): PollOutput {
  return { state, attempt: 4, firstPolledAt: '2026-03-19T10:31:10.000Z', waitSeconds: 0, providerStatus, transientErrors: 0 };
}

/** Status requests the fake providers received for this check. */
function requestsOf(check: WorkflowCheck): number {
  return fake.stats().checks.find((entry) => entry.checkId === check.checkId)?.requests ?? 0;
}

const prefixOf = (check: WorkflowCheck) => `${check.checkRef.slice(0, 2)}/${check.provider}/${check.checkRef}/`;
const record = (check: WorkflowCheck) => getRecord(h.dynamo, emulators.tableName, check);

describe('archiveStep', () => {
  it('a timed-out check asks the provider once more and keeps that answer with the record', async () => {
    const check = added({ provider: 'liveness', pending: { polls: 100 } });
    const output = await archiveStep(archiveDepsFromEnv(env), { check, poll: polled('timed-out', 'in_progress') }, TEST_KEY);
    expect(output).toEqual({ status: 'timed-out', objects: 3, bytes: expect.any(Number), images: 0 });
    expect(requestsOf(check)).toBe(1);
    expect(await record(check)).toMatchObject({
      status: 'timed-out',
      providerStatus: 'pending', // what the provider said at that last look (its first answer)
      detail: 'polling ended without a terminal answer',
      objects: 3,
    });
    expect((await listKeys(h.s3, emulators.bucketName, prefixOf(check))).map((key) => key.slice(prefixOf(check).length))).toEqual([
      'answer.json',
      'manifest.json',
      'result.json',
    ]);
  });

  it('a check whose polling ended but which is terminal by now is archived, not timed out', async () => {
    const check = added({ provider: 'verification' });
    expect(await archiveStep(archiveDepsFromEnv(env), { check, poll: polled('timed-out', 'processing') }, TEST_KEY)).toMatchObject({ status: 'archived' });
  });

  it('an escalation past its deadline is archived again with the provider’s latest answer', async () => {
    const check = added({ provider: 'verification', outcome: 'escalated', completedAgoMs: 3 * 3_600_000, escalation: { deadlineMs: 60_000 } });
    const deps = archiveDepsFromEnv(env);
    const output = await archiveStep(deps, { check, poll: polled('timed-out', 'escalated'), archive: { status: 'escalated', objects: 2, bytes: 1 } }, TEST_KEY);
    expect(output).toMatchObject({ status: 'escalated', objects: 3 });
    expect(requestsOf(check)).toBe(1);
    const stored = await record(check);
    expect(stored).toMatchObject({ status: 'escalated', detail: ESCALATION_POLLING_ENDED, escalation: { status: 'pending', reason: 'low_confidence' } });
    expect(await readJson(h.s3, emulators.bucketName, stored!.resultKey!)).toMatchObject({ id: check.checkId, status: 'escalated' });
  });

  it('an escalation resolved by the time of that last look ends archived', async () => {
    const check = added({ provider: 'verification', outcome: 'escalated', escalation: { resolveAfter: { polls: 1 } } });
    const deps = archiveDepsFromEnv(env);
    expect(await archiveStep(deps, { check, poll: polled('escalated', 'escalated') }, TEST_KEY)).toMatchObject({ status: 'escalated' });
    expect(await archiveStep(deps, { check, poll: polled('timed-out', 'escalated') }, TEST_KEY)).toMatchObject({ status: 'archived' });
    expect(requestsOf(check)).toBe(2);
    const stored = await record(check);
    expect(stored).toMatchObject({ status: 'archived', providerStatus: 'completed' });
    expect(stored).not.toHaveProperty('escalation');
    expect(stored).not.toHaveProperty('detail');
    expect(await readJson(h.s3, emulators.bucketName, stored!.resultKey!)).toMatchObject({ status: 'completed', escalation: { status: 'resolved' } });
  });

  it('no-result: a KYC session that expired is recorded with its answer kept as result.json', async () => {
    const { checkId, clientKey } = fake.addCheck({ provider: 'kyc', outcome: 'expired' });
    const check = checkOf('kyc', checkId);
    const output = await archiveStep(archiveDepsFromEnv(env), { check, poll: polled('no-result', 'expired') }, TEST_KEY);
    expect(output).toEqual({ status: 'expired', objects: 3, bytes: expect.any(Number), images: 0 });
    const stored = await record(check);
    expect(stored).toMatchObject({ status: 'expired', providerStatus: 'expired', clientKeyHash: subjectHashOf(TEST_KEY, clientKey!) });
    expect(await readJson(h.s3, emulators.bucketName, stored!.resultKey!)).toMatchObject({ status: 'expired', sessionId: checkId });
    expect((await listKeys(h.s3, emulators.bucketName, prefixOf(check))).map((key) => key.slice(prefixOf(check).length))).toEqual([
      'answer.json',
      'manifest.json',
      'result.json',
    ]);
  });

  it('no-result: an expired liveness link leaves a record and its answer, the token scrubbed if it was echoed', async () => {
    const check = added({ provider: 'liveness', outcome: 'expired' });
    expect(await archiveStep(archiveDepsFromEnv(env), { check, poll: polled('no-result', '410') }, TEST_KEY)).toMatchObject({ status: 'expired', objects: 3 });
    const stored = await record(check);
    expect(stored).toMatchObject({ status: 'expired', providerStatus: '410' });
    expect((await readObject(h.s3, emulators.bucketName, stored!.answerKey!)).toString()).not.toContain(check.checkId);
  });

  it('a KYC sessionId that is not a UUID v1 is sent as given: the provider’s 400 makes it invalid', async () => {
    const check = checkOf('kyc', 'not-a-timeuuid');
    const before = fake.stats().requests.kyc;
    expect(await archiveStep(archiveDepsFromEnv(env), { check, poll: polled('no-result', '400') }, TEST_KEY)).toMatchObject({ status: 'invalid' });
    expect(fake.stats().requests.kyc).toBe(before + 1);
    expect(await record(check)).toMatchObject({ status: 'invalid', providerStatus: '400', detail: 'KYC rejected the request: invalid schema at sessionId' });
  });

  it('complete: a KYC session’s images are downloaded from the provider host (http on loopback, as configured)', async () => {
    const check = added({ provider: 'kyc' });
    const output = await archiveStep(archiveDepsFromEnv(env), { check, poll: polled('complete', 'success') }, TEST_KEY);
    expect(output).toMatchObject({ status: 'archived' });
    expect(output.objects).toBeGreaterThan(2);
    expect(fake.stats().imageBytesSent).toBeGreaterThan(0);
    const keys = await listKeys(h.s3, emulators.bucketName, prefixOf(check));
    expect(keys).toHaveLength(output.objects);
    expect(keys.join('\n')).not.toContain(check.checkId);
  });

  it('refuses a malformed state before any request or write', async () => {
    const check = added({ provider: 'verification' });
    const error = await archiveStep(archiveDepsFromEnv(env), { check: { ...check, checkRef: 'f'.repeat(32) } }, TEST_KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCheckInputError);
    expect((error as Error).message).not.toContain(check.checkId);
    expect(requestsOf(check)).toBe(0);
    expect(await record(check)).toBeUndefined();
  });
});

describe("one provider's function and another provider's check", () => {
  it("refuses the check (ProviderNotServedError), never asks the provider, and Record failure records that", async () => {
    const check = added({ provider: 'liveness' });
    // The kyc workflow's archive function: its provider, its URL and credential only (as the stack gives them).
    const kycOnly = { ...env, PROVIDER: 'kyc', LIVENESS_API_URL: '', LIVENESS_API_KEY: '', VERIFICATION_API_URL: '', VERIFICATION_API_KEY: '' };
    const error = await archiveStep(archiveDepsFromEnv(kycOnly), { check, poll: polled('complete', 'passed') }, TEST_KEY).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ProviderNotServedError', retryable: false, message: 'this function serves kyc, not liveness' });
    expect(requestsOf(check)).toBe(0);
    expect(await record(check)).toBeUndefined();
    // The workflow's Catch hands it to Record failure: the check ends with one record saying why.
    const cause = JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message });
    await recordFailureStep(recordDepsFromEnv(env), { check, poll: polled('complete', 'passed'), error: { Error: (error as Error).name, Cause: cause } });
    expect(await record(check)).toMatchObject({ status: 'error', error: { name: 'ProviderNotServedError' } });
  });

  it('names an unknown PROVIDER at init, before any check', () => {
    expect(() => archiveDepsFromEnv({ ...env, PROVIDER: 'acme' })).toThrow(ConfigurationError);
  });
});

describe('recordFailureStep', () => {
  const failureOf = (checkId: string, extra = '') => ({
    Error: 'ProviderUnavailableError',
    Cause: JSON.stringify({ errorType: 'ProviderUnavailableError', errorMessage: `liveness: HTTP 503 for ${checkId}${extra}`, trace: ['at x'] }),
  });

  it('writes an error record with the error name and a sanitized cause', async () => {
    const check = checkOf('liveness', `tok_${Date.now()}_bearer`);
    const output = await recordFailureStep(recordDepsFromEnv(env), { check, poll: polled('pending', 'in_progress'), error: failureOf(check.checkId) });
    expect(output).toEqual({ status: 'error', objects: 0, bytes: 0 });
    const stored = await record(check);
    expect(stored).toMatchObject({ status: 'error', error: { name: 'ProviderUnavailableError', cause: 'ProviderUnavailableError: liveness: HTTP 503 for [redacted]' } });
    expect(JSON.stringify(stored)).not.toContain(check.checkId);
  });

  it('an error without a usable name or cause is still recorded', async () => {
    const check = checkOf('verification', `ver_${Date.now()}`);
    expect(await recordFailureStep(recordDepsFromEnv(env), { check, error: { Error: 42 } })).toMatchObject({ status: 'error' });
    expect((await record(check))!.error).toEqual({ name: 'UnknownError' });
    const other = checkOf('verification', `ver_${Date.now()}_2`);
    await recordFailureStep(recordDepsFromEnv(env), { check: other });
    expect((await record(other))!.error).toEqual({ name: 'UnknownError' });
  });

  it('a malformed check with a provider and check id is recorded under the recomputed checkRef', async () => {
    const sessionId = `sess-${Date.now()}`;
    const clientKey = 'client_5e1f00d';
    const input = {
      check: { provider: 'kyc', checkId: sessionId, checkRef: 'not-a-ref', createdAt: 'whenever', clientKey },
      error: failureOf(sessionId, ` (clientKey ${clientKey})`),
    };
    expect(await recordFailureStep(recordDepsFromEnv(env), input)).toMatchObject({ status: 'error' });
    const stored = await record(checkOf('kyc', sessionId));
    expect(stored).toMatchObject({ status: 'error', checkRef: checkRefOf(TEST_KEY, 'kyc', sessionId), clientKeyHash: subjectHashOf(TEST_KEY, clientKey) });
    expect(JSON.stringify(stored)).not.toContain(sessionId);
    expect(JSON.stringify(stored)).not.toContain(clientKey);
  });

  it.each([
    ['no check', { error: { Error: 'X' } }],
    ['an unknown provider', { check: { provider: 'fax', checkId: 'c1' }, error: { Error: 'X' } }],
    ['no check id', { check: { provider: 'kyc', checkRef: 'a'.repeat(32) }, error: { Error: 'X' } }],
    ['nothing at all', null],
  ])('with %s there is nothing to key a record by: InvalidCheckInputError', async (_name, input) => {
    const error = await recordFailureStep(recordDepsFromEnv(env), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCheckInputError);
  });

  it('a later failure never overwrites an archived record', async () => {
    const check = added({ provider: 'verification' });
    expect(await archiveStep(archiveDepsFromEnv(env), { check, poll: polled('complete', 'completed') }, TEST_KEY)).toMatchObject({ status: 'archived' });
    const archived = await record(check);
    const output = await recordFailureStep(recordDepsFromEnv(env), { check, error: failureOf(check.checkId) });
    expect(output).toEqual({ status: 'archived', objects: archived!.objects, bytes: archived!.bytes, images: 0, recorded: false });
    expect(await record(check)).toEqual(archived);
  });

  it('a failure during a review keeps the escalated record (it got further) and says the workflow ended', async () => {
    const check = added({ provider: 'verification', outcome: 'escalated' });
    await archiveStep(archiveDepsFromEnv(env), { check, poll: polled('escalated', 'escalated') }, TEST_KEY);
    const before = await record(check);
    expect(await recordFailureStep(recordDepsFromEnv(env), { check, error: failureOf(check.checkId) })).toMatchObject({ status: 'escalated' });
    const stored = await record(check);
    expect(stored).toMatchObject({
      status: 'escalated',
      escalation: before!.escalation,
      resultKey: before!.resultKey,
      detail: 'the workflow failed before the review was resolved',
      error: { name: expect.any(String) },
    });
    expect(JSON.stringify(stored)).not.toContain(check.checkId);
  });
});

describe('runtime configuration', () => {
  function configError(build: () => unknown): ConfigurationError {
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return error as ConfigurationError;
    }
    return expect.fail('expected a ConfigurationError');
  }
  const without = (name: string) => Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));

  it.each(['TABLE_NAME', 'BUCKET_NAME', 'LIVENESS_API_URL', 'KYC_API_URL', 'VERIFICATION_API_URL'])('archive: a missing %s is named', (name) => {
    expect(configError(() => archiveDepsFromEnv(without(name))).message).toContain(name);
  });

  it('record: needs only the table (and reads the retention policy)', () => {
    expect(configError(() => recordDepsFromEnv(without('TABLE_NAME'))).message).toContain('TABLE_NAME');
    expect(() => recordDepsFromEnv({ TABLE_NAME: 'records' })).not.toThrow();
  });

  it.each(['STRICT', 'governance', ''])('a bad OBJECT_LOCK_MODE (%j) is named, its value not echoed', (mode) => {
    const error = configError(() => archiveDepsFromEnv({ ...env, OBJECT_LOCK_MODE: mode }));
    expect(error.message).toBe('environment variable OBJECT_LOCK_MODE must be GOVERNANCE, COMPLIANCE or OFF');
  });

  it.each(['GOVERNANCE', 'COMPLIANCE'])('OBJECT_LOCK_MODE %s is accepted', (mode) => {
    expect(() => archiveDepsFromEnv({ ...env, OBJECT_LOCK_MODE: mode })).not.toThrow();
  });

  it.each([
    ['not JSON', '{classes:', 'environment variable RETENTION_POLICY is not valid JSON'],
    ['a retention policy that fails its schema', '{"classes": {"aml-cdd": {"days": -1}}}', 'environment variable RETENTION_POLICY is invalid'],
    ['not an object', '[1]', 'environment variable RETENTION_POLICY is invalid'],
  ])('RETENTION_POLICY that is %s is named by both functions', (_name, raw, message) => {
    expect(configError(() => archiveDepsFromEnv({ ...env, RETENTION_POLICY: raw })).message).toContain(message);
    expect(configError(() => recordDepsFromEnv({ ...env, RETENTION_POLICY: raw })).message).toContain(message);
  });

  it('a KYC_IMAGE_LINKS entry that is no link kind is named', () => {
    const error = configError(() => archiveDepsFromEnv({ ...env, KYC_IMAGE_LINKS: 'images,passwords' }));
    expect(error.message).toBe('environment variables ARCHIVE_LIMITS or KYC_IMAGE_LINKS invalid: archive settings invalid at: kycImageLinks.1');
    expect(archiveDepsFromEnv({ ...env, KYC_IMAGE_LINKS: 'images, faceSelfie,images' })('kyc').kycImageLinks).toEqual(['images', 'faceSelfie']);
  });

  it('ARCHIVE_LIMITS overrides the archive limits; a bad one is named', () => {
    expect(archiveDepsFromEnv({ ...env, ARCHIVE_LIMITS: '{"maxImagesPerCheck":50}' })('liveness').limits.maxImagesPerCheck).toBe(50);
    expect(archiveDepsFromEnv(env)('liveness').limits.maxImagesPerCheck).toBe(500);
    expect(configError(() => archiveDepsFromEnv({ ...env, ARCHIVE_LIMITS: '{"maxImagesPerCheck":0}' })).message).toMatch(/maxImagesPerCheck/);
    expect(configError(() => archiveDepsFromEnv({ ...env, ARCHIVE_LIMITS: 'fifty' })).message).toBe('environment variable ARCHIVE_LIMITS is not JSON');
  });

  it('a bad provider base URL fails at init, without echoing it', () => {
    const error = configError(() => archiveDepsFromEnv({ ...env, VERIFICATION_API_URL: 'https://v.test/?key=HIDDEN' }));
    expect(error.message).not.toContain('HIDDEN');
  });

  it('each provider gets its own client and an image allowlist of its own host', () => {
    const depsFor = archiveDepsFromEnv({ ...env, LIVENESS_API_URL: 'https://liveness.example.test', DOWNLOAD_EXTRA_HOSTS: 'CDN.Example.test' });
    expect(depsFor('liveness').client.provider).toBe('liveness');
    expect(depsFor('kyc').client.provider).toBe('kyc');
    expect(depsFor('liveness').downloadPolicy.allowedHosts).toEqual(['liveness.example.test', 'cdn.example.test']);
    expect(depsFor('kyc').downloadPolicy).toMatchObject({ allowedHosts: ['127.0.0.1', 'cdn.example.test'], allowHttpHosts: ['127.0.0.1'], allowPrivateAddresses: true });
    expect(() => depsFor('fax' as ProviderName)).toThrow(ConfigurationError);
  });

  it('without the local-mode variables, no http host and no private address is allowed', () => {
    const { DOWNLOAD_HTTP_HOSTS: _hosts, DOWNLOAD_ALLOW_PRIVATE_ADDRESSES: _private, ...cloud } = env;
    expect(archiveDepsFromEnv(cloud)('kyc').downloadPolicy).toMatchObject({ allowHttpHosts: [], allowPrivateAddresses: false });
  });
});
