// Memory bounds: stats().activationBytes counts every buffer sized for the batch (attention grows
// with the square of the features), a model whose buffers would not fit the machine is refused
// with the batch that fits (instead of the system killing the process mid-training), and the
// recipe halves its batch to fit a memory budget. The machine's memory is mocked so the rules are
// tested the same on any machine.
import { describe, expect, it, vi } from 'vitest';

const machine = vi.hoisted(() => ({ totalmem: 0 }));
vi.mock('os', async (importOriginal) => {
  const o = await importOriginal<typeof import('os')>();
  const totalmem = () => machine.totalmem || o.totalmem();
  return { ...o, totalmem, default: { ...o, totalmem } };
});

import { BatchTooLargeError, HOST_MEMORY_SHARE } from '../lib/model/memory';
import { recipe, RECIPE_MEMORY_SHARE } from '../lib/model/recipe';
import { TJepa } from '../lib/model/tjepa';
import { VarTJepa } from '../lib/model/vartjepa';

const GiB = 2 ** 30;
const wide = { features: Array.from({ length: 200 }, (_, i) => ({ name: `p${i}`, kind: 'numeric' as const })) };
const small = { features: Array.from({ length: 6 }, (_, i) => ({ name: `n${i}`, kind: 'numeric' as const })) };
const opts = { layers: 2, heads: 2, ff: 32, batchSize: 8, seed: 1, device: 'cpu' as const };

function bytes(Kind: typeof VarTJepa | typeof TJepa, schema: typeof wide, o: object): number {
  const m = new Kind(schema, o);
  try {
    return m.stats().activationBytes;
  } finally {
    m.dispose();
  }
}

describe('activation memory', () => {
  it('counts the attention, which grows with the square of the features, linearly in the batch', () => {
    for (const Kind of [VarTJepa, TJepa]) {
      const b = [4, 8, 16].map((B) => bytes(Kind, wide, { ...opts, batchSize: B }));
      // linear up to the arenas' 16-float alignment of each buffer
      expect(Math.abs(b[2] - b[1] - 2 * (b[1] - b[0]))).toBeLessThan(1e-4 * b[2]);
      // per row at least the target encoder's attention probabilities: layers * heads * (1 + D)^2 floats
      expect((b[1] - b[0]) / 4).toBeGreaterThanOrEqual(2 * 2 * 201 * 201 * 4);
      // twice the features, more than twice the bytes per row (the square term)
      const half = { features: wide.features.slice(0, 100) };
      const h = [4, 8].map((B) => bytes(Kind, half, { ...opts, batchSize: B }));
      expect((b[1] - b[0]) / (h[1] - h[0])).toBeGreaterThan(2.2);
    }
  });

  it('refuses a model whose buffers exceed the share of the machine, naming the batch that fits', () => {
    const need = bytes(VarTJepa, wide, { ...opts, batchSize: 64 });
    machine.totalmem = Math.ceil(need / HOST_MEMORY_SHARE / 1.5); // 64 rows take 1.5x the allowed share
    try {
      let err: Error | undefined;
      try {
        new VarTJepa(wide, { ...opts, batchSize: 64 });
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeInstanceOf(RangeError);
      expect(err).toBeInstanceOf(BatchTooLargeError);
      expect([(err as BatchTooLargeError).batchSize, (err as BatchTooLargeError).fits, (err as BatchTooLargeError).features]).toEqual([64, 32, 200]);
      expect(err!.message).toMatch(/^options\.batchSize: 64 rows of 200 features need [\d.]+ GiB of activation memory, more than 75% of this machine's [\d.]+ GiB; batchSize 32 fits/);
      // the batch it names does fit
      const m = new VarTJepa(wide, { ...opts, batchSize: 32 });
      expect(m.stats().activationBytes).toBeLessThanOrEqual(HOST_MEMORY_SHARE * machine.totalmem);
      m.dispose();
      expect(() => new TJepa(wide, { ...opts, batchSize: 64 * 4 })).toThrow(/^options\.batchSize: 256 rows/);
    } finally {
      machine.totalmem = 0;
    }
  });

  it('refuses a batch the host cannot even reserve the same way (no internal error)', () => {
    // 65536 rows of 200 features: about 1.3 TB, refused by the host's allocator or by the share
    expect(() => new VarTJepa(wide, { ...opts, batchSize: 65536 })).toThrow(/^options\.batchSize: 65536 rows of 200 features need [\d.]+ GiB of activation memory, more than 75% of this machine's [\d.]+ GiB; batchSize \d+ fits/);
  });

  it("halves the recipe's batch until the buffers fit the budget, and says so", () => {
    machine.totalmem = 4096 * GiB; // the row's batch fits
    const r = recipe(wide, 100000);
    machine.totalmem = 0;
    expect(r.options.batchSize).toBe(256);
    const B = r.options.batchSize;
    const at = (b: number) => bytes(VarTJepa, wide, { ...r.options, batchSize: b, device: 'cpu' });
    // a budget between the buffers of B/4 and B/2 rows: the recipe takes B/4
    const budget = (at(B / 4) + at(B / 2)) / 2;
    const fitted = recipe(wide, 100000, { memoryBytes: budget });
    expect(fitted.options.batchSize).toBe(B / 4);
    expect(fitted.why).toMatch(new RegExp(`; batch ${B / 4} \\(${B} rows would need [\\d.]+ GiB of activation memory, more than the [\\d.]+ GiB allowed\\)$`));
    // the default budget: a quarter of the machine
    machine.totalmem = Math.ceil(budget / RECIPE_MEMORY_SHARE);
    try {
      expect(recipe(wide, 100000).options.batchSize).toBe(B / 4);
    } finally {
      machine.totalmem = 0;
    }
    // a narrow table keeps its batch
    expect(recipe(small, 100000, { memoryBytes: 64 * GiB }).options.batchSize).toBe(recipe(small, 100000).options.batchSize);
    expect(() => recipe(wide, 1000, { memoryBytes: -1 })).toThrow('Expected a positive number of bytes for settings.memoryBytes but received -1 (number)');
    expect(() => recipe(wide, 1000, { memoryBytes: '1GB' as unknown as number })).toThrow(TypeError);
  });
});
