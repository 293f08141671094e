// The preprocessor: fitted on the training rows only (docs/model.md, section 9), applied to any rows.
// Numeric: min-max (default), standard or quantile scaling; values outside the fitted range are
// kept, not clipped; each numeric column also records its training median and whether every
// value is an integer (imputation's fallback and output format; absent in older states).
// Categorical: codes by training frequency, code 0 for unseen or missing.
// Its whole fitted state is plain JSON (saved with the model), and transform after a JSON round
// trip gives the same arrays.
import {
  cellKey,
  inferKind,
  inferTask,
  isInfinityText,
  listColumns,
  type MissingPolicy,
  PreprocessOptions,
  resolveOptions,
  type Scaling,
  type Task,
} from './schema';
import { parseDecimal, asTable, TableInput } from './sources';
import { checkState, type CategoricalState, type FeatureState, type NumericState, type PreprocessorState, type TargetState } from './state';
import { DataError, EncodedTable, RawColumn, RawTable, rowRef, Schema } from './types';
import { integer, invalid } from '../validate';

/** Options of {@link Preprocessor.transform}. */
export interface TransformOptions {
  /** The rows to encode (indices into the table); default all. */
  rows?: ArrayLike<number>;
  /** A category the training rows did not have: 'count' (default; encoded as code 0 and counted in `unseen`) or 'error' (a DataError naming the column, row and value). */
  unseen?: 'count' | 'error';
}

/** The name shown for code 0 in `categories` (reserved for unseen or missing values). */
export const UNSEEN_CATEGORY = '<unseen or missing>';

export type { NumericState, CategoricalState, FeatureState, TargetState, PreprocessorState } from './state';

function notNumeric(table: RawTable, col: RawColumn, r: number, t: string): DataError {
  if (isInfinityText(t)) return notFinite(table, col, r, t);
  return new DataError('NOT_NUMERIC', `Column '${col.name}' is numeric but ${rowRef(table, r)} has '${t}': fix the value, list it in options.missingValues, or declare the column categorical`);
}

function notFinite(table: RawTable, col: RawColumn, r: number, what: string): DataError {
  return new DataError('NOT_FINITE', `Column '${col.name}' has the non-finite value ${what} in ${rowRef(table, r)}: use a finite number, or leave the cell empty to mark it missing`);
}

/** Linear-interpolated quantiles of sorted values at probabilities k/(q-1). */
function quantilesOf(sorted: Float64Array, q: number): number[] {
  const n = sorted.length;
  const out: number[] = [];
  for (let k = 0; k < q; k++) {
    const pos = (k * (n - 1)) / (q - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    out.push(sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]));
  }
  return out;
}

function fitNumeric(table: RawTable, col: RawColumn, rows: Int32Array, missing: ReadonlySet<string>, scaling: Scaling, q: number, policy: MissingPolicy, warnings: string[]): NumericState {
  const values = new Float64Array(rows.length);
  let n = 0;
  let gaps = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const v = col.num[r];
    if (v === v) {
      if (v === Infinity || v === -Infinity) throw notFinite(table, col, r, String(v));
      values[n++] = v;
      continue;
    }
    const t = col.text?.[r];
    if (t === undefined || missing.has(t)) gaps++;
    else throw notNumeric(table, col, r, t);
  }
  const seen = values.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += seen[i];
  const mean = n > 0 ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (seen[i] - mean) * (seen[i] - mean);
  let integer = n > 0;
  for (let i = 0; i < n && integer; i++) integer = Number.isInteger(seen[i]);
  const median = n === 0 ? 0 : n % 2 ? seen[(n - 1) / 2] : (seen[n / 2 - 1] + seen[n / 2]) / 2;
  const f: NumericState = { name: col.name, kind: 'numeric', min: n ? seen[0] : 0, max: n ? seen[n - 1] : 0, mean, std: n ? Math.sqrt(ss / n) : 0, median, integer };
  if (scaling === 'quantile' && n >= 2) f.quantiles = quantilesOf(seen, Math.min(q, n));
  if (n === 0) warnings.push(`Column '${col.name}' has no values in the training rows: kept, every cell is treated as missing`);
  else if (f.min === f.max) warnings.push(`Column '${col.name}' is constant (${f.min}) in the training rows: kept, scaled to 0`);
  if (gaps > 0 && n > 0) {
    const how = policy === 'mask' ? `masked (options.missing = 'mask') and hold the training mean ${mean} in x` : `imputed with the training mean ${mean}`;
    warnings.push(`Column '${col.name}' has ${gaps} missing value${gaps === 1 ? '' : 's'} in the training rows: ${how}`);
  }
  return f;
}

