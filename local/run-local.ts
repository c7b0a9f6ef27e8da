/**
 * `npm start`: one run of the local stack. Delivers events (the demo checks, or a JSONL file), follows the
 * executions until the workflows are done, then reports every check with the record it ended in.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { checkRefOf } from '../lambdas/checks/check-ref';
import type { CheckRecord, RecordStatus } from '../lambdas/records/record';
import { DEMO_CHECKS, DEMO_INVALID_EVENTS } from './demo-checks';
import { LOCAL_REGION } from './emulators';
import { LOCAL_ACCOUNT, eventsFromText, toEventBridgeEvent } from './event-input';
import { isRetentionEvent, startLocalStack, stderrLine, type LocalStack, type LocalStackOptions, type SubmitResult } from './local-stack';

export interface RunOptions extends Omit<LocalStackOptions, 'checks'> {
  /**
   * JSONL: per line an EventBridge event (id and time optional), a put-events entry, or just the `detail`; or a whole
   * put-events request `{"Entries": [...]}` (see event-input.ts). Without it, the demo checks.
   */
  eventsFile?: string;
  /** Progress lines (one per finished check); default nowhere. */
  progress?: (line: string) => void;
}

export interface CheckOutcome {
  label: string;
  /** Events delivered for this check (duplicates included); one workflow ran. */
  deliveries: number;
  provider: string;
  checkRef: string;
  execution: string;
  transitions: number;
  record?: Pick<CheckRecord, 'status' | 'outcome' | 'objects' | 'bytes' | 'imagesMissing' | 'retentionClass'>;
  expect?: RecordStatus;
}

export interface RunSummary {
  checks: CheckOutcome[];
  /** Events delivered. */
  submitted: number;
  /** Workflows that ran: one per distinct check, however often its event came. */
  workflows: number;
  /** Events the start handler rejected (dead-lettered in AWS). */
  invalid: number;
  /** Checks without a record, or with another status than expected: a non-empty list fails the run. */
  problems: string[];
  dataDir?: string;
  /** With webhooks on: the receiver, what the fake providers sent it, and how soon each notified check was archived. */
  webhooks?: {
    url: string;
    sent: Array<{ delivery: string; statuses: number[] }>;
    /** Demo checks that sent a webhook at their news: seconds from it (the resolution) to the record. */
    woken: Array<{ label: string; secondsAfterNews?: number }>;
  };
}

interface Planned {
  label: string;
  event: unknown;
  expect?: RecordStatus;
  /** A demo check whose script sends webhooks: its id at the fake provider. */
  notifies?: string;
}

export async function runLocal(options: RunOptions = {}): Promise<RunSummary> {
  const planned: Planned[] = [];
  // Read before anything starts: a wrong path fails at once.
  const fromFile = options.eventsFile === undefined ? undefined : eventsFromText(await readFile(options.eventsFile, 'utf8'), EVENT_DEFAULTS);
  const notice = options.notice ?? stderrLine;
  const stack = await startLocalStack({ ...options, notice, checks: [] });
  try {
    if (fromFile) planned.push(...fromFile);
    else {
      planned.push(...demoEvents(stack));
      if (stack.realProviders.length > 0) {
        notice(`demo: the ${stack.realProviders.join(' and ')} checks are left out (a real provider cannot be scripted); give yours with --events FILE`);
      }
    }
    return await deliverAndFollow(stack, planned, options);
  } finally {
    await stack.close();
  }
}

function demoEvents(stack: LocalStack): Planned[] {
  const planned: Planned[] = [];
  for (const demo of DEMO_CHECKS) {
    // A real provider cannot be scripted: its demo checks are left out.
    if (stack.realProviders.includes(demo.script.provider)) continue;
    const created = stack.fakeProviders?.addCheck({ ...demo.script, label: demo.label });
    if (!created) continue;
    const detail = {
      provider: created.provider,
      checkId: demo.eventCheckId ?? created.checkId,
      ...(created.clientKey && demo.eventCheckId === undefined ? { clientKey: created.clientKey } : {}),
    };
    const event = envelope(detail);
    const notifies = 'webhooks' in demo.script && demo.script.webhooks?.length ? { notifies: created.checkId } : {};
    planned.push({ label: demo.label, event, expect: demo.expect, ...notifies });
    for (let i = 0; i < (demo.duplicates ?? 0); i++) planned.push({ label: `${demo.label} (duplicate)`, event: { ...(event as object), id: randomUUID() } });
  }
  DEMO_INVALID_EVENTS.forEach((detail, i) => planned.push({ label: `invalid event ${i + 1}`, event: envelope(detail) }));
  return planned;
}

const EVENT_DEFAULTS = { region: LOCAL_REGION, account: LOCAL_ACCOUNT };

function envelope(detail: unknown): unknown {
  return toEventBridgeEvent(detail, EVENT_DEFAULTS);
}

