// The whole Var-T-JEPA loss against central finite differences, for a sample of every
// parameter tensor, on a tiny configuration with the noise fixed (same step seed) and no dropout.
import { describe, expect, it } from 'vitest';

import { VarTJepa } from '../lib/model/vartjepa';
import type { ModelSchema } from '../lib/model/schema';
import { rng } from './helpers/buffers';

export const TINY_SCHEMA: ModelSchema = {
  features: [
    { name: 'a', kind: 'numeric' },
    { name: 'b', kind: 'categorical', categories: 4 },
    { name: 'c', kind: 'numeric' },
    { name: 'd', kind: 'categorical', categories: 3 },
    { name: 'e', kind: 'numeric' },
  ],
};
export const TINY_OPTIONS = {
  d: 8, layers: 2, heads: 2, ff: 16, dropout: 0, dp: 4, layersP: 1, headsP: 2, ffp: 8, dropoutP: 0,
  pool: 2, masks: 2, ctxMin: 0.2, ctxMax: 0.4, trgMin: 0.2, trgMax: 0.6, batchSize: 6, seed: 3,
};

export function tinyData(rows: number, seed: number) {
  const r = rng(seed);
  const cards = [0, 4, 0, 3, 0];
  const x = new Float32Array(rows * 5);
  for (let i = 0; i < rows; i++) for (let j = 0; j < 5; j++) x[i * 5 + j] = cards[j] ? Math.floor(r() * cards[j]) : r();
  return { x, rows };
}

describe('Var-T-JEPA loss gradient', () => {
  it('matches central finite differences for a sample of every parameter tensor', async () => {
    const model = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      const data = tinyData(6, 1);
      const masks = model.masksAt(0, data.rows);
      // all five terms weighted 1 so every path is checked; the step seed fixes the noise
      const sched = { lr: 0, aRec: 1, aGen: 1, aSx: 1, aZ: 1, aSy: 1, noiseSeed: 12345 };
      const base = await model.lossAndGrad(data, masks, sched, true);
      expect(Number.isFinite(base.total)).toBe(true);
      const grads = model.exportGradients();
      const params = model.exportParameters();
      const table = model.parameterTable();
      const r = rng(7);
      const h = 2e-3;
      let checked = 0;
      const failures: string[] = [];
      for (const t of table) {
        const picks = new Set<number>();
        const n = Math.min(2, t.size);
        while (picks.size < n) picks.add(t.offset + Math.floor(r() * t.size));
        for (const i of picks) {
          const keep = params[i];
          params[i] = keep + h;
          model.importParameters(params);
          const lp = (await model.lossAndGrad(data, masks, sched)).total;
          params[i] = keep - h;
          model.importParameters(params);
          const lm = (await model.lossAndGrad(data, masks, sched)).total;
          params[i] = keep;
          const num = (lp - lm) / (2 * h);
          const err = Math.abs(grads[i] - num);
          // float32 forward passes: the difference quotient is good to about 1e-3 of the loss scale
          if (err > 3e-3 + 3e-2 * Math.abs(num)) failures.push(`${t.name}[${i - t.offset}]: analytic ${grads[i]} numeric ${num}`);
          checked++;
        }
      }
      model.importParameters(params);
      expect(failures, failures.join('\n')).toEqual([]);
      expect(checked).toBeGreaterThan(100);
    } finally {
      model.dispose();
    }
  });
});
