// Which columns are features (numeric or categorical), which are targets, which are ignored:
// the options that say so, their checks, and the inference from the training rows.
import { DataError, RawColumn, RawTable, rowRef } from './types';
import { integer, invalid, oneOf, conflict } from '../validate';

export type ColumnKind = 'numeric' | 'categorical';
import type { Scaling } from './types';
export type { Scaling } from './types';
/** The numeric scalings, in the order the docs list them. */
export const SCALINGS: readonly Scaling[] = ['minmax', 'standard', 'quantile', 'log'];
export type MissingPolicy = 'mask' | 'impute-mean';
export type Task = 'classification' | 'regression';

/** Options of {@link fitPreprocessor}. */
export interface PreprocessOptions {
  /** Target column name(s): kept out of the features and returned as labels (the first as `labels`). Default: none. */
  target?: string | string[];
  /** Task of the target(s): 'auto' (default) = classification for text or integer columns with at most 20 distinct values, else regression. */
  task?: Task | 'auto';
  /** Columns left out entirely (ids, leaks). Default: none. */
  ignore?: string[];
  /** Kind overrides by column name; other columns are inferred. Default: {}. */
  kinds?: Record<string, ColumnKind>;
  /**
   * Numeric scaling fitted on the training rows: 'minmax' (default, to [0, 1]), 'standard' (zero
   * mean, unit variance), 'quantile' (empirical CDF, [0, 1]), 'log' (sign(v) * log(1 + |v|), then
   * min-max to [0, 1]: a heavy tail no longer squashes the other values toward one end).
   */
  scaling?: Scaling;
  /** Missing values: 'mask' (default; flagged in EncodedTable.missing) or 'impute-mean' (no mask; numeric cells get the training mean). */
  missing?: MissingPolicy;
  /** Cell texts that mean "missing". Default: '', '?', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'. */
  missingValues?: string[];
  /** Most distinct values a categorical column may have in the training rows, 1..1e6; default 1000. */
  maxCategories?: number;
  /** Integer-valued columns with 2 to this many distinct values (and at most half as many as rows) are inferred categorical, 0..1e4; default 10 (0 turns it off). */
  maxIntegerCategories?: number;
  /** Quantile scaling: number of quantiles kept, 2..100000; default 1000 (fewer when there are fewer training rows). */
  quantiles?: number;
  /** The training rows (indices into the table) to fit on; default: all rows. */
  rows?: ArrayLike<number>;
}

