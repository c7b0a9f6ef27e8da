/**
 * Liveness frames as the provider sends them: a base64 data URI (the document's form), raw base64 without the
 * `data:` prefix, or a link. The answer is untrusted input, and evidence at the same time: a frame is never thrown
 * away. What proves to be an image (its magic bytes agree with what it claims) is stored as such; anything else is
 * kept as received, in quarantine, with the reason. Sizes are checked on the encoded length before decoding.
 */
import { ConfigurationError } from '../../common/errors';
import type { ImageRejectedReason } from './errors';
import { imageTypeOf, sniffImageType, type ImageMediaType } from './image-types';

export interface FrameLimits {
  /** Largest image stored as an image. */
  maxBytes: number;
  /** Largest item kept in quarantine (≥ maxBytes): an oversized frame up to this is kept, not stored as an image. */
  ceilingBytes: number;
}

export type FrameIntake =
  | { kind: 'image'; bytes: Buffer; mediaType: ImageMediaType }
  /** Kept as received (decoded bytes when the base64 was good, else the text itself), never served as an image. */
  | { kind: 'quarantine'; bytes: Buffer; reason: ImageRejectedReason }
  /** The frame is a URL: downloaded like a KYC image. */
  | { kind: 'link'; url: string }
  /** Nothing to store besides the answer that holds it (empty, not text, or over the ceiling). */
  | { kind: 'unusable'; reason: ImageRejectedReason };

/** `data:` plus a media type and its parameters: anything longer is not a header this reader will look at. */
const MAX_HEADER_CHARS = 256;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads one frame value. Never throws for any input (ConfigurationError for invalid limits only). */
export function readFrame(value: unknown, limits: FrameLimits): FrameIntake {
  if (!Number.isSafeInteger(limits.maxBytes) || limits.maxBytes < 0 || !(limits.ceilingBytes >= limits.maxBytes)) {
    throw new ConfigurationError('readFrame: maxBytes must be a non-negative integer and ceilingBytes at least maxBytes');
  }
  if (typeof value !== 'string') return { kind: 'unusable', reason: 'not-an-image-value' };
  const text = value.trim();
  if (text === '') return { kind: 'unusable', reason: 'empty' };
  if (/^https?:\/\//i.test(text)) return { kind: 'link', url: text };
  // Past the ceiling even as text: the answer itself (result.json's source) is all that is kept.
  if (text.length > encodedLength(limits.ceilingBytes)) return { kind: 'unusable', reason: 'too-large' };

  if (text.slice(0, 5).toLowerCase() !== 'data:') {
    const bytes = decodeBase64(text);
    if (bytes && sniffImageType(bytes)) return classify(bytes, '', limits);
    // Raw text that is not an image: kept as it came.
    return sized(Buffer.from(value, 'utf8'), bytes ? 'unknown-format' : 'invalid-base64', limits);
  }
  const comma = text.slice(0, MAX_HEADER_CHARS).indexOf(',');
  if (comma < 0) return sized(Buffer.from(value, 'utf8'), 'not-a-data-uri', limits);
  const [declared = '', ...params] = text.slice(5, comma).split(';');
  const payload = text.slice(comma + 1);
  if (params.length > 0 && params[params.length - 1]!.trim().toLowerCase() === 'base64') {
    const bytes = decodeBase64(payload);
    if (!bytes) return sized(Buffer.from(payload, 'utf8'), 'invalid-base64', limits);
    return classify(bytes, declared, limits);
  }
  // A percent-encoded data URI (how SVG usually travels): its text is the content.
  return classify(Buffer.from(percentDecoded(payload), 'utf8'), declared, limits);
}

/** An image when the bytes prove to be the type declared (or any known type when none is); else quarantine. */
function classify(bytes: Buffer, declared: string, limits: FrameLimits): FrameIntake {
  if (bytes.length === 0) return { kind: 'unusable', reason: 'empty' };
  const sniffed = sniffImageType(bytes);
  const declaredType = declared.trim() === '' ? undefined : imageTypeOf(declared);
  let reason: ImageRejectedReason | undefined;
  if (declared.trim() !== '' && !declaredType) reason = 'media-type-not-allowed';
  else if (!sniffed) reason = declaredType ? 'magic-mismatch' : 'unknown-format';
  else if (declaredType && declaredType !== sniffed) reason = 'magic-mismatch';
  else if (bytes.length > limits.maxBytes) reason = 'too-large';
  if (reason) return sized(bytes, reason, limits);
  return { kind: 'image', bytes, mediaType: sniffed! };
}

function sized(bytes: Buffer, reason: ImageRejectedReason, limits: FrameLimits): FrameIntake {
  if (bytes.length === 0) return { kind: 'unusable', reason: 'empty' };
  return bytes.length > limits.ceilingBytes ? { kind: 'unusable', reason: 'too-large' } : { kind: 'quarantine', bytes, reason };
}

/**
 * Standard or URL-safe base64, padded or not, with line breaks or spaces (MIME-wrapped): the bytes, or undefined
 * when the text is not base64 at all.
 */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (compact === '' || !BASE64.test(compact)) return undefined;
  const unpadded = compact.replace(/=+$/, '');
  if (unpadded.length % 4 === 1 || unpadded.includes('=')) return undefined;
  return Buffer.from(unpadded, 'base64');
}

function encodedLength(bytes: number): number {
  // Base64 of `bytes`, plus room for a header and MIME line breaks.
  return Math.ceil(bytes / 3) * 4 * 1.05 + MAX_HEADER_CHARS;
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
