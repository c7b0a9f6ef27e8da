/** `hold` and `release <provider> <checkId|checkRef>`: legal hold of one check's record and objects. */
import { InvalidQueryError, applyHold, detectObjectLock, findRecord, publicRecordOf, releaseHold, type HoldResult } from '../../../lambdas/audit';
import { StorageRejectedError } from '../../../lambdas/common/storage-errors';
import { ConfigurationError } from '../../../lambdas/common/errors';
import { EXIT, stringValue, type CliCommand, type CommandContext } from '../command';
import { printJson, println, timeText, warn } from '../output';
import type { AuditTarget } from '../target';

const LOCK_HELP = `  --object-lock auto|on|off    S3 legal hold on every object of the check: auto asks the bucket whether Object
                               Lock is on (needs s3:GetBucketObjectLockConfiguration); the local archive has none`;

export const holdCommand: CliCommand = {
  name: 'hold',
  summary: 'put a check under legal hold: expiry suspended, objects locked',
  help: `Usage: audit-archiver hold <provider> <checkId|checkRef> [--reason TEXT] [--object-lock auto|on|off]

Suspends the record's expiry (no TTL; the check stays visible past its retention) and, where the bucket has Object
Lock, sets an S3 legal hold on every archived object. Idempotent. A check already past its retention cannot be
held (it is gone for every reader). Needs write access, which the auditor policy does not give.
  --reason TEXT                recorded with the hold (a matter number; at most 200 characters, no personal data)
${LOCK_HELP}`,
  options: { reason: { type: 'string' }, 'object-lock': { type: 'string' } },
  positionals: [2, 2],
  async run(ctx) {
    const target = await ctx.target();
    const record = await findRecord(target.deps, ctx.positionals[0], ctx.positionals[1]);
    const objectLock = await objectLockOf(ctx, target);
    const reason = stringValue(ctx.values, 'reason');
    const result = await applyHold(target.deps, record, { objectLock, ...(reason ? { reason } : {}) });
    report(ctx, 'hold', result);
    return EXIT.ok;
  },
};

export const releaseCommand: CliCommand = {
  name: 'release',
  summary: 'end a legal hold: expiry back on, object holds lifted',
  help: `Usage: audit-archiver release <provider> <checkId|checkRef> [--object-lock auto|on|off]

Lifts the S3 legal holds (where Object Lock is on), then restores the record's expiry from its retainUntil. A check
already past its retention disappears from every query at once and is deleted by DynamoDB's TTL within days.
${LOCK_HELP}`,
  options: { 'object-lock': { type: 'string' } },
  positionals: [2, 2],
  async run(ctx) {
    const target = await ctx.target();
    const record = await findRecord(target.deps, ctx.positionals[0], ctx.positionals[1]);
    const objectLock = await objectLockOf(ctx, target);
    const result = await releaseHold(target.deps, record, { objectLock });
    report(ctx, 'release', result);
    if (result.record.retainUntil <= target.deps.now().toISOString()) {
      warn(ctx.io, `note: retention ended ${timeText(result.record.retainUntil)}: the check is now hidden and will be deleted`);
    }
    return EXIT.ok;
  },
};

async function objectLockOf(ctx: CommandContext, target: AuditTarget): Promise<boolean> {
  const choice = stringValue(ctx.values, 'object-lock') ?? 'auto';
  if (choice === 'on') return true;
  if (choice === 'off') return false;
  if (choice !== 'auto') throw new InvalidQueryError('--object-lock must be auto, on or off');
  if (target.objectLock !== 'detect') return target.objectLock;
  try {
    return await detectObjectLock(target.deps);
  } catch (error) {
    if (error instanceof StorageRejectedError) {
      throw new ConfigurationError(`cannot tell whether the bucket has Object Lock (${error.message}): pass --object-lock on or off`);
    }
    throw error;
  }
}

function report(ctx: CommandContext, action: 'hold' | 'release', result: HoldResult): void {
  const r = result.record;
  if (ctx.format === 'json') {
    printJson(ctx.io, { action, record: publicRecordOf(r), objects: result.objects, objectLock: result.objectLock });
    return;
  }
  const objects = result.objectLock ? `${result.objects} objects ${action === 'hold' ? 'under' : 'released from'} S3 legal hold` : 'no Object Lock on this bucket: record only';
  if (action === 'hold') {
    println(ctx.io, `legal hold on ${r.provider} check ${r.checkRef} since ${timeText(r.legalHoldSince)}${r.legalHoldReason ? ` (${r.legalHoldReason})` : ''}: expiry suspended; ${objects}`);
  } else {
    println(ctx.io, `legal hold released on ${r.provider} check ${r.checkRef}: expires again ${timeText(r.retainUntil)}; ${objects}`);
  }
}
