// The recipe for a table no one tuned for, and fit's run-length rules: the schedule compressed to
// the run (scheduleEpochs), the time budget (maxSeconds), online selection outside warm-up and the
// ramps with a smoothed score and a patience that fits the run, the best parameters kept on abort,
// stopReason, and the diagnostics that warn about degenerate embeddings and uncertainties.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LinearProbe } from '../lib/eval/linear-probe';
import { readModelFile } from '../lib/model/persist';
import { preset, tjepaPreset, TJEPA_DEFAULTS, VARTJEPA_DEFAULTS } from '../lib/model/options';
import { recipe, RECIPE_TABLES } from '../lib/model/recipe';
import { scheduleScale } from '../lib/model/schedule';
import { TJepa } from '../lib/model/tjepa';
import { VarTJepa } from '../lib/model/vartjepa';
import { TINY_OPTIONS, TINY_SCHEMA, TINY_T_OPTIONS, tinyData } from './helpers/tiny-model';

const data = tinyData(30, 11); // batch 6: 5 steps an epoch
const labels = Int32Array.from({ length: 30 }, (_, i) => (data.x[i * 5] > 0.5 ? 1 : 0));
const val = { data: tinyData(12, 5), labels: Int32Array.from({ length: 12 }, (_, i) => i % 2) };
const schemaOf = (numeric: number, categorical: number) => ({
  features: [
    ...Array.from({ length: numeric }, (_, i) => ({ name: `n${i}`, kind: 'numeric' as const })),
    ...Array.from({ length: categorical }, (_, i) => ({ name: `c${i}`, kind: 'categorical' as const, categories: 3 })),
  ],
});

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'varjepa-recipe-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the recipe', () => {
  it("gives each of the paper's real tables its own Table 7 row, and wide tables the MNIST row", () => {
    for (const [name, t] of Object.entries(RECIPE_TABLES)) {
      const numeric = Math.round(t.features * t.numericShare);
      expect(recipe(schemaOf(numeric, t.features - numeric), 30000).preset).toBe(name);
    }
    expect(recipe(schemaOf(784, 0), 7000).preset).toBe('mnist');
    expect(recipe(schemaOf(300, 20), 7000).preset).toBe('mnist');
  });

  it('keeps the row, with a batch the rows fill and the reasoning in a sentence', () => {
    const r = recipe(schemaOf(6, 8), 30000);
    expect(r.options).toEqual(preset('adult'));
    expect(r.why).toBe("14 features, 43% numeric: nearest in shape to the paper's adult table (14 features, 43% numeric)");
    const small = recipe(schemaOf(6, 8), 2000);
    expect(small.options.batchSize).toBe(64);  // 2,000 / 20 = 100 -> 64: at least 20 steps an epoch
    expect(small.why).toMatch(/; batch 64 \(the row's 512 would leave fewer than 20 steps an epoch on 2000 rows\)$/);
    expect(recipe(schemaOf(6, 8), 100).options.batchSize).toBe(32);
    expect(() => recipe(schemaOf(6, 8), 0)).toThrow('Expected an integer between 1 and 2147483647 for rows but received 0 (number)');
  });

  it('configures T-JEPA too: a Var-T-JEPA preset or recipe is accepted, its own options checked and left out', () => {
    const t = new TJepa(TINY_SCHEMA, { ...preset('covertype'), ...TINY_T_OPTIONS });
    expect(t.options).toEqual({ ...tjepaPreset('covertype'), ...TINY_T_OPTIONS });
    expect('pool' in t.options).toBe(false);
    t.dispose();
    expect(() => new TJepa(TINY_SCHEMA, { ...TINY_T_OPTIONS, aSx: -1 } as never)).toThrow('Expected a number between 0 and 1000000 for options.aSx but received -1 (number)');
    expect(() => new TJepa(TINY_SCHEMA, { ...TINY_T_OPTIONS, hidden: 1 } as never)).toThrow(/^Unknown option options.hidden; known options: d, /);
  });
});

describe('the schedule follows the run', () => {
  it('compresses warm-up and the KL ramps for a run shorter than scheduleEpochs, and only then', () => {
    expect(VARTJEPA_DEFAULTS.scheduleEpochs).toBe(100);
    expect(TJEPA_DEFAULTS.scheduleEpochs).toBe(100);
    expect([scheduleScale(20, 100), scheduleScale(100, 100), scheduleScale(300, 100), scheduleScale(5, 0)]).toEqual([0.2, 1, 1, 1]);
    const m = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, warmup: 10, annealSx: 20, aSx: 1, lr: 1 });
    // 20 epochs of 10 steps: warm-up 2 epochs (20 steps), KL_sx ramp 4 epochs (40 steps)
    expect(m.scheduleAt(10, 10, 200).lr).toBeCloseTo(0.5, 12);
    expect(m.scheduleAt(20, 10, 200).aSx).toBeCloseTo(0.5, 12);
    expect(m.rampEpochs(20)).toBe(4);
    // 100 epochs: the schedule as given
    expect(m.scheduleAt(50, 10, 1000).lr).toBeCloseTo(0.5, 12);
    expect(m.rampEpochs(100)).toBe(20);
    m.dispose();
    const fixed = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, warmup: 10, lr: 1, scheduleEpochs: 0 });
    expect(fixed.scheduleAt(50, 10, 200).lr).toBeCloseTo(0.5, 12);
    fixed.dispose();
    const t = new TJepa(TINY_SCHEMA, { ...TINY_T_OPTIONS, warmup: 10, lr: 1 });
    expect(t.scheduleAt(10, 10, 200).lr).toBeCloseTo(0.5, 12);
    expect(t.rampEpochs(20)).toBe(2);
    t.dispose();
  });

  it('fits the run to a time budget after the first epoch, and stops within it', async () => {
    const m = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      const seen: number[] = [];
      const r = await m.fit(data, { epochs: 1e6, maxSeconds: 1, onProgress: (p) => seen.push(p.epochs) });
      expect(r.epochs).toBeLessThan(1e6);
      expect(r.stopReason).toBe('budget');
      expect(r.stoppedEarly).toBe(true);
      expect(seen[0]).toBe(1e6);  // the first epoch ran with the planned length
      expect(seen[seen.length - 1]).toBeLessThan(1e6);  // then the schedule ends with the budget
      expect(r.history.reduce((s, e) => s + e.seconds, 0)).toBeLessThan(3);
      // a budget that holds the run: it runs its epochs
      const whole = await m.fit(data, { epochs: 2, maxSeconds: 1000 });
      expect([whole.epochs, whole.stopReason, whole.stoppedEarly]).toEqual([2, 'epochs', false]);
      await expect(m.fit(data, { maxSeconds: 0 })).rejects.toThrow('Expected a number between 1 and 1000000000 for options.maxSeconds but received 0 (number)');
    } finally {
      m.dispose();
    }
  });
});

