// Classification metrics for probes: accuracy, macro-F1, and selective prediction (accuracy after
// dropping the most uncertain rows, the risk-coverage curve and its area, AURC).
//
// Selective prediction sorts rows by uncertainty, most certain first, and keeps the first k.
// Rows with EQUAL uncertainty have no order between them, so every quantity here is the
// expectation over a uniformly random order within each group of tied rows: when a cut at k
// falls inside a tie group of m rows holding e errors, of which j rows are kept, the kept part
// holds j * e / m errors in expectation. Results therefore never depend on row order, and
// selectiveAccuracy(drop) = 1 - risk at coverage k / n with k = max(1, round(n * (1 - drop))).
import { invalid, number } from '../validate';

/** Class labels (or predictions): any array-like of integers. */
export type Labels = ArrayLike<number>;

function isArrayLike(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function checkPair(pred: unknown, labels: unknown): number {
  if (!isArrayLike(pred)) throw invalid('pred', 'an array or typed array of class indices', pred, 'type');
  if (!isArrayLike(labels)) throw invalid('labels', 'an array or typed array of class indices', labels, 'type');
  if (pred.length !== labels.length) throw new RangeError(`Expected pred and labels of the same length but received ${pred.length} and ${labels.length}`);
  if (labels.length === 0) throw invalid('labels', 'at least one row', labels);
  return labels.length;
}

function checkUncertainty(uncertainty: unknown, n: number): ArrayLike<number> {
  if (!isArrayLike(uncertainty) || uncertainty.length !== n) throw invalid('uncertainty', `an array or typed array of ${n} numbers`, uncertainty, 'type');
  for (let i = 0; i < n; i++) {
    // ±Infinity sorts fine; NaN has no place in the order
    if (Number.isNaN(uncertainty[i])) throw new RangeError(`Expected numbers (not NaN) in uncertainty but received NaN at index ${i}`);
  }
  return uncertainty;
}

/** Fraction of rows with pred[i] === labels[i]. */
export function accuracy(pred: Labels, labels: Labels): number {
  const n = checkPair(pred, labels);
  let ok = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
  return ok / n;
}

/** Macro-averaged F1 over the classes 0..classes-1 present in labels or predictions (absent classes are skipped). */
export function macroF1(pred: Labels, labels: Labels, classes: number): number {
  const n = checkPair(pred, labels);
  if (!Number.isInteger(classes) || classes < 1) throw invalid('classes', 'an integer >= 1', classes, typeof classes === 'number' ? 'range' : 'type');
  let sum = 0, counted = 0;
  for (let c = 0; c < classes; c++) {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < n; i++) {
      if (pred[i] === c && labels[i] === c) tp++;
      else if (pred[i] === c) fp++;
      else if (labels[i] === c) fn++;
    }
    if (tp + fp + fn === 0) continue;
    sum += (2 * tp) / (2 * tp + fp + fn);
    counted++;
  }
  return counted ? sum / counted : 0;
}

/**
 * Rows ordered most certain first, grouped by equal uncertainty: `start[g]` is the first sorted
 * position of group g (start has groups + 1 entries, the last = n), `errorsBefore[g]` the errors
 * in groups before g (errorsBefore[groups] = all errors).
 */
interface TieGroups {
  n: number;
  start: number[];
  errorsBefore: number[];
  uncertainty: number[];
}

function tieGroups(pred: Labels, labels: Labels, uncertainty: ArrayLike<number>): TieGroups {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => uncertainty[a] - uncertainty[b]);
  const start: number[] = [], errorsBefore: number[] = [], level: number[] = [];
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const u = uncertainty[order[i]];
    if (i === 0 || u !== level[level.length - 1]) {
      start.push(i);
      errorsBefore.push(errors);
      level.push(u);
    }
    if (pred[order[i]] !== labels[order[i]]) errors++;
  }
  start.push(n);
  errorsBefore.push(errors);
  return { n, start, errorsBefore, uncertainty: level };
}

/** Expected errors among the k most certain rows (ties: j * e / m from the group the cut falls in). */
function errorsAmongFirst(t: TieGroups, k: number, from = 0): { errors: number; group: number } {
  let g = from;
  while (t.start[g + 1] < k) g++;
  const m = t.start[g + 1] - t.start[g];
  const e = t.errorsBefore[g + 1] - t.errorsBefore[g];
  return { errors: t.errorsBefore[g] + ((k - t.start[g]) * e) / m, group: g };
}

