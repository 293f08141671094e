// The report's baselines: the majority class of the training labels scored on held-out labels,
// and a linear probe on the raw features (one-hot categoricals), on tables small enough to know
// the answer.
import { describe, expect, it } from 'vitest';

import { majorityClassAccuracy, rawFeatureProbeAccuracy } from '../lib/eval/baselines';
import type { ModelSchema } from '../lib/model/schema';

describe('baselines', () => {
  it('scores the training majority class on the held-out labels', () => {
    expect(majorityClassAccuracy([0, 1, 1, 2, 1], [1, 0, 1, 1])).toBe(0.75);
    // the class comes from the training labels, not the held-out ones
    expect(majorityClassAccuracy([2, 2, 0], [0, 0, 0, 2])).toBe(0.25);
    // a tie goes to the lowest class
    expect(majorityClassAccuracy([1, 0, 1, 0], [0, 0, 1])).toBeCloseTo(2 / 3, 12);
  });

  it('fits a linear probe on the raw features and scores it on the held-out rows', () => {
    // the class is the category of feature c (codes 1..3 -> classes 0..2); the numeric column is noise
    const schema: ModelSchema = { features: [{ name: 'n', kind: 'numeric' }, { name: 'c', kind: 'categorical', categories: 4 }] };
    const table = (rows: number, shift: number) => {
      const x = new Float32Array(rows * 2), y = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        y[r] = (r + shift) % 3;
        x[2 * r] = ((r * 37) % 11) / 11;
        x[2 * r + 1] = y[r] + 1;
      }
      return { data: { x, rows }, y };
    };
    const tr = table(60, 0), te = table(21, 1);
    expect(rawFeatureProbeAccuracy(schema, tr.data, tr.y, te.data, te.y, 3)).toBe(1);
    // labels unrelated to the features: the probe cannot beat a third by much on balanced classes
    const shuffled = Int32Array.from(te.y, (_, i) => (i * 2) % 3);
    expect(rawFeatureProbeAccuracy(schema, tr.data, tr.y, te.data, shuffled, 3)).toBeLessThan(0.5);
  });
});
