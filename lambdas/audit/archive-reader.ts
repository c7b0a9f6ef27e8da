/**
 * Reads a check's archived objects back: the manifest (validated, since a verifier must not trust its shape), the
 * keys under the check's folder, and object bodies as streams. Missing objects are a result, not an exception.
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { storageErrorFrom } from '../common/storage-errors';
import { MANIFEST_FILE } from '../archive/keys';
import type { Manifest } from '../archive/manifest';
import { createS3Store } from '../archive/s3-store';
import type { CheckRecord } from '../records/record';
import type { AuditDeps } from './deps';

/** The largest manifest or result.json read into memory (both are small JSON documents). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

const manifestSchema = z.object({
  schemaVersion: z.literal(1),
  provider: z.string(),
  checkRef: z.string(),
  status: z.string(),
  archivedAt: z.string(),
  objects: z.array(
    z
      .object({
        key: z.string().min(1).max(1024),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        bytes: z.number().int().min(0),
        contentType: z.string(),
        source: z.object({ kind: z.string() }).passthrough(),
        archivedAt: z.string(),
      })
      .passthrough(),
  ),
  missing: z.array(z.object({ source: z.object({ kind: z.string() }).passthrough(), reason: z.string(), detail: z.string() }).passthrough()),
});

export type ObjectRead = { found: true; body: Readable; bytes?: number } | { found: false; reason: string };
export type DocumentRead = { found: true; body: Buffer } | { found: false; reason: string };

/** The check's folder in the bucket (the manifest's), ending in `/`; undefined when the record has no evidence. */
export function prefixOf(record: CheckRecord): string | undefined {
  if (!record.manifestKey?.endsWith(`/${MANIFEST_FILE}`)) return undefined;
  return record.manifestKey.slice(0, -MANIFEST_FILE.length);
}

/** Opens an object for streaming. NoSuchKey (or AccessDenied, what S3 answers without s3:ListBucket) → not found. */
export async function openObject(deps: AuditDeps, key: string): Promise<ObjectRead> {
  try {
    const output = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
    return { found: true, body: output.Body as Readable, ...(output.ContentLength !== undefined ? { bytes: output.ContentLength } : {}) };
  } catch (error) {
    const name = (error as { name?: unknown })?.name;
    if (name === 'NoSuchKey' || name === 'NotFound') return { found: false, reason: 'no such object' };
    if (name === 'AccessDenied') return { found: false, reason: 'access denied (missing, or not readable with these credentials)' };
    throw storageErrorFrom(error, 'S3 GetObject');
  }
}

/** Reads a small object whole; larger than `maxBytes` is reported as not found with the reason. */
export async function readDocument(deps: AuditDeps, key: string, maxBytes = MAX_DOCUMENT_BYTES): Promise<DocumentRead> {
  const opened = await openObject(deps, key);
  if (!opened.found) return opened;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of opened.body) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        opened.body.destroy();
        return { found: false, reason: `larger than ${maxBytes} bytes` };
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw storageErrorFrom(error, 'S3 GetObject (body)');
  }
  return { found: true, body: Buffer.concat(chunks) };
}

export type ManifestParse = { ok: true; manifest: Manifest } | { ok: false; reason: string };

export function parseManifest(body: Buffer): ManifestParse {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))].slice(0, 5);
    return { ok: false, reason: `unexpected shape at ${paths.join(', ')}` };
  }
  return { ok: true, manifest: parsed.data as unknown as Manifest };
}

/** Every key under `prefix`, sorted (the archive's own S3 adapter does the paging). */
export function listKeys(deps: AuditDeps, prefix: string): Promise<string[]> {
  return createS3Store({ client: deps.s3, bucket: deps.bucket }).listKeys(prefix);
}
