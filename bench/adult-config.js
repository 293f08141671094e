// The Adult configuration of docs/model.md for benchmarks: 14 features (6 numeric, 8 categorical with
// Adult's category counts plus the reserved code 0), Table 7 defaults (d 64, L 8, batch 512).
'use strict';

const CATEGORICAL = [10, 17, 8, 16, 7, 6, 3, 43]; // workclass ... native-country, each + code 0
const NUMERIC = 6;

function adultSchema() {
  const features = [];
  for (let j = 0; j < NUMERIC; j++) features.push({ name: `num${j}`, kind: 'numeric' });
  CATEGORICAL.forEach((c, j) => features.push({ name: `cat${j}`, kind: 'categorical', categories: c }));
  return { features };
}

// rows of random values in the schema's ranges (throughput does not depend on the values)
function adultLikeRows(rows, seed = 1) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const D = NUMERIC + CATEGORICAL.length;
  const x = new Float32Array(rows * D);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < NUMERIC; j++) x[i * D + j] = next();
    CATEGORICAL.forEach((c, k) => (x[i * D + NUMERIC + k] = 1 + Math.floor(next() * (c - 1))));
  }
  return { x, rows };
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

module.exports = { adultSchema, adultLikeRows, median };
