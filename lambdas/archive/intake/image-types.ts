/** The image formats the archive accepts, recognized by their magic bytes rather than by what a peer claims. */
import { ImageRejectedError } from './errors';

export const ALLOWED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageMediaType = (typeof ALLOWED_IMAGE_TYPES)[number];

/** Bytes needed to recognize every allowed type (WebP: "RIFF", 4 size bytes, "WEBP"). */
export const SNIFF_BYTES = 12;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const RIFF = [0x52, 0x49, 0x46, 0x46];
const WEBP = [0x57, 0x45, 0x42, 0x50];

/** Media type from magic bytes (JPEG FF D8 FF; PNG 89 50 4E 47 0D 0A 1A 0A; WebP "RIFF"????"WEBP"), or undefined. */
export function sniffImageType(head: Uint8Array): ImageMediaType | undefined {
  if (startsWith(head, JPEG_MAGIC)) return 'image/jpeg';
  if (startsWith(head, PNG_MAGIC)) return 'image/png';
  if (startsWith(head, RIFF) && startsWith(head.subarray(8), WEBP)) return 'image/webp';
  return undefined;
}

/** File extension for an allowed type. */
export function extensionOf(type: ImageMediaType): 'jpg' | 'png' | 'webp' {
  switch (type) {
    case 'image/jpeg':
      return 'jpg';
    case 'image/png':
      return 'png';
    case 'image/webp':
      return 'webp';
  }
  // Unreachable for typed callers; a value that slipped past the types must not become an `undefined` extension.
  throw new ImageRejectedError('media-type-not-allowed');
}

/**
 * The allowed type named by a media type such as `IMAGE/PNG; charset=binary` (case-insensitive, parameters ignored,
 * the common misspelling `image/jpg` taken as JPEG), or undefined.
 */
export function allowedImageType(declared: string): ImageMediaType | undefined {
  const essence = declared.split(';', 1)[0]!.trim().toLowerCase();
  if (essence === 'image/jpg') return 'image/jpeg';
  return (ALLOWED_IMAGE_TYPES as readonly string[]).includes(essence) ? (essence as ImageMediaType) : undefined;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((byte, i) => bytes[i] === byte);
}
