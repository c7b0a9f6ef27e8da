/**
 * The archive function's wiring, built once per execution environment from the variables the stack sets
 * (lib/constructs/workflow-functions.ts) — or local mode sets, with emulator endpoints. Everything is checked here,
 * at init, so a misconfigured function fails before it touches a check.
 */
import { z } from 'zod';
import { assertServed, credentialSourceOf, listEnv, providerBaseUrl, requiredEnv, servedProviders, type Env } from '../common/environment';
import { ConfigurationError } from '../common/errors';
import { createProviderClient } from '../providers';
import type { ProviderClient, ProviderName } from '../checks/check-status';
import { recordDepsFromEnv } from '../records/runtime';
import type { StructuredLogger } from '../common/logger';
import type { ArchiveDeps, RecordDeps } from './engine';
import type { DownloadPolicy } from './intake';
import { createS3Client, createS3Store, type EvidenceStore } from './s3-store';
import { parseArchiveSettings, type ArchiveSettings } from './settings';

/** Per image: enough for a slow CDN, far below the archive function's timeout. */
const DOWNLOAD_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 3;

/** The archive function's needs, per provider (each has its own client and image-host allowlist). */
export function archiveDepsFromEnv(env: Env, logger?: StructuredLogger, hooks: RecordHooks = {}): (provider: ProviderName) => ArchiveDeps {
  const recordDeps = { ...recordDepsFromEnv(env, logger), ...hooks };
  const settings = archiveSettingsFromEnv(env);
  const store = evidenceStoreFromEnv(env);
  const credentials = credentialSourceOf(env);
  const extraHosts = listEnv(env, 'DOWNLOAD_EXTRA_HOSTS').map((host) => host.toLowerCase());
  // Local mode only (the stack never sets these): the fake providers serve images over http on loopback.
  const httpHosts = listEnv(env, 'DOWNLOAD_HTTP_HOSTS').map((host) => host.toLowerCase());
  const allowPrivateAddresses = env.DOWNLOAD_ALLOW_PRIVATE_ADDRESSES === 'true';

  // Only the providers this function serves (PROVIDER): another provider's check is refused, and recorded as failed.
  const served = servedProviders(env);
  const perProvider = new Map<ProviderName, ArchiveDeps>();
  for (const provider of served) {
    const baseUrl = providerBaseUrl(env, provider);
    const client: ProviderClient = createProviderClient(provider, { baseUrl, credentials });
    const downloadPolicy: DownloadPolicy = {
      allowedHosts: [new URL(baseUrl).hostname.toLowerCase().replace(/^\[|\]$/g, ''), ...extraHosts],
      allowHttpHosts: httpHosts,
      allowPrivateAddresses,
      maxBytes: settings.limits.maxImageBytes,
      timeoutMs: DOWNLOAD_TIMEOUT_MS,
      maxRedirects: MAX_REDIRECTS,
    };
    perProvider.set(provider, {
      ...recordDeps,
      client,
      store,
      downloadPolicy,
      limits: settings.limits,
      kycImageLinks: settings.kycImageLinks,
    });
  }
  return (provider) => {
    assertServed(served, provider);
    const deps = perProvider.get(provider);
    if (!deps) throw new ConfigurationError('unknown provider');
    return deps;
  };
}

/**
 * The record function's needs: the table and the retention policy, and the evidence bucket to account for what a
 * failed attempt stored (no provider, no secrets).
 */
export function recordFunctionDepsFromEnv(env: Env, logger?: StructuredLogger, hooks: RecordHooks = {}): RecordDeps {
  return { ...recordDepsFromEnv(env, logger), ...hooks, store: evidenceStoreFromEnv(env) };
}

/** What the handlers are told about (metrics). */
export type RecordHooks = Pick<RecordDeps, 'onShorterRetentionRefused'>;

/** The evidence bucket: BUCKET_NAME, KMS_KEY_ARN (optional), OBJECT_LOCK_MODE, and the S3 endpoint in local mode. */
function evidenceStoreFromEnv(env: Env): EvidenceStore {
  const lockMode = z.enum(['GOVERNANCE', 'COMPLIANCE', 'OFF']).safeParse(env.OBJECT_LOCK_MODE ?? 'OFF');
  if (!lockMode.success) throw new ConfigurationError('environment variable OBJECT_LOCK_MODE must be GOVERNANCE, COMPLIANCE or OFF');
  return createS3Store({
    client: createS3Client({ endpoint: env.AWS_ENDPOINT_URL_S3 }),
    bucket: requiredEnv(env, 'BUCKET_NAME'),
    ...(env.KMS_KEY_ARN ? { kmsKeyId: env.KMS_KEY_ARN } : {}),
    ...(lockMode.data !== 'OFF' ? { objectLock: { mode: lockMode.data } } : {}),
  });
}

/**
 * Limits and KYC links (the retention policy is the record deps'): ARCHIVE_LIMITS (JSON, the limits cdk.json
 * overrides) and KYC_IMAGE_LINKS are the variables read here.
 */
function archiveSettingsFromEnv(env: Env): ArchiveSettings {
  let limits: unknown = {};
  try {
    limits = env.ARCHIVE_LIMITS ? JSON.parse(env.ARCHIVE_LIMITS) : {};
  } catch {
    throw new ConfigurationError('environment variable ARCHIVE_LIMITS is not JSON');
  }
  try {
    return parseArchiveSettings({ ...(limits as object), kycImageLinks: listEnv(env, 'KYC_IMAGE_LINKS') });
  } catch (error) {
    if (error instanceof ConfigurationError) throw new ConfigurationError(`environment variables ARCHIVE_LIMITS or KYC_IMAGE_LINKS invalid: ${error.message}`);
    throw error;
  }
}
