// `varjepa impute <model> <table>`: fills the missing cells of a table from the model's generative
// path (docs/model.md, section 8), with a median/mode fallback where the model is not better.
//
// Every input column comes out, in its place: the features with their missing cells filled, the
// target and any other column passed through as read. A filled feature column is followed by
// `<name>_spread` (numeric: the standard deviation of the draws in original units; categorical:
// the share of draws that disagreed with the fill) and `<name>_source` ('model', or the fallback
// 'median' / 'mode' of the training rows). Model fills are point estimates of the draws: the
// median of the draws for numeric cells (clamped to the training range, rounded where every
// training value was an integer), the category with the highest mean probability for categorical
// ones (a real category, never the 'unseen' code).
//
// With fill 'auto' (the default), each column is checked before it is filled: observed cells of
// up to `checkRows` rows of the table are hidden (CHECK_SHARE of them, seeded) and filled both
// ways; a column keeps the model only where its error on those cells (MAE, or the error rate) is
// below the training median's or mode's by more than twice the standard error of the per-cell
// difference (a tie within the noise keeps the baseline). The report names every fallback column
// and why.
import * as fs from 'fs';

import { readTable } from '../data/sources';
import { signedExp, signedLog, type FeatureState, type NumericState, type PreprocessorState } from '../data/preprocess';
import { Rng } from '../model/random';
import type { EncodedTable, RawColumn } from '../data/types';
import type { Generation, VarTJepa } from '../model/vartjepa';
import { openModel, UserError } from './table-model';
import type { DeviceOption } from '../model/options';

/** How missing cells are filled: per column by a check ('auto'), always the model, or always the training median/mode. */
export const FILL_MODES = ['auto', 'model', 'baseline'] as const;
export type FillMode = (typeof FILL_MODES)[number];

/** Defaults of {@link ImputeOptions}. */
export const IMPUTE_DEFAULTS = Object.freeze({ draws: 20, seed: 0, fill: 'auto' as FillMode, checkRows: 2000 });

/** Share of a check row's observed cells hidden by the check; a column needs CHECK_MIN_CELLS of them to keep the model. */
export const CHECK_SHARE = 0.2;
export const CHECK_MIN_CELLS = 30;

export interface ImputeOptions {
  /** Where the model runs: 'auto' | 'cpu' | 'cuda' (default: 'auto'). */
  device?: DeviceOption;
  /** Draws per missing cell, 1..100000; default 20. */
  draws: number;
  /** Seed of the draws and of the check's hidden cells; default 0. */
  seed: number;
  /** Output CSV; default stdout. */
  out?: string;
  /** 'auto' (default): the model per column where the check finds it better than the median/mode; 'model'; 'baseline'. */
  fill?: FillMode;
  /** Rows of the table the 'auto' check hides cells of, 1..1e7; default 2000. */
  checkRows?: number;
}

/** The 'auto' check of one column: its error on hidden observed cells, model and baseline. */
export interface ColumnCheck {
  /** Hidden observed cells of the column the errors are over. */
  cells: number;
  /** 'MAE' (numeric, in the column's units) or 'error rate' (categorical). */
  metric: 'MAE' | 'error rate';
  model: number;
  baseline: number;
  /** Standard error of the mean per-cell difference (model - baseline): the model is kept only below baseline - 2 of them. */
  standardError: number;
}

/** What filled one feature column's missing cells. */
export interface ImputeColumnReport {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Missing cells filled. */
  cells: number;
  /** What filled them: the model, or the training 'median' / 'mode' (rows without an observed cell always get the latter). */
  source: 'model' | 'median' | 'mode';
  /** The fallback value (the training median or mode), as written. */
  baselineValue: string;
  /** Cells filled by the fallback. */
  fallbackCells: number;
  /** Why the column fell back (absent where the model filled it). */
  reason?: string;
  check?: ColumnCheck;
}

export interface ImputeReport {
  rows: number;
  imputedCells: number;
  /** Rows with missing cells and no observed feature: filled with the median/mode. */
  rowsWithoutObservedCells: number;
  draws: number;
  fill: FillMode;
  /** Cells filled by the median/mode fallback, over all columns. */
  fallbackCells: number;
  /** Per feature column with missing cells, in the table's order. */
  columns: ImputeColumnReport[];
  output: string | null;
}

