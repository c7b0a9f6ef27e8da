/**
 * Verification of a check's archive: every object the manifest lists is read back and its sha256 and size recomputed;
 * the manifest must agree with the record (provider, checkRef, status, object count, total bytes, result.json,
 * missing images); nothing may sit in the check's folder that the manifest does not list. Given a sink, every byte
 * verified is also written there as it streams by: that is how export verifies while it writes.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { storageErrorFrom } from '../common/storage-errors';
import { MANIFEST_FILE } from '../archive/keys';
import { missingCountOf, type Manifest } from '../archive/manifest';
import { createLimiter } from '../archive/limiter';
import type { CheckRecord } from '../records/record';
import { listKeys, openObject, parseManifest, prefixOf, readDocument } from './archive-reader';
import type { AuditDeps } from './deps';

export type ProblemKind =
  | 'manifest-missing' // the record names a manifest that cannot be read
  | 'manifest-invalid' // not JSON, or not the manifest's shape
  | 'record-mismatch' // the manifest and the record disagree
  | 'object-missing' // listed in the manifest, not in the bucket
  | 'object-altered' // sha256 or size differs from the manifest
  | 'object-unexpected' // in the check's folder, not in the manifest
  | 'object-outside-folder' // the manifest lists a key outside the check's folder (never read)
  | 'read-error'; // S3 or DynamoDB failed while verifying: nothing can be said

export interface Problem {
  kind: ProblemKind;
  /** Key relative to the check's folder (e.g. frames/probe.jpg), when the problem is about one object. */
  key?: string;
  detail: string;
}

export interface CheckVerification {
  provider: CheckRecord['provider'];
  checkRef: string;
  status: CheckRecord['status'];
  ok: boolean;
  /** Objects whose sha256 and size matched (manifest.json included). */
  objectsVerified: number;
  bytesVerified: number;
  /** Images the archive recorded as missing when it ran (not a failure: the manifest says why). */
  missingAtArchive: number;
  problems: Problem[];
}

/** Where export writes what verify reads. `relativePath` has been checked to stay inside the check's folder. */
export interface BundleSink {
  open(relativePath: string): Promise<Writable>;
}

