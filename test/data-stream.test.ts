// The streaming embed: batches in, embeddings and uncertainties out in every format, identical to
// embedding the whole table at once; output written under a temporary name and renamed.
import * as arrow from 'apache-arrow';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough, Readable } from 'stream';
import * as zlib from 'zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { embedStream, Embedder, fitPreprocessor, readF32Embeddings, readTable } from '../lib/data';
import { f32Text } from '../lib/data/writers';
import { rng } from './helpers/buffers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'varjepa-stream-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A fixed random projection: embedding = sum over present features j of x_j W[j, :]; the
 * uncertainties count the missing cells. Deterministic, so batching must not change a thing.
 */
function projection(D: number, dim: number, seed = 1): Embedder & { calls: Array<{ rows: number; masked: boolean }> } {
  const r = rng(seed);
  const W = Float32Array.from({ length: D * dim }, () => r() * 2 - 1);
  const calls: Array<{ rows: number; masked: boolean }> = [];
  return {
    embeddingDim: dim,
    calls,
    async embedInto({ x, rows, missing }, { embeddings, uncertainty, uncertaintyP90 }) {
      calls.push({ rows, masked: !!missing });
      embeddings.fill(0);
      for (let i = 0; i < rows; i++) {
        let gaps = 0;
        for (let j = 0; j < D; j++) {
          if (missing?.[i * D + j]) {
            gaps++;
            continue;
          }
          for (let k = 0; k < dim; k++) embeddings[i * dim + k] += x[i * D + j] * W[j * dim + k];
        }
        uncertainty[i] = 0.1 + gaps / D;
        uncertaintyP90[i] = 0.2 + gaps / D;
      }
    },
  };
}

const N = 53;
const csv =
  'age,job,score\n' +
  Array.from({ length: N }, (_, i) => `${20 + ((i * 7) % 40)},${['a', 'b', 'c, d'][i % 3].replace('c, d', '"c, d"')},${i % 9 === 4 ? '' : (i * 0.37).toFixed(2)}`).join('\n') +
  '\n';
const csvPath = path.join(dir, 'in.csv.gz');
fs.writeFileSync(csvPath, zlib.gzipSync(csv));

async function expected(dim: number) {
  const table = await readTable(Buffer.from(csv));
  const prep = fitPreprocessor(table);
  const enc = prep.transform(table);
  const all = { embeddings: new Float32Array(enc.rows * dim), uncertainty: new Float32Array(enc.rows), uncertaintyP90: new Float32Array(enc.rows) };
  await projection(3, dim).embedInto(enc, all);
  return { prep, ...all };
}