/** A scaled numeric value back in the column's original units (inverse of the fitted scaling). */
export function unscale(v: number, f: NumericState, scaling: PreprocessorState['scaling']): number {
  if (scaling === 'minmax') return f.max > f.min ? v * (f.max - f.min) + f.min : f.min;
  if (scaling === 'standard') return f.std > 0 ? v * f.std + f.mean : f.mean;
  if (scaling === 'log') {
    const lo = signedLog(f.min), hi = signedLog(f.max);
    return hi > lo ? signedExp(v * (hi - lo) + lo) : f.min;
  }
  const q = f.quantiles;
  if (!q || q.length < 2) return f.mean;
  const pos = Math.min(Math.max(v, 0), 1) * (q.length - 1);
  const i = Math.min(Math.floor(pos), q.length - 2);
  return q[i] + (pos - i) * (q[i + 1] - q[i]);
}

/** A value in the training range [min, max], rounded when the column is integer-valued. */
export function toColumn(v: number, f: NumericState, integer: boolean): number {
  const c = Math.min(Math.max(v, f.min), f.max);
  return integer ? Math.min(Math.max(Math.round(c), Math.ceil(f.min)), Math.floor(f.max)) : c;
}

/** The numeric fallback: the training median (older states: the middle quantile, else the mean), in the column. */
export function numericBaseline(f: NumericState, integer: boolean): number {
  const q = f.quantiles;
  const m = f.median ?? (q && q.length >= 2 ? unscale(0.5, f, 'quantile') : f.mean);
  return toColumn(m, f, integer);
}

/** Point estimates of one numeric cell from its draws, in the column (range, integers). */
export interface NumericEstimates {
  mean: number;
  median: number;
  /** The first draw alone. */
  single: number;
  /** Standard deviation of the draws. */
  spread: number;
}

/** Point estimates of one categorical cell: category codes, never 0 (unseen or missing). */
export interface CategoricalEstimates {
  /** The category with the highest mean probability over the draws. */
  argmax: number;
  /** The most frequent drawn category. */
  mode: number;
  /** The first draw alone. */
  single: number;
  /** Share of the draws that disagree with argmax. */
  spread: number;
}

/** Draws (scaled values) of cell (i, j) of a generation of `rows` rows. */
function cellDraws(g: Generation, i: number, j: number): number[] {
  return Array.from({ length: g.draws }, (_, d) => g.values[(d * g.rows + i) * g.features + j]);
}

/** Numeric estimates of cell (i, j): each draw unscaled and clamped to the training range first. */
export function numericEstimates(g: Generation, i: number, j: number, f: NumericState, scaling: PreprocessorState['scaling'], integer: boolean): NumericEstimates {
  const u = cellDraws(g, i, j).map((v) => Math.min(Math.max(unscale(v, f, scaling), f.min), f.max));
  const mean = u.reduce((s, v) => s + v, 0) / u.length;
  const sd = Math.sqrt(u.reduce((s, v) => s + (v - mean) ** 2, 0) / u.length);
  const sorted = [...u].sort((a, b) => a - b), n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { mean: toColumn(mean, f, integer), median: toColumn(median, f, integer), single: toColumn(u[0], f, integer), spread: sd };
}

