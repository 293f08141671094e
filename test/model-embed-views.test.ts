// Embedding with seeded random context views (docs/model.md, section 7 [decision]): the full-row path is
// unchanged by the option, the views are reproducible and independent of chunking, and the per-row
// surprise equals KL_sy of the float64 reference forward pass (means instead of samples) on the
// same views, and so do the posterior spreads of s_x and z (latentUncertainty) and each feature's
// surprise (featureSurprise).
import { describe, expect, it } from 'vitest';

import { VarTJepa } from '../lib/model/vartjepa';
import { referenceLoss } from './helpers/reference-model';
import { TINY_OPTIONS, TINY_SCHEMA, tinyData } from './helpers/tiny-model';

const CARDS = Int32Array.from([0, 4, 0, 3, 0]);
const D = 5;
const M64 = (1n << 64n) - 1n;

// native/src/model/vartjepa_infer.cc: splitmix64 and the seeded partial Fisher-Yates of a view
function mix64(z: bigint): bigint {
  z = (z + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}
function viewOf(seed: number, row: number, view: number, Mc: number): number[] {
  let st = mix64(BigInt(seed) ^ mix64((BigInt(row) * 0x100000001b3n + BigInt(view)) & M64));
  const perm = Array.from({ length: D }, (_, j) => j);
  for (let t = 0; t < Mc; t++) {
    st = mix64(st);
    const k = t + Number(st % BigInt(D - t));
    [perm[t], perm[k]] = [perm[k], perm[t]];
  }
  return perm.slice(0, Mc);
}

async function trainedTiny(): Promise<VarTJepa> {
  const model = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
  const data = tinyData(6, 2);
  for (let s = 0; s < 3; s++) await model.trainStep(data, model.masksAt(s, 6), { ...model.scheduleAt(s, 1, 10), lr: 1e-2 });
  return model;
}

describe('embed with context views', () => {
  it('leaves the full-row embedding unchanged with views 0 and gives no surprise', async () => {
    const model = await trainedTiny();
    try {
      const data = tinyData(9, 5);
      const a = await model.embed(data);
      const b = await model.embed(data, { views: 0, viewFraction: 0.3, viewSeed: 7 });
      expect(Buffer.from(b.embeddings.buffer).equals(Buffer.from(a.embeddings.buffer))).toBe(true);
      expect(Buffer.from(b.uncertainty.buffer).equals(Buffer.from(a.uncertainty.buffer))).toBe(true);
      expect(a.surprise).toBeUndefined();
    } finally {
      model.dispose();
    }
  });

  it('is reproducible, independent of chunking, and changes with the view seed', async () => {
    const model = await trainedTiny();
    try {
      const data = tinyData(23, 6);
      const opts = { views: 4, viewFraction: 0.5, viewSeed: 11 };
      const a = await model.embed(data, opts);
      const b = await model.embed(data, { ...opts, chunkRows: 5 });
      const c = await model.embed(data, { ...opts, viewSeed: 12 });
      for (const k of ['embeddings', 'uncertainty', 'uncertaintyP90', 'surprise'] as const) {
        expect(Buffer.from(b[k]!.buffer).equals(Buffer.from(a[k]!.buffer)), k).toBe(true);
        expect(a[k]!.every(Number.isFinite), k).toBe(true);
      }
      // per-feature surprise: asking for it leaves the rest alone, and 150 rows in one call (pieces
      // of 64 rows on the threads) give what chunks of 40 rows (one thread) give
      const f = await model.embed(data, { ...opts, featureSurprise: true });
      expect(Buffer.from(f.surprise!.buffer).equals(Buffer.from(a.surprise!.buffer))).toBe(true);
      const many = tinyData(150, 6);
      const p = await model.embed(many, { ...opts, featureSurprise: true });
      const q = await model.embed(many, { ...opts, featureSurprise: true, chunkRows: 40 });
      expect(Buffer.from(q.featureSurprise!.buffer).equals(Buffer.from(p.featureSurprise!.buffer))).toBe(true);
      expect(p.featureSurprise!.every((v) => Number.isNaN(v) || v >= 0)).toBe(true);
      expect(Buffer.from(c.embeddings.buffer).equals(Buffer.from(a.embeddings.buffer))).toBe(false);
      expect(a.surprise!.every((v) => v >= 0)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it.each(['scalar', 'auto'] as const)('surprise equals the reference KL_sy on the same views (%s backend)', async (isa) => {
    const model = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, isa });
    try {
      const train = tinyData(6, 2);
      for (let s = 0; s < 3; s++) await model.trainStep(train, model.masksAt(s, 6), { ...model.scheduleAt(s, 1, 10), lr: 1e-2 });
      const data = tinyData(4, 9);
      const V = 2, fraction = 0.4, seed = 5;
      const Mc = Math.round(D * fraction);
      const e = await model.embed(data, { views: V, viewFraction: fraction, viewSeed: seed, latentUncertainty: true, featureSurprise: true });
      const o = model.options;
      const config = { d: o.d, layers: o.layers, heads: o.heads, ff: o.ff, dP: o.dP, layersP: o.layersP, headsP: o.headsP, ffP: o.ffP, pool: o.pool, masks: 1, logvarMin: o.logvarMin, logvarMax: o.logvarMax, posBase: o.posBase, predPosBase: o.predPosBase };
      const params = model.exportParameters();
      const table = model.parameterTable();
      const near = (got: number, want: number, what: string) => expect(Math.abs(got - want), `${what}: native ${got} reference ${want}`).toBeLessThanOrEqual(1e-4 + 1e-4 * want);
      for (let r = 0; r < data.rows; r++) {
        let sum = 0, sxStd = 0, zStd = 0, prior = 0;
        const featSum = new Array<number>(D).fill(0), featN = new Array<number>(D).fill(0);
        for (let v = 0; v < V; v++) {
          const ctx = viewOf(seed, r, v, Mc);
          const trg = Array.from({ length: D }, (_, j) => j).filter((j) => !ctx.includes(j));
          const ref = referenceLoss({
            params, table, cards: CARDS, x: data.x.slice(r * D, (r + 1) * D), rows: 1,
            ctxSize: Mc, trgSize: trg.length, ctx: Int32Array.from(ctx), trg: Int32Array.from(trg),
            // zero noise: s_x, z and s_w are the posterior means, as in the embedding
            epsSx: new Float32Array(Mc * o.d), epsZ: new Float32Array(o.d), epsSw: new Float32Array(D * o.d),
            config,
          });
          sum += ref.klSy;
          trg.forEach((j, u) => {
            featSum[j] += ref.klSyQueries[u];
            featN[j]++;
          });
          sxStd += ref.sxStd[0];
          prior += ref.priorStdQueries.reduce((a, v) => a + v, 0) / ref.priorStdQueries.length;
          zStd += ref.zStd[0];
        }
        // the posterior spreads of s_x and z on the same views (latentUncertainty)
        near(e.contextUncertainty![r], sxStd / V, `row ${r} context uncertainty`);
        near(e.auxUncertainty![r], zStd / V, `row ${r} aux uncertainty`);
        // the spread of the conditional prior on the features outside each view (priorUncertainty)
        near(e.priorUncertainty![r], prior / V, `row ${r} prior uncertainty`);
        // each feature's surprise: its KL_sy over the views that left it out, NaN if none did
        for (let j = 0; j < D; j++) {
          const got = e.featureSurprise![r * D + j];
          if (featN[j] === 0) expect(got, `row ${r} feature ${j}`).toBeNaN();
          else near(got, featSum[j] / featN[j], `row ${r} feature ${j} surprise`);
        }
        const want = sum / V;
        expect(Math.abs(e.surprise![r] - want), `row ${r}: native ${e.surprise![r]} reference ${want}`).toBeLessThanOrEqual(1e-4 + 1e-4 * want);
      }
    } finally {
      model.dispose();
    }
  });

  it('names bad view options', async () => {
    const model = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      const data = tinyData(3, 1);
      await expect(model.embed(data, { views: -1 })).rejects.toThrow(/options\.views/);
      await expect(model.embed(data, { views: 2, viewFraction: 0 })).rejects.toThrow(/options\.viewFraction/);
      await expect(model.embed(data, { views: 2, viewFraction: 1.5 })).rejects.toThrow(/options\.viewFraction/);
      await expect(model.embed(data, { views: 2, viewSeed: 0.5 })).rejects.toThrow(/options\.viewSeed/);
      await expect(model.embed(data, { views: 1001 })).rejects.toThrow(/options\.views/);
      await expect(model.embed(data, { featureSurprise: true })).rejects.toThrow(/options\.views > 0 with featureSurprise/);
      await expect(model.embed(data, { views: 2, featureSurprise: 1 as unknown as boolean })).rejects.toThrow(/options\.featureSurprise/);
    } finally {
      model.dispose();
    }
  });
});
