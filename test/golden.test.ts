// The model-shell redesign kept results bit for bit: test/fixtures/golden/golden.json was recorded
// with the API of commit e860f38, before the redesign (by the script of commit 92c1f5a:
// git show 92c1f5a:test/fixtures/golden/record-e860f38.js),
// and every figure is recomputed here with today's API: both models' per-step losses and
// schedules, the probe selection, parameters, embeddings (plain and with context views),
// generate, T-JEPA's optimiser state, and the saved model file, on every CPU backend this machine
// has. The saved file differs only where the format changed on purpose (format_version 3: the
// options dp/ffp named dP/ffP, the option scheduleEpochs); its tensor bytes are identical, and
// the file of e860f38 loads. Options added since keep e860f38's behaviour here: scheduleEpochs 0
// (warm-up and ramps taken as given) and fit's smoothing 1 (each probe ranked alone).
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { info } from '../lib/info';
import { loadModel } from '../lib/model/load';
import { TJepa } from '../lib/model/tjepa';
import { VarTJepa } from '../lib/model/vartjepa';

const FIXTURE = path.join(__dirname, 'fixtures', 'golden');
const golden = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'golden.json'), 'utf8'));
const sha = (a: Float32Array) => createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
const shaBuf = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** The options of e860f38 as named since (dp, ffp -> dP, ffP), with scheduleEpochs 0 after warmup (its absolute schedule). */
const renamed = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries({ scheduleEpochs: 0, ...o }).flatMap(([k, v]) => (k === 'scheduleEpochs' && 'warmup' in o ? [] : k === 'warmup' ? [[k, v], ['scheduleEpochs', 0]] : [[k === 'dp' ? 'dP' : k === 'ffp' ? 'ffP' : k, v]])));
const E860F38_FIT = { smoothing: 1 };

// the golden table (the same generator as the recorder)
function table(rows: number, seed: number) {
  let s = seed >>> 0;
  const r = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const cards = [0, 3, 0, 4, 0, 2];
  const x = new Float32Array(rows * 6);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 6; j++) x[i * 6 + j] = cards[j] ? Math.floor(r() * cards[j]) : Math.fround(r() * 2 - 1);
    y[i] = (x[i * 6] + (x[i * 6 + 1] === 2 ? 1 : 0) > 0.3) ? 1 : 0;
  }
  return { data: { x, rows }, labels: y };
}

