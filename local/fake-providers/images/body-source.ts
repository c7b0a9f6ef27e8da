/**
 * A response body known by its exact length and produced in chunks, so huge images (hundreds of MiB) are streamed
 * and never held in memory whole.
 */
export interface BodySource {
  readonly length: number;
  chunks(): Iterable<Uint8Array>;
}

export function bufferSource(buffer: Uint8Array): BodySource {
  return { length: buffer.length, chunks: () => [buffer] };
}

export function concatSources(parts: readonly BodySource[]): BodySource {
  return {
    length: parts.reduce((sum, part) => sum + part.length, 0),
    *chunks() {
      for (const part of parts) yield* part.chunks();
    },
  };
}

/** The standard base64 encoding of `source`, streamed (carries 0-2 bytes between chunks). */
export function base64Source(source: BodySource): BodySource {
  return {
    length: 4 * Math.ceil(source.length / 3),
    *chunks() {
      let carry: Buffer = Buffer.alloc(0);
      for (const chunk of source.chunks()) {
        const joined = carry.length ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
        const usable = joined.length - (joined.length % 3);
        if (usable > 0) yield Buffer.from(joined.subarray(0, usable).toString('base64'), 'latin1');
        carry = Buffer.from(joined.subarray(usable));
      }
      if (carry.length) yield Buffer.from(carry.toString('base64'), 'latin1');
    },
  };
}

/** Materializes a (small) source. */
export function collect(source: BodySource): Buffer {
  return Buffer.concat([...source.chunks()]);
}