/** Defaults of {@link PreprocessOptions}. */
export const PREPROCESS_DEFAULTS = {
  task: 'auto' as Task | 'auto',
  scaling: 'minmax' as Scaling,
  missing: 'mask' as MissingPolicy,
  missingValues: ['', '?', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'],
  maxCategories: 1000,
  maxIntegerCategories: 10,
  quantiles: 1000,
  /** An integer-valued target with at most this many distinct values is a classification target. */
  maxInferredClasses: 20,
} as const;

/** Options checked and filled in with defaults; columns resolved to table indices. */
export interface ResolvedOptions {
  targets: Array<{ name: string; column: number }>;
  task: Task | 'auto';
  features: Array<{ name: string; column: number; kind: ColumnKind | null }>;
  scaling: Scaling;
  missing: MissingPolicy;
  missingValues: string[];
  maxCategories: number;
  maxIntegerCategories: number;
  quantiles: number;
  rows: Int32Array;
}

function names(path: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(path, 'a column name or an array of column names', v, 'type');
  return v as string[];
}

/** 'a, b, c, ... and 40 more' */
export function listColumns(cols: string[]): string {
  const shown = cols.slice(0, 12).map((c) => `'${c}'`).join(', ');
  return cols.length > 12 ? `${shown} and ${cols.length - 12} more` : shown;
}

/** Checks the options against the table and fills in defaults. */
export function resolveOptions(table: RawTable, options: PreprocessOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options, 'type');
  const index = new Map(table.columns.map((c, i) => [c.name, i]));
  const all = table.columns.map((c) => c.name);
  const targets = names('options.target', options.target).map((name) => {
    const column = index.get(name);
    if (column === undefined) {
      throw new DataError('MISSING_LABEL', `The target column '${name}' is not in ${table.source}; its columns are ${listColumns(all)}`);
    }
    return { name, column };
  });
  const ignore = names('options.ignore', options.ignore);
  for (const name of ignore) {
    if (!index.has(name)) throw new DataError('UNKNOWN_COLUMN', `options.ignore names the column '${name}', which is not in ${table.source}; its columns are ${listColumns(all)}`);
    if (targets.some((t) => t.name === name)) throw conflict(`The column '${name}' is both a target (options.target) and ignored (options.ignore)`);
  }
  const kinds = options.kinds ?? {};
  if (kinds === null || typeof kinds !== 'object' || Array.isArray(kinds)) throw invalid('options.kinds', 'an object of column kinds', kinds, 'type');
  for (const [name, kind] of Object.entries(kinds)) {
    oneOf(`options.kinds['${name}']`, kind, ['numeric', 'categorical'] as const);
    if (!index.has(name)) throw new DataError('UNKNOWN_COLUMN', `options.kinds names the column '${name}', which is not in ${table.source}; its columns are ${listColumns(all)}`);
    if (targets.some((t) => t.name === name)) throw conflict(`The column '${name}' is a target (options.target); options.kinds applies to features only (use options.task for the target)`);
    if (ignore.includes(name)) throw conflict(`The column '${name}' is ignored (options.ignore) and also given a kind in options.kinds`);
  }
  const left = new Set([...targets.map((t) => t.name), ...ignore]);
  const features = table.columns
    .map((c, column) => ({ name: c.name, column, kind: (kinds[c.name] as ColumnKind | undefined) ?? null }))
    .filter((f) => !left.has(f.name));
  if (features.length === 0) throw new DataError('NO_FEATURES', `No feature columns are left in ${table.source} once the target and ignored columns are taken out`);
  const mv = options.missingValues ?? PREPROCESS_DEFAULTS.missingValues;
  if (!Array.isArray(mv) || !mv.every((x) => typeof x === 'string')) throw invalid('options.missingValues', 'an array of strings', mv, 'type');
  let rows: Int32Array;
  if (options.rows === undefined) rows = Int32Array.from({ length: table.rows }, (_, i) => i);
  else {
    const r = options.rows;
    if (r === null || typeof r !== 'object' || typeof r.length !== 'number') throw invalid('options.rows', 'an array of row indices', r, 'type');
    rows = Int32Array.from(r);
    for (let i = 0; i < rows.length; i++) if (rows[i] !== r[i] || rows[i] < 0 || rows[i] >= table.rows) integer(`options.rows[${i}]`, r[i], 0, table.rows - 1);
  }
  if (rows.length === 0) {
    const why = table.rows === 0 ? `${table.source} has a header but no data rows` : 'options.rows is empty';
    throw new DataError('NO_ROWS', `Cannot fit on zero training rows: ${why}`);
  }
  return {
    targets,
    task: oneOf('options.task', options.task ?? PREPROCESS_DEFAULTS.task, ['auto', 'classification', 'regression'] as const),
    features,
    scaling: oneOf('options.scaling', options.scaling ?? PREPROCESS_DEFAULTS.scaling, SCALINGS),
    missing: oneOf('options.missing', options.missing ?? PREPROCESS_DEFAULTS.missing, ['mask', 'impute-mean'] as const),
    missingValues: [...mv],
    maxCategories: integer('options.maxCategories', options.maxCategories ?? PREPROCESS_DEFAULTS.maxCategories, 1, 1e6),
    maxIntegerCategories: integer('options.maxIntegerCategories', options.maxIntegerCategories ?? PREPROCESS_DEFAULTS.maxIntegerCategories, 0, 1e4),
    quantiles: integer('options.quantiles', options.quantiles ?? PREPROCESS_DEFAULTS.quantiles, 2, 100000),
    rows,
  };
}

