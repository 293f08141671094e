// What every downstream probe shares: the fit options and result, the Probe interface, and the
// checks of a feature matrix and its labels (errors name the argument).
import { integer, invalid } from '../validate';

/** Options of a probe's `fit(x, y, options)`. */
export interface ProbeFitOptions {
  /** Class count, 2..1e5; default: 1 + the largest label in y and validation.y. */
  classes?: number;
  /** Labelled validation rows: early stopping (MLP probe) and the reported validation accuracy. */
  validation?: { x: Float32Array; y: Int32Array };
  /** Seed of initialisation, shuffling and dropout, integer 0..2^53-1; default: the probe's options.seed. */
  seed?: number;
  /** Stops a running fit; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What a probe's fit resolves to. */
export interface ProbeFitResult {
  /** Epochs run (MLP probe) or full-batch iterations (linear probe). */
  epochs: number;
  /** The epoch whose parameters are kept (1-based). */
  bestEpoch: number;
  /** Validation accuracy of the kept parameters; null without validation rows. */
  validationAccuracy: number | null;
  /** True when early stopping ended the fit before the epoch limit. */
  stoppedEarly: boolean;
  /** Mean training loss per epoch, and validation accuracy per epoch when validating. */
  history: { loss: number[]; validationAccuracy: number[] };
  seconds: number;
}

/** A classifier on a feature matrix: the linear probe and the MLP probe both implement it. */
export interface Probe {
  /** Input width F (0 before the first fit). */
  readonly features: number;
  /** Classes K (0 before the first fit). */
  readonly classes: number;
  /** Fits on x (rows, F) row-major with labels y (rows) in [0, classes). */
  fit(x: Float32Array, y: Int32Array, options?: ProbeFitOptions): Promise<ProbeFitResult>;
  /** Class probabilities (rows, classes) of x (rows, F). */
  predictProba(x: Float32Array): Float32Array | Promise<Float32Array>;
  /** The most probable class of each row. */
  predict(x: Float32Array): Int32Array | Promise<Int32Array>;
}

/** Checks x against y (rows = y.length) and returns the width F. */
export function checkXY(x: unknown, y: unknown, xPath = 'x', yPath = 'y'): number {
  if (!(y instanceof Int32Array)) throw invalid(yPath, 'an Int32Array of class indices', y, 'type');
  if (!(x instanceof Float32Array)) throw invalid(xPath, 'a Float32Array (rows, features) row-major', x, 'type');
  if (y.length < 1) throw invalid(yPath, 'at least one row', y);
  const F = x.length / y.length;
  if (!Number.isInteger(F) || F < 1) throw new RangeError(`Expected ${xPath} to hold ${yPath}.length (${y.length}) rows of equal width but received ${x.length} values`);
  return F;
}

/** Checks the labels and the validation rows; returns the class count. */
export function checkLabels(y: Int32Array, features: number, options: ProbeFitOptions): number {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options, 'type');
  const v = options.validation;
  if (v !== undefined) {
    if (v === null || typeof v !== 'object') throw invalid('options.validation', 'an object { x, y }', v, 'type');
    const Fv = checkXY(v.x, v.y, 'options.validation.x', 'options.validation.y');
    if (Fv !== features) throw new RangeError(`Expected options.validation.x to have ${features} columns like x but it has ${Fv}`);
  }
  let max = -1;
  for (const [path, l] of [['y', y], ['options.validation.y', v?.y]] as const) {
    if (!l) continue;
    for (let i = 0; i < l.length; i++) {
      if (l[i] < 0) throw new RangeError(`Expected class indices >= 0 in ${path} but received ${l[i]} at index ${i}`);
      if (l[i] > max) max = l[i];
    }
  }
  const classes = options.classes === undefined ? Math.max(2, max + 1) : integer('options.classes', options.classes, 2, 100000);
  if (max >= classes) throw new RangeError(`Expected labels below options.classes (${classes}) but received ${max}`);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalid('options.signal', 'an AbortSignal', options.signal, 'type');
  return classes;
}

/** The index of the largest of each row's K probabilities (the first on ties). */
export function argmaxRows(p: Float32Array, K: number): Int32Array {
  const rows = p.length / K;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (p[i * K + k] > p[i * K + best]) best = k;
    out[i] = best;
  }
  return out;
}
