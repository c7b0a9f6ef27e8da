import { seededRandom } from './prng';

/** Deterministic RGBA pixels: a gradient tinted per seed, with noise so the encoders have something to encode. */
export function seededPixels(seed: string, width: number, height: number): Buffer {
  const next = seededRandom(`${seed}:pixels`);
  const tint = next();
  const [tr, tg, tb] = [tint & 0xff, (tint >>> 8) & 0xff, (tint >>> 16) & 0xff];
  const out = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const noise = next();
      const i = (y * width + x) * 4;
      out[i] = (tr + Math.floor((x * 255) / width) + (noise & 0x1f)) & 0xff;
      out[i + 1] = (tg + Math.floor((y * 255) / height) + ((noise >>> 8) & 0x1f)) & 0xff;
      out[i + 2] = (tb + ((noise >>> 16) & 0x3f)) & 0xff;
      out[i + 3] = 0xff;
    }
  }
  return out;
}
