/**
 * The archive engine's configuration knobs, validated once at init: limits, which extra KYC links to keep, and the
 * retention policy (overrides merged over the defaults). Everything else in ArchiveDeps is wiring.
 */
import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { parseRetentionPolicy, type RetentionPolicy } from '../records/retention';
import type { ArchiveLimits } from './evidence';
import { KYC_LINK_KINDS, type KycLinkKind } from './keys';

const MIB = 1024 * 1024;

const settingsSchema = z
  .object({
    /** Largest decoded liveness frame. Frames are small JPEGs; a data URI this large is suspicious. */
    maxFrameBytes: z.number().int().min(1024).max(64 * MIB).default(5 * MIB),
    /** Largest KYC image download. */
    maxImageBytes: z.number().int().min(1024).max(1024 * MIB).default(25 * MIB),
    /** Largest item kept in quarantine (not a valid image, or an image over its cap): the hard ceiling per item. */
    quarantineMaxBytes: z.number().int().min(1024).max(1024 * MIB).default(100 * MIB),
    /**
     * Images kept per check (frames, links, check-item images): one answer cannot make us store without bound (under
     * Object Lock nothing stored can be deleted). The rest is recorded as `over-limit` and stays in the answer.
     */
    maxImagesPerCheck: z.number().int().min(1).max(100_000).default(500),
    /** Bytes of images kept per check; once spent, further images are `over-limit`. */
    maxBytesPerCheck: z.number().int().min(MIB).max(64 * 1024 * MIB).default(2 * 1024 * MIB),
    /** Images in flight per archive; memory ≈ concurrency × 2 × 5 MiB of upload buffers. */
    concurrency: z.number().int().min(1).max(16).default(4),
    /** KYC links kept besides imagesFull. */
    kycImageLinks: z.array(z.enum(KYC_LINK_KINDS.filter((kind) => kind !== 'imagesFull') as [KycLinkKind, ...KycLinkKind[]])).default([]),
    /** Retention overrides (object or JSON text), see records/retention.ts. */
    retention: z.unknown().optional(),
  })
  .strict();

/** The numeric limits a deployment may override (cdk.json `archiveLimits`, the archive function's ARCHIVE_LIMITS). */
export const ARCHIVE_LIMIT_KEYS = ['maxFrameBytes', 'maxImageBytes', 'quarantineMaxBytes', 'maxImagesPerCheck', 'maxBytesPerCheck', 'concurrency'] as const;
export type ArchiveLimitOverrides = Partial<Record<(typeof ARCHIVE_LIMIT_KEYS)[number], number>>;

export interface ArchiveSettings {
  limits: ArchiveLimits;
  kycImageLinks: KycLinkKind[];
  retention: RetentionPolicy;
}

/** Validates the knobs; throws ConfigurationError naming the offending paths. */
export function parseArchiveSettings(input: unknown = {}): ArchiveSettings {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new ConfigurationError(`archive settings invalid at: ${paths.join(', ')}`);
  }
  const { maxFrameBytes, maxImageBytes, quarantineMaxBytes, maxImagesPerCheck, maxBytesPerCheck, concurrency, kycImageLinks, retention } = parsed.data;
  return {
    limits: {
      maxFrameBytes,
      maxImageBytes,
      quarantineMaxBytes: Math.max(quarantineMaxBytes, maxFrameBytes, maxImageBytes),
      maxImagesPerCheck,
      maxBytesPerCheck,
      concurrency,
    },
    kycImageLinks: [...new Set(kycImageLinks)],
    retention: parseRetentionPolicy(retention ?? {}),
  };
}
