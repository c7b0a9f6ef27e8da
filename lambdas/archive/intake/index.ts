/** Evidence intake: untrusted image references (data URIs, provider links) in, verified bytes or streams out. */
export { ALLOWED_IMAGE_TYPES, extensionOf, sniffImageType, type ImageMediaType } from './image-types';
export { decodeImageDataUri, type DecodedImage } from './data-uri';
export {
  assertUrlAllowed,
  isForbiddenAddress,
  openImageDownload,
  type DownloadPolicy,
  type ImageDownload,
} from './safe-download';
export * from './errors';
