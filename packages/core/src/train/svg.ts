/**
 * Line charts as standalone SVG text: stacked panels with labelled axes, "nice" ticks (1, 2, 5 ×
 * 10ᵏ), optional log₁₀ y axes, legends and horizontal reference lines. No dependencies, no DOM:
 * the output is a string any browser or image viewer opens, written to a file or shown inline.
 */

/** One line (or set of dots) on a panel. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** CSS colour; default from a palette by position. */
  color?: string;
  /** Dots instead of a line (sparse series such as validation loss). */
  dots?: boolean;
  /** Stroke opacity, default 1 (raw noisy curves under a smoothed one read well at ~0.3). */
  opacity?: number;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  /** log₁₀ y axis (non-positive values are dropped). */
  log?: boolean;
  series: Series[];
  /** Dashed horizontal reference lines, e.g. the clipping threshold. */
  hlines?: { y: number; label: string }[];
}

export interface ChartOptions {
  /** Width in px, default 760. */
  width?: number;
  /** Height of each panel in px, default 280. */
  panelHeight?: number;
  /** Most points drawn per line; longer series are averaged in buckets. Default 800. */
  maxPoints?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const M = { left: 70, right: 20, top: 34, bottom: 46 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Compact number text: 0.0123 → "0.0123", 12345 → "12.3k", 1e-7 → "1e-7". */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) {
    const [m, e] = v.toExponential(1).split('e');
    return `${m!.replace(/\.0$/, '')}e${Number(e)}`;
  }
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toPrecision(3)}`;
}

/** Ticks at 1, 2 or 5 × 10ᵏ spacing covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const r = raw / p; // in [1, 10): round to the nearest of 1, 2, 5, 10 (geometrically)
  const step = p * (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10);
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

/** Averages a long series into at most `max` buckets (mean x, mean y per bucket). */
export function downsample(points: readonly (readonly [number, number])[], max: number): [number, number][] {
  if (points.length <= max) return points.map(([x, y]) => [x, y]);
  const out: [number, number][] = [];
  const size = points.length / max;
  for (let i = 0; i < max; i++) {
    const from = Math.floor(i * size);
    const to = Math.floor((i + 1) * size);
    let sx = 0;
    let sy = 0;
    for (let k = from; k < to; k++) {
      sx += points[k]![0];
      sy += points[k]![1];
    }
    out.push([sx / (to - from), sy / (to - from)]);
  }
  return out;
}

function renderPanel(p: Panel, top: number, width: number, height: number, maxPoints: number): string {
  const ty = (y: number) => (p.log ? Math.log10(y) : y);
  const series = p.series.map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length]!,
    pts: downsample(s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.log || y > 0)), maxPoints),
  }));
  const all = series.flatMap((s) => s.pts);
  const hl = (p.hlines ?? []).filter((h) => Number.isFinite(h.y) && (!p.log || h.y > 0));
  const out: string[] = [`<g transform="translate(0,${top})">`];
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
  const W = width - M.left - M.right;
  const H = height - M.top - M.bottom;
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W}" height="${H}" fill="none" stroke="#999"/>`);
  if (all.length === 0) {
    out.push(`<text x="${M.left + W / 2}" y="${M.top + H / 2}" text-anchor="middle" fill="#777">no data</text></g>`);
    return out.join('\n');
  }
  let [x0, x1] = [Math.min(...all.map((q) => q[0])), Math.max(...all.map((q) => q[0]))];
  const ys = [...all.map((q) => ty(q[1])), ...hl.map((h) => ty(h.y))];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - (p.log ? 0.5 : Math.abs(y0) * 0.1 || 1), y1 + (p.log ? 0.5 : Math.abs(y1) * 0.1 || 1)];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * W;
  const sy = (y: number) => M.top + H - ((ty(y) - y0) / (y1 - y0)) * H;
  const f = (v: number) => v.toFixed(1);
  // Axes: ticks, grid, labels.
  for (const t of niceTicks(x0, x1, 6)) {
    out.push(`<line x1="${f(sx(t))}" y1="${M.top}" x2="${f(sx(t))}" y2="${M.top + H}" stroke="#eee"/>`);
    out.push(`<text x="${f(sx(t))}" y="${M.top + H + 16}" text-anchor="middle" font-size="11">${formatNumber(t)}</text>`);
  }
  const yTicks = p.log ? logTicks(y0, y1) : niceTicks(y0, y1, 5);
  for (const t of yTicks) {
    const y = p.log ? sy(10 ** t) : sy(t);
    out.push(`<line x1="${M.left}" y1="${f(y)}" x2="${M.left + W}" y2="${f(y)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(y + 4)}" text-anchor="end" font-size="11">${formatNumber(p.log ? 10 ** t : t)}</text>`);
  }
  out.push(`<text x="${M.left + W / 2}" y="${M.top + H + 36}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(16,${M.top + H / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}${p.log ? ' (log scale)' : ''}</text>`);
  for (const h of hl) {
    out.push(`<line x1="${M.left}" y1="${f(sy(h.y))}" x2="${M.left + W}" y2="${f(sy(h.y))}" stroke="#555" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${M.left + 4}" y="${f(sy(h.y) - 4)}" font-size="11" fill="#555">${esc(h.label)}</text>`);
  }
  for (const s of series) {
    const op = s.opacity ?? 1;
    if (s.dots) {
      for (const [x, y] of s.pts) out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="3" fill="${s.color}" fill-opacity="${op}"/>`);
    } else if (s.pts.length > 0) {
      const d = s.pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f(sx(x))},${f(sy(y))}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5" stroke-opacity="${op}"/>`);
    }
  }
  // Legend, top right inside the plot.
  const named = series.filter((s) => s.name !== '');
  named.forEach((s, i) => {
    const y = M.top + 14 + i * 16;
    const x = M.left + W - 150;
    out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${s.color}" fill-opacity="${s.opacity ?? 1}"/>`);
    out.push(`<text x="${x + 15}" y="${y}" font-size="11">${esc(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** Integer (and, over short spans, fractional) powers of ten inside [lo, hi] of log₁₀ values. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) ticks.push(e);
  if (ticks.length >= 2) {
    const stride = Math.ceil(ticks.length / 8);
    return ticks.filter((_, i) => i % stride === 0);
  }
  return niceTicks(10 ** lo, 10 ** hi, 4).filter((t) => t > 0).map(Math.log10);
}

/**
 * Renders panels stacked vertically into one SVG document.
 *
 * @example
 * ```ts
 * const svg = renderChart([{ title: 'Loss', xLabel: 'step', yLabel: 'nats', series: [{ name: 'train', points }] }]);
 * ```
 */
export function renderChart(panels: Panel[], options: ChartOptions = {}): string {
  const width = options.width ?? 760;
  const ph = options.panelHeight ?? 280;
  const maxPoints = options.maxPoints ?? 800;
  const height = ph * panels.length;
  const body = panels.map((p, i) => renderPanel(p, i * ph, width, ph, maxPoints)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}
