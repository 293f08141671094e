// The downstream probes: the native MLP probe and the linear probe through the shared Probe API.
// On a separable synthetic table both reach high accuracy, on shuffled labels chance; the MLP
// probe is seeded and bit-reproducible on any thread count; early stopping stops and keeps the
// best epoch; bad inputs give errors naming the argument. Also the raw-feature baseline.
import { describe, expect, it } from 'vitest';

import { LinearProbe } from '../lib/eval/linear-probe';
import { accuracy } from '../lib/eval/metrics-classification';
import { MlpProbe } from '../lib/eval/mlp-probe';
import { rawFeatures } from '../lib/eval/raw-features';
import { Rng } from '../lib/model/random';
import { native } from '../lib/native';

// K Gaussian clusters in F dimensions, centres 3 apart on each axis, unit noise: separable to
// about 99% by a linear rule
function clusters(rows: number, seed: number, F = 6, K = 3) {
  const r = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(r.next(), 1e-12))) * Math.cos(2 * Math.PI * r.next());
  const centres = Array.from({ length: K }, (_, k) => Array.from({ length: F }, (_, j) => ((k + j) % K) * 3));
  const x = new Float32Array(rows * F);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = i % K;
    for (let j = 0; j < F; j++) x[i * F + j] = centres[y[i]][j] + gauss() + 10; // offset: standardisation matters
  }
  return { x, y, F, K };
}

const train = clusters(600, 1);
const val = clusters(150, 2);
const test = clusters(300, 3);
const shuffled = (y: Int32Array, seed: number) => new Rng(seed).shuffle(Int32Array.from(y));

