// lib/eval/metrics.ts: correlations, the embeddings' spread and the coefficient of variation, against hand-computed values.
import { describe, expect, it } from 'vitest';

import { coefficientOfVariation, embeddingSpread, pearson, spearman } from '../lib/eval/metrics';

describe('pearson and spearman', () => {
  it('match hand-computed values', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x = [1, 2, 3, 4], y = [1, 3, 2, 4]: sxy = 4, sxx = syy = 5
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    // monotone but not linear: rank correlation 1
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 1000])).toBeCloseTo(1, 12);
    // ties take the average rank: [1, 2.5, 2.5, 4] against [1, 2, 3, 4]
    expect(spearman([0, 5, 5, 9], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5), 12);
  });

  it('names a length mismatch', () => {
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(/same length/);
  });
});

describe('embeddingSpread', () => {
  it('is the mean over dimensions of the std over rows', () => {
    // 3 rows x 2 dims: column 0 = [0, 1, 2] (std sqrt(2/3)), column 1 = [5, 5, 5] (std 0)
    const e = Float32Array.from([0, 5, 1, 5, 2, 5]);
    expect(embeddingSpread(e, 3, 2)).toBeCloseTo(Math.sqrt(2 / 3) / 2, 6);
    expect(embeddingSpread(Float32Array.from([7, 7, 7, 7]), 2, 2)).toBe(0);
  });

  it('names a bad argument', () => {
    expect(() => embeddingSpread(new Float32Array(6), 3, 3)).toThrow(/rows \* dim = 9/);
    expect(() => embeddingSpread(new Float32Array(6), 0, 6)).toThrow(/rows/);
    expect(() => embeddingSpread(new Float32Array(6), 3, 2.5)).toThrow(/dim/);
  });
});

describe('coefficientOfVariation', () => {
  it('is the std over the absolute mean', () => {
    // [1, 2, 3]: mean 2, std sqrt(2/3)
    expect(coefficientOfVariation([1, 2, 3])).toBeCloseTo(Math.sqrt(2 / 3) / 2, 12);
    expect(coefficientOfVariation([-1, -2, -3])).toBeCloseTo(Math.sqrt(2 / 3) / 2, 12);
    expect(coefficientOfVariation(Float32Array.from([0.4, 0.4, 0.4]))).toBe(0);
    expect(coefficientOfVariation([-1, 1])).toBe(0); // mean 0
    expect(() => coefficientOfVariation([])).toThrow('Expected at least one value but received none');
  });
});
