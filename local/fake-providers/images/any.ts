/**
 * Deterministic files for `/images/any/<path>.<ext>`: one per extension, seeded by the path, so literal answers can
 * point at images of any type (and at things that are not images) and tests can know their bytes in advance.
 */
import { UnknownImageExtensionError } from '../errors';
import { bmpImage } from './bmp';
import { gifImage } from './gif';
import { renderImage } from './index';
import { seededBytes, seededRandom } from './prng';

/** Content type served per extension (lower case). */
export const ANY_IMAGE_CONTENT_TYPES = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  bmp: 'image/bmp',
  bin: 'application/octet-stream',
  html: 'text/html; charset=utf-8',
  svg: 'image/svg+xml',
} as const;

export type AnyImageExtension = keyof typeof ANY_IMAGE_CONTENT_TYPES;

export interface AnyImage {
  bytes: Buffer;
  contentType: string;
}

/** Pixel size of the generated pictures: an odd row width (90 bytes of BGR) exercises BMP row padding. */
const SIZE = { width: 30, height: 20 } as const;

const escapeMarkup = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function render(extension: AnyImageExtension, seed: string): Buffer {
  switch (extension) {
    case 'jpg':
    case 'jpeg':
      return renderImage({ format: 'jpeg', seed, ...SIZE });
    case 'png':
      return renderImage({ format: 'png', seed, ...SIZE });
    case 'webp':
      return renderImage({ format: 'webp', seed, ...SIZE });
    case 'gif':
      return gifImage({ seed, ...SIZE });
    case 'bmp':
      return bmpImage({ seed, ...SIZE });
    case 'bin':
      return seededBytes(`${seed}:bin`, 256 + (seededRandom(`${seed}:length`)() % 768));
    case 'html':
      return Buffer.from(
        `<!doctype html>\n<html><head><meta charset="utf-8"><title>Not an image</title></head>` +
          `<body><p>fake provider page ${escapeMarkup(seed)}</p></body></html>\n`,
        'utf8',
      );
    case 'svg': {
      const fill = (seededRandom(`${seed}:svg`)() & 0xffffff).toString(16).padStart(6, '0');
      return Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE.width}" height="${SIZE.height}">` +
          `<title>${escapeMarkup(seed)}</title><rect width="${SIZE.width}" height="${SIZE.height}" fill="#${fill}"/></svg>\n`,
        'utf8',
      );
    }
  }
}

/** The file for `path` (what follows /images/any/, extension included), or undefined for an unknown extension. */
export function lookupAnyImage(path: string): AnyImage | undefined {
  const match = /^(.+)\.([^./]+)$/s.exec(path);
  const extension = match?.[2]!.toLowerCase();
  if (!match || match[1]!.endsWith('/') || !extension || !Object.hasOwn(ANY_IMAGE_CONTENT_TYPES, extension)) return undefined;
  const known = extension as AnyImageExtension;
  return { bytes: render(known, path), contentType: ANY_IMAGE_CONTENT_TYPES[known] };
}

/**
 * The file served at /images/any/<path> (`path` as in the URL, extension included: `passport/front.gif`).
 * Pure, for tests that need the bytes (or their sha256) in advance. Throws UnknownImageExtensionError.
 */
export function anyImage(path: string): AnyImage {
  const image = lookupAnyImage(path);
  if (!image) {
    throw new UnknownImageExtensionError(`no /images/any/ file for this path: the extension must be one of ${Object.keys(ANY_IMAGE_CONTENT_TYPES).join(', ')}`);
  }
  return image;
}
