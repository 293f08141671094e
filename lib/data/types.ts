// The shapes that cross the data layer's boundaries: the raw table read from a source, the schema
// and encoded table handed to the model, the embedder the streaming embed writes against, and the
// one error class for bad data (option mistakes use the TypeError/RangeError of lib/validate.ts).

/** One column as read, before any fitting. Every source (CSV, rows, columns, Arrow) lands here. */
/** Numeric scalings of the preprocessor (PreprocessOptions.scaling). */
export type Scaling = 'minmax' | 'standard' | 'quantile' | 'log';

export interface RawColumn {
  readonly name: string;
  /**
   * num (rows): the cell as a number where it is one (a number value, or text that is a plain
   * decimal number); NaN where the cell is text or empty. ±Infinity is kept so it can be reported.
   */
  readonly num: Float64Array;
  /**
   * text (rows): the cell's text where it is not a plain number (category names, missing-value
   * tokens such as '' or '?', bad values); undefined elsewhere. null when no cell of the column
   * holds text. A cell with `num` NaN and no text is missing (null, undefined, NaN, Arrow null).
   */
  readonly text: (string | undefined)[] | null;
}

/** A table as read from a source: named columns of equal length, nothing fitted yet. */
export interface RawTable {
  readonly rows: number;
  readonly columns: RawColumn[];
  /** Where the rows came from, for messages: a file path, 'a stream', 'the rows array'. */
  readonly source: string;
  /** lines (rows): the 1-based file line on which each row ends (CSV input only), for messages. */
  readonly lines?: Int32Array;
  /** How many rows of the same input came before this table (streamed batches); 0 otherwise. */
  readonly rowOffset: number;
}

/** One feature as the model sees it. */
export interface FeatureSchema {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Categorical only: index = code; code 0 is reserved for unseen or missing values. */
  categories?: string[];
}

/** The label column: a class index (classification) or a number (regression). */
export interface TargetSchema {
  name: string;
  task: 'classification' | 'regression';
  /** Classification only: index = class index (the `labels` value). */
  classes?: string[];
}

/** What was fitted on the training rows: the features in model order, and the target. */
export interface Schema {
  features: FeatureSchema[];
  /** The first target column (its values become `EncodedTable.labels`). */
  target?: TargetSchema;
  /** Every target column, in the order given, when there is more than one. */
  targets?: TargetSchema[];
  /** Numeric scaling fitted on the training rows. */
  scaling: Scaling;
  /**
   * Missing-value policy. 'mask': missing cells are flagged in `EncodedTable.missing` and hold
   * the training mean (numeric) or code 0 (categorical) in `x`; the model currently reads those
   * imputed values (using the mask to leave the cells out of the row's tokens is planned). 'impute-mean': no mask; numeric cells hold the training mean, categorical
   * cells code 0.
   */
  missing: 'mask' | 'impute-mean';
  /** What the fit noticed and decided (constant columns, missing values, imputation). */
  warnings: string[];
}

/** A table encoded for the model. D = schema.features.length. */
export interface EncodedTable {
  rows: number;
  features: number;
  /** x (rows, D) row-major: scaled numeric values, or category codes as floats. */
  x: Float32Array;
  /** missing (rows, D): 1 = the cell was missing. Present only under missing = 'mask' when a cell is missing. */
  missing?: Uint8Array;
  /** labels (rows): class index (Int32Array; -1 = missing or a class not seen in training) or value (Float32Array; NaN = missing). */
  labels?: Int32Array | Float32Array;
  /** Class names of `labels` (classification): labelNames[labels[i]]. */
  labelNames?: string[];
  /** Cells per categorical column whose category the training rows did not have (encoded as code 0); absent when there are none. */
  unseen?: Record<string, number>;
  /** With several target columns: the labels of each, in schema.targets order (labels === targetLabels[0]). */
  targetLabels?: Array<Int32Array | Float32Array>;
}

/** What an embedder returns for one batch of `rows` rows. */
export interface EmbedBatchResult {
  /** embeddings (rows, embeddingDim) row-major. */
  embeddings: Float32Array;
  /** uncertainty (rows): the mean posterior standard deviation of each row. */
  uncertainty: Float32Array;
  /** uncertaintyP90 (rows): the 90th percentile of the posterior standard deviations of each row. */
  uncertaintyP90: Float32Array;
  /** contextSummary (rows, pool * d), when asked for: Var-T-JEPA's pooled context summary. */
  contextSummary?: Float32Array;
}

/** The model side of the streaming embed (a VarTJepa is one). */
export interface Embedder {
  readonly embeddingDim: number;
  /**
   * Embeds `batch.rows` rows of `batch.x` (rows, D) as in EncodedTable.x into `out`, arrays the
   * caller owns and reuses for the next batch: embeddings (rows, embeddingDim), uncertainty and
   * uncertaintyP90 (rows). `batch.missing` (rows, D) flags missing cells when the batch has any.
   */
  embedInto(batch: { x: Float32Array; rows: number; missing?: Uint8Array }, out: EmbedBatchResult): Promise<void>;
}

/** Machine-readable kinds of bad data. */
export type DataErrorCode =
  | 'FILE_NOT_FOUND'
  | 'NOT_A_FILE'
  | 'FILE_UNREADABLE'
  | 'EMPTY_INPUT'
  | 'NO_ROWS'
  | 'BAD_GZIP'
  | 'BAD_UTF8'
  | 'BAD_CSV'
  | 'RAGGED_ROW'
  | 'DUPLICATE_COLUMN'
  | 'UNKNOWN_COLUMN'
  | 'HEADER_MISMATCH'
  | 'NOT_NUMERIC'
  | 'UNSEEN_CATEGORY'
  | 'NOT_FINITE'
  | 'TOO_MANY_CATEGORIES'
  | 'MISSING_LABEL'
  | 'NO_FEATURES'
  | 'BAD_VALUE'
  | 'BAD_STATE'
  | 'DATA_NOT_FOUND'
  | 'OUTPUT_FAILED';

/** Bad data (not a bad option): the message names the file, row and column where it can. */
export class DataError extends Error {
  readonly code: DataErrorCode;
  constructor(code: DataErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
    this.code = code;
  }
}

/** 'row 17 (line 18) of data.csv' for messages; i is the index within `t`. */
export function rowRef(t: RawTable, i: number): string {
  const line = t.lines ? ` (line ${t.lines[i]})` : '';
  return `row ${t.rowOffset + i + 1}${line} of ${t.source}`;
}
