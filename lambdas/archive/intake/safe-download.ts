/**
 * Downloads of provider image links (KYC imagesFull...) as byte streams, safe against SSRF: every URL and redirect
 * hop is checked against the policy, and the connection itself can only reach addresses that passed the address
 * check (DNS-rebinding-safe: the checked address is the one handed to the socket). Nothing is buffered beyond the
 * first chunks needed to recognize the image type. What turns out not to be an image it claims (or any image) is
 * still delivered, marked for quarantine: the archive keeps evidence, it does not judge it away.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, fetch, type Response } from 'undici';
import { ArchiverError, ConfigurationError } from '../../common/errors';
import { isAddressAllowed } from './addresses';
import { DownloadFailedError, DownloadRefusedError, ImageGoneError, ImageRejectedError } from './errors';
import type { ImageRejectedReason } from './errors';
import { IMAGE_MEDIA_TYPES, SNIFF_BYTES, imageTypeOf, sniffImageType, type ImageMediaType } from './image-types';
import { assertUrlAllowed, hostnameOf, type DownloadPolicy } from './url-policy';

export { isForbiddenAddress } from './addresses';
export { assertUrlAllowed, type DownloadPolicy } from './url-policy';

export interface ImageDownload {
  /**
   * The byte stream, first bytes already matched against the magic of `mediaType`; errors if it exceeds its cap
   * (ImageRejectedError 'too-large': maxBytes, or quarantineMaxBytes when quarantined) or the timeout while being
   * read, or when the connection breaks (then it errors with DownloadFailedError).
   */
  body: Readable;
  /** The image type its bytes prove; absent when quarantined. */
  mediaType?: ImageMediaType;
  /** Why these bytes are not stored as an image: keep them as received, in quarantine. */
  quarantine?: ImageRejectedReason;
  contentLength?: number;
  /**
   * The Content-Encoding the host sent although identity was asked (e.g. `gzip`): fetch decodes it, so `body` holds
   * the decoded bytes (the image itself) and the caps count those; the caller records that the host encoded it.
   */
  receivedEncoding?: string;
  /** Host the bytes finally came from (after redirects) — safe to record; never the full URL (may carry tokens). */
  host: string;
}

type Lookup = NonNullable<DownloadPolicy['lookup']>;
type Reader = ReadableStreamDefaultReader<Uint8Array>;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ACCEPT = [...IMAGE_MEDIA_TYPES, '*/*;q=0.1'].join(', ');
/** setTimeout fires at once for longer delays. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Opens a download of one image. Resolves once the status, headers and first bytes are checked; the returned body
 * must then be consumed (or destroyed). The timeout covers everything, body included. Throws (and the body errors
 * with) only the intake errors: DownloadRefusedError, ImageRejectedError (only 'too-large' and 'empty': nothing is
 * refused for its type), ImageGoneError, DownloadFailedError (ConfigurationError for an invalid policy).
 *
 * Quarantine: a Content-Type that is not an image, bytes that match no image format or not the one declared, or a
 * Content-Length over maxBytes (up to quarantineMaxBytes) deliver the body marked `quarantine`. `options.quarantine`
 * asks for that up front (e.g. after an image without Content-Length overran maxBytes).
 *
 * Statuses: 200 is the image; 301/302/303/307/308 are followed up to maxRedirects, each hop re-checked; 404, 410 and
 * the other 4xx except 408/429 are final (ImageGoneError: the image window passed or the signed link expired);
 * 408, 429 and 5xx are transient (DownloadFailedError); anything else is treated as transient too.
 */