describe('MlpProbe', () => {
  it('reaches high accuracy on a separable table and chance on shuffled labels', async () => {
    const p = new MlpProbe({ seed: 1 });
    const r = await p.fit(train.x, train.y, { validation: { x: val.x, y: val.y } });
    expect(accuracy(await p.predict(test.x), test.y)).toBeGreaterThan(0.95);
    expect(r.validationAccuracy).toBeGreaterThan(0.95);
    const probs = await p.predictProba(test.x);
    expect(probs.length).toBe(300 * 3);
    for (let i = 0; i < 300; i++) expect(probs[3 * i] + probs[3 * i + 1] + probs[3 * i + 2]).toBeCloseTo(1, 5);
    const q = new MlpProbe({ seed: 1 });
    await q.fit(train.x, shuffled(train.y, 5), { validation: { x: val.x, y: shuffled(val.y, 6) } });
    const chance = accuracy(await q.predict(test.x), shuffled(test.y, 7));
    expect(chance).toBeGreaterThan(0.2);
    expect(chance).toBeLessThan(0.46);
    p.dispose();
    q.dispose();
  });

  it('is deterministic for a seed, on 1 and 2 threads, and differs across seeds', async () => {
    const bind = native().binding;
    const run = async (seed: number, threads: number) => {
      bind.setThreads(threads);
      const p = new MlpProbe({ seed, epochs: 4 });
      const r = await p.fit(train.x, train.y);
      const out = { params: p.exportParams(), probs: await p.predictProba(test.x), loss: r.history.loss };
      p.dispose();
      return out;
    };
    try {
      const a = await run(7, 2), b = await run(7, 1), c = await run(8, 2);
      expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
      expect(Buffer.from(a.probs.buffer).equals(Buffer.from(b.probs.buffer))).toBe(true);
      expect(a.loss).toEqual(b.loss);
      expect(Buffer.from(a.params.buffer).equals(Buffer.from(c.params.buffer))).toBe(false);
      // the seed passed to fit overrides options.seed
      const p = new MlpProbe({ seed: 0, epochs: 4 });
      await p.fit(train.x, train.y, { seed: 7 });
      expect(Buffer.from(p.exportParams().buffer).equals(Buffer.from(a.params.buffer))).toBe(true);
      p.dispose();
    } finally {
      bind.setThreads(2);
    }
  });

  it('early stopping stops after `patience` epochs without improvement and keeps the best epoch', async () => {
    // a noisy table (labels 25% flipped) so validation accuracy peaks and wanders
    const noisy = clusters(400, 11, 6, 3);
    const flip = new Rng(3);
    for (let i = 0; i < noisy.y.length; i++) if (flip.next() < 0.25) noisy.y[i] = (noisy.y[i] + 1) % 3;
    const v = clusters(100, 12, 6, 3);
    const p = new MlpProbe({ seed: 2, patience: 3, lr: 3e-3 });
    const r = await p.fit(noisy.x, noisy.y, { validation: { x: v.x, y: v.y } });
    const h = r.history.validationAccuracy;
    expect(r.stoppedEarly).toBe(true);
    expect(r.epochs).toBeLessThan(50);
    expect(r.epochs).toBe(r.bestEpoch + 3);
    expect(h.length).toBe(r.epochs);
    expect(r.history.loss.length).toBe(r.epochs);
    // best = the first epoch reaching the maximum
    expect(r.validationAccuracy).toBe(Math.max(...h));
    expect(h.indexOf(r.validationAccuracy!) + 1).toBe(r.bestEpoch);
    expect(accuracy(await p.predict(v.x), v.y)).toBe(r.validationAccuracy);
    // the kept parameters are exactly those after bestEpoch epochs of the same run
    const q = new MlpProbe({ seed: 2, patience: 3, lr: 3e-3, epochs: r.bestEpoch });
    const rq = await q.fit(noisy.x, noisy.y);
    expect(rq.epochs).toBe(r.bestEpoch);
    expect(rq.stoppedEarly).toBe(false);
    expect(Buffer.from(q.exportParams().buffer).equals(Buffer.from(p.exportParams().buffer))).toBe(true);
    p.dispose();
    q.dispose();
  });

  it('aborts through an AbortSignal', async () => {
    const p = new MlpProbe({ epochs: 100000, patience: 0 });
    const ac = new AbortController();
    const run = p.fit(train.x, train.y, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop now')), 20);
    await expect(run).rejects.toThrow('stop now');
    p.dispose();
  });

  it('validates options and inputs, naming the argument', async () => {
    expect(() => new MlpProbe({ hidden: [128, 0] })).toThrow('Expected an integer between 1 and 65536 for options.hidden[1] but received 0 (number)');
    expect(() => new MlpProbe({ dropout: 1 })).toThrow('Expected a number between 0 and 0.99 for options.dropout but received 1 (number)');
    expect(() => new MlpProbe({ epochs: 0 })).toThrow(/for options.epochs but received 0/);
    expect(() => new MlpProbe({ patience: -1 })).toThrow(/for options.patience/);
    expect(() => new MlpProbe({ isa: 'neon' as never })).toThrow(/one of 'auto', 'scalar', 'avx2', 'avx512' for options.isa/);
    expect(() => new MlpProbe({ hiden: [1] } as never)).toThrow(/Unknown option options.hiden/);
    const p = new MlpProbe({ epochs: 1 });
    await expect(p.predict(test.x)).rejects.toThrow(/not fitted/);
    await expect(p.fit([1, 2] as unknown as Float32Array, Int32Array.of(0, 1))).rejects.toThrow(/a Float32Array .* for x but received Array/);
    await expect(p.fit(train.x, [0, 1] as unknown as Int32Array)).rejects.toThrow(/an Int32Array of class indices for y/);
    await expect(p.fit(new Float32Array(7), Int32Array.of(0, 1))).rejects.toThrow(/Expected x to hold y.length \(2\) rows/);
    await expect(p.fit(new Float32Array(4), Int32Array.of(0, -1))).rejects.toThrow('Expected class indices >= 0 in y but received -1 at index 1');
    await expect(p.fit(new Float32Array(4), Int32Array.of(0, 2), { classes: 2 })).rejects.toThrow('Expected labels below options.classes (2) but received 2');
    await expect(p.fit(new Float32Array(4), Int32Array.of(0, 1), { validation: { x: new Float32Array(3), y: Int32Array.of(0) } })).rejects.toThrow(
      'Expected options.validation.x to have 2 columns like x but it has 3',
    );
    await expect(p.fit(Float32Array.of(0, NaN, 1, 1), Int32Array.of(0, 1))).rejects.toThrow(/finite values in x but row 0, column 1/);
    await p.fit(train.x, train.y);
    await expect(p.predict(new Float32Array(7))).rejects.toThrow('Expected x to hold rows of 6 features but received 7 values');
    p.dispose();
    await expect(p.predict(test.x)).rejects.toThrow(/disposed/);
  });

  it('the native class checks its arguments when called directly', () => {
    const Ctor = native().binding.MlpProbeNative as new (c: object) => { fit(...a: unknown[]): Promise<unknown>; dispose(): void };
    const cfg = { features: 2, classes: 2, hidden: Int32Array.of(4), dropout: 0, lr: 1e-3, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, batchSize: 4, standardize: true, seed: 0 };
    expect(() => new Ctor({ ...cfg, classes: 1 })).toThrow(/config.classes/);
    expect(() => new Ctor({ ...cfg, hidden: Int32Array.of(0) })).toThrow(/config.hidden/);
    expect(() => new Ctor({ ...cfg, lr: NaN })).toThrow(/config.lr/);
    const p = new Ctor(cfg);
    const epochs = { epochs: 1, patience: 0 };
    expect(() => p.fit({ x: new Float32Array(3), y: Int32Array.of(0, 1) }, null, epochs)).toThrow('Expected a Float32Array of length 4 for data.x but received length 3');
    expect(() => p.fit({ x: new Float32Array(4), y: new Float32Array(2) }, null, epochs)).toThrow('Expected an Int32Array for data.y but received Float32Array of length 2');
    expect(() => p.fit({ x: new Float32Array(4), y: Int32Array.of(0, 1) }, { x: new Float32Array(1), y: Int32Array.of(0) }, epochs)).toThrow('Expected a Float32Array of length 2 for validation.x but received length 1');
    expect(() => p.fit({ x: new Float32Array(4), y: Int32Array.of(0, 1) }, null, { epochs: 0, patience: 0 })).toThrow('Expected an integer between 1 and 1000000 for options.epochs but received 0 (number)');
    expect(() => p.fit(new Float32Array(4), null, epochs)).toThrow('Expected an object for data but received Float32Array of length 4');
    p.dispose();
  });
});

describe('LinearProbe through the Probe API', () => {
  it('reaches high accuracy on a separable table and chance on shuffled labels', async () => {
    const p = new LinearProbe();
    const r = await p.fit(train.x, train.y, { validation: { x: val.x, y: val.y } });
    expect(p.features).toBe(6);
    expect(p.classes).toBe(3);
    expect(r.validationAccuracy).toBeGreaterThan(0.95);
    expect(r.history.loss[r.history.loss.length - 1]).toBeLessThan(r.history.loss[0]);
    expect(accuracy(p.predict(test.x), test.y)).toBeGreaterThan(0.95);
    const q = new LinearProbe();
    await q.fit(train.x, shuffled(train.y, 5));
    const chance = accuracy(q.predict(test.x), shuffled(test.y, 7));
    expect(chance).toBeGreaterThan(0.2);
    expect(chance).toBeLessThan(0.46);
    // the synchronous form gives the same probe
    const s = LinearProbe.fit(train.x, 600, train.y, 3);
    expect(s.predictProba(test.x, 300)).toEqual(p.predictProba(test.x));
  });

  it('keeps the iterate with the lowest training loss when Adam leaves the minimum', async () => {
    // lr 10 on shuffled labels: full-batch Adam overshoots and the loss ends far above its minimum
    const y = shuffled(train.y, 9);
    const p = new LinearProbe({ lr: 10, iterations: 60 });
    const r = await p.fit(train.x, y);
    const loss = r.history.loss;
    const best = Math.min(...loss);
    expect(loss[loss.length - 1]).toBeGreaterThan(best + 0.1); // the run does overshoot
    const prob = p.predictProba(train.x);
    let ce = 0;
    for (let i = 0; i < y.length; i++) ce -= Math.log(prob[i * 3 + y[i]]);
    expect(ce / y.length).toBeCloseTo(best, 4);
  });

  it('names the argument on bad input', async () => {
    expect(() => new LinearProbe({ iterations: 0 })).toThrow(/for options.iterations but received 0/);
    const p = new LinearProbe();
    expect(() => p.predict(test.x)).toThrow(/not fitted/);
    await expect(p.fit(train.x, new Int32Array(7))).rejects.toThrow(/Expected x to hold y.length \(7\) rows/);
    await expect(p.fit(train.x, train.y, { classes: 1 })).rejects.toThrow(/for options.classes but received 1/);
  });
});

describe('rawFeatures', () => {
  it('copies numeric columns and one-hot encodes categorical codes (code 0 included)', () => {
    const schema = {
      features: [
        { name: 'age', kind: 'numeric' as const },
        { name: 'job', kind: 'categorical' as const, categories: ['<unseen or missing>', 'a', 'b'] },
        { name: 'n', kind: 'numeric' as const },
      ],
    };
    const m = rawFeatures({ x: Float32Array.of(0.5, 2, 0.25, 1, 0, 0), rows: 2 }, schema);
    expect(m.dim).toBe(5);
    expect(m.columns).toEqual(['age', 'job=<unseen or missing>', 'job=a', 'job=b', 'n']);
    expect(Array.from(m.x)).toEqual([0.5, 0, 0, 1, 0.25, 1, 1, 0, 0, 0]);
    expect(() => rawFeatures({ x: Float32Array.of(0.5, 3, 0.25), rows: 1 }, schema)).toThrow(/job|feature 1|category/);
  });
});
