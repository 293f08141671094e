// A synthetic SIM-like table (after the paper's description of its SIM data): three class
// clusters in 28 numeric dimensions; each row has an ambiguity u ~ U(0, 1) that blends its mean
// toward another class by u^2 and widens its noise; four categorical features come from
// quantile-binning random projections; label and category flips become likelier as u grows.
//
// Constants (all options): classes 3, numeric 28, categorical 4 with 5 bins (+ code 0 reserved),
// cluster centres N(0, separation^2 I) with separation 1.5, blend weight 0.5 * u^2, noise std
// 0.6 + 0.8 u, label flip probability 0.3 u, category flip probability 0.4 u. Numeric columns
// are min-max scaled to [0, 1] over the generated rows.
import type { ModelSchema, TableData } from './model/schema';
import { Rng } from './model/random';
import { integer, number } from './validate';

/** Options of {@link simTable}. */
export interface SimOptions {
  /** Rows, 10..1e7; default 6000. */
  rows?: number;
  /** Seed; default 0. */
  seed?: number;
  /** Classes, 2..20; default 3. */
  classes?: number;
  /** Numeric features, 1..1000; default 28. */
  numeric?: number;
  /** Categorical features, 0..100; default 4. */
  categorical?: number;
  /** Bins per categorical feature, 2..100; default 5. */
  bins?: number;
  /** Cluster separation, >0; default 1.5. */
  separation?: number;
  /** Noise standard deviation at u = 0, >= 0; default 0.6. */
  noiseBase?: number;
  /** Added noise standard deviation per unit of u, >= 0; default 0.8. */
  noiseSlope?: number;
  /** Label flip probability per unit of u, 0..1; default 0.3. */
  labelFlip?: number;
  /** Category flip probability per unit of u, 0..1; default 0.4. */
  categoryFlip?: number;
}

/** The generated table, its schema, labels and each row's ambiguity. */
export interface SimTable extends TableData {
  schema: ModelSchema;
  labels: Int32Array;
  ambiguity: Float32Array;
  classes: number;
}

function gauss(r: Rng): number {
  const u1 = Math.max(r.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.next());
}

/** Generates the SIM-like table.
 *
 * @example
 * const sim = simTable({ rows: 6000, seed: 0 });
 * const model = new VarTJepa(sim.schema);
 * await model.fit(sim, { epochs: 10 });
 */
export function simTable(options: SimOptions = {}): SimTable {
  const rows = integer('options.rows', options.rows ?? 6000, 10, 1e7);
  const seed = integer('options.seed', options.seed ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const K = integer('options.classes', options.classes ?? 3, 2, 20);
  const P = integer('options.numeric', options.numeric ?? 28, 1, 1000);
  const Q = integer('options.categorical', options.categorical ?? 4, 0, 100);
  const bins = integer('options.bins', options.bins ?? 5, 2, 100);
  const sep = number('options.separation', options.separation ?? 1.5, 1e-6, 1e6);
  const noiseBase = number('options.noiseBase', options.noiseBase ?? 0.6, 0, 1e6);
  const noiseSlope = number('options.noiseSlope', options.noiseSlope ?? 0.8, 0, 1e6);
  const labelFlip = number('options.labelFlip', options.labelFlip ?? 0.3, 0, 1);
  const categoryFlip = number('options.categoryFlip', options.categoryFlip ?? 0.4, 0, 1);
  const r = new Rng(seed * 7919 + 17);
  const centres = Array.from({ length: K }, () => Float64Array.from({ length: P }, () => sep * gauss(r)));
  const proj = Array.from({ length: Q }, () => Float64Array.from({ length: P }, () => gauss(r) / Math.sqrt(P)));
  const num = new Float64Array(rows * P);
  const labels = new Int32Array(rows);
  const ambiguity = new Float32Array(rows);
  const projected = Array.from({ length: Q }, () => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    const y = Math.floor(r.next() * K);
    const other = (y + 1 + Math.floor(r.next() * (K - 1))) % K;
    const u = r.next();
    const w = 0.5 * u * u;
    const sd = noiseBase + noiseSlope * u;
    for (let j = 0; j < P; j++) num[i * P + j] = (1 - w) * centres[y][j] + w * centres[other][j] + sd * gauss(r);
    for (let q = 0; q < Q; q++) {
      let s = 0;
      for (let j = 0; j < P; j++) s += proj[q][j] * num[i * P + j];
      projected[q][i] = s;
    }
    labels[i] = r.next() < labelFlip * u ? other : y;
    ambiguity[i] = u;
  }
  const D = P + Q;
  const x = new Float32Array(rows * D);
  for (let j = 0; j < P; j++) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < rows; i++) {
      lo = Math.min(lo, num[i * P + j]);
      hi = Math.max(hi, num[i * P + j]);
    }
    const span = hi > lo ? hi - lo : 1;
    for (let i = 0; i < rows; i++) x[i * D + j] = (num[i * P + j] - lo) / span;
  }
  for (let q = 0; q < Q; q++) {
    const sorted = Float64Array.from(projected[q]).sort();
    const edges = Array.from({ length: bins - 1 }, (_, b) => sorted[Math.floor(((b + 1) * rows) / bins)]);
    for (let i = 0; i < rows; i++) {
      let bin = 0;
      while (bin < bins - 1 && projected[q][i] >= edges[bin]) bin++;
      if (r.next() < categoryFlip * ambiguity[i]) bin = Math.floor(r.next() * bins);
      x[i * D + P + q] = bin + 1; // code 0 is reserved for unseen/missing
    }
  }
  const schema: ModelSchema = {
    features: [
      ...Array.from({ length: P }, (_, j) => ({ name: `x${j}`, kind: 'numeric' as const })),
      ...Array.from({ length: Q }, (_, q) => ({ name: `c${q}`, kind: 'categorical' as const, categories: bins + 1 })),
    ],
  };
  return { x, rows, schema, labels, ambiguity, classes: K };
}
