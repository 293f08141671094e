// `varjepa impute` on a small table in a temporary folder (a model of one epoch): every input
// column comes out in its place, numeric fills stay in the training range and integer columns
// integers, categorical fills are real categories, and fallback cells are reported (per cell in
// <column>_source, per column in the summary). The estimators are also checked on hand-made
// draws, and a preprocessor state saved before `median` and `integer` were recorded still loads.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';

import { categoricalEstimates, numericBaseline, numericEstimates, type ImputeReport } from '../lib/commands/impute';
import { fitPreprocessor, Preprocessor, tableFromColumns } from '../lib/data';
import type { NumericState } from '../lib/data';
import { seededRandom } from '../lib/data/split';
import type { Generation } from '../lib/model/vartjepa';

const bin = path.resolve(__dirname, '..', 'bin', 'varjepa.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-impute-'));
const train = path.join(dir, 'train.csv');
const holed = path.join(dir, 'holed.csv');
const model = path.join(dir, 'm.safetensors');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const readCsv = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));

// age: integers 18..80; amount: decimals 100..900; city: 3 categories; label: the target
const CITIES = ['north', 'south', 'east'];
const N = 240;
const truth: { age: number[]; amount: number[]; city: string[]; label: string[] } = { age: [], amount: [], city: [], label: [] };
// the holed copy: a 'note' column the model never saw, between the features; holes in every feature
const holes = (i: number, j: number) => (i % 5 === j) || i === 7; // row 7 has no observed feature

beforeAll(() => {
  const rand = seededRandom(3);
  for (let i = 0; i < N; i++) {
    const age = 18 + Math.floor(rand() * 63);
    truth.age.push(age);
    truth.amount.push(Number((100 + 10 * (age - 18) + 150 * rand()).toFixed(2)));
    truth.city.push(CITIES[Math.floor(rand() * 3)]);
    truth.label.push(age > 45 ? 'old' : 'young');
  }
  const rowsOf = (holedCopy: boolean) =>
    truth.age.map((_, i) => {
      const f = [String(truth.age[i]), String(truth.amount[i]), truth.city[i]].map((v, j) => (holedCopy && holes(i, j) ? '' : v));
      return holedCopy ? [f[0], `n${i}`, f[1], f[2], truth.label[i]].join(',') : [...f, truth.label[i]].join(',');
    });
  fs.writeFileSync(train, ['age,amount,city,label', ...rowsOf(false)].join('\n') + '\n');
  fs.writeFileSync(holed, ['age,note,amount,city,label', ...rowsOf(true)].join('\n') + '\n');
  const fit = cli('fit', train, '--target', 'label', '--epochs', '1', '--batch-size', '64', '--out', model, '--quiet');
  if (fit.code !== 0) throw new Error(fit.err);
});