function fitCategorical(table: RawTable, col: RawColumn, rows: Int32Array, missing: ReadonlySet<string>, max: number, policy: MissingPolicy, warnings: string[]): CategoricalState {
  const counts = new Map<string, number>();
  let gaps = 0;
  for (let i = 0; i < rows.length; i++) {
    const key = cellKey(col, rows[i], missing);
    if (key === null) gaps++;
    else counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size > max) {
    throw new DataError(
      'TOO_MANY_CATEGORIES',
      `Column '${col.name}' of ${table.source} has ${counts.size} distinct values in the training rows, more than options.maxCategories (${max}): leave it out (options.ignore), raise options.maxCategories, or declare it numeric (options.kinds)`,
    );
  }
  const keys = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 1) warnings.push(`Column '${col.name}' has the single value '${keys[0]}' in the training rows: kept (code 1)`);
  if (keys.length === 0) warnings.push(`Column '${col.name}' has no values in the training rows: kept, every cell is treated as missing`);
  if (gaps > 0 && keys.length > 0) {
    const how = policy === 'mask' ? 'code 0 and are masked' : 'code 0';
    warnings.push(`Column '${col.name}' has ${gaps} missing value${gaps === 1 ? '' : 's'} in the training rows: they get ${how}`);
  }
  return { name: col.name, kind: 'categorical', categories: [UNSEEN_CATEGORY, ...keys] };
}

function classOrder(keys: string[]): string[] {
  const numeric = keys.every((k) => parseDecimal(k) === parseDecimal(k));
  return numeric ? keys.sort((a, b) => parseDecimal(a) - parseDecimal(b)) : keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function fitTarget(table: RawTable, col: RawColumn, rows: Int32Array, missing: ReadonlySet<string>, task: Task | 'auto', max: number): TargetState {
  const t = task === 'auto' ? inferTask(col, rows, missing) : task;
  const labelMissing = (r: number): DataError =>
    new DataError('MISSING_LABEL', `The target '${col.name}' is missing in ${rowRef(table, r)}: fill in the label or leave the row out of the training rows`);
  if (t === 'regression') {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const v = col.num[r];
      if (v === v) {
        if (v === Infinity || v === -Infinity) throw notFinite(table, col, r, String(v));
        continue;
      }
      const s = col.text?.[r];
      if (s === undefined || missing.has(s)) throw labelMissing(r);
      throw notNumeric(table, col, r, s);
    }
    return { name: col.name, task: 'regression' };
  }
  const seen = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    const key = cellKey(col, rows[i], missing);
    if (key === null) throw labelMissing(rows[i]);
    seen.add(key);
  }
  if (seen.size > max) {
    throw new DataError('TOO_MANY_CATEGORIES', `The target '${col.name}' has ${seen.size} classes in the training rows, more than options.maxCategories (${max}): set options.task = 'regression' or raise options.maxCategories`);
  }
  return { name: col.name, task: 'classification', classes: classOrder([...seen]) };
}

/** Fits the preprocessor on the training rows (options.rows, default all) of a table.
 *
 * @example
 * const table = await readTable('adult.csv.gz');
 * const pre = fitPreprocessor(table, { target: 'income' });
 * const encoded = pre.transform(table); // { x, rows, labels, missing? }
 * fs.writeFileSync('pre.json', JSON.stringify(pre.toJSON()));
 */
export function fitPreprocessor(input: TableInput, options: PreprocessOptions = {}): Preprocessor {
  const table = asTable(input);
  const o = resolveOptions(table, options);
  const missing = new Set(o.missingValues);
  const warnings: string[] = [];
  const features = o.features.map(({ column, kind }) => {
    const col = table.columns[column];
    const k = kind ?? inferKind(table, col, o.rows, missing, o.maxIntegerCategories);
    return k === 'numeric'
      ? fitNumeric(table, col, o.rows, missing, o.scaling, o.quantiles, o.missing, warnings)
      : fitCategorical(table, col, o.rows, missing, o.maxCategories, o.missing, warnings);
  });
  const targets = o.targets.map(({ column }) => fitTarget(table, table.columns[column], o.rows, missing, o.task, o.maxCategories));
  return new Preprocessor({
    format: 'varjepa-preprocessor',
    version: 1,
    scaling: o.scaling,
    missing: o.missing,
    missingValues: o.missingValues,
    features,
    targets,
    warnings,
    trainingRows: o.rows.length,
  });
}

