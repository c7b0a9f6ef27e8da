import jpegJs from 'jpeg-js';
import { bufferSource, concatSources, type BodySource } from './body-source';
import { seededPixels } from './pixels';
import { seededBytes } from './prng';

const COM_MAX_PAYLOAD = 0xffff - 2;
const COM_SEGMENT_MAX = COM_MAX_PAYLOAD + 4;

export interface JpegSpec {
  seed: string;
  width: number;
  height: number;
  /** Pad with COM segments (incompressible bytes) up to at least this size; streamed, so it can be huge. */
  minBytes?: number;
}

const encoded = new Map<string, Buffer>();

/** The baseline JPEG for a seed, encoded once (jpeg-js is slow-ish) and kept in a small cache. */
function baseJpeg(seed: string, width: number, height: number): Buffer {
  const key = `${width}x${height}:${seed}`;
  let jpeg = encoded.get(key);
  if (!jpeg) {
    jpeg = jpegJs.encode({ data: seededPixels(seed, width, height), width, height }, 80).data;
    if (encoded.size >= 256) encoded.delete(encoded.keys().next().value!);
    encoded.set(key, jpeg);
  }
  return jpeg;
}

/** A valid JPEG (FF D8 FF … FF D9), padded after SOI/APP0 with COM segments when `minBytes` asks for more. */
export function jpegSource({ seed, width, height, minBytes = 0 }: JpegSpec): BodySource {
  const jpeg = baseJpeg(seed, width, height);
  const padding = minBytes - jpeg.length;
  if (padding <= 0) return bufferSource(jpeg);
  // Keep JFIF's APP0 right after SOI, where decoders expect it.
  const split = jpeg[2] === 0xff && jpeg[3] === 0xe0 ? 4 + jpeg.readUInt16BE(4) : 2;
  const segments = comSegmentPlan(padding);
  const pad: BodySource = {
    length: segments.reduce((sum, payload) => sum + payload + 4, 0),
    *chunks() {
      const block = seededBytes(`${seed}:pad`, Math.min(COM_MAX_PAYLOAD, segments[0] ?? 0));
      for (const payload of segments) {
        const header = Buffer.from([0xff, 0xfe, 0, 0]);
        header.writeUInt16BE(payload + 2, 2);
        yield header;
        yield block.subarray(0, payload);
      }
    },
  };
  return concatSources([bufferSource(jpeg.subarray(0, split)), pad, bufferSource(jpeg.subarray(split))]);
}

/** Payload sizes of COM segments adding up to at least `bytes` (a segment costs 4 bytes of header). */
function comSegmentPlan(bytes: number): number[] {
  const plan: number[] = [];
  let remaining = bytes;
  while (remaining > 0) {
    const segment = Math.max(4, Math.min(remaining, COM_SEGMENT_MAX));
    plan.push(segment - 4);
    remaining -= segment;
  }
  return plan;
}
