// lib/eval/surprise.ts: the reference (each feature's mean surprise) and the relative surprise,
// against hand-computed values, with the cells no view left out (NaN) skipped.
import { describe, expect, it } from 'vitest';

import { relativeSurprise, surpriseReference } from '../lib/eval/surprise';

const N = NaN;

describe('surpriseReference and relativeSurprise', () => {
  it('match hand-computed values and skip the cells no view left out', () => {
    // 3 rows x 2 features; feature 0: [2, 4, -] -> 3, feature 1: [10, -, 30] -> 20
    const ref = surpriseReference({ rows: 3, featureSurprise: Float32Array.from([2, 10, 4, N, N, 30]) });
    expect(Array.from(ref)).toEqual([3, 20]);
    // row 0: (6/3 + 10/20) / 2 = 1.25; row 1: 1.5/3 alone = 0.5; row 2: nothing left out -> NaN
    const rel = relativeSurprise({ rows: 3, featureSurprise: Float32Array.from([6, 10, 1.5, N, N, N]) }, ref);
    expect(rel[0]).toBeCloseTo(1.25, 6);
    expect(rel[1]).toBeCloseTo(0.5, 6);
    expect(rel[2]).toBeNaN();
  });

  it('weighs every feature alike: a large-KL feature no longer decides the ranking', () => {
    // feature 1's KL is 100x feature 0's for every row; row 0 is unusual in feature 0 only
    const ref = Float64Array.from([1, 100]);
    const fs = Float32Array.from([3, 100, 1, 110]);
    const plainMean = [(3 + 100) / 2, (1 + 110) / 2];
    expect(plainMean[0]).toBeLessThan(plainMean[1]);
    const rel = relativeSurprise({ rows: 2, featureSurprise: fs }, ref);
    expect(rel[0]).toBeGreaterThan(rel[1]);
  });

  it('names a bad argument', () => {
    expect(() => surpriseReference({ rows: 2, featureSurprise: undefined })).toThrow(/featureSurprise: true/);
    expect(() => surpriseReference({ rows: 2, featureSurprise: new Float32Array(3) })).toThrow(/rows \* D/);
    expect(() => surpriseReference({ rows: 1, featureSurprise: Float32Array.from([1, N]) })).toThrow(/feature 1/);
    const e = { rows: 1, featureSurprise: Float32Array.from([1, 2]) };
    expect(() => relativeSurprise(e, [1])).toThrow(/one value per feature \(2\)/);
    expect(() => relativeSurprise(e, [1, 0])).toThrow(/reference\[1\]/);
    expect(() => relativeSurprise(e, [1, NaN])).toThrow(/reference\[1\]/);
  });
});