export async function openImageDownload(
  url: string,
  policy: DownloadPolicy,
  options: { signal?: AbortSignal; quarantine?: ImageRejectedReason } = {},
): Promise<ImageDownload> {
  const { signal } = options;
  assertPolicyValid(policy);
  let current = assertUrlAllowed(url, policy);
  if (signal?.aborted) throw new DownloadFailedError(hostnameOf(current), 'aborted by the caller');

  // One Agent per download: its lookup carries this policy, and closing it leaves no socket behind.
  const agent = new Agent({ connect: { lookup: guardedLookup(policy), timeout: policy.timeoutMs } });
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, policy.timeoutMs);
  const onCallerAbort = () => controller.abort();
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  const abortError = () =>
    new DownloadFailedError(hostnameOf(current), timedOut ? 'timed out' : 'aborted by the caller');
  const release = (graceful: boolean) => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
    (graceful ? agent.close() : agent.destroy()).catch(() => {});
  };

  let reader: Reader | undefined;
  try {
    let response: Response;
    for (let redirects = 0; ; redirects++) {
      response = await fetch(current, {
        method: 'GET',
        redirect: 'manual',
        // identity asked; a host may encode anyway, and fetch then decodes (gzip, deflate, br): maxBytes and the
        // quarantine ceiling count decoded bytes, so a small encoded bomb still stops at the cap. See receivedEncoding.
        headers: { accept: ACCEPT, 'accept-encoding': 'identity' },
        signal: controller.signal,
        dispatcher: agent,
      });
      if (response.status === 200) break;
      await discard(response);
      const host = hostnameOf(current);
      if (!REDIRECT_STATUSES.has(response.status)) throw statusError(host, response.status);
      const location = response.headers.get('location');
      if (!location) throw new DownloadRefusedError('redirect-without-location', host);
      if (redirects >= policy.maxRedirects) throw new DownloadRefusedError('too-many-redirects', host);
      current = assertUrlAllowed(resolveLocation(location, current, host), policy);
    }

    const host = hostnameOf(current);
    const ceiling = Math.max(policy.maxBytes, policy.quarantineMaxBytes ?? 0);
    const declared = declaredType(response.headers.get('content-type'));
    let quarantine = options.quarantine ?? (declared === 'not-an-image' ? 'content-type-not-allowed' : undefined);
    const receivedEncoding = encodingOf(response.headers.get('content-encoding'));
    // An encoded Content-Length counts encoded bytes: it says nothing about the decoded size the caps apply to.
    const contentLength = receivedEncoding ? undefined : parseContentLength(response.headers.get('content-length'));
    if (contentLength !== undefined && contentLength > ceiling) throw new ImageRejectedError('too-large', host);
    if (contentLength !== undefined && contentLength > policy.maxBytes) quarantine ??= 'too-large';
    if (!response.body) throw new ImageRejectedError('empty', host);

    reader = response.body.getReader();
    const head = await readHead(reader, ceiling, host);
    const sniffed = sniffImageType(Buffer.concat(head.chunks));
    if (!sniffed) quarantine ??= declared ? 'magic-mismatch' : 'unknown-format';
    else if (declared && declared !== sniffed) quarantine ??= 'magic-mismatch';

    if (head.received > policy.maxBytes) quarantine ??= 'too-large';
    const maxBytes = quarantine ? ceiling : policy.maxBytes;
    const body = verifiedBody({ ...head, reader, maxBytes, host, signal: controller.signal, abortError, release });
    return {
      body,
      host,
      ...(quarantine ? { quarantine } : { mediaType: sniffed! }),
      ...(contentLength !== undefined ? { contentLength } : {}),
      ...(receivedEncoding ? { receivedEncoding } : {}),
    };
  } catch (error) {
    reader?.cancel().catch(() => {});
    release(false);
    throw downloadError(error, hostnameOf(current), controller.signal.aborted ? abortError : undefined);
  }
}

/**
 * A `lookup` for the Agent's sockets: resolves the name, refuses the connection if ANY address is not allowed
 * (a name that resolves to one public and one internal address is not trusted), and hands the socket exactly the
 * addresses it checked. IP-literal hosts never reach a lookup; assertUrlAllowed checks those.
 */
