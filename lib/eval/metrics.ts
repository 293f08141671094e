// Small statistics used by evaluation and the demo.

function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]] === v[idx[i]]) j++;
    const r = (i + j) / 2 + 1; // average rank for ties
    for (let k = i; k <= j; k++) out[idx[k]] = r;
    i = j + 1;
  }
  return out;
}

/** Pearson correlation. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length || n < 2) throw new RangeError(`Expected two series of the same length >= 2 but received ${a.length} and ${b.length}`);
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * The mean over embedding dimensions of the standard deviation over rows: how spread out a set of
 * embeddings is (near 0 when they have collapsed toward a constant).
 *
 * @example
 * const e = await model.embed(data);
 * embeddingSpread(e.embeddings, e.rows, e.dim);
 */
export function embeddingSpread(embeddings: ArrayLike<number>, rows: number, dim: number): number {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`Expected rows to be a positive integer but received ${rows}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`Expected dim to be a positive integer but received ${dim}`);
  if (embeddings.length !== rows * dim) throw new RangeError(`Expected embeddings of length rows * dim = ${rows * dim} but received ${embeddings.length}`);
  let total = 0;
  for (let k = 0; k < dim; k++) {
    let m = 0, q = 0;
    for (let r = 0; r < rows; r++) m += embeddings[r * dim + k];
    m /= rows;
    for (let r = 0; r < rows; r++) q += (embeddings[r * dim + k] - m) ** 2;
    total += Math.sqrt(q / rows);
  }
  return total / dim;
}

/**
 * The coefficient of variation of per-row values: their standard deviation over rows divided by
 * the absolute mean (0 when the mean is 0). Near 0: the same value for every row.
 *
 * @example
 * const e = await model.embed(data);
 * coefficientOfVariation(e.uncertainty);
 */
export function coefficientOfVariation(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 1) throw new RangeError('Expected at least one value but received none');
  let m = 0, q = 0;
  for (let i = 0; i < n; i++) m += values[i];
  m /= n;
  for (let i = 0; i < n; i++) q += (values[i] - m) ** 2;
  return m !== 0 ? Math.sqrt(q / n) / Math.abs(m) : 0;
}
