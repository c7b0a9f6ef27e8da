/**
 * `npm start [-- --events FILE.jsonl] [--data-dir DIR] [--time-factor N] [--log-level LEVEL]`: the product end to end
 * on this machine (see local/local-stack.ts). Exit code 1 when a check lacks its record or ends otherwise than
 * expected.
 */
import '../local/quiet-sdk';
import '../local/promise-shim';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROVIDERS, type ProviderName } from '../lambdas/checks/check-status';
import { LOCAL_DATA_DIR } from '../local/local-names';
import { runLocal, type RunSummary } from '../local/run-local';

function table(summary: RunSummary): string {
  const rows = summary.checks.map((check) => [
    check.label,
    String(check.deliveries),
    check.provider,
    check.checkRef.slice(0, 12),
    check.record?.status ?? 'NO RECORD',
    check.record?.outcome ?? '',
    String(check.record?.objects ?? ''),
    check.record?.bytes !== undefined ? kib(check.record.bytes) : '',
    check.record?.imagesMissing?.reasons.join(',') ?? '',
    String(check.transitions),
    check.expect === undefined ? '' : check.record?.status === check.expect ? 'ok' : `expected ${check.expect}`,
  ]);
  const header = ['check', 'events', 'provider', 'checkRef', 'status', 'outcome', 'objects', 'size', 'missing', 'transitions', 'as expected'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Per provider: how the checks ended, and the evidence kept. */
function providerSummary(summary: RunSummary): string {
  const rows = new Map<string, { checks: number; archived: number; partial: number; noResult: number; failed: number; objects: number; bytes: number }>();
  for (const check of summary.checks) {
    const row = rows.get(check.provider) ?? { checks: 0, archived: 0, partial: 0, noResult: 0, failed: 0, objects: 0, bytes: 0 };
    const status = check.record?.status;
    row.checks += 1;
    if (status === 'archived' || status === 'escalated') row.archived += 1;
    else if (status === 'archived-partial') row.partial += 1;
    else if (status === 'error' || status === 'timed-out' || status === undefined) row.failed += 1;
    else row.noResult += 1;
    row.objects += check.record?.objects ?? 0;
    row.bytes += check.record?.bytes ?? 0;
    rows.set(check.provider, row);
  }
  const header = ['provider', 'checks', 'archived', 'images missing', 'no result', 'failed/timed out', 'objects', 'size'];
  const body = [...rows].map(([provider, r]) => [provider, r.checks, r.archived, r.partial, r.noResult, r.failed, r.objects, kib(r.bytes)].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      'data-dir': { type: 'string', default: LOCAL_DATA_DIR },
      'time-factor': { type: 'string', default: '30' },
      'log-level': { type: 'string', default: 'WARN' },
      // Providers whose webhooks wake their checks (the receiver on a local port); `none` for polling alone.
      webhooks: { type: 'string', default: 'verification' },
    },
    strict: true,
  });
  const timeFactor = Number(values['time-factor']);
  if (!(timeFactor > 0)) throw new RangeError('--time-factor must be a positive number');
  const dataDir = resolve(values['data-dir']);
  const webhooks = values.webhooks === 'none' ? [] : values.webhooks.split(',').map((p) => p.trim());
  for (const provider of webhooks) if (!(PROVIDERS as readonly string[]).includes(provider)) throw new RangeError('--webhooks takes provider names or none');
  console.log(`audit-archiver local run — archive in ${dataDir}, waits ${timeFactor}× faster than real time`);
  const summary = await runLocal({
    dataDir,
    timeFactor,
    logLevel: values['log-level'],
    webhooks: webhooks as ProviderName[],
    ...(values.events ? { eventsFile: values.events } : {}),
    progress: (line) => console.log(line),
  });
  console.log(`\n${table(summary)}\n\n${providerSummary(summary)}\n`);
  console.log(
    `${summary.submitted} events → ${summary.workflows} workflows (duplicates of a check never start a second one); ` +
      `${summary.invalid} invalid events dead-lettered to ${dataDir}/dead-letters.jsonl.`,
  );
  if (summary.webhooks) {
    const { url, sent, woken } = summary.webhooks;
    console.log(`Webhooks: receiver on ${url}/{provider}; ${sent.length} notifications sent, answered ${sent.map((s) => s.statuses.join('+')).join(', ') || '-'}.`);
    // Woken only when the receiver took the notification (2xx); a refused one (e.g. 404 before the loop began) leaves it to polling.
    const accepted = sent.some((s) => s.statuses.some((status) => status >= 200 && status < 300));
    for (const w of woken) {
      const how = accepted ? 'woken by its webhook' : 'its webhook was refused: archived by polling';
      console.log(`  ${w.label}: archived ${w.secondsAfterNews === undefined ? '(no record)' : `${w.secondsAfterNews.toFixed(1)} s`} after its resolution (${how})`);
    }
  }
  if (summary.problems.length > 0) {
    console.log(`\nPROBLEMS:\n${summary.problems.map((p) => `- ${p}`).join('\n')}`);
    return 1;
  }
  console.log(`Every started check has exactly one record. The archive is in ${dataDir}: npm run audit -- query`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`local run failed: ${(error as Error).name}: ${(error as Error).message}`);
    process.exit(2);
  },
);
