/** `query [provider] [filters]`: the records of checks, a page at a time. */
import { retainUntilCell } from '../retention-text';
import { allRecords, queryRecords, publicRecordOf, type RawQuery } from '../../../lambdas/audit';
import type { CheckRecord } from '../../../lambdas/records/record';
import { EXIT, stringValue, type CliCommand, type CommandContext, type OptionSpecs, type OptionValues } from '../command';
import { bytesText, csv, printJson, println, table, timeText, warn } from '../output';

/** Filter options shared with `verify`. */
export const FILTER_OPTIONS: OptionSpecs = {
  from: { type: 'string' },
  to: { type: 'string' },
  outcome: { type: 'string' },
  status: { type: 'string' },
  'client-key': { type: 'string' },
  'client-key-hash': { type: 'string' },
  order: { type: 'string' },
};

export const FILTER_HELP = `Filters:
  [provider]                   liveness, kyc or verification (comma-separated; default all)
  --from DATE --to DATE        createdAt range: 2026-03-19 or 2026-03-19T10:00:00Z (default: the last 30 days,
                               or everything when filtering by --outcome or --client-key)
  --outcome LIST               e.g. passed, failed, success, expired, true (the provider's outcome)
  --status LIST                archived, archived-partial, escalated, expired, invalid, not-found, forbidden,
                               failed, exception, timed-out, error
  --client-key KEY             KYC clientKey (hashed here, never sent or stored as is); or --client-key-hash HASH
  --order asc|desc             by createdAt (default asc)`;

export function rawQueryOf(ctx: CommandContext): RawQuery {
  const v: OptionValues = ctx.values;
  const raw: RawQuery = {
    provider: ctx.positionals[0],
    from: stringValue(v, 'from'),
    to: stringValue(v, 'to'),
    outcome: stringValue(v, 'outcome'),
    status: stringValue(v, 'status'),
    clientKey: stringValue(v, 'client-key'),
    clientKeyHash: stringValue(v, 'client-key-hash'),
    order: stringValue(v, 'order'),
  };
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined)) as RawQuery;
}

const COLUMNS = ['createdAt', 'provider', 'checkRef', 'status', 'outcome', 'objects', 'size', 'retainUntil', 'hold'];

function row(record: CheckRecord): string[] {
  return [
    timeText(record.createdAt),
    record.provider,
    record.checkRef,
    record.status,
    record.outcome,
    String(record.objects),
    bytesText(record.bytes),
    retainUntilCell(record),
    record.legalHold ? 'held' : '',
  ];
}

export const queryCommand: CliCommand = {
  name: 'query',
  summary: 'find checks by provider, date, outcome, status or KYC clientKey',
  help: `Usage: audit-archiver query [provider] [filters] [--limit N] [--next TOKEN | --all]

Lists the records of archived checks. Records past their retention are never shown (unless under legal hold).

${FILTER_HELP}
Paging:
  --limit N                    records per page, 1-1000 (default 50)
  --next TOKEN                 the next page (printed after a full page; repeat the same filters)
  --all                        every page`,
  options: { ...FILTER_OPTIONS, limit: { type: 'string' }, next: { type: 'string' }, all: { type: 'boolean' } },
  positionals: [0, 1],
  async run(ctx) {
    const raw = rawQueryOf(ctx);
    const limit = stringValue(ctx.values, 'limit');
    const next = stringValue(ctx.values, 'next');
    const { deps } = await ctx.target();
    let items: CheckRecord[] = [];
    let nextToken: string | undefined;
    if (ctx.values.all === true) {
      for await (const record of allRecords(deps, raw)) items.push(record);
    } else {
      const page = await queryRecords(deps, { ...raw, ...(limit ? { limit } : {}), ...(next ? { next } : {}) }, { maxRounds: Infinity });
      items = page.items;
      nextToken = page.next;
    }
    if (ctx.format === 'json') {
      printJson(ctx.io, { items: items.map(publicRecordOf), ...(nextToken ? { next: nextToken } : {}) });
    } else if (ctx.format === 'csv') {
      println(ctx.io, csv(COLUMNS, items.map(row)));
      if (nextToken) warn(ctx.io, `more: --next ${nextToken}`);
    } else {
      println(ctx.io, items.length > 0 ? table(COLUMNS, items.map(row)) : 'no checks match these filters');
      if (nextToken) warn(ctx.io, `more: audit-archiver query … --next ${nextToken}`);
    }
    return EXIT.ok;
  },
};
