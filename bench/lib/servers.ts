/**
 * The protocol peers the archive benchmarks talk to, started in the parent process so the measured child holds
 * only the archiving code: s3rver + dynalite (local/emulators.ts), the fake providers and a static image host
 * in a process of its own, serving generated JPEGs from memory (the cheapest possible source, so a download→S3 figure
 * measures our side).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulators, type Emulators } from '../../local/emulators';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers';
import { startImageHost } from './image-host';

export interface Endpoints {
  s3: string;
  dynamo: string;
  bucket: string;
  table: string;
  providers: string;
  staticImages: string;
}

export interface Servers {
  /** Where s3rver and dynalite keep their data. */
  dataDir: string;
  endpoints: Endpoints;
  emulators: Emulators;
  fakeProviders: FakeProviders;
  /** Serves a JPEG of at least `bytes` at `${endpoints.staticImages}${path}`; resolves to its exact size. */
  serveImage(path: string, seed: string, bytes: number): Promise<number>;
  dropImage(path: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * s3rver keeps objects as files: on tmpfs (/dev/shm) when the machine has one, so the figures are not those of the
 * disk's writeback (S3 is not a local disk either); removed on close.
 */
export async function startServers(): Promise<Servers> {
  const dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'audit-archiver-bench-'));
  const emulators = await startEmulators({ dataDir, bucketName: 'bench-archive', tableName: 'bench-records' });
  const fakeProviders = await startFakeProviders({});
  const imageHost = await startImageHost();
  return {
    dataDir,
    endpoints: {
      s3: emulators.s3Endpoint,
      dynamo: emulators.dynamoEndpoint,
      bucket: emulators.bucketName,
      table: emulators.tableName,
      providers: fakeProviders.baseUrl,
      staticImages: imageHost.origin,
    },
    emulators,
    fakeProviders,
    serveImage: (path, seed, bytes) => imageHost.serve(path, seed, bytes),
    dropImage: (path) => imageHost.drop(path),
    async close() {
      await imageHost.close();
      await fakeProviders.close();
      await emulators.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
