// The whole Var-T-JEPA loss against central finite differences, for a sample of every
// parameter tensor, on a tiny configuration with the noise fixed (same step seed) and no dropout.
import { describe, expect, it } from 'vitest';

import { VarTJepa } from '../lib/model/vartjepa';
import { rng } from './helpers/buffers';
import { TINY_OPTIONS, TINY_SCHEMA, tinyData } from './helpers/tiny-model';

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