/** The safetensors header (JSON) and the data area of a file. */
function split(buf: Buffer) {
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')), data: buf.subarray(8 + n) };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'varjepa-golden-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const available = info().isa.available;
const runs = (golden.runs as Array<{ isa: string; varTJepa: Record<string, unknown>; tJepa: Record<string, unknown> }>).filter((r) => available.includes(r.isa));

describe('the redesign keeps results bit for bit (fixture of e860f38)', () => {
  it('covers every CPU backend here', () => {
    expect(runs.map((r) => r.isa)).toEqual(available);
  });

  describe.each(runs)('$isa', (run) => {
    const train = table(150, 11), val = table(40, 12);

    it('Var-T-JEPA: loss curve, selection, parameters, embeddings, generate and the saved file', async () => {
      const want = run.varTJepa as Record<string, any>;
      const m = new VarTJepa(golden.schema, { ...renamed(golden.varOptions), isa: run.isa as 'scalar' });
      try {
        const steps: unknown[] = [];
        const res = await m.fit(train.data, { epochs: golden.epochs, labels: train.labels, validation: { data: val.data, labels: val.labels }, probeEvery: 1, patience: 5, ...E860F38_FIT, onProgress: (p) => steps.push({ step: p.step, loss: p.loss, lr: p.lr, weights: p.weights }) });
        expect(steps).toEqual(want.steps);
        expect(res.history.map((h) => ({ epoch: h.epoch, loss: h.loss, lr: h.lr, weights: h.weights, probe: h.probe }))).toEqual(want.epochs);
        expect(res.best).toEqual(want.best);
        expect(res.stoppedEarly).toBe(want.stoppedEarly);
        expect(sha(m.exportParameters())).toBe(want.params);
        const e = await m.embed(train.data);
        expect([sha(e.embeddings), sha(e.uncertainty), sha(e.uncertaintyP90)]).toEqual([want.embeddings, want.uncertainty, want.uncertaintyP90]);
        const ev = await m.embed(train.data, { views: 3, viewFraction: 0.5, viewSeed: 5, featureUncertainty: true, latentUncertainty: true, featureSurprise: true });
        // (priorUncertainty came after e860f38)
        const views = Object.fromEntries(Object.entries(ev).filter(([k, v]) => v instanceof Float32Array && k !== 'priorUncertainty').map(([k, v]) => [k, sha(v as Float32Array)]));
        expect(views).toEqual(want.views);
        const observed = new Uint8Array(train.data.rows * 6).map((_, i) => (i % 3 === 0 ? 0 : 1));
        const g = await m.generate(train.data, observed, { draws: 2, seed: 9 });
        expect({ values: sha(g.values), probs: sha(g.probs) }).toEqual(want.generate);

        // the saved file: the tensor bytes are the same; the header differs only by the format change
        await m.save(path.join(dir, `m-${run.isa}.safetensors`));
        const now = fs.readFileSync(path.join(dir, `m-${run.isa}.safetensors`));
        if (run.isa === 'scalar') {
          const before = fs.readFileSync(path.join(FIXTURE, 'vartjepa-e860f38.safetensors'));
          expect(shaBuf(before)).toBe(want.file);
          const a = split(before), b = split(now);
          expect(b.data.equals(a.data)).toBe(true);
          const { __metadata__: metaA, ...tensorsA } = a.header;
          const { __metadata__: metaB, ...tensorsB } = b.header;
          expect(tensorsB).toEqual(tensorsA);
          const configA = JSON.parse(metaA.config);
          expect(JSON.parse(metaB.config)).toEqual({ ...configA, options: renamed(configA.options) });
          expect(Object.keys(JSON.parse(metaB.config).options)).toEqual(Object.keys(renamed(configA.options)));  // the same order
          expect({ ...metaB, config: undefined }).toEqual({ ...metaA, config: undefined, format_version: '3' });
        }
      } finally {
        m.dispose();
      }
    });

    it('T-JEPA: loss curve, selection, parameters, optimiser state and embeddings', async () => {
      const want = run.tJepa as Record<string, any>;
      const m = new TJepa(golden.schema, { ...renamed(golden.options), isa: run.isa as 'scalar' });
      try {
        const steps: unknown[] = [];
        const res = await m.fit(train.data, { epochs: golden.epochs, labels: train.labels, validation: { data: val.data, labels: val.labels }, probeEvery: 1, patience: 5, ...E860F38_FIT, onProgress: (p) => steps.push({ step: p.step, loss: p.loss, lr: p.lr, momentum: p.momentum }) });
        expect(steps).toEqual(want.steps);
        expect(res.history.map((h) => ({ epoch: h.epoch, loss: h.loss, lr: h.lr, momentum: h.momentum, probe: h.probe }))).toEqual(want.epochs);
        expect(res.best).toEqual(want.best);
        expect(res.stoppedEarly).toBe(want.stoppedEarly);
        expect(sha(m.exportParameters())).toBe(want.params);
        const st = m.exportOptimizerState();
        expect([sha(st.m), sha(st.v), st.step, st.epoch]).toEqual([want.m, want.v, want.step, want.epoch]);
        expect(sha((await m.embed(train.data)).embeddings)).toBe(want.embeddings);
      } finally {
        m.dispose();
      }
    });
  });

  it('the model file of e860f38 (format version 1) loads, with dp and ffp read as dP and ffP and its absolute schedule', async () => {
    const m = await loadModel(path.join(FIXTURE, 'vartjepa-e860f38.safetensors'));
    try {
      expect(m.kind).toBe('VarTJepa');
      expect(m.options).toMatchObject({ dP: 8, ffP: 16, scheduleEpochs: 0 });
      expect('dp' in m.options).toBe(false);
      const scalar = golden.runs.find((r: { isa: string }) => r.isa === 'scalar');
      expect(sha(m.exportParameters())).toBe(scalar.varTJepa.params);
    } finally {
      m.dispose();
    }
  });
});
