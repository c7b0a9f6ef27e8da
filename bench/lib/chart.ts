/**
 * The SVG chart of benchmark 1: what polling costs per 1,000 checks (log scale) against p95 completion→archive
 * latency, one point per policy or design, with the targets drawn in. Pure: same figures, same bytes.
 */

export interface ChartPoint {
  label: string;
  /** The economy figure, on a log scale. */
  x: number;
  p95Seconds: number;
  /** The deployed design is drawn emphasized. */
  highlight?: boolean;
}

export interface ChartTargets {
  /** An x at or below this meets the economy target. */
  maxX: number;
  maxP95Seconds: number;
}

export interface ChartAxes {
  title: string;
  xLabel: string;
  /** How a point's x and the target are written. */
  format: (x: number) => string;
}

const WIDTH = 720;
const HEIGHT = 440;
const MARGIN = { left: 70, right: 30, top: 40, bottom: 60 };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

export function renderChart(points: readonly ChartPoint[], targets: ChartTargets, axes: ChartAxes): string {
  const { title, format } = axes;
  const xs = points.map((p) => p.x).concat(targets.maxX);
  const ys = points.map((p) => p.p95Seconds).concat(targets.maxP95Seconds);
  const xMin = 10 ** Math.floor(Math.log10(Math.min(...xs.filter((v) => v > 0))));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(...xs) * 1.05));
  const yMax = Math.ceil((Math.max(...ys) * 1.15) / 10) * 10;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v: number) => MARGIN.left + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * plotW;
  const y = (v: number) => MARGIN.top + plotH - (v / yMax) * plotH;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escape(title)}</text>`);
  // Target region: economical enough and fast enough.
  parts.push(
    `<rect x="${fixed(x(xMin))}" y="${fixed(y(targets.maxP95Seconds))}" width="${fixed(x(targets.maxX) - x(xMin))}" height="${fixed(y(0) - y(targets.maxP95Seconds))}" fill="#e6f4ea"/>`,
  );
  parts.push(`<text x="${fixed(x(xMin) + 6)}" y="${fixed(y(targets.maxP95Seconds) + 14)}" fill="#2e7d32">targets: ≤ ${escape(format(targets.maxX))}, p95 ≤ ${targets.maxP95Seconds} s</text>`);
  // Axes and grid.
  for (let exponent = Math.round(Math.log10(xMin)); 10 ** exponent <= xMax * 1.0001; exponent++) {
    const decade = 10 ** exponent;
    parts.push(`<line x1="${fixed(x(decade))}" y1="${MARGIN.top}" x2="${fixed(x(decade))}" y2="${MARGIN.top + plotH}" stroke="#ddd"/>`);
    parts.push(`<text x="${fixed(x(decade))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${escape(format(decade))}</text>`);
  }
  const yStep = yMax <= 60 ? 10 : yMax <= 200 ? 20 : 100;
  for (let v = 0; v <= yMax; v += yStep) {
    parts.push(`<line x1="${MARGIN.left}" y1="${fixed(y(v))}" x2="${MARGIN.left + plotW}" y2="${fixed(y(v))}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${fixed(y(v) + 4)}" text-anchor="end">${v}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 16}" text-anchor="middle">${escape(axes.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">p95 completion → archive latency, s (checks done within 10 min)</text>`);
  // Labels above their point, or below when that would overlap a label already placed.
  const placed: Array<{ x: number; y: number }> = [];
  for (const p of points) {
    const px = x(Math.max(p.x, xMin));
    const py = y(p.p95Seconds);
    const clashes = (ly: number) => placed.some((l) => Math.abs(l.x - px) < 150 && Math.abs(l.y - ly) < 16);
    // Above the point, further up when taken (points of equal latency bunch up), below it as a last resort.
    const labelY = [py - 10, py - 26, py - 42, py - 58, py + 22, py - 74].find((ly) => !clashes(ly)) ?? py - 10;
    placed.push({ x: px, y: labelY });
    parts.push(`<circle cx="${fixed(px)}" cy="${fixed(py)}" r="${p.highlight ? 7 : 5}" fill="${p.highlight ? '#1565c0' : '#757575'}"/>`);
    parts.push(`<text x="${fixed(px)}" y="${fixed(labelY)}" text-anchor="middle"${p.highlight ? ' font-weight="bold"' : ''}>${escape(p.label)} (${escape(format(p.x))}, ${fixed(p.p95Seconds)} s)</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
