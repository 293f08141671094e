// The paper's six tables (Var-JEPA Table 6), read from the shared data folder: never copied into
// the package. Each dataset's feature kinds are given here as documented in the data folder's
// README, not inferred, so every run sees the same schema.
import * as fs from 'fs';
import * as path from 'path';
import { prepareTable, PrepareOptions, PreparedData } from './split';
import { readTable } from './sources';
import { DataError, RawTable } from './types';
import { oneOf } from '../validate';

export type BenchmarkDatasetName = 'adult' | 'covertype' | 'electricity' | 'credit_default' | 'bank_marketing' | 'mnist';
export const BENCHMARK_DATASET_NAMES: readonly BenchmarkDatasetName[] = ['adult', 'covertype', 'electricity', 'credit_default', 'bank_marketing', 'mnist'];

/** What the data folder's README documents for one table. */
export interface BenchmarkDatasetInfo {
  file: string;
  rows: number;
  features: number;
  target: string;
  classes: number;
  /** The categorical features; every other non-target column is numeric. */
  categorical: string[];
}

const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

export const BENCHMARK_DATASETS: Readonly<Record<BenchmarkDatasetName, BenchmarkDatasetInfo>> = {
  adult: {
    file: 'adult.csv.gz',
    rows: 48842,
    features: 14,
    target: 'income',
    classes: 2,
    categorical: ['workclass', 'education', 'marital-status', 'occupation', 'relationship', 'race', 'sex', 'native-country'],
  },
  covertype: {
    file: 'covertype.csv.gz',
    rows: 29051,
    features: 54,
    target: 'Cover_Type',
    classes: 7,
    categorical: [...range('Wilderness_Area', 1, 4), ...range('Soil_Type', 1, 40)],
  },
  electricity: { file: 'electricity.csv.gz', rows: 45312, features: 8, target: 'class', classes: 2, categorical: ['day'] },
  credit_default: {
    file: 'credit_default.csv.gz',
    rows: 30000,
    features: 23,
    target: 'default payment next month',
    classes: 2,
    categorical: ['SEX', 'EDUCATION', 'MARRIAGE'],
  },
  bank_marketing: {
    file: 'bank_marketing.csv.gz',
    rows: 45211,
    features: 16,
    target: 'y',
    classes: 2,
    categorical: ['job', 'marital', 'education', 'default', 'housing', 'loan', 'contact', 'month', 'poutcome'],
  },
  mnist: { file: 'mnist_test.csv.gz', rows: 10000, features: 784, target: 'label', classes: 10, categorical: [] },
};

function packageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    try {
      if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'varjepa') return dir;
    } catch {
      // no package.json here, or not ours
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start, '..', '..');
    dir = up;
  }
}

/** The shared data folder beside the package: ../shared/data next to the checkout. */
export function siblingDataDir(): string {
  return path.resolve(packageRoot(__dirname), '..', 'shared', 'data');
}

/** The places searched for the data folder, in order: $VARJEPA_DATA_DIR (when set), then ../shared/data beside the package. */
export function benchmarkDataDirs(): string[] {
  const env = process.env.VARJEPA_DATA_DIR;
  return [...(env ? [path.resolve(env)] : []), siblingDataDir()];
}

/** Finds a dataset's file in envDir (VARJEPA_DATA_DIR, may be unset) or siblingDir; a DataError naming both places otherwise. */
export function locateBenchmarkFile(name: BenchmarkDatasetName, envDir: string | undefined, siblingDir: string): string {
  const info = BENCHMARK_DATASETS[oneOf('name', name, BENCHMARK_DATASET_NAMES)];
  for (const dir of [envDir, siblingDir]) {
    if (dir && fs.existsSync(path.join(dir, info.file))) return path.join(path.resolve(dir), info.file);
  }
  const env = envDir ? `VARJEPA_DATA_DIR (${path.resolve(envDir)})` : 'VARJEPA_DATA_DIR (not set)';
  throw new DataError(
    'DATA_NOT_FOUND',
    `Cannot find ${info.file} for the '${name}' dataset. Looked in ${env} and in the shared data folder beside the package (${siblingDir}). Set VARJEPA_DATA_DIR to the folder that holds the paper's .csv.gz files.`,
  );
}

/** The path of a dataset's file: in $VARJEPA_DATA_DIR, else ../shared/data beside the package. */
export function benchmarkDatasetPath(name: BenchmarkDatasetName): string {
  return locateBenchmarkFile(name, process.env.VARJEPA_DATA_DIR || undefined, siblingDataDir());
}

/** A benchmark table, split and encoded (see {@link prepareDataset}), with what its README documents. */
export interface BenchmarkDataset extends PreparedData {
  name: BenchmarkDatasetName;
  info: BenchmarkDatasetInfo;
  file: string;
}

/** Options of {@link loadBenchmarkDataset}: split and preprocessing, minus what the dataset fixes. */
export type BenchmarkLoadOptions = Omit<PrepareOptions, 'target' | 'kinds' | 'task'>;

/** Reads one of the paper's tables (gzipped CSV) as a RawTable. */
export async function readBenchmarkTable(name: BenchmarkDatasetName): Promise<RawTable> {
  return readTable(benchmarkDatasetPath(name));
}

/**
 * Loads one of the paper's six tables, splits it (seeded, stratified, 70/10/20 by default), fits
 * the preprocessor on the training rows and encodes the three parts. The data folder is
 * $VARJEPA_DATA_DIR or ../shared/data beside the package.
 *
 * @example
 * const adult = await loadBenchmarkDataset('adult'); // from ../shared/data or $VARJEPA_DATA_DIR
 */
export async function loadBenchmarkDataset(name: BenchmarkDatasetName, options: BenchmarkLoadOptions = {}): Promise<BenchmarkDataset> {
  const file = benchmarkDatasetPath(name);
  const info = BENCHMARK_DATASETS[name];
  const table = await readTable(file);
  const cat = new Set(info.categorical);
  const ignored = new Set(Array.isArray(options.ignore) ? options.ignore : []);
  const kinds = Object.fromEntries(table.columns.filter((c) => c.name !== info.target && !ignored.has(c.name)).map((c) => [c.name, cat.has(c.name) ? 'categorical' : 'numeric'] as const));
  const prepared = prepareTable(table, { ...options, target: info.target, task: 'classification', kinds });
  return { ...prepared, name, info, file };
}
