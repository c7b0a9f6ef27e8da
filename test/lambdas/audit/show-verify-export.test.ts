import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExportTargetExistsError,
  VerificationFailedError,
  exportBundle,
  showCheck,
  verifyCheck,
  verifyMany,
  type CheckVerification,
} from '../../../lambdas/audit';
import type { Manifest } from '../../../lambdas/archive/manifest';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { readJson, readObject } from '../../support/archive-harness';
import { buildArchive, type Fixture } from './archive-fixture';
import { readStoredZip } from './zip-reader';

let emulators: Emulators;
let fixture: Fixture;
let outDir: string;
beforeAll(async () => {
  emulators = await startEmulators();
  fixture = await buildArchive(emulators);
  outDir = await mkdtemp(join(tmpdir(), 'issue5-export-'));
});
afterAll(async () => {
  await fixture?.close();
  await emulators?.close();
  await rm(outDir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const prefixOf = (label: string) => fixture.checks[label]!.record.manifestKey!.replace(/manifest\.json$/, '');
const put = async (key: string, body: Buffer): Promise<void> => {
  await fixture.harness.s3.send(new PutObjectCommand({ Bucket: emulators.bucketName, Key: key, Body: body }));
};

/** Runs `change`, then puts every touched key back as it was (or deletes it), whatever the assertions did. */
async function withTampering(keys: string[], change: () => Promise<void>, check: () => Promise<void>): Promise<void> {
  const originals = new Map<string, Buffer | undefined>();
  for (const key of keys) originals.set(key, await readObject(fixture.harness.s3, emulators.bucketName, key).catch(() => undefined));
  try {
    await change();
    await check();
  } finally {
    for (const [key, body] of originals) {
      if (body) await put(key, body);
      else await fixture.harness.s3.send(new DeleteObjectCommand({ Bucket: emulators.bucketName, Key: key }));
    }
  }
}

describe('showCheck', () => {
  it('gives the record, the provider\'s answer and presigned URLs that return exactly the archived images', async () => {
    const { record } = fixture.checks['kyc-success']!;
    const shown = await showCheck(fixture.audit, record, { expiresIn: 120 });
    expect(shown.record).toMatchObject({ provider: 'kyc', checkRef: record.checkRef, status: 'archived', outcome: 'success' });
    expect(shown.record).not.toHaveProperty('pk');
    expect(shown.record).not.toHaveProperty('ttl');
    expect(shown.result).toMatchObject({ status: 'success', clientKey: 'client-e2e-1' });
    const manifest = await readJson<Manifest>(fixture.harness.s3, emulators.bucketName, record.manifestKey!);
    const images = manifest.objects.filter((object) => object.source.kind === 'kyc-image' || object.source.kind === 'kyc-check-image');
    expect(shown.images.map((image) => image.key).sort()).toEqual(images.map((object) => object.key.slice(prefixOf('kyc-success').length)).sort());
    expect(shown.images).toHaveLength(7); // 3 imagesFull and the faces task's 2 compared pairs
    for (const image of shown.images) {
      const response = await fetch(image.url);
      expect(response.status).toBe(200);
      expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(image.sha256);
      expect(new URL(image.url).searchParams.get('X-Amz-Expires')).toBe('120');
    }
    expect(Date.parse(shown.urlsExpireAt!) - Date.now()).toBeGreaterThan(100_000);
    expect(Object.keys(shown.documents).sort()).toEqual(['answer', 'manifest', 'result']);
    // The answer exactly as the provider sent it, one URL away.
    const answer = await fetch(shown.documents.answer!);
    expect(JSON.parse(await answer.text())).toMatchObject({ status: 'success', clientKey: 'client-e2e-1' });
  });

  it('a verification check has its answer and no images', async () => {
    const shown = await showCheck(fixture.audit, fixture.checks.verification!.record);
    expect(shown.images).toEqual([]);
    expect(shown.result).toMatchObject({ status: 'completed', verdict: 'true' });
  });
});

describe('verify', () => {
  it('passes for every check the engine archived: objects, manifests and records agree', async () => {
    const records = Object.values(fixture.checks).map((c) => c.record);
    const summary = await verifyMany(fixture.audit, records);
    expect(summary.failed).toBe(0);
    expect(summary.reports.every((report) => report.problems.length === 0)).toBe(true);
    const liveness = summary.reports.find((r) => r.checkRef === fixture.checks['liveness-passed']!.record.checkRef)!;
    expect(liveness.objectsVerified).toBe(fixture.checks['liveness-passed']!.record.objects);
    expect(liveness.bytesVerified).toBe(fixture.checks['liveness-passed']!.record.bytes);
  });

  it('names an altered image, a deleted one and one the manifest does not list', async () => {
    const prefix = prefixOf('liveness-passed');
    const record = fixture.checks['liveness-passed']!.record;
    await withTampering(
      [`${prefix}frames/001.jpg`, `${prefix}frames/002.jpg`, `${prefix}frames/extra.jpg`],
      async () => {
        const original = await readObject(fixture.harness.s3, emulators.bucketName, `${prefix}frames/001.jpg`);
        const altered = Buffer.from(original);
        altered[altered.length - 3] = altered[altered.length - 3]! ^ 0xff; // one byte, same size
        await put(`${prefix}frames/001.jpg`, altered);
        await fixture.harness.s3.send(new DeleteObjectCommand({ Bucket: emulators.bucketName, Key: `${prefix}frames/002.jpg` }));
        await put(`${prefix}frames/extra.jpg`, Buffer.from('planted'));
      },
      async () => {
        const report = await verifyCheck(fixture.audit, record);
        expect(report.ok).toBe(false);
        expect(report.problems.map((p) => [p.kind, p.key])).toEqual([
          ['object-altered', 'frames/001.jpg'],
          ['object-missing', 'frames/002.jpg'],
          ['object-unexpected', 'frames/extra.jpg'],
        ]);
        expect(report.problems[0]!.detail).toMatch(/^sha256 [0-9a-f]{64} where the manifest has [0-9a-f]{64}$/);
      },
    );
    expect((await verifyCheck(fixture.audit, record)).ok).toBe(true);
  });

  it('catches a manifest rewritten to match an altered object: it no longer agrees with the record', async () => {
    const { record } = fixture.checks['kyc-other']!;
    const prefix = prefixOf('kyc-other');
    const manifest = await readJson<Manifest>(fixture.harness.s3, emulators.bucketName, record.manifestKey!);
    const image = manifest.objects.find((object) => object.source.kind === 'kyc-image')!;
    await withTampering(
      [record.manifestKey!, image.key],
      async () => {
        const forged = Buffer.from('a forged image, longer than the original one was');
        await put(image.key, forged);
        const rewritten = { ...manifest, objects: manifest.objects.map((o) => (o.key === image.key ? { ...o, sha256: sha256(forged), bytes: forged.length } : o)) };
        await put(record.manifestKey!, Buffer.from(`${JSON.stringify(rewritten, null, 2)}\n`));
      },
      async () => {
        const report = await verifyCheck(fixture.audit, record);
        const detailOf = (kind: string) => report.problems.find((p) => p.kind === kind)?.detail;
        expect(report.problems.map((p) => p.kind).sort()).toEqual(['manifest-invalid', 'record-mismatch']);
        expect(detailOf('manifest-invalid')).toContain('sha256 its record anchored');
        expect(detailOf('record-mismatch')).toMatch(/^bytes \(manifest.json included\): record \d+, manifest \d+$/);
      },
    );
    expect(prefix).toMatch(/^[0-9a-f]{2}\/kyc\/[0-9a-f]{32}\/$/);
  });

  it('catches a same-size forgery with a rewritten manifest through the sha256 the record anchored', async () => {
    const { record } = fixture.checks['kyc-other']!;
    const manifest = await readJson<Manifest>(fixture.harness.s3, emulators.bucketName, record.manifestKey!);
    const image = manifest.objects.find((object) => object.source.kind === 'kyc-image')!;
    expect(record.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    await withTampering(
      [record.manifestKey!, image.key],
      async () => {
        const original = await readObject(fixture.harness.s3, emulators.bucketName, image.key);
        const forged = Buffer.from(original);
        forged[forged.length - 3] = forged[forged.length - 3]! ^ 0xff;
        await put(image.key, forged);
        const rewritten = { ...manifest, objects: manifest.objects.map((o) => (o.key === image.key ? { ...o, sha256: sha256(forged) } : o)) };
        // Same length: only the anchor can tell.
        const body = Buffer.from(`${JSON.stringify(rewritten, null, 2)}\n`);
        await put(record.manifestKey!, body);
      },
      async () => {
        const report = await verifyCheck(fixture.audit, record);
        expect(report.problems.map((p) => p.kind)).toEqual(['manifest-invalid']);
      },
    );
  });

  it('reports an unreadable manifest, and never reads keys a manifest lists outside the check folder', async () => {
    const { record } = fixture.checks.verification!;
    const manifest = await readJson<Manifest>(fixture.harness.s3, emulators.bucketName, record.manifestKey!);
    await withTampering(
      [record.manifestKey!],
      () => put(record.manifestKey!, Buffer.from('{ not json')),
      async () =>
        expect((await verifyCheck(fixture.audit, record)).problems).toEqual([
          { kind: 'manifest-invalid', key: 'manifest.json', detail: 'manifest.json does not match the sha256 its record anchored at archive time' },
          { kind: 'manifest-invalid', key: 'manifest.json', detail: 'not valid JSON' },
        ]),
    );
    const outside = { ...manifest, objects: [...manifest.objects, { ...manifest.objects[0]!, key: `${prefixOf('verification')}../../../../kyc/secret.jpg` }] };
    await withTampering(
      [record.manifestKey!],
      () => put(record.manifestKey!, Buffer.from(JSON.stringify(outside))),
      async () => {
        const kinds = (await verifyCheck(fixture.audit, record)).problems.map((p) => p.kind);
        expect(kinds).toContain('object-outside-folder');
        expect(kinds).toContain('record-mismatch');
        const target = join(outDir, 'traversal');
        await expect(exportBundle(fixture.audit, record, target)).rejects.toBeInstanceOf(VerificationFailedError);
        expect(existsSync(target)).toBe(false);
      },
    );
  });
});

describe('exportBundle', () => {
  function checkSums(root: string): void {
    const lines = readFileSync(join(root, 'SHA256SUMS'), 'utf8').trim().split('\n');
    for (const line of lines) {
      const [hash, file] = line.split('  ');
      expect(sha256(readFileSync(join(root, file!))), file).toBe(hash);
    }
    expect(lines.map((line) => line.split('  ')[1]).sort()).toEqual(
      readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name !== 'SHA256SUMS')
        .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
        .sort(),
    );
  }

  it('writes a directory bundle whose evidence is byte for byte the archive, with SHA256SUMS that check out', async () => {
    const { record } = fixture.checks['kyc-success']!;
    const target = join(outDir, 'case-kyc');
    const result = await exportBundle(fixture.audit, record, target);
    expect(result).toMatchObject({ path: target, format: 'directory', report: { ok: true, objectsVerified: record.objects } });
    const manifest = await readJson<Manifest>(fixture.harness.s3, emulators.bucketName, record.manifestKey!);
    const prefix = prefixOf('kyc-success');
    for (const object of manifest.objects) {
      expect(sha256(readFileSync(join(target, 'evidence', object.key.slice(prefix.length))))).toBe(object.sha256);
    }
    expect(readFileSync(join(target, 'evidence', 'manifest.json'))).toEqual(await readObject(fixture.harness.s3, emulators.bucketName, record.manifestKey!));
    const recordJson = JSON.parse(readFileSync(join(target, 'record.json'), 'utf8'));
    expect(recordJson).toMatchObject({ checkRef: record.checkRef, status: 'archived' });
    expect(recordJson).not.toHaveProperty('pk');
    const verification = JSON.parse(readFileSync(join(target, 'VERIFICATION.json'), 'utf8'));
    expect(verification).toMatchObject({ bundleFormat: 1, check: { provider: 'kyc', checkRef: record.checkRef }, verification: { ok: true } });
    checkSums(target);
    expect(readdirSync(outDir).filter((name) => name.includes('.partial-'))).toEqual([]);
    await expect(exportBundle(fixture.audit, record, target)).rejects.toBeInstanceOf(ExportTargetExistsError);
  });

  it('writes the same bundle as a zip when the path ends in .zip', async () => {
    const { record } = fixture.checks['liveness-passed']!;
    const dir = join(outDir, 'case-liveness');
    const zip = join(outDir, 'case-liveness.zip');
    await exportBundle(fixture.audit, record, dir);
    const result = await exportBundle(fixture.audit, record, zip);
    expect(result.format).toBe('zip');
    const entries = readStoredZip(zip);
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect([...entries.keys()].sort()).toEqual(files.map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1)).sort());
    for (const name of ['record.json', 'evidence/manifest.json', 'evidence/frames/000.jpg', 'evidence/result.json']) {
      expect(entries.get(name), name).toEqual(readFileSync(join(dir, name)));
    }
  });

  it('refuses to write a bundle that does not verify, and leaves nothing behind', async () => {
    const { record } = fixture.checks['liveness-failed']!;
    const key = `${prefixOf('liveness-failed')}frames/000.jpg`;
    let report: CheckVerification | undefined;
    await withTampering(
      [key],
      () => put(key, Buffer.from('not the frame')),
      async () => {
        for (const target of [join(outDir, 'refused'), join(outDir, 'refused.zip')]) {
          const error = await exportBundle(fixture.audit, record, target).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(VerificationFailedError);
          expect((error as Error).message).toMatch(/^export refused: the archive of liveness check [0-9a-f]{32} does not verify \(1 problem\)$/);
          report = (error as VerificationFailedError).report;
          expect(existsSync(target)).toBe(false);
        }
      },
    );
    expect(report!.problems).toEqual([{ kind: 'object-altered', key: 'frames/000.jpg', detail: expect.stringContaining('bytes where the manifest has') }]);
    expect(readdirSync(outDir).filter((name) => name.startsWith('refused'))).toEqual([]);
  });
});
