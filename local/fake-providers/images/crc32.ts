/** CRC-32 (IEEE 802.3, as PNG uses it). `crc32Update` lets a streamed chunk's CRC be computed as it goes. */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Feed `bytes` into a running CRC state (start with 0xffffffff, finish with `crc32Final`). */
export function crc32Update(state: number, bytes: Uint8Array): number {
  let c = state;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

export function crc32Final(state: number): number {
  return (state ^ 0xffffffff) >>> 0;
}

export function crc32(...parts: Uint8Array[]): number {
  let state = 0xffffffff;
  for (const part of parts) state = crc32Update(state, part);
  return crc32Final(state);
}