export interface VerifyOptions {
  sink?: BundleSink;
  /** Objects read at the same time. */
  concurrency?: number;
  /** Called with the size of each object verified (progress). */
  onBytes?: (bytes: number) => void;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export async function verifyCheck(deps: AuditDeps, record: CheckRecord, options: VerifyOptions = {}): Promise<CheckVerification> {
  const report: CheckVerification = {
    provider: record.provider,
    checkRef: record.checkRef,
    status: record.status,
    ok: false,
    objectsVerified: 0,
    bytesVerified: 0,
    missingAtArchive: 0,
    problems: [],
  };
  const problem = (kind: ProblemKind, detail: string, key?: string) => report.problems.push({ kind, detail, ...(key ? { key } : {}) });

  const prefix = prefixOf(record);
  if (!record.manifestKey) {
    if (record.objects > 0) problem('manifest-missing', `the record counts ${record.objects} objects but names no manifest`);
    return finish(report);
  }
  if (!prefix) {
    problem('manifest-invalid', 'the record names a manifest key that is not <folder>/manifest.json');
    return finish(report);
  }

  const manifestRead = await readDocument(deps, record.manifestKey);
  if (!manifestRead.found) {
    problem('manifest-missing', manifestRead.reason, MANIFEST_FILE);
    return finish(report);
  }
  if (record.manifestSha256 && createHash('sha256').update(manifestRead.body).digest('hex') !== record.manifestSha256) {
    problem('manifest-invalid', 'manifest.json does not match the sha256 its record anchored at archive time', MANIFEST_FILE);
  }
  const parsed = parseManifest(manifestRead.body);
  if (!parsed.ok) {
    problem('manifest-invalid', parsed.reason, MANIFEST_FILE);
    return finish(report);
  }
  const { manifest } = parsed;
  if (options.sink) await writeAll(await options.sink.open(MANIFEST_FILE), manifestRead.body);
  report.missingAtArchive = missingCountOf(manifest.missing);
  for (const mismatch of recordMismatches(record, manifest, manifestRead.body.length)) problem('record-mismatch', mismatch);

  const listed = new Set<string>();
  const limit = createLimiter(options.concurrency ?? 4);
  await Promise.all(
    manifest.objects.map((entry) =>
      limit(async () => {
        const relative = relativeKeyOf(entry.key, prefix);
        if (relative === undefined) {
          problem('object-outside-folder', 'listed in the manifest but outside the check folder: not read', entry.key.slice(0, 200));
          return;
        }
        listed.add(entry.key);
        const opened = await openObject(deps, entry.key);
        if (!opened.found) {
          problem('object-missing', opened.reason, relative);
          return;
        }
        const { sha256, bytes } = await hashStream(opened.body, options.sink ? await options.sink.open(relative) : undefined);
        options.onBytes?.(bytes);
        if (sha256 !== entry.sha256 || bytes !== entry.bytes) {
          const what = sha256 !== entry.sha256 ? `sha256 ${sha256} where the manifest has ${entry.sha256}` : '';
          const size = bytes !== entry.bytes ? `${bytes} bytes where the manifest has ${entry.bytes}` : '';
          problem('object-altered', [what, size].filter(Boolean).join('; '), relative);
          return;
        }
        report.objectsVerified++;
        report.bytesVerified += bytes;
      }),
    ),
  );
  report.objectsVerified++; // manifest.json: checked against the record's byte count above
  report.bytesVerified += manifestRead.body.length;
  options.onBytes?.(manifestRead.body.length);

  for (const key of await listKeys(deps, prefix)) {
    if (key !== record.manifestKey && !listed.has(key)) problem('object-unexpected', 'in the check folder but not in the manifest', key.slice(prefix.length));
  }
  return finish(report);
}

export interface VerifySummary {
  checks: number;
  failed: number;
  objects: number;
  bytes: number;
  reports: CheckVerification[];
}

/** Verifies records a few at a time; a check that cannot be read is reported (read-error), not thrown. */
export async function verifyMany(
  deps: AuditDeps,
  records: readonly CheckRecord[],
  options: { concurrency?: number; onCheck?: (report: CheckVerification, done: number) => void; onBytes?: (bytes: number) => void } = {},
): Promise<VerifySummary> {
  const limit = createLimiter(options.concurrency ?? 4);
  let done = 0;
  const reports = await Promise.all(
    records.map((record) =>
      limit(async () => {
        let report: CheckVerification;
        try {
          report = await verifyCheck(deps, record, { concurrency: 2, ...(options.onBytes ? { onBytes: options.onBytes } : {}) });
        } catch (error) {
          const name = (error as { message?: unknown })?.message;
          report = {
            provider: record.provider,
            checkRef: record.checkRef,
            status: record.status,
            ok: false,
            objectsVerified: 0,
            bytesVerified: 0,
            missingAtArchive: 0,
            problems: [{ kind: 'read-error', detail: typeof name === 'string' ? name : 'unknown error' }],
          };
        }
        options.onCheck?.(report, ++done);
        return report;
      }),
    ),
  );
  return {
    checks: reports.length,
    failed: reports.filter((report) => !report.ok).length,
    objects: reports.reduce((sum, report) => sum + report.objectsVerified, 0),
    bytes: reports.reduce((sum, report) => sum + report.bytesVerified, 0),
    reports,
  };
}

/** What the record says that the manifest must confirm. */
function recordMismatches(record: CheckRecord, manifest: Manifest, manifestBytes: number): string[] {
  const mismatches: string[] = [];
  const differs = (what: string, inRecord: unknown, inManifest: unknown) => {
    if (inRecord !== inManifest) mismatches.push(`${what}: record ${String(inRecord)}, manifest ${String(inManifest)}`);
  };
  differs('provider', record.provider, manifest.provider);
  differs('checkRef', record.checkRef, manifest.checkRef);
  differs('status', record.status, manifest.status);
  differs('objects (manifest.json included)', record.objects, manifest.objects.length + 1);
  differs('bytes (manifest.json included)', record.bytes, manifest.objects.reduce((sum, object) => sum + object.bytes, manifestBytes));
  differs('images missing at archive time', record.imagesMissing?.count ?? 0, missingCountOf(manifest.missing));
  differs('items in quarantine', record.quarantined?.count ?? 0, manifest.objects.filter((object) => object.quarantined).length);
  for (const [what, key] of [['result.json', record.resultKey], ['the answer as received', record.answerKey]] as const) {
    if (key && !manifest.objects.some((object) => object.key === key)) mismatches.push(`${what}: named by the record, not listed in the manifest`);
  }
  return mismatches;
}

/** The key relative to the folder when it is inside it and every segment is a plain file name; else undefined. */
export function relativeKeyOf(key: string, prefix: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const relative = key.slice(prefix.length);
  const segments = relative.split('/');
  if (relative.length > 512 || segments.some((segment) => !SAFE_SEGMENT.test(segment) || segment.includes('..'))) return undefined;
  if (relative === MANIFEST_FILE) return undefined;
  return relative;
}

async function hashStream(body: Readable, sink: Writable | undefined): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    if (sink) {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(body, counter, sink);
    } else {
      for await (const chunk of body) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
    }
  } catch (error) {
    throw storageErrorFrom(error, 'S3 GetObject (body)');
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function writeAll(sink: Writable, body: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    sink.once('error', reject);
    sink.end(body, () => resolve());
  });
}

function finish(report: CheckVerification): CheckVerification {
  report.problems.sort((a, b) => (a.key ?? '').localeCompare(b.key ?? '') || a.kind.localeCompare(b.kind));
  report.ok = report.problems.length === 0;
  return report;
}
