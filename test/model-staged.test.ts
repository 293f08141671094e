// The device paths of the Var-T-JEPA model, run on the CPU: with VARJEPA_STAGED_DEVICE=1, device
// 'cpu' gives the model a copy of the CPU backend that declares its memory not host-addressable,
// so the model uploads its inputs, index lists and host-drawn noise, and reads losses and outputs
// back through copies, exactly as on CUDA, while the ops run on the CPU. Everything must equal the
// plain CPU backend bit for bit: training (with dropout), gradients, optimiser state, the
// reparameterisation noise, embeddings with and without context views, and generation. The
// T-JEPA baseline goes through the same paths (training with dropout, EMA target, embedding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TJepa, VarTJepa } from '../lib';
import { TINY_OPTIONS, TINY_SCHEMA, tinyData } from './helpers/tiny-model';
import { expectSameBits } from './helpers/op-compare';

const OPTIONS = { ...TINY_OPTIONS, dropout: 0.1, dropoutP: 0.1, device: 'cpu' as const };

function withStaged<T>(staged: boolean, f: () => T): T {
  const before = process.env.VARJEPA_STAGED_DEVICE;
  process.env.VARJEPA_STAGED_DEVICE = staged ? '1' : '0';
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.VARJEPA_STAGED_DEVICE;
    else process.env.VARJEPA_STAGED_DEVICE = before;
  }
}

const make = (staged: boolean) => withStaged(staged, () => new VarTJepa(TINY_SCHEMA, OPTIONS));

describe('Var-T-JEPA through the device paths (staged on the CPU)', () => {
  let plain: VarTJepa, staged: VarTJepa;
  const data = tinyData(40, 5);
  beforeAll(() => {
    plain = make(false);
    staged = make(true);
  });
  afterAll(() => {
    plain.dispose();
    staged.dispose();
  });

  it('uses the staged backend', () => {
    expect(staged.stats().deviceReason).toMatch(/staged device paths/);
    expect(plain.stats().deviceReason).not.toMatch(/staged/);
    expectSameBits(staged.exportParameters(), plain.exportParameters(), 'initial parameters');
  });

  it('trains bit-identically (losses, gradients, noise, parameters, optimiser state)', async () => {
    const a = await plain.fit(data, { epochs: 2 });
    const b = await staged.fit(data, { epochs: 2 });
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    expectSameBits(staged.exportParameters(), plain.exportParameters(), 'parameters');
    const sa = plain.exportOptimizerState(), sb = staged.exportOptimizerState();
    expectSameBits(sb.m, sa.m, 'AdamW m');
    expectSameBits(sb.v, sa.v, 'AdamW v');
    const na = plain.lastNoise(), nb = staged.lastNoise();
    for (const k of ['epsSx', 'epsZ', 'epsSw'] as const) expectSameBits(nb[k], na[k], k);
    expectSameBits(staged.exportGradients(), plain.exportGradients(), 'gradients');
  });

  it('embeds bit-identically, with and without context views', async () => {
    for (const opts of [{}, { views: 3, viewFraction: 0.6, viewSeed: 2 }]) {
      const a = await plain.embed(data, opts), b = await staged.embed(data, opts);
      for (const k of ['embeddings', 'uncertainty', 'uncertaintyP90', 'surprise'] as const) {
        if (!a[k]) {
          expect(b[k]).toBeUndefined();
          continue;
        }
        expectSameBits(b[k]!, a[k]!, `${JSON.stringify(opts)} ${k}`);
      }
    }
  });

  it('generates bit-identically', async () => {
    const rows = 6, x = data.x.slice(0, rows * 5);
    const observed = Uint8Array.from({ length: rows * 5 }, (_, i) => (i % 5 === 1 || i % 5 === 4 ? 0 : 1));
    observed[2 * 5] = 0;
    const a = await plain.generate({ x, rows }, observed, { draws: 3, seed: 4 });
    const b = await staged.generate({ x, rows }, observed, { draws: 3, seed: 4 });
    expectSameBits(b.values, a.values, 'values');
    expectSameBits(b.probs, a.probs, 'probs');
  });

  it('round-trips parameters and optimiser state through the device copies', () => {
    const p = plain.exportParameters(), s = plain.exportOptimizerState();
    staged.importParameters(p.map((v) => v * 0.5));
    staged.importOptimizerState({ ...s, m: s.m.map((v) => v + 1) });
    expectSameBits(staged.exportParameters(), p.map((v) => v * 0.5), 'imported parameters');
    expectSameBits(staged.exportOptimizerState().m, s.m.map((v) => v + 1), 'imported m');
  });
});

describe('T-JEPA through the device paths (staged on the CPU)', () => {
  it('trains and embeds bit-identically', async () => {
    const { pool: _pool, ...rest } = OPTIONS;
    const opts = { ...rest, nAux: 2 };
    const plain = withStaged(false, () => new TJepa(TINY_SCHEMA, opts));
    const staged = withStaged(true, () => new TJepa(TINY_SCHEMA, opts));
    try {
      const data = tinyData(30, 8);
      const a = await plain.fit(data, { epochs: 2 });
      const b = await staged.fit(data, { epochs: 2 });
      expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
      expectSameBits(staged.exportParameters(), plain.exportParameters(), 'parameters (trained and EMA target)');
      expectSameBits(staged.exportGradients(), plain.exportGradients(), 'gradients');
      expectSameBits(staged.exportOptimizerState().v, plain.exportOptimizerState().v, 'AdamW v');
      const ea = await plain.embed(data), eb = await staged.embed(data);
      expectSameBits(eb.embeddings, ea.embeddings, 'embeddings');
    } finally {
      plain.dispose();
      staged.dispose();
    }
  });
});
