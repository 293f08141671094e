// A fitted preprocessor's JSON form: its types, and the check of every field before it is used
// (it comes back from disk with a saved model, so it may be hand-edited, truncated or from
// another version).
import { SCALINGS, type MissingPolicy, type Scaling, type Task } from './schema';
import { DataError } from './types';

/** Fitted numeric feature. All numbers are finite. */
export interface NumericState {
  name: string;
  kind: 'numeric';
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Quantile scaling: the fitted quantiles (ascending), at evenly spaced probabilities 0..1. */
  quantiles?: number[];
  /** The median of the training values (imputation's baseline); absent in states saved before it was recorded. */
  median?: number;
  /** Whether every training value is an integer (imputed cells are then written as integers); absent in older states. */
  integer?: boolean;
}

/** Fitted categorical feature: categories[code]; categories[0] is UNSEEN_CATEGORY. */
export interface CategoricalState {
  name: string;
  kind: 'categorical';
  categories: string[];
}

export type FeatureState = NumericState | CategoricalState;

/** Fitted target: its task and, for classification, its classes (index = label). */
export interface TargetState {
  name: string;
  task: Task;
  classes?: string[];
}

/** The JSON form of a fitted preprocessor. */
export interface PreprocessorState {
  format: 'varjepa-preprocessor';
  version: 1;
  scaling: Scaling;
  missing: MissingPolicy;
  missingValues: string[];
  features: FeatureState[];
  targets: TargetState[];
  warnings: string[];
  trainingRows: number;
}


function bad(path: string, expected: string, v: unknown): DataError {
  const got = v === undefined ? 'undefined' : JSON.stringify(v)?.slice(0, 60) ?? String(v);
  return new DataError('BAD_STATE', `Invalid preprocessor state: expected ${expected} for ${path} but found ${got}`);
}

function str(path: string, v: unknown): string {
  if (typeof v !== 'string') throw bad(path, 'a string', v);
  return v;
}

function finite(path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, 'a finite number', v);
  return v;
}

function strings(path: string, v: unknown, minLength = 0): string[] {
  if (!Array.isArray(v) || v.length < minLength) throw bad(path, minLength ? `an array of at least ${minLength} strings` : 'an array of strings', v);
  v.forEach((x, i) => str(`${path}[${i}]`, x));
  return v;
}

function oneOf(path: string, v: unknown, values: string[]): void {
  if (typeof v !== 'string' || !values.includes(v)) throw bad(path, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
}

function unique(path: string, names: string[]): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) throw bad(`${path}[${i}]`, 'a name not used before', n);
    seen.add(n);
  });
}

/** Throws a DataError (code BAD_STATE) naming the first field that is wrong. */
export function checkState(state: PreprocessorState): void {
  const s = state as unknown as Record<string, unknown>;
  if (s === null || typeof s !== 'object') throw bad('state', 'an object', s);
  if (s.format !== 'varjepa-preprocessor') throw bad('state.format', "'varjepa-preprocessor'", s.format);
  if (s.version !== 1) throw bad('state.version', '1 (this version of varjepa reads version 1)', s.version);
  oneOf('state.scaling', s.scaling, [...SCALINGS]);
  oneOf('state.missing', s.missing, ['mask', 'impute-mean']);
  strings('state.missingValues', s.missingValues);
  strings('state.warnings', s.warnings);
  if (typeof s.trainingRows !== 'number' || !Number.isInteger(s.trainingRows) || s.trainingRows < 1) throw bad('state.trainingRows', 'a positive integer', s.trainingRows);
  if (!Array.isArray(s.features) || s.features.length === 0) throw bad('state.features', 'a non-empty array', s.features);
  s.features.forEach((f: Record<string, unknown>, j: number) => {
    const p = `state.features[${j}]`;
    if (f === null || typeof f !== 'object') throw bad(p, 'an object', f);
    str(`${p}.name`, f.name);
    oneOf(`${p}.kind`, f.kind, ['numeric', 'categorical']);
    if (f.kind === 'categorical') {
      const cats = strings(`${p}.categories`, f.categories, 1);
      unique(`${p}.categories`, cats.slice(1));
      return;
    }
    const min = finite(`${p}.min`, f.min);
    const max = finite(`${p}.max`, f.max);
    if (max < min) throw bad(`${p}.max`, `a number >= min (${min})`, max);
    finite(`${p}.mean`, f.mean);
    if (finite(`${p}.std`, f.std) < 0) throw bad(`${p}.std`, 'a number >= 0', f.std);
    if (f.median !== undefined) {
      const med = finite(`${p}.median`, f.median);
      if (med < min || med > max) throw bad(`${p}.median`, `a number between min (${min}) and max (${max})`, med);
    }
    if (f.integer !== undefined && typeof f.integer !== 'boolean') throw bad(`${p}.integer`, 'a boolean', f.integer);
    if (f.quantiles !== undefined) {
      const q = f.quantiles;
      if (!Array.isArray(q) || q.length < 2) throw bad(`${p}.quantiles`, 'an array of at least 2 numbers', q);
      q.forEach((v: unknown, k: number) => {
        finite(`${p}.quantiles[${k}]`, v);
        if (k > 0 && (v as number) < q[k - 1]) throw bad(`${p}.quantiles[${k}]`, `a number >= the one before (${q[k - 1]})`, v);
      });
    }
  });
  unique('state.features (names)', s.features.map((f: { name: string }) => f.name));
  if (!Array.isArray(s.targets)) throw bad('state.targets', 'an array', s.targets);
  s.targets.forEach((t: Record<string, unknown>, k: number) => {
    const p = `state.targets[${k}]`;
    if (t === null || typeof t !== 'object') throw bad(p, 'an object', t);
    str(`${p}.name`, t.name);
    oneOf(`${p}.task`, t.task, ['classification', 'regression']);
    if (t.task === 'classification') unique(`${p}.classes`, strings(`${p}.classes`, t.classes, 1));
  });
}