/** Categorical estimates of cell (i, j) of a feature with `card` codes (code 0 excluded). */
export function categoricalEstimates(g: Generation, i: number, j: number, card: number): CategoricalEstimates {
  const off = g.categoryOffsets[j];
  const prob = (d: number, k: number) => g.probs[(d * g.rows + i) * g.probsPerRow + off + k];
  const best = (score: (k: number) => number) => {
    let b = 1;
    for (let k = 2; k < card; k++) if (score(k) > score(b)) b = k;
    return b;
  };
  const meanProb = new Float64Array(card);
  for (let d = 0; d < g.draws; d++) for (let k = 1; k < card; k++) meanProb[k] += prob(d, k);
  const argmax = best((k) => meanProb[k]);
  const draws = cellDraws(g, i, j);
  const counts = new Float64Array(card);
  for (const v of draws) if (v > 0) counts[v]++;
  // ties and 'unseen' draws go to the category of higher mean probability
  const mode = best((k) => counts[k] + meanProb[k] / (g.draws + 1));
  const single = draws[0] > 0 ? draws[0] : best((k) => prob(0, k));
  return { argmax, mode, single, spread: draws.filter((v) => v !== argmax).length / draws.length };
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A cell as read: its text, or its number. */
function rawText(col: RawColumn, r: number): string {
  return col.text?.[r] ?? (Number.isNaN(col.num[r]) ? '' : String(col.num[r]));
}

function formatNumber(v: number, f: NumericState, integer: boolean): string {
  if (integer) return String(v);
  return String(Math.min(Math.max(Number(v.toPrecision(7)), f.min), f.max));
}

/** Generates draws for the rows `idx` of `enc` with `observed`, in chunks; `visit` sees each chunk. */
async function drawChunks(model: VarTJepa, enc: EncodedTable, observed: Uint8Array, idx: number[], draws: number, seed: number, visit: (g: Generation, rows: number[]) => void): Promise<void> {
  const D = enc.features, chunk = 2048;
  for (let c0 = 0; c0 < idx.length; c0 += chunk) {
    const rows = idx.slice(c0, c0 + chunk);
    const x = new Float32Array(rows.length * D), obs = new Uint8Array(rows.length * D);
    rows.forEach((r, i) => {
      x.set(enc.x.subarray(r * D, r * D + D), i * D);
      obs.set(observed.subarray(r * D, r * D + D), i * D);
    });
    visit(await model.generate({ x, rows: rows.length }, obs, { draws, seed: seed + c0 }), rows);
  }
}

/** The model's fill of cell (i, j) of a generation: a number in the column or a category code, and its spread. */
function modelFill(g: Generation, i: number, j: number, f: FeatureState, scaling: PreprocessorState['scaling'], integer: boolean): { value: number; spread: number } {
  if (f.kind === 'numeric') {
    const e = numericEstimates(g, i, j, f, scaling, integer);
    return { value: e.median, spread: e.spread };
  }
  const e = categoricalEstimates(g, i, j, f.categories.length);
  return { value: e.argmax, spread: e.spread };
}

/**
 * The 'auto' check: hides CHECK_SHARE of the observed cells of up to `checkRows` rows with at
 * least two (seeded; at least one stays observed), fills them with the model and the baseline,
 * and returns each wanted column's errors on them.
 */
async function checkColumns(model: VarTJepa, state: PreprocessorState, raw: { columns: RawColumn[] }, colOf: number[], enc: EncodedTable, missing: Uint8Array, wanted: boolean[], integer: boolean[], o: { draws: number; seed: number; checkRows: number }): Promise<Array<ColumnCheck | undefined>> {
  const D = enc.features;
  const rng = new Rng((o.seed + 0x5bd1e995) >>> 0);
  const candidates: number[] = [];
  for (let r = 0; r < enc.rows; r++) {
    let obs = 0;
    for (let j = 0; j < D; j++) obs += missing[r * D + j] ? 0 : 1;
    if (obs >= 2) candidates.push(r);
  }
  for (let i = 0; i < Math.min(o.checkRows, candidates.length); i++) {
    const k = i + Math.floor(rng.next() * (candidates.length - i));
    [candidates[i], candidates[k]] = [candidates[k], candidates[i]];
  }
  const rows = candidates.slice(0, o.checkRows).sort((a, b) => a - b);
  const observed = new Uint8Array(enc.rows * D);
  const hidden = new Uint8Array(enc.rows * D);
  for (const r of rows) {
    const seen: number[] = [];
    for (let j = 0; j < D; j++) if (!missing[r * D + j]) seen.push(j);
    const hide = seen.filter(() => rng.next() < CHECK_SHARE);
    if (hide.length === seen.length) hide.splice(Math.floor(rng.next() * hide.length), 1);
    for (const j of seen) observed[r * D + j] = 1;
    for (const j of hide) {
      observed[r * D + j] = 0;
      hidden[r * D + j] = 1;
    }
  }
  const sums = state.features.map(() => ({ cells: 0, model: 0, baseline: 0, diff2: 0 }));
  const base = state.features.map((f, j) => (f.kind === 'numeric' ? numericBaseline(f, integer[j]) : 1));
  await drawChunks(model, enc, observed, rows, o.draws, o.seed + 7919, (g, idx) => {
    idx.forEach((r, i) => {
      for (let j = 0; j < D; j++) {
        if (!hidden[r * D + j] || !wanted[j]) continue;
        const f = state.features[j];
        const fill = modelFill(g, i, j, f, state.scaling, integer[j]);
        const s = sums[j];
        s.cells++;
        if (f.kind === 'numeric') {
          const truth = raw.columns[colOf[j]].num[r];
          const m = Math.abs(fill.value - truth), b = Math.abs(base[j] - truth);
          s.model += m;
          s.baseline += b;
          s.diff2 += (m - b) ** 2;
        } else {
          const truth = enc.x[r * D + j];
          const m = fill.value === truth ? 0 : 1, b = base[j] === truth ? 0 : 1;
          s.model += m;
          s.baseline += b;
          s.diff2 += (m - b) ** 2;
        }
      }
    });
  });
  return state.features.map((f, j) => {
    if (!wanted[j]) return undefined;
    const s = sums[j];
    const metric = f.kind === 'numeric' ? 'MAE' : 'error rate';
    const n = s.cells, d = n ? (s.model - s.baseline) / n : NaN;
    const se = n > 1 ? Math.sqrt(Math.max(s.diff2 / n - d * d, 0) / (n - 1)) : NaN;
    return { cells: n, metric, model: n ? s.model / n : NaN, baseline: n ? s.baseline / n : NaN, standardError: se };
  });
}

const fmt = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v));

