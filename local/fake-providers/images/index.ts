import type { BodySource } from './body-source';
import { collect } from './body-source';
import { jpegSource } from './jpeg';
import { pngSource } from './png';
import { webpSource } from './webp';

export { base64Source, bufferSource, collect, concatSources, type BodySource } from './body-source';
export { crc32 } from './crc32';
export { PNG_SIGNATURE } from './png';

export const IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const IMAGE_CONTENT_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** Pixel sizes of the generated images. Seeds: liveness `<token>:probe` / `<token>:frame:<i>`, KYC the URL's path. */
export const IMAGE_SIZES = {
  livenessFrame: { width: 64, height: 48 },
  kycFull: { width: 96, height: 64 },
  kycThumb: { width: 32, height: 32 },
} as const;

export const IMAGE_EXTENSIONS: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

/** What an image is: same spec, same bytes. */
export interface ImageSpec {
  format: ImageFormat;
  /** Determines the pixels and padding bytes (the fakes use `<checkId>:<image name>`). */
  seed: string;
  width: number;
  height: number;
  /** At least this many bytes (padding in a metadata segment/chunk the decoders skip). */
  minBytes?: number;
}

/** The image as a streamable body (padding generated on the fly). */
export function imageSource(spec: ImageSpec): BodySource {
  switch (spec.format) {
    case 'jpeg':
      return jpegSource(spec);
    case 'png':
      return pngSource(spec);
    case 'webp':
      return webpSource(spec);
  }
}

/** The image's bytes in memory: for small images only. */
export function renderImage(spec: ImageSpec): Buffer {
  return collect(imageSource(spec));
}
