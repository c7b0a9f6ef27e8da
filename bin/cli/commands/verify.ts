/** `verify [provider] [filters] | verify <provider> --check ID`: recompute every sha256 against the manifests. */
import { allRecords, findRecord, verifyMany, type CheckVerification, type VerifySummary } from '../../../lambdas/audit';
import type { CheckRecord } from '../../../lambdas/records/record';
import { EXIT, stringValue, type CliCommand } from '../command';
import { bytesText, csv, printJson, println, table, warn } from '../output';
import { progressBar } from '../progress';
import { FILTER_HELP, FILTER_OPTIONS, rawQueryOf } from './query';

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'recompute sha256 of archived objects against manifests and records',
  help: `Usage: audit-archiver verify [provider] [filters] [--check ID] [--progress | --quiet]

Reads back every object of every matching check and compares its sha256 and size with the manifest, and the
manifest with the record (object count, bytes, status, missing images). Objects in a check's folder that the
manifest does not list are reported too. Exit code 1 when anything is missing or altered.

${FILTER_HELP}
  --check ID                   one check: the provider's id or the checkRef (needs [provider])
  --concurrency N              checks verified at the same time (default 4)
  --progress | --quiet         force the progress bar on (default: when stderr is a terminal) or off`,
  options: {
    ...FILTER_OPTIONS,
    check: { type: 'string' },
    concurrency: { type: 'string' },
    progress: { type: 'boolean' },
    quiet: { type: 'boolean' },
  },
  positionals: [0, 1],
  async run(ctx) {
    const concurrency = Number(stringValue(ctx.values, 'concurrency') ?? '4');
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 32)) {
      warn(ctx.io, 'error: --concurrency must be a whole number from 1 to 32');
      return EXIT.usage;
    }
    const { deps } = await ctx.target();
    const check = stringValue(ctx.values, 'check');
    const records: CheckRecord[] = [];
    if (check !== undefined) records.push(await findRecord(deps, ctx.positionals[0], check));
    else for await (const record of allRecords(deps, rawQueryOf(ctx))) records.push(record);

    const showProgress = ctx.values.quiet !== true && (ctx.values.progress === true || ctx.io.stderr.isTTY === true);
    const progress = progressBar(ctx.io.stderr, records.length, 'checks', showProgress);
    let bytes = 0;
    let done = 0;
    const summary = await verifyMany(deps, records, {
      concurrency,
      onBytes: (n) => {
        bytes += n;
        progress.update(done, bytes);
      },
      onCheck: (_report, count) => {
        done = count;
        progress.update(done, bytes);
      },
    });
    progress.finish();
    print(ctx, summary);
    return summary.failed > 0 ? EXIT.failed : EXIT.ok;
  },
};

function print(ctx: Parameters<CliCommand['run']>[0], summary: VerifySummary): void {
  if (ctx.format === 'json') {
    printJson(ctx.io, summary);
    return;
  }
  const rows = summary.reports.map((r) => [r.provider, r.checkRef, r.status, r.ok ? 'ok' : 'FAILED', String(r.objectsVerified), String(r.bytesVerified), String(r.problems.length)]);
  if (ctx.format === 'csv') {
    println(ctx.io, csv(['provider', 'checkRef', 'status', 'result', 'objects', 'bytes', 'problems'], rows));
    return;
  }
  if (summary.checks === 0) {
    println(ctx.io, 'no checks match these filters: nothing verified');
    return;
  }
  for (const report of summary.reports.filter((r) => !r.ok)) for (const line of problemLines(report)) println(ctx.io, line);
  if (summary.failed === 0) {
    println(ctx.io, `${summary.checks} checks verified: ${summary.objects} objects, ${bytesText(summary.bytes)} match their manifests and records`);
  } else {
    println(ctx.io, `\n${table(['provider', 'checkRef', 'status', 'result', 'objects', 'bytes', 'problems'], rows.filter((r) => r[3] !== 'ok'))}`);
    println(ctx.io, `\nVERIFICATION FAILED: ${summary.failed} of ${summary.checks} checks have missing or altered objects`);
  }
}

export function problemLines(report: CheckVerification): string[] {
  return [
    `FAILED ${report.provider} ${report.checkRef} (${report.status}):`,
    ...report.problems.map((p) => `  ${p.kind.padEnd(21)} ${p.key ?? '-'}: ${p.detail}`),
  ];
}
