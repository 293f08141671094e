// The T-JEPA baseline (docs/model.md, section 10): the latent MSE against finite differences and a plain
// float64 reference, the EMA target encoder and its momentum schedule, training on the SIM-like
// table, reproducibility, and option validation.
import { describe, expect, it } from 'vitest';

import { LinearProbe } from '../lib/eval/linear-probe';
import { selectiveAccuracy } from '../lib/eval/metrics-classification';
import { TJepa, type TJepaLoss } from '../lib/model/tjepa';
import { resolveTJepaOptions, tjepaPreset } from '../lib/model/options';
import { simTable } from '../lib/sim';
import { rng } from './helpers/buffers';
import { binding } from './helpers/native';
import { referenceTJepaLoss } from './helpers/reference-tjepa';
import { TINY_SCHEMA, tinyData } from './helpers/tiny-model';

// TINY_OPTIONS of the Var-T-JEPA tests without the pooling option, plus two auxiliary tokens
const TINY = {
  d: 8, layers: 2, heads: 2, ff: 16, dropout: 0, dP: 4, layersP: 1, headsP: 2, ffP: 8, dropoutP: 0,
  masks: 2, ctxMin: 0.2, ctxMax: 0.4, trgMin: 0.2, trgMax: 0.6, batchSize: 6, seed: 3, nAux: 2,
};

/** index of each tensor of the parameter table by name */
const byName = (m: TJepa) => new Map(m.parameterTable().map((t) => [t.name, t]));

describe('T-JEPA loss', () => {
  it('matches central finite differences for a sample of every trained tensor; the target encoder gets no gradient', async () => {
    const model = new TJepa(TINY_SCHEMA, TINY);
    try {
      const data = tinyData(6, 1);
      const masks = model.masksAt(0, data.rows);
      const sched = { lr: 0, momentum: 0.996, noiseSeed: 9 };
      // one update first, so the target encoder differs from the context encoder
      await model.trainStep(data, masks, { lr: 1e-2, momentum: 0.5, noiseSeed: 1 });
      const base = await model.lossAndGrad(data, masks, sched, true);
      expect(base.loss).toBeGreaterThan(0);
      const grads = model.exportGradients();
      const params = model.exportParameters();
      const table = model.parameterTable();
      const r = rng(11);
      const h = 2e-3;
      let checked = 0;
      const failures: string[] = [];
      for (const t of table) {
        if (t.name.startsWith('tgt.')) {
          // no gradient into the EMA target encoder
          expect(grads.subarray(t.offset, t.offset + t.size).every((g) => g === 0), t.name).toBe(true);
          continue;
        }
        const picks = new Set<number>();
        while (picks.size < Math.min(2, t.size)) picks.add(t.offset + Math.floor(r() * t.size));
        for (const i of picks) {
          const keep = params[i];
          params[i] = keep + h;
          model.importParameters(params);
          const lp = (await model.lossAndGrad(data, masks, sched)).loss;
          params[i] = keep - h;
          model.importParameters(params);
          const lm = (await model.lossAndGrad(data, masks, sched)).loss;
          params[i] = keep;
          const num = (lp - lm) / (2 * h);
          // float32 forward passes: the difference quotient is good to about 1e-3 of the loss scale
          if (Math.abs(grads[i] - num) > 2e-3 + 3e-2 * Math.abs(num)) failures.push(`${t.name}[${i - t.offset}]: analytic ${grads[i]} numeric ${num}`);
          checked++;
        }
      }
      model.importParameters(params);
      expect(failures, failures.join('\n')).toEqual([]);
      expect(checked).toBeGreaterThan(60);
    } finally {
      model.dispose();
    }
  });

  it('agrees with a float64 reference forward pass written from the spec', async () => {
    const model = new TJepa(TINY_SCHEMA, TINY);
    try {
      const data = tinyData(6, 2);
      for (let s = 0; s < 2; s++) await model.trainStep(data, model.masksAt(s, 6), { lr: 1e-2, momentum: 0.5, noiseSeed: s });
      for (const step of [5, 6, 7]) {
        const masks = model.masksAt(step, data.rows);
        const got = (await model.lossAndGrad(data, masks, { lr: 0, momentum: 1, noiseSeed: 0 })).loss;
        const want = referenceTJepaLoss({
          params: model.exportParameters(), table: model.parameterTable(), cards: new Int32Array([0, 4, 0, 3, 0]),
          x: data.x, rows: data.rows, ...masks, config: { ...TINY, posBase: 100, predPosBase: 10000 },
        });
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want));
      }
    } finally {
      model.dispose();
    }
  });
});

