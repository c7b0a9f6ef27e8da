/**
 * Webhooks that are forged, replayed, late, doubled or lost, against the product in local mode with webhooks on for
 * verification and liveness. Reviews and backoffs are short here (a time factor of 100), so the loops' own polls race
 * the woken copies all the time: the sequence guard is what keeps one loop per check. After the run the invariant
 * checker reads the whole archive back — every check exactly one truthful record, no orphan, no duplicate object —
 * and every check's workflow ran once, to success.
 *
 * Its own file: the handlers read their environment at import, one local stack per process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { LOCAL_REGION } from '../../local/emulators';
import { LOCAL_ACCOUNT, toEventBridgeEvent } from '../../local/event-input';
import type { CheckScript, SentWebhook, WebhookDelivery } from '../../local/fake-providers';
import { checkInvariants, type ExpectedCheck, type InvariantReport } from '../../local/invariants';
import { startLocalStack, type LocalStack } from '../../local/local-stack';

/** Per check: the notifications its provider sends at the news (none: the notification is lost). */
const PLAN: Array<{ script: CheckScript; deliveries: WebhookDelivery[] }> = [
  ...([['good'], ['bad-signature'], ['replay'], ['late'], [], ['good', 'good'], ['bad-signature', 'replay'], ['late', 'good']] as WebhookDelivery[][]).map(
    (deliveries, i) => ({
      script: { provider: 'verification', outcome: 'escalated', pending: { ms: 300 + 100 * i }, escalation: { resolveAfter: { ms: 1_500 + 250 * i } } } as CheckScript,
      deliveries,
    }),
  ),
  ...([['good'], ['replay'], []] as WebhookDelivery[][]).map((deliveries, i) => ({
    script: { provider: 'verification', pending: { ms: 1_000 + 300 * i } } as CheckScript,
    deliveries,
  })),
  ...([['good'], ['bad-signature'], ['replay', 'late'], []] as WebhookDelivery[][]).map((deliveries, i) => ({
    script: { provider: 'liveness', pending: { ms: 1_200 + 300 * i }, auditFrames: 2 } as CheckScript,
    deliveries,
  })),
];

let stack: LocalStack;
let report: InvariantReport;
let sent: SentWebhook[];
const expected: ExpectedCheck[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ webhooks: ['verification', 'liveness'], timeFactor: 100, notice: () => {} });
  for (const { script, deliveries } of PLAN) {
    const created = stack.fakeProviders!.addCheck({ ...script, webhooks: deliveries.length ? deliveries : undefined } as CheckScript);
    expected.push({ provider: created.provider, checkRef: checkRefOf(stack.identifierKey, created.provider, created.checkId), status: 'archived' });
    const started = await stack.submit(toEventBridgeEvent({ provider: created.provider, checkId: created.checkId }, { region: LOCAL_REGION, account: LOCAL_ACCOUNT }));
    expect(started.status).toBe('started');
  }
  // The last scheduled notification goes out ~3.5 s after its check was created; then every workflow must end.
  await new Promise((resolve) => setTimeout(resolve, 4_500));
  await stack.stepFunctions.idle();
  sent = stack.fakeProviders!.webhooksSent();
  report = await checkInvariants({ s3: stack.emulators.s3Client(), bucket: stack.emulators.bucketName, records: await stack.records(), expected });
}, 180_000);

afterAll(async () => stack?.close());

describe('reliability: forged, replayed, late, doubled and lost webhooks', () => {
  it('loses nothing and duplicates nothing: one truthful record per check, every object accounted for', () => {
    expect(report.violations).toEqual([]);
    expect(report.records).toBe(PLAN.length);
    expect(report.objects).toBeGreaterThan(PLAN.length);
  });

  it('ran exactly one workflow per check, each to success', () => {
    const executions = stack.stepFunctions.executions();
    expect(executions).toHaveLength(PLAN.length);
    expect(executions.filter((e) => e.status !== 'SUCCEEDED')).toEqual([]);
  });

  it('refused every forged and late notification and took every replay for a duplicate', () => {
    const planned = PLAN.reduce((sum, p) => sum + p.deliveries.length, 0);
    expect(sent).toHaveLength(planned);
    for (const w of sent.filter((s) => s.delivery === 'bad-signature')) expect(w.statuses).toEqual([401]);
    for (const w of sent.filter((s) => s.delivery === 'late')) expect(w.statuses).toEqual([400]);
    for (const w of sent.filter((s) => s.delivery === 'replay')) expect(w.statuses[1]).toBe(200);
    // A good one wakes or is remembered (202); only a check whose loop has not started yet is unknown (404).
    for (const w of sent.filter((s) => s.delivery === 'good' || s.delivery === 'replay')) expect([202, 404]).toContain(w.statuses[0]);
    expect(sent.filter((s) => s.delivery === 'good' && s.statuses[0] === 202).length).toBeGreaterThan(0);
  });
});
