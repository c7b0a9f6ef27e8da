/**
 * An archive built the way production builds it: the real engine (archiveCheck) polls the fake providers over HTTP
 * with the real provider clients, downloads KYC images from them, and writes to s3rver and dynalite. Shared by the
 * auditor-core tests and the CLI end-to-end tests.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { archiveCheck } from '../../../lambdas/archive/engine';
import { auditDeps, type AuditDeps } from '../../../lambdas/audit';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { createProviderClient } from '../../../lambdas/providers';
import type { ProviderName } from '../../../lambdas/checks/check-status';
import type { CheckRecord } from '../../../lambdas/records/record';
import type { WorkflowCheck } from '../../../lambdas/checks/workflow-contract';
import { startFakeProviders, type CheckScript, type FakeProviders } from '../../../local/fake-providers';
import type { Emulators } from '../../../local/emulators';
import { LOCAL_INDEX_SHARDS } from '../../../local/local-names';
import { getRecord, harness, type Harness } from '../../support/archive-harness';
import { TEST_KEY, testKeySource } from '../../support/identifier-key';

const DAY_MS = 86_400_000;

/** Days before today (UTC), as YYYY-MM-DD: checks are dated relative to the real clock, as retention is. */
export function daysAgo(days: number): string {
  return new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10);
}

export interface ArchivedCheck {
  label: string;
  check: WorkflowCheck;
  record: CheckRecord;
}

export interface Fixture {
  checks: Record<string, ArchivedCheck>;
  harness: Harness;
  fake: FakeProviders;
  /** Auditor deps over the same emulators, on the real clock. */
  audit: AuditDeps;
  close(): Promise<void>;
}

interface Planned {
  label: string;
  script: CheckScript;
  /** Day the check was created (its S3 folder and index day). */
  day: string;
  /** Archived this long ago (retention counts from archive time). Default: now. */
  archivedDaysAgo?: number;
}

/** The standard case: one of each kind an auditor meets, and one long past its retention. */
export const STANDARD_CHECKS = (): Planned[] => [
  { label: 'liveness-passed', script: { provider: 'liveness', passed: true, auditFrames: 3 }, day: daysAgo(3) },
  { label: 'liveness-failed', script: { provider: 'liveness', passed: false, auditFrames: 2 }, day: daysAgo(2) },
  { label: 'kyc-success', script: { provider: 'kyc', clientKey: 'client-e2e-1', tasks: [{ type: 'document', imagesFull: 2 }, { type: 'selfie' }] }, day: daysAgo(2) },
  { label: 'kyc-other', script: { provider: 'kyc', clientKey: 'client-e2e-2', tasks: [{ type: 'selfie' }] }, day: daysAgo(1) },
  { label: 'verification', script: { provider: 'verification' }, day: daysAgo(1) },
  // Archived 400 days ago under the 365-day verification class: past retention, not yet swept by TTL.
  { label: 'verification-expired', script: { provider: 'verification' }, day: daysAgo(400), archivedDaysAgo: 400 },
];

export async function buildArchive(emulators: Emulators, planned: Planned[] = STANDARD_CHECKS()): Promise<Fixture> {
  const h = harness(emulators);
  const fake = await startFakeProviders({});
  const credentials = {
    async get(provider: ProviderName) {
      return { liveness: fake.credentials.livenessApiKey, kyc: fake.credentials.kycJwt, verification: fake.credentials.verificationApiKey }[provider];
    },
  };
  const checks: Record<string, ArchivedCheck> = {};
  try {
    for (const plan of planned) {
      const created = fake.addCheck({ ...plan.script, label: plan.label });
      const check: WorkflowCheck = {
        provider: created.provider,
        checkId: created.checkId,
        checkRef: checkRefOf(TEST_KEY, created.provider, created.checkId),
        createdAt: `${plan.day}T09:30:00.000Z`,
        ...(created.clientKey ? { clientKey: created.clientKey } : {}),
      };
      const client = createProviderClient(created.provider, { baseUrl: fake.baseUrl, credentials });
      const archivedAt = new Date(Date.now() - (plan.archivedDaysAgo ?? 0) * DAY_MS);
      // Written as local mode writes (the CLI's local target reads that many shards).
      await archiveCheck(h.deps(client, { now: () => archivedAt, indexShards: LOCAL_INDEX_SHARDS }), check);
      const record = await getRecord(h.dynamo, emulators.tableName, check);
      if (!record) throw new Error(`fixture: ${plan.label} has no record`);
      checks[plan.label] = { label: plan.label, check, record };
    }
  } catch (error) {
    await fake.close();
    throw error;
  }
  return {
    checks,
    harness: h,
    fake,
    audit: auditDeps({ identifierKey: testKeySource, dynamo: h.dynamo, tableName: emulators.tableName, s3: h.s3, bucket: emulators.bucketName, indexShards: LOCAL_INDEX_SHARDS }),
    close: () => fake.close(),
  };
}

/** Overwrites an archived object in s3rver, as someone with write access could. */
export async function tamper(emulators: Emulators, fixture: Fixture, key: string, body: Buffer): Promise<void> {
  await fixture.harness.s3.send(new PutObjectCommand({ Bucket: emulators.bucketName, Key: key, Body: body }));
}
