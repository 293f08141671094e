// Minimal self-contained SVG charts for the training report: line charts and a histogram.

export interface Series {
  name: string;
  xs: number[];
  ys: number[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

function bounds(vals: number[]): [number, number] {
  const f = vals.filter(Number.isFinite);
  if (!f.length) return [0, 1];
  let lo = Math.min(...f), hi = Math.max(...f);
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.1 || 1;
    hi += Math.abs(hi) * 0.1 || 1;
  }
  return [lo, hi];
}

/** A line chart; `id` becomes the data-chart attribute (tests and readers find charts by it). */
export function lineChart(id: string, title: string, series: Series[], xLabel: string, w = 420, h = 240): string {
  const m = { l: 56, r: 12, t: 28, b: 38 };
  const [x0, x1] = bounds(series.flatMap((s) => s.xs));
  const [y0, y1] = bounds(series.flatMap((s) => s.ys));
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (w - m.l - m.r);
  const py = (y: number) => h - m.b - ((y - y0) / (y1 - y0)) * (h - m.t - m.b);
  const lines = series.map((s, i) => {
    const xy = s.xs.map((x, k) => [x, s.ys[k]]).filter(([, y]) => Number.isFinite(y)).map(([x, y]) => [px(x).toFixed(1), py(y).toFixed(1)]);
    const color = COLORS[i % COLORS.length];
    // markers too, so a series of one point (one probe evaluation) is visible
    const dots = xy.length <= 60 ? xy.map(([x, y]) => `<circle cx="${x}" cy="${y}" r="3" fill="${color}"/>`).join('') : '';
    return `<polyline data-series="${esc(s.name)}" fill="none" stroke="${color}" stroke-width="2" points="${xy.map(([x, y]) => `${x},${y}`).join(' ')}"/>${dots}`;
  });
  const legend = series.map((s, i) => `<text x="${m.l + 8 + i * 90}" y="${m.t - 8}" font-size="11" fill="${COLORS[i % COLORS.length]}">${esc(s.name)}</text>`);
  return [
    `<figure><figcaption>${esc(title)}</figcaption>`,
    `<svg data-chart="${esc(id)}" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    `<rect x="${m.l}" y="${m.t}" width="${w - m.l - m.r}" height="${h - m.t - m.b}" fill="#fafafa" stroke="#ccc"/>`,
    `<text x="${m.l - 6}" y="${m.t + 4}" font-size="10" text-anchor="end">${fmt(y1)}</text>`,
    `<text x="${m.l - 6}" y="${h - m.b}" font-size="10" text-anchor="end">${fmt(y0)}</text>`,
    `<text x="${m.l}" y="${h - m.b + 14}" font-size="10">${fmt(x0)}</text>`,
    `<text x="${w - m.r}" y="${h - m.b + 14}" font-size="10" text-anchor="end">${fmt(x1)}</text>`,
    `<text x="${(m.l + w - m.r) / 2}" y="${h - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`,
    ...legend,
    ...lines,
    '</svg></figure>',
  ].join('\n');
}

/** A histogram of `values` in `bins` equal-width bins. */
export function histogram(id: string, title: string, values: ArrayLike<number>, bins = 30, w = 420, h = 240): string {
  const m = { l: 48, r: 12, t: 20, b: 38 };
  const v = Array.from(values).filter(Number.isFinite);
  const [lo, hi] = bounds(v);
  const counts = new Array(bins).fill(0);
  for (const x of v) counts[Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))]++;
  const top = Math.max(1, ...counts);
  const bw = (w - m.l - m.r) / bins;
  const bars = counts.map((c, i) => {
    const bh = (c / top) * (h - m.t - m.b);
    return `<rect data-count="${c}" x="${(m.l + i * bw).toFixed(1)}" y="${(h - m.b - bh).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="#1f77b4"/>`;
  });
  return [
    `<figure><figcaption>${esc(title)}</figcaption>`,
    `<svg data-chart="${esc(id)}" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    `<rect x="${m.l}" y="${m.t}" width="${w - m.l - m.r}" height="${h - m.t - m.b}" fill="#fafafa" stroke="#ccc"/>`,
    ...bars,
    `<text x="${m.l}" y="${h - m.b + 14}" font-size="10">${fmt(lo)}</text>`,
    `<text x="${w - m.r}" y="${h - m.b + 14}" font-size="10" text-anchor="end">${fmt(hi)}</text>`,
    `<text x="${m.l - 6}" y="${m.t + 4}" font-size="10" text-anchor="end">${top}</text>`,
    '</svg></figure>',
  ].join('\n');
}
