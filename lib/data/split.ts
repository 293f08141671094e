// Seeded train/validation/test splits (70/10/20 by default, stratified by class for
// classification), and `prepareTable`: split, fit on the training rows only, encode all three.
import { Rng } from '../model/random';
import { cellKey, inferTask, PREPROCESS_DEFAULTS, PreprocessOptions, listColumns } from './schema';
import { fitPreprocessor, Preprocessor } from './preprocess';
import { asTable, readTable, ReadOptions, TableInput } from './sources';
import { DataError, EncodedTable, RawTable, Schema } from './types';
import { conflict, integer, invalid, number } from '../validate';

/** Options of {@link splitRows} and of the split {@link prepareDataset} makes. */
export interface SplitOptions {
  /** Seed of the shuffle, an integer 0..2^32-1; default 0. Same seed, same split. */
  seed?: number;
  /** Train, validation and test fractions, each in [0, 1], summing to 1; default [0.7, 0.1, 0.2]. */
  fractions?: readonly [number, number, number];
  /** Column whose classes are kept in proportion in each part; default: the first target when it is a classification target. false: a plain random split. */
  stratify?: string | false;
}

/** Defaults of {@link SplitOptions}. */
export const SPLIT_DEFAULTS = { seed: 0, fractions: [0.7, 0.1, 0.2] as const };

/** Row indices of each part, ascending. */
export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** mulberry32 (the package's one small seeded generator, lib/model/random.ts); uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

function shuffle(a: Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

function checkSplitOptions(options: SplitOptions): { seed: number; fractions: readonly [number, number, number] } {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options, 'type');
  const seed = integer('options.seed', options.seed ?? SPLIT_DEFAULTS.seed, 0, 0xffffffff);
  const f = options.fractions ?? SPLIT_DEFAULTS.fractions;
  if (!Array.isArray(f) || f.length !== 3) throw invalid('options.fractions', 'an array of 3 fractions [train, validation, test]', f, 'type');
  f.forEach((x, i) => number(`options.fractions[${i}]`, x, 0, 1));
  const sum = f[0] + f[1] + f[2];
  if (Math.abs(sum - 1) > 1e-9) throw conflict(`options.fractions must sum to 1 but sum to ${Number(sum.toPrecision(12))}`);
  return { seed, fractions: f as unknown as readonly [number, number, number] };
}

/**
 * Splits rows 0..n-1. With `strata` (a stratum index per row) each stratum is split in the given
 * fractions on its own, so the parts keep the class proportions.
 *
 * @example
 * const { train, validation, test } = splitRows(1000, { seed: 1, strata: labels }); // 70/10/20
 */
export function splitRows(n: number, options: SplitOptions & { strata?: ArrayLike<number> } = {}): Split {
  integer('rows', n, 0, 2 ** 31 - 1);
  const { seed, fractions } = checkSplitOptions(options);
  const strata = options.strata;
  if (strata !== undefined && strata.length !== n) throw conflict(`options.strata has ${strata.length} entries but there are ${n} rows`);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const s = strata ? strata[i] : 0;
    let g = groups.get(s);
    if (!g) groups.set(s, (g = []));
    g.push(i);
  }
  const rand = seededRandom(seed);
  const parts: number[][] = [[], [], []];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const idx = Int32Array.from(groups.get(key)!);
    shuffle(idx, rand);
    const m = idx.length;
    const nTrain = Math.min(m, Math.round(fractions[0] * m));
    const nVal = Math.min(m - nTrain, Math.round(fractions[1] * m));
    for (let i = 0; i < m; i++) parts[i < nTrain ? 0 : i < nTrain + nVal ? 1 : 2].push(idx[i]);
  }
  const sorted = (p: number[]): Int32Array => Int32Array.from(p).sort();
  return { train: sorted(parts[0]), validation: sorted(parts[1]), test: sorted(parts[2]) };
}

/** Splits a table's rows, stratified by a class column (see SplitOptions.stratify). */
export function splitTable(input: TableInput, options: SplitOptions & Pick<PreprocessOptions, 'target' | 'task' | 'missingValues'> = {}): Split {
  const table = asTable(input);
  const missing = new Set(options.missingValues ?? PREPROCESS_DEFAULTS.missingValues);
  let by: string | null = null;
  if (typeof options.stratify === 'string') by = options.stratify;
  else if (options.stratify === undefined && options.target !== undefined) {
    const first = Array.isArray(options.target) ? options.target[0] : options.target;
    const col = table.columns.find((c) => c.name === first);
    const all = Int32Array.from({ length: table.rows }, (_, i) => i);
    const task = options.task && options.task !== 'auto' ? options.task : col ? inferTask(col, all, missing) : 'regression';
    if (col && task === 'classification') by = first as string;
  } else if (options.stratify !== undefined && options.stratify !== false) {
    throw invalid('options.stratify', 'a column name or false', options.stratify, 'type');
  }
  if (by === null) return splitRows(table.rows, options);
  const col = table.columns.find((c) => c.name === by);
  if (!col) throw new DataError('UNKNOWN_COLUMN', `options.stratify names the column '${by}', which is not in ${table.source}; its columns are ${listColumns(table.columns.map((c) => c.name))}`);
  const ids = new Map<string | null, number>();
  const strata = new Int32Array(table.rows);
  for (let r = 0; r < table.rows; r++) {
    const key = cellKey(col, r, missing);
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    strata[r] = id;
  }
  return splitRows(table.rows, { ...options, strata });
}

/** Options of {@link prepareDataset}: preprocessing (fitted on the training part) and the split. */
export type PrepareOptions = Omit<PreprocessOptions, 'rows'> & SplitOptions;

/** A table split, fitted on its training part, and encoded. */
export interface PreparedData {
  table: RawTable;
  split: Split;
  preprocessor: Preprocessor;
  schema: Schema;
  train: EncodedTable;
  validation: EncodedTable;
  test: EncodedTable;
}

/** Splits a table, fits the preprocessor on the training rows only, and encodes the three parts. */
export function prepareTable(input: TableInput, options: PrepareOptions = {}): PreparedData {
  const table = asTable(input);
  const split = splitTable(table, options);
  const { seed, fractions, stratify, ...pre } = options;
  void seed, void fractions, void stratify;
  const preprocessor = fitPreprocessor(table, { ...pre, rows: split.train });
  return {
    table,
    split,
    preprocessor,
    schema: preprocessor.schema,
    train: preprocessor.transform(table, { rows: split.train }),
    validation: preprocessor.transform(table, { rows: split.validation }),
    test: preprocessor.transform(table, { rows: split.test }),
  };
}

/** Reads any input (CSV path, stream, rows, columns, Arrow), splits it, fits the preprocessor on the training rows only, and encodes the three parts.
 *
 * @example
 * const data = await prepareDataset('adult.csv.gz', { target: 'income', seed: 0 });
 * const model = new VarTJepa({ features: data.schema.features }, preset('adult'));
 * await model.fit(data.train, { epochs: 20 });
 */
export async function prepareDataset(source: TableInput, options: PrepareOptions & ReadOptions = {}): Promise<PreparedData> {
  const { delimiter, columns, ...rest } = options;
  const table = await readTable(source, { delimiter, columns });
  return prepareTable(table, rest);
}
