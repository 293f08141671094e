// Pooled embeddings: a row's D feature embeddings of d values each, averaged over the features
// (sums in float64, so the result does not depend on the order of the features' magnitudes).

/** Rows (rows, D * d) pooled in place to their mean over the D features: the first rows * d values become (rows, d). */
export function meanOverFeatures(e: Float32Array, rows: number, D: number, d: number): void {
  const acc = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    acc.fill(0);
    for (let j = 0; j < D; j++) for (let c = 0; c < d; c++) acc[c] += e[(r * D + j) * d + c];
    // row r's pooled values land at or before its own first value (D >= 2): nothing unread is overwritten
    for (let c = 0; c < d; c++) e[r * d + c] = acc[c] / D;
  }
}
