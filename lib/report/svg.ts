// Self-contained SVG charts for the training report: line charts (linear or log y, reference
// lines, a marked x), a histogram and a horizontal bar chart. Every chart has ticks with labels on
// both axes (lib/report/axis.ts) and axis titles. Attributes name the parts for tests and readers:
// data-chart on the <svg>, data-series on each line, data-axis on tick labels, data-axis-label on
// axis titles, data-reference and data-marker on reference and marker lines.
import { axisPosition, makeAxis, type Axis, type AxisOptions } from './axis';
import { escapeHtml as esc } from './escape';

export interface Series {
  name: string;
  xs: number[];
  ys: number[];
}

/** A horizontal line at y across the plot, labelled with its name and value (a baseline). */
export interface Reference {
  name: string;
  y: number;
}

export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  x?: AxisOptions;
  y?: AxisOptions;
  references?: Reference[];
  /** A vertical dashed line at x with a label (the selected epoch); each series' point there is ringed. */
  marker?: { x: number; label: string };
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const MARGIN = { l: 64, r: 16, t: 30, b: 44 };
/** A light outline behind annotation text, so a label crossing a line or another label stays legible. */
const HALO = ' stroke="#fafafa" stroke-width="3" paint-order="stroke"';

/** The plot area of a w x h chart and the mapping of axis values into it. */
interface Plot {
  w: number;
  h: number;
  l: number;
  r: number;
  t: number;
  b: number;
  px(v: number): number;
  py(v: number): number;
}

function plotArea(w: number, h: number, xa: Axis, ya: Axis, l = MARGIN.l): Plot {
  const r = w - MARGIN.r, t = MARGIN.t, b = h - MARGIN.b;
  return { w, h, l, r, t, b, px: (v) => l + axisPosition(xa, v) * (r - l), py: (v) => b - axisPosition(ya, v) * (b - t) };
}

/** Background, grid lines at the y ticks, tick marks and labels on both axes, and the axis titles. */
function axes(p: Plot, xa: Axis | null, ya: Axis | null, xLabel: string, yLabel: string): string[] {
  const out = [`<rect x="${p.l}" y="${p.t}" width="${p.r - p.l}" height="${p.b - p.t}" fill="#fafafa" stroke="#bbb"/>`];
  for (const v of ya?.ticks ?? []) {
    const y = p.py(v).toFixed(1);
    out.push(`<line x1="${p.l}" x2="${p.r}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`, `<line x1="${p.l - 4}" x2="${p.l}" y1="${y}" y2="${y}" stroke="#888"/>`);
    out.push(`<text data-axis="y" x="${p.l - 7}" y="${y}" dy="3.5" font-size="10" text-anchor="end">${esc(ya!.format(v))}</text>`);
  }
  for (const v of xa?.ticks ?? []) {
    const x = p.px(v).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${p.b}" y2="${p.b + 4}" stroke="#888"/>`);
    out.push(`<text data-axis="x" x="${x}" y="${p.b + 15}" font-size="10" text-anchor="middle">${esc(xa!.format(v))}</text>`);
  }
  out.push(`<text data-axis-label="x" x="${(p.l + p.r) / 2}" y="${p.h - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`);
  const cy = (p.t + p.b) / 2;
  out.push(`<text data-axis-label="y" x="13" y="${cy}" font-size="11" text-anchor="middle" transform="rotate(-90 13 ${cy})">${esc(yLabel)}</text>`);
  return out;
}

function figure(id: string, title: string, p: Plot, body: string[], note: string, attrs = ''): string {
  return [
    `<figure><figcaption>${esc(title)}</figcaption>`,
    `<svg data-chart="${esc(id)}"${attrs} xmlns="http://www.w3.org/2000/svg" width="${p.w}" height="${p.h}" viewBox="0 0 ${p.w} ${p.h}">`,
    ...body,
    '</svg>',
    ...(note ? [`<p class="note" data-note="${esc(id)}">${esc(note)}</p>`] : []),
    '</figure>',
  ].join('\n');
}

/** A value as a point label writes it: a percentage to one decimal, else three significant digits (1e-6, not 0.000001). */
function valueLabel(v: number, percent: boolean | undefined): string {
  if (percent) return `${(100 * v).toFixed(1)}%`;
  const r = Number(v.toPrecision(3));
  return r !== 0 && (Math.abs(r) < 1e-3 || Math.abs(r) >= 1e6) ? r.toExponential() : r.toString();
}

/**
 * A line chart; `id` becomes the data-chart attribute. On a log y axis, values <= 0 are left out
 * and a note under the chart says which. A series of one point is drawn as a marked point with
 * its value written beside it.
 */
