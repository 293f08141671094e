// Var-T-JEPA training behaviour on the SIM-like table: the ELBO goes down and embeddings carry the
// class; with every loss weight at 0 nothing learns; runs are reproducible, abortable, and two
// models can train at once.
import { describe, expect, it } from 'vitest';

import { DEMO_MODEL } from '../lib/commands/demo';
import { LinearProbe } from '../lib/eval/linear-probe';
import { selectiveAccuracy } from '../lib/eval/metrics-classification';
import { accuracy } from '../lib/eval/metrics-classification';
import { MlpProbe } from '../lib/eval/mlp-probe';
import { embeddingSpread, spearman } from '../lib/eval/metrics';
import { VarTJepa, type LossTerms } from '../lib/model/vartjepa';
import { simTable } from '../lib/sim';
import { TINY_OPTIONS, TINY_SCHEMA, tinyData } from './helpers/tiny-model';

const sim = simTable({ rows: 3000, seed: 1 });
const D = sim.schema.features.length;
const nTrain = 2400;
const train = { x: sim.x.slice(0, nTrain * D), rows: nTrain };
const test = { x: sim.x.slice(nTrain * D), rows: sim.rows - nTrain };
const yTrain = sim.labels.slice(0, nTrain), yTest = sim.labels.slice(nTrain);

async function probeAccuracy(model: VarTJepa) {
  const a = await model.embed(train);
  const b = await model.embed(test);
  const probe = LinearProbe.fit(a.embeddings, a.rows, yTrain, sim.classes, { iterations: 200 });
  return { acc: selectiveAccuracy(probe.predict(b.embeddings, b.rows), yTest, null, 0), emb: b };
}

