// Embedding output writers: CSV, JSON lines, raw little-endian float32 with a JSON header, Arrow
// IPC (file or stream format). A file output is written under a temporary name in the same folder
// and renamed on success, so a failed run never leaves a half-written file behind.
import { once } from 'events';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { DataError, EmbedBatchResult } from './types';

/** Output formats of the streaming embed. */
export type EmbeddingFormat = 'csv' | 'jsonl' | 'f32' | 'arrow' | 'arrow-stream';
export const EMBEDDING_FORMATS: readonly EmbeddingFormat[] = ['csv', 'jsonl', 'f32', 'arrow', 'arrow-stream'];

/** The format a file name implies: .csv, .jsonl/.ndjson, .f32, .arrow/.feather (file), .arrows (stream); null otherwise. */
export function formatFromPath(file: string): EmbeddingFormat | null {
  const ext = path.extname(file).toLowerCase();
  const map: Record<string, EmbeddingFormat> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.f32': 'f32', '.arrow': 'arrow', '.feather': 'arrow', '.arrows': 'arrow-stream' };
  return map[ext] ?? null;
}

/** Writes embedding batches in one format; `finish` completes the output, `abort` removes it. */
export interface EmbeddingWriter {
  readonly format: EmbeddingFormat;
  /** `ids`: the key column's text for each row, when the writer was opened with a key. */
  write(batch: EmbedBatchResult, rows: number, ids?: string[]): Promise<void>;
  finish(): Promise<number>;
  abort(): Promise<void>;
}

/** Drops trailing zeros of the digits ('0.5000000' -> '0.5', '12.00' -> '12', '1.000000e-7' -> '1e-7'). */
function trimZeros(s: string): string {
  const e = s.indexOf('e');
  if (e >= 0) return trimZeros(s.slice(0, e)) + s.slice(e);
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/**
 * Decimal text that reads back as the same float32: the first of 7, 8, 9 significant digits that
 * round-trips (9 always does), trailing zeros dropped; 'NaN' / 'Infinity' for non-finite values.
 * (Trying 6 digits first, or normalising through String(Number(s)), costs 4x for ~nothing.)
 */
export function f32Text(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  let s = v.toPrecision(7);
  if (Math.fround(+s) !== v) {
    s = v.toPrecision(8);
    if (Math.fround(+s) !== v) s = v.toPrecision(9);
  }
  return trimZeros(s);
}

/** Byte sink over a Writable: waits on back-pressure and surfaces the stream's error. */
class Sink {
  private failure: Error | null = null;
  private readonly onError = (err: Error): void => {
    this.failure ??= err;
  };
  constructor(readonly ws: Writable) {
    ws.on('error', this.onError);
  }
  /** Stops listening: only for a caller-owned stream, which outlives the writer (our own file streams keep the listener to the end). */
  release(): void {
    this.ws.off('error', this.onError);
  }
  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.ws.write(chunk)) {
      // wait for drain or close, then remove both listeners (a bare once() race leaves the
      // loser's listeners behind on every back-pressure wait)
      const ac = new AbortController();
      const settle = (p: Promise<unknown>) => p.catch(() => undefined);
      await Promise.race([settle(once(this.ws, 'drain', { signal: ac.signal })), settle(once(this.ws, 'close', { signal: ac.signal }))]);
      ac.abort();
      if (this.failure) throw this.failure;
    }
  }
  check(): void {
    if (this.failure) throw this.failure;
  }
}

function outputError(err: unknown, file: string): DataError {
  if (err instanceof DataError) return err;
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOENT: `the folder '${path.dirname(file)}' does not exist`,
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is a file, not a directory',
    ENOSPC: 'the disk is full',
  };
  return new DataError('OUTPUT_FAILED', `Cannot write '${file}': ${why[e.code ?? ''] ?? e.message}`, { cause: err });
}

