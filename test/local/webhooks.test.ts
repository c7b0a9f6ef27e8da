/**
 * Webhook wake-ups in local mode, end to end: the fake verification provider escalates a check, then resolves it and
 * sends webhooks at that moment — a forged one, a late one and a good one replayed — to the real receiver handler
 * behind a local Function URL. The review's own polls are an hour apart here (escalationSeconds 3600: two real
 * minutes at the local time factor), so a resolution archived before the test's much shorter deadline was archived
 * because the good notification woke the loop, not because the loop polled on its own.
 *
 * Its own file: the handlers read their environment at import, one local stack per process.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CheckRecord } from '../../lambdas/records/record';
import { LOCAL_REGION } from '../../local/emulators';
import { LOCAL_ACCOUNT, toEventBridgeEvent } from '../../local/event-input';
import type { SentWebhook } from '../../local/fake-providers';
import { startLocalStack, type LocalStack } from '../../local/local-stack';

let stack: LocalStack;
let checkId: string;
let record: CheckRecord | undefined;
let sent: SentWebhook[];
let output = '';

/** Far below the two real minutes the loop would otherwise wait before its next review poll. */
const DEADLINE_MS = 45_000;

beforeAll(async () => {
  const capture = (chunk: unknown) => ((output += String(chunk)), true);
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
  stack = await startLocalStack({ webhooks: ['verification'], polling: { escalationSeconds: 3_600 }, logLevel: 'INFO', notice: () => {} });
  const check = stack.fakeProviders!.addCheck({
    provider: 'verification',
    outcome: 'escalated',
    pending: { ms: 1_000 },
    escalation: { resolveAfter: { ms: 5_000 } },
    webhooks: ['bad-signature', 'late', 'replay'],
  });
  checkId = check.checkId;
  const started = await stack.submit(toEventBridgeEvent({ provider: 'verification', checkId, createdAt: new Date().toISOString() }, { region: LOCAL_REGION, account: LOCAL_ACCOUNT }));
  expect(started.status).toBe('started');
  const until = Date.now() + DEADLINE_MS;
  while (Date.now() < until) {
    record = (await stack.records()).find((r) => r.provider === 'verification' && r.status === 'archived');
    if (record) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  sent = stack.fakeProviders!.webhooksSent();
}, 90_000);

afterAll(async () => {
  await stack?.close();
  vi.restoreAllMocks();
});

describe('local mode with webhooks on', () => {
  it('archives the resolved escalation long before the loop\'s own next poll, woken by the good notification', () => {
    expect(record, 'the resolution was not archived before the deadline').toBeDefined();
    expect(record!.outcome ?? record!.status).toBeTruthy();
    const resolvedAt = stack.fakeProviders!.stats().checks.find((c) => c.checkId === checkId)!.resolvedAt;
    expect(resolvedAt).toBeDefined();
  });

  it('refused the forged and the late notification, accepted the good one once and took its replay for a duplicate', () => {
    expect(sent.map(({ delivery, statuses }) => [delivery, statuses])).toEqual([
      ['bad-signature', [401]],
      ['late', [400]],
      ['replay', [202, 200]],
    ]);
  });

  it('ran one workflow to success: the notification neither started nor doubled anything', async () => {
    await stack.stepFunctions.idle();
    const executions = stack.stepFunctions.executions();
    expect(executions).toHaveLength(1);
    expect(executions[0]!.status).toBe('SUCCEEDED');
    expect((await stack.records()).filter((r) => r.provider === 'verification')).toHaveLength(1);
  });

  it('answers 404 for a check nobody knows and for a provider whose webhooks are off', async () => {
    const unknown = await stack.fakeProviders!.sendWebhooks('verification', 'ver_0000000000000000', ['good']);
    expect(unknown[0]!.statuses).toEqual([404]);
    const off = await fetch(`${stack.webhookReceiver!.url}/liveness`, { method: 'POST', body: '{}' });
    expect(off.status).toBe(404);
  });

  it('never logged the check id (a notification\'s body stays out of the logs)', () => {
    expect(output).toContain('"outcome":"bad-signature"');
    expect(output).not.toContain(checkId);
  });
});
