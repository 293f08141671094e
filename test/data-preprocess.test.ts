// Schema inference, preprocessing fitted on training rows only, the JSON round trip, and splits.
import { describe, expect, it } from 'vitest';
import { fitPreprocessor, Preprocessor, splitRows, tableFromColumns, UNSEEN_CATEGORY } from '../lib/data';
import { prepareTable, splitTable } from '../lib/data/split';

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe('schema inference', () => {
  const t = tableFromColumns({
    id: Array.from({ length: 12 }, (_, i) => i),
    price: [1.5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.25],
    day: [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3],
    city: ['b', 'a', 'b', 'c', 'b', 'a', 'b', 'c', 'b', 'a', 'b', 'c'],
    y: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1],
  });

  it('infers numeric and categorical columns, keeps the target out, and drops ignored columns', () => {
    const p = fitPreprocessor(t, { target: 'y', ignore: ['id'] });
    const s = p.schema;
    expect(s.features.map((f) => [f.name, f.kind])).toEqual([
      ['price', 'numeric'],
      ['day', 'categorical'], // integers, 3 distinct values
      ['city', 'categorical'],
    ]);
    expect(s.target).toEqual({ name: 'y', task: 'classification', classes: ['0', '1'] });
    expect(s.scaling).toBe('minmax');
    expect(s.missing).toBe('mask');
    // Codes by frequency (ties by name), code 0 reserved.
    expect(s.features[2].categories).toEqual([UNSEEN_CATEGORY, 'b', 'a', 'c']);
    expect(s.features[1].categories).toEqual([UNSEEN_CATEGORY, '1', '2', '3']);
    const enc = p.transform(t, { rows: [0, 1] });
    expect(enc.features).toBe(3);
    expect(Array.from(enc.x)).toEqual(f32([0, 1, 1, 0.5 / 10.75, 2, 2]));
    expect(Array.from(enc.labels!)).toEqual([0, 1]);
    expect(enc.labelNames).toEqual(['0', '1']);
    expect(enc.missing).toBeUndefined();
  });

  it('takes kind overrides by name, and maxIntegerCategories', () => {
    const p = fitPreprocessor(t, { target: 'y', kinds: { day: 'numeric', id: 'categorical' } });
    expect(p.schema.features.map((f) => f.kind)).toEqual(['categorical', 'numeric', 'numeric', 'categorical']);
    const q = fitPreprocessor(t, { target: 'y', maxIntegerCategories: 0 });
    expect(q.schema.features.map((f) => f.kind)).toEqual(['numeric', 'numeric', 'numeric', 'categorical']);
  });

  it('classes sort as numbers when they are numbers; regression and several targets', () => {
    const u = tableFromColumns({ x: [1, 2, 3, 4, 5, 6], c: [10, 2, 2, 10, 1, 1], r: [0.5, 1.5, 2.5, 3.5, 4.5, 5.25] });
    const p = fitPreprocessor(u, { target: ['c', 'r'] });
    expect(p.schema.target).toEqual({ name: 'c', task: 'classification', classes: ['1', '2', '10'] });
    expect(p.schema.targets![1]).toEqual({ name: 'r', task: 'regression' });
    const enc = p.transform(u);
    expect(Array.from(enc.labels!)).toEqual([2, 1, 1, 2, 0, 0]);
    expect(enc.targetLabels![1]).toEqual(Float32Array.from([0.5, 1.5, 2.5, 3.5, 4.5, 5.25]));
    expect(fitPreprocessor(u, { target: 'c', task: 'regression' }).schema.target).toEqual({ name: 'c', task: 'regression' });
    // Without the target column (new data to embed) there are simply no labels.
    expect(p.transform({ x: [1] }).labels).toBeUndefined();
  });

  it('checks options and pins their messages', () => {
    expect(() => fitPreprocessor(t, { scaling: 'robust' as never })).toThrow(new RangeError("Expected one of 'minmax', 'standard', 'quantile', 'log' for options.scaling but received 'robust' (string)"));
    expect(() => fitPreprocessor(t, { missing: 'drop' as never })).toThrow(new RangeError("Expected one of 'mask', 'impute-mean' for options.missing but received 'drop' (string)"));
    expect(() => fitPreprocessor(t, { maxCategories: 0 })).toThrow(new RangeError('Expected an integer between 1 and 1000000 for options.maxCategories but received 0 (number)'));
    expect(() => fitPreprocessor(t, { quantiles: 1 })).toThrow(new RangeError('Expected an integer between 2 and 100000 for options.quantiles but received 1 (number)'));
    expect(() => fitPreprocessor(t, { target: 3 as never })).toThrow(new TypeError('Expected a column name or an array of column names for options.target but received 3 (number)'));
    expect(() => fitPreprocessor(t, { kinds: { day: 'ordinal' as never } })).toThrow(new RangeError("Expected one of 'numeric', 'categorical' for options.kinds['day'] but received 'ordinal' (string)"));
    expect(() => fitPreprocessor(t, { target: 'y', ignore: ['y'] })).toThrow(new RangeError("The column 'y' is both a target (options.target) and ignored (options.ignore)"));
    expect(() => fitPreprocessor(t, { ignore: ['nope'] })).toThrow("options.ignore names the column 'nope', which is not in the columns object; its columns are 'id', 'price', 'day', 'city', 'y'");
    expect(() => fitPreprocessor(t, { rows: [0, 12] })).toThrow(new RangeError('Expected an integer between 0 and 11 for options.rows[1] but received 12 (number)'));
    expect(() => fitPreprocessor(t, { ignore: ['id', 'price', 'day', 'city', 'y'] })).toThrow('No feature columns are left in the columns object once the target and ignored columns are taken out');
  });
});

