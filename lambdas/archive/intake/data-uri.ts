/**
 * Decoding of the base64 data URIs that carry liveness frames. The provider's answer is untrusted input: every step is
 * checked, sizes are checked on the encoded length before anything is decoded, and the bytes must be what the URI
 * claims they are.
 */
import { ConfigurationError } from '../../common/errors';
import { ImageRejectedError } from './errors';
import { allowedImageType, sniffImageType, type ImageMediaType } from './image-types';

export interface DecodedImage {
  bytes: Buffer;
  mediaType: ImageMediaType;
}

/** `data:` plus a media type and its parameters: anything longer is not a header this decoder will read. */
const MAX_HEADER_CHARS = 256;
/**
 * Standard alphabet, complete 4-character groups, padding only at the end. No whitespace: JSON APIs send unwrapped
 * base64, and a payload with line breaks or spaces is rejected as invalid-base64 rather than guessed at.
 */
const STRICT_BASE64 = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Decodes `data:<type>[;params];base64,<payload>`. The type must be an allowed image type (case-insensitive;
 * `image/jpg` is taken as JPEG), the payload strict base64 (see STRICT_BASE64; canonical, i.e. unused bits of the
 * last group zero), at most `maxBytes` once decoded, and its magic bytes must match the declared type.
 * Throws ImageRejectedError (and nothing else) with a machine-readable `reason`.
 */
export function decodeImageDataUri(uri: unknown, opts: { maxBytes: number }): DecodedImage {
  if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 0) {
    throw new ConfigurationError('decodeImageDataUri: maxBytes must be a non-negative integer');
  }
  if (typeof uri !== 'string' || uri.slice(0, 5).toLowerCase() !== 'data:') {
    throw new ImageRejectedError('not-a-data-uri');
  }
  // Look for the comma in the header only: a huge payload without one is not scanned.
  const comma = uri.slice(0, MAX_HEADER_CHARS).indexOf(',');
  if (comma < 0) throw new ImageRejectedError('not-a-data-uri');
  const [declaredType = '', ...params] = uri.slice(5, comma).split(';');
  if (params.length === 0 || params[params.length - 1]!.trim().toLowerCase() !== 'base64') {
    throw new ImageRejectedError('not-a-data-uri');
  }
  const mediaType = allowedImageType(declaredType);
  if (!mediaType) throw new ImageRejectedError('media-type-not-allowed');

  const payloadLength = uri.length - comma - 1;
  if (payloadLength === 0) throw new ImageRejectedError('empty');
  // The size check comes before any copy or decode of the payload, so an oversized string costs nothing.
  if (payloadLength > maxEncodedLength(opts.maxBytes)) throw new ImageRejectedError('too-large');
  const payload = uri.slice(comma + 1);
  if (payload.length % 4 !== 0 || !STRICT_BASE64.test(payload) || !hasZeroTrailingBits(payload)) {
    throw new ImageRejectedError('invalid-base64');
  }
  if (decodedLength(payload) > opts.maxBytes) throw new ImageRejectedError('too-large');

  const bytes = Buffer.from(payload, 'base64');
  if (sniffImageType(bytes) !== mediaType) throw new ImageRejectedError('magic-mismatch');
  return { bytes, mediaType };
}

/** Longest base64 text that can decode to at most maxBytes. */
function maxEncodedLength(maxBytes: number): number {
  return Math.ceil(maxBytes / 3) * 4;
}

function decodedLength(payload: string): number {
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  return (payload.length / 4) * 3 - padding;
}

/** Canonical encodings only: the bits of the last character that padding leaves unused must be zero. */
function hasZeroTrailingBits(payload: string): boolean {
  if (payload.endsWith('==')) return (BASE64_ALPHABET.indexOf(payload.charAt(payload.length - 3)) & 0x0f) === 0;
  if (payload.endsWith('=')) return (BASE64_ALPHABET.indexOf(payload.charAt(payload.length - 2)) & 0x03) === 0;
  return true;
}