/**
 * Accuracy over the rows kept after dropping the fraction `drop` (0..0.99) with the highest
 * uncertainty: k = max(1, round(n * (1 - drop))) rows are kept. With `uncertainty` null or
 * `drop` 0 this is plain accuracy. Ties at the cut count as described at the top of this file.
 *
 * @example
 * selectiveAccuracy(pred, yTest, test.uncertainty, 0.2); // 20% most uncertain dropped
 */
export function selectiveAccuracy(pred: Labels, labels: Labels, uncertainty: ArrayLike<number> | null, drop = 0): number {
  const n = checkPair(pred, labels);
  number('drop', drop, 0, 0.99);
  if (uncertainty === null || drop === 0) return accuracy(pred, labels);
  const t = tieGroups(pred, labels, checkUncertainty(uncertainty, n));
  const k = Math.max(1, Math.round(n * (1 - drop)));
  return 1 - errorsAmongFirst(t, k).errors / k;
}

/** A risk-coverage curve: risk[i] is the error rate among the coverage[i] most certain fraction of rows. */
export interface RiskCoverage {
  coverage: number[];
  risk: number[];
  /** The largest uncertainty kept at each point (sorted ascending). */
  threshold: number[];
}

/**
 * The risk-coverage curve of selective prediction. Without `points`: one point per distinct
 * uncertainty value u, at coverage = (rows with uncertainty <= u) / n and risk = their error
 * rate (exact, no tie-breaking needed). With `points` (1..1e6): the points k / n for
 * k = max(1, round(p / points * n)), p = 1..points, with the tie expectation at the cuts.
 */
export function riskCoverage(pred: Labels, labels: Labels, uncertainty: ArrayLike<number>, options: { points?: number } = {}): RiskCoverage {
  const n = checkPair(pred, labels);
  const t = tieGroups(pred, labels, checkUncertainty(uncertainty, n));
  const out: RiskCoverage = { coverage: [], risk: [], threshold: [] };
  if (options.points === undefined) {
    for (let g = 0; g < t.uncertainty.length; g++) {
      const k = t.start[g + 1];
      out.coverage.push(k / n);
      out.risk.push(t.errorsBefore[g + 1] / k);
      out.threshold.push(t.uncertainty[g]);
    }
    return out;
  }
  const points = options.points;
  if (!Number.isInteger(points) || points < 1 || points > 1e6) throw invalid('options.points', 'an integer between 1 and 1000000', points, typeof points === 'number' ? 'range' : 'type');
  let g = 0;
  for (let p = 1; p <= points; p++) {
    const k = Math.max(1, Math.round((p / points) * n));
    const r = errorsAmongFirst(t, k, g);
    g = r.group;
    out.coverage.push(k / n);
    out.risk.push(r.errors / k);
    out.threshold.push(t.uncertainty[g]);
  }
  return out;
}

/**
 * Area under the risk-coverage curve (AURC; Geifman et al., 2019): the mean over k = 1..n of
 * the error rate among the k most certain rows, i.e. the right Riemann sum of risk over the
 * coverages 1/n, 2/n, ..., 1:  AURC = (1/n) sum_k errors(k) / k. Lower is better; an
 * uncertainty that ranks every error last gives the least AURC for the given errors. Ties use
 * the expectation over orders within each tie group (see the top of this file), so a constant
 * uncertainty, one group of n rows with e errors, gives risk e/n at every k: AURC = error rate.
 */
export function aurc(pred: Labels, labels: Labels, uncertainty: ArrayLike<number>): number {
  const n = checkPair(pred, labels);
  const t = tieGroups(pred, labels, checkUncertainty(uncertainty, n));
  let sum = 0;
  for (let g = 0; g + 1 < t.start.length; g++) {
    const s = t.start[g], m = t.start[g + 1] - s;
    const e = t.errorsBefore[g + 1] - t.errorsBefore[g];
    for (let j = 1; j <= m; j++) sum += (t.errorsBefore[g] + (j * e) / m) / (s + j);
  }
  return sum / n;
}
