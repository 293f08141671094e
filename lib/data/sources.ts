// Every input becomes a RawTable: CSV (path, stream or bytes; gzip read transparently), an array
// of row objects, an object of columns, an Apache Arrow table. One cell rule for all of them, so
// the same data gives the same table whatever it came in: a number is a number, text that is a
// plain decimal number is that number, other text is kept as text, null/undefined/NaN is missing.
import { CsvOptions, CsvSource, describeSource, readCsvBatches, RecordBatch } from './csv';
import { DataError, RawColumn, RawTable } from './types';
import { integer, invalid } from '../validate';

/** An Apache Arrow table (apache-arrow's `Table`), described by what is read from it. */
export interface ArrowTableLike {
  readonly numRows: number;
  readonly schema: { readonly fields: ReadonlyArray<{ readonly name: string }> };
  getChildAt(index: number): unknown;
}

/** Anything a table can be read from. A string is a CSV file path; a Uint8Array holds CSV bytes. */
export type TableInput =
  | CsvSource
  | ReadonlyArray<Record<string, unknown>>
  | Record<string, ArrayLike<unknown>>
  | ArrowTableLike
  | RawTable;

/** Options of {@link readTable}: how CSV text is read (ignored for other inputs). */
export type ReadOptions = CsvOptions;

/**
 * Text as a number when it is a plain decimal number ('12', '-3.5e2', ' 7 '), else NaN. Rejects
 * what Number() would accept but a table should not: '', hex/binary/octal, 'Infinity' (kept as
 * text so it can be reported). '1e999' gives Infinity, also reported later.
 */
export function parseDecimal(s: string): number {
  const n = s.length;
  if (n === 0) return NaN;
  const c = s.charCodeAt(0);
  const last = s.charCodeAt(n - 1);
  if (c === 32 || c === 9 || last === 32 || last === 9) {
    const t = s.trim();
    return t.length > 0 && t.length < n ? parseDecimal(t) : NaN;
  }
  if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return NaN;
  if (!((last >= 48 && last <= 57) || last === 46)) return NaN;
  if (n > 1 && c === 48) {
    const c1 = s.charCodeAt(1) | 0x20;
    if (c1 === 120 || c1 === 98 || c1 === 111) return NaN; // 0x.., 0b.., 0o..
  }
  return +s;
}

/** Builds one RawColumn cell by cell. */
export class ColumnBuilder {
  private num: Float64Array;
  private text: (string | undefined)[] | null = null;
  private n = 0;
  // One copy of each repeated text (category names repeat): less memory, less GC work.
  private readonly intern = new Map<string, string>();
  constructor(readonly name: string, capacity = 1024) {
    this.num = new Float64Array(Math.max(16, capacity));
  }
  get length(): number {
    return this.n;
  }
  private room(): void {
    if (this.n === this.num.length) {
      const grown = new Float64Array(this.num.length * 2);
      grown.set(this.num);
      this.num = grown;
    }
  }
  /** A number cell; NaN is missing, ±Infinity is kept for reporting. */
  pushNumber(v: number): void {
    this.room();
    this.num[this.n++] = v;
    if (this.text) this.text.push(undefined);
  }
  /** A text cell kept verbatim (no number parsing). */
  pushRawText(s: string): void {
    this.room();
    if (!this.text) this.text = new Array<string | undefined>(this.n).fill(undefined);
    this.num[this.n++] = NaN;
    let kept = this.intern.get(s);
    if (kept === undefined) {
      kept = s;
      if (this.intern.size < 65536) this.intern.set(s, s);
    }
    this.text.push(kept);
  }
  /** A text cell: a number when it is a plain decimal number, else text. */
  pushText(s: string): void {
    const v = parseDecimal(s);
    if (v === v) this.pushNumber(v);
    else this.pushRawText(s);
  }
  /** A JavaScript value; `where` names it for the error on a value of an unsupported type. */
  pushValue(v: unknown, where: () => string): void {
    switch (typeof v) {
      case 'number':
        return this.pushNumber(v);
      case 'string':
        return this.pushText(v);
      case 'boolean':
        return this.pushRawText(v ? 'true' : 'false');
      case 'bigint':
        return this.pushNumber(Number(v));
      case 'undefined':
        return this.pushNumber(NaN);
      default:
        if (v === null) return this.pushNumber(NaN);
        if (v instanceof Date) return this.pushNumber(v.getTime());
        throw invalid(where(), 'a number, string, boolean, bigint, Date or null', v, 'type');
    }
  }
  finish(): RawColumn {
    return { name: this.name, num: this.num.slice(0, this.n), text: this.text };
  }
}

function recordsInto(builders: ColumnBuilder[], batch: RecordBatch): void {
  for (const record of batch.records) {
    for (let j = 0; j < builders.length; j++) builders[j].pushText(record[j]);
  }
}