describe('Var-T-JEPA on the SIM-like table', () => {
  it('lowers the ELBO and embeds the class far above chance', async () => {
    const model = new VarTJepa(sim.schema, { ...DEMO_MODEL, seed: 1 });
    try {
      const res = await model.fit(train, { epochs: 8 });
      const first = res.history[0].loss, last = res.history[res.history.length - 1].loss;
      // the reconstruction terms dominate the ELBO; both fall
      expect(last.gen).toBeLessThan(first.gen);
      expect(last.rec).toBeLessThan(first.rec);
      const { acc, emb } = await probeAccuracy(model);
      expect(acc).toBeGreaterThan(0.6); // chance is 1/3
      // one uncertainty per row, positive and finite (how well it tracks the rows' ambiguity is
      // measured by the demo and reported in bench/results, not asserted: see the issue note)
      expect(emb.uncertainty.every((u) => Number.isFinite(u) && u > 0)).toBe(true);
      expect(Number.isFinite(spearman(emb.uncertainty, sim.ambiguity.slice(nTrain)))).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('learns nothing when every loss weight is 0 (the gradient is exactly zero)', async () => {
    const model = new VarTJepa(sim.schema, { ...DEMO_MODEL, seed: 1, aRec: 0, aGen: 0, aSx: 0, aZ: 0, aSy: 0 });
    try {
      const before = model.exportParameters();
      const res = await model.fit({ x: train.x.subarray(0, 512 * D), rows: 512 }, { epochs: 2 });
      expect(res.history.every((h) => h.loss.total === 0 && h.loss.gradNorm === 0)).toBe(true);
      expect(model.exportParameters()).toEqual(before);
    } finally {
      model.dispose();
    }
  });
});

const spread = (e: { embeddings: Float32Array; rows: number; dim: number }) => embeddingSpread(e.embeddings, e.rows, e.dim);

describe('Var-T-JEPA without its reconstruction terms (Table 1 row G)', () => {
  // With every weight 0 there is no loss at all (above). The nearest objective with something to
  // learn keeps only the predictive KL term: JEPA's prediction loss without EMA or stop-gradient.
  // Its minimum is reached by the target posterior and the predictor agreeing, which they do by
  // shrinking the embeddings toward a constant: the MLP probe of docs/model.md, section 11, fed the
  // embeddings as the model outputs them, falls to chance. (Z-scored, the shrunken embeddings still carry the class:
  // the collapse is in scale; bench/results/studies/collapse.md.) The full ELBO keeps them spread.
  it('shrinks the embeddings toward a constant with only KL_sy, and not with the full ELBO', async () => {
    const out: Record<string, { before: number; after: number; probe: number }> = {};
    for (const [name, w] of [['full', {}], ['klSyOnly', { aRec: 0, aGen: 0, aSx: 0, aZ: 0, aSy: 1 }]] as const) {
      const model = new VarTJepa(sim.schema, { ...DEMO_MODEL, seed: 1, ...w });
      try {
        const before = spread(await model.embed(test));
        await model.fit(train, { epochs: 8 });
        const a = await model.embed(train), b = await model.embed(test);
        const probe = new MlpProbe({ seed: 0, standardize: false });
        try {
          await probe.fit(a.embeddings, yTrain, { classes: sim.classes, validation: { x: b.embeddings, y: yTest } });
          out[name] = { before, after: spread(b), probe: accuracy(await probe.predict(b.embeddings), yTest) };
        } finally {
          probe.dispose();
        }
      } finally {
        model.dispose();
      }
    }
    expect(out.klSyOnly.after).toBeLessThan(out.klSyOnly.before / 10);
    expect(out.full.after).toBeGreaterThan(out.full.before);
    // chance (the majority class) is about 0.36 on these 600 rows
    expect(out.klSyOnly.probe).toBeLessThan(0.45);
    expect(out.full.probe).toBeGreaterThan(0.7);
  });
});

describe('Var-T-JEPA training mechanics', () => {
  const data = tinyData(40, 5);
  const curve = async (m: VarTJepa) => {
    const out: LossTerms[] = [];
    await m.fit(data, { epochs: 3, onProgress: (p) => out.push(p.loss) });
    return out;
  };

  it('gives bit-identical loss curves for the same seed', async () => {
    const a = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, dropout: 0.1, dropoutP: 0.1, batchSize: 16 });
    const b = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, dropout: 0.1, dropoutP: 0.1, batchSize: 16 });
    const c = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, dropout: 0.1, dropoutP: 0.1, batchSize: 16, seed: 4 });
    try {
      const [ca, cb, cc] = [await curve(a), await curve(b), await curve(c)];
      expect(ca.length).toBe(9);
      expect(ca).toEqual(cb);
      expect(ca).not.toEqual(cc);
      expect(a.exportParameters()).toEqual(b.exportParameters());
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });

  it('stops on abort mid-epoch and stays usable', async () => {
    const m = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, batchSize: 8 });
    try {
      const ac = new AbortController();
      let steps = 0;
      await expect(
        m.fit(data, {
          epochs: 5,
          signal: ac.signal,
          onProgress: () => {
            if (++steps === 2) ac.abort();
          },
        }),
      ).rejects.toThrow(/aborted/);
      expect(m.step).toBe(2);
      const e = await m.embed(data);
      expect(e.embeddings.every(Number.isFinite)).toBe(true);
      await m.fit(data, { epochs: 1 });
      expect(m.step).toBe(2 + 5);
    } finally {
      m.dispose();
    }
  });

  it('trains two models at once in one process, each as it would alone', async () => {
    const solo = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    const a = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    const b = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, seed: 9 });
    try {
      const alone = await curve(solo);
      const [ca] = await Promise.all([curve(a), curve(b)]);
      expect(ca).toEqual(alone);
    } finally {
      solo.dispose();
      a.dispose();
      b.dispose();
    }
  });

  it('rejects a second call while one runs only through its queue (calls are serialised)', async () => {
    const m = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      const [e1, e2] = await Promise.all([m.embed(data), m.embed(data)]);
      expect(e1.embeddings).toEqual(e2.embeddings);
      expect(e1.uncertainty.every((u) => u > 0)).toBe(true);
      expect(e1.uncertaintyP90.every((u, i) => u >= e1.uncertainty[i] * 0.5)).toBe(true);
    } finally {
      m.dispose();
    }
  });

  it('generates the unobserved features and keeps the observed ones', async () => {
    const m = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      await m.fit(data, { epochs: 2 });
      const rows = 4;
      const x = data.x.slice(0, rows * 5);
      const observed = Uint8Array.from({ length: rows * 5 }, (_, i) => (i % 5 === 1 || i % 5 === 2 ? 0 : 1));
      observed[3 * 5 + 0] = 0; // rows differ in their observed sets
      const g = await m.generate({ x, rows }, observed, { draws: 5, seed: 1 });
      expect(g.values.length).toBe(5 * rows * 5);
      for (let d = 0; d < 5; d++)
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < 5; j++) {
            const v = g.values[(d * rows + r) * 5 + j];
            if (observed[r * 5 + j]) expect(v).toBe(x[r * 5 + j]);
            else if (j === 1) {
              expect(Number.isInteger(v) && v >= 0 && v < 4).toBe(true);
              const p = g.probs.subarray((d * rows + r) * g.probsPerRow + g.categoryOffsets[1], (d * rows + r) * g.probsPerRow + g.categoryOffsets[1] + 4);
              expect(p.reduce((s, q) => s + q, 0)).toBeCloseTo(1, 5);
            } else expect(Number.isFinite(v)).toBe(true);
          }
      // draws differ (the generative path samples s_x, z and s_y)
      const col2 = Array.from({ length: 5 }, (_, d) => g.values[(d * rows + 0) * 5 + 2]);
      expect(new Set(col2).size).toBeGreaterThan(1);
      await expect(m.generate({ x: x.slice(0, 5), rows: 1 }, new Uint8Array(5), { draws: 1 })).rejects.toThrow(
        new RangeError('Expected at least one observed feature per row in observed but row 0 has none'),
      );
    } finally {
      m.dispose();
    }
  });
});
