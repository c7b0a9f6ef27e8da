/**
 * Presigned GET URLs for archived objects, signed by the S3 client's own SigV4 signer: the command runs through the
 * client's middleware (endpoint, path style, bucket addressing) and is stopped just before signing, where the
 * request is presigned instead of sent. Only `host` is signed, so any HTTP client can fetch the URL.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { IMAGE_MEDIA_TYPES } from '../archive/intake/image-types';

/** Short-lived by default: the URL is a bearer credential for the image. */
export const DEFAULT_URL_EXPIRY_SECONDS = 300;
export const MAX_URL_EXPIRY_SECONDS = 3_600;

interface SignableRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

interface Presigner {
  presign(request: SignableRequest, options: { expiresIn: number; signingRegion?: string; signingService?: string }): Promise<SignableRequest>;
}

const INTERCEPT = 'auditPresignInterceptMiddleware';

/** Expiry clamped to 1 s … MAX_URL_EXPIRY_SECONDS. */
export function urlExpiryOf(expiresIn: number): number {
  return Math.min(MAX_URL_EXPIRY_SECONDS, Math.max(1, Math.floor(expiresIn)));
}

/**
 * How S3 serves the object, signed into the URL (response-content-type, response-content-disposition). Every URL is
 * an attachment with a type the archive chose, never the one the object was stored with: a polyglot (an image with
 * HTML after its magic bytes, a quarantined item that is HTML) is never rendered inline when the URL is opened. An
 * <img> still shows an image; a browser ignores the disposition for embedded images.
 */
export interface ServeAs {
  /** The type the archive recorded; anything but a recognized image or JSON is served as application/octet-stream. */
  contentType?: string;
  /** The download's file name, reduced to characters that need no quoting. @default - none */
  fileName?: string;
}

const SERVED_TYPES = new Set<string>([...IMAGE_MEDIA_TYPES, 'application/json']);

/** The type an URL serves: the recorded one if it is an image type or JSON, else octet-stream. */
export function servedTypeOf(contentType: string | undefined): string {
  const essence = contentType?.split(';')[0]?.trim().toLowerCase();
  return essence && SERVED_TYPES.has(essence) ? essence : 'application/octet-stream';
}

export async function presignGetObject(
  client: S3Client,
  bucket: string,
  key: string,
  expiresIn = DEFAULT_URL_EXPIRY_SECONDS,
  serveAs: ServeAs = {},
): Promise<string> {
  const seconds = urlExpiryOf(expiresIn);
  const signer = (await (client.config as unknown as { signer: () => Promise<Presigner> }).signer()) as Presigner;
  const region = await client.config.region();
  const command = new GetObjectCommand({
    Bucket: bucket,
    Key: key,
    ResponseContentDisposition: attachment(serveAs.fileName),
    ResponseContentType: servedTypeOf(serveAs.contentType),
  });
  const stack = client.middlewareStack.clone();
  stack.addRelativeTo(
    ((_next: unknown) => async (args: { request: SignableRequest }) => {
      const request = args.request;
      const host = request.headers.host ?? `${request.hostname}${request.port ? `:${request.port}` : ''}`;
      // Nothing but host is signed: SDK bookkeeping and checksum-mode headers would bind the URL to this client.
      request.headers = { host, 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' };
      const presigned = await signer.presign(request, { expiresIn: seconds, signingRegion: region, signingService: 's3' });
      return { response: {}, output: { $metadata: {}, url: formatUrl(presigned) } };
    }) as never,
    { name: INTERCEPT, relation: 'before', toMiddleware: 'httpSigningMiddleware', override: true },
  );
  const handler = command.resolveMiddleware(stack as never, client.config, {});
  const { output } = (await handler({ input: command.input } as never)) as unknown as { output: { url: string } };
  return output.url;
}

/** `attachment`, with a file name reduced to characters that need no quoting or encoding in the header. */
function attachment(fileName: string | undefined): string {
  const safe = fileName?.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return safe ? `attachment; filename="${safe}"` : 'attachment';
}

function formatUrl(request: SignableRequest): string {
  const port = request.port ? `:${request.port}` : '';
  const query = Object.entries(request.query)
    .flatMap(([name, value]) =>
      value === null ? [escape(name)] : [value].flat().map((v) => `${escape(name)}=${escape(v)}`),
    )
    .join('&');
  return `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`;
}

/** RFC 3986 escaping, as SigV4 canonicalizes query strings. */
function escape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