/** The 'log' scaling's transform: sign(v) * log(1 + |v|), and its inverse. */
export const signedLog = (v: number): number => Math.sign(v) * Math.log1p(Math.abs(v));
export const signedExp = (t: number): number => Math.sign(t) * Math.expm1(Math.abs(t));

/** v -> scaled value of a fitted numeric feature (no clipping). */
function scaler(f: NumericState, scaling: Scaling): (v: number) => number {
  const { min, max, mean, std } = f;
  if (scaling === 'standard') {
    const s = std > 0 ? std : 1;
    return (v) => (v - mean) / s;
  }
  if (scaling === 'log') {
    const lo = signedLog(min), hi = signedLog(max);
    const d = hi > lo ? hi - lo : 1;
    return (v) => (signedLog(v) - lo) / d;
  }
  const q = f.quantiles;
  if (scaling === 'minmax' || !q || q[0] === q[q.length - 1]) {
    const d = max > min ? max - min : 1;
    return (v) => (v - min) / d;
  }
  const last = q.length - 1;
  const span = q[last] - q[0];
  return (v) => {
    if (v < q[0]) return (v - q[0]) / span;
    if (v > q[last]) return 1 + (v - q[last]) / span;
    let lo = 0; // first knot >= v
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (q[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    if (q[lo] === v) {
      let top = lo; // ties: the middle of the run of equal knots
      while (top < last && q[top + 1] === v) top++;
      return (lo + top) / 2 / last;
    }
    return (lo - 1 + (v - q[lo - 1]) / (q[lo] - q[lo - 1])) / last;
  };
}

/** A fitted preprocessor: `transform` encodes tables for the model; `toJSON`/`fromJSON` save and load it. */
export class Preprocessor {
  private readonly state: PreprocessorState;
  private readonly missingSet: ReadonlySet<string>;
  private readonly scalers: Array<((v: number) => number) | null>;
  private readonly codes: Array<Map<string, number> | null>;
  private readonly classIndex: Array<Map<string, number> | null>;

  constructor(state: PreprocessorState) {
    checkState(state);
    this.state = JSON.parse(JSON.stringify(state)) as PreprocessorState;
    this.missingSet = new Set(this.state.missingValues);
    this.scalers = this.state.features.map((f) => (f.kind === 'numeric' ? scaler(f, this.state.scaling) : null));
    this.codes = this.state.features.map((f) => (f.kind === 'categorical' ? new Map(f.categories.slice(1).map((c, i) => [c, i + 1])) : null));
    this.classIndex = this.state.targets.map((t) => (t.classes ? new Map(t.classes.map((c, i) => [c, i])) : null));
  }

  /** Loads a preprocessor from its JSON form (an object or a JSON string), checking every field. */
  static fromJSON(json: unknown): Preprocessor {
    let state = json;
    if (typeof json === 'string') {
      try {
        state = JSON.parse(json);
      } catch (err) {
        throw new DataError('BAD_STATE', `The preprocessor JSON does not parse: ${(err as Error).message}`);
      }
    }
    return new Preprocessor(state as PreprocessorState);
  }

  /** The JSON form (a deep copy). */
  toJSON(): PreprocessorState {
    return JSON.parse(JSON.stringify(this.state)) as PreprocessorState;
  }

  /** The schema handed to the model. */
  get schema(): Schema {
    const s = this.state;
    const targets = s.targets.map((t) => (t.classes ? { name: t.name, task: t.task, classes: [...t.classes] } : { name: t.name, task: t.task }));
    const schema: Schema = {
      features: s.features.map((f) => (f.kind === 'categorical' ? { name: f.name, kind: f.kind, categories: [...f.categories] } : { name: f.name, kind: f.kind })),
      scaling: s.scaling,
      missing: s.missing,
      warnings: [...s.warnings],
    };
    if (targets.length > 0) schema.target = targets[0];
    if (targets.length > 1) schema.targets = targets;
    return schema;
  }

  /** Feature names in model order. */
  get featureNames(): string[] {
    return this.state.features.map((f) => f.name);
  }

  /**
   * Encodes rows of a table (options.rows, default all). Every fitted feature column must be
   * present (extra columns are ignored); the labels come along when the target columns are present.
   */
  transform(input: TableInput, options: TransformOptions = {}): EncodedTable {
    const table = asTable(input);
    const onUnseen = options.unseen ?? 'count';
    if (onUnseen !== 'count' && onUnseen !== 'error') throw invalid('options.unseen', "'count' or 'error'", onUnseen);
    const unseen: Record<string, number> = {};
    const s = this.state;
    const index = new Map(table.columns.map((c, i) => [c.name, i]));
    const absent = s.features.filter((f) => !index.has(f.name)).map((f) => f.name);
    if (absent.length > 0) {
      throw new DataError(
        'HEADER_MISMATCH',
        `The columns of ${table.source} do not match the fitted schema: ${listColumns(absent)} ${absent.length === 1 ? 'is' : 'are'} missing (its columns are ${listColumns(table.columns.map((c) => c.name))})`,
      );
    }
    const rows = this.rowsOf(table, options.rows);
    const n = rows.length;
    const D = s.features.length;
    const x = new Float32Array(n * D);
    const mask = s.missing === 'mask' ? new Uint8Array(n * D) : null;
    let anyMissing = false;
    for (let j = 0; j < D; j++) {
      const f = s.features[j];
      const col = table.columns[index.get(f.name)!];
      const scale = this.scalers[j];
      if (scale && f.kind === 'numeric') {
        const fill = scale(f.mean);
        for (let i = 0; i < n; i++) {
          const r = rows[i];
          const v = col.num[r];
          if (v === v) {
            if (v === Infinity || v === -Infinity) throw notFinite(table, col, r, String(v));
            x[i * D + j] = scale(v);
            continue;
          }
          const t = col.text?.[r];
          if (t !== undefined && !this.missingSet.has(t)) throw notNumeric(table, col, r, t);
          x[i * D + j] = fill;
          if (mask) mask[i * D + j] = 1;
          anyMissing = true;
        }
      } else {
        const codes = this.codes[j]!;
        const byNumber = new Map<number, number>();
        for (let i = 0; i < n; i++) {
          const r = rows[i];
          const t = col.text?.[r];
          let code: number;
          if (t !== undefined) code = this.missingSet.has(t) ? -1 : (codes.get(t) ?? 0);
          else {
            const v = col.num[r];
            if (v !== v) code = -1;
            else {
              let c = byNumber.get(v);
              if (c === undefined) byNumber.set(v, (c = codes.get(String(v)) ?? 0));
              code = c;
            }
          }
          if (code < 0) {
            code = 0;
            if (mask) mask[i * D + j] = 1;
            anyMissing = true;
          } else if (code === 0) {
            // a category the training rows did not have: encoded as code 0, counted, or refused
            if (onUnseen === 'error') throw new DataError('UNSEEN_CATEGORY', `Column '${f.name}' has the category '${t ?? String(col.num[r])}' in ${rowRef(table, r)}, which the training rows did not have`);
            unseen[f.name] = (unseen[f.name] ?? 0) + 1;
          }
          x[i * D + j] = code;
        }
      }
    }
    const out: EncodedTable = { rows: n, features: D, x };
    if (mask && anyMissing) out.missing = mask;
    if (Object.keys(unseen).length > 0) out.unseen = unseen;
    if (s.targets.length > 0 && s.targets.every((t) => index.has(t.name))) {
      const all = s.targets.map((t, k) => this.labels(table.columns[index.get(t.name)!], rows, k));
      out.labels = all[0];
      if (s.targets[0].classes) out.labelNames = [...s.targets[0].classes];
      if (all.length > 1) out.targetLabels = all;
    }
    return out;
  }

  private rowsOf(table: RawTable, rows: ArrayLike<number> | undefined): Int32Array {
    if (rows === undefined) return Int32Array.from({ length: table.rows }, (_, i) => i);
    if (rows === null || typeof rows !== 'object' || typeof rows.length !== 'number') throw invalid('options.rows', 'an array of row indices', rows, 'type');
    const out = Int32Array.from(rows);
    for (let i = 0; i < out.length; i++) if (out[i] !== rows[i] || out[i] < 0 || out[i] >= table.rows) integer(`options.rows[${i}]`, rows[i], 0, table.rows - 1);
    return out;
  }

  /** Labels of one target: class index (-1 = missing or unseen class) or value (NaN = missing). */
  private labels(col: RawColumn, rows: Int32Array, k: number): Int32Array | Float32Array {
    const classes = this.classIndex[k];
    if (!classes) {
      const out = new Float32Array(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = Number.isFinite(col.num[rows[i]]) ? col.num[rows[i]] : NaN;
      return out;
    }
    const out = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const key = cellKey(col, rows[i], this.missingSet);
      out[i] = key === null ? -1 : (classes.get(key) ?? -1);
    }
    return out;
  }
}
