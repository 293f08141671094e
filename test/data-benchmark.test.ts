// The paper's six tables load with the shapes, kinds and class counts their README documents.
// Each test is skipped (with the reason in its name) only when the data folder is absent.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { BENCHMARK_DATASETS, BenchmarkDatasetName, DataError, loadBenchmarkDataset } from '../lib/data';
import { benchmarkDataDirs } from '../lib/data/benchmark-datasets';
import { locateBenchmarkFile, siblingDataDir } from '../lib/data/benchmark-datasets';

const dirs = benchmarkDataDirs();
const present = dirs.some((d) => fs.existsSync(path.join(d, 'adult.csv.gz')));
const skipNote = present ? '' : ` [skipped: no data folder in ${dirs.join(' or ')}; set VARJEPA_DATA_DIR]`;

/** Class counts from the data folder's README. */
const CLASS_COUNTS: Record<BenchmarkDatasetName, Record<string, number>> = {
  adult: { '<=50K': 37155, '>50K': 11687 },
  covertype: { 1: 10592, 2: 14165, 3: 1788, 4: 137, 5: 475, 6: 868, 7: 1026 },
  electricity: { DOWN: 26075, UP: 19237 },
  credit_default: { 0: 23364, 1: 6636 },
  bank_marketing: { no: 39922, yes: 5289 },
  mnist: { 0: 980, 1: 1135, 2: 1032, 3: 1010, 4: 982, 5: 892, 6: 958, 7: 1028, 8: 974, 9: 1009 },
};

describe('benchmark datasets', () => {
  for (const name of Object.keys(BENCHMARK_DATASETS) as BenchmarkDatasetName[]) {
    it.skipIf(!present)(`${name} loads with the documented shape${skipNote}`, async () => {
      const info = BENCHMARK_DATASETS[name];
      const d = await loadBenchmarkDataset(name, { seed: 1 });
      expect(d.table.rows).toBe(info.rows);
      expect(d.table.columns.length).toBe(info.features + 1);
      expect(d.table.columns[info.features].name).toBe(info.target); // the target is the last column
      expect(d.schema.features.length).toBe(info.features);
      expect(d.schema.features.filter((f) => f.kind === 'categorical').map((f) => f.name)).toEqual(info.categorical);
      expect(d.schema.target!.classes!.length).toBe(info.classes);
      expect(d.train.rows + d.validation.rows + d.test.rows).toBe(info.rows);
      expect(Math.abs(d.train.rows / info.rows - 0.7)).toBeLessThan(0.001);
      // Every row's label, counted per class over the three parts, matches the README.
      const counts: Record<string, number> = {};
      let nonFinite = 0;
      for (const part of [d.train, d.validation, d.test]) {
        expect(part.x.length).toBe(part.rows * info.features);
        for (const v of part.x) if (!Number.isFinite(v)) nonFinite++;
        for (const l of part.labels!) {
          const c = l >= 0 ? d.schema.target!.classes![l] : 'unlabelled';
          counts[c] = (counts[c] ?? 0) + 1;
        }
      }
      expect(nonFinite).toBe(0);
      expect(counts).toEqual(Object.fromEntries(Object.entries(CLASS_COUNTS[name]).map(([k, v]) => [String(k), v])));
      // Fitted on the training rows only: min-max puts the training part in [0, 1].
      const numeric = d.schema.features.map((f) => f.kind === 'numeric');
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < d.train.x.length; i++) {
        if (numeric[i % info.features]) {
          lo = Math.min(lo, d.train.x[i]);
          hi = Math.max(hi, d.train.x[i]);
        }
      }
      if (numeric.some(Boolean)) expect([lo, hi]).toEqual([0, 1]);
      if (name === 'adult') {
        // '?' is missing: masked, with the documented counts per column and per row.
        const perColumn: Record<string, number> = {};
        let rowsWithGap = 0;
        for (const part of [d.train, d.validation, d.test]) {
          for (let r = 0; r < part.rows; r++) {
            let gap = false;
            for (let j = 0; j < info.features; j++) {
              if (part.missing?.[r * info.features + j]) {
                const n = d.schema.features[j].name;
                perColumn[n] = (perColumn[n] ?? 0) + 1;
                gap = true;
              }
            }
            if (gap) rowsWithGap++;
          }
        }
        expect(perColumn).toEqual({ workclass: 2799, occupation: 2809, 'native-country': 857 });
        expect(rowsWithGap).toBe(3620);
      }
      if (name === 'mnist') {
        expect(d.schema.warnings.some((w) => /^Column 'pixel0' is constant \(0\)/.test(w))).toBe(true);
      }
    });
  }

  it('names both places it looked in when the data is absent', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'varjepa-nodata-'));
    const msg = (env: string) =>
      `Cannot find adult.csv.gz for the 'adult' dataset. Looked in ${env} and in the shared data folder beside the package (${empty}). Set VARJEPA_DATA_DIR to the folder that holds the paper's .csv.gz files.`;
    expect(() => locateBenchmarkFile('adult', undefined, empty)).toThrow(new DataError('DATA_NOT_FOUND', msg('VARJEPA_DATA_DIR (not set)')));
    expect(() => locateBenchmarkFile('adult', '/nowhere', empty)).toThrow(msg('VARJEPA_DATA_DIR (/nowhere)'));
    fs.rmSync(empty, { recursive: true });
    expect(siblingDataDir()).toBe(path.resolve(__dirname, '..', '..', 'shared', 'data'));
    expect(() => locateBenchmarkFile('iris' as never, undefined, empty)).toThrow(
      new RangeError("Expected one of 'adult', 'covertype', 'electricity', 'credit_default', 'bank_marketing', 'mnist' for name but received 'iris' (string)"),
    );
  });
});
