/**
 * Child side of benchmark 2: the archiving code only (the servers live in the parent). Modes:
 * - throughput: the same bytes from the image host into S3, streamed (openImageDownload → the S3 store's putStream,
 *   what the engine does per KYC image) vs a bare PutObject of the bytes already in memory; alternating, repeated.
 * - rss: peak RSS growth while the engine archives one KYC check whose image is `imageMiB` (fresh process per run).
 * - rss-buffered: the naive alternative for contrast: download the whole image into memory, then PutObject.
 * - liveness: the engine archiving liveness checks (answer fetched, frames decoded and uploaded, manifest, record)
 *   vs a bare PutObject of the same decoded frames at the engine's concurrency.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { archiveCheck } from '../../lambdas/archive/engine';
import { readFrame, openImageDownload, type DownloadPolicy, type ImageDownload } from '../../lambdas/archive/intake';
import { createLimiter } from '../../lambdas/archive/limiter';
import { createS3Store } from '../../lambdas/archive/s3-store';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { BENCH_KEY } from '../lib/identifier-key';
import type { ProviderName } from '../../lambdas/checks/check-status';
import type { WorkflowCheck } from '../../lambdas/checks/workflow-contract';
import { archiveDepsFor, createRequestCounter, s3ClientFor } from '../lib/archive-deps';
import type { Endpoints } from '../lib/servers';
import { measureRssGrowth, type RssGrowth } from './peak-rss';

const MIB = 2 ** 20;

export type ClientInput =
  | { mode: 'throughput'; endpoints: Endpoints; imagePath: string; bytes: number; repetitions: number; variants: UploadVariant[] }
  | { mode: 'rss'; endpoints: Endpoints; warmupCheckId: string; checkId: string; imageMiB: number }
  | { mode: 'rss-buffered'; endpoints: Endpoints; imagePath: string }
  | { mode: 'liveness'; endpoints: Endpoints; checkIds: string[] };

export interface UploadVariant {
  name: string;
  /**
   * multipart: the S3 store's putStream (lib-storage Upload) with this part size and queue — what the engine runs.
   * single-put: measured, not adopted — the download streamed into one PutObject with its Content-Length (no
   * multipart, still constant memory), hashed on the way, then tagged as the store does. On s3rver a PUT whose
   * source is cut mid-stream leaves a partial object; S3's atomic PUT cannot be checked locally.
   */
  kind: 'multipart' | 'single-put';
  partSize: number;
  queueSize: number;
}

export interface ThroughputSample {
  variant: string;
  /** Download → the S3 store's putStream (hash, multipart upload, tagging). */
  streamedMs: number;
  /** One PutObject of the bytes already in memory. */
  bareMs: number;
  /** lib-storage Upload of the bytes already in memory, same part size and queue: the store's multipart cost alone. */
  bareMultipartMs: number;
}

export interface LivenessSample {
  engineMs: number;
  fetchMs: number;
  bareMs: number;
  frames: number;
  decodedBytes: number;
  objects: number;
  /** S3 requests the engine made for this check, by command. */
  s3Requests: Record<string, number>;
}

function workflowCheck(provider: ProviderName, checkId: string): WorkflowCheck {
  return { provider, checkId, checkRef: checkRefOf(BENCH_KEY, provider, checkId), createdAt: new Date().toISOString() };
}

const retention = { retentionClass: 'bench', retainUntil: '2027-01-01T00:00:00.000Z', legalHold: false, erasable: true };

async function throughput(input: Extract<ClientInput, { mode: 'throughput' }>): Promise<ThroughputSample[]> {
  const { endpoints } = input;
  const s3 = s3ClientFor(endpoints);
  const url = `${endpoints.staticImages}${input.imagePath}`;
  const policy: DownloadPolicy = {
    allowedHosts: ['127.0.0.1'],
    allowHttpHosts: ['127.0.0.1'],
    allowPrivateAddresses: true,
    maxBytes: input.bytes + MIB,
    timeoutMs: 120_000,
    maxRedirects: 0,
  };
  // The bytes for the bare PutObject, fetched once, outside the timings.
  const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
  if (bytes.length !== input.bytes) throw new Error(`image host served ${bytes.length} bytes, expected ${input.bytes}`);
  const samples: ThroughputSample[] = [];
  let n = 0;
  const streamed = async (variant: UploadVariant) => {
    const store = createS3Store({ client: s3, bucket: endpoints.bucket, partSize: variant.partSize, queueSize: variant.queueSize });
    const key = `bench/streamed/${variant.name}/${n++}.jpg`;
    const started = performance.now();
    const download = await openImageDownload(url, policy);
    const bytes = variant.kind === 'multipart'
      ? (await store.putStream(key, download.body, { contentType: download.mediaType ?? 'application/octet-stream', retention })).bytes
      : await singlePut(s3, endpoints.bucket, key, download);
    if (bytes !== input.bytes) throw new Error('streamed object has the wrong size');
    return performance.now() - started;
  };
  const bare = async () => {
    const started = performance.now();
    await s3.send(new PutObjectCommand({ Bucket: endpoints.bucket, Key: `bench/bare/${n++}.jpg`, Body: bytes, ContentType: 'image/jpeg' }));
    return performance.now() - started;
  };
  const bareMultipart = async (variant: UploadVariant) => {
    if (variant.kind !== 'multipart') return Number.NaN;
    const started = performance.now();
    const params = { Bucket: endpoints.bucket, Key: `bench/multipart/${variant.name}/${n++}.jpg`, Body: bytes, ContentType: 'image/jpeg' };
    await new Upload({ client: s3, params, partSize: variant.partSize, queueSize: variant.queueSize }).done();
    return performance.now() - started;
  };
  await bare(); // warm-up: connections, code paths
  for (const variant of input.variants) {
    await streamed(variant);
    await bareMultipart(variant);
  }
  for (let i = 0; i < input.repetitions; i++) {
    for (const variant of input.variants) {
      // Rotate the order so no side always runs on a warmer (or fuller) s3rver.
      const runs = [() => streamed(variant), bare, () => bareMultipart(variant)];
      const times: number[] = [];
      for (let k = 0; k < runs.length; k++) {
        const index = (k + i) % runs.length;
        times[index] = await runs[index]!();
      }
      samples.push({ variant: variant.name, streamedMs: times[0]!, bareMs: times[1]!, bareMultipartMs: times[2]! });
    }
  }
  s3.destroy();
  return samples;
}