describe('online selection', () => {
  it("chooses the cadence and patience from the run's length, and never selects inside the ramps", async () => {
    const m = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, warmup: 30, annealSx: 40, annealZ: 40, annealSy: 40, scheduleEpochs: 100 });
    try {
      // a 20-epoch run: probes every 2 epochs, ramps over the first 8 (40 * 20 / 100)
      const r = await m.fit(data, { epochs: 20, labels, validation: val, patience: 100, diagnostics: false });
      expect(r.history.filter((e) => e.probe).map((e) => e.epoch)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
      expect(r.best!.epoch).toBeGreaterThanOrEqual(8);
      expect(r.stopReason).toBe('epochs');
      expect(r.stoppedEarly).toBe(false);
    } finally {
      m.dispose();
    }
  });

  it('ranks by the mean of the last `smoothing` eligible probes', async () => {
    const runs = [];
    for (const smoothing of [1, 3]) {
      const m = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, warmup: 0, annealSx: 0, annealZ: 0, annealSy: 0 });
      const r = await m.fit(data, { epochs: 8, labels, validation: val, probeEvery: 1, patience: 100, smoothing, diagnostics: false });
      m.dispose();
      const scores = r.history.map((e) => e.probe!.selectiveAccuracy!);
      runs.push({ r, scores });
    }
    const [one, three] = runs;
    expect(one.scores).toEqual(three.scores);  // the same run, ranked two ways
    const argmax = (a: number[]) => a.indexOf(Math.max(...a)) + 1;
    expect(one.r.best!.epoch).toBe(argmax(one.scores));
    const smoothed = three.scores.map((_, i) => three.scores.slice(Math.max(0, i - 2), i + 1).reduce((s, v, _j, w) => s + v / w.length, 0));
    expect(three.r.best!.epoch).toBe(argmax(smoothed));
  });

  it('stoppedEarly only when epochs were left: patience running out at the last epoch is a full run', async () => {
    const m = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, warmup: 0, annealSx: 0, annealZ: 0, annealSy: 0 });
    try {
      const r = await m.fit(data, { epochs: 3, labels, validation: { data, labels: new Int32Array(30).fill(1).map((v, i) => (i < 3 ? 0 : v)) }, probeEvery: 1, patience: 2, smoothing: 1, diagnostics: false });
      if (r.epochs === 3) {
        expect(r.stoppedEarly).toBe(false);
        expect(r.stopReason).toBe('epochs');
      } else {
        expect(r.stoppedEarly).toBe(true);
        expect(r.stopReason).toBe('patience');
      }
    } finally {
      m.dispose();
    }
  });

  it('an abort keeps the best probe\'s parameters; its checkpoint keeps the last step\'s (exact resume)', async () => {
    const ck = path.join(dir, 'abort.ckpt.safetensors');
    const straight = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, warmup: 0, annealSx: 0, annealZ: 0, annealSy: 0 });
    const ac = new AbortController();
    let paramsAtBest: Float32Array | null = null;
    let bestEpoch = 0;
    let best = 0;
    await expect(
      straight.fit(data, {
        epochs: 6, labels, validation: val, probeEvery: 1, patience: 100, smoothing: 1, signal: ac.signal, checkpoint: { path: ck, every: 100 },
        onEpoch: (e) => {
          // track the best probe as selection does (strictly better), abort after epoch 4
          if (e.probe && (bestEpoch === 0 || e.probe.selectiveAccuracy! > best)) {
            best = e.probe.selectiveAccuracy!;
            bestEpoch = e.epoch;
            paramsAtBest = straight.exportParameters();
          }
          if (e.epoch === 4) ac.abort();
        },
      }),
    ).rejects.toThrow(/aborted/);
    expect(Buffer.from(straight.exportParameters().buffer).equals(Buffer.from(paramsAtBest!.buffer))).toBe(true);
    const f = await readModelFile(ck);
    expect(f.training).toMatchObject({ step: 20, epoch: 4 });
    const atAbort = await VarTJepa.load(ck);
    expect(atAbort.step).toBe(20);
    if (bestEpoch !== 4) expect(Buffer.from(atAbort.exportParameters().buffer).equals(Buffer.from(paramsAtBest!.buffer))).toBe(false);
    atAbort.dispose();
    straight.dispose();
  });
});

