/**
 * Case bundles: everything archived for one check, verified while it is written, in a directory or a .zip.
 *
 *   record.json          the DynamoDB record (auditor view)
 *   evidence/            the check's folder byte for byte: manifest.json, result.json, frames/…, kyc/…
 *   SHA256SUMS           `sha256sum -c SHA256SUMS` re-checks the bundle anywhere, without this tool
 *   VERIFICATION.json    where it came from, when, and the verification report
 *
 * The bundle is assembled in a staging directory next to the destination and only moved into place when every
 * object matched its manifest (and the copy on disk matched too). Anything else removes the staging directory and
 * throws VerificationFailedError: a bundle that does not verify is never written.
 */
import { randomBytes, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { CheckRecord } from '../records/record';
import { parseManifest, prefixOf } from './archive-reader';
import type { AuditDeps } from './deps';
import { ExportTargetExistsError, VerificationFailedError } from './errors';
import { publicRecordOf } from './records';
import { relativeKeyOf, verifyCheck, type CheckVerification } from './verify';
import { filesUnder, writeZip } from './zip';

export const EVIDENCE_DIR = 'evidence';

export interface ExportResult {
  path: string;
  format: 'directory' | 'zip';
  /** Files in the bundle (record.json, SHA256SUMS and VERIFICATION.json included). */
  files: number;
  /** Bytes of archived evidence copied. */
  evidenceBytes: number;
  report: CheckVerification;
}

export async function exportBundle(deps: AuditDeps, record: CheckRecord, outPath: string): Promise<ExportResult> {
  const out = resolve(outPath);
  const format = out.toLowerCase().endsWith('.zip') ? 'zip' : 'directory';
  if (await exists(out)) throw new ExportTargetExistsError(`${outPath} already exists: a bundle is only written to a new path`);
  await mkdir(dirname(out), { recursive: true });
  const suffix = `.partial-${randomBytes(4).toString('hex')}`;
  const staging = `${format === 'zip' ? out.slice(0, -4) : out}${suffix}`;
  await mkdir(staging);
  try {
    const evidenceRoot = join(staging, EVIDENCE_DIR);
    const report = await verifyCheck(deps, record, {
      sink: {
        async open(relativePath) {
          const path = join(evidenceRoot, ...relativePath.split('/'));
          if (!path.startsWith(evidenceRoot + sep)) throw new Error('bundle path escapes the evidence folder');
          await mkdir(dirname(path), { recursive: true });
          return createWriteStream(path, { flags: 'wx' });
        },
      },
    });
    if (report.ok) await recheckCopy(record, evidenceRoot, report);
    if (!report.ok) {
      throw new VerificationFailedError(
        `export refused: the archive of ${record.provider} check ${record.checkRef} does not verify (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'})`,
        report,
      );
    }
    const exportedAt = new Date();
    await writeFile(join(staging, 'record.json'), `${JSON.stringify(publicRecordOf(record), null, 2)}\n`, { flag: 'wx' });
    await writeFile(
      join(staging, 'VERIFICATION.json'),
      `${JSON.stringify(
        {
          bundleFormat: 1,
          exportedAt: exportedAt.toISOString(),
          source: { bucket: deps.bucket, table: deps.tableName, manifestKey: record.manifestKey ?? null },
          check: { provider: record.provider, checkRef: record.checkRef, status: record.status },
          verification: report,
          howToCheck: 'sha256sum -c SHA256SUMS (in this folder); evidence/manifest.json lists the sha256 recorded at archive time',
        },
        null,
        2,
      )}\n`,
      { flag: 'wx' },
    );
    const sums = await sha256sums(staging);
    await writeFile(join(staging, 'SHA256SUMS'), sums.text, { flag: 'wx' });
    const files = sums.count + 1;
    if (format === 'directory') {
      await rename(staging, out);
    } else {
      const partialZip = `${staging}.zip`;
      try {
        await writeZip(staging, partialZip, exportedAt);
        await rename(partialZip, out);
      } finally {
        await rm(partialZip, { force: true });
      }
      await rm(staging, { recursive: true, force: true });
    }
    return { path: out, format, files, evidenceBytes: report.bytesVerified, report };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The copy on disk must match the manifest too (a full disk or a flaky write would otherwise pass), and hold nothing
 * else. Adds problems to the report.
 */
async function recheckCopy(record: CheckRecord, evidenceRoot: string, report: CheckVerification): Promise<void> {
  const prefix = prefixOf(record);
  if (!prefix) return;
  const parsed = parseManifest(await readFile(join(evidenceRoot, 'manifest.json')));
  if (!parsed.ok) {
    report.problems.push({ kind: 'manifest-invalid', key: 'manifest.json', detail: `the copy in the bundle: ${parsed.reason}` });
  } else {
    for (const entry of parsed.manifest.objects) {
      const relative = relativeKeyOf(entry.key, prefix)!;
      const sha256 = await sha256Of(join(evidenceRoot, ...relative.split('/')));
      if (sha256 !== entry.sha256) report.problems.push({ kind: 'object-altered', key: relative, detail: 'the copy written to the bundle differs' });
    }
  }
  report.ok = report.problems.length === 0;
}

async function sha256sums(root: string): Promise<{ text: string; count: number }> {
  const files = await filesUnder(root);
  const lines: string[] = [];
  for (const file of files) lines.push(`${await sha256Of(join(root, file))}  ${file.split(sep).join('/')}`);
  return { text: `${lines.join('\n')}\n`, count: files.length };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
