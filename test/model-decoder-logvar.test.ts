// decoderLogvarInit (options.ts): the decoders' global log-variances start at 0 (docs/model.md, the
// default), at a given value, or, with 'data', at the log of the mean variance of the numeric
// training columns when fit starts a fresh model.
import { describe, expect, it } from 'vitest';

import { VarTJepa } from '../lib/model/vartjepa';
import { TINY_OPTIONS, TINY_SCHEMA, tinyData } from './helpers/tiny-model';

const NUMERIC = [0, 2, 4];

function logvars(model: VarTJepa): number[] {
  const p = model.exportParameters();
  return ['dec_ctx.logvar', 'dec_trg.logvar'].map((name) => p[model.parameterTable().find((e) => e.name === name)!.offset]);
}

function meanColumnVariance(data: { x: Float32Array; rows: number }): number {
  let total = 0;
  for (const j of NUMERIC) {
    let s = 0, q = 0;
    for (let r = 0; r < data.rows; r++) s += data.x[r * 5 + j];
    const mean = s / data.rows;
    for (let r = 0; r < data.rows; r++) q += (data.x[r * 5 + j] - mean) ** 2;
    total += q / data.rows;
  }
  return total / NUMERIC.length;
}

describe('decoderLogvarInit', () => {
  it("'data' starts fit at the log of the numeric columns' mean variance", async () => {
    // lr 0: the first epoch leaves the parameters where fit put them
    const model = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, lr: 0, decoderLogvarInit: 'data' });
    try {
      expect(logvars(model)).toEqual([0, 0]);
      const data = tinyData(40, 8);
      // scale the numeric columns so the variance is far from 1
      for (let r = 0; r < data.rows; r++) for (const j of NUMERIC) data.x[r * 5 + j] *= 0.1;
      await model.fit(data, { epochs: 1 });
      const want = Math.log(meanColumnVariance(data));
      expect(want).toBeLessThan(-5);
      for (const v of logvars(model)) expect(v).toBeCloseTo(want, 4);
      // a second fit continues from the trained model: nothing is reset
      const p = model.exportParameters();
      p[model.parameterTable().find((e) => e.name === 'dec_trg.logvar')!.offset] = -1.5;
      model.importParameters(p);
      await model.fit(data, { epochs: 1 });
      expect(logvars(model)[1]).toBe(-1.5);
    } finally {
      model.dispose();
    }
  });

  it('a number is set at construction; 0 (the default) keeps the paper initialisation through fit', async () => {
    const a = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, lr: 0, decoderLogvarInit: -3.25 });
    const b = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, lr: 0 });
    try {
      expect(b.options.decoderLogvarInit).toBe(0);
      expect(logvars(a)).toEqual([-3.25, -3.25]);
      const data = tinyData(12, 2);
      await a.fit(data, { epochs: 1 });
      await b.fit(data, { epochs: 1 });
      expect(logvars(a)).toEqual([-3.25, -3.25]);
      expect(logvars(b)).toEqual([0, 0]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('leaves imported parameters alone, and does nothing without numeric features', async () => {
    const model = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, lr: 0, decoderLogvarInit: 'data' });
    const catOnly = new VarTJepa({ features: [{ name: 'b', kind: 'categorical', categories: 4 }, { name: 'd', kind: 'categorical', categories: 3 }] }, { ...TINY_OPTIONS, lr: 0, decoderLogvarInit: 'data' });
    try {
      const p = model.exportParameters();
      for (const e of model.parameterTable()) if (e.name.endsWith('.logvar')) p[e.offset] = 0.75;
      model.importParameters(p);
      await model.fit(tinyData(12, 3), { epochs: 1 });
      expect(logvars(model)).toEqual([0.75, 0.75]);
      const x = Float32Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? i % 4 : i % 3));
      await catOnly.fit({ x, rows: 12 }, { epochs: 1 });
      expect(logvars(catOnly)).toEqual([0, 0]);
    } finally {
      model.dispose();
      catOnly.dispose();
    }
  });

  it('names a bad value', () => {
    expect(() => new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, decoderLogvarInit: 'mean' as never })).toThrow(/options\.decoderLogvarInit/);
    expect(() => new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, decoderLogvarInit: 40 })).toThrow(/options\.decoderLogvarInit/);
    expect(() => new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, decoderLogvarInit: Number.NaN })).toThrow(/options\.decoderLogvarInit/);
  });
});
