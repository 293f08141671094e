import { describe, expect, it } from 'vitest';

import { maskBounds, sampleMasks } from '../lib/model/masks';
import { Rng } from '../lib/model/random';
import { klWeight, learningRate } from '../lib/model/schedule';

describe('masks', () => {
  const cfg = { features: 14, ctxMin: 0.1, ctxMax: 0.3, trgMin: 0.1, trgMax: 0.6, masks: 4 };

  it('draws sizes in range, contexts without repeats, targets outside the context', () => {
    const { maxCtx, maxTrg } = maskBounds(cfg);
    expect([maxCtx, maxTrg]).toEqual([4, 8]);
    const rng = new Rng(5);
    const seen = new Set<number>();
    const bad: string[] = [];
    for (let step = 0; step < 200; step++) {
      const m = sampleMasks(cfg, 7, rng);
      if (m.ctxSize < 1 || m.ctxSize > maxCtx || m.trgSize < 1 || m.ctxSize + m.trgSize > 14) bad.push(`sizes ${m.ctxSize}, ${m.trgSize}`);
      seen.add(m.ctxSize);
      for (let b = 0; b < 7; b++) {
        const ctx = Array.from(m.ctx.subarray(b * m.ctxSize, (b + 1) * m.ctxSize));
        if (new Set(ctx).size !== ctx.length) bad.push(`repeat in context ${ctx}`);
        for (let k = 0; k < 4; k++) {
          const t = Array.from(m.trg.subarray((k * 7 + b) * m.trgSize, (k * 7 + b + 1) * m.trgSize));
          if (new Set(t).size !== t.length) bad.push(`repeat in target ${t}`);
          if (t.some((j) => ctx.includes(j))) bad.push(`target ${t} overlaps context ${ctx}`);
        }
      }
    }
    expect(bad).toEqual([]);
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });

  it('is reproducible from the seed', () => {
    const a = sampleMasks(cfg, 5, new Rng(9));
    const b = sampleMasks(cfg, 5, new Rng(9));
    expect(a).toEqual(b);
  });
});

describe('schedules', () => {
  it('warms up linearly then decays by cosine to 0', () => {
    expect(learningRate(0, 1e-3, 10, 100)).toBe(0);
    expect(learningRate(5, 1e-3, 10, 100)).toBeCloseTo(5e-4, 12);
    expect(learningRate(10, 1e-3, 10, 100)).toBeCloseTo(1e-3, 12);
    expect(learningRate(55, 1e-3, 10, 100)).toBeCloseTo(5e-4, 12);
    expect(learningRate(100, 1e-3, 10, 100)).toBeCloseTo(0, 12);
  });
  it('ramps KL weights linearly from 0', () => {
    expect(klWeight(0, 1e-4, 150)).toBe(0);
    expect(klWeight(75, 1e-4, 150)).toBeCloseTo(5e-5, 15);
    expect(klWeight(300, 1e-4, 150)).toBe(1e-4);
    expect(klWeight(3, 1e-4, 0)).toBe(1e-4);
  });
});
