// The data layer: tables in (CSV, gzip, rows, columns, Arrow), schema and preprocessing fitted on
// training rows, seeded splits, the streaming embed, and the paper's benchmark tables.
export { DataError } from './types';
export type { RawColumn, RawTable, FeatureSchema, TargetSchema, Schema, EncodedTable, Embedder, EmbedBatchResult, DataErrorCode } from './types';
export { detectDelimiter, DELIMITER_CANDIDATES } from './csv';
export type { CsvOptions, CsvSource } from './csv';
export { readTable, tableFromRows, tableFromColumns, tableFromArrow } from './sources';
export type { TableInput, ReadOptions, ArrowTableLike } from './sources';
export { PREPROCESS_DEFAULTS } from './schema';
export type { PreprocessOptions, ColumnKind, Scaling, MissingPolicy, Task } from './schema';
export { fitPreprocessor, Preprocessor, UNSEEN_CATEGORY } from './preprocess';
export type { TransformOptions } from './preprocess';
export type { PreprocessorState, FeatureState, NumericState, CategoricalState, TargetState } from './state';
export { splitRows, prepareDataset, SPLIT_DEFAULTS } from './split';
export type { SplitOptions, Split, PrepareOptions, PreparedData } from './split';
export { embedStream, EMBED_STREAM_DEFAULTS } from './stream';
export type { EmbedStreamOptions, EmbedStreamResult } from './stream';
export { EMBEDDING_FORMATS, readF32Embeddings } from './writers';
export type { EmbeddingFormat } from './writers';
export { loadBenchmarkDataset, BENCHMARK_DATASETS, BENCHMARK_DATASET_NAMES } from './benchmark-datasets';
export type { BenchmarkDatasetName, BenchmarkDatasetInfo, BenchmarkDataset, BenchmarkLoadOptions } from './benchmark-datasets';
