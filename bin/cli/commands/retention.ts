/**
 * `relationship close`, `erase` and `receipts`: the operator's side of retention (docs/retention.md). The same
 * operations as the Relationship Closed and Erasure Requested events, run with the caller's own credentials (the
 * records-officer role in AWS); every deletion writes a receipt, and `receipts --verify` checks the whole chain.
 */
import { InvalidQueryError, RecordErasedError, findRecord } from '../../../lambdas/audit';
import { ConfigurationError } from '../../../lambdas/common/errors';
import { erasureReasonSchema, requestIdSchema } from '../../../lambdas/events/retention-events';
import { DEFAULT_RETENTION_POLICY } from '../../../lambdas/records/retention';
import { createRetentionDeps, type RetentionDeps } from '../../../lambdas/retention/deps';
import { carryOutDueErasures, requestErasure, type ErasureOutcome } from '../../../lambdas/retention/erasure';
import { closeRelationship } from '../../../lambdas/retention/relationship';
import { EXIT, stringValue, type CliCommand, type CommandContext } from '../command';
import { printJson, println, table, timeText, warn } from '../output';
import { LEDGER_ENV, RECEIPTS_ENV } from '../target';

async function retentionDeps(ctx: CommandContext, actor: string): Promise<RetentionDeps> {
  const target = await ctx.target();
  if (!target.retention) {
    throw new ConfigurationError(`name the retention ledger and receipts bucket (--ledger-table/--receipts-bucket or ${LEDGER_ENV}/${RECEIPTS_ENV})`);
  }
  const { deps } = target;
  return createRetentionDeps({
    dynamo: deps.dynamo,
    tableName: deps.tableName,
    ledgerTableName: target.retention.ledgerTableName,
    s3: deps.s3,
    bucket: deps.bucket,
    receiptsBucket: target.retention.receiptsBucket,
    // Extending a lock where there is none fails harmlessly (retention/evidence-objects.ts); local has none.
    objectLock: target.kind === 'aws',
    identifierKey: deps.identifierKey,
    policy: DEFAULT_RETENTION_POLICY,
    now: deps.now,
    actor,
  });
}

export const relationshipCommand: CliCommand = {
  name: 'relationship',
  summary: "close a client's business relationship: start the 5 years of its CDD records",
  help: `Usage: audit-archiver relationship close <clientKey> --closed-at ISO-DATE [--retention-years N]

Every KYC record of the client (its clientKey or subjectKey) kept on the relationship clock (aml-cdd) then expires
at closed-at + the class's years (or N, when longer), never earlier than it would have already; with Object Lock
the objects' retain-until dates are extended to match. Checks archived later start on the closed clock.
  --closed-at ISO-DATE         when the relationship ended (e.g. 2026-05-31T00:00:00Z); not in the future
  --retention-years N          keep longer than the class after the close (never shorter)`,
  options: { 'closed-at': { type: 'string' }, 'retention-years': { type: 'string' } },
  positionals: [2, 2],
  async run(ctx) {
    const [action, clientKey] = ctx.positionals;
    if (action !== 'close') throw new InvalidQueryError('relationship: the action is close');
    const closedAt = stringValue(ctx.values, 'closed-at');
    if (!closedAt) throw new InvalidQueryError('relationship close needs --closed-at ISO-DATE');
    const years = stringValue(ctx.values, 'retention-years');
    if (years !== undefined && !/^\d+(\.\d+)?$/.test(years)) throw new InvalidQueryError('--retention-years must be a number of years');
    const deps = await retentionDeps(ctx, 'relationship command');
    const result = await closeRelationship(deps, { subjectKey: clientKey!, closedAt, ...(years !== undefined ? { retentionYears: Number(years) } : {}) });
    if (ctx.format === 'json') {
      printJson(ctx.io, result);
      return EXIT.ok;
    }
    println(ctx.io, `relationship closed ${timeText(result.closedAt)} (client ${result.subjectHash}): ${result.changed.length} records extended, ${result.unchanged} unchanged`);
    if (result.changed.length > 0) {
      println(
        ctx.io,
        table(
          ['provider', 'checkRef', 'class', 'was kept until', 'now kept until', 'locks extended'],
          result.changed.map((c) => [c.provider, c.checkRef, c.retentionClass, timeText(c.from), timeText(c.retainUntil), String(c.locksExtended)]),
        ),
      );
    }
    return EXIT.ok;
  },
};

