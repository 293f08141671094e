// The native model objects called directly (the addon can be): every argument is an object with
// the TypeScript field names, every range comes from the one field table (the same numbers the
// TypeScript options report), and every typed array is checked for type and length, so a bad
// call is a TypeError or RangeError naming the field, never a crash.
import { describe, expect, it } from 'vitest';

import { native } from '../lib/native';
import { nativeFields, resolveVarTJepaOptions, varTJepaRules } from '../lib/model/options';
import { TINY_OPTIONS } from './helpers/tiny-model';

type NativeCtor = new (c: object) => Record<string, (...a: unknown[]) => unknown>;
const config = { ...resolveVarTJepaOptions(TINY_OPTIONS), cardinalities: Int32Array.of(0, 4, 0, 3, 0) };

describe('the native model boundary', () => {
  it('the TypeScript options take their ranges from the native field table', () => {
    const f = nativeFields();
    expect(varTJepaRules().d).toEqual(f.shared.d);
    expect(varTJepaRules().batchSize).toEqual(['int', 1, 65536]);
    expect(varTJepaRules().lr).toEqual(f.vschedule.lr);
    expect(varTJepaRules().pool).toEqual(f.vartjepa.pool);
    expect(() => resolveVarTJepaOptions({ d: f.shared.d[2] + 1 })).toThrow(`Expected an integer between 1 and ${f.shared.d[2]} for options.d`);
  });

  it('checks the config object against the same ranges', () => {
    const Ctor = native().binding.VarTJepaNative as NativeCtor;
    expect(() => new Ctor({ ...config, d: 5000 })).toThrow('Expected an integer between 1 and 4096 for config.d but received 5000 (number)');
    expect(() => new Ctor({ ...config, batchSize: 70000 })).toThrow('Expected an integer between 1 and 65536 for config.batchSize but received 70000 (number)');
    expect(() => new Ctor({ ...config, dropout: 1 })).toThrow('Expected a number between 0 and 0.99 for config.dropout but received 1 (number)');
    expect(() => new Ctor({ ...config, dP: 6, headsP: 4 })).toThrow('config.dP (6) must be divisible by config.headsP (4)');
    expect(() => new Ctor(5)).toThrow('Expected an object for config but received 5 (number)');
    const T = native().binding.TJepaNative as NativeCtor;
    expect(() => new T({ ...config, nAux: 65 })).toThrow('Expected an integer between 0 and 64 for config.nAux but received 65 (number)');
  });

  it('takes objects for a step, an embedding and generate, naming each bad field', async () => {
    const Ctor = native().binding.VarTJepaNative as NativeCtor;
    const m = new Ctor(config);
    try {
      const x = new Float32Array(2 * 5);
      const masks = { ctx: Int32Array.of(0, 1), trg: Int32Array.of(2, 3, 4, 2), ctxSize: 1, trgSize: 1 };
      const sched = { lr: 1e-3, aRec: 0.1, aGen: 1, aSx: 0, aZ: 0, aSy: 0, noiseSeed: 0 };
      expect(() => m.trainStep(x, masks, sched)).toThrow('Expected an object for batch but received Float32Array of length 10');
      expect(() => m.trainStep({ x, rows: 3 }, masks, sched)).toThrow('Expected a Float32Array of length 15 for batch.x but received length 10');
      expect(() => m.trainStep({ x, rows: 2 }, { ...masks, trg: Int32Array.of(1) }, sched)).toThrow('Expected an Int32Array of length 4 for masks.trg but received length 1');
      expect(() => m.trainStep({ x, rows: 2 }, masks, { ...sched, lr: 11 })).toThrow('Expected a number between 0 and 10 for schedule.lr but received 11 (number)');
      const r = (await m.trainStep({ x, rows: 2 }, masks, sched)) as { total: number; step: number };
      expect(r.step).toBe(1);
      expect(Number.isFinite(r.total)).toBe(true);
      const out = { embeddings: new Float32Array(2 * 40), uncertainty: new Float32Array(2), uncertaintyP90: new Float32Array(2) };
      const opts = { views: 0, viewFraction: 0.5, viewSeed: 0, rowOffset: 0 };
      expect(() => m.embed({ x, rows: 2 }, { ...out, uncertainty: new Float32Array(1) }, opts)).toThrow('Expected a Float32Array of length 2 for out.uncertainty but received length 1');
      expect(() => m.embed({ x, rows: 2 }, out, { ...opts, views: 1001 })).toThrow('Expected an integer between 0 and 1000 for options.views but received 1001 (number)');
      expect(() => m.embed({ x, rows: 2 }, { ...out, surprise: new Float32Array(2) }, opts)).toThrow('Expected options.views > 0 with out.surprise, out.featureSurprise or out.priorUncertainty but received 0');
      await m.embed({ x, rows: 2 }, out, opts);
      expect(out.uncertainty.every((v) => v > 0)).toBe(true);
      expect(() => m.generate({ x, rows: 2 }, new Uint8Array(10).fill(1), { draws: 0, seed: 0 })).toThrow('Expected an integer between 1 and 100000 for options.draws but received 0 (number)');
      expect(() => m.importState({ m: new Float32Array(1), v: new Float32Array(1), step: 0 })).toThrow(/^Expected a Float32Array of length \d+ for state.m but received length 1$/);
    } finally {
      m.dispose();
    }
  });
});