describe('float text', () => {
  it('reads back as the same float32, short', () => {
    const r = rng(5);
    for (let i = 0; i < 20000; i++) {
      const v = Math.fround((r() * 2 - 1) * 10 ** Math.floor(r() * 16 - 8));
      const s = f32Text(v);
      expect(Math.fround(Number(s))).toBe(v);
      expect(s.replace(/^-|e.*$|\./g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
    expect([0.5, -0, 3, 1e-7, -2.5e12, NaN, -Infinity].map((v) => f32Text(Math.fround(v)))).toEqual(['0.5', '0', '3', '1e-7', '-2.5e+12', 'NaN', '-Infinity']);
  });
});

describe('embedStream', () => {
  it('writes every format, identical to embedding the whole table at once', async () => {
    const dim = 5;
    const want = await expected(dim);
    for (const name of ['out.csv', 'out.jsonl', 'out.f32', 'out.arrow', 'out.arrows']) {
      const emb = projection(3, dim);
      const out = path.join(dir, name);
      const progress: number[] = [];
      const res = await embedStream(csvPath, emb, out, { preprocessor: want.prep, batchSize: 7, onProgress: (n) => progress.push(n) });
      expect(res).toMatchObject({ rows: N, batches: 8, embeddingDim: dim, output: out });
      expect(Math.max(...emb.calls.map((c) => c.rows))).toBe(7);
      expect(emb.calls.some((c) => c.masked)).toBe(true);
      expect(progress[progress.length - 1]).toBe(N);
      let got: { e: Float32Array; u: Float32Array; p: Float32Array };
      if (name.endsWith('.csv')) {
        const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
        expect(lines[0]).toBe('e0,e1,e2,e3,e4,uncertainty,uncertainty_p90');
        const rows = lines.slice(1).map((l) => l.split(',').map(Number));
        got = { e: Float32Array.from(rows.flatMap((r) => r.slice(0, dim))), u: Float32Array.from(rows.map((r) => r[dim])), p: Float32Array.from(rows.map((r) => r[dim + 1])) };
      } else if (name.endsWith('.jsonl')) {
        const rows = fs.readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
        got = { e: Float32Array.from(rows.flatMap((r) => r.embedding)), u: Float32Array.from(rows.map((r) => r.uncertainty)), p: Float32Array.from(rows.map((r) => r.uncertaintyP90)) };
      } else if (name.endsWith('.f32')) {
        const f = await readF32Embeddings(out);
        expect(f.rows).toBe(N);
        expect(fs.readFileSync(out).subarray(0, 200).toString()).toMatch(/^\{"format":"varjepa-embeddings-f32","version":1,"dtype":"float32","endian":"little"/);
        got = { e: f.embeddings, u: f.uncertainty, p: f.uncertaintyP90 };
      } else {
        const t = arrow.tableFromIPC(fs.readFileSync(out));
        expect(t.numRows).toBe(N);
        expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([`embedding:FixedSizeList[${dim}]<Float32>`, 'uncertainty:Float32', 'uncertainty_p90:Float32']);
        const e = new Float32Array(N * dim);
        for (let i = 0; i < N; i++) e.set(t.getChild('embedding')!.get(i).toArray(), i * dim);
        got = { e, u: t.getChild('uncertainty')!.toArray(), p: t.getChild('uncertainty_p90')!.toArray() };
      }
      expect(got.e, name).toEqual(want.embeddings);
      expect(got.u, name).toEqual(want.uncertainty);
      expect(got.p, name).toEqual(want.uncertaintyP90);
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('streams from in-memory tables and to a caller-owned stream (not ended)', async () => {
    const want = await expected(3);
    const table = await readTable(Buffer.from(csv));
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const res = await embedStream(table, projection(3, 3), sink, { preprocessor: want.prep.toJSON(), format: 'jsonl', batchSize: 10 });
    expect(res.output).toBeNull();
    expect(sink.writableEnded).toBe(false);
    const rows = Buffer.concat(chunks).toString().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(Float32Array.from(rows.flatMap((r) => r.embedding))).toEqual(want.embeddings);
    // f32 to a stream: the header says rows: null, the reader counts them.
    const f32 = new PassThrough();
    const parts: Buffer[] = [];
    f32.on('data', (c: Buffer) => parts.push(c));
    await embedStream(Readable.from([Buffer.from(csv)]), projection(3, 3), f32, { preprocessor: want.prep, format: 'f32' });
    const p = path.join(dir, 'from-stream.f32');
    fs.writeFileSync(p, Buffer.concat(parts));
    expect((await readF32Embeddings(p)).embeddings).toEqual(want.embeddings);
  });

  it('keeps an existing output untouched until it succeeds, and removes nothing on success', async () => {
    const want = await expected(2);
    const out = path.join(dir, 'keep.csv');
    fs.writeFileSync(out, 'old content\n');
    const ac = new AbortController();
    const run = embedStream(csvPath, projection(3, 2), out, { preprocessor: want.prep, batchSize: 5, signal: ac.signal, onProgress: (n) => n >= 10 && ac.abort(new Error('stopped by the test')) });
    await expect(run).rejects.toThrow('stopped by the test');
    expect(fs.readFileSync(out, 'utf8')).toBe('old content\n');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await embedStream(csvPath, projection(3, 2), out, { preprocessor: want.prep });
    expect(fs.readFileSync(out, 'utf8').split('\n').length).toBe(N + 2);
  });

  it('reads ahead only a bounded number of rows (memory stays flat)', async () => {
    const want = await expected(2);
    const total = 30000;
    let produced = 0;
    let consumed = 0;
    let ahead = 0;
    const source = Readable.from(
      (function* () {
        yield Buffer.from('age,job,score\n');
        while (produced < total) {
          let s = '';
          for (let i = 0; i < 100; i++) s += `${20 + ((produced + i) % 50)},b,${(i * 0.5).toFixed(1)}\n`;
          produced += 100;
          yield Buffer.from(s);
        }
      })(),
    );
    const inner = projection(3, 2);
    const watching: Embedder = {
      embeddingDim: 2,
      async embedInto(batch, out) {
        consumed += batch.rows;
        ahead = Math.max(ahead, produced - consumed);
        return inner.embedInto(batch, out);
      },
    };
    const res = await embedStream(source, watching, path.join(dir, 'bounded.f32'), { preprocessor: want.prep, batchSize: 500 });
    expect(res.rows).toBe(total);
    // Stream buffers (generator, gzip/UTF-8 check, csv-parse, ~5k short rows here) plus one batch, never the input.
    expect(ahead).toBeLessThan(total / 4);
  });

  it('writes every batch through one set of output buffers, each call seeing exactly its rows', async () => {
    const want = await expected(2);
    const inner = projection(3, 2);
    const seen: Array<{ buffer: ArrayBufferLike; rows: number; lengths: number[] }> = [];
    const recording: Embedder = {
      embeddingDim: 2,
      async embedInto(batch, out) {
        seen.push({ buffer: out.embeddings.buffer, rows: batch.rows, lengths: [out.embeddings.length, out.uncertainty.length, out.uncertaintyP90.length] });
        return inner.embedInto(batch, out);
      },
    };
    const res = await embedStream(csvPath, recording, path.join(dir, 'reuse.f32'), { preprocessor: want.prep, batchSize: 10 });
    expect(res.batches).toBe(6);  // 53 rows: five of 10, then 3
    expect(new Set(seen.map((s) => s.buffer)).size).toBe(1);
    expect(seen.map((s) => s.lengths)).toEqual(seen.map((s) => [s.rows * 2, s.rows, s.rows]));
    expect(seen.map((s) => s.rows)).toEqual([10, 10, 10, 10, 10, 3]);
    const back = await readF32Embeddings(path.join(dir, 'reuse.f32'));
    expect(Array.from(back.embeddings)).toEqual(Array.from(want.embeddings));
  });

  it('checks its options and pins the messages', async () => {
    const want = await expected(2);
    const emb = projection(3, 2);
    await expect(embedStream(csvPath, emb, path.join(dir, 'x.txt'), { preprocessor: want.prep })).rejects.toThrow(
      new TypeError(`Expected one of 'csv', 'jsonl', 'f32', 'arrow', 'arrow-stream' (the extension of '${path.join(dir, 'x.txt')}' names no format) for options.format but received undefined`),
    );
    await expect(embedStream(csvPath, emb, path.join(dir, 'x.csv'), { preprocessor: want.prep, format: 'parquet' as never })).rejects.toThrow(
      new RangeError("Expected one of 'csv', 'jsonl', 'f32', 'arrow', 'arrow-stream' for options.format but received 'parquet' (string)"),
    );
    await expect(embedStream(csvPath, emb, path.join(dir, 'x.csv'), { preprocessor: want.prep, batchSize: 0 })).rejects.toThrow(
      new RangeError('Expected an integer between 1 and 65536 for options.batchSize but received 0 (number)'),
    );
    await expect(embedStream(csvPath, emb, path.join(dir, 'x.csv'))).rejects.toThrow(
      new TypeError('Expected a fitted Preprocessor or its JSON form (the embedder carries none) for options.preprocessor but received undefined'),
    );
    await expect(embedStream(csvPath, { embeddingDim: 0, embedInto: emb.embedInto }, path.join(dir, 'x.csv'), { preprocessor: want.prep })).rejects.toThrow(
      new RangeError('Expected an integer between 1 and 1048576 for embedder.embeddingDim but received 0 (number)'),
    );
    expect(fs.existsSync(path.join(dir, 'x.csv'))).toBe(false);
  });
});
