/** `show <provider> <checkId|checkRef>`: the record, the provider's answer and presigned image URLs. */
import { clockText } from '../retention-text';
import { InvalidQueryError, findRecord, showCheck, type ShownCheck } from '../../../lambdas/audit';
import { CHECK_REF_PREFIX_HELP, EXIT, stringValue, type CliCommand } from '../command';
import { bytesText, csv, printJson, println, table, timeText, warn } from '../output';

export const showCommand: CliCommand = {
  name: 'show',
  summary: 'one check: its record, the provider\'s answer and presigned image URLs',
  help: `Usage: audit-archiver show <provider> <checkId|checkRef> [--expires SECONDS]

<checkId> is the provider's id of the check (hashed here to find it) or the checkRef that query prints.
${CHECK_REF_PREFIX_HELP}
Image URLs are presigned GETs, valid for --expires seconds (default 300, at most 3600).`,
  options: { expires: { type: 'string' } },
  positionals: [2, 2],
  async run(ctx) {
    const expires = stringValue(ctx.values, 'expires');
    const expiresIn = expires === undefined ? undefined : Number(expires);
    if (expiresIn !== undefined && !(Number.isInteger(expiresIn) && expiresIn >= 1 && expiresIn <= 3600)) {
      throw new InvalidQueryError('--expires must be a whole number of seconds from 1 to 3600');
    }
    const { deps, kind } = await ctx.target();
    const record = await findRecord(deps, ctx.positionals[0], ctx.positionals[1], { prefix: true });
    const shown = await showCheck(deps, record, expiresIn === undefined ? {} : { expiresIn });
    if (ctx.format === 'json') printJson(ctx.io, shown);
    else if (ctx.format === 'csv') println(ctx.io, csv(['key', 'contentType', 'bytes', 'sha256', 'url'], shown.images.map((i) => [i.key, i.contentType, String(i.bytes), i.sha256, i.url])));
    else println(ctx.io, describe(shown));
    if (kind === 'local' && shown.images.length > 0) {
      warn(ctx.io, 'note: the local archive is served only while a command runs, so these URLs stop working when it ends; `export` copies the files');
    }
    return EXIT.ok;
  },
};

/** Label: value lines, labels aligned. */
function fields(rows: string[][]): string {
  const width = Math.max(...rows.map(([label]) => label!.length));
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`).join('\n');
}

function describe(shown: ShownCheck): string {
  const r = shown.record;
  const lines = [
    `${r.provider} check ${r.checkRef}`,
    '',
    fields(
      [
        ['status', r.status],
        ['outcome', [r.outcome, r.decision ? `decision ${r.decision}` : '', r.confidence !== undefined ? `confidence ${r.confidence}` : ''].filter(Boolean).join(', ')],
        ['provider status', r.providerStatus ?? ''],
        ['created', timeText(r.createdAt)],
        ['completed', timeText(r.completedAt)],
        ['archived', timeText(r.archivedAt)],
        ['objects', `${r.objects} (${bytesText(r.bytes)})${r.imagesMissing ? `, ${r.imagesMissing.count} image(s) missing: ${r.imagesMissing.reasons.join(', ')}` : ''}`],
        ...(r.quarantined ? [['quarantine', `${r.quarantined.count} item(s) kept as received, not valid images: ${r.quarantined.reasons.join(', ')}`]] : []),
        ...(r.uninterpreted ? [['uninterpreted', `the provider sent fields that could not be read: ${r.uninterpreted.join(', ')}`]] : []),
        ...(r.readAsUtc ? [['read as UTC', `timestamps without an offset: ${r.readAsUtc.join(', ')}`]] : []),
        ['retention', r.relationshipOpen ? `${r.retentionClass}: no end while the relationship is open` : `${r.retentionClass} until ${timeText(r.retainUntil)}`],
        ['clock', clockText(r)],
        ['basis', r.retentionBasis],
        ['legal hold', r.legalHold ? `since ${timeText(r.legalHoldSince)}${r.legalHoldReason ? ` (${r.legalHoldReason})` : ''}` : 'no'],
        ...(r.detail ? [['detail', r.detail]] : []),
        ...(r.error ? [['error', `${r.error.name}${r.error.cause ? `: ${r.error.cause}` : ''}`]] : []),
        ...(r.escalation ? [['escalation', `${r.escalation.reason}, ${r.escalation.priority}, ${r.escalation.status}, deadline ${r.escalation.deadline}`]] : []),
        ...(r.clientKeyHash ? [['clientKeyHash', r.clientKeyHash]] : []),
      ],
    ),
  ];
  if (shown.images.length > 0) {
    lines.push('', `Images (presigned URLs, valid until ${timeText(shown.urlsExpireAt)}):`);
    const rows = table(
      ['key', 'type', 'size', 'sha256'],
      shown.images.map((i) => [i.key, i.quarantined ? `quarantined: ${i.quarantined.reason} (download only)` : i.contentType, bytesText(i.bytes), i.sha256]),
    ).split('\n');
    lines.push(...rows.slice(0, 2).map((row) => `  ${row}`));
    shown.images.forEach((image, i) => lines.push(`  ${rows[i + 2]}`, `    ${image.url}`));
  }
  for (const missing of shown.missingImages) lines.push(`missing at archive time: ${JSON.stringify(missing.source)} ${missing.reason} (${missing.detail})`);
  if (shown.documents.answer) lines.push('', `The answer exactly as received: ${shown.documents.answer}`);
  if (shown.result !== undefined) lines.push('', 'Provider answer (result.json):', JSON.stringify(shown.result, null, 2));
  else if (shown.resultNote) lines.push('', shown.resultNote);
  return lines.join('\n');
}
