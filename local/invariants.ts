/**
 * The archive's promises, checked on a whole local archive after a run: every check that entered has exactly one
 * record and it tells the truth; every object in S3 belongs to a recorded check's manifest (no orphans, no
 * duplicates); every archived object's sha256 and size match its manifest; the record's counts match the manifest.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { Manifest } from '../lambdas/archive/manifest';
import { createS3Store } from '../lambdas/archive/s3-store';
import type { CheckRecord, RecordStatus } from '../lambdas/records/record';

export interface ExpectedCheck {
  provider: string;
  checkRef: string;
  /** The status the record must have, when the scenario knows it. */
  status?: RecordStatus | readonly RecordStatus[];
}

export interface InvariantReport {
  checks: number;
  records: number;
  objects: number;
  bytes: number;
  violations: string[];
}

export async function checkInvariants(input: {
  s3: S3Client;
  bucket: string;
  records: CheckRecord[];
  expected: ExpectedCheck[];
}): Promise<InvariantReport> {
  const { s3, bucket, records, expected } = input;
  const store = createS3Store({ client: s3, bucket });
  const violations: string[] = [];
  const id = (r: { provider: string; checkRef: string }) => `${r.provider}/${r.checkRef}`;

  const recordsById = new Map<string, CheckRecord[]>();
  for (const record of records) recordsById.set(id(record), [...(recordsById.get(id(record)) ?? []), record]);
  const expectedIds = new Set(expected.map(id));
  for (const check of expected) {
    const found = recordsById.get(id(check)) ?? [];
    if (found.length !== 1) violations.push(`${id(check)}: ${found.length} records`);
    const allowed = check.status === undefined ? undefined : ([] as RecordStatus[]).concat(check.status);
    if (found[0] && allowed && !allowed.includes(found[0].status)) {
      violations.push(`${id(check)}: status ${found[0].status}, expected ${allowed.join(' or ')}`);
    }
  }
  for (const key of recordsById.keys()) if (!expectedIds.has(key)) violations.push(`${key}: a record for a check that never entered`);

  const listed = new Set(await store.listKeys(''));
  const accounted = new Set<string>();
  let objects = 0;
  let bytes = 0;
  for (const record of records) {
    if (!record.manifestKey) {
      if (record.objects !== 0) violations.push(`${id(record)}: ${record.objects} objects but no manifest`);
      continue;
    }
    if (!listed.has(record.manifestKey)) {
      violations.push(`${id(record)}: manifest missing from S3`);
      continue;
    }
    accounted.add(record.manifestKey);
    const manifest = JSON.parse(await readText(s3, bucket, record.manifestKey)) as Manifest;
    if (manifest.status !== record.status) violations.push(`${id(record)}: manifest says ${manifest.status}, record ${record.status}`);
    if (record.objects !== manifest.objects.length + 1) {
      violations.push(`${id(record)}: record counts ${record.objects} objects, manifest lists ${manifest.objects.length} + itself`);
    }
    const keys = new Set<string>();
    for (const entry of manifest.objects) {
      if (keys.has(entry.key)) violations.push(`${id(record)}: ${entry.key} listed twice`);
      keys.add(entry.key);
      accounted.add(entry.key);
      if (!listed.has(entry.key)) {
        violations.push(`${id(record)}: ${entry.key} missing from S3`);
        continue;
      }
      const stored = await store.readBack(entry.key);
      if (stored.sha256 !== entry.sha256 || stored.bytes !== entry.bytes) violations.push(`${id(record)}: ${entry.key} does not match its manifest`);
      objects += 1;
      bytes += stored.bytes;
    }
  }
  for (const key of listed) if (!accounted.has(key)) violations.push(`orphan object ${key}`);
  return { checks: expected.length, records: records.length, objects, bytes, violations };
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const chunks: Buffer[] = [];
  for await (const chunk of object.Body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
