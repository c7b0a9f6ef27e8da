/**
 * What the console asks of the auditor core beyond one call: counts over a whole query (bounded), the objects a
 * manifest lists (to report verification object by object), and a zip bundle made in a private temporary folder.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allRecords, exportBundle, verifyCheck, type AuditDeps, type CheckVerification, type ExportResult, type RawQuery } from '../../../lambdas/audit';
import { parseManifest, prefixOf, readDocument } from '../../../lambdas/audit/archive-reader';
import { relativeKeyOf } from '../../../lambdas/audit/verify';
import type { CheckRecord } from '../../../lambdas/records/record';
import type { Counts } from './views/search';
import type { ListedObject } from './views/verify';

/** Counting reads whole records: past this many the counts say "at least". */
export const COUNT_CAP = 5000;

export async function countRecords(deps: AuditDeps, raw: Omit<RawQuery, 'next' | 'limit'>, cap = COUNT_CAP): Promise<Counts> {
  const byOutcome = new Map<string, number>();
  const byStatus = new Map<string, number>();
  let total = 0;
  let capped = false;
  for await (const record of allRecords(deps, raw)) {
    if (total >= cap) {
      capped = true;
      break;
    }
    total++;
    byOutcome.set(record.outcome, (byOutcome.get(record.outcome) ?? 0) + 1);
    byStatus.set(record.status, (byStatus.get(record.status) ?? 0) + 1);
  }
  const sorted = (map: Map<string, number>) => [...map].sort(([a, m], [b, n]) => n - m || a.localeCompare(b));
  return { total, capped, byOutcome: sorted(byOutcome), byStatus: sorted(byStatus) };
}

/** The objects the check's manifest lists, relative to its folder; none when the manifest cannot be read. */
export async function listedObjects(deps: AuditDeps, record: CheckRecord): Promise<ListedObject[]> {
  const prefix = prefixOf(record);
  if (!prefix || !record.manifestKey) return [];
  const read = await readDocument(deps, record.manifestKey);
  const parsed = read.found ? parseManifest(read.body) : undefined;
  if (!parsed?.ok) return [];
  return parsed.manifest.objects.flatMap((object) => {
    const key = relativeKeyOf(object.key, prefix);
    return key === undefined ? [] : [{ key, sha256: object.sha256, bytes: object.bytes }];
  });
}

/** verifyCheck with the manifest's list of objects, for a report object by object. */
export async function verifyOne(
  deps: AuditDeps,
  record: CheckRecord,
  onBytes?: (bytes: number) => void,
): Promise<{ report: CheckVerification; objects: ListedObject[] }> {
  const objects = await listedObjects(deps, record);
  const report = await verifyCheck(deps, record, onBytes ? { onBytes } : {});
  return { report, objects };
}

export interface Bundle {
  path: string;
  bytes: number;
  sha256: string;
  result: ExportResult;
  /** Removes the temporary folder. */
  remove(): Promise<void>;
}

/** A zip bundle in a new temporary folder (exportBundle refuses, and leaves nothing, when the check does not verify). */
export async function exportZip(deps: AuditDeps, record: CheckRecord, fileName: string): Promise<Bundle> {
  const dir = await mkdtemp(join(tmpdir(), 'audit-console-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const result = await exportBundle(deps, record, join(dir, fileName));
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(result.path)) hash.update(chunk as Buffer);
    return { path: result.path, bytes: (await stat(result.path)).size, sha256: hash.digest('hex'), result, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
