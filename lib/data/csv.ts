// CSV bytes to batches of records: open a file (or take a stream or buffer), gunzip when the bytes
// start with the gzip magic, check the bytes are UTF-8, and parse with csv-parse (quoted fields,
// embedded newlines and delimiters, a BOM). Every failure becomes a DataError naming the source.
import * as fs from 'fs';
import { isUtf8 } from 'buffer';
import { Readable, Transform, TransformCallback, pipeline } from 'stream';
import * as zlib from 'zlib';
import { CsvError, Parser } from 'csv-parse';
import { DataError } from './types';

/** How CSV text is read. */
export interface CsvOptions {
  /** Field delimiter, one character, or 'auto' (default): detected from the first lines among ',', ';', tab and '|' (see {@link detectDelimiter}). */
  delimiter?: string;
  /** Column names when the input has no header row; default: the first row is the header. */
  columns?: string[];
}

/** CSV bytes: a file path, a readable byte stream, or the bytes themselves. */
export type CsvSource = string | NodeJS.ReadableStream | Uint8Array;

/** A batch of parsed records and the header they belong to. */
export interface RecordBatch {
  header: string[];
  /** records (rows, header.length): field text. */
  records: string[][];
  /** lines (rows): the 1-based line on which each record ends. */
  lines: number[];
  /** Records of the input before this batch. */
  rowOffset: number;
}

/** A name for the source in messages. */
export function describeSource(source: CsvSource): string {
  if (typeof source === 'string') return `'${source}'`;
  if (source instanceof Uint8Array) return 'the CSV buffer';
  return 'the input stream';
}

/** A file-system error as a DataError that says what to do. */
export function fileError(err: NodeJS.ErrnoException, file: string): DataError {
  switch (err.code) {
    case 'ENOENT':
      return new DataError('FILE_NOT_FOUND', `No such file: '${file}'`, { cause: err });
    case 'EISDIR':
      return new DataError('NOT_A_FILE', `'${file}' is a directory, not a file`, { cause: err });
    case 'ENOTDIR':
      return new DataError('FILE_UNREADABLE', `Cannot read '${file}': a part of the path is a file, not a directory`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new DataError('FILE_UNREADABLE', `Permission denied reading '${file}': check the file's permissions`, { cause: err });
    default:
      return new DataError('FILE_UNREADABLE', `Cannot read '${file}': ${err.message}`, { cause: err });
  }
}

async function openBytes(source: CsvSource): Promise<Readable> {
  if (source instanceof Uint8Array) {
    if (source.byteLength === 0) throw emptyError(describeSource(source));
    return Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]);
  }
  if (typeof source !== 'string') return source as Readable;
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(source, 'r');
  } catch (err) {
    throw fileError(err as NodeJS.ErrnoException, source);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new DataError('NOT_A_FILE', `'${source}' is a directory, not a file`);
    if (st.isFile() && st.size === 0) throw emptyError(`'${source}'`);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh.createReadStream({ highWaterMark: 1 << 16 });
}

function emptyError(label: string): DataError {
  return new DataError('EMPTY_INPUT', `${label} is empty: expected a header row and data rows`);
}

/** Reads up to n bytes from the front of a paused stream and puts them back. */
async function peek(rs: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const chunk = rs.read() as Buffer | string | null;
    if (chunk !== null) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      parts.push(b);
      len += b.length;
      continue;
    }
    if (rs.readableEnded || rs.destroyed) break;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        rs.off('readable', done).off('end', done).off('error', fail);
        resolve();
      };
      const fail = (err: Error): void => {
        rs.off('readable', done).off('end', done).off('error', fail);
        reject(err);
      };
      rs.on('readable', done).on('end', done).on('error', fail);
    });
  }
  const head = Buffer.concat(parts);
  if (head.length > 0) rs.unshift(head);
  return head;
}

