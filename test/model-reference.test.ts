// The native loss terms on a fixed batch, fixed parameters and fixed noise agree with a slow
// float64 reference forward pass written from the spec (test/helpers/reference-model.ts).
import { describe, expect, it } from 'vitest';

import { VarTJepa } from '../lib/model/vartjepa';
import { referenceLoss, referenceParamShapes } from './helpers/reference-model';
import { TINY_OPTIONS, TINY_SCHEMA, tinyData } from './helpers/tiny-model';

describe('Var-T-JEPA loss against the TypeScript reference', () => {
  it('has the parameter layout the reference expects', () => {
    const model = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      const o = model.options;
      const shapes = referenceParamShapes(o, Int32Array.from([0, 4, 0, 3, 0]));
      const table = new Map(model.parameterTable().map((t) => [t.name, t.shape]));
      for (const s of shapes) expect(table.get(s.name), s.name).toEqual(s.shape);
    } finally {
      model.dispose();
    }
  });

  it.each(['scalar', 'auto'] as const)('agrees on all five terms (%s backend)', async (isa) => {
    const model = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, isa });
    try {
      const data = tinyData(6, 2);
      // a few training steps first, so the parameters are not at their initial values
      for (let s = 0; s < 3; s++) await model.trainStep(data, model.masksAt(s, 6), { ...model.scheduleAt(s, 1, 10), lr: 1e-2 });
      const masks = model.masksAt(7, 6);
      const sched = { lr: 0, aRec: 1, aGen: 1, aSx: 1, aZ: 1, aSy: 1, noiseSeed: 99 };
      const native = await model.lossAndGrad(data, masks, sched);
      const noise = model.lastNoise();
      const o = model.options;
      const ref = referenceLoss({
        params: model.exportParameters(),
        table: model.parameterTable(),
        cards: Int32Array.from([0, 4, 0, 3, 0]),
        x: data.x,
        rows: data.rows,
        ctxSize: masks.ctxSize,
        trgSize: masks.trgSize,
        ctx: masks.ctx,
        trg: masks.trg,
        epsSx: noise.epsSx,
        epsZ: noise.epsZ,
        epsSw: noise.epsSw,
        config: { d: o.d, layers: o.layers, heads: o.heads, ff: o.ff, dP: o.dP, layersP: o.layersP, headsP: o.headsP, ffP: o.ffP, pool: o.pool, masks: o.masks, logvarMin: o.logvarMin, logvarMax: o.logvarMax, posBase: o.posBase, predPosBase: o.predPosBase },
      });
      for (const k of ['rec', 'gen', 'klSx', 'klZ', 'klSy'] as const) {
        // float32 native vs float64 reference
        expect(Math.abs(native[k] - ref[k]), `${k}: native ${native[k]} reference ${ref[k]}`).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(ref[k]));
      }
    } finally {
      model.dispose();
    }
  });
});