/** One CSV record batch as a RawTable. */
export function tableFromRecords(batch: RecordBatch, source: string): RawTable {
  const builders = batch.header.map((h) => new ColumnBuilder(h, batch.records.length));
  recordsInto(builders, batch);
  return { rows: batch.records.length, columns: builders.map((b) => b.finish()), source, lines: Int32Array.from(batch.lines), rowOffset: batch.rowOffset };
}

/** An array of row objects as a RawTable: the columns are the keys in order of first appearance; an absent key is a missing cell. */
export function tableFromRows(rows: ReadonlyArray<Record<string, unknown>>, source = 'the rows array'): RawTable {
  if (!Array.isArray(rows)) throw invalid('rows', 'an array of row objects', rows, 'type');
  const index = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw invalid(`rows[${i}]`, 'a row object', row, 'type');
    for (const key of Object.keys(row)) if (!index.has(key)) index.set(key, index.size);
  }
  const names = [...index.keys()];
  const builders = names.map((name) => new ColumnBuilder(name, rows.length));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let j = 0; j < names.length; j++) {
      builders[j].pushValue(row[names[j]], () => `rows[${i}]['${names[j]}']`);
    }
  }
  return { rows: rows.length, columns: builders.map((b) => b.finish()), source, rowOffset: 0 };
}

/** An object of equal-length columns (`{ age: Float64Array, job: string[] }`) as a RawTable. */
export function tableFromColumns(columns: Record<string, ArrayLike<unknown>>, source = 'the columns object'): RawTable {
  if (columns === null || typeof columns !== 'object') throw invalid('columns', 'an object of columns', columns, 'type');
  const names = Object.keys(columns);
  let rows = -1;
  const out: RawColumn[] = [];
  for (const name of names) {
    const col = columns[name];
    if (col === null || typeof col !== 'object' || typeof (col as ArrayLike<unknown>).length !== 'number') {
      throw invalid(`columns['${name}']`, 'an array or typed array', col, 'type');
    }
    if (rows < 0) rows = col.length;
    else if (col.length !== rows) {
      throw new DataError('RAGGED_ROW', `Column '${name}' of ${source} has ${col.length} values but column '${names[0]}' has ${rows}`);
    }
    if (ArrayBuffer.isView(col) && !(col instanceof BigInt64Array) && !(col instanceof BigUint64Array)) {
      out.push({ name, num: Float64Array.from(col as unknown as ArrayLike<number>), text: null });
      continue;
    }
    const b = new ColumnBuilder(name, col.length);
    for (let i = 0; i < col.length; i++) b.pushValue(col[i], () => `columns['${name}'][${i}]`);
    out.push(b.finish());
  }
  return { rows: Math.max(rows, 0), columns: out, source, rowOffset: 0 };
}

interface ArrowVectorLike {
  readonly length: number;
  readonly nullCount: number;
  readonly type: { readonly typeId: number; readonly bitWidth?: number; readonly precision?: number };
  get(i: number): unknown;
  isValid(i: number): boolean;
  toArray(): unknown;
}

// apache-arrow's Type enum values read here (Type.Int, Type.Float) and Precision.HALF.
const ARROW_INT = 2;
const ARROW_FLOAT = 3;
const ARROW_HALF = 0;

/** An Apache Arrow table as a RawTable; numeric vectors are copied in one go, others read cell by cell. */
export function tableFromArrow(table: ArrowTableLike, source = 'the Arrow table'): RawTable {
  const rows = table.numRows;
  const out: RawColumn[] = [];
  table.schema.fields.forEach((field, j) => {
    const vec = table.getChildAt(j) as ArrowVectorLike;
    const { typeId, bitWidth, precision } = vec.type;
    const plainNumbers = (typeId === ARROW_INT && (bitWidth ?? 64) <= 32) || (typeId === ARROW_FLOAT && precision !== ARROW_HALF);
    if (plainNumbers) {
      const num = Float64Array.from(vec.toArray() as ArrayLike<number>);
      if (vec.nullCount > 0) for (let i = 0; i < rows; i++) if (!vec.isValid(i)) num[i] = NaN;
      out.push({ name: field.name, num, text: null });
      return;
    }
    const b = new ColumnBuilder(field.name, rows);
    for (let i = 0; i < rows; i++) b.pushValue(vec.get(i), () => `the Arrow column '${field.name}' row ${i}`);
    out.push(b.finish());
  });
  return { rows, columns: out, source, rowOffset: 0 };
}

/** True for an apache-arrow Table (or anything shaped like one). */
export function isArrowTable(v: unknown): v is ArrowTableLike {
  const t = v as ArrowTableLike;
  return !!t && typeof t === 'object' && typeof t.getChildAt === 'function' && typeof t.numRows === 'number' && Array.isArray(t.schema?.fields);
}

/** True for a table already read (a RawTable). */
export function isRawTable(v: unknown): v is RawTable {
  const t = v as RawTable;
  return !!t && typeof t === 'object' && typeof t.rows === 'number' && typeof t.rowOffset === 'number' && Array.isArray(t.columns) && t.columns.every((c) => c && c.num instanceof Float64Array);
}

