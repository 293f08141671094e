// The streaming embed: read a table in batches, encode each with a fitted preprocessor, embed it
// with the model into one set of output buffers reused for every batch, write the embeddings and
// uncertainties out. Memory holds one batch at a time, however large the input.
import { Preprocessor, PreprocessorState } from './preprocess';
import { listColumns } from './schema';
import { readBatches, ReadOptions, TableInput } from './sources';
import { DataError, Embedder, EmbedBatchResult, RawTable } from './types';
import { EMBEDDING_FORMATS, EmbeddingFormat, formatFromPath, openEmbeddingWriter } from './writers';
import { integer, invalid, oneOf } from '../validate';
import { meanOverFeatures } from '../model/pool';

/** Options of {@link embedStream}. */
export interface EmbedStreamOptions extends ReadOptions {
  /** The fitted preprocessor (or its JSON form); default: `embedder.preprocessor` when the embedder carries one. */
  preprocessor?: Preprocessor | PreprocessorState;
  /** Output format; default: from the output file's extension (.csv, .jsonl, .f32, .arrow, .arrows). Required for a stream output. */
  format?: EmbeddingFormat;
  /** Rows per embedInto call, 1..65536; default 1024. */
  batchSize?: number;
  /** Stops the run between batches; the output file is then removed. */
  signal?: AbortSignal;
  /** Called after each batch with the rows written so far. */
  onProgress?: (rowsDone: number) => void;
  /** 'features' (default): the D * d values a row; 'mean': their mean over the D features (d values); 'context': Var-T-JEPA's pooled context summary (pool * d values). */
  pool?: 'features' | 'mean' | 'context';
  /** A column of the source (an id or key, feature or not) written first in every output row, so rows can be joined back; not with 'f32'. */
  key?: string;
  /** A category the training rows did not have: 'warn' (default: counted in the result's `unseen`) or 'error'. */
  unseen?: 'warn' | 'error';
}

/** Defaults of {@link EmbedStreamOptions}. */
export const EMBED_STREAM_DEFAULTS = { batchSize: 1024 };

/** What a streaming embed did. */
export interface EmbedStreamResult {
  rows: number;
  batches: number;
  format: EmbeddingFormat;
  embeddingDim: number;
  /** The output file, or null for a stream output. */
  output: string | null;
  /** Cells per categorical column whose category the training rows did not have; absent when none. */
  unseen?: Record<string, number>;
}

function checkEmbedder(embedder: Embedder): number {
  if (embedder === null || typeof embedder !== 'object') throw invalid('embedder', 'an object with embeddingDim and embedInto()', embedder, 'type');
  if (typeof embedder.embedInto !== 'function') throw invalid('embedder.embedInto', 'a function', embedder.embedInto, 'type');
  return integer('embedder.embeddingDim', embedder.embeddingDim, 1, 1 << 20);
}

/** The first `rows` rows of the reused output buffers. */
function outputRows(buf: EmbedBatchResult, rows: number, d: number): EmbedBatchResult {
  return { embeddings: buf.embeddings.subarray(0, rows * d), uncertainty: buf.uncertainty.subarray(0, rows), uncertaintyP90: buf.uncertaintyP90.subarray(0, rows) };
}

function resolvePreprocessor(options: EmbedStreamOptions, embedder: Embedder): Preprocessor {
  const p = options.preprocessor ?? (embedder as Embedder & { preprocessor?: Preprocessor }).preprocessor;
  if (p === undefined) throw invalid('options.preprocessor', 'a fitted Preprocessor or its JSON form (the embedder carries none)', p, 'type');
  return p instanceof Preprocessor ? p : Preprocessor.fromJSON(p);
}

/**
 * Embeds every row of `source` and writes the embeddings and per-row uncertainties to `output`
 * (a file path, written under a temporary name and renamed on success, or a Writable the caller
 * owns). The header is checked against the fitted schema before anything is written. On any
 * error or abort the output file is removed and the error is thrown.
 *
 * @example
 * await embedStream('big.csv.gz', model, 'big.f32', { preprocessor: model.preprocessor });
 */