describe('T-JEPA target encoder', () => {
  it('starts as a copy of the context encoder and follows target = m * target + (1 - m) * context', async () => {
    const model = new TJepa(TINY_SCHEMA, TINY);
    try {
      const names = byName(model);
      const pairs = [...names.values()].filter((t) => t.name.startsWith('tgt.')).map((t) => [names.get(`ctx.${t.name.slice(4)}`)!, t] as const);
      expect(pairs.length).toBeGreaterThan(20);
      expect(pairs.every(([c, t]) => c && c.size === t.size)).toBe(true);
      const p0 = model.exportParameters();
      for (const [c, t] of pairs) expect(p0.subarray(t.offset, t.offset + t.size)).toEqual(p0.subarray(c.offset, c.offset + c.size));
      const data = tinyData(6, 3);
      const m = 0.9;
      for (let s = 0; s < 3; s++) {
        const before = model.exportParameters();
        await model.trainStep(data, model.masksAt(s, 6), { lr: 5e-2, momentum: m, noiseSeed: s });
        const after = model.exportParameters();
        let moved = 0;
        for (const [c, t] of pairs) {
          for (let i = 0; i < t.size; i++) {
            const want = m * before[t.offset + i] + (1 - m) * after[c.offset + i];
            expect(Math.abs(after[t.offset + i] - want)).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(want));
            if (after[t.offset + i] !== before[t.offset + i]) moved++;
          }
        }
        expect(moved).toBeGreaterThan(100);
      }
    } finally {
      model.dispose();
    }
  });

  it('momentum rises linearly from emaStart to emaEnd over the training steps', async () => {
    const model = new TJepa(TINY_SCHEMA, { ...TINY, emaStart: 0.99, emaEnd: 1 });
    try {
      expect(model.scheduleAt(0, 10, 100).momentum).toBe(0.99);
      expect(model.scheduleAt(50, 10, 100).momentum).toBeCloseTo(0.995, 12);
      expect(model.scheduleAt(100, 10, 100).momentum).toBe(1);
      const seen: number[] = [];
      await model.fit(tinyData(12, 4), { epochs: 4, onProgress: (p) => seen.push(p.momentum) });
      expect(seen.length).toBe(8);
      expect(seen[0]).toBe(0.99);
      for (let i = 1; i < seen.length; i++) expect(seen[i] - seen[i - 1]).toBeCloseTo(0.01 / 8, 12);
      expect(new TJepa(TINY_SCHEMA, TINY).getConfig().options).toMatchObject({ emaStart: 0.996, emaEnd: 1, nAux: 2 });
    } finally {
      model.dispose();
    }
  });
});

