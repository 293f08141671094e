// One object from file to answer: a model built from its preprocessor carries it, saves it and
// loads it back; fit and embed take tables as they arrive (row objects, column objects, Arrow, a
// CSV path) and give what the encoded path gives, bit for bit; pooled embeddings; unseen
// categories counted or refused.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tableFromArrays } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';

import { fitPreprocessor } from '../lib/data/preprocess';
import { prepareTable, type PreparedData } from '../lib/data/split';
import { DataError } from '../lib/data/types';
import { loadModel } from '../lib/model/load';
import { TJepa } from '../lib/model/tjepa';
import { VarTJepa } from '../lib/model/vartjepa';

const small = { d: 8, heads: 2, dP: 8, headsP: 2, layers: 1, layersP: 1, ff: 16, ffP: 16, batchSize: 32, seed: 3 };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-one-object-'));
const jobs = ['admin.', 'technician', 'services', 'retired'];

/** A small mixed table as row objects, the way a request brings them. */
function rows(n: number, seed = 1): Array<Record<string, unknown>> {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, () => {
    const age = Math.round(18 + 60 * r());
    const job = jobs[Math.floor(r() * jobs.length)];
    return { age, job, balance: Math.round(5000 * r() - 500), y: (age > 50) === (job !== 'retired') ? 'yes' : 'no' };
  });
}

let data: PreparedData;
let trained: VarTJepa;
const file = path.join(dir, 'bank.safetensors');

beforeAll(async () => {
  data = prepareTable(rows(300), { target: 'y', seed: 0 });
  trained = new VarTJepa(data.preprocessor, small);
  await trained.fit(data.train, { epochs: 2 });
  await trained.save(file);
});

describe('a model that carries its preprocessor', () => {
  it('is built from the preprocessor, saves it, and loads it back without being told', async () => {
    expect(trained.preprocessor).toBe(data.preprocessor);
    const loaded = await VarTJepa.load(file);
    expect(loaded.preprocessor?.toJSON()).toEqual(data.preprocessor.toJSON());
    const either = await loadModel(file);
    expect(either.preprocessor?.toJSON()).toEqual(data.preprocessor.toJSON());
    loaded.dispose();
    either.dispose();
  });

  it('embeds row objects, column objects, Arrow tables and CSV paths as the encoded rows, bit for bit', async () => {
    const model = await VarTJepa.load(file);
    const request = rows(5, 9).map(({ y, ...features }) => (void y, features));  // no target in a request
    const encoded = data.preprocessor.transform(request);
    const want = await model.embed({ x: encoded.x, rows: encoded.rows });
    const fromRows = await model.embed(request);
    expect(fromRows.embeddings).toEqual(want.embeddings);
    expect(fromRows.uncertainty).toEqual(want.uncertainty);
    const columns = { age: request.map((r) => r.age), job: request.map((r) => r.job), balance: request.map((r) => r.balance) };
    expect((await model.embed(columns)).embeddings).toEqual(want.embeddings);
    const arrow = tableFromArrays({ age: Float64Array.from(columns.age as number[]), job: columns.job as string[], balance: Float64Array.from(columns.balance as number[]) });
    expect((await model.embed(arrow)).embeddings).toEqual(want.embeddings);
    const csv = path.join(dir, 'request.csv');
    fs.writeFileSync(csv, ['age;job;balance', ...request.map((r) => `${r.age};${r.job};${r.balance}`)].join('\n') + '\n');
    expect((await model.embed(csv)).embeddings).toEqual(want.embeddings);  // the delimiter is detected
    expect(fromRows.unseen).toBeUndefined();
    model.dispose();
  });

  it('fits on a table as it comes, as on the encoded rows, bit for bit', async () => {
    const a = new VarTJepa(data.preprocessor, small);
    const b = new VarTJepa(data.preprocessor, small);
    const trainRows = Array.from(data.split.train, (i) => rows(300)[i]);
    await a.fit(data.train, { epochs: 1 });
    await b.fit(trainRows, { epochs: 1 });
    expect(b.exportParameters()).toEqual(a.exportParameters());
    a.dispose();
    b.dispose();
  });

  it('pools to the mean over features: d values a row instead of D * d', async () => {
    const request = rows(4, 5);
    const full = await trained.embed(request);
    const mean = await trained.embed(request, { pool: 'mean' });
    const D = trained.features, d = small.d;
    expect(full.dim).toBe(D * d);
    expect(mean.dim).toBe(d);
    expect(mean.embeddings.length).toBe(4 * d);
    for (let c = 0; c < d; c++) {
      let sum = 0;
      for (let j = 0; j < D; j++) sum += full.embeddings[2 * D * d + j * d + c];
      expect(mean.embeddings[2 * d + c]).toBeCloseTo(sum / D, 6);
    }
    expect(mean.uncertainty).toEqual(full.uncertainty);
    await expect(trained.embed(request, { pool: 'max' as never })).rejects.toThrow("Expected 'features', 'mean', 'context' for options.pool but received 'max' (string)");
    // the pooled context summary: pool (4) x d values, the same with or without other outputs
    const ctx = await trained.embed(request, { pool: 'context' });
    expect(ctx.dim).toBe(4 * d);
    expect(ctx.embeddings.length).toBe(4 * 4 * d);
    expect(ctx.embeddings.some((v) => v !== 0)).toBe(true);
    expect((await trained.embed(request, { pool: 'context', featureUncertainty: true })).embeddings).toEqual(ctx.embeddings);
    const viewed = await trained.embed(request, { pool: 'context', views: 3 });
    expect(viewed.embeddings).not.toEqual(ctx.embeddings);
    const t = new TJepa(data.preprocessor, small);
    const tm = await t.embed(request, { pool: 'mean' });
    expect(tm.dim).toBe(d);
    await expect(t.embed(request, { pool: 'context' })).rejects.toThrow("pool 'context' is Var-T-JEPA's pooled context summary; a TJepa has none");
    t.dispose();
  });

  it('counts categories the training rows did not have, or refuses them', async () => {
    const request = [{ age: 40, job: 'astronaut', balance: 10 }, { age: 41, job: 'admin.', balance: 5 }, { age: 30, job: 'astronaut', balance: 1 }];
    const e = await trained.embed(request);
    expect(e.unseen).toEqual({ job: 2 });
    expect(e.warnings).toEqual(["Column 'job' has 2 cells with a category the training rows did not have: embedded as unseen (pass unseen: 'error' to refuse them)"]);
    const err = await trained.embed(request, { unseen: 'error' }).catch((x) => x);
    expect(err).toBeInstanceOf(DataError);
    expect(err.code).toBe('UNSEEN_CATEGORY');
    expect(err.message).toBe("Column 'job' has the category 'astronaut' in row 1 of the rows array, which the training rows did not have");
  });

  it('says what is missing when a model without a preprocessor is given a table, and refuses a preprocessor of other features', async () => {
    const bare = new VarTJepa({ features: trained.schema.features }, small);
    await expect(bare.embed(rows(2))).rejects.toThrow(/has no preprocessor to encode a table with/);
    const other = fitPreprocessor(rows(50).map(({ balance, ...r }) => (void balance, r)), { target: 'y' });
    expect(() => bare.attachPreprocessor(other)).toThrow('The preprocessor does not fit this model: it has 2 features, the model 3');
    bare.attachPreprocessor(data.preprocessor.toJSON());
    expect((await bare.embed(rows(2))).rows).toBe(2);
    bare.dispose();
  });
});

