/**
 * Benchmark 2 — archive throughput and memory. The servers (s3rver, dynalite, fake providers, a static image host)
 * run here; every measurement runs in a fresh child (bench/archive/client.ts) holding only the archiving code.
 */
import type { ClientInput, LivenessSample, ThroughputSample, UploadVariant } from './archive/client';
import type { RssGrowth } from './archive/peak-rss';
import { runInChild } from './lib/child';
import { startServers } from './lib/servers';
import { median } from './lib/stats';

const MIB = 2 ** 20;

export interface ArchiveOptions {
  /** Sizes of the streamed-vs-bare comparison. */
  throughputMiB: number[];
  repetitions: number;
  variants: UploadVariant[];
  rssImageMiB: number;
  rssRuns: number;
  livenessFrames: number;
  livenessFrameKiB: number;
  livenessRuns: number;
}

export interface ThroughputFigures {
  sizeMiB: number;
  variant: string;
  kind: UploadVariant['kind'];
  partSizeMiB: number;
  queueSize: number;
  streamedMiBps: number;
  bareMiBps: number;
  bareMultipartMiBps: number;
  /** Median of per-repetition streamed/bare throughput ratios (the target: ≥ 0.8). */
  ratio: number;
  /** Median of streamed/bare-multipart ratios: the streaming path's own overhead. */
  ratioToMultipart: number;
  samples: ThroughputSample[];
}

export interface ArchiveResult {
  options: ArchiveOptions;
  throughput: ThroughputFigures[];
  rss: { imageMiB: number; growthMiB: number; runs: Array<RssGrowth & { archivedBytes: number; status: string }>; method: string };
  rssBuffered: { imageMiB: number; growthMiB: number; runs: RssGrowth[] };
  liveness: {
    frames: number;
    frameKiB: number;
    decodedMiB: number;
    engineMs: number;
    fetchMs: number;
    /** Engine time minus the answer's fetch: decode + upload + manifest + record. */
    decodeUploadMs: number;
    bareMs: number;
    engineMiBps: number;
    bareMiBps: number;
    ratio: number;
    /** S3 requests per liveness archive (engine), by command; the bare baseline makes one PutObject per frame. */
    s3Requests: Record<string, number>;
    samples: LivenessSample[];
  };
}

const mib = (bytes: number) => bytes / MIB;

export async function benchmarkArchive(options: ArchiveOptions): Promise<ArchiveResult> {
  const servers = await startServers();
  const { endpoints } = servers;
  try {
    const throughput: ThroughputFigures[] = [];
    for (const sizeMiB of options.throughputMiB) {
      const imagePath = `/bench-${sizeMiB}.jpg`;
      const bytes = await servers.serveImage(imagePath, `bench:${sizeMiB}`, sizeMiB * MIB);
      const input: ClientInput = { mode: 'throughput', endpoints, imagePath, bytes, repetitions: options.repetitions, variants: options.variants };
      const samples = await runInChild<ThroughputSample[]>('../archive/client.ts', input);
      for (const variant of options.variants) {
        const mine = samples.filter((s) => s.variant === variant.name);
        const streamedMs = median(mine.map((s) => s.streamedMs));
        const bareMs = median(mine.map((s) => s.bareMs));
        const bareMultipartMs = median(mine.map((s) => s.bareMultipartMs));
        throughput.push({
          sizeMiB: mib(bytes),
          variant: variant.name,
          kind: variant.kind,
          partSizeMiB: variant.partSize / MIB,
          queueSize: variant.queueSize,
          streamedMiBps: mib(bytes) / (streamedMs / 1000),
          bareMiBps: mib(bytes) / (bareMs / 1000),
          bareMultipartMiBps: mib(bytes) / (bareMultipartMs / 1000),
          ratio: median(mine.map((s) => s.bareMs / s.streamedMs)),
          ratioToMultipart: median(mine.map((s) => s.bareMultipartMs / s.streamedMs)),
          samples: mine,
        });
      }
      await servers.dropImage(imagePath);
      process.stderr.write(`  archive: ${sizeMiB} MiB streamed vs bare done\n`);
    }

    const rssRuns: ArchiveResult['rss']['runs'] = [];
    for (let i = 0; i < options.rssRuns; i++) {
      const warmup = servers.fakeProviders.addCheck({ provider: 'kyc' });
      const big = servers.fakeProviders.addCheck({ provider: 'kyc', faults: { images: [{ task: 0, kind: 'oversized', mib: options.rssImageMiB }] } });
      const input: ClientInput = { mode: 'rss', endpoints, warmupCheckId: warmup.checkId, checkId: big.checkId, imageMiB: options.rssImageMiB };
      rssRuns.push(await runInChild('../archive/client.ts', input, { nodeFlags: ['--expose-gc'] }));
    }
    process.stderr.write(`  archive: ${options.rssImageMiB} MiB RSS runs done\n`);

    const bufferedPath = `/bench-buffered-${options.rssImageMiB}.jpg`;
    await servers.serveImage(bufferedPath, 'bench:buffered', options.rssImageMiB * MIB);
    const bufferedRuns: RssGrowth[] = [];
    for (let i = 0; i < options.rssRuns; i++) {
      bufferedRuns.push(await runInChild('../archive/client.ts', { mode: 'rss-buffered', endpoints, imagePath: bufferedPath } satisfies ClientInput, { nodeFlags: ['--expose-gc'] }));
    }
    await servers.dropImage(bufferedPath);

    const checkIds = Array.from({ length: options.livenessRuns + 1 }, () =>
      servers.fakeProviders.addCheck({ provider: 'liveness', auditFrames: options.livenessFrames - 1, frameBytes: options.livenessFrameKiB * 1024 }).checkId,
    );
    const all = await runInChild<LivenessSample[]>('../archive/client.ts', { mode: 'liveness', endpoints, checkIds } satisfies ClientInput);
    const samples = all.slice(1); // the first one warms up
    const decodedBytes = samples[0]!.decodedBytes;
    const engineMs = median(samples.map((s) => s.engineMs));
    const bareMs = median(samples.map((s) => s.bareMs));
    const fetchMs = median(samples.map((s) => s.fetchMs));
    process.stderr.write('  archive: liveness done\n');

    return {
      options,
      throughput,
      rss: {
        imageMiB: options.rssImageMiB,
        growthMiB: mib(median(rssRuns.map((r) => r.growthBytes))),
        runs: rssRuns,
        method: rssRuns[0]?.method ?? 'none',
      },
      rssBuffered: { imageMiB: options.rssImageMiB, growthMiB: mib(median(bufferedRuns.map((r) => r.growthBytes))), runs: bufferedRuns },
      liveness: {
        frames: samples[0]!.frames,
        frameKiB: options.livenessFrameKiB,
        decodedMiB: mib(decodedBytes),
        engineMs,
        fetchMs,
        decodeUploadMs: median(samples.map((s) => s.engineMs - s.fetchMs)),
        bareMs,
        engineMiBps: mib(decodedBytes) / (engineMs / 1000),
        bareMiBps: mib(decodedBytes) / (bareMs / 1000),
        ratio: median(samples.map((s) => s.bareMs / s.engineMs)),
        s3Requests: samples[0]!.s3Requests,
        samples,
      },
    };
  } finally {
    await servers.close();
  }
}
