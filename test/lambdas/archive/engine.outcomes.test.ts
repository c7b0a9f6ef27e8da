import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckNotTerminalError } from '../../../lambdas/archive/errors';
import { archiveCheck, recordOutcome } from '../../../lambdas/archive/engine';
import { ConfigurationError, InvalidCheckInputError } from '../../../lambdas/common/errors';
import type { NoResultReason, ProviderName } from '../../../lambdas/providers/check-status';
import { startEmulators, type Emulators } from '../../../lib/local/emulators';
import { FIXED_NOW, getRecord, harness, listKeys, makeCheck, manifestOf, readJson, stubClient, type Harness } from '../../support/archive-harness';
import { noResult, pending, verificationComplete, verificationEscalated } from '../../support/statuses';

let emulators: Emulators;
let h: Harness;
beforeAll(async () => {
  emulators = await startEmulators();
  h = harness(emulators);
});
afterAll(() => emulators.close());

describe('checks that end without a result', () => {
  it.each([
    ['liveness', 'expired'],
    ['liveness', 'invalid'],
    ['liveness', 'failed'],
    ['kyc', 'not-found'],
    ['kyc', 'invalid'],
    ['verification', 'not-found'],
    ['verification', 'forbidden'],
  ] as Array<[ProviderName, NoResultReason]>)('%s %s gets a record saying so, and no objects', async (provider, reason) => {
    const check = makeCheck(provider);
    const output = await archiveCheck(h.deps(stubClient(provider, noResult(provider, reason))), check);
    expect(output).toEqual({ status: reason, objects: 0, bytes: 0 });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({
      status: reason,
      outcome: reason,
      providerOutcome: `${provider}#${reason}`,
      detail: `${provider} check ended: ${reason}`,
      objects: 0,
    });
    expect(record!.ttl).toBeGreaterThan(FIXED_NOW.getTime() / 1000);
    expect(record!.manifestKey).toBeUndefined();
    expect(await listKeys(h.s3, emulators.bucketName, `${provider}/2026/03/19/${check.checkRef}/`)).toEqual([]);
  });

  it.each(['expired', 'exception'] as NoResultReason[])('a KYC session that ended %s keeps its answer as result.json, downloads nothing', async (reason) => {
    const body = { status: reason, sessionId: '550e8400-e29b-11d4-a716-446655440000', clientKey: 'client-9', results: [{ type: 'document', imagesFull: ['http://127.0.0.1:9/never.jpg'] }] };
    const check = makeCheck('kyc');
    const output = await archiveCheck(h.deps(stubClient('kyc', noResult('kyc', reason, body))), check);
    expect(output).toEqual({ status: reason, objects: 2, bytes: expect.any(Number) });
    const record = await getRecord(h.dynamo, emulators.tableName, check);
    expect(record).toMatchObject({ status: reason, retentionClass: 'aml-cdd', clientKeyHash: expect.any(String) });
    expect(await readJson(h.s3, emulators.bucketName, record!.resultKey!)).toEqual(body);
    const manifest = await manifestOf(h.s3, emulators.bucketName, record!);
    expect(manifest.objects.map((object) => object.source)).toEqual([{ kind: 'provider-answer' }]);
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
