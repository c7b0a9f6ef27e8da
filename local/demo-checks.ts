/**
 * The checks `npm start` runs when given no events: every path of the workflow, each with the record status it must
 * end in — so the run checks itself and the end-to-end tests reuse it.
 */
import type { RecordStatus } from '../lambdas/records/record';
import type { CheckScript } from './fake-providers';

export interface DemoCheck {
  label: string;
  script: CheckScript;
  /** The one record status this check must end with. */
  expect: RecordStatus;
  /** Extra deliveries of the same event (duplicates must not start a second workflow). */
  duplicates?: number;
  /** Replaces the check id in the event (e.g. one the provider's input rules refuse). */
  eventCheckId?: string;
}

const KIB = 1024;
const MINUTE = 60_000;

export const DEMO_CHECKS: readonly DemoCheck[] = [
  // Liveness: frames arrive as data URIs inside the answer.
  { label: 'liveness passed', script: { provider: 'liveness', pending: { polls: 2 } }, expect: 'archived', duplicates: 2 },
  { label: 'liveness not passed', script: { provider: 'liveness', passed: false, pending: { polls: 1 } }, expect: 'archived' },
  {
    label: 'liveness 5 MiB answer (40 frames)',
    script: { provider: 'liveness', auditFrames: 40, frameBytes: 128 * KIB, pending: { polls: 1 } },
    expect: 'archived',
  },
  {
    label: 'liveness with a malformed frame',
    script: { provider: 'liveness', faults: { frames: [{ frame: 1, kind: 'malformed-base64' }] } },
    expect: 'archived-partial',
  },
  {
    label: 'liveness frame with wrong magic bytes',
    script: { provider: 'liveness', faults: { frames: [{ frame: 0, kind: 'magic-mismatch' }] } },
    expect: 'archived-partial',
  },
  { label: 'liveness failed', script: { provider: 'liveness', outcome: 'failed', pending: { polls: 1 } }, expect: 'failed' },
  { label: 'liveness expired (410)', script: { provider: 'liveness', outcome: 'expired' }, expect: 'expired' },
  { label: 'liveness unknown token (400)', script: { provider: 'liveness', outcome: 'not-found' }, expect: 'invalid' },
  { label: 'liveness past its image window', script: { provider: 'liveness', completedAgoMs: 40 * MINUTE }, expect: 'archived-partial' },
  {
    label: 'liveness behind 503s',
    script: { provider: 'liveness', pending: { polls: 1 }, faults: { serverErrors: { count: 3 } } },
    expect: 'archived',
  },
  {
    label: 'liveness behind 429 Retry-After',
    script: { provider: 'liveness', faults: { rateLimited: { count: 2, retryAfterSeconds: 1 } } },
    expect: 'archived',
  },
  // KYC: imagesFull are links, downloaded and streamed into S3.
  { label: 'kyc success', script: { provider: 'kyc', pending: { polls: 3 } }, expect: 'archived', duplicates: 2 },
  {
    label: 'kyc success with retries in history',
    script: { provider: 'kyc', tasks: [{ type: 'document', imagesFull: 2, tries: 2 }, { type: 'selfie' }] },
    expect: 'archived',
  },
  { label: 'kyc failed', script: { provider: 'kyc', outcome: 'failed', pending: { polls: 1 } }, expect: 'archived' },
  { label: 'kyc exception', script: { provider: 'kyc', outcome: 'exception' }, expect: 'exception' },
  { label: 'kyc expired', script: { provider: 'kyc', outcome: 'expired' }, expect: 'expired' },
  { label: 'kyc session not found (200 error)', script: { provider: 'kyc', outcome: 'not-found' }, expect: 'not-found' },
  {
    label: 'kyc sessionId that is not a UUID v1',
    script: { provider: 'kyc' },
    eventCheckId: 'not-a-timeuuid',
    expect: 'invalid',
  },
  {
    label: 'kyc image behind redirects',
    script: { provider: 'kyc', faults: { images: [{ task: 0, kind: 'redirect', hops: 2 }] } },
    expect: 'archived',
  },
  {
    label: 'kyc image redirected to the metadata service',
    script: { provider: 'kyc', faults: { images: [{ task: 0, kind: 'redirect-to', location: 'http://169.254.169.254/latest/meta-data' }] } },
    expect: 'archived-partial',
  },
  {
    label: 'kyc image that is HTML',
    script: { provider: 'kyc', faults: { images: [{ task: 1, kind: 'wrong-content-type' }] } },
    expect: 'archived-partial',
  },
  {
    label: 'kyc image already gone (404)',
    script: { provider: 'kyc', faults: { images: [{ task: 0, kind: 'not-found' }] } },
    expect: 'archived-partial',
  },
  {
    label: 'kyc truncated answer',
    script: { provider: 'kyc', pending: { polls: 1 }, faults: { truncated: { count: 1 } } },
    expect: 'archived',
  },
  // Verification: metadata only; escalations go to human review.
  { label: 'verification completed', script: { provider: 'verification', pending: { polls: 2 } }, expect: 'archived' },
  {
    label: 'verification escalated, then resolved',
    script: { provider: 'verification', outcome: 'escalated', escalation: { resolveAfter: { polls: 2 } } },
    expect: 'archived',
  },
  {
    // With webhooks on (npm start): the fake provider notifies the receiver at the resolution, and the loop polls at once.
    label: 'verification escalated, resolved, webhook',
    // Long enough for the check to leave the start queue and its loop to be waiting when the review ends.
    script: { provider: 'verification', outcome: 'escalated', pending: { ms: 20_000 }, escalation: { resolveAfter: { ms: 30_000 } }, webhooks: ['good'] },
    expect: 'archived',
  },
  { label: 'verification not found (404)', script: { provider: 'verification', outcome: 'not-found' }, expect: 'not-found' },
  { label: 'verification forbidden (403)', script: { provider: 'verification', outcome: 'forbidden' }, expect: 'forbidden' },
  {
    label: 'verification provider down for good',
    script: { provider: 'verification', faults: { serverErrors: { count: 1000 } } },
    expect: 'error',
  },
];

/** Events that break the contract: dead-lettered, no workflow, no record. */
export const DEMO_INVALID_EVENTS: readonly unknown[] = [
  { provider: 'passport', checkId: 'x' },
  { provider: 'liveness' },
];