/** Why a checked column falls back, or undefined when the model keeps it. */
function checkVerdict(c: ColumnCheck, f: FeatureState): string | undefined {
  const what = f.kind === 'numeric' ? 'median' : 'mode';
  if (c.cells < CHECK_MIN_CELLS) return `only ${c.cells} observed cells could be hidden to check the model (${CHECK_MIN_CELLS} needed)`;
  if (c.model < c.baseline - 2 * c.standardError) return undefined;
  const close = c.model < c.baseline ? ` by more than twice the standard error of the difference (${fmt(c.standardError)})` : '';
  return `on ${c.cells} hidden observed cells of this table the model's ${c.metric} (${fmt(c.model)}) was not below the training ${what}'s (${fmt(c.baseline)})${close}`;
}

export async function runImpute(modelPath: string, table: string, o: ImputeOptions): Promise<ImputeReport> {
  const fill = o.fill ?? IMPUTE_DEFAULTS.fill;
  if (!(FILL_MODES as readonly string[]).includes(fill)) throw new UserError(`Expected one of ${FILL_MODES.map((m) => `'${m}'`).join(', ')} for --fill but received '${fill}'`);
  const checkRows = o.checkRows ?? IMPUTE_DEFAULTS.checkRows;
  const { model, preprocessor } = await openModel(modelPath, o.device);
  try {
    const state = preprocessor.toJSON();
    if (state.missing !== 'mask') {
      throw new UserError(`The model's preprocessor uses the '${state.missing}' policy, which marks no cell missing: fit with the default 'mask' policy to impute`);
    }
    const raw = await readTable(table);
    const enc = preprocessor.transform(raw);
    const D = enc.features, rows = enc.rows;
    const missing = enc.missing ?? new Uint8Array(rows * D);
    const colIndex = new Map(raw.columns.map((c, i) => [c.name, i]));
    const colOf = state.features.map((f) => colIndex.get(f.name)!);
    // integer-valued: recorded at fit time; for older states, every observed cell of this table
    const integer = state.features.map((f, j) => {
      if (f.kind !== 'numeric') return false;
      if (f.integer !== undefined) return f.integer;
      const num = raw.columns[colOf[j]].num;
      for (let r = 0; r < rows; r++) if (!missing[r * D + j] && !Number.isInteger(num[r])) return false;
      return true;
    });
    const observed = new Uint8Array(rows * D);
    const perColumn = new Int32Array(D);
    let skipped = 0, cells = 0;
    const usable: number[] = [], bare: number[] = [];
    for (let r = 0; r < rows; r++) {
      let obs = 0, miss = 0;
      for (let j = 0; j < D; j++) {
        observed[r * D + j] = missing[r * D + j] ? 0 : 1;
        obs += observed[r * D + j];
        miss += missing[r * D + j];
        perColumn[j] += missing[r * D + j];
      }
      if (miss === 0) continue;
      cells += miss;
      if (obs === 0) {
        skipped++;
        bare.push(r);
      } else usable.push(r);
    }
    const wanted = Array.from(perColumn, (n) => n > 0);
    const baseValue = state.features.map((f, j) => (f.kind === 'numeric' ? formatNumber(numericBaseline(f, integer[j]), f, integer[j]) : (f.categories[1] ?? '')));
    const baseName = (f: FeatureState) => (f.kind === 'numeric' ? 'median' : 'mode');
    // which columns the model fills, and why the others fall back
    const checks = fill === 'auto' && usable.length > 0 ? await checkColumns(model, state, raw, colOf, enc, missing, wanted, integer, { draws: o.draws, seed: o.seed, checkRows }) : [];
    const reasons = state.features.map((f, j): string | undefined => {
      if (!wanted[j]) return undefined;
      if (fill === 'baseline') return "--fill baseline was asked for";
      if (fill === 'model') return undefined;
      return checks[j] ? checkVerdict(checks[j]!, f) : 'no row has an observed cell to check the model on';
    });
    const useModel = reasons.map((why, j) => wanted[j] && why === undefined);
    // per missing cell: the filled text, its spread ('' for the fallback) and its source
    const filled = new Map<number, { text: string; spread: string; source: string }>();
    if (useModel.some(Boolean)) {
      await drawChunks(model, enc, observed, usable, o.draws, o.seed, (g, idx) => {
        idx.forEach((r, i) => {
          for (let j = 0; j < D; j++) {
            if (observed[r * D + j] || !useModel[j]) continue;
            const f = state.features[j];
            const m = modelFill(g, i, j, f, state.scaling, integer[j]);
            const text = f.kind === 'numeric' ? formatNumber(m.value, f, integer[j]) : f.categories[m.value];
            const spread = f.kind === 'numeric' ? Number(m.spread.toPrecision(4)) : Number(m.spread.toFixed(4));
            filled.set(r * D + j, { text, spread: String(spread), source: 'model' });
          }
        });
      });
    }
    const fallback = new Int32Array(D);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < D; j++) {
        if (!missing[r * D + j] || filled.has(r * D + j)) continue;
        filled.set(r * D + j, { text: baseValue[j], spread: '', source: baseName(state.features[j]) });
        fallback[j]++;
      }
    }
    // every input column in its place; a filled feature column is followed by its spread and source
    const featureOf = new Map(colOf.map((c, j) => [c, j]));
    const header: string[] = [];
    raw.columns.forEach((c, ci) => {
      header.push(c.name);
      const j = featureOf.get(ci);
      if (j !== undefined && wanted[j]) header.push(`${c.name}_spread`, `${c.name}_source`);
    });
    const lines: string[] = [header.map(csvCell).join(',')];
    for (let r = 0; r < rows; r++) {
      const out: string[] = [];
      raw.columns.forEach((c, ci) => {
        const j = featureOf.get(ci);
        const cell = j === undefined ? undefined : filled.get(r * D + j);
        out.push(csvCell(cell ? cell.text : rawText(c, r)));
        if (j !== undefined && wanted[j]) out.push(cell ? cell.spread : '', cell ? cell.source : '');
      });
      lines.push(out.join(','));
    }
    const text = lines.join('\n') + '\n';
    if (o.out) {
      const tmp = `${o.out}.tmp-${process.pid}`;
      try {
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, o.out);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw new UserError(`Could not write '${o.out}': ${(err as Error).message}`);
      }
    } else {
      process.stdout.write(text);
    }
    const columns: ImputeColumnReport[] = [];
    state.features.forEach((f, j) => {
      if (!wanted[j]) return;
      const c: ImputeColumnReport = { name: f.name, kind: f.kind, cells: perColumn[j], source: useModel[j] ? 'model' : baseName(f), baselineValue: baseValue[j], fallbackCells: fallback[j] };
      if (reasons[j] !== undefined) c.reason = reasons[j];
      else if (fallback[j] > 0) c.reason = `${fallback[j]} cells are in rows with no observed cell`;
      if (checks[j]) c.check = checks[j];
      columns.push(c);
    });
    columns.sort((a, b) => colIndex.get(a.name)! - colIndex.get(b.name)!);
    return { rows, imputedCells: cells, rowsWithoutObservedCells: skipped, draws: o.draws, fill, fallbackCells: fallback.reduce((s, v) => s + v, 0), columns, output: o.out ?? null };
  } finally {
    model.dispose();
  }
}

/** The report as text: the cells filled, then one line per column that fell back, with the reason. */
export function formatImpute(r: ImputeReport): string {
  const lines = [`imputed ${r.imputedCells} cells with ${r.draws} draws each${r.output ? ` into ${r.output}` : ''}; ${r.fallbackCells} of them from the median/mode fallback`];
  const model = r.columns.filter((c) => c.source === 'model').map((c) => c.name);
  if (model.length) lines.push(`model: ${model.join(', ')}`);
  for (const c of r.columns) {
    if (c.fallbackCells === 0) continue;
    lines.push(`fallback: '${c.name}' ${c.fallbackCells} of ${c.cells} cells get the training ${c.kind === 'numeric' ? 'median' : 'mode'} ${c.baselineValue}: ${c.reason}`);
  }
  return lines.join('\n');
}
