/** `backfill [--dry-run]`: sets every record's sharded index keys to the current shard count (one-off migration). */
import { backfillIndexKeys, type BackfillReport } from '../../../lambdas/operations/backfill-index-keys';
import { EXIT, stringValue, type CliCommand } from '../command';
import { printJson, println, warn } from '../output';

export const backfillCommand: CliCommand = {
  name: 'backfill',
  summary: 'spread existing records over the index shards (after upgrading, or after lowering indexShards)',
  help: `Usage: audit-archiver backfill [--dry-run] [--concurrency N]

Sets the byProviderDay and byOutcome keys of every record to what the shard count gives (--index-shards, else
AUDIT_ARCHIVER_INDEX_SHARDS, else cdk.json's indexShards). Records written before the indexes were sharded keep
their old key, which is shard 0 and which every query reads: they are found without this, and it spreads them. After
lowering indexShards it is needed: records in the shards dropped are not found until it has run. Safe to repeat and
to run while checks are archived: each update only applies if the record still has the keys the scan saw; nothing
else of a record changes (evidence fields, legal hold, expiry).

Scans the whole table (about one read unit per 4 KB) and writes one update per record it changes. Needs
dynamodb:Scan, GetItem and UpdateItem on the records table, which the auditor policy does not give.
  --dry-run                    count what would change, write nothing
  --concurrency N              updates in flight, 1-64 (default 8)`,
  options: { 'dry-run': { type: 'boolean' }, concurrency: { type: 'string' } },
  positionals: [0, 0],
  async run(ctx) {
    const concurrency = Number(stringValue(ctx.values, 'concurrency') ?? '8');
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
      warn(ctx.io, 'error: --concurrency must be a whole number from 1 to 64');
      return EXIT.usage;
    }
    const target = await ctx.target();
    const dryRun = ctx.values['dry-run'] === true;
    const { indexShards } = target.deps;
    const progress = ctx.io.stderr.isTTY === true;
    const report = await backfillIndexKeys({
      dynamo: target.deps.dynamo,
      tableName: target.deps.tableName,
      indexShards,
      dryRun,
      concurrency,
      onPage: (sofar) => {
        if (progress) ctx.io.stderr.write(`\rscanned ${sofar.scanned}, ${dryRun ? 'to rewrite' : 'rewritten'} ${sofar.rewritten}`);
      },
    });
    if (progress) ctx.io.stderr.write('\n');
    if (ctx.format === 'json') printJson(ctx.io, { indexShards, dryRun, ...report });
    else println(ctx.io, lines(report, indexShards, dryRun, target.label).join('\n'));
    return report.failed > 0 ? EXIT.failed : EXIT.ok;
  },
};

function lines(report: BackfillReport, indexShards: number, dryRun: boolean, label: string): string[] {
  return [
    `${label}: index keys for ${indexShards} shard${indexShards === 1 ? '' : 's'}${dryRun ? ' (dry run: nothing written)' : ''}`,
    `scanned ${report.scanned}: ${report.current} already current, ${report.rewritten} ${dryRun ? 'to rewrite' : 'rewritten'}` +
      (report.changedMeanwhile ? ` (${report.changedMeanwhile} changed by a writer meanwhile)` : '') +
      `, ${report.skipped} without index keys, ${report.failed} failed`,
    ...(report.failed > 0 ? [`failed: ${report.errors.join(', ')} — run it again; the records that failed keep their keys`] : []),
  ];
}
