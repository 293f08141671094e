// Large embedding calls run on per-thread inference replicas (native/src/model/vartjepa_infer.cc,
// pieces of 64 rows taken by the pool's threads); calls of at most 64 rows run on the model
// itself. Every row's outputs must be the same bits on either path and on any thread count.
import { afterAll, describe, expect, it } from 'vitest';

import { getThreads, setThreads } from '../lib/index';
import { TJepa } from '../lib/model/tjepa';
import { VarTJepa } from '../lib/model/vartjepa';
import { TINY_OPTIONS, TINY_SCHEMA, tinyData } from './helpers/tiny-model';

const before = getThreads();
afterAll(() => setThreads(before));

const KEYS = ['embeddings', 'uncertainty', 'uncertaintyP90', 'surprise', 'featureUncertainty', 'contextUncertainty', 'auxUncertainty'] as const;

function same(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  if (!a || !b) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('embedding on inference replicas', () => {
  it.each([
    ['the full row', { featureUncertainty: true, latentUncertainty: true }],
    ['context views with surprise', { views: 3, viewFraction: 0.6, viewSeed: 4, featureUncertainty: true, latentUncertainty: true }],
  ])('gives the bits of the single-model path, on 1 and 2 threads (%s)', async (_, opts) => {
    const model = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      const train = tinyData(6, 2);
      for (let s = 0; s < 3; s++) await model.trainStep(train, model.masksAt(s, 6), { ...model.scheduleAt(s, 1, 10), lr: 1e-2 });
      const data = tinyData(301, 8); // 4 pieces of 64 and a short one
      setThreads(1);
      const serial = await model.embed(data, { ...opts, chunkRows: 40 }); // every call <= 64 rows: no replicas
      const one = await model.embed(data, opts);
      setThreads(2);
      const two = await model.embed(data, opts);
      const again = await model.embed(data, opts);
      for (const k of KEYS) {
        expect(same(one[k], serial[k]), `${k}: 1 thread`).toBe(true);
        expect(same(two[k], serial[k]), `${k}: 2 threads`).toBe(true);
        expect(same(again[k], two[k]), `${k}: repeated`).toBe(true);
      }
      expect(one.embeddings.every(Number.isFinite)).toBe(true);
      expect(new Set(one.uncertainty).size).toBeGreaterThan(100); // rows differ: no piece was copied over another
      // the per-feature uncertainties are the parts of the row's mean
      const D = 5, fu = one.featureUncertainty!;
      expect(fu.length).toBe(data.rows * D);
      for (let r = 0; r < data.rows; r++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += fu[r * D + j];
        expect(Math.abs(s / D - one.uncertainty[r])).toBeLessThanOrEqual(1e-6 * one.uncertainty[r]);
      }
    } finally {
      model.dispose();
    }
  });

  it('follows the parameters after more training', async () => {
    const model = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      setThreads(2);
      const data = tinyData(200, 3);
      const a = await model.embed(data);
      const train = tinyData(6, 2);
      await model.trainStep(train, model.masksAt(0, 6), { ...model.scheduleAt(0, 1, 10), lr: 1e-2 });
      const b = await model.embed(data);
      const small = await model.embed(data, { chunkRows: 50 });
      expect(same(a.embeddings, b.embeddings)).toBe(false);
      expect(same(b.embeddings, small.embeddings)).toBe(true);
      expect(b.featureUncertainty).toBeUndefined();
      await expect(model.embed(data, { featureUncertainty: 1 as unknown as boolean })).rejects.toThrow('options.featureUncertainty');
    } finally {
      model.dispose();
    }
  });

  it('embeds T-JEPA rows with the bits of the single-model path, on 1 and 2 threads', async () => {
    const model = new TJepa(TINY_SCHEMA, {
      d: 8, layers: 2, heads: 2, ff: 16, dropout: 0, dP: 4, layersP: 1, headsP: 2, ffP: 8, dropoutP: 0,
      masks: 2, ctxMin: 0.2, ctxMax: 0.4, trgMin: 0.2, trgMax: 0.6, batchSize: 6, seed: 3,
    });
    try {
      await model.fit(tinyData(12, 2), { epochs: 2 });
      const data = tinyData(201, 9), D = 5;
      setThreads(1);
      // calls of at most 64 rows run on the model itself
      const serial = new Float32Array(data.rows * model.embeddingDim);
      for (let r0 = 0; r0 < data.rows; r0 += 50) {
        const n = Math.min(50, data.rows - r0);
        const e = await model.embed({ x: data.x.subarray(r0 * D, (r0 + n) * D), rows: n });
        serial.set(e.embeddings, r0 * model.embeddingDim);
      }
      const one = await model.embed(data);
      setThreads(2);
      const two = await model.embed(data);
      expect(same(one.embeddings, serial)).toBe(true);
      expect(same(two.embeddings, serial)).toBe(true);
      expect(serial.every(Number.isFinite)).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