describe('scaling, fitted on the training rows only', () => {
  const t = tableFromColumns({ v: [2, 4, 6, 8, 100, -50] });
  const train = [0, 1, 2, 3];

  it('min-max: [0, 1] on the training rows, outside values kept (not clipped)', () => {
    const p = fitPreprocessor(t, { rows: train });
    expect(p.toJSON().features[0]).toMatchObject({ min: 2, max: 8, mean: 5 });
    expect(Array.from(p.transform(t).x)).toEqual(f32([0, 1 / 3, 2 / 3, 1, 98 / 6, -52 / 6]));
  });

  it('standard: zero mean and unit (population) variance on the training rows', () => {
    const p = fitPreprocessor(t, { rows: train, scaling: 'standard' });
    const sd = Math.sqrt(5);
    expect(Array.from(p.transform(t).x)).toEqual(f32([-3 / sd, -1 / sd, 1 / sd, 3 / sd, 95 / sd, -55 / sd]));
  });

  it('quantile: the empirical CDF, ties at their middle, linear outside the range', () => {
    const u = tableFromColumns({ v: [0, 1, 1, 1, 2] });
    const p = fitPreprocessor(u, { scaling: 'quantile', quantiles: 5 });
    expect(p.toJSON().features[0]).toMatchObject({ quantiles: [0, 1, 1, 1, 2] });
    expect(Array.from(p.transform({ v: [0, 1, 2, 0.5, 1.5, -1, 4] }).x)).toEqual(f32([0, 0.5, 1, 0.125, 0.875, -0.5, 2]));
    const q = fitPreprocessor(tableFromColumns({ v: Array.from({ length: 101 }, (_, i) => i * i) }), { scaling: 'quantile', quantiles: 11 });
    expect(q.toJSON().features[0].kind === 'numeric' && q.toJSON().features[0].quantiles!.length).toBe(11);
    expect(q.transform({ v: [2500] }).x[0]).toBeCloseTo(0.5, 6);
  });

  it('missing numeric values: masked (default) or imputed with the training mean, said in the schema', () => {
    const u = tableFromColumns({ v: [1, null, 3, 6], k: ['a', 'b', null, 'a'] });
    const masked = fitPreprocessor(u);
    const m = masked.transform(u);
    expect(Array.from(m.missing!)).toEqual([0, 0, 1, 0, 0, 1, 0, 0]);
    expect(m.x[2]).toBeCloseTo((10 / 3 - 1) / 5, 6); // the training mean, scaled
    expect(m.x[5]).toBe(0);
    expect(masked.schema.warnings).toEqual([
      "Column 'v' has 1 missing value in the training rows: masked (options.missing = 'mask') and hold the training mean 3.3333333333333335 in x",
      "Column 'k' has 1 missing value in the training rows: they get code 0 and are masked",
    ]);
    const imputed = fitPreprocessor(u, { missing: 'impute-mean' });
    const i = imputed.transform(u);
    expect(i.missing).toBeUndefined();
    expect(i.x).toEqual(m.x);
    expect(imputed.schema.missing).toBe('impute-mean');
    expect(imputed.schema.warnings[0]).toBe("Column 'v' has 1 missing value in the training rows: imputed with the training mean 3.3333333333333335");
    // Missing-value tokens are an option.
    const dash = fitPreprocessor(tableFromColumns({ v: ['1', '-', '3'] }), { missingValues: ['-'], kinds: { v: 'numeric' } });
    expect(Array.from(dash.transform({ v: ['-', '5'] }).missing!)).toEqual([1, 0]);
    expect(() => dash.transform({ v: ['?'] })).toThrow("Column 'v' is numeric but row 1 of the columns object has '?'");
  });
});

