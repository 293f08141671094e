// Inputs: CSV (path, gzip, stream, bytes), row objects, column objects, Arrow tables. The same data
// through any of them gives the same RawTable cells and therefore the same encoded arrays.
import * as arrow from 'apache-arrow';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fitPreprocessor, RawTable, readTable, tableFromArrow, tableFromColumns, tableFromRows } from '../lib/data';
import { parseDecimal, takeRows } from '../lib/data/sources';
import * as root from '../lib';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'varjepa-input-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A small mixed table: numeric with a gap, an integer code column, text with a gap, a label.
const N = 40;
const ages = Array.from({ length: N }, (_, i) => (i === 7 ? null : 18 + ((i * 37) % 50) + (i % 4) * 0.25));
const codes = Array.from({ length: N }, (_, i) => (i * 5) % 3);
const jobs = Array.from({ length: N }, (_, i) => (i === 11 ? null : ['clerk', 'nurse', 'smith, jr', 'pilot'][(i * 7) % 4]));
const labels = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 'yes' : 'no'));

function csvText(): string {
  const cell = (v: unknown) => (v === null ? '' : typeof v === 'string' && v.includes(',') ? `"${v}"` : String(v));
  const lines = ['age,code,job,y', ...ages.map((a, i) => [a, codes[i], jobs[i], labels[i]].map(cell).join(','))];
  return lines.join('\n') + '\n';
}