/** Bytes that begin an unfinished UTF-8 sequence at the end of b (0..3). */
function unfinishedTail(b: Buffer): number {
  for (let k = 1; k <= Math.min(3, b.length); k++) {
    const c = b[b.length - k];
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}

/** Index of the first byte of b that is not valid UTF-8 (b is known to be invalid). */
function firstInvalidByte(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) need = 0;
    else if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : (d & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return b.length;
}

/** Passes bytes through unchanged after checking they are UTF-8 (sequences split across chunks allowed). */
class Utf8Check extends Transform {
  private carry = Buffer.alloc(0);
  private offset = 0;
  constructor(private readonly label: string, private readonly gz: boolean) {
    super();
  }
  private fail(at: number): DataError {
    const where = this.gz ? 'of the decompressed text of ' : 'of ';
    return new DataError(
      'BAD_UTF8',
      `Invalid UTF-8 at byte ${at} ${where}${this.label}: the input must be UTF-8 text; convert it first (for example iconv -f latin1 -t utf-8)`,
    );
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const b = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = b.length - unfinishedTail(b);
    const whole = b.subarray(0, cut);
    if (!isUtf8(whole)) return cb(this.fail(this.offset + firstInvalidByte(whole)));
    this.carry = Buffer.from(b.subarray(cut));
    this.offset += cut;
    cb(null, whole);
  }
  override _flush(cb: TransformCallback): void {
    if (this.carry.length && !isUtf8(this.carry)) return cb(this.fail(this.offset));
    cb(null, this.carry.length ? this.carry : undefined);
  }
}

function gzipError(err: Error, label: string): DataError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const what = code === 'Z_BUF_ERROR' ? 'is truncated (unexpected end of the compressed data)' : `is corrupt (${err.message})`;
  return new DataError('BAD_GZIP', `The gzip data of ${label} ${what}`, { cause: err });
}

/** The delimiters 'auto' chooses among, most likely first. */
export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

/**
 * The delimiter of CSV text from its first lines (at most 20): the candidate that splits the header
 * into the most fields and every following line into as many; if none is that consistent, the
 * one that splits the header most; ',' when none appears. Quoted text is skipped.
 */
export function detectDelimiter(text: string): string {
  const lines: Map<string, number>[] = [];
  let counts = new Map<string, number>();
  let quoted = false;
  const complete = text.length < 65536 ? text.length : text.lastIndexOf('\n');
  for (let i = 0; i < complete && lines.length < 20; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '\n') {
      lines.push(counts);
      counts = new Map();
    } else if (!quoted && (DELIMITER_CANDIDATES as readonly string[]).includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  if (counts.size > 0 && lines.length < 20) lines.push(counts);
  if (lines.length === 0) return ',';
  const header = lines[0];
  const ranked = DELIMITER_CANDIDATES.filter((d) => (header.get(d) ?? 0) > 0).sort((a, b) => (header.get(b) ?? 0) - (header.get(a) ?? 0));
  const consistent = ranked.find((d) => lines.every((l) => (l.get(d) ?? 0) === header.get(d)));
  return consistent ?? ranked[0] ?? ',';
}

/**
 * The first `n` bytes (or more, a whole chunk) of a stream, and a stream of all its bytes from
 * the start again (a stream that has ended cannot take bytes back with unshift).
 */
async function readHead(bytes: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = bytes[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : (r.value as Buffer);
    parts.push(b);
    len += b.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* parts;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
  }
  const stream = Readable.from(all(), { objectMode: false });
  stream.on('close', () => bytes.destroy());
  return { head: Buffer.concat(parts), stream };
}

/** The first 64 KiB of CSV bytes as text, gunzipped when they are gzip. */
function headText(head: Buffer, gz: boolean): string {
  if (!gz) return head.subarray(0, 65536).toString('utf8');
  try {
    return zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, 65536).toString('utf8');
  } catch {
    return ''; // a damaged stream: the parse below reports it
  }
}

/** csv-parse's error codes in plain words, with what to do. */
const CSV_PROBLEMS: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'a quote inside a field that does not start with one; quote the whole field and double the inner quote ("a""b"), or remove it',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed; add the closing quote',
  CSV_INVALID_CLOSING_QUOTE: 'a character follows a closing quote; quote the whole field and double any quote inside it',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a character follows a closing quote; quote the whole field and double any quote inside it',
  CSV_MAX_RECORD_SIZE: 'a record longer than the parser accepts',
};

/** A parse error naming the line, and the column where csv-parse says which field it was in. */
function csvError(err: Error & { code?: string; lines?: number; column?: number | string }, label: string, header: string[] | null): DataError {
  const where = [typeof err.lines === 'number' ? `line ${err.lines}` : '', typeof err.column === 'number' ? `column ${header?.[err.column] !== undefined ? `'${header[err.column]}' ` : ''}(field ${err.column + 1})` : ''].filter(Boolean).join(', ');
  const what = (err.code && CSV_PROBLEMS[err.code]) ?? err.message;
  return new DataError('BAD_CSV', `Cannot parse ${label} as CSV${where ? ` at ${where}` : ''}: ${what}`, { cause: err });
}

