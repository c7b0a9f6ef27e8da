/** Evidence intake: untrusted image references (data URIs, provider links) in, verified bytes or streams out. */
export { IMAGE_MEDIA_TYPES, extensionOf, imageTypeOf, sniffImageType, type ImageMediaType } from './image-types';
export { decodeBase64, readFrame, type FrameIntake, type FrameLimits } from './frames';
export {
  assertUrlAllowed,
  isForbiddenAddress,
  openImageDownload,
  type DownloadPolicy,
  type ImageDownload,
} from './safe-download';
export * from './errors';
