/**
 * The image formats the archive recognizes, by their magic bytes rather than by what a peer claims. An image whose
 * bytes confirm one of these is stored as itself; anything else is kept in quarantine (see ../evidence.ts).
 */

/** Media type → file extension. */
export const IMAGE_EXTENSIONS = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/tiff': 'tiff',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/avif': 'avif',
} as const;

export type ImageMediaType = keyof typeof IMAGE_EXTENSIONS;
export const IMAGE_MEDIA_TYPES = Object.keys(IMAGE_EXTENSIONS) as ImageMediaType[];

/** Bytes needed to recognize every type (the ISO-BMFF brand of HEIC/AVIF sits at bytes 8-11). */
export const SNIFF_BYTES = 12;

/** Common aliases of the essences above. */
const ALIASES: Record<string, ImageMediaType> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-ms-bmp': 'image/bmp',
  'image/x-bmp': 'image/bmp',
  'image/tif': 'image/tiff',
  'image/heic-sequence': 'image/heic',
  'image/heif-sequence': 'image/heif',
};

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/** Media type from magic bytes, or undefined. */
export function sniffImageType(head: Uint8Array): ImageMediaType | undefined {
  const ascii = (from: number, to: number) => (head.length >= to ? Buffer.from(head.subarray(from, to)).toString('latin1') : '');
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(0, 2) === 'BM' && head.length >= 6) return 'image/bmp';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (HEIC_BRANDS.has(brand)) return 'image/heic';
    if (AVIF_BRANDS.has(brand)) return 'image/avif';
    if (HEIF_BRANDS.has(brand)) return 'image/heif';
  }
  return undefined;
}

export function extensionOf(type: ImageMediaType): string {
  return IMAGE_EXTENSIONS[type];
}

/**
 * The recognized type a media type names (`IMAGE/PNG; charset=binary`: case-insensitive, parameters ignored,
 * common aliases such as `image/jpg` taken), or undefined.
 */
export function imageTypeOf(declared: string): ImageMediaType | undefined {
  const essence = declared.split(';', 1)[0]!.trim().toLowerCase();
  if (essence in ALIASES) return ALIASES[essence];
  return essence in IMAGE_EXTENSIONS ? (essence as ImageMediaType) : undefined;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((byte, i) => bytes[i] === byte);
}