/**
 * csv-parse's parser, noting the line each record ends on as it is emitted (csv-parse's own
 * on_record hook builds an info object per record, a third of the parse time on wide tables).
 */
class LineParser extends Parser {
  readonly lines: number[] = [];
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null) this.lines.push(this.info.lines);
    return super.push(chunk, encoding);
  }
}

/**
 * Reads CSV records in batches of up to `batchRows` (bounded memory: one batch plus the parser's
 * buffers). Always yields at least one batch, so a header-only input yields one batch of 0 rows.
 */
export async function* readCsvBatches(source: CsvSource, options: CsvOptions, batchRows: number): AsyncGenerator<RecordBatch> {
  const label = describeSource(source);
  let bytes = await openBytes(source);
  let head: Buffer;
  try {
    head = await peek(bytes, 2);
  } catch (err) {
    bytes.destroy();
    throw typeof source === 'string' ? fileError(err as NodeJS.ErrnoException, source) : err;
  }
  if (head.length === 0) {
    bytes.destroy();
    throw emptyError(label);
  }
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  let delimiter = options.delimiter ?? 'auto';
  let firstLine: string | undefined;  // names the column in a parse error met before the header was read
  if (delimiter === 'auto') {
    const h = await readHead(bytes, 65536).catch((err: NodeJS.ErrnoException) => {
      bytes.destroy();
      throw typeof source === 'string' ? fileError(err, source) : err;
    });
    bytes = h.stream;
    const text = headText(h.head, gz);
    delimiter = detectDelimiter(text);
    firstLine = text.split(/\r?\n/, 1)[0].replace(/^\uFEFF/, '');
  }
  const parser = new LineParser({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true });
  const lines = parser.lines;
  const stages: NodeJS.ReadWriteStream[] = [];
  const unzip = gz ? zlib.createGunzip({ chunkSize: 1 << 16 }) : null;
  if (unzip) stages.push(unzip);
  stages.push(new Utf8Check(label, gz));
  // Errors reach the loop below through the parser, which pipeline destroys with the first error.
  pipeline([bytes, ...stages, parser] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream], () => {});

  let header: string[] | null = options.columns ? options.columns.slice() : null;
  if (header) checkHeader(header, label);
  let records: string[][] = [];
  let batchLines: number[] = [];
  let rowOffset = 0;
  let seen = 0;
  let yielded = false;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = lines[seen++];
      if (seen === lines.length) {
        lines.length = 0;
        seen = 0;
      }
      if (header === null) {
        header = record;
        checkHeader(header, label);
        continue;
      }
      if (record.length !== header.length) {
        throw new DataError(
          'RAGGED_ROW',
          `Row ${rowOffset + records.length + 1} (line ${line}) of ${label} has ${record.length} field${record.length === 1 ? '' : 's'} but the header has ${header.length}`,
        );
      }
      records.push(record);
      batchLines.push(line);
      if (records.length === batchRows) {
        yield { header, records, lines: batchLines, rowOffset };
        yielded = true;
        rowOffset += records.length;
        records = [];
        batchLines = [];
      }
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    const e = err as Error & { code?: string };
    if (unzip && typeof e.code === 'string' && e.code.startsWith('Z_')) throw gzipError(e, label);
    if (e instanceof CsvError || (typeof e.code === 'string' && e.code.startsWith('CSV_'))) throw csvError(e, label, header ?? (firstLine === undefined ? null : firstLine.split(delimiter).map((f) => f.replace(/^"|"$/g, ''))));
    if (typeof source === 'string' && typeof e.code === 'string' && e.code.startsWith('E')) throw fileError(e, source);
    throw err;
  } finally {
    parser.destroy();
    bytes.destroy();
  }
  if (header === null) throw emptyError(label);
  if (records.length > 0 || !yielded) yield { header, records, lines: batchLines, rowOffset };
}

function checkHeader(header: string[], label: string): void {
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new DataError('DUPLICATE_COLUMN', `The header of ${label} names the column '${name}' twice`);
    seen.add(name);
  }
}
