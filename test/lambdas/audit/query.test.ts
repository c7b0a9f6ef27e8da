import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidQueryError, RecordNotFoundError, allRecords, findRecord, queryRecords, type RawQuery } from '../../../lambdas/audit';
import { subjectHashOf } from '../../../lambdas/checks/check-ref';
import type { CheckRecord } from '../../../lambdas/records/record';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { buildArchive, daysAgo, type Fixture } from './archive-fixture';
import { TEST_KEY } from '../../support/identifier-key';
import { decodeToken, encodeToken } from './paging-token';

let emulators: Emulators;
let fixture: Fixture;
beforeAll(async () => {
  emulators = await startEmulators();
  fixture = await buildArchive(emulators);
});
afterAll(async () => {
  await fixture?.close();
  await emulators?.close();
});

const labels = (records: CheckRecord[]) =>
  records.map((record) => Object.values(fixture.checks).find((c) => c.record.checkRef === record.checkRef)?.label ?? record.checkRef);

async function query(raw: RawQuery): Promise<string[]> {
  const page = await queryRecords(fixture.audit, raw, { maxRounds: Infinity });
  expect(page.next).toBeUndefined();
  return labels(page.items);
}

describe('queryRecords over an archive written by the engine', () => {
  it('lists the last 30 days by day (oldest first by default; within a day provider by provider), never a record past its retention', async () => {
    expect(await query({})).toEqual(['liveness-passed', 'liveness-failed', 'kyc-success', 'kyc-other', 'verification']);
    expect(await query({ order: 'desc' })).toEqual(['kyc-other', 'verification', 'liveness-failed', 'kyc-success', 'liveness-passed']);
  });

  it('filters by provider and by createdAt range', async () => {
    expect(await query({ provider: 'kyc' })).toEqual(['kyc-success', 'kyc-other']);
    expect(await query({ provider: 'liveness,verification' })).toEqual(['liveness-passed', 'liveness-failed', 'verification']);
    expect(await query({ from: daysAgo(2), to: daysAgo(2) })).toEqual(['liveness-failed', 'kyc-success']);
    expect(await query({ from: `${daysAgo(2)}T09:30:00.001Z` , to: daysAgo(1) })).toEqual(['kyc-other', 'verification']);
  });

  it('filters by outcome (byOutcome index) and by record status', async () => {
    expect(await query({ provider: 'liveness', outcome: 'failed' })).toEqual(['liveness-failed']);
    expect(await query({ outcome: 'passed,success' })).toEqual(['liveness-passed', 'kyc-success', 'kyc-other']);
    expect(await query({ status: 'archived' })).toHaveLength(5);
    expect(await query({ status: 'archived-partial,timed-out' })).toEqual([]);
  });

  it('finds a client\'s KYC sessions by clientKey or its hash (byClientKey index)', async () => {
    expect(await query({ clientKey: 'client-e2e-1' })).toEqual(['kyc-success']);
    expect(await query({ clientKeyHash: subjectHashOf(TEST_KEY, 'client-e2e-2') })).toEqual(['kyc-other']);
    expect(await query({ clientKey: 'client-e2e-1', outcome: 'failed' })).toEqual([]);
    expect(await query({ clientKey: 'nobody' })).toEqual([]);
  });

  it('hides the expired record whichever index answers; a legal hold shows it again until released', async () => {
    const expired = fixture.checks['verification-expired']!;
    expect(expired.record.retainUntil < new Date().toISOString()).toBe(true);
    // Its day, 400 days ago, and the recent ones (every day between is one group of the byProviderDay index).
    const wide = { from: daysAgo(401), to: daysAgo(0) };
    expect(await query({ ...wide, provider: 'verification' })).toEqual(['verification']);
    expect(await query({ provider: 'verification', outcome: 'true' })).toEqual(['verification']);
    await expect(findRecord(fixture.audit, 'verification', expired.check.checkId)).rejects.toBeInstanceOf(RecordNotFoundError);

    await fixture.harness.records.applyLegalHold('verification', expired.check.checkRef, { now: new Date(), reason: 'matter 12' });
    try {
      expect(await query({ ...wide, provider: 'verification' })).toEqual(['verification-expired', 'verification']);
      expect(await query({ provider: 'verification', outcome: 'true' })).toEqual(['verification-expired', 'verification']);
      expect((await findRecord(fixture.audit, 'verification', expired.check.checkId)).legalHold).toBe(true);
    } finally {
      await fixture.harness.records.releaseLegalHold('verification', expired.check.checkRef);
    }
    expect(await query({ ...wide, provider: 'verification' })).toEqual(['verification']);
  });

  it('pages with opaque tokens that only work for the same filters', async () => {
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await queryRecords(fixture.audit, { limit: '2', ...(next ? { next } : {}) }, { maxRounds: Infinity });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...labels(page.items));
      next = page.next;
      pages++;
    } while (next && pages < 10);
    expect(seen).toEqual(['liveness-passed', 'liveness-failed', 'kyc-success', 'kyc-other', 'verification']);

    const first = await queryRecords(fixture.audit, { provider: 'kyc', limit: '1' }, { maxRounds: Infinity });
    expect(first.next).toBeDefined();
    // A page that ends inside a group (both KYC sessions succeeded): its token says where each shard resumes.
    const mid = await queryRecords(fixture.audit, { provider: 'kyc', outcome: 'success', limit: '1' }, { maxRounds: Infinity });
    await expect(queryRecords(fixture.audit, { provider: 'liveness', limit: '1', next: first.next! })).rejects.toThrow(/not a token of this query/);
    await expect(queryRecords(fixture.audit, { next: 'garbage!' })).rejects.toBeInstanceOf(InvalidQueryError);
    // Resume points are checked: on a record of this query's providers, within its range, one per shard.
    const cursor = decodeToken(mid.next!);
    expect(cursor.s).toHaveLength(fixture.audit.indexShards);
    const forge = (s: unknown) => encodeToken({ ...cursor, s });
    const at = (createdAt: string, pk: string) => cursor.s.map(() => [createdAt, pk]);
    const kycRef = fixture.checks['kyc-success']!.record;
    const kycQuery = { provider: 'kyc', outcome: 'success', limit: '1' };
    await expect(queryRecords(fixture.audit, { ...kycQuery, next: forge(at(kycRef.createdAt, kycRef.pk)) })).resolves.toBeDefined();
    for (const bad of [
      at(kycRef.createdAt, fixture.checks['liveness-passed']!.record.pk), // another provider's record
      at('2999-01-01T00:00:00.000Z', kycRef.pk), // past the range
      at(kycRef.createdAt, 'kyc#../x'),
      cursor.s.slice(1), // a shard short
      cursor.s.map(() => 2),
    ]) {
      await expect(queryRecords(fixture.audit, { ...kycQuery, next: forge(bad) })).rejects.toThrow(/not a valid paging token/);
    }
    // Another shard count is another query: its tokens do not apply.
    await expect(queryRecords({ ...fixture.audit, indexShards: 4 }, { ...kycQuery, next: mid.next! })).rejects.toThrow(/not a token of this query/);
  });

  it('allRecords reads every page', async () => {
    const all: CheckRecord[] = [];
    for await (const record of allRecords(fixture.audit, { provider: 'kyc,liveness' })) all.push(record);
    expect(labels(all)).toEqual(['liveness-passed', 'liveness-failed', 'kyc-success', 'kyc-other']);
  });
});

describe('findRecord', () => {
  it('finds a check by the provider\'s id or by its checkRef, and says nothing of the id when it does not', async () => {
    const { check } = fixture.checks['liveness-passed']!;
    expect((await findRecord(fixture.audit, 'liveness', check.checkId)).checkRef).toBe(check.checkRef);
    expect((await findRecord(fixture.audit, 'liveness', check.checkRef)).checkRef).toBe(check.checkRef);
    const error = await findRecord(fixture.audit, 'kyc', check.checkId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordNotFoundError);
    expect((error as Error).message).not.toContain(check.checkId);
    await expect(findRecord(fixture.audit, 'passport', check.checkId)).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(findRecord(fixture.audit, 'kyc', '')).rejects.toBeInstanceOf(InvalidQueryError);
  });
});