describe('diagnostics', () => {
  it('reports the spread of the embeddings and of the uncertainty, with no warning when both vary', async () => {
    const m = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      const r = await m.fit(data, { epochs: 2 });
      expect(r.diagnostics!.rows).toBe(30);
      expect(r.diagnostics!.embeddingSpread).toBeGreaterThan(0.01);
      expect(r.diagnostics!.uncertaintyCV).toBeGreaterThan(0);
      expect(Array.isArray(r.diagnostics!.warnings)).toBe(true);
      expect((await m.fit(data, { epochs: 1, diagnostics: false })).diagnostics).toBeUndefined();
    } finally {
      m.dispose();
    }
  });

  it('warns in plain words when the embeddings collapse or the uncertainty is the same for every row', async () => {
    // every parameter 0 and no learning: every row embeds alike, with the same uncertainty
    const z = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, lr: 0 });
    try {
      z.importParameters(new Float32Array(z.exportParameters().length));
      const r = await z.fit(data, { epochs: 1 });
      expect(r.diagnostics!.embeddingSpread).toBeLessThan(0.01);
      expect(r.diagnostics!.uncertaintyCV).toBeLessThan(0.01);
      expect(r.diagnostics!.warnings).toHaveLength(2);
      expect(r.diagnostics!.warnings[0]).toMatch(/^The embeddings hardly differ between rows \(spread .*\): they are close to collapse/);
      expect(r.diagnostics!.warnings[1]).toMatch(/^The uncertainty is nearly the same for every row \(coefficient of variation .*%, below 1%\): ranking rows by it ranks noise\. Try more epochs, or rank rows by the surprise/);
    } finally {
      z.dispose();
    }
  });

  it('T-JEPA reports the spread alone', async () => {
    const t = new TJepa(TINY_SCHEMA, TINY_T_OPTIONS);
    try {
      const r = await t.fit(data, { epochs: 1 });
      expect(r.diagnostics!.uncertaintyCV).toBeUndefined();
      expect(r.diagnostics!.embeddingSpread).toBeGreaterThan(0);
    } finally {
      t.dispose();
    }
  });
});

describe('LinearProbe seeds', () => {
  it('seed 0 is the zero start (the same every time); other seeds start from small random weights', async () => {
    const x = Float32Array.from({ length: 200 * 3 }, (_, i) => Math.sin(i * 1.7));
    const y = Int32Array.from({ length: 200 }, (_, i) => (x[i * 3] + x[i * 3 + 1] > 0 ? 1 : 0));
    const probe = async (seed?: number) => {
      const p = new LinearProbe({ iterations: 20 });
      await p.fit(x, y, seed === undefined ? {} : { seed });
      return p.predictProba(x);
    };
    const a = await probe(), b = await probe(0), c = await probe(3), d = await probe(3), e = await probe(4);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c)).toEqual(Array.from(d));
    expect(Array.from(c)).not.toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(e));
  });
});
