/**
 * The guards local mode cannot show end to end. Local mode must let the archiver reach the fake providers on loopback
 * (DOWNLOAD_ALLOW_PRIVATE_ADDRESSES=true), so the private-address refusal is shown here with the deployed policy
 * (allowPrivateAddresses false) and an injected DNS lookup; and the deployed timeouts (10 s per answer, 30 s per
 * image) are too long to wait for in a test, so the same code paths run here with short ones — against the real fake
 * providers, s3rver and dynalite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck } from '../../lambdas/archive/engine';
import { DownloadRefusedError, openImageDownload, type DownloadPolicy } from '../../lambdas/archive/intake';
import { ProviderUnavailableError } from '../../lambdas/common/errors';
import { pollCheck } from '../../lambdas/polling/poll-check';
import { DEFAULT_POLLING_POLICY } from '../../lambdas/polling/polling-policy';
import { createProviderClient } from '../../lambdas/providers';
import { startEmulators, type Emulators } from '../../local/emulators';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers';
import { checkInvariants } from '../../local/invariants';
import { harness, loopbackPolicy, makeCheck } from '../support/archive-harness';
import { staticCredentials } from '../lambdas/providers/support/helpers';

let fake: FakeProviders;
let emulators: Emulators;
beforeAll(async () => {
  [fake, emulators] = await Promise.all([startFakeProviders(), startEmulators()]);
});
afterAll(async () => {
  await Promise.all([fake?.close(), emulators?.close()]);
});

const credentials = () =>
  staticCredentials({ liveness: fake.credentials.livenessApiKey, kyc: fake.credentials.kycJwt, verification: fake.credentials.verificationApiKey });

/** What the stack deploys: https only, default ports, allowlisted hosts, no internal addresses. */
function deployedPolicy(overrides: Partial<DownloadPolicy> = {}): DownloadPolicy {
  return { allowedHosts: ['kyc.provider.example'], allowHttpHosts: [], allowPrivateAddresses: false, maxBytes: 25 * 1024 * 1024, timeoutMs: 5_000, maxRedirects: 3, ...overrides };
}

/** The URL of a real image the fake KYC provider serves (on 127.0.0.1). */
async function kycImageUrl(): Promise<string> {
  const { checkId } = fake.addCheck({ provider: 'kyc' });
  const response = await fetch(`${fake.baseUrl}/kyc/session/status`, {
    method: 'POST',
    headers: { token: fake.credentials.kycJwt, 'content-type': 'application/json' },
    body: JSON.stringify({ sessionId: checkId }),
  });
  const session = (await response.json()) as { results: Array<{ imagesFull?: string[] }> };
  return session.results[0]!.imagesFull![0]!;
}

describe('the deployed download policy never connects to an internal address', () => {
  it.each([
    ['the Lambda runtime API', 'https://127.0.0.1:9001/2018-06-01/runtime/invocation/next'],
    ['the instance metadata service', 'https://169.254.169.254/latest/meta-data/iam/security-credentials/'],
    ['a 10.0.0.0/8 address', 'https://10.0.0.8/images/passport.jpg'],
    ['a 10.0.0.0/8 address as IPv4-mapped IPv6', 'https://[::ffff:10.20.30.40]/x.jpg'],
    ['IPv6 loopback', 'https://[::1]/x.jpg'],
  ])('%s, even when its host is on the allowlist: forbidden-address, no lookup, no connection', async (_, url) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const lookups: string[] = [];
    const policy = deployedPolicy({ allowedHosts: [host], lookup: async (name) => (lookups.push(name), []) });
    const error = await openImageDownload(url, policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadRefusedError);
    expect((error as DownloadRefusedError).rule).toBe('forbidden-address');
    expect(lookups).toEqual([]);
  });

  it('an allowlisted hostname that resolves to loopback: refused at connect time; the same URL loads once private addresses are allowed', async () => {
    // A real image on the fake provider, addressed by a name the injected DNS resolves to 127.0.0.1.
    const url = (await kycImageUrl()).replace('127.0.0.1', 'images.kyc.example');
    const policy = deployedPolicy({
      allowedHosts: ['images.kyc.example'],
      allowHttpHosts: ['images.kyc.example'], // plain http and the fake's port; the address check stays on
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const imagesBefore = fake.stats().requests.images;
    const error = await openImageDownload(url, policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadRefusedError);
    expect((error as DownloadRefusedError).rule).toBe('forbidden-address');
    expect(fake.stats().requests.images).toBe(imagesBefore);

    // The control: local mode's switch lets the very same request through, so the refusal is what stopped it.
    const download = await openImageDownload(url, { ...policy, allowPrivateAddresses: true });
    const chunks: Buffer[] = [];
    for await (const chunk of download.body) chunks.push(chunk as Buffer);
    expect(download.mediaType).toBe('image/jpeg');
    expect(fake.stats().requests.images).toBe(imagesBefore + 1);
  });

  it('a name that resolves to one public and one private address is not trusted (DNS rebinding)', async () => {
    const policy = deployedPolicy({ lookup: async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.8', family: 4 }] });
    const error = await openImageDownload('https://kyc.provider.example/images/x.jpg', policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadRefusedError);
    expect((error as DownloadRefusedError).rule).toBe('forbidden-address');
  });
});

describe('timeouts, with short limits on the real code paths', () => {
  it('a provider slower than the client timeout: ProviderUnavailableError, absorbed into the poll backoff', async () => {
    const { checkId } = fake.addCheck({ provider: 'verification', faults: { delayMs: 1_000 } });
    const client = createProviderClient('verification', { baseUrl: fake.baseUrl, credentials: credentials(), timeoutMs: 150 });
    await expect(client.getStatus({ provider: 'verification', checkId })).rejects.toBeInstanceOf(ProviderUnavailableError);

    const check = makeCheck('verification', { checkId });
    const next = await pollCheck({ client, policy: DEFAULT_POLLING_POLICY, now: () => new Date() }, { check });
    expect(next).toMatchObject({ state: 'pending', transientErrors: 1 });
    expect(next.waitSeconds).toBeGreaterThan(0);
  });

  it('an image slower than the download timeout: retried, then recorded as missing; the other images archived, invariants hold', async () => {
    const { checkId } = fake.addCheck({ provider: 'kyc', faults: { images: [{ task: 1, kind: 'slow', delayMs: 1_500 }] } });
    const client = createProviderClient('kyc', { baseUrl: fake.baseUrl, credentials: credentials() });
    const h = harness(emulators);
    const check = makeCheck('kyc', { checkId });
    const output = await archiveCheck(h.deps(client, { downloadPolicy: loopbackPolicy({ timeoutMs: 250 }) }), check);
    expect(output.status).toBe('archived-partial');

    const records = [(await h.records.get('kyc', check.checkRef))!];
    expect(records[0]!.imagesMissing).toEqual({ count: 1, reasons: ['download-failed'] });
    const report = await checkInvariants({ s3: h.s3, bucket: emulators.bucketName, records, expected: [{ provider: 'kyc', checkRef: check.checkRef, status: 'archived-partial' }] });
    expect(report.violations).toEqual([]);
    // The document image, the faces task's two compared pairs, the answer and result.json (the manifest lists them all).
    expect(report.objects).toBe(7);
  });
});