describe('varjepa impute', () => {
  it('writes every input column in its place, the target and columns the model never saw included', () => {
    const out = path.join(dir, 'all.csv');
    const r = cli('impute', model, holed, '--draws', '4', '--fill', 'model', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const rows = readCsv(out);
    expect(rows[0]).toEqual(['age', 'age_spread', 'age_source', 'note', 'amount', 'amount_spread', 'amount_source', 'city', 'city_spread', 'city_source', 'label']);
    expect(rows).toHaveLength(N + 1);
    for (let i = 0; i < N; i++) {
      const row = rows[i + 1];
      expect(row[3]).toBe(`n${i}`);
      expect(row[10]).toBe(truth.label[i]);
      // observed cells as read, with no spread or source
      if (!holes(i, 0)) expect([row[0], row[1], row[2]]).toEqual([String(truth.age[i]), '', '']);
      if (!holes(i, 1)) expect(Number(row[4])).toBe(truth.amount[i]);
      if (!holes(i, 2)) expect([row[7], row[9]]).toEqual([truth.city[i], '']);
    }
  });

  it('keeps numeric fills in the training range, integer columns integers, categorical fills real categories', () => {
    const out = path.join(dir, 'model.csv');
    const r = cli('impute', model, holed, '--draws', '6', '--fill', 'model', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const rows = readCsv(out).slice(1);
    const [ageLo, ageHi] = [Math.min(...truth.age), Math.max(...truth.age)];
    const [amtLo, amtHi] = [Math.min(...truth.amount), Math.max(...truth.amount)];
    let filled = 0;
    rows.forEach((row, i) => {
      if (holes(i, 0)) {
        expect(row[0], `age of row ${i}`).toMatch(/^\d+$/);
        expect(Number(row[0])).toBeGreaterThanOrEqual(ageLo);
        expect(Number(row[0])).toBeLessThanOrEqual(ageHi);
        expect(row[2]).toBe(i === 7 ? 'median' : 'model');
        filled++;
      }
      if (holes(i, 1)) {
        expect(Number.isFinite(Number(row[4])) && row[4] !== '').toBe(true);
        expect(Number(row[4])).toBeGreaterThanOrEqual(amtLo);
        expect(Number(row[4])).toBeLessThanOrEqual(amtHi);
        filled++;
      }
      if (holes(i, 2)) {
        expect(CITIES).toContain(row[7]);
        expect(row[9]).toBe(i === 7 ? 'mode' : 'model');
        filled++;
      }
    });
    const rep = JSON.parse(r.out) as ImputeReport;
    expect(rep.imputedCells).toBe(filled);
  });

  it('reports fallback cells per cell and per column, with the reason', () => {
    // row 7 has no observed feature: its cells get the training median/mode whatever --fill says
    const out = path.join(dir, 'model2.csv');
    const m = JSON.parse(cli('impute', model, holed, '--draws', '4', '--fill', 'model', '--out', out, '--json').out) as ImputeReport;
    expect(m.rowsWithoutObservedCells).toBe(1);
    expect(m.fallbackCells).toBe(3);
    for (const c of m.columns) {
      expect(c).toMatchObject({ source: 'model', fallbackCells: 1 });
      expect(c.reason).toBe('1 cells are in rows with no observed cell');
    }
    const row7 = readCsv(out)[8];
    expect([row7[0], row7[2], row7[7], row7[9]]).toEqual([m.columns[0].baselineValue, 'median', m.columns[2].baselineValue, 'mode']);
    expect(row7[0]).toMatch(/^\d+$/);
    expect(CITIES).toContain(row7[7]);

    // 'auto': each column keeps the model only where its check error is below the baseline's
    const auto = path.join(dir, 'auto.csv');
    const r = cli('impute', model, holed, '--draws', '4', '--out', auto, '--json');
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out) as ImputeReport;
    expect(rep.fill).toBe('auto');
    expect(rep.columns.map((c) => c.name)).toEqual(['age', 'amount', 'city']);
    const rows = readCsv(auto).slice(1);
    const sourceAt = { age: 2, amount: 6, city: 9 } as Record<string, number>;
    let fallbackCells = 0;
    for (const c of rep.columns) {
      expect(c.check!.cells).toBeGreaterThan(0);
      expect(c.check!.metric).toBe(c.kind === 'numeric' ? 'MAE' : 'error rate');
      if (c.source === 'model') expect(c.check!.model).toBeLessThan(c.check!.baseline - 2 * c.check!.standardError);
      else expect(c.reason).toMatch(/hidden observed cells|could be hidden/);
      const sources = rows.filter((_, i) => holes(i, ['age', 'amount', 'city'].indexOf(c.name))).map((row) => row[sourceAt[c.name]]);
      expect(sources.filter((s) => s !== 'model')).toHaveLength(c.fallbackCells);
      fallbackCells += c.fallbackCells;
    }
    expect(rep.fallbackCells).toBe(fallbackCells);

    // 'baseline': every fill is the median/mode, said per cell and in the text summary
    const b = cli('impute', model, holed, '--fill', 'baseline', '--out', path.join(dir, 'base.csv'));
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/fallback: 'age' \d+ of \d+ cells get the training median \d+: --fill baseline was asked for/);
    expect(b.out).toMatch(/fallback: 'city' \d+ of \d+ cells get the training mode (north|south|east): --fill baseline/);
    const base = readCsv(path.join(dir, 'base.csv')).slice(1);
    expect(new Set(base.filter((_, i) => holes(i, 2)).map((row) => row[9]))).toEqual(new Set(['mode']));
    // without --out the CSV goes to stdout and the fallback summary to stderr
    const s = cli('impute', model, holed, '--fill', 'baseline');
    expect(s.out.split('\n')[0]).toBe('age,age_spread,age_source,note,amount,amount_spread,amount_source,city,city_spread,city_source,label');
    expect(s.err).toMatch(/^imputed \d+ cells .*\nfallback: 'age'/);
  });

  it('rejects an unknown --fill, naming the allowed values', () => {
    const r = cli('impute', model, holed, '--fill', 'mean');
    expect(r.code).toBe(1);
    expect(r.err).toContain("--fill: expected one of 'auto', 'model', 'baseline' but received 'mean'");
  });
});