export function lineChart(id: string, title: string, series: Series[], o: LineChartOptions): string {
  const log = o.y?.scale === 'log';
  const keep = (y: number) => Number.isFinite(y) && (!log || y > 0);
  const xa = makeAxis(series.flatMap((s) => s.xs), o.x);
  const ya = makeAxis([...series.flatMap((s) => s.ys.filter(keep)), ...(o.references ?? []).map((r) => r.y)], o.y);
  const p = plotArea(o.width ?? 370, o.height ?? 250, xa, ya);
  const body = axes(p, xa, ya, o.xLabel, o.yLabel);
  const left: string[] = [];
  let negative = false;
  (o.references ?? []).forEach((r, i) => {
    const y = p.py(r.y).toFixed(1);
    // labels alternate between the right and the left end, so two close baselines stay legible
    const [x, anchor] = i % 2 === 0 ? [p.r - 4, 'end'] : [p.l + 4, 'start'];
    body.push(`<line data-reference="${esc(r.name)}" x1="${p.l}" x2="${p.r}" y1="${y}" y2="${y}" stroke="#777" stroke-dasharray="5 3"/>`);
    body.push(`<text x="${x}" y="${y}" dy="-3" font-size="10" fill="#555" text-anchor="${anchor}"${HALO}>${esc(`${r.name} ${valueLabel(r.y, o.y?.percent)}`)}</text>`);
  });
  if (o.marker) {
    const x = p.px(o.marker.x);
    const [tx, anchor] = x < (p.l + p.r) / 2 ? [x + 4, 'start'] : [x - 4, 'end'];
    body.push(`<line data-marker="${esc(o.marker.label)}" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${p.t}" y2="${p.b}" stroke="#444" stroke-dasharray="2 3"/>`);
    body.push(`<text x="${tx.toFixed(1)}" y="${p.t + 12}" font-size="10" fill="#333" text-anchor="${anchor}"${HALO}>${esc(o.marker.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts: [number, number, number][] = [];
    const dropped: number[] = [];
    s.xs.forEach((x, k) => {
      const y = s.ys[k];
      if (keep(y)) pts.push([x, p.px(x), p.py(y)]);
      else if (Number.isFinite(y)) {
        dropped.push(x);
        negative ||= y < 0;
      }
    });
    if (dropped.length) left.push(`${s.name} at ${o.xLabel} ${dropped.join(', ')}`);
    body.push(`<polyline data-series="${esc(s.name)}" fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([, x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
    // markers on short series, so each epoch (and a series of one probe) is visible
    if (pts.length <= 30) for (const [, x, y] of pts) body.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${pts.length === 1 ? 4 : 2.5}" fill="${color}"/>`);
    // a ring around the series' point at the marked x (the selected epoch), visible even at the frame's edge
    const at = o.marker ? pts.find(([x]) => x === o.marker!.x) : undefined;
    if (at) body.push(`<circle data-selected="${esc(s.name)}" cx="${at[1].toFixed(1)}" cy="${at[2].toFixed(1)}" r="6.5" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    if (pts.length === 1) {
      const [, x, y] = pts[0];
      const k = s.ys.findIndex(keep);
      const [tx, anchor] = i % 2 === 0 ? [x + 7, 'start'] : [x - 7, 'end'];
      body.push(`<text data-point-label="${esc(s.name)}" x="${tx.toFixed(1)}" y="${y.toFixed(1)}" dy="3.5" font-size="11" fill="${color}" text-anchor="${anchor}"${HALO}>${esc(valueLabel(s.ys[k], o.y?.percent))}</text>`);
    }
  });
  if (series.length > 1) {
    let x = p.l;
    series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length];
      body.push(`<line x1="${x}" x2="${x + 14}" y1="${p.t - 12}" y2="${p.t - 12}" stroke="${color}" stroke-width="2"/><text x="${x + 18}" y="${p.t - 8}" font-size="11" fill="${color}">${esc(s.name)}</text>`);
      x += 30 + 6.2 * s.name.length;
    });
  }
  const note = left.length ? `Left out on the log axis (value ${negative ? '<= 0' : '0'}): ${left.join('; ')}.` : '';
  return figure(id, title, p, body, note, log ? ' data-scale-y="log"' : '');
}

/** A histogram of `values` in `bins` equal-width bins over the x axis's tick range. */
export function histogram(id: string, title: string, values: ArrayLike<number>, xLabel: string, bins = 30, w = 370, h = 250): string {
  const v = Array.from(values).filter(Number.isFinite);
  const xa = makeAxis(v);
  const counts = new Array(bins).fill(0);
  for (const x of v) counts[Math.max(0, Math.min(bins - 1, Math.floor(axisPosition(xa, x) * bins)))]++;
  const ya = makeAxis([0, Math.max(1, ...counts)], { integer: true });
  const p = plotArea(w, h, xa, ya);
  const body = axes(p, xa, ya, xLabel, 'rows');
  const bw = (p.r - p.l) / bins;
  counts.forEach((c, i) => {
    const y = p.py(c);
    body.push(`<rect data-count="${c}" x="${(p.l + i * bw).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0.5, bw - 1).toFixed(1)}" height="${(p.b - y).toFixed(1)}" fill="#1f77b4"/>`);
  });
  return figure(id, title, p, body, '');
}

/** Horizontal bars, one per entry, on a 0-100% axis, each with its value; the first is drawn in colour, the rest grey. */
export function barChart(id: string, title: string, entries: [string, number][], xLabel: string, w = 560): string {
  const h = MARGIN.t + MARGIN.b + 26 * entries.length;
  const xa = makeAxis([0, 1], { percent: true });
  const ya = makeAxis([0, 1]);
  const l = Math.min(260, 16 + 6.2 * Math.max(...entries.map(([n]) => n.length)));
  const p = plotArea(w, h, xa, ya, l);
  const body = axes(p, xa, null, xLabel, '');
  entries.forEach(([name, v], i) => {
    const y = p.t + 5 + 26 * i;
    const x1 = p.px(Math.max(0, Math.min(1, v)));
    body.push(`<text x="${p.l - 7}" y="${y + 12}" font-size="11" text-anchor="end">${esc(name)}</text>`);
    body.push(`<rect data-bar="${esc(name)}" x="${p.l}" y="${y}" width="${(x1 - p.l).toFixed(1)}" height="16" fill="${i === 0 ? COLORS[0] : '#999'}"/>`);
    // the value after the bar, or inside its end when the bar reaches the right edge
    const inside = x1 > p.r - 44;
    body.push(`<text x="${(inside ? x1 - 4 : x1 + 4).toFixed(1)}" y="${y + 12}" font-size="11"${inside ? ' fill="#fff" text-anchor="end"' : ''}>${esc(valueLabel(v, true))}</text>`);
  });
  return figure(id, title, p, body, '');
}