function arrowTable(): arrow.Table {
  return new arrow.Table({
    age: arrow.vectorFromArray(ages, new arrow.Float64()),
    code: arrow.vectorFromArray(codes, new arrow.Int32()),
    job: arrow.vectorFromArray(jobs, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    y: arrow.vectorFromArray(labels, new arrow.Utf8()),
  });
}

function cells(t: RawTable): unknown[][] {
  return t.columns.map((c) => Array.from({ length: t.rows }, (_, i) => c.text?.[i] ?? (Number.isNaN(c.num[i]) ? null : c.num[i])));
}

describe('reading tables', () => {
  it('parses plain decimal numbers only', () => {
    expect(['12', '-3.5e2', ' 7 ', '+.5', '1.', '0', '-0'].map(parseDecimal)).toEqual([12, -350, 7, 0.5, 1, 0, -0]);
    for (const s of ['', ' ', 'abc', '0x1F', '0b11', '0o7', 'Infinity', '1,5', '1_000', 'NaN', '--1', '1.2.3', '.']) expect(parseDecimal(s), s).toBeNaN();
    expect(parseDecimal('1e999')).toBe(Infinity);
  });

  it('reads a CSV file, its gzip, a stream and bytes to the same table', async () => {
    const text = csvText();
    const p = path.join(dir, 't.csv');
    fs.writeFileSync(p, text);
    const g = path.join(dir, 't.csv.data'); // gzip found by its magic bytes, not the name
    fs.writeFileSync(g, zlib.gzipSync(text));
    const a = await readTable(p);
    expect(a.rows).toBe(N);
    expect(a.columns.map((c) => c.name)).toEqual(['age', 'code', 'job', 'y']);
    expect(a.source).toBe(`'${p}'`);
    expect(a.lines![0]).toBe(2);
    const chunks = [];
    for (let i = 0; i < text.length; i += 17) chunks.push(Buffer.from(text.slice(i, i + 17)));
    for (const t of [await readTable(g), await readTable(Readable.from(chunks)), await readTable(Buffer.from(text)), await readTable(fs.createReadStream(g))]) {
      expect(cells(t)).toEqual(cells(a));
    }
    expect(cells(a)[2][11]).toBe(''); // an empty cell is kept as text '' (a missing-value token)
    expect(cells(a)[2][2]).toBe('smith, jr');
  });

  it('reads row objects, column objects and Arrow tables with the CSV cell rules', async () => {
    const fromCsv = await readTable(Buffer.from(csvText()));
    const rows = ages.map((a, i) => ({ age: a, code: codes[i], job: jobs[i], y: labels[i] }));
    const fromRows = tableFromRows(rows);
    const fromCols = tableFromColumns({ age: ages, code: Int32Array.from(codes), job: jobs, y: labels });
    const fromArrow = await readTable(arrowTable());
    const norm = (t: RawTable) => cells(t).map((col) => col.map((v) => (v === '' ? null : v)));
    for (const t of [fromRows, fromCols, fromArrow]) expect(norm(t)).toEqual(norm(fromCsv));
    expect(fromArrow.source).toBe('the Arrow table');
  });

  it('reads Arrow types: ints, floats, 64-bit, bool, dictionary, nulls', () => {
    const t = tableFromArrow(
      new arrow.Table({
        i8: arrow.vectorFromArray([1, null, -3], new arrow.Int8()),
        f32: arrow.vectorFromArray([0.5, 1.5, null], new arrow.Float32()),
        i64: arrow.vectorFromArray([1n, 2n, null], new arrow.Int64()),
        b: arrow.vectorFromArray([true, false, null], new arrow.Bool()),
        s: arrow.vectorFromArray(['x', null, '2.5'], new arrow.Utf8()),
      }),
    );
    expect(cells(t)).toEqual([
      [1, null, -3],
      [0.5, 1.5, null],
      [1, 2, null],
      ['true', 'false', null],
      ['x', null, 2.5],
    ]);
  });

  it('takes a delimiter, and column names for a file without a header', async () => {
    const t = await readTable(Buffer.from('1;a\n2;"b;c"\n'), { delimiter: ';', columns: ['n', 's'] });
    expect(cells(t)).toEqual([
      [1, 2],
      ['a', 'b;c'],
    ]);
    await expect(readTable(Buffer.from('a\n1\n'), { delimiter: ';;' })).rejects.toThrow(
      new RangeError("Expected 'auto' or one character other than a quote or a line break for options.delimiter but received ';;' (string)"),
    );
    await expect(readTable(Buffer.from('a\n1\n'), { columns: [] })).rejects.toThrow(
      new TypeError('Expected a non-empty array of column names for options.columns but received Array of length 0'),
    );
    await expect(readTable(42 as never)).rejects.toThrow(
      new TypeError('Expected a CSV file path, a byte stream, a Uint8Array of CSV, an array of row objects, an object of columns or an Arrow table for source but received 42 (number)'),
    );
  });

  it('reads CRLF line endings and a last line without a newline', async () => {
    const t = await readTable(Buffer.from('a,b\r\n1,x\r\n\r\n3,"y, z"\r\n5,w'));
    expect(cells(t)).toEqual([
      [1, 3, 5],
      ['x', 'y, z', 'w'],
    ]);
    expect(Array.from(t.lines!)).toEqual([2, 4, 5]);
  });

  it('takes rows by index', async () => {
    const t = await readTable(Buffer.from(csvText()));
    const sub = takeRows(t, [3, 1]);
    expect(cells(sub)).toEqual(cells(t).map((c) => [c[3], c[1]]));
    expect(Array.from(sub.lines!)).toEqual([5, 3]);
    expect(() => takeRows(t, [N])).toThrow(new RangeError(`Expected an integer between 0 and ${N - 1} for rows[0] but received ${N} (number)`));
  });

  it('CSV and Arrow inputs of the same data encode to identical arrays', async () => {
    const csv = await readTable(Buffer.from(csvText()));
    const arr = tableFromArrow(arrowTable());
    const fromCsv = fitPreprocessor(csv, { target: 'y' });
    const fromArrow = fitPreprocessor(arr, { target: 'y' });
    expect(fromArrow.toJSON()).toEqual(fromCsv.toJSON());
    const a = fromCsv.transform(csv);
    const b = fromCsv.transform(arr);
    expect(b.x).toEqual(a.x);
    expect(b.missing).toEqual(a.missing);
    expect(b.labels).toEqual(a.labels);
    expect(a.missing!.reduce((s, v) => s + v, 0)).toBe(2);
    expect(fromCsv.schema.features.map((f) => f.kind)).toEqual(['numeric', 'categorical', 'categorical']);
  });

  it('is exported from the package root', () => {
    expect(typeof root.readTable).toBe('function');
    expect(typeof root.embedStream).toBe('function');
    expect(typeof root.loadBenchmarkDataset).toBe('function');
  });
});
