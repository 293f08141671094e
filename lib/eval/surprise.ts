// Relative surprise: a row's per-feature surprise (VarTJepa.embed with views and
// featureSurprise) measured against each feature's typical surprise, so that features whose KL_sy
// is large for every row (categorical ones, on the SIM-like table twice the numeric ones) do not
// drown the rest. docs/uncertainty-study.md (round 6) has the measurements.

/** What the two functions read: an {@link Embedding} made with `featureSurprise: true`. */
export interface FeatureSurprise {
  rows: number;
  /** (rows, D) row-major, NaN where no view left the feature out. */
  featureSurprise?: Float32Array;
}

function features(e: FeatureSurprise, name: string): number {
  if (typeof e !== 'object' || e === null) throw new TypeError(`Expected ${name} to be an embedding but received ${e === null ? 'null' : typeof e}`);
  if (!Number.isInteger(e.rows) || e.rows < 1) throw new RangeError(`Expected ${name}.rows to be a positive integer but received ${e.rows}`);
  const fs = e.featureSurprise;
  if (!(fs instanceof Float32Array)) {
    throw new TypeError(`Expected ${name}.featureSurprise to be a Float32Array (embed with views > 0 and featureSurprise: true) but received ${fs === undefined ? 'undefined' : typeof fs}`);
  }
  if (fs.length === 0 || fs.length % e.rows !== 0) throw new RangeError(`Expected ${name}.featureSurprise to hold rows * D values for rows = ${e.rows} but received ${fs.length}`);
  return fs.length / e.rows;
}

/**
 * Each feature's mean surprise over the rows of `e` (typically a sample of the training rows),
 * skipping the cells no view left out. Throws when a feature has no value at all.
 */
export function surpriseReference(e: FeatureSurprise): Float64Array {
  const D = features(e, 'reference embedding');
  const fs = e.featureSurprise as Float32Array;
  const sum = new Float64Array(D), count = new Float64Array(D);
  for (let r = 0; r < e.rows; r++) {
    for (let j = 0; j < D; j++) {
      const v = fs[r * D + j];
      if (Number.isNaN(v)) continue;
      sum[j] += v;
      count[j]++;
    }
  }
  for (let j = 0; j < D; j++) {
    if (count[j] === 0) throw new RangeError(`Expected feature ${j} to be left out by at least one view of the reference rows but it never was (use more rows or views)`);
    sum[j] /= count[j];
  }
  return sum;
}

/**
 * Per row, the mean over its features of surprise / reference (the cells no view left out are
 * skipped; a row with none gets NaN): 1 for a row as surprising as the reference rows on average,
 * larger for rows the rest of the row predicts badly.
 */
export function relativeSurprise(e: FeatureSurprise, reference: ArrayLike<number>): Float32Array {
  const D = features(e, 'embedding');
  if (reference === null || typeof reference !== 'object' || reference.length !== D) {
    throw new RangeError(`Expected reference to hold one value per feature (${D}) but received ${reference === null || typeof reference !== 'object' ? String(reference) : reference.length}`);
  }
  for (let j = 0; j < D; j++) {
    if (!(reference[j] > 0) || !Number.isFinite(reference[j])) throw new RangeError(`Expected reference[${j}] to be a positive finite number but received ${reference[j]}`);
  }
  const fs = e.featureSurprise as Float32Array;
  const out = new Float32Array(e.rows);
  for (let r = 0; r < e.rows; r++) {
    let s = 0, c = 0;
    for (let j = 0; j < D; j++) {
      const v = fs[r * D + j];
      if (Number.isNaN(v)) continue;
      s += v / reference[j];
      c++;
    }
    out[r] = c > 0 ? s / c : NaN;
  }
  return out;
}