describe('T-JEPA training', () => {
  it('lowers the loss on the SIM-like table and embeds the class above chance', async () => {
    const sim = simTable({ rows: 1500, seed: 2 });
    const D = sim.schema.features.length;
    const nTrain = 1200;
    const train = { x: sim.x.slice(0, nTrain * D), rows: nTrain };
    const test = { x: sim.x.slice(nTrain * D), rows: sim.rows - nTrain };
    const model = new TJepa(sim.schema, { d: 16, layers: 2, heads: 2, ff: 32, dP: 8, layersP: 1, headsP: 2, ffP: 32, ctxMin: 0.15, ctxMax: 0.5, trgMin: 0.15, trgMax: 0.8, warmup: 1, batchSize: 200, seed: 1 });
    try {
      const res = await model.fit(train, { epochs: 4 });
      expect(res.history.length).toBe(4);
      expect(res.history[3].loss.loss).toBeLessThan(res.history[0].loss.loss);
      const a = await model.embed(train);
      const b = await model.embed(test);
      expect(a.dim).toBe(D * 16);
      expect(b.embeddings.every(Number.isFinite)).toBe(true);
      const probe = LinearProbe.fit(a.embeddings, a.rows, sim.labels.slice(0, nTrain), sim.classes, { iterations: 200 });
      const acc = selectiveAccuracy(probe.predict(b.embeddings, b.rows), sim.labels.slice(nTrain), null, 0);
      expect(acc).toBeGreaterThan(1 / sim.classes + 0.2); // chance is 1/3; about 0.82 here
    } finally {
      model.dispose();
    }
  });

  it('gives bit-identical loss curves for the same seed, on 1 and 2 threads', async () => {
    const data = tinyData(40, 5);
    const curve = async (seed: number, threads: number) => {
      binding().setThreads(threads);
      const m = new TJepa(TINY_SCHEMA, { ...TINY, dropout: 0.1, dropoutP: 0.1, batchSize: 16, seed });
      try {
        const out: TJepaLoss[] = [];
        await m.fit(data, { epochs: 3, onProgress: (p) => out.push(p.loss) });
        return { out, params: m.exportParameters() };
      } finally {
        m.dispose();
        binding().setThreads(2);
      }
    };
    const a = await curve(3, 2), b = await curve(3, 1), c = await curve(4, 2);
    expect(a.out.length).toBe(9);
    expect(a.out).toEqual(b.out);
    expect(a.params).toEqual(b.params);
    expect(a.out).not.toEqual(c.out);
  });

  it('selects the best probe online when labels and validation rows are given', async () => {
    const data = tinyData(24, 6);
    const labels = Int32Array.from({ length: 24 }, (_, i) => (data.x[i * 5 + 1] >= 2 ? 1 : 0));
    const model = new TJepa(TINY_SCHEMA, { ...TINY, batchSize: 12 });
    try {
      const res = await model.fit(data, { epochs: 4, labels, validation: { data, labels }, probeEvery: 2 });
      expect(res.history.filter((h) => h.probe).length).toBe(2);
      expect(res.best!.accuracy).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });
});

describe('T-JEPA options', () => {
  const make = (o: object) => () => new TJepa(TINY_SCHEMA, { ...TINY, ...o });
  it('names the option in every error', async () => {
    expect(make({ nAux: -1 })).toThrow('Expected an integer between 0 and 64 for options.nAux but received -1 (number)');
    expect(make({ emaStart: 1.5 })).toThrow('options.emaStart');
    expect(make({ emaStart: 0.999, emaEnd: 0.99 })).toThrow('options.emaStart (0.999) must not exceed options.emaEnd (0.99)');
    // Var-T-JEPA's own options (a preset's) are checked and left out
    expect(make({ aSx: 1 })).not.toThrow();
    expect(make({ pool: 0 })).toThrow('Expected an integer between 1 and 256 for options.pool but received 0 (number)');
    expect(make({ hidden: 2 })).toThrow(/Unknown option options\.hidden; known options: .*nAux, emaStart, emaEnd/);
    expect(make({ d: 6, heads: 4 })).toThrow('options.d (6) must be divisible by options.heads (4)');
    expect(make({ isa: 'sse' })).toThrow('options.isa');
    const m = new TJepa(TINY_SCHEMA, TINY);
    try {
      await expect(m.fit(tinyData(6, 1), { epochs: 0 })).rejects.toThrow('options.epochs');
      await expect(m.fit(tinyData(6, 1), { labels: new Int32Array(6) })).rejects.toThrow('options.validation');
      await expect(m.trainStep(tinyData(7, 1), m.masksAt(0, 7), m.scheduleAt(0, 1, 1))).rejects.toThrow(/rows/);
      await expect(m.trainStep(tinyData(6, 1), m.masksAt(0, 6), { lr: 0, momentum: 2, noiseSeed: 0 })).rejects.toThrow('schedule.momentum');
    } finally {
      m.dispose();
    }
    expect(() => m.exportParameters()).toThrow('disposed');
  });

  it('takes the shared fields of the Table 7 presets and validates them like its own', () => {
    const sim = tjepaPreset('sim');
    expect(sim).toMatchObject({ layers: 16, heads: 2, ff: 64, lr: 5e-4, ctxMin: 0.15, trgMax: 0.8, nAux: 1, emaStart: 0.996 });
    expect('aSx' in sim || 'pool' in sim).toBe(false);
    expect(resolveTJepaOptions(sim)).toEqual(sim);
  });
});
