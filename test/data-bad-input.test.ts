// Bad input: every case has its behaviour decided and its message pinned. None may crash the
// process, and none may leave an output file (or a temporary one) behind.
//
// Cases covered (behaviour):
//  1. ragged rows                      -> DataError RAGGED_ROW naming row, line and field counts
//     (ragged column objects too)
//  2. header not matching the schema   -> DataError HEADER_MISMATCH listing the missing columns
//     (transform and embedStream; extra columns are ignored; checked before any output is opened)
//  3. non-numeric value, numeric column -> DataError NOT_NUMERIC naming row (line) and column:
//     at inference (a column of numbers with a stray text value), for a declared numeric column,
//     and at transform time on new data
//  4. NaN / Infinity                   -> NaN (number or the text 'NaN') is a missing value;
//     Infinity (number, 'Infinity', '-inf', '1e999') is DataError NOT_FINITE naming row and column
//  5. empty file                       -> DataError EMPTY_INPUT (also an empty gzip payload, an empty buffer)
//  6. header only                      -> reads as 0 rows; fitting gives DataError NO_ROWS; a streaming
//     embed writes a complete empty output (header line only)
//  7. a constant column                -> kept; numeric scaled to 0 (min-max, standard, quantile), a warning
//     in schema.warnings (a constant column is inferred numeric even when it holds an integer); a
//     declared or text single-category column keeps code 1 with a warning
//  8. more categories than the limit   -> DataError TOO_MANY_CATEGORIES saying what to do
//  9. a category never seen in training -> code 0 (not flagged missing); a class never seen -> label -1
// 10. a missing file                   -> DataError FILE_NOT_FOUND
// 11. a directory instead of a file    -> DataError NOT_A_FILE
// 12. an unreadable file               -> DataError FILE_UNREADABLE: chmod 000 (skipped, with the reason
//     in the test name, when running as root, which chmod does not stop), a path through a file
//     (ENOTDIR), and the EACCES mapping itself
// 13. a truncated gzip                 -> DataError BAD_GZIP 'truncated'; a corrupt one -> BAD_GZIP 'corrupt'
// 14. invalid UTF-8                    -> DataError BAD_UTF8 with the byte offset (also inside gzip,
//     and a multi-byte character cut at the end of the file)
// 15. a BOM                            -> stripped; the first column name is clean
// 16. quoted fields with embedded newlines and delimiters -> read as one field; line numbers of
//     later rows count the embedded newlines
// 17. a label column that is missing   -> DataError MISSING_LABEL naming the column and the columns
//     there are; a missing label value in a training row -> MISSING_LABEL naming the row
// 18. duplicate header names           -> DataError DUPLICATE_COLUMN
// 19. an unclosed quote                -> DataError BAD_CSV
// 20. output folder missing            -> DataError OUTPUT_FAILED, nothing written
// 21. the embedder failing mid-stream, or returning wrong lengths -> the error, no output, no temp file
// 22. a broken preprocessor JSON       -> DataError BAD_STATE naming the field
// 23. a value of an unsupported type in row objects -> TypeError naming rows[i]['key']
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, embedStream, Embedder, fitPreprocessor, Preprocessor, readTable, tableFromColumns, tableFromRows } from '../lib/data';
import { fileError } from '../lib/data/csv';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'varjepa-bad-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** Asserts fn fails with a DataError of this code and exactly this message. */
async function expectDataError(fn: () => unknown, code: string, message: string): Promise<void> {
  let caught: unknown = null;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error').toBeInstanceOf(DataError);
  expect((caught as DataError).message).toBe(message);
  expect((caught as DataError).code).toBe(code);
}

const ok = (d = 2): Embedder => ({
  embeddingDim: d,
  async embedInto(_batch, out) {
    out.embeddings.fill(0);
  },
});

const leftovers = (folder: string): string[] => fs.readdirSync(folder).filter((f) => f.endsWith('.tmp'));