/** The single-put alternative: one streamed PutObject of known length, sha256 computed on the way, then tagged. */
async function singlePut(s3: S3Client, bucket: string, key: string, download: ImageDownload): Promise<number> {
  if (download.contentLength === undefined) throw new Error('single-put needs a Content-Length');
  const hash = createHash('sha256');
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const piping = pipeline(download.body, counted);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: counted, ContentLength: download.contentLength, ContentType: download.mediaType }));
  await piping;
  await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [{ Key: 'sha256', Value: hash.digest('hex') }] } }));
  return bytes;
}

async function rss(input: Extract<ClientInput, { mode: 'rss' }>): Promise<RssGrowth & { archivedBytes: number; status: string }> {
  const deps = archiveDepsFor(input.endpoints, 'kyc', { maxImageBytes: (input.imageMiB + 16) * MIB });
  // Warm-up on a small check: modules, clients and sockets exist before the baseline is taken.
  await archiveCheck(deps, workflowCheck('kyc', input.warmupCheckId));
  let output: Awaited<ReturnType<typeof archiveCheck>> | undefined;
  const growth = await measureRssGrowth(async () => {
    output = await archiveCheck(deps, workflowCheck('kyc', input.checkId));
  });
  return { ...growth, archivedBytes: output?.bytes ?? 0, status: output?.status ?? 'none' };
}

async function rssBuffered(input: Extract<ClientInput, { mode: 'rss-buffered' }>): Promise<RssGrowth> {
  const s3 = s3ClientFor(input.endpoints);
  const url = `${input.endpoints.staticImages}${input.imagePath}`;
  await s3.send(new PutObjectCommand({ Bucket: input.endpoints.bucket, Key: 'bench/buffered/warmup', Body: Buffer.alloc(1024) }));
  return measureRssGrowth(async () => {
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    await s3.send(new PutObjectCommand({ Bucket: input.endpoints.bucket, Key: 'bench/buffered/image.jpg', Body: body, ContentType: 'image/jpeg' }));
  });
}

async function liveness(input: Extract<ClientInput, { mode: 'liveness' }>): Promise<LivenessSample[]> {
  const s3Counter = createRequestCounter();
  const deps = archiveDepsFor(input.endpoints, 'liveness', { s3Counter });
  const s3 = s3ClientFor(input.endpoints);
  const samples: LivenessSample[] = [];
  for (const [i, checkId] of input.checkIds.entries()) {
    const check = workflowCheck('liveness', checkId);
    // Untimed first request: the fake provider renders the frames once per check.
    const status = await deps.client.getStatus({ provider: 'liveness', checkId });
    // The answer alone (request, JSON parse, schema): the part of the engine's time the bare baseline does not do.
    const fetchStarted = performance.now();
    await deps.client.getStatus({ provider: 'liveness', checkId });
    const fetchMs = performance.now() - fetchStarted;
    if (status.kind !== 'complete') throw new Error(`liveness check answered ${status.kind}`);
    const result = (status.result as { result?: { image?: string; audit_images?: Array<string | { image: string }> } }).result ?? {};
    const uris = [result.image, ...(result.audit_images ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.image))].filter(
      (uri): uri is string => typeof uri === 'string',
    );
    const decoded = uris.map((uri) => {
      const frame = readFrame(uri, { maxBytes: deps.limits.maxFrameBytes, ceilingBytes: deps.limits.quarantineMaxBytes });
      if (frame.kind !== 'image') throw new Error(`liveness frame not an image: ${frame.kind}`);
      return frame;
    });

    s3Counter.reset();
    const engineStarted = performance.now();
    const output = await archiveCheck(deps, check);
    const engineMs = performance.now() - engineStarted;

    const limit = createLimiter(deps.limits.concurrency);
    const bareStarted = performance.now();
    await Promise.all(
      decoded.map((image, frame) =>
        limit(() => s3.send(new PutObjectCommand({ Bucket: input.endpoints.bucket, Key: `bench/bare-frames/${i}/${frame}`, Body: image.bytes, ContentType: image.mediaType }))),
      ),
    );
    const bareMs = performance.now() - bareStarted;
    samples.push({ engineMs, fetchMs, bareMs, frames: decoded.length, decodedBytes: decoded.reduce((sum, d) => sum + d.bytes.length, 0), objects: output.objects, s3Requests: { ...s3Counter.counts } });
  }
  s3.destroy();
  return samples;
}

export async function run(input: ClientInput): Promise<unknown> {
  switch (input.mode) {
    case 'throughput':
      return throughput(input);
    case 'rss':
      return rss(input);
    case 'rss-buffered':
      return rssBuffered(input);
    case 'liveness':
      return liveness(input);
  }
}