export async function embedStream(source: TableInput, embedder: Embedder, output: string | NodeJS.WritableStream, options: EmbedStreamOptions = {}): Promise<EmbedStreamResult> {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options, 'type');
  const full = checkEmbedder(embedder);
  const prep = resolvePreprocessor(options, embedder);
  const pool = oneOf('options.pool', options.pool ?? 'features', ['features', 'mean', 'context'] as const);
  const onUnseen = oneOf('options.unseen', options.unseen ?? 'warn', ['warn', 'error'] as const);
  const D = prep.featureNames.length;
  const summary = (embedder as Embedder & { contextSummaryDim?: number }).contextSummaryDim;
  if (pool === 'context' && summary === undefined) throw new RangeError("options.pool 'context' needs a Var-T-JEPA model (its pooled context summary); this embedder has none");
  const d = pool === 'mean' ? full / D : pool === 'context' ? summary! : full;
  if (options.key !== undefined && typeof options.key !== 'string') throw invalid('options.key', 'a column name', options.key, 'type');
  const batchSize = integer('options.batchSize', options.batchSize ?? EMBED_STREAM_DEFAULTS.batchSize, 1, 65536);
  const isFile = typeof output === 'string';
  if (!isFile && (output === null || typeof output !== 'object' || typeof (output as NodeJS.WritableStream).write !== 'function')) {
    throw invalid('output', 'a file path or a writable stream', output, 'type');
  }
  let format: EmbeddingFormat;
  if (options.format !== undefined) format = oneOf('options.format', options.format, EMBEDDING_FORMATS);
  else {
    const guessed = isFile ? formatFromPath(output) : null;
    if (!guessed) {
      const what = isFile ? `the extension of '${output}' names no format` : 'a stream output has no extension';
      throw invalid('options.format', `one of ${EMBEDDING_FORMATS.map((f) => `'${f}'`).join(', ')} (${what})`, options.format, 'type');
    }
    format = guessed;
  }
  const signal = options.signal;
  if (signal?.aborted) throw signal.reason;
  const features = prep.featureNames;

  const batches = readBatches(source, { delimiter: options.delimiter, columns: options.columns }, batchSize);
  let writer: Awaited<ReturnType<typeof openEmbeddingWriter>> | null = null;
  // one set of output buffers for every batch (a batch holds at most batchSize rows)
  let buf: EmbedBatchResult | null = null;
  let rows = 0;
  let calls = 0;
  const unseen: Record<string, number> = {};
  try {
    for await (const batch of batches) {
      if (!writer) {
        const names = new Set(batch.columns.map((c) => c.name));
        const absent = features.filter((f) => !names.has(f));
        if (absent.length > 0) {
          throw new DataError(
            'HEADER_MISMATCH',
            `The header of ${batch.source} does not match the fitted schema: ${listColumns(absent)} ${absent.length === 1 ? 'is' : 'are'} missing (its columns are ${listColumns([...names])})`,
          );
        }
        if (options.key !== undefined && !names.has(options.key)) throw new DataError('UNKNOWN_COLUMN', `The key column '${options.key}' is not in ${batch.source} (its columns are ${listColumns([...names])})`);
        writer = await openEmbeddingWriter(output, format, d, { key: options.key });
      }
      if (batch.rows === 0) continue;
      const enc = prep.transform(batch, { unseen: onUnseen === 'error' ? 'error' : 'count' });
      for (const [col, n] of Object.entries(enc.unseen ?? {})) unseen[col] = (unseen[col] ?? 0) + n;
      if (!buf || buf.uncertainty.length < enc.rows) {
        const n = Math.max(enc.rows, batchSize);
        buf = { embeddings: new Float32Array(n * full), uncertainty: new Float32Array(n), uncertaintyP90: new Float32Array(n), ...(pool === 'context' ? { contextSummary: new Float32Array(n * d) } : {}) };
      }
      const out = outputRows(buf, enc.rows, full);
      if (buf.contextSummary) out.contextSummary = buf.contextSummary.subarray(0, enc.rows * d);
      await embedder.embedInto({ x: enc.x, rows: enc.rows, missing: enc.missing }, out);
      if (pool === 'mean') meanOverFeatures(out.embeddings, enc.rows, D, d);
      const ids = options.key === undefined ? undefined : keyTexts(batch, options.key);
      const pooled = pool === 'mean' ? out.embeddings.subarray(0, enc.rows * d) : pool === 'context' ? out.contextSummary! : out.embeddings;
      await writer.write({ ...out, embeddings: pooled }, enc.rows, ids);
      rows += enc.rows;
      calls++;
      options.onProgress?.(rows);
      if (signal?.aborted) throw signal.reason;
    }
    if (!writer) writer = await openEmbeddingWriter(output, format, d, { key: options.key });
    await writer.finish();
  } catch (err) {
    if (writer) await writer.abort();
    throw err;
  } finally {
    await batches.return(undefined);
  }
  return { rows, batches: calls, format, embeddingDim: d, output: isFile ? output : null, ...(Object.keys(unseen).length ? { unseen } : {}) };
}

/** The key column's cells as text (a number as JavaScript writes it, a missing cell as ''). */
function keyTexts(batch: RawTable, key: string): string[] {
  const col = batch.columns.find((c) => c.name === key)!;
  return Array.from({ length: batch.rows }, (_, i) => col.text?.[i] ?? (Number.isNaN(col.num[i]) ? '' : String(col.num[i])));
}