export const eraseCommand: CliCommand = {
  name: 'erase',
  summary: 'erase a check or every check of a client (GDPR art. 17), or refuse naming the basis',
  help: `Usage: audit-archiver erase <provider> <checkId|checkRef> --request-id ID [--reason TEXT]
       audit-archiver erase --client KEY --request-id ID [--reason TEXT]
       audit-archiver erase --due

Checks whose class is erasable are erased now: every object version deleted, the record replaced by a tombstone,
a receipt written. Checks kept under a legal obligation (aml-cdd) or a legal hold are refused: the answer names the
basis and the date they become erasable, and the request is kept and carried out then (--due runs that sweep now;
the stack runs it daily). Exit 1 when anything was refused.
  --request-id ID              your reference for the request (printed on receipts and tombstones; no names)
  --reason TEXT                a short reason (at most 200 characters, no personal data)
  --client KEY                 every check of this clientKey / subjectKey
  --due                        carry out refused erasures whose date has come`,
  options: { 'request-id': { type: 'string' }, reason: { type: 'string' }, client: { type: 'string' }, due: { type: 'boolean' } },
  positionals: [0, 2],
  async run(ctx) {
    if (ctx.values.due === true) {
      const deps = await retentionDeps(ctx, 'erasure sweep');
      const swept = await carryOutDueErasures(deps);
      return report(ctx, '', [...swept.erased, ...swept.deferred]);
    }
    const requestId = parsed(requestIdSchema, stringValue(ctx.values, 'request-id'), '--request-id is required: letters, digits and . _ : / - (at most 100)');
    const reasonText = stringValue(ctx.values, 'reason');
    const reason = reasonText === undefined ? undefined : parsed(erasureReasonSchema, reasonText, '--reason must be 1-200 characters without control characters');
    const client = stringValue(ctx.values, 'client');
    const deps = await retentionDeps(ctx, 'erase command');
    let target;
    if (client !== undefined) {
      if (ctx.positionals.length > 0) throw new InvalidQueryError('erase: name a check or --client, not both');
      target = { subjectKey: client };
    } else {
      if (ctx.positionals.length !== 2) throw new InvalidQueryError('erase: name <provider> <checkId|checkRef>, or --client KEY');
      try {
        const record = await findRecord((await ctx.target()).deps, ctx.positionals[0], ctx.positionals[1]);
        target = { provider: record.provider, checkRef: record.checkRef };
      } catch (error) {
        if (!(error instanceof RecordErasedError)) throw error;
        target = { provider: error.tombstone.provider, checkRef: error.tombstone.checkRef };
      }
    }
    const result = await requestErasure(deps, { target, requestId, ...(reason ? { reason } : {}) });
    return report(ctx, requestId, result.checks);
  },
};

function report(ctx: CommandContext, requestId: string, checks: ErasureOutcome[]): number {
  const refused = checks.filter((c) => c.outcome === 'refused').length;
  if (ctx.format === 'json') printJson(ctx.io, { requestId, checks });
  else if (checks.length === 0) println(ctx.io, 'no checks to erase');
  else {
    println(
      ctx.io,
      table(
        ['provider', 'checkRef', 'outcome', 'class', 'detail'],
        checks.map((c) => [
          c.provider,
          c.checkRef,
          c.outcome,
          'retentionClass' in c ? c.retentionClass : '',
          c.outcome === 'erased' ? `${c.objects} objects (${c.versions} versions) deleted; receipt ${c.receiptSeq}` : c.outcome === 'refused' ? `${c.basis}; erasable ${c.erasableFrom.match(/^\d{4}-/) ? `from ${timeText(c.erasableFrom)}` : c.erasableFrom}; request kept` : '',
        ]),
      ),
    );
  }
  if (refused > 0) warn(ctx.io, `${refused} check${refused > 1 ? 's' : ''} refused: kept under a legal obligation or hold, erased when it ends`);
  return refused > 0 ? EXIT.failed : EXIT.ok;
}

export const receiptsCommand: CliCommand = {
  name: 'receipts',
  summary: 'list the deletion receipts, or verify the chain (--verify)',
  help: `Usage: audit-archiver receipts [--from N] [--verify]

Every expiry and erasure appends a receipt: what was deleted, under which class and basis, when and why. Receipts
are hash-chained (each names the sha256 of the one before) and sealed in the receipts bucket under Object Lock.
  --from N                     list from receipt N
  --verify                     walk the whole chain: no gap, no edit, every receipt sealed and identical to its seal;
                               exit 1 on any problem, and print the head hash to write down`,
  options: { from: { type: 'string' }, verify: { type: 'boolean' } },
  positionals: [0, 0],
  async run(ctx) {
    const deps = await retentionDeps(ctx, 'receipts command');
    if (ctx.values.verify === true) {
      const result = await deps.receipts.verify();
      if (ctx.format === 'json') printJson(ctx.io, result);
      else {
        println(ctx.io, `${result.receipts} receipts: ${result.ok ? 'chain verified' : 'CHAIN BROKEN'}${result.head ? `; head ${result.head.seq} sha256 ${result.head.sha256}` : ''}`);
        for (const problem of result.problems) println(ctx.io, `  ✗ ${problem}`);
        for (const warning of result.warnings) println(ctx.io, `  ! ${warning}`);
      }
      return result.ok ? EXIT.ok : EXIT.failed;
    }
    const from = stringValue(ctx.values, 'from');
    if (from !== undefined && !/^[1-9]\d{0,11}$/.test(from)) throw new InvalidQueryError('--from must be a receipt number');
    const rows = [];
    for await (const stored of deps.receipts.list(from === undefined ? 1 : Number(from))) rows.push(stored.receipt);
    if (ctx.format === 'json') printJson(ctx.io, rows);
    else
      println(
        ctx.io,
        table(
          ['seq', 'deleted at', 'kind', 'provider', 'checkRef', 'class', 'by', 'reason'],
          rows.map((r) => [String(r.seq), timeText(r.deletedAt), r.kind, r.provider ?? '', r.checkRef ?? '', r.retentionClass ?? '', r.by, r.reason]),
        ),
      );
    return EXIT.ok;
  },
};

function parsed<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, value: string | undefined, message: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidQueryError(message);
  return result.data;
}
