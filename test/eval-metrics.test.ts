// Evaluation metrics against hand-computed values on small fixed inputs: accuracy, macro-F1,
// selective accuracy, the risk-coverage curve and AURC (with and without ties), and the errors
// bad inputs give.
import { describe, expect, it } from 'vitest';

import { accuracy, aurc, macroF1, riskCoverage, selectiveAccuracy } from '../lib/eval/metrics-classification';
import { riskCoverage as reportRiskCoverage } from '../lib/report/html';

// Case A, no ties. Rows sorted by uncertainty (most certain first):
//   row 0 (0.1, right), row 3 (0.2, right), row 2 (0.3, WRONG), row 1 (0.5, right), row 4 (0.9, WRONG)
// errors among the first k: 0, 0, 1, 1, 2 -> risk(k) = 0, 0, 1/3, 1/4, 2/5
// AURC = (0 + 0 + 1/3 + 1/4 + 2/5) / 5 = (20 + 15 + 24) / 60 / 5 = 59 / 300
const A = { pred: [0, 1, 1, 0, 2], labels: [0, 1, 0, 0, 1], unc: [0.1, 0.5, 0.3, 0.2, 0.9] };

// Case B, ties. All predictions 1; errors at rows 1 and 4.
//   group u=0.2: rows 0, 1, 2 (1 error of 3); group u=0.7: rows 3, 4 (1 error of 2); group u=0.9: row 5 (0)
// Expected errors among the first k (a cut inside a group of m rows with e errors, j rows kept,
// counts j * e / m):
//   k=1: 1/3 -> risk 1/3;  k=2: 2/3 -> 1/3;  k=3: 1 -> 1/3
//   k=4: 1 + 1/2 -> 3/8;   k=5: 2 -> 2/5;     k=6: 2 -> 1/3
// AURC = (1/3 + 1/3 + 1/3 + 3/8 + 2/5 + 1/3) / 6 = (160 + 45 + 48) / 120 / 6 = 253 / 720
const B = { pred: [1, 1, 1, 1, 1, 1], labels: [1, 0, 1, 1, 0, 1], unc: [0.2, 0.2, 0.2, 0.7, 0.7, 0.9] };

function permute<T>(a: T[], p: number[]): T[] {
  return p.map((i) => a[i]);
}

describe('accuracy and macro-F1', () => {
  it('accuracy counts matches', () => {
    expect(accuracy(A.pred, A.labels)).toBe(3 / 5);
    expect(accuracy(Int32Array.from(B.pred), Int32Array.from(B.labels))).toBe(4 / 6);
  });

  it('macro-F1 averages per-class F1 = 2tp / (2tp + fp + fn) over classes present', () => {
    // pred   0 0 1 1 2 2
    // labels 0 1 1 1 2 0
    // class 0: tp 1 (row 0), fp 1 (row 1), fn 1 (row 5) -> 2/4 = 1/2
    // class 1: tp 2 (rows 2, 3), fp 0, fn 1 (row 1)     -> 4/5
    // class 2: tp 1 (row 4), fp 1 (row 5), fn 0         -> 2/3
    // macro = (1/2 + 4/5 + 2/3) / 3 = (15 + 24 + 20) / 30 / 3 = 59/90; class 3 (absent) is skipped
    const pred = [0, 0, 1, 1, 2, 2], labels = [0, 1, 1, 1, 2, 0];
    expect(macroF1(pred, labels, 3)).toBeCloseTo(59 / 90, 12);
    expect(macroF1(pred, labels, 4)).toBeCloseTo(59 / 90, 12);
    expect(macroF1([1, 1], [1, 1], 2)).toBe(1);
  });
});

describe('selective prediction without ties (case A)', () => {
  it('risk-coverage has one point per uncertainty level', () => {
    const c = riskCoverage(A.pred, A.labels, A.unc);
    expect(c.coverage).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(c.threshold).toEqual([0.1, 0.2, 0.3, 0.5, 0.9]);
    expect(c.risk[0]).toBe(0);
    expect(c.risk[1]).toBe(0);
    expect(c.risk[2]).toBeCloseTo(1 / 3, 12);
    expect(c.risk[3]).toBeCloseTo(1 / 4, 12);
    expect(c.risk[4]).toBeCloseTo(2 / 5, 12);
  });

  it('AURC is the mean risk over k = 1..n', () => {
    expect(aurc(A.pred, A.labels, A.unc)).toBeCloseTo(59 / 300, 12);
  });

  it('selective accuracy keeps k = max(1, round(n (1 - drop))) rows', () => {
    expect(selectiveAccuracy(A.pred, A.labels, A.unc, 0)).toBe(3 / 5);
    expect(selectiveAccuracy(A.pred, A.labels, null, 0.5)).toBe(3 / 5); // no uncertainty: plain accuracy
    expect(selectiveAccuracy(A.pred, A.labels, A.unc, 0.2)).toBeCloseTo(1 - 1 / 4, 12); // k = 4
    expect(selectiveAccuracy(A.pred, A.labels, A.unc, 0.4)).toBeCloseTo(1 - 1 / 3, 12); // k = 3
    expect(selectiveAccuracy(A.pred, A.labels, A.unc, 0.9)).toBe(1); // k = round(0.5) = 1
  });
});

