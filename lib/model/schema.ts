// The feature schema a model is built for: names, numeric or categorical, category counts.
import { integer, invalid } from '../validate';

/** One feature of a table. Categorical codes are 0..categories-1 (code 0: unseen/missing). */
export interface FeatureSpec {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Category count including code 0 (a number >= 2), or the category names (index = code). */
  categories?: number | string[];
}

/** The features a model reads, in column order of its input matrix. */
export interface ModelSchema {
  features: FeatureSpec[];
}

/** Rows of a table as the model reads them: x (rows, D) row-major, numeric values already scaled, category codes as numbers. */
export interface TableData {
  x: Float32Array;
  rows: number;
}

/** Category count per feature, 0 for numeric features. */
export function cardinalities(schema: ModelSchema, path = 'schema'): Int32Array {
  if (typeof schema !== 'object' || schema === null || !Array.isArray(schema.features)) {
    throw invalid(`${path}.features`, 'an array of features', (schema as ModelSchema | null)?.features, 'type');
  }
  if (schema.features.length < 2) throw invalid(`${path}.features`, 'at least 2 features', schema.features);
  const out = new Int32Array(schema.features.length);
  const seen = new Set<string>();
  schema.features.forEach((f, j) => {
    const p = `${path}.features[${j}]`;
    if (typeof f?.name !== 'string' || f.name.length === 0) throw invalid(`${p}.name`, 'a non-empty string', f?.name, 'type');
    if (seen.has(f.name)) throw new RangeError(`Duplicate feature name '${f.name}' at ${p}.name`);
    seen.add(f.name);
    if (f.kind === 'numeric') {
      out[j] = 0;
    } else if (f.kind === 'categorical') {
      const c = Array.isArray(f.categories) ? f.categories.length : f.categories;
      out[j] = integer(`${p}.categories`, c, 2, 1_000_000);
    } else {
      throw invalid(`${p}.kind`, "one of 'numeric', 'categorical'", f?.kind, typeof f?.kind === 'string' ? 'range' : 'type');
    }
  });
  return out;
}

/** Checks a table against the schema: shape, finite numeric values, category codes in range. */
export function checkTable(data: TableData, schema: ModelSchema, cards: Int32Array, path = 'data'): void {
  if (typeof data !== 'object' || data === null) throw invalid(path, 'an object { x: Float32Array, rows }', data, 'type');
  if (!(data.x instanceof Float32Array)) throw invalid(`${path}.x`, 'a Float32Array', data.x, 'type');
  const rows = integer(`${path}.rows`, data.rows, 1, 2 ** 31 - 1);
  const D = cards.length;
  if (data.x.length !== rows * D) {
    throw new RangeError(`Expected ${path}.x to hold rows * features = ${rows} * ${D} = ${rows * D} values but received ${data.x.length}`);
  }
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < D; j++) {
      const v = data.x[r * D + j];
      if (cards[j] > 0) {
        if (!(Number.isInteger(v) && v >= 0 && v < cards[j])) {
          throw new RangeError(`Expected a category code in [0, ${cards[j]}) for ${path}.x at row ${r}, feature '${schema.features[j].name}' but received ${v}`);
        }
      } else if (!Number.isFinite(v)) {
        throw new RangeError(`Expected a finite value for ${path}.x at row ${r}, feature '${schema.features[j].name}' but received ${v}`);
      }
    }
  }
}

/** Builds TableData from an array of rows (arrays of numbers). */
export function fromRows(rows: ArrayLike<number>[], D: number, path = 'data'): TableData {
  const x = new Float32Array(rows.length * D);
  rows.forEach((r, i) => {
    if (!r || r.length !== D) throw new RangeError(`Expected ${D} values in ${path}[${i}] but received ${r?.length ?? 'none'}`);
    for (let j = 0; j < D; j++) x[i * D + j] = r[j];
  });
  return { x, rows: rows.length };
}