describe('predict: the head in the same file', () => {
  it('fits a head from the table\'s target, predicts classes with their names, abstains, and survives save and load exactly', async () => {
    const model = new VarTJepa(data.preprocessor, small);
    await model.fit(data.train, { epochs: 2 });
    const trainRows = Array.from(data.split.train, (i) => rows(300)[i]);
    const validRows = Array.from(data.split.validation, (i) => rows(300)[i]);
    const meta = await model.fitHead(trainRows, { validation: { data: validRows } });
    expect(meta).toMatchObject({ kind: 'mlp-probe', target: 'y', classes: 2, calibratedOn: 'validation' });
    expect(meta.classNames?.slice().sort()).toEqual(['no', 'yes']);
    const request = rows(40, 11).map(({ y, ...f }) => (void y, f));
    const p = await model.predict(request, { abstain: 0.25 });
    expect(p.rows).toBe(40);
    expect(p.probabilities).toHaveLength(80);
    for (let r = 0; r < 40; r++) {
      expect(p.probabilities[2 * r] + p.probabilities[2 * r + 1]).toBeCloseTo(1, 5);
      expect(p.confidence[r]).toBe(Math.max(p.probabilities[2 * r], p.probabilities[2 * r + 1]));
      expect(p.labels![r]).toBe(meta.classNames![p.predicted[r]]);
      expect(p.withheld![r]).toBe(p.confidence[r] < p.threshold! ? 1 : 0);
    }
    expect(p.latentUncertainty).toHaveLength(40);
    // the threshold is the 25% quantile of the validation rows' confidence
    expect(p.threshold!).toBeCloseTo(meta.confidenceQuantiles[25], 6);
    const out = path.join(dir, 'with-head.safetensors');
    await model.save(out);
    const loaded = await VarTJepa.load(out);
    expect(loaded.head).toEqual(meta);
    const q = await loaded.predict(request, { abstain: 0.25 });
    expect(q.probabilities).toEqual(p.probabilities);
    expect(q.withheld).toEqual(p.withheld);
    await expect(loaded.predict(request, { abstain: 2 })).rejects.toThrow('Expected a number between 0 and 1 for options.abstain but received 2 (number)');
    const bare = new VarTJepa(data.preprocessor, small);
    await expect(bare.predict(request)).rejects.toThrow(/has no head to predict with: fit one with fitHead/);
    bare.dispose();
    model.dispose();
    loaded.dispose();
  });
});
