// The recipe: a configuration for a table no one tuned for, chosen from the table's shape by one
// documented rule (docs/model.md, section 6): the paper's Table 7 row of its real table nearest in
// shape, with a batch size the table's rows can fill. Both kinds take the result
// (`new VarTJepa(schema, r.options)`, `new TJepa(schema, r.options)`).
import * as os from 'os';
import { integer, invalid } from '../validate';
import { preset, type PresetName, type VarTJepaOptions } from './options';
import { cardinalities, type ModelSchema } from './schema';
import { activationBytesByBatch, batchThatFits, gib } from './memory';
import { VarTJepa } from './vartjepa';

/** The paper's real tables the rule picks among: features and the share of them that is numeric. */
export const RECIPE_TABLES: Readonly<Record<Exclude<PresetName, 'mnist' | 'sim'>, { features: number; numericShare: number }>> = Object.freeze({
  adult: { features: 14, numericShare: 6 / 14 },
  covertype: { features: 54, numericShare: 10 / 54 },
  electricity: { features: 8, numericShare: 7 / 8 },
  credit_default: { features: 23, numericShare: 20 / 23 },
  bank_marketing: { features: 16, numericShare: 7 / 16 },
});

/** Tables with at least this many features take the paper's one wide table's row (MNIST, pixels as features). */
export const RECIPE_WIDE_FEATURES = 200;
/** A batch holds at most 1/this of the training rows, so an epoch takes at least this many steps. */
export const RECIPE_MIN_STEPS = 20;

/** By default the recipe's batch takes at most this share of the machine's memory (os.totalmem()). */
export const RECIPE_MEMORY_SHARE = 0.25;

/** Options of {@link recipe}. */
export interface RecipeOptions {
  /** Bytes the model's batch-sized buffers may take (`stats().activationBytes`); default a quarter of os.totalmem(). Give the GPU's memory when training with device 'cuda'. */
  memoryBytes?: number;
}

/** What {@link recipe} chose and why. */
export interface Recipe {
  /** The Table 7 row the options start from. */
  preset: PresetName;
  /** The options: the row, with a batch size the rows can fill. */
  options: Required<VarTJepaOptions>;
  /** The rule's reasoning in one sentence. */
  why: string;
}

/**
 * The configuration for a table of `rows` training rows with `schema`'s features:
 * - 200 features or more: the `mnist` row;
 * - otherwise the row of the paper's real table nearest in shape, the distance being
 *   sqrt((log2 D - log2 D_t)^2 + (2 (s - s_t))^2) for D features of which a share s is numeric
 *   ({@link RECIPE_TABLES});
 * - the batch size: the row's, or the largest power of two (at least 32) that leaves at least 20
 *   steps an epoch, halved while the model's batch-sized buffers would take more than
 *   `memoryBytes` (a wide table's attention grows with the square of its features).
 * The row's warm-up and KL ramps are given for 100 epochs (`scheduleEpochs`), so `fit` compresses
 * them for a shorter run.
 *
 * @example
 * const r = recipe({ features: data.schema.features }, data.train.rows);
 * const model = new VarTJepa({ features: data.schema.features }, r.options);
 */
export function recipe(schema: ModelSchema, rows: number, settings: RecipeOptions = {}): Recipe {
  const cards = cardinalities(schema);
  const n = integer('rows', rows, 1, 2 ** 31 - 1);
  const budget = settings.memoryBytes ?? RECIPE_MEMORY_SHARE * os.totalmem();
  if (typeof budget !== 'number' || !Number.isFinite(budget) || budget <= 0) throw invalid('settings.memoryBytes', 'a positive number of bytes', budget, typeof budget === 'number' ? 'range' : 'type');
  const D = cards.length;
  const share = cards.filter((c) => c === 0).length / D;
  let name: PresetName;
  let why: string;
  if (D >= RECIPE_WIDE_FEATURES) {
    name = 'mnist';
    why = `${D} features (at least ${RECIPE_WIDE_FEATURES}): the paper's wide table's row`;
  } else {
    const dist = (t: { features: number; numericShare: number }) => Math.hypot(Math.log2(D) - Math.log2(t.features), 2 * (share - t.numericShare));
    const entries = Object.entries(RECIPE_TABLES) as Array<[keyof typeof RECIPE_TABLES, { features: number; numericShare: number }]>;
    const [nearest] = entries.reduce((a, b) => (dist(b[1]) < dist(a[1]) ? b : a));
    name = nearest;
    why = `${D} features, ${Math.round(100 * share)}% numeric: nearest in shape to the paper's ${nearest} table (${RECIPE_TABLES[nearest].features} features, ${Math.round(100 * RECIPE_TABLES[nearest].numericShare)}% numeric)`;
  }
  const options = preset(name);
  const fill = Math.max(32, 2 ** Math.floor(Math.log2(Math.max(n / RECIPE_MIN_STEPS, 1))));
  if (fill < options.batchSize) {
    why += `; batch ${fill} (the row's ${options.batchSize} would leave fewer than ${RECIPE_MIN_STEPS} steps an epoch on ${n} rows)`;
    options.batchSize = fill;
  }
  const need = activationBytesByBatch((B) => {
    const m = new VarTJepa(schema, { ...options, batchSize: B, device: 'cpu' });
    try {
      return m.stats().activationBytes;
    } finally {
      m.dispose();
    }
  });
  if (need(options.batchSize) > budget) {
    const before = options.batchSize;
    options.batchSize = batchThatFits(before, need, budget);
    why += `; batch ${options.batchSize} (${before} rows would need ${gib(need(before))} of activation memory, more than the ${gib(budget)} allowed)`;
  }
  return { preset: name, options, why };
}