function guardedLookup(policy: Pick<DownloadPolicy, 'lookup' | 'allowPrivateAddresses'>): LookupFunction {
  const resolve: Lookup = policy.lookup ?? defaultLookup;
  return (hostname, options, callback) => {
    const checked = async () => {
      const resolved = await resolve(hostname);
      const addresses = (Array.isArray(resolved) ? resolved : []).map(({ address }) => ({
        address: String(address),
        family: isIP(String(address)),
      }));
      if (addresses.some(({ address }) => !isAddressAllowed(address, policy.allowPrivateAddresses))) {
        throw new DownloadRefusedError('forbidden-address', hostname);
      }
      const family = options.family === 4 || options.family === 6 ? options.family : undefined;
      const wanted = family ? addresses.filter((a) => a.family === family) : addresses;
      if (wanted.length === 0) {
        throw Object.assign(new Error(`no usable address for ${hostname}`), { code: 'ENOTFOUND' });
      }
      return wanted;
    };
    checked().then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

async function defaultLookup(hostname: string): Promise<Array<{ address: string; family: 4 | 6 }>> {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

function assertPolicyValid(policy: DownloadPolicy): void {
  const valid =
    Array.isArray(policy.allowedHosts) &&
    Array.isArray(policy.allowHttpHosts) &&
    Number.isSafeInteger(policy.maxBytes) &&
    policy.maxBytes >= 0 &&
    policy.timeoutMs > 0 &&
    policy.timeoutMs <= MAX_TIMER_MS &&
    Number.isSafeInteger(policy.maxRedirects) &&
    policy.maxRedirects >= 0;
  if (!valid) throw new ConfigurationError('download policy: invalid hosts, maxBytes, timeoutMs or maxRedirects');
}

/** The Content-Encoding header's codings other than identity, lower case (`gzip`, `br, gzip`), or undefined. */
function encodingOf(header: string | null): string | undefined {
  const codings = (header ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  return codings.length > 0 ? codings.join(', ').slice(0, 64) : undefined;
}

function resolveLocation(location: string, base: URL, host: string): string {
  try {
    return new URL(location, base).href;
  } catch {
    throw new DownloadRefusedError('bad-url', host);
  }
}

function statusError(host: string, status: number): ArchiverError {
  if (status === 408 || status === 429 || status >= 500) {
    return new DownloadFailedError(host, 'transient status', { status });
  }
  if (status >= 400) return new ImageGoneError(host, status);
  return new DownloadFailedError(host, 'unexpected status', { status });
}

/** The image type the header declares; undefined when it leaves it to the magic bytes; 'not-an-image' otherwise. */
function declaredType(contentType: string | null): ImageMediaType | 'not-an-image' | undefined {
  const essence = contentType?.split(';', 1)[0]!.trim().toLowerCase() ?? '';
  if (essence === '' || essence === 'application/octet-stream' || essence === 'binary/octet-stream') return undefined;
  return imageTypeOf(essence) ?? 'not-an-image';
}

function parseContentLength(value: string | null): number | undefined {
  if (value === null || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Reads until SNIFF_BYTES are seen (or the body ends), within the size cap. */
async function readHead(
  reader: Reader,
  maxBytes: number,
  host: string,
): Promise<{ chunks: Uint8Array[]; received: number; ended: boolean }> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  while (received < SNIFF_BYTES) {
    const { done, value } = await reader.read();
    if (done) {
      if (received === 0) throw new ImageRejectedError('empty', host);
      return { chunks, received, ended: true };
    }
    received += value.byteLength;
    if (received > maxBytes) throw new ImageRejectedError('too-large', host);
    chunks.push(value);
  }
  return { chunks, received, ended: false };
}

interface BodyOptions {
  chunks: Uint8Array[];
  received: number;
  ended: boolean;
  reader: Reader;
  maxBytes: number;
  host: string;
  signal: AbortSignal;
  abortError: () => DownloadFailedError;
  release: (graceful: boolean) => void;
}

/**
 * The rest of the body as a Node stream, pulled chunk by chunk (backpressure reaches the socket): the head chunks
 * first, then the reader's, counting bytes against maxBytes. A timeout or caller abort errors it; when nobody
 * listens for errors any more (an abandoned stream), it is only torn down, so a late timeout cannot crash the process.
 */
function verifiedBody(options: BodyOptions): Readable {
  const { reader, maxBytes, host, signal } = options;
  const pending = [...options.chunks];
  let received = options.received;
  let ended = options.ended;
  let reading = false;

  const pull = () => {
    reading = true;
    reader.read().then(
      ({ done, value }) => {
        reading = false;
        if (body.destroyed) return;
        if (done) {
          ended = true;
          body.push(null);
          return;
        }
        received += value.byteLength;
        if (received > maxBytes) {
          body.destroy(new ImageRejectedError('too-large', host));
        } else if (value.byteLength === 0) {
          pull();
        } else {
          body.push(value);
        }
      },
      (error: unknown) => {
        reading = false;
        if (!body.destroyed) body.destroy(downloadError(error, host, signal.aborted ? options.abortError : undefined));
      },
    );
  };

  const onAbort = () => {
    if (body.listenerCount('error') > 0) body.destroy(options.abortError());
    else body.destroy();
  };

  const body = new Readable({
    read() {
      while (pending.length > 0) {
        if (!this.push(pending.shift())) return;
      }
      if (ended) this.push(null);
      else if (!reading) pull();
    },
    destroy(error, callback) {
      signal.removeEventListener('abort', onAbort);
      if (!ended) reader.cancel().catch(() => {});
      options.release(error === null && ended);
      callback(error);
    },
  });
  signal.addEventListener('abort', onAbort, { once: true });
  return body;
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

/**
 * Maps anything thrown while downloading to an intake error. A refusal raised by the guarded lookup arrives wrapped
 * in undici's `TypeError: fetch failed`; transport errors become DownloadFailedError with their code only.
 */
function downloadError(error: unknown, host: string, aborted?: () => DownloadFailedError): ArchiverError {
  if (error instanceof ArchiverError) return error;
  const refused = causes(error).find((e): e is DownloadRefusedError => e instanceof DownloadRefusedError);
  if (refused) return refused;
  if (aborted) return aborted();
  const code = causes(error)
    .map((e) => (e as { code?: unknown } | null)?.code)
    .find((c): c is string => typeof c === 'string');
  return new DownloadFailedError(host, 'connection failed', code === undefined ? {} : { code });
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 8; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
  }
  return chain;
}
