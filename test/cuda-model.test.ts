// Var-T-JEPA (a training step, the embedding with and without context views, generation) and
// T-JEPA (a training epoch, the embedding) on device 'cuda' match the CPU backend.
// Skipped, with the reason printed, where CUDA is unavailable.
import { describe, expect, it } from 'vitest';

import { TJepa, VarTJepa } from '../lib';
import { announceSkip, cudaStatus } from './helpers/cuda';
import { expectClose } from './helpers/tolerance';

announceSkip(cudaStatus.model);

const schema = {
  features: [
    { name: 'a', kind: 'numeric' as const },
    { name: 'b', kind: 'categorical' as const, categories: ['x', 'y', 'z'] },
    { name: 'c', kind: 'numeric' as const },
    { name: 'd', kind: 'numeric' as const },
    { name: 'e', kind: 'categorical' as const, categories: ['p', 'q'] },
  ],
};
const options = { d: 16, heads: 2, ff: 32, layers: 2, dP: 8, headsP: 2, ffP: 16, layersP: 1, batchSize: 32, seed: 3, dropout: 0.1, dropoutP: 0.1 };
// 32 rows (a, b, c, d, e): numeric values and category codes
const table = { rows: 32, x: Float32Array.from({ length: 32 * 5 }, (_, k) => {
  const i = Math.floor(k / 5), j = k % 5;
  return [Math.sin(i), i % 3, i / 10, Math.cos(i * 0.7), i % 2][j];
}) };

describe.skipIf(!cudaStatus.model.ok)('Var-T-JEPA on CUDA vs CPU', () => {
  it('one training step and one embedding match', async () => {
    const cpu = new VarTJepa(schema, { ...options, device: 'cpu' });
    const gpu = new VarTJepa(schema, { ...options, device: 'cuda' });
    expect(gpu.device).toBe('cuda');
    expectClose(gpu.exportParameters(), cpu.exportParameters(), { atol: 0, rtol: 0 }, 'initial parameters');
    const a = await cpu.fit(table, { epochs: 1 });
    const b = await gpu.fit(table, { epochs: 1 });
    // same masks and noise; float32 GEMMs summed in another order than the CPU's
    expect(Math.abs(b.history[0].loss.total - a.history[0].loss.total)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(a.history[0].loss.total)));
    expectClose(gpu.exportParameters(), cpu.exportParameters(), { atol: 1e-5, rtol: 1e-3 }, 'parameters after one step');
    const ea = await cpu.embed(table), eb = await gpu.embed(table);
    expectClose(eb.embeddings, ea.embeddings, { atol: 1e-4, rtol: 1e-3 }, 'embeddings');
    expectClose(eb.uncertainty, ea.uncertainty, { atol: 1e-4, rtol: 1e-3 }, 'uncertainty');
    expectClose(eb.uncertaintyP90, ea.uncertaintyP90, { atol: 1e-4, rtol: 1e-3 }, 'uncertainty p90');
    cpu.dispose();
    gpu.dispose();
  });

  it('embedding with context views (and surprise) and generation match', async () => {
    const cpu = new VarTJepa(schema, { ...options, device: 'cpu' });
    const gpu = new VarTJepa(schema, { ...options, device: 'cuda' });
    await cpu.fit(table, { epochs: 2 });
    // the parameters and optimiser state travel through the host: the GPU model continues from the CPU's
    gpu.importParameters(cpu.exportParameters());
    expectClose(gpu.exportParameters(), cpu.exportParameters(), { atol: 0, rtol: 0 }, 'imported parameters');
    const opts = { views: 3, viewFraction: 0.6, viewSeed: 5 };
    const ea = await cpu.embed(table, opts), eb = await gpu.embed(table, opts);
    for (const k of ['embeddings', 'uncertainty', 'uncertaintyP90', 'surprise'] as const)
      expectClose(eb[k]!, ea[k]!, { atol: 1e-4, rtol: 1e-3 }, `views: ${k}`);
    const observed = Uint8Array.from({ length: 4 * 5 }, (_, i) => (i % 5 === 1 || i % 5 === 3 ? 0 : 1));
    const x = table.x.slice(0, 4 * 5);
    const ga = await cpu.generate({ x, rows: 4 }, observed, { draws: 3, seed: 9 });
    const gb = await gpu.generate({ x, rows: 4 }, observed, { draws: 3, seed: 9 });
    // same noise: numeric draws and class probabilities agree (sampled classes may flip at a boundary)
    expectClose(gb.probs, ga.probs, { atol: 1e-4, rtol: 1e-3 }, 'generated class probabilities');
    for (let i = 0; i < ga.values.length; i++)
      if (i % 5 === 3) expect(Math.abs(gb.values[i] - ga.values[i]), `numeric draw ${i}`).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(ga.values[i])));
    cpu.dispose();
    gpu.dispose();
  });

  it('T-JEPA: one training epoch and the embedding match', async () => {
    const cpu = new TJepa(schema, { ...options, device: 'cpu', nAux: 1 });
    const gpu = new TJepa(schema, { ...options, device: 'cuda', nAux: 1 });
    expectClose(gpu.exportParameters(), cpu.exportParameters(), { atol: 0, rtol: 0 }, 'T-JEPA initial parameters');
    const a = await cpu.fit(table, { epochs: 1 });
    const b = await gpu.fit(table, { epochs: 1 });
    expect(Math.abs(b.history[0].loss.loss - a.history[0].loss.loss)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(a.history[0].loss.loss)));
    expectClose(gpu.exportParameters(), cpu.exportParameters(), { atol: 1e-5, rtol: 1e-3 }, 'T-JEPA parameters after one epoch');
    const ea = await cpu.embed(table), eb = await gpu.embed(table);
    expectClose(eb.embeddings, ea.embeddings, { atol: 1e-4, rtol: 1e-3 }, 'T-JEPA embeddings');
    cpu.dispose();
    gpu.dispose();
  });
});
