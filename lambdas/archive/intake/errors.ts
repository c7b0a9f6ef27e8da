/**
 * Why an evidence image could not be taken in. Messages carry the host and a rule, reason or status only: never the
 * URL's path or query (KYC image links may embed session ids or signed tokens) and never image bytes.
 */
import { ArchiverError } from '../../common/errors';

/** Why an image is not stored as an image (it is kept in quarantine instead, or, when nothing is left, noted). */
export type ImageRejectedReason =
  | 'not-an-image-value' // neither text nor an object holding image data
  | 'not-a-data-uri' // starts with `data:` but has no header
  | 'media-type-not-allowed' // declares a type that is not an image (SVG, HTML, ...)
  | 'content-type-not-allowed' // a download's Content-Type is not an image
  | 'invalid-base64'
  | 'magic-mismatch' // the bytes are not the image type declared
  | 'unknown-format' // no type declared, and the bytes are no image format we recognize
  | 'too-large'
  | 'empty';

/** The bytes (or their declared type) are not an acceptable image. The same input will be rejected again. */
export class ImageRejectedError extends ArchiverError {
  override readonly name = 'ImageRejectedError';
  readonly retryable = false;
  constructor(
    readonly reason: ImageRejectedReason,
    readonly host?: string,
  ) {
    super(host === undefined ? `image rejected: ${reason}` : `image from ${host} rejected: ${reason}`);
  }
}

export type DownloadRefusedRule =
  | 'scheme'
  | 'host-not-allowed'
  | 'credentials-in-url'
  | 'forbidden-address'
  | 'too-many-redirects'
  | 'bad-url'
  | 'redirect-without-location'
  /** A non-default port on a host that is not a local-mode (allowHttpHosts) host. */
  | 'port-not-allowed';

/** The download policy forbids fetching this URL (or a redirect hop of it). Nothing was, or will be, fetched. */
export class DownloadRefusedError extends ArchiverError {
  override readonly name = 'DownloadRefusedError';
  readonly retryable = false;
  constructor(
    readonly rule: DownloadRefusedRule,
    readonly host?: string,
  ) {
    super(host === undefined ? `download refused: ${rule}` : `download from ${host} refused: ${rule}`);
  }
}

/**
 * The image host will not serve this image any more: 404/410 (the provider's image window passed) and the other
 * final 4xx answers (401/403 of an expired signed link, 400...), which a retry will not change.
 */
export class ImageGoneError extends ArchiverError {
  override readonly name = 'ImageGoneError';
  readonly retryable = false;
  constructor(
    readonly host: string,
    readonly status: number,
  ) {
    super(`image at ${host} is gone: HTTP ${status}`);
  }
}

/** A transient failure: 5xx, 429, 408, timeouts, connection errors, resets and truncated bodies. */
export class DownloadFailedError extends ArchiverError {
  override readonly name = 'DownloadFailedError';
  readonly retryable = true;
  /**
   * @param problem a fixed phrase chosen by this module (never text from the peer)
   * @param details the HTTP status or the error code of the failure (e.g. `UND_ERR_SOCKET`, `ECONNRESET`); the
   *   underlying error is not kept as `cause` because transport errors can quote addresses and are logged whole.
   */
  constructor(
    readonly host: string,
    problem: string,
    readonly details: { status?: number; code?: string } = {},
  ) {
    super(`download from ${host} failed: ${problem}${details.status !== undefined ? ` (HTTP ${details.status})` : ''}`);
  }
}
