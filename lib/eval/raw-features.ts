// The raw-feature baseline of the paper's tables: the preprocessed row (numeric columns as the
// preprocessor scaled them, min-max to [0, 1] by default, docs/model.md, section 9) with every
// categorical column expanded to a one-hot block, as the matrix a probe reads.
import type { ModelSchema, TableData } from '../model/schema';
import { cardinalities, checkTable } from '../model/schema';

/** A feature matrix for a probe. */
export interface FeatureMatrix {
  rows: number;
  /** Columns per row. */
  dim: number;
  /** x (rows, dim) row-major. */
  x: Float32Array;
  /** Column names: the numeric feature's name, or `name=category` (the code when categories are not named). */
  columns: string[];
}

/**
 * Numeric features copied, categorical features one-hot over all their codes (code 0, unseen or
 * missing, included), in schema order.
 *
 * @example
 * const data = await loadBenchmarkDataset('adult');
 * const raw = rawFeatures(data.train, data.schema); // 6 numeric + one-hot of 8 categoricals
 */
export function rawFeatures(data: TableData, schema: ModelSchema): FeatureMatrix {
  const cards = cardinalities(schema);
  checkTable(data, schema, cards);
  const D = cards.length;
  const offset = new Int32Array(D);
  const columns: string[] = [];
  let dim = 0;
  schema.features.forEach((f, j) => {
    offset[j] = dim;
    if (cards[j] === 0) {
      columns.push(f.name);
      dim += 1;
    } else {
      const names = Array.isArray(f.categories) ? f.categories : null;
      for (let c = 0; c < cards[j]; c++) columns.push(`${f.name}=${names ? names[c] : c}`);
      dim += cards[j];
    }
  });
  const rows = data.rows;
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < D; j++) {
      const v = data.x[r * D + j];
      if (cards[j] === 0) x[r * dim + offset[j]] = v;
      else x[r * dim + offset[j] + v] = 1;
    }
  }
  return { rows, dim, x, columns };
}
