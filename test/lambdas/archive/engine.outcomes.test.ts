import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckNotTerminalError } from '../../../lambdas/archive/errors';
import { archiveCheck, recordOutcome } from '../../../lambdas/archive/engine';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ConfigurationError, InvalidCheckInputError, ProviderUnavailableError } from '../../../lambdas/common/errors';
import type { NoResultReason, ProviderName } from '../../../lambdas/checks/check-status';
import { DEFAULT_INDEX_SHARDS, shardOf, shardedKey } from '../../../lambdas/records/table-schema';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { FIXED_NOW, getRecord, harness, listKeys, makeCheck, manifestOf, readJson, readObject, stubClient, type Harness } from '../../support/archive-harness';
import { startImageServer } from '../../support/image-server';
import { makeJpeg } from '../../support/images';
import { noResult, pending, verificationComplete, verificationEscalated } from '../../support/answers';

let emulators: Emulators;
let h: Harness;
beforeAll(async () => {
  emulators = await startEmulators();
  h = harness(emulators);
});
afterAll(() => emulators.close());

describe('checks that end without a result', () => {
  it.each([
    ['liveness', 'expired', 'liveness link expired without completion (HTTP 410)'],
    ['liveness', 'invalid', 'liveness rejected the token as invalid or unknown (HTTP 400)'],
    ['liveness', 'failed', 'liveness check ended in the failed state without a result'],
    ['kyc', 'not-found', 'KYC session not found'],
    ['kyc', 'invalid', 'KYC rejected the request: invalid schema at sessionId'],
    ['kyc', 'expired', 'KYC session lifetime expired'],
    ['kyc', 'exception', 'KYC session ended with a system exception'],
    ['verification', 'not-found', 'verification not found'],
    ['verification', 'forbidden', 'verification belongs to a different organization'],
  ] as Array<[ProviderName, NoResultReason, string]>)('%s %s gets a record saying so, with the answer kept byte for byte', async (provider, reason, detail) => {
    const check = makeCheck(provider);
    const answer = noResult(provider, reason);
    const output = await archiveCheck(h.deps(stubClient(provider, answer)), check);
    expect(output).toEqual({ status: reason, objects: 3, bytes: expect.any(Number), images: 0 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ status: reason, outcome: reason, providerOutcome: shardedKey(`${provider}#${reason}`, shardOf(check.checkRef, DEFAULT_INDEX_SHARDS)), detail, objects: 3 });
    expect(record!.ttl).toBeGreaterThan(FIXED_NOW.getTime() / 1000);
    const prefix = `${check.checkRef.slice(0, 2)}/${provider}/${check.checkRef}/`;
    expect(await listKeys(h.s3, emulators.bucketName, prefix)).toEqual([`${prefix}answer.json`, `${prefix}manifest.json`, `${prefix}result.json`]);
    expect((await readObject(h.s3, emulators.bucketName, `${prefix}answer.json`)).toString()).toBe(JSON.stringify(answer.body));
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect(manifest.objects.map((object) => object.source)).toEqual([
      { kind: 'answer-as-received', httpStatus: answer.httpStatus, receivedAt: FIXED_NOW.toISOString(), contentType: 'application/json' },
      { kind: 'provider-answer' },
    ]);
  });

  it.each(['expired', 'exception'])('a KYC session that ended %s with results keeps its answer and downloads its images', async (reason) => {
    const images = await startImageServer({ '/doc.jpg': { kind: 'image', body: makeJpeg(8, 8, 3), contentType: 'image/jpeg' } });
    try {
      const body = {
        status: reason,
        sessionId: '550e8400-e29b-11d4-a716-446655440000',
        clientKey: 'client-9',
        results: [{ type: 'document', status: 'failed', imagesFull: [{ url: images.url('/doc.jpg') }], history: [{ status: 'failed', imagesFull: [images.url('/doc.jpg')] }] }],
      };
      const check = makeCheck('kyc');
      const output = await archiveCheck(h.deps(stubClient('kyc', { httpStatus: 200, body })), check);
      expect(output).toEqual({ status: 'archived', objects: 5, bytes: expect.any(Number), images: 2 });
      const record = await getRecord(h.dynamo, emulators.tableName, check);
      expect(record).toMatchObject({ outcome: reason, providerStatus: reason, retentionClass: 'aml-cdd', clientKeyHash: expect.any(String) });
      const prefix = `${check.checkRef.slice(0, 2)}/kyc/${check.checkRef}/`;
      expect(await listKeys(h.s3, emulators.bucketName, `${prefix}kyc/`)).toEqual([`${prefix}kyc/0-document/0.jpg`, `${prefix}kyc/0-document/history-0-0.jpg`]);
      const result = await readJson<any>(h.s3, emulators.bucketName, record!.resultKey!);
      expect(result.results[0].imagesFull[0]).toEqual({ url: images.url('/doc.jpg'), archivedKey: `${prefix}kyc/0-document/0.jpg`, sha256: expect.any(String) });
    } finally {
      await images.close();
    }
  });

  it('an answer that is not JSON is kept as answer.bin, never served inline', async () => {
    const check = makeCheck('liveness');
    await archiveCheck(h.deps(stubClient('liveness', { httpStatus: 410, text: '<html>Gone</html>' })), check);
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ status: 'expired', answerKey: expect.stringMatching(/answer\.bin$/) });
    expect(record).not.toHaveProperty('resultKey');
    expect((await readObject(h.s3, emulators.bucketName, record!.answerKey!)).toString()).toBe('<html>Gone</html>');
    const head = await h.s3.send(new HeadObjectCommand({ Bucket: emulators.bucketName, Key: record!.answerKey! }));
    expect(head).toMatchObject({ ContentType: 'application/octet-stream', ContentDisposition: 'attachment' });
  });

  it('when polling ended, a still-pending answer is kept and recorded as timed-out with what was seen', async () => {
    const check = makeCheck('kyc');
    const answer = { httpStatus: 200, body: { status: 'under_review', sessionId: 'x', results: [] } };
    const output = await archiveCheck(h.deps(stubClient('kyc', answer)), check, { pollingEnded: { providerStatus: 'under_review' } });
    expect(output).toMatchObject({ status: 'timed-out', objects: 3, uninterpreted: 1 });
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toMatchObject({
      status: 'timed-out',
      providerStatus: 'under_review',
      uninterpreted: ['status'],
      detail: 'polling ended without a terminal answer',
    });
  });

  it('when polling ended and the provider cannot answer, the record says timed-out rather than failing the check', async () => {
    const check = makeCheck('liveness');
    const client = { ...stubClient('liveness'), fetchAnswer: async () => Promise.reject(new ProviderUnavailableError('liveness: HTTP 503')) };
    const output = await archiveCheck(h.deps(client), check, { pollingEnded: { providerStatus: 'in_progress' } });
    expect(output).toEqual({ status: 'timed-out', objects: 0, bytes: 0 });
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toMatchObject({ status: 'timed-out', providerStatus: 'in_progress' });
  });

  it('timed-out checks are recorded with the last provider status', async () => {
    const check = makeCheck('kyc', { clientKey: 'client-1' });
    const output = await recordOutcome(h.deps(stubClient('kyc')), check, { kind: 'timed-out', providerStatus: 'processing' });
    expect(output).toEqual({ status: 'timed-out', objects: 0, bytes: 0 });
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toMatchObject({
      status: 'timed-out',
      providerStatus: 'processing',
      retentionClass: 'no-result',
      clientKeyHash: expect.any(String),
    });
  });

  it('a workflow error is recorded by name with a sanitized cause, and never overwrites an archived record', async () => {
    const check = makeCheck('verification');
    const deps = h.deps(stubClient('verification', verificationComplete()));
    const failure = {
      Error: 'ProviderUnavailableError',
      Cause: JSON.stringify({ errorType: 'ProviderUnavailableError', errorMessage: `HTTP 503 for ${check.checkId} Authorization: Bearer sk_live_123`, trace: ['x'] }),
    };
    expect(await recordOutcome(deps, check, { kind: 'failed', error: failure })).toMatchObject({ status: 'error' });
    const errorRecord = await getRecord(h.dynamo, emulators.tableName, check);
    expect(errorRecord!.error!.name).toBe('ProviderUnavailableError');
    expect(errorRecord!.error!.cause).toMatch(/^ProviderUnavailableError: HTTP 503 for \[redacted\]/);
    expect(JSON.stringify(errorRecord)).not.toContain('sk_live_123');
    expect(JSON.stringify(errorRecord)).not.toContain(check.checkId);

    // A retried execution archives it after all: the archive replaces the error record...
    expect(await archiveCheck(deps, check)).toMatchObject({ status: 'archived' });
    const archived = await getRecord(h.dynamo, emulators.tableName, check);
    expect(archived!.error).toBeUndefined();
    // ...and a later failure (e.g. a duplicate execution) cannot overwrite it.
    expect(await recordOutcome(deps, check, { kind: 'failed', error: failure })).toMatchObject({ status: 'archived' });
    expect(await recordOutcome(deps, check, { kind: 'timed-out' })).toMatchObject({ status: 'archived' });
    expect(await archiveCheck({ ...deps, client: stubClient('verification', noResult('verification', 'not-found')) }, check)).toMatchObject({ status: 'archived' });
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toEqual(archived);
  });

  it('an escalated record is not replaced by a timed-out one, but a final answer replaces it', async () => {
    const check = makeCheck('verification');
    const deps = h.deps(stubClient('verification', verificationEscalated()));
    await archiveCheck(deps, check);
    expect(await recordOutcome(deps, check, { kind: 'timed-out', providerStatus: 'escalated' })).toMatchObject({ status: 'escalated' });
    expect(await archiveCheck({ ...deps, client: stubClient('verification', noResult('verification', 'forbidden')) }, check)).toMatchObject({ status: 'forbidden' });
  });

  it('a legal hold on the record survives the final archive: no ttl', async () => {
    const check = makeCheck('verification');
    const deps = h.deps(stubClient('verification', verificationEscalated(), verificationComplete()));
    await archiveCheck(deps, check);
    await h.records.applyLegalHold('verification', check.checkRef, { now: FIXED_NOW, reason: 'matter 7' });
    await archiveCheck(deps, check);
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ status: 'archived', legalHold: true, legalHoldReason: 'matter 7' });
    expect(record!.ttl).toBeUndefined();
  });

  it('a provider that says "pending" after all raises the retryable CheckNotTerminalError and writes nothing', async () => {
    const check = makeCheck('kyc');
    const error = await archiveCheck(h.deps(stubClient('kyc', pending('kyc'))), check).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckNotTerminalError);
    expect((error as CheckNotTerminalError).retryable).toBe(true);
    expect(await getRecord(h.dynamo, emulators.tableName, check)).toBeUndefined();
  });

  it('refuses a check whose checkRef is not the hash of its id, and a client of another provider', async () => {
    const check = makeCheck('liveness');
    await expect(archiveCheck(h.deps(stubClient('liveness')), { ...check, checkRef: check.checkId })).rejects.toBeInstanceOf(InvalidCheckInputError);
    await expect(archiveCheck(h.deps(stubClient('kyc')), check)).rejects.toBeInstanceOf(ConfigurationError);
    await expect(recordOutcome(h.deps(stubClient('liveness')), { ...check, createdAt: 'soon' }, { kind: 'timed-out' })).rejects.toBeInstanceOf(InvalidCheckInputError);
  });

  it('an event asking for a shorter class is refused: the rule\'s class applies, the basis says why, and it is counted', async () => {
    const check = makeCheck('kyc', { retentionClass: 'biometric-short' });
    let refused = 0;
    const deps = h.deps(stubClient('kyc', noResult('kyc', 'expired')), { onShorterRetentionRefused: () => void (refused += 1) });
    await archiveCheck(deps, check);
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ retentionClass: 'aml-cdd', retentionBasis: expect.stringContaining('"biometric-short" refused') });
    expect(refused).toBe(1);
  });

  it('an unknown requested retention class falls back to the rule and says so in the basis', async () => {
    const check = makeCheck('liveness', { retentionClass: 'forever' });
    await archiveCheck(h.deps(stubClient('liveness', noResult('liveness', 'expired'))), check);
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ retentionClass: 'no-result', retentionBasis: expect.stringContaining('requested class "forever" not configured') });
    const known = makeCheck('liveness', { retentionClass: 'aml-cdd' });
    await archiveCheck(h.deps(stubClient('liveness', noResult('liveness', 'expired'))), known);
    expect(await getRecord(h.dynamo, emulators.tableName, known)).toMatchObject({ retentionClass: 'aml-cdd' });
  });
});