function isByteStream(v: unknown): v is NodeJS.ReadableStream {
  return !!v && typeof v === 'object' && typeof (v as NodeJS.ReadableStream).pipe === 'function' && typeof (v as NodeJS.ReadableStream).on === 'function';
}

function isCsvSource(v: unknown): v is CsvSource {
  return typeof v === 'string' || v instanceof Uint8Array || isByteStream(v);
}

/** An in-memory input (RawTable, rows, columns, Arrow table) as a RawTable; CSV sources need {@link readTable}. */
export function asTable(source: TableInput): RawTable {
  if (isCsvSource(source)) throw invalid('source', 'an in-memory table (a RawTable, rows, columns or an Arrow table); read CSV first with await readTable(source)', source, 'type');
  return inMemory(source);
}

function inMemory(source: TableInput): RawTable {
  if (isRawTable(source)) return source;
  if (isArrowTable(source)) return tableFromArrow(source);
  if (Array.isArray(source)) return tableFromRows(source);
  if (source !== null && typeof source === 'object') return tableFromColumns(source as Record<string, ArrayLike<unknown>>);
  throw invalid('source', 'a CSV file path, a byte stream, a Uint8Array of CSV, an array of row objects, an object of columns or an Arrow table', source, 'type');
}

function checkCsvOptions(options: ReadOptions): void {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options, 'type');
  const d = options.delimiter;
  if (d !== undefined && d !== 'auto' && (typeof d !== 'string' || d.length !== 1 || d === '"' || d === '\n' || d === '\r')) {
    throw invalid('options.delimiter', "'auto' or one character other than a quote or a line break", d, typeof d === 'string' ? 'range' : 'type');
  }
  const c = options.columns;
  if (c !== undefined && (!Array.isArray(c) || c.length === 0 || !c.every((x) => typeof x === 'string'))) {
    throw invalid('options.columns', 'a non-empty array of column names', c, 'type');
  }
}

/** Reads a whole table from any input. CSV is parsed as it streams in; gzip is detected by its magic bytes.
 *
 * @example
 * const t1 = await readTable('data.csv.gz');
 * const t2 = await readTable([{ age: 39, job: 'clerk' }, { age: 50, job: 'manager' }]);
 * const t3 = await readTable({ age: new Float64Array([39, 50]), job: ['clerk', 'manager'] });
 */
export async function readTable(source: TableInput, options: ReadOptions = {}): Promise<RawTable> {
  checkCsvOptions(options);
  if (!isCsvSource(source)) return inMemory(source);
  const label = describeSource(source);
  let builders: ColumnBuilder[] | null = null;
  const lines: number[] = [];
  for await (const batch of readCsvBatches(source, options, 8192)) {
    builders ??= batch.header.map((h) => new ColumnBuilder(h, 8192));
    recordsInto(builders, batch);
    for (const l of batch.lines) lines.push(l);
  }
  const cols = (builders ?? []).map((b) => b.finish());
  return { rows: lines.length, columns: cols, source: label, lines: Int32Array.from(lines), rowOffset: 0 };
}

/** Rows start..end of a table, sharing its storage where it can. */
export function sliceTable(t: RawTable, start: number, end: number): RawTable {
  const columns = t.columns.map((c) => ({ name: c.name, num: c.num.subarray(start, end), text: c.text ? c.text.slice(start, end) : null }));
  return { rows: end - start, columns, source: t.source, lines: t.lines?.subarray(start, end), rowOffset: t.rowOffset + start };
}

/** The given rows of a table, in the given order (row numbers in messages stay those of the source only for CSV lines). */
export function takeRows(t: RawTable, rows: ArrayLike<number>): RawTable {
  const n = rows.length;
  for (let i = 0; i < n; i++) integer(`rows[${i}]`, rows[i], 0, t.rows - 1);
  const columns = t.columns.map((c) => {
    const num = new Float64Array(n);
    for (let i = 0; i < n; i++) num[i] = c.num[rows[i]];
    const text = c.text ? Array.from({ length: n }, (_, i) => c.text![rows[i]]) : null;
    return { name: c.name, num, text };
  });
  const lines = t.lines ? Int32Array.from({ length: n }, (_, i) => t.lines![rows[i]]) : undefined;
  return { rows: n, columns, source: t.source, lines, rowOffset: 0 };
}

/**
 * Reads any input as RawTable batches of up to `batchRows` rows. CSV inputs stream with bounded
 * memory; in-memory inputs are sliced. Yields at least one batch (0 rows for a header-only file).
 */
export async function* readBatches(source: TableInput, options: ReadOptions, batchRows: number): AsyncGenerator<RawTable> {
  checkCsvOptions(options);
  if (isCsvSource(source)) {
    const label = describeSource(source);
    for await (const batch of readCsvBatches(source, options, batchRows)) yield tableFromRecords(batch, label);
    return;
  }
  const t = inMemory(source);
  if (t.rows === 0) yield t;
  for (let s = 0; s < t.rows; s += batchRows) yield sliceTable(t, s, Math.min(t.rows, s + batchRows));
}