describe('impute estimators on hand-made draws', () => {
  // one row, 2 features (numeric, categorical with codes 0..2), 3 draws
  const g: Generation = {
    rows: 1, draws: 3, features: 2,
    values: Float32Array.from([-0.5, 0, 1.7, 0, 0.25, 2]),
    probs: Float32Array.from([0.8, 0.05, 0.15, 0.7, 0.1, 0.2, 0.1, 0.3, 0.6]),
    categoryOffsets: [-1, 0], probsPerRow: 3,
  };
  const f: NumericState = { name: 'age', kind: 'numeric', min: 18, max: 90, mean: 40, std: 10 };

  it('clamps every draw to the training range and rounds integer columns', () => {
    // minmax: -0.5 -> -18, 1.7 -> 140.4, 0.25 -> 36: clamped to 18, 90, 36
    const e = numericEstimates(g, 0, 0, f, 'minmax', true);
    expect(e).toMatchObject({ mean: 48, median: 36, single: 18 });
    expect(e.spread).toBeCloseTo(Math.sqrt(((18 - 48) ** 2 + (90 - 48) ** 2 + (36 - 48) ** 2) / 3), 10);
    expect(numericEstimates(g, 0, 0, f, 'minmax', false).mean).toBeCloseTo(48, 10);
  });

  it('fills categorical cells with real categories even where the draws say unseen', () => {
    // the draws: 0 (unseen), 0, 2; mean probabilities: code 0 0.53, code 1 0.15, code 2 0.32
    expect(categoricalEstimates(g, 0, 1, 3)).toEqual({ argmax: 2, mode: 2, single: 2, spread: 2 / 3 });
  });
});

describe('the median and integer fields of the preprocessor state', () => {
  const t = tableFromColumns({ n: [3, 1, 2, 10], d: [0.5, 1, 2, 4] });
  const kinds = { n: 'numeric' } as const; // 4 small integers would be read as categories

  it('records the training median and whether every value is an integer', () => {
    const [n, d] = fitPreprocessor(t, { kinds }).toJSON().features as NumericState[];
    expect([n.median, n.integer, d.median, d.integer]).toEqual([2.5, true, 1.5, false]);
    expect(numericBaseline(n, true)).toBe(3);
  });

  it('reads a state saved without them; the baseline is then the mean', () => {
    const s = fitPreprocessor(t, { kinds }).toJSON();
    for (const f of s.features as NumericState[]) {
      delete f.median;
      delete f.integer;
    }
    const p = Preprocessor.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(p.transform(t).x).toEqual(fitPreprocessor(t, { kinds }).transform(t).x);
    expect(numericBaseline(p.toJSON().features[0] as NumericState, false)).toBe(4);
  });

  it('rejects a median outside the range and a non-boolean integer, naming the field', () => {
    const s = fitPreprocessor(t, { kinds }).toJSON();
    (s.features[0] as NumericState).median = 11;
    expect(() => Preprocessor.fromJSON(s)).toThrow('Invalid preprocessor state: expected a number between min (1) and max (10) for state.features[0].median but found 11');
    (s.features[0] as NumericState).median = 2;
    (s.features[0] as unknown as { integer: string }).integer = 'yes';
    expect(() => Preprocessor.fromJSON(s)).toThrow('Invalid preprocessor state: expected a boolean for state.features[0].integer but found "yes"');
  });
});
