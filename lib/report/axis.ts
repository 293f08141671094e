// Axes of the report's charts: a range of values turned into a domain with "nice" tick values
// (1, 2 or 5 times a power of ten on a linear axis, decades on a log axis) and their labels, and
// the mapping of a value to its place along the axis.

/** One axis: its domain, the tick values, how a value is placed and how a tick is written. */
export interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
  /** A tick value as the axis label writes it. */
  format(v: number): string;
}

/** How an axis is built from the values it must show. */
export interface AxisOptions {
  /** 'linear' (default) or 'log' (values must be > 0; the caller drops the others). */
  scale?: 'linear' | 'log';
  /** Write ticks as percentages (0.85 as 85%). */
  percent?: boolean;
  /** Ticks on whole numbers only (epochs). */
  integer?: boolean;
  /** Fraction of the values' span added below and above before rounding to ticks; default 0. */
  pad?: number;
  /** About this many ticks on a linear axis; default 5. */
  ticks?: number;
}

/** Where v lies along the axis, 0 at lo and 1 at hi. */
export function axisPosition(a: Axis, v: number): number {
  return a.log ? (Math.log10(v) - Math.log10(a.lo)) / (Math.log10(a.hi) - Math.log10(a.lo)) : (v - a.lo) / (a.hi - a.lo);
}

/** The nice step (1, 2 or 5 times a power of ten) closest to span / count. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/** Digits after the decimal point that tell ticks `step` apart. */
function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

function linearAxis(lo: number, hi: number, o: AxisOptions): Axis {
  if (lo === hi) {
    // one value: an axis centred on it, so the point sits mid-chart with ticks around it
    const half = o.integer ? 1 : o.percent ? 0.05 : Math.abs(lo) * 0.1 || 1;
    lo -= half;
    hi += half;
  } else {
    const pad = (o.pad ?? 0) * (hi - lo);
    lo -= pad;
    hi += pad;
  }
  let step = niceStep(hi - lo, o.ticks ?? 5);
  if (o.integer) step = Math.max(1, step);
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  const unit = o.percent ? 100 : 1;
  const dec = decimalsOf(step * unit);
  // rounded to the step's digits so that 0.1 + 0.2 prints (and compares) as 0.3
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(dec + (o.percent ? 2 : 0))));
  const tiny = !o.percent && step < 1e-3;
  const big = !o.percent && Math.max(Math.abs(ticks[0]), Math.abs(ticks[ticks.length - 1])) >= 1e6;
  const format = (v: number): string => {
    if (v === 0) return o.percent ? '0%' : '0';
    if (tiny || big) return v.toExponential(Math.max(0, Math.floor(Math.log10(Math.abs(v)) + 1e-9) - Math.floor(Math.log10(step) + 1e-9)));
    return o.percent ? `${(v * 100).toFixed(dec)}%` : v.toFixed(dec);
  };
  return { lo: ticks[0], hi: ticks[ticks.length - 1], log: false, ticks, format };
}

/** 10^e written as 0.001 .. 1000 in plain digits, else as 1e-5. */
function formatPower(v: number): string {
  const e = Math.floor(Math.log10(v) + 1e-9);
  const m = Math.round(v / 10 ** e);
  return e >= -3 && e <= 3 ? Number(v.toPrecision(1)).toString() : `${m}e${e}`;
}

function logAxis(lo: number, hi: number): Axis {
  let e0 = Math.floor(Math.log10(lo) + 1e-9), e1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (e1 <= e0) e1 = e0 + 1;
  const ticks: number[] = [];
  // a decade or two: 1, 2, 5 in each; many decades: every decade, or every other past eight
  const every = e1 - e0 > 8 ? 2 : 1;
  for (let e = e0; e <= e1; e += every) {
    ticks.push(Number((10 ** e).toPrecision(1)));
    if (e1 - e0 <= 2 && e < e1) ticks.push(Number((2 * 10 ** e).toPrecision(1)), Number((5 * 10 ** e).toPrecision(1)));
  }
  return { lo: 10 ** e0, hi: 10 ** e1, log: true, ticks, format: formatPower };
}

/**
 * The axis that shows `values` (non-finite ones ignored; on a log axis also those <= 0).
 *
 * @example
 * makeAxis([0.61, 1.65]).ticks;                 // [0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8]
 * makeAxis([2e-7, 1e-4], { scale: 'log' }).ticks; // [1e-7, 1e-6, 1e-5, 1e-4]
 */
export function makeAxis(values: number[], o: AxisOptions = {}): Axis {
  const log = o.scale === 'log';
  const f = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!f.length) return log ? logAxis(1e-3, 1) : linearAxis(0, 1, o);
  let lo = f[0], hi = f[0];
  for (const v of f) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return log ? logAxis(lo, hi) : linearAxis(lo, hi, o);
}