describe('the fitted preprocessor is JSON', () => {
  const n = 60;
  const t = tableFromColumns({
    a: Array.from({ length: n }, (_, i) => Math.sin(i) * 10 + (i === 5 ? NaN : 0)),
    b: Array.from({ length: n }, (_, i) => ['x', 'y', 'z', 'w'][(i * i) % 4]),
    c: Array.from({ length: n }, (_, i) => (i % 5) * 1.5),
    y: Array.from({ length: n }, (_, i) => (i % 3 ? 'p' : 'q')),
  });

  for (const scaling of ['minmax', 'standard', 'quantile'] as const) {
    it(`save, load, transform gives the same arrays (${scaling})`, () => {
      const p = fitPreprocessor(t, { target: 'y', scaling, rows: Array.from({ length: 40 }, (_, i) => i) });
      const json = JSON.stringify(p);
      const q = Preprocessor.fromJSON(json);
      expect(q.toJSON()).toEqual(p.toJSON());
      expect(q.schema).toEqual(p.schema);
      const a = p.transform(t);
      const b = q.transform(t);
      expect(b.x).toEqual(a.x);
      expect(b.missing).toEqual(a.missing);
      expect(b.labels).toEqual(a.labels);
      expect(Preprocessor.fromJSON(JSON.parse(json)).transform(t).x).toEqual(a.x);
    });
  }
});

describe('splits', () => {
  it('are seeded, disjoint, cover every row, and 70/10/20 by default', () => {
    const a = splitRows(1000, { seed: 7 });
    const b = splitRows(1000, { seed: 7 });
    const c = splitRows(1000, { seed: 8 });
    expect(b).toEqual(a);
    expect(c.train).not.toEqual(a.train);
    expect([a.train.length, a.validation.length, a.test.length]).toEqual([700, 100, 200]);
    const all = [...a.train, ...a.validation, ...a.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(a.train)).toEqual([...a.train].sort((x, y) => x - y));
  });

  it('are stratified by class for classification', () => {
    const y = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 'rare' : 'common'));
    const t = tableFromColumns({ x: y.map((_, i) => i * 0.5), y });
    const s = splitTable(t, { target: 'y', seed: 3 });
    const rare = (rows: Int32Array) => Array.from(rows).filter((r) => y[r] === 'rare').length;
    expect([rare(s.train), rare(s.validation), rare(s.test)]).toEqual([70, 10, 20]);
    const plain = splitTable(t, { target: 'y', seed: 3, stratify: false });
    expect(plain.train.length).toBe(700);
    expect(() => splitRows(10, { fractions: [0.5, 0.2, 0.2] })).toThrow(new RangeError('options.fractions must sum to 1 but sum to 0.9'));
    expect(() => splitRows(10, { seed: -1 })).toThrow(new RangeError('Expected an integer between 0 and 4294967295 for options.seed but received -1 (number)'));
  });

  it('prepareTable fits on the training part only and encodes all three parts', () => {
    const v = Array.from({ length: 200 }, (_, i) => i);
    const t = tableFromColumns({ v, y: v.map((i) => (i % 2 ? 'a' : 'b')) });
    const d = prepareTable(t, { target: 'y', seed: 1 });
    expect(d.preprocessor.toJSON().trainingRows).toBe(140);
    const trainValues = Array.from(d.split.train).map((r) => v[r]);
    expect(d.preprocessor.toJSON().features[0]).toMatchObject({ min: Math.min(...trainValues), max: Math.max(...trainValues) });
    expect([d.train.rows, d.validation.rows, d.test.rows]).toEqual([140, 20, 40]);
    expect(d.test.x).toEqual(d.preprocessor.transform(t, { rows: d.split.test }).x);
  });
});

describe('log scaling', () => {
  it('scales sign(v) log(1 + |v|) to [0, 1] on the training range, keeps values outside it, and inverts', async () => {
    const t = tableFromColumns({ v: [-9, 0, 1, 10, 999] });
    const p = fitPreprocessor(t, { scaling: 'log' });
    const enc = p.transform(t);
    const lo = -Math.log(10), hi = Math.log(1000);
    const want = [-9, 0, 1, 10, 999].map((v) => (Math.sign(v) * Math.log1p(Math.abs(v)) - lo) / (hi - lo));
    Array.from(enc.x).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    expect(enc.x[0]).toBe(0);
    expect(enc.x[4]).toBeCloseTo(1, 6);
    // a heavy tail: minmax squashes the bulk toward 0, log does not
    const heavy = tableFromColumns({ v: [...Array.from({ length: 99 }, (_, i) => i), 1e6] });
    const mm = fitPreprocessor(heavy).transform(heavy).x, lg = fitPreprocessor(heavy, { scaling: 'log' }).transform(heavy).x;
    expect(mm[50]).toBeLessThan(1e-4);
    expect(lg[50]).toBeGreaterThan(0.25);
    // outside the training range: not clipped; a JSON round trip transforms the same
    const out = Preprocessor.fromJSON(JSON.parse(JSON.stringify(p.toJSON()))).transform(tableFromColumns({ v: [5000] }));
    expect(out.x[0]).toBeGreaterThan(1);
    const { unscale } = await import('../lib/commands/impute');
    const f = p.toJSON().features[0] as import('../lib/data').NumericState;
    for (const v of [-9, 0, 1, 10, 999]) expect(unscale(p.transform(tableFromColumns({ v: [v] })).x[0], f, 'log')).toBeCloseTo(v, 3);
  });
});