async function deliverAndFollow(stack: LocalStack, planned: Planned[], options: RunOptions): Promise<RunSummary> {
  const progress = options.progress ?? (() => {});
  const results: Array<{ plan: Planned; result: SubmitResult }> = [];
  // Retention events act on what is archived: they are delivered once the checks before them are.
  const retentionEvents = planned.filter((plan) => isRetentionEvent(plan.event));
  for (const plan of planned) if (!isRetentionEvent(plan.event)) results.push({ plan, result: await stack.submit(plan.event) });

  // Duplicates come back as 'started' while the first run is going (StartExecution is idempotent for the same name
  // and input) or as 'duplicate' after it ended: one check either way.
  const byExecution = new Map<string, { plan: Planned; result: SubmitResult; deliveries: number }>();
  for (const { plan, result } of results) {
    if (result.status !== 'started' && result.status !== 'duplicate') continue;
    const name = `${result.provider}-${result.checkRef}`;
    const seen = byExecution.get(name);
    if (seen) seen.deliveries += 1;
    else byExecution.set(name, { plan, result, deliveries: 1 });
  }
  const started = [...byExecution.values()];
  const reported = new Set<string>();
  const labelOf = new Map(started.map((r) => [`${r.result.provider}-${r.result.checkRef}`, r.plan.label]));
  const report = () => {
    for (const execution of stack.stepFunctions.executions()) {
      if (execution.status === 'RUNNING' || reported.has(execution.name)) continue;
      reported.add(execution.name);
      progress(
        `${bar(reported.size, started.length)} ${execution.status === 'SUCCEEDED' ? '✓' : '✗'} ${labelOf.get(execution.name) ?? execution.name}` +
          ` — ${execution.status.toLowerCase()}, ${execution.transitions} transitions`,
      );
    }
  };
  const ticker = setInterval(report, 250);
  try {
    await stack.stepFunctions.idle();
  } finally {
    clearInterval(ticker);
  }
  report();
  for (const plan of retentionEvents) {
    const result = await stack.submit(plan.event);
    results.push({ plan, result });
    progress(`${result.status === 'applied' ? '✓' : '✗'} ${plan.label} — ${result.status}${result.reason ? ` (${result.reason})` : ''}`);
  }
  // What DynamoDB's TTL would have removed by now, with its receipts (dynalite has no TTL).
  const expired = await stack.sweepExpired();
  if (expired > 0) progress(`${expired} expired records removed by the local TTL sweeper, each with a receipt`);

  const records = new Map((await stack.records()).map((record) => [`${record.provider}-${record.checkRef}`, record]));
  const executions = new Map(stack.stepFunctions.executions().map((execution) => [execution.name, execution]));
  const checks: CheckOutcome[] = started.map(({ plan, result, deliveries }) => {
    const name = `${result.provider}-${result.checkRef}`;
    const record = records.get(name);
    return {
      label: plan.label,
      deliveries,
      provider: result.provider!,
      checkRef: result.checkRef!,
      execution: executions.get(name)?.status ?? 'UNKNOWN',
      transitions: executions.get(name)?.transitions ?? 0,
      ...(record
        ? { record: { status: record.status, outcome: record.outcome, objects: record.objects, bytes: record.bytes, imagesMissing: record.imagesMissing, retentionClass: record.retentionClass } }
        : {}),
      ...(plan.expect ? { expect: plan.expect } : {}),
    };
  });
  const problems = checks.flatMap((check) => {
    if (!check.record) return [`${check.label}: no record`];
    if (check.expect && check.record.status !== check.expect) return [`${check.label}: ${check.record.status}, expected ${check.expect}`];
    return [];
  });
  return {
    checks,
    ...(stack.webhookReceiver ? { webhooks: webhookSummary(stack, started.map((s) => s.plan), records) } : {}),
    submitted: results.length,
    workflows: started.length,
    invalid: results.filter((r) => r.result.status === 'invalid').length,
    problems,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  };
}

function webhookSummary(stack: LocalStack, plans: Planned[], records: Map<string, CheckRecord>): NonNullable<RunSummary['webhooks']> {
  const stats = stack.fakeProviders?.stats().checks ?? [];
  const byCheckRef = new Map([...records.values()].map((record) => [record.checkRef, record]));
  const woken = plans.flatMap((plan) => {
    if (!plan.notifies) return [];
    const check = stats.find((c) => c.checkId === plan.notifies);
    const news = check?.resolvedAt ?? check?.terminalAt;
    const record = check ? byCheckRef.get(checkRefOf(stack.identifierKey, check.provider, check.checkId)) : undefined;
    const seconds = news && record ? (Date.parse(record.archivedAt) - Date.parse(news)) / 1000 : undefined;
    return [{ label: plan.label, ...(seconds !== undefined ? { secondsAfterNews: seconds } : {}) }];
  });
  const sent = (stack.fakeProviders?.webhooksSent() ?? []).map(({ delivery, statuses }) => ({ delivery, statuses }));
  return { url: stack.webhookReceiver!.url, sent, woken };
}

/** `[######------]  6/12`: how many workflows have ended. */
function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total}`;
}
