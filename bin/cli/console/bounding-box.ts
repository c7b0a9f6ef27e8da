/**
 * A liveness frame's face box as the provider reported it, kept unread in the manifest: usually {x, y, width,
 * height}, sometimes [x, y, width, height], numbers or numeric strings. All four values in 0…1 are fractions of the
 * frame, anything else pixels. What cannot be read this way is not drawn (the caption says so).
 */
export interface BoundingBox {
  x: number;
  y: number;
  width: number;
  height: number;
  unit: 'px' | 'fraction';
}

export function readBoundingBox(value: unknown): BoundingBox | undefined {
  let parts: unknown[] | undefined;
  if (Array.isArray(value)) parts = value.length === 4 ? value : undefined;
  else if (value !== null && typeof value === 'object') {
    const box = value as Record<string, unknown>;
    parts = [box.x ?? box.left, box.y ?? box.top, box.width ?? box.w, box.height ?? box.h];
  }
  const numbers = parts?.map(numberOf);
  if (!numbers || numbers.some((n) => n === undefined)) return undefined;
  const [x, y, width, height] = numbers as [number, number, number, number];
  if (x < 0 || y < 0 || width <= 0 || height <= 0) return undefined;
  const unit = numbers.every((n) => n! <= 1) ? 'fraction' : 'px';
  if (unit === 'fraction' && (x + width > 1.0001 || y + height > 1.0001)) return undefined;
  return { x, y, width, height, unit };
}

function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** "x 12, y 8, 28 × 30 px" or "x 10%, y 5%, 40% × 60% of the frame". */
export function describeBox(box: BoundingBox): string {
  if (box.unit === 'px') return `x ${box.x}, y ${box.y}, ${box.width} × ${box.height} px`;
  const pct = (n: number) => `${Math.round(n * 1000) / 10}%`;
  return `x ${pct(box.x)}, y ${pct(box.y)}, ${pct(box.width)} × ${pct(box.height)} of the frame`;
}