describe('selective prediction with ties (case B)', () => {
  it('risk-coverage points sit at the ends of tie groups', () => {
    const c = riskCoverage(B.pred, B.labels, B.unc);
    expect(c.coverage).toEqual([3 / 6, 5 / 6, 1]);
    expect(c.threshold).toEqual([0.2, 0.7, 0.9]);
    expect(c.risk[0]).toBeCloseTo(1 / 3, 12);
    expect(c.risk[1]).toBeCloseTo(2 / 5, 12);
    expect(c.risk[2]).toBeCloseTo(1 / 3, 12);
  });

  it('risk at fixed coverages uses the expectation inside a tie group', () => {
    // points 3: k = 2, 4, 6 -> risk 1/3, 3/8, 1/3
    const c = riskCoverage(B.pred, B.labels, B.unc, { points: 3 });
    expect(c.coverage).toEqual([2 / 6, 4 / 6, 1]);
    expect(c.risk[0]).toBeCloseTo(1 / 3, 12);
    expect(c.risk[1]).toBeCloseTo(3 / 8, 12);
    expect(c.risk[2]).toBeCloseTo(1 / 3, 12);
  });

  it('AURC and selective accuracy match the hand computation', () => {
    expect(aurc(B.pred, B.labels, B.unc)).toBeCloseTo(253 / 720, 12);
    expect(selectiveAccuracy(B.pred, B.labels, B.unc, 0.5)).toBeCloseTo(1 - 1 / 3, 12); // k = 3
    expect(selectiveAccuracy(B.pred, B.labels, B.unc, 0.35)).toBeCloseTo(1 - 3 / 8, 12); // k = round(3.9) = 4
  });

  it('does not depend on row order', () => {
    const p = [5, 3, 1, 0, 4, 2];
    const pred = permute(B.pred, p), labels = permute(B.labels, p), unc = permute(B.unc, p);
    expect(aurc(pred, labels, unc)).toBe(aurc(B.pred, B.labels, B.unc));
    expect(selectiveAccuracy(pred, labels, unc, 0.35)).toBe(selectiveAccuracy(B.pred, B.labels, B.unc, 0.35));
    expect(riskCoverage(pred, labels, unc, { points: 6 })).toEqual(riskCoverage(B.pred, B.labels, B.unc, { points: 6 }));
  });

  it('a constant uncertainty gives AURC = error rate and selective accuracy = accuracy', () => {
    const flat = A.unc.map(() => 0.5);
    expect(aurc(A.pred, A.labels, flat)).toBeCloseTo(2 / 5, 12);
    expect(selectiveAccuracy(A.pred, A.labels, flat, 0.4)).toBeCloseTo(3 / 5, 12);
  });

  it('the report chart samples the same curve', () => {
    const c = reportRiskCoverage(A.pred, A.labels, A.unc, 5);
    expect(c.coverage).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(c.risk[3]).toBeCloseTo(1 / 4, 12);
  });
});

describe('bad inputs name the argument', () => {
  it('rejects mismatched or empty arrays', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/pred and labels of the same length but received 2 and 1/);
    expect(() => accuracy([], [])).toThrow(/for labels/);
    expect(() => accuracy('01' as unknown as number[], [0, 1])).toThrow(TypeError);
    expect(() => macroF1([0], [0], 0)).toThrow(/for classes but received 0/);
  });

  it('rejects a bad uncertainty, drop or points', () => {
    expect(() => aurc(A.pred, A.labels, [0.1])).toThrow(/for uncertainty but received Array of length 1/);
    expect(() => aurc(A.pred, A.labels, [0.1, NaN, 0, 0, 0])).toThrow("Expected numbers (not NaN) in uncertainty but received NaN at index 1");
    expect(() => selectiveAccuracy(A.pred, A.labels, A.unc, 1)).toThrow('Expected a number between 0 and 0.99 for drop but received 1 (number)');
    expect(() => selectiveAccuracy(A.pred, A.labels, A.unc, -0.1)).toThrow(/for drop/);
    expect(() => riskCoverage(A.pred, A.labels, A.unc, { points: 0 })).toThrow('Expected an integer between 1 and 1000000 for options.points but received 0 (number)');
  });
});