/** Text that spells an infinite number ('Infinity', '-inf'). */
export function isInfinityText(s: string): boolean {
  return /^\s*[+-]?(inf|infinity)\s*$/i.test(s);
}

/** The category or class name of a cell, or null when it is missing. Numbers are named by String(number). */
export function cellKey(col: RawColumn, r: number, missing: ReadonlySet<string>): string | null {
  const t = col.text?.[r];
  if (t !== undefined) return missing.has(t) ? null : t;
  const v = col.num[r];
  return v === v ? String(v) : null;
}

/** What one pass over a column's training rows found. */
export interface ColumnScan {
  numbers: number;
  texts: number;
  missing: number;
  /** First row (table index) holding non-numeric text / a non-finite number; -1 if none. */
  firstText: number;
  firstNonFinite: number;
  integer: boolean;
  /** Distinct finite numbers, counted up to cap + 1. */
  distinct: number;
}

export function scanColumn(col: RawColumn, rows: Int32Array, missing: ReadonlySet<string>, cap: number): ColumnScan {
  const s: ColumnScan = { numbers: 0, texts: 0, missing: 0, firstText: -1, firstNonFinite: -1, integer: true, distinct: 0 };
  const seen = new Set<number>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const v = col.num[r];
    if (v === v) {
      if (v === Infinity || v === -Infinity) {
        if (s.firstNonFinite < 0) s.firstNonFinite = r;
        continue;
      }
      s.numbers++;
      if (s.integer && !Number.isInteger(v)) s.integer = false;
      if (seen.size <= cap) seen.add(v);
      continue;
    }
    const t = col.text?.[r];
    if (t === undefined || missing.has(t)) s.missing++;
    else if (isInfinityText(t)) {
      if (s.firstNonFinite < 0) s.firstNonFinite = r;
    } else {
      s.texts++;
      if (s.firstText < 0) s.firstText = r;
    }
  }
  s.distinct = seen.size;
  return s;
}

/**
 * The kind of a feature column from its training rows: text makes it categorical, numbers numeric,
 * except integer columns with few (2 or more) distinct values: categorical. A constant column is
 * numeric (scaled to 0 with a warning). A column that is numbers but for
 * a stray text value or two is an error (most likely a typo), not silently categorical.
 */
export function inferKind(table: RawTable, col: RawColumn, rows: Int32Array, missing: ReadonlySet<string>, maxIntegerCategories: number): ColumnKind {
  const s = scanColumn(col, rows, missing, maxIntegerCategories);
  if (s.texts === 0) {
    const fewIntegers = s.integer && s.distinct >= 2 && s.distinct <= maxIntegerCategories && s.distinct * 2 <= s.numbers;
    return fewIntegers ? 'categorical' : 'numeric';
  }
  if (s.numbers > 0 && s.texts <= Math.max(1, 0.01 * (s.numbers + s.texts))) {
    throw new DataError(
      'NOT_NUMERIC',
      `Column '${col.name}' holds numbers but ${rowRef(table, s.firstText)} has '${col.text![s.firstText]}': fix the value, list it in options.missingValues, or declare the column with options.kinds = { '${col.name}': 'categorical' }`,
    );
  }
  return 'categorical';
}

/** The task of a target column from its training rows. */
export function inferTask(col: RawColumn, rows: Int32Array, missing: ReadonlySet<string>): Task {
  const cap = PREPROCESS_DEFAULTS.maxInferredClasses;
  const s = scanColumn(col, rows, missing, cap);
  if (s.texts > 0) return 'classification';
  return s.integer && s.distinct <= cap ? 'classification' : 'regression';
}