/** A temporary file next to `file`, renamed over it on success. */
class TempFile {
  readonly tmp: string;
  readonly ws: fs.WriteStream;
  private constructor(readonly file: string) {
    const base = path.basename(file);
    this.tmp = path.join(path.dirname(file), `.${base}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
    this.ws = fs.createWriteStream(this.tmp, { flags: 'wx' });
  }
  static async open(file: string): Promise<TempFile> {
    const st = await fs.promises.stat(file).catch(() => null);
    if (st?.isDirectory()) throw outputError(Object.assign(new Error('is a directory'), { code: 'EISDIR' }), file);
    const t = new TempFile(file);
    try {
      await once(t.ws, 'open');
    } catch (err) {
      throw outputError(err, file);
    }
    return t;
  }
  async close(): Promise<void> {
    if (this.ws.closed) return;
    const closed = once(this.ws, 'close');
    this.ws.end();
    await closed;
  }
  async commit(): Promise<void> {
    try {
      await this.close();
      await fs.promises.rename(this.tmp, this.file);
    } catch (err) {
      await this.discard();
      throw outputError(err, this.file);
    }
  }
  async discard(): Promise<void> {
    this.ws.destroy();
    if (!this.ws.closed) await once(this.ws, 'close').catch(() => undefined);
    await fs.promises.unlink(this.tmp).catch(() => undefined);
  }
}

const F32_MAGIC = 'varjepa-embeddings-f32';

function f32Header(rows: number | null, dim: number): string {
  const body = (r: number | null): string =>
    JSON.stringify({ format: F32_MAGIC, version: 1, dtype: 'float32', endian: 'little', layout: 'row-major', rows: r, embeddingDim: dim, rowFloats: dim + 2, columns: ['embedding', 'uncertainty', 'uncertaintyP90'] });
  const size = Math.ceil((body(1e15).length + 24) / 64) * 64; // room for any row count and headerBytes
  const text = body(rows).slice(0, -1) + `,"headerBytes":${size}}`;
  return text.padEnd(size - 1, ' ') + '\n';
}

/** Reads a float32 embedding file written by the 'f32' format. */
export async function readF32Embeddings(file: string): Promise<{ rows: number; embeddingDim: number; embeddings: Float32Array; uncertainty: Float32Array; uncertaintyP90: Float32Array }> {
  const buf = await fs.promises.readFile(file);
  const nl = buf.indexOf(0x0a);
  let header: { format?: string; headerBytes?: number; embeddingDim?: number; rows?: number | null };
  try {
    header = JSON.parse(buf.subarray(0, nl).toString('utf8'));
  } catch {
    throw new DataError('BAD_VALUE', `'${file}' does not start with a JSON header line`);
  }
  if (header.format !== F32_MAGIC || nl + 1 !== header.headerBytes) throw new DataError('BAD_VALUE', `'${file}' is not a varjepa float32 embedding file`);
  const d = header.embeddingDim!;
  const data = buf.subarray(header.headerBytes);
  const rows = header.rows ?? data.length / 4 / (d + 2);
  if (data.length !== rows * (d + 2) * 4) throw new DataError('BAD_VALUE', `'${file}' holds ${data.length} data bytes, not ${rows} rows of ${d + 2} float32`);
  const all = new Float32Array(rows * (d + 2));
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < all.length; i++) all[i] = dv.getFloat32(i * 4, true);
  const embeddings = new Float32Array(rows * d);
  const uncertainty = new Float32Array(rows);
  const uncertaintyP90 = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    embeddings.set(all.subarray(r * (d + 2), r * (d + 2) + d), r * d);
    uncertainty[r] = all[r * (d + 2) + d];
    uncertaintyP90[r] = all[r * (d + 2) + d + 1];
  }
  return { rows, embeddingDim: d, embeddings, uncertainty, uncertaintyP90 };
}

/** A CSV field, quoted when it holds a delimiter, quote or line break. */
function csvField(t: string): string {
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

function encodeRows(format: 'csv' | 'jsonl' | 'f32', b: EmbedBatchResult, rows: number, d: number, key?: { name: string; ids: string[] }): string | Uint8Array {
  const { embeddings: e, uncertainty: u, uncertaintyP90: p } = b;
  if (format === 'f32') {
    const out = new Float32Array(rows * (d + 2));
    for (let r = 0; r < rows; r++) {
      out.set(e.subarray(r * d, r * d + d), r * (d + 2));
      out[r * (d + 2) + d] = u[r];
      out[r * (d + 2) + d + 1] = p[r];
    }
    const bytes = new Uint8Array(out.buffer);
    if (os.endianness() === 'BE') {
      const dv = new DataView(out.buffer);
      for (let i = 0; i < out.length; i++) dv.setFloat32(i * 4, out[i], true);
    }
    return bytes;
  }
  const lines: string[] = [];
  const row: string[] = new Array(d);
  for (let r = 0; r < rows; r++) {
    if (format === 'csv') {
      for (let k = 0; k < d; k++) row[k] = f32Text(e[r * d + k]);
      lines.push(`${key ? `${csvField(key.ids[r])},` : ''}${row.join(',')},${f32Text(u[r])},${f32Text(p[r])}\n`);
    } else {
      const json = (v: number): string => (Number.isFinite(v) ? f32Text(v) : 'null');
      for (let k = 0; k < d; k++) row[k] = json(e[r * d + k]);
      lines.push(`{${key ? `${JSON.stringify(key.name)}:${JSON.stringify(key.ids[r])},` : ''}"embedding":[${row.join(',')}],"uncertainty":${json(u[r])},"uncertaintyP90":${json(p[r])}}\n`);
    }
  }
  return lines.join('');
}

/**
 * Opens a writer. `output` is a file path (written via a temporary file, renamed on success) or a
 * Writable the caller owns (not ended here). The f32 header carries the row count for files and
 * `rows: null` for streams (the reader then counts rows from the length).
 */
export async function openEmbeddingWriter(output: string | NodeJS.WritableStream, format: EmbeddingFormat, d: number, options: { key?: string } = {}): Promise<EmbeddingWriter> {
  const keyName = options.key;
  if (keyName !== undefined && format === 'f32') throw new DataError('BAD_VALUE', `The f32 format holds numbers only, so it cannot carry the key column '${keyName}': write csv, jsonl, arrow or arrow-stream`);
  const temp = typeof output === 'string' ? await TempFile.open(output) : null;
  const ws = (temp ? temp.ws : output) as Writable;
  const sink = new Sink(ws);
  let rows = 0;
  const label = typeof output === 'string' ? output : 'the output stream';
  const fail = (err: unknown): DataError => (err instanceof DataError ? err : temp ? outputError(err, temp.file) : new DataError('OUTPUT_FAILED', `Cannot write ${label}: ${(err as Error).message}`, { cause: err }));
  const abort = async (): Promise<void> => {
    if (temp) await temp.discard();
    else sink.release();
  };

  if (format === 'arrow' || format === 'arrow-stream') return arrowWriter(format, ws, sink, temp, d, fail, abort, keyName);

  try {
    if (format === 'csv') await sink.write([...(keyName !== undefined ? [csvField(keyName)] : []), ...Array.from({ length: d }, (_, k) => `e${k}`), 'uncertainty', 'uncertainty_p90'].join(',') + '\n');
    if (format === 'f32') await sink.write(f32Header(temp ? 0 : null, d));
  } catch (err) {
    await abort();
    throw fail(err);
  }
  return {
    format,
    async write(batch, n, ids) {
      try {
        await sink.write(encodeRows(format, batch, n, d, keyName !== undefined ? { name: keyName, ids: ids! } : undefined));
        rows += n;
      } catch (err) {
        throw fail(err);
      }
    },
    async finish() {
      try {
        sink.check();
        if (!temp) {
          sink.release();
          return rows;
        }
        await temp.close();
        sink.check();
        if (format === 'f32') {
          const fh = await fs.promises.open(temp.tmp, 'r+');
          try {
            await fh.write(f32Header(rows, d), 0, 'utf8');
          } finally {
            await fh.close();
          }
        }
        await temp.commit();
        return rows;
      } catch (err) {
        await abort();
        throw fail(err);
      }
    },
    abort,
  };
}

type ArrowModule = typeof import('apache-arrow');

async function arrowWriter(
  format: 'arrow' | 'arrow-stream',
  ws: Writable,
  sink: Sink,
  temp: TempFile | null,
  d: number,
  fail: (err: unknown) => DataError,
  abort: () => Promise<void>,
  keyName?: string,
): Promise<EmbeddingWriter> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const A = require('apache-arrow') as ArrowModule;
  const item = new A.Field('item', new A.Float32(), false);
  const embType = new A.FixedSizeList(d, item);
  const fields = [
    ...(keyName !== undefined ? [new A.Field(keyName, new A.Utf8(), true)] : []),
    new A.Field('embedding', embType, false),
    new A.Field('uncertainty', new A.Float32(), false),
    new A.Field('uncertainty_p90', new A.Float32(), false),
  ];
  const schema = new A.Schema(fields);
  const W = format === 'arrow' ? A.RecordBatchFileWriter : A.RecordBatchStreamWriter;
  const duplex = W.throughNode({ autoDestroy: true });
  let failure: Error | null = null;
  duplex.on('error', (err: Error) => (failure ??= err));
  duplex.on('data', (chunk: Uint8Array) => {
    if (!ws.write(chunk)) {
      duplex.pause();
      ws.once('drain', () => duplex.resume());
    }
  });
  const ended = once(duplex, 'end');
  let rows = 0;
  let batches = 0;
  const batchOf = (e: Float32Array, u: Float32Array, p: Float32Array, n: number, ids?: string[]) => {
    const f32 = (data: Float32Array) => A.makeData({ type: new A.Float32(), data });
    const emb = A.makeData({ type: embType, length: n, nullCount: 0, child: f32(e) });
    const key = keyName !== undefined ? [A.vectorFromArray(ids ?? [], new A.Utf8()).data[0]] : [];
    return new A.RecordBatch(schema, A.makeData({ type: new A.Struct(fields), length: n, nullCount: 0, children: [...key, emb, f32(u), f32(p)] }));
  };
  const push = async (rb: unknown): Promise<void> => {
    if (failure) throw failure;
    sink.check();
    if (!duplex.write(rb)) await Promise.race([once(duplex, 'drain'), ended]);
    batches++;
  };
  return {
    format,
    async write(b, n, ids) {
      try {
        // Copies: the embedder may reuse its buffers, and Arrow serialises later.
        await push(batchOf(b.embeddings.slice(0, n * d), b.uncertainty.slice(0, n), b.uncertaintyP90.slice(0, n), n, ids));
        rows += n;
      } catch (err) {
        throw fail(err);
      }
    },
    async finish() {
      try {
        if (batches === 0) await push(batchOf(new Float32Array(0), new Float32Array(0), new Float32Array(0), 0));
        duplex.end();
        await ended;
        if (failure) throw failure;
        sink.check();
        if (!temp) {
          sink.release();
          return rows;
        }
        await temp.close();
        sink.check();
        await temp.commit();
        return rows;
      } catch (err) {
        await abort();
        throw fail(err);
      }
    },
    async abort() {
      duplex.destroy();
      await abort();
    },
  };
}
