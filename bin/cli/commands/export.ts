/** `export <provider> <checkId|checkRef> --out PATH`: a case bundle that verified while it was written. */
import { InvalidQueryError, VerificationFailedError, exportBundle, findRecord } from '../../../lambdas/audit';
import { CHECK_REF_PREFIX_HELP, EXIT, stringValue, type CliCommand } from '../command';
import { bytesText, printJson, println, warn } from '../output';
import { problemLines } from './verify';

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write a case bundle (directory or .zip), verified while written',
  help: `Usage: audit-archiver export <provider> <checkId|checkRef> --out PATH

<checkId> is the provider's id of the check or its checkRef, as for show.
${CHECK_REF_PREFIX_HELP}

Writes record.json, evidence/ (manifest.json, result.json and every image, byte for byte), SHA256SUMS and
VERIFICATION.json to PATH, a new directory, or a zip file when PATH ends in .zip. Every object is checked against
its manifest sha256 while it is copied; if anything does not match, nothing is written and the exit code is 1.
Check a bundle later, anywhere: cd PATH && sha256sum -c SHA256SUMS`,
  options: { out: { type: 'string' } },
  positionals: [2, 2],
  async run(ctx) {
    const out = stringValue(ctx.values, 'out');
    if (!out) throw new InvalidQueryError('--out PATH is required (a new directory, or a file ending in .zip)');
    const { deps } = await ctx.target();
    const record = await findRecord(deps, ctx.positionals[0], ctx.positionals[1], { prefix: true });
    try {
      const result = await exportBundle(deps, record, out);
      if (ctx.format === 'json') printJson(ctx.io, result);
      else {
        println(ctx.io, `bundle written: ${result.path} (${result.format}, ${result.files} files)`);
        println(ctx.io, `verified: ${result.report.objectsVerified} objects, ${bytesText(result.evidenceBytes)} match the manifest sha256s and the record`);
        if (result.report.missingAtArchive > 0) println(ctx.io, `note: ${result.report.missingAtArchive} image(s) were already missing when the check was archived (see evidence/manifest.json)`);
      }
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof VerificationFailedError)) throw error;
      if (ctx.format === 'json') printJson(ctx.io, { refused: true, report: error.report });
      warn(ctx.io, `FAILED: ${error.message}; nothing was written to ${out}`);
      for (const line of problemLines(error.report)) warn(ctx.io, line);
      return EXIT.failed;
    }
  },
};