describe('bad input', () => {
  it('1. ragged rows name the row, its line and the field counts', async () => {
    const p = file('ragged.csv', 'a,b,c\n1,2,3\n4,5\n');
    await expectDataError(() => readTable(p), 'RAGGED_ROW', `Row 2 (line 3) of '${p}' has 2 fields but the header has 3`);
    const q = file('ragged-long.csv', 'a,b\n1,2\n3,4\n5,6,7\n');
    await expectDataError(() => readTable(q), 'RAGGED_ROW', `Row 3 (line 4) of '${q}' has 3 fields but the header has 2`);
    expect(() => tableFromColumns({ age: [1, 2, 3], job: ['a', 'b'] })).toThrow(new DataError('RAGGED_ROW', "Column 'job' of the columns object has 2 values but column 'age' has 3"));
  });

  it('2. a header that does not match the fitted schema', async () => {
    const prep = fitPreprocessor({ a: [1, 2, 3, 4], b: [5, 6, 7, 9], c: ['x', 'y', 'x', 'y'] });
    const p = file('other-header.csv', 'a,c,d\n1,x,0\n');
    const t = await readTable(p);
    await expectDataError(() => prep.transform(t), 'HEADER_MISMATCH', `The columns of '${p}' do not match the fitted schema: 'b' is missing (its columns are 'a', 'c', 'd')`);
    const out = path.join(dir, 'mismatch.csv');
    await expectDataError(() => embedStream(p, ok(), out, { preprocessor: prep }), 'HEADER_MISMATCH', `The header of '${p}' does not match the fitted schema: 'b' is missing (its columns are 'a', 'c', 'd')`);
    expect(fs.existsSync(out)).toBe(false);
    // Extra columns are fine.
    const extra = prep.transform({ z: [0], a: [1], b: [5], c: ['x'] });
    expect(Array.from(extra.x)).toEqual([0, 0, 1]);
  });

  it('3. a non-numeric value in a numeric column names the row and the column', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => `${i},${i % 3}`);
    rows[120] = 'abc,0';
    const p = file('typo.csv', `age,k\n${rows.join('\n')}\n`);
    const t = await readTable(p);
    await expectDataError(
      () => fitPreprocessor(t),
      'NOT_NUMERIC',
      `Column 'age' holds numbers but row 121 (line 122) of '${p}' has 'abc': fix the value, list it in options.missingValues, or declare the column with options.kinds = { 'age': 'categorical' }`,
    );
    const small = tableFromRows([{ x: 1 }, { x: 'two' }, { x: 'three' }, { x: 4 }]);
    await expectDataError(
      () => fitPreprocessor(small, { kinds: { x: 'numeric' } }),
      'NOT_NUMERIC',
      "Column 'x' is numeric but row 2 of the rows array has 'two': fix the value, list it in options.missingValues, or declare the column categorical",
    );
    const prep = fitPreprocessor({ x: [1, 2, 3, 4.5] });
    const q = file('typo-new.csv', 'x\n1\n2\noops\n');
    const newRows = await readTable(q);
    await expectDataError(
      () => prep.transform(newRows),
      'NOT_NUMERIC',
      `Column 'x' is numeric but row 3 (line 4) of '${q}' has 'oops': fix the value, list it in options.missingValues, or declare the column categorical`,
    );
  });

  it('4. NaN is missing; Infinity is refused with row and column', async () => {
    const prep = fitPreprocessor({ x: [0, NaN, 2, 4.5] });
    expect(prep.schema.warnings).toContain("Column 'x' has 1 missing value in the training rows: masked (options.missing = 'mask') and hold the training mean 2.1666666666666665 in x");
    const enc = prep.transform(await readTable(Buffer.from('x\nNaN\n4.5\n')));
    expect(Array.from(enc.missing!)).toEqual([1, 0]);
    await expectDataError(() => fitPreprocessor({ x: [0, Infinity, 2, 4.5] }), 'NOT_FINITE', "Column 'x' has the non-finite value Infinity in row 2 of the columns object: use a finite number, or leave the cell empty to mark it missing");
    for (const [text, shown] of [['Infinity', 'Infinity'], ['-inf', '-inf'], ['1e999', 'Infinity']]) {
      const t = await readTable(Buffer.from(`x\n1\n${text}\n2.5\n`));
      await expectDataError(() => prep.transform(t), 'NOT_FINITE', `Column 'x' has the non-finite value ${shown} in row 2 (line 3) of the CSV buffer: use a finite number, or leave the cell empty to mark it missing`);
    }
  });

  it('5. an empty file, an empty gzip payload, an empty buffer', async () => {
    const p = file('empty.csv', '');
    await expectDataError(() => readTable(p), 'EMPTY_INPUT', `'${p}' is empty: expected a header row and data rows`);
    const g = file('empty.csv.gz', zlib.gzipSync(Buffer.alloc(0)));
    await expectDataError(() => readTable(g), 'EMPTY_INPUT', `'${g}' is empty: expected a header row and data rows`);
    await expectDataError(() => readTable(new Uint8Array(0)), 'EMPTY_INPUT', 'the CSV buffer is empty: expected a header row and data rows');
    const blank = file('blank-lines.csv', '\n\n\n');
    await expectDataError(() => readTable(blank), 'EMPTY_INPUT', `'${blank}' is empty: expected a header row and data rows`);
  });

  it('6. a header-only file reads as 0 rows, cannot be fitted, and embeds to an empty output', async () => {
    const p = file('header-only.csv', 'a,b\n');
    const t = await readTable(p);
    expect(t.rows).toBe(0);
    expect(t.columns.map((c) => c.name)).toEqual(['a', 'b']);
    await expectDataError(() => fitPreprocessor(t), 'NO_ROWS', `Cannot fit on zero training rows: '${p}' has a header but no data rows`);
    const prep = fitPreprocessor({ a: [1, 2, 3], b: [0.5, 1, 2] });
    const out = path.join(dir, 'empty-out.csv');
    const res = await embedStream(p, ok(2), out, { preprocessor: prep });
    expect(res.rows).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('e0,e1,uncertainty,uncertainty_p90\n');
  });

  it('7. a constant column is kept, scaled to 0, with a warning', () => {
    for (const scaling of ['minmax', 'standard', 'quantile'] as const) {
      const prep = fitPreprocessor({ c: [5, 5, 5, 5], y: [0.5, 1.5, 2.5, 3.5] }, { scaling });
      expect(prep.schema.warnings).toEqual(["Column 'c' is constant (5) in the training rows: kept, scaled to 0"]);
      const enc = prep.transform({ c: [5, 7], y: [1, 1] });
      expect(enc.x[0]).toBe(0);
      expect(enc.x[2]).toBe(2); // a value off the constant is kept (shifted, not clipped)
    }
    const cat = fitPreprocessor({ k: ['a', 'a', 'a'], y: [1.5, 2.5, 3.5] });
    expect(cat.schema.warnings).toEqual(["Column 'k' has the single value 'a' in the training rows: kept (code 1)"]);
  });

  it('8. a categorical column with more distinct values than the limit', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `id${i}`);
    await expectDataError(
      () => fitPreprocessor({ id: ids, v: ids.map((_, i) => i + 0.5) }, { maxCategories: 20 }),
      'TOO_MANY_CATEGORIES',
      "Column 'id' of the columns object has 30 distinct values in the training rows, more than options.maxCategories (20): leave it out (options.ignore), raise options.maxCategories, or declare it numeric (options.kinds)",
    );
  });

  it('9. a category never seen in training gets code 0; a class never seen gets label -1', () => {
    const prep = fitPreprocessor({ job: ['a', 'b', 'b', 'c'], y: ['no', 'yes', 'no', 'no'] }, { target: 'y' });
    const enc = prep.transform({ job: ['b', 'zzz', ''], y: ['yes', 'maybe', 'no'] });
    expect(Array.from(enc.x)).toEqual([1, 0, 0]);
    expect(Array.from(enc.missing!)).toEqual([0, 0, 1]); // unseen is not missing; '' is
    expect(Array.from(enc.labels!)).toEqual([1, -1, 0]);
  });

  it('10. a missing file', async () => {
    const p = path.join(dir, 'nope.csv');
    await expectDataError(() => readTable(p), 'FILE_NOT_FOUND', `No such file: '${p}'`);
  });

  it('11. a directory instead of a file', async () => {
    await expectDataError(() => readTable(dir), 'NOT_A_FILE', `'${dir}' is a directory, not a file`);
  });

  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  it.skipIf(root)('12a. an unreadable file (chmod 000) [skipped when running as root: chmod does not stop root from reading]', async () => {
    const p = file('locked.csv', 'a\n1\n');
    fs.chmodSync(p, 0);
    await expectDataError(() => readTable(p), 'FILE_UNREADABLE', `Permission denied reading '${p}': check the file's permissions`);
  });

  it('12b. an unreadable path (through a file) and the EACCES message', async () => {
    const p = path.join(file('plain.csv', 'a\n1\n'), 'inner.csv');
    await expectDataError(() => readTable(p), 'FILE_UNREADABLE', `Cannot read '${p}': a part of the path is a file, not a directory`);
    const err = fileError(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), '/x/y.csv');
    expect(err.code).toBe('FILE_UNREADABLE');
    expect(err.message).toBe("Permission denied reading '/x/y.csv': check the file's permissions");
  });

  it('13. a truncated gzip and a corrupt one', async () => {
    const gz = zlib.gzipSync(Buffer.from('a,b\n' + Array.from({ length: 2000 }, (_, i) => `${i},${i * 2}`).join('\n')));
    const p = file('cut.csv.gz', gz.subarray(0, gz.length - 100));
    await expectDataError(() => readTable(p), 'BAD_GZIP', `The gzip data of '${p}' is truncated (unexpected end of the compressed data)`);
    const bad = Buffer.from(gz);
    bad[3] = 0xff; // reserved flag bits
    const q = file('corrupt.csv.gz', bad);
    const err = await readTable(q).catch((e: DataError) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('BAD_GZIP');
    expect((err as DataError).message).toMatch(new RegExp(`^The gzip data of '${q.replace(/[.]/g, '\\.')}' is corrupt \\(.+\\)$`));
  });

  it('14. invalid UTF-8, also inside gzip and cut at the end', async () => {
    const bytes = Buffer.concat([Buffer.from('name,v\ncaf'), Buffer.from([0xe9]), Buffer.from(',1\n')]);
    const p = file('latin1.csv', bytes);
    const msg = (where: string) => `Invalid UTF-8 at byte 10 ${where}: the input must be UTF-8 text; convert it first (for example iconv -f latin1 -t utf-8)`;
    await expectDataError(() => readTable(p), 'BAD_UTF8', msg(`of '${p}'`));
    const g = file('latin1.csv.gz', zlib.gzipSync(bytes));
    await expectDataError(() => readTable(g), 'BAD_UTF8', msg(`of the decompressed text of '${g}'`));
    const cut = file('cut-char.csv', Buffer.concat([Buffer.from('a\n'), Buffer.from([0xe2, 0x82])]));
    await expectDataError(() => readTable(cut), 'BAD_UTF8', `Invalid UTF-8 at byte 2 of '${cut}': the input must be UTF-8 text; convert it first (for example iconv -f latin1 -t utf-8)`);
    // Valid multi-byte text split across stream chunks is fine.
    const good = Buffer.from('name\ncafé €\n');
    const t = await readTable(Readable.from([good.subarray(0, 9), good.subarray(9, 13), good.subarray(13)]));
    expect(t.columns[0].text).toEqual(['café €']);
  });

  it('15. a BOM is stripped', async () => {
    const p = file('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('age,job\n30,x\n')]));
    const t = await readTable(p);
    expect(t.columns.map((c) => c.name)).toEqual(['age', 'job']);
    expect(Array.from(t.columns[0].num)).toEqual([30]);
  });

  it('16. quoted fields with embedded newlines and delimiters', async () => {
    const p = file('quoted.csv', 'id,text,v\n1,"a, b",2\n2,"line one\nline two, ""quoted""",3\n3,plain,x\n');
    const t = await readTable(p);
    expect(t.columns[1].text).toEqual(['a, b', 'line one\nline two, "quoted"', 'plain']);
    expect(Array.from(t.lines!)).toEqual([2, 4, 5]);
    await expectDataError(
      () => fitPreprocessor(t, { kinds: { v: 'numeric' } }),
      'NOT_NUMERIC',
      `Column 'v' is numeric but row 3 (line 5) of '${p}' has 'x': fix the value, list it in options.missingValues, or declare the column categorical`,
    );
  });

  it('17. a label column that is missing, and a missing label value', async () => {
    const t = tableFromColumns({ age: [1, 2], job: ['a', 'b'] });
    await expectDataError(() => fitPreprocessor(t, { target: 'income' }), 'MISSING_LABEL', "The target column 'income' is not in the columns object; its columns are 'age', 'job'");
    const u = tableFromRows([{ x: 1, y: 'a' }, { x: 2, y: '' }]);
    await expectDataError(() => fitPreprocessor(u, { target: 'y' }), 'MISSING_LABEL', "The target 'y' is missing in row 2 of the rows array: fill in the label or leave the row out of the training rows");
  });

  it('18. duplicate header names', async () => {
    const p = file('dup.csv', 'a,b,a\n1,2,3\n');
    await expectDataError(() => readTable(p), 'DUPLICATE_COLUMN', `The header of '${p}' names the column 'a' twice`);
  });

  it('19. an unclosed quote', async () => {
    const p = file('unclosed.csv', 'a,b\n1,"open\n2,3\n');
    const err = (await readTable(p).catch((e) => e)) as DataError;
    expect(err).toBeInstanceOf(DataError);
    expect(err.code).toBe('BAD_CSV');
    expect(err.message).toBe(`Cannot parse '${p}' as CSV at line 3, column 'b' (field 2): a quoted field is never closed; add the closing quote`);
  });

  it('20. an output folder that does not exist', async () => {
    const prep = fitPreprocessor({ a: [1, 2, 3] });
    const out = path.join(dir, 'no-such-folder', 'out.csv');
    await expectDataError(() => embedStream({ a: [1, 2] }, ok(), out, { preprocessor: prep }), 'OUTPUT_FAILED', `Cannot write '${out}': the folder '${path.dirname(out)}' does not exist`);
  });

  it('21. an embedder failing mid-stream leaves no output', async () => {
    const prep = fitPreprocessor({ a: [1, 2, 3] });
    const folder = fs.mkdtempSync(path.join(dir, 'out-'));
    let calls = 0;
    const flaky: Embedder = {
      embeddingDim: 2,
      async embedInto(batch, out) {
        if (++calls === 3) throw new Error('device lost');
        return ok(2).embedInto(batch, out);
      },
    };
    const rows = { a: Array.from({ length: 100 }, (_, i) => i) };
    for (const name of ['x.csv', 'x.jsonl', 'x.f32', 'x.arrow']) {
      calls = 0;
      await expect(embedStream(rows, flaky, path.join(folder, name), { preprocessor: prep, batchSize: 10 })).rejects.toThrow('device lost');
    }
    expect(fs.readdirSync(folder)).toEqual([]);
    expect(leftovers(folder)).toEqual([]);
  });

  it('22. a broken preprocessor JSON names the field', async () => {
    const state = fitPreprocessor({ a: [1, 2, 3], k: ['x', 'y', 'x'] }).toJSON();
    const broken = JSON.parse(JSON.stringify(state));
    broken.features[0].min = 'zero';
    await expectDataError(() => Preprocessor.fromJSON(broken), 'BAD_STATE', 'Invalid preprocessor state: expected a finite number for state.features[0].min but found "zero"');
    const err = (() => {
      try {
        Preprocessor.fromJSON('{"format": "varjepa-pre');
      } catch (e) {
        return e as DataError;
      }
    })();
    expect(err?.code).toBe('BAD_STATE');
    expect(err?.message).toMatch(/^The preprocessor JSON does not parse: /);
    await expectDataError(() => Preprocessor.fromJSON({ ...state, version: 2 }), 'BAD_STATE', 'Invalid preprocessor state: expected 1 (this version of varjepa reads version 1) for state.version but found 2');
  });

  it('23. a value of an unsupported type in row objects', () => {
    expect(() => tableFromRows([{ a: 1 }, { a: { nested: true } }])).toThrow(
      new TypeError("Expected a number, string, boolean, bigint, Date or null for rows[1]['a'] but received Object (object)"),
    );
  });
});
