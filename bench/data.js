#!/usr/bin/env node
// Data-layer benchmark (plain Node on dist/; run `npm run compile` first):
//  1. rows/s reading + preprocessing Adult from its gzipped CSV (read, split, fit on the training
//     rows, encode all three parts), after a validation pass and a warm-up;
//  2. peak memory (RSS sampled every 10 ms) while streaming 1,000,000 generated CSV rows through
//     embedStream with a fixed random-projection embedder, to f32 and CSV outputs: it must stay flat.
// Results go to bench/results/data.json and bench/results/data.md.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Readable } = require('stream');
const v = require('../dist/cjs/index.js');
// the data layer's internals this benchmark times (not part of the public API)
const { prepareTable } = require('../dist/cjs/data/split.js');
const { benchmarkDatasetPath } = require('../dist/cjs/data/benchmark-datasets.js');

const ROWS = Number(process.env.BENCH_ROWS || 1_000_000);
const REPS = Number(process.env.BENCH_REPS || 5);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The test suite's embedder: a fixed random projection of the present features. */
function projection(D, dim, seed = 1) {
  const r = mulberry32(seed);
  const W = Float32Array.from({ length: D * dim }, () => r() * 2 - 1);
  return {
    embeddingDim: dim,
    async embedInto({ x, rows, missing }, { embeddings, uncertainty, uncertaintyP90 }) {
      embeddings.fill(0);
      for (let i = 0; i < rows; i++) {
        let gaps = 0;
        for (let j = 0; j < D; j++) {
          if (missing && missing[i * D + j]) {
            gaps++;
            continue;
          }
          const xv = x[i * D + j];
          for (let k = 0; k < dim; k++) embeddings[i * dim + k] += xv * W[j * dim + k];
        }
        uncertainty[i] = 0.1 + gaps / D;
        uncertaintyP90[i] = 0.2 + gaps / D;
      }
    },
  };
}

const HEADER = 'age,income,score,hours,job,city,grade,flag\n';
const JOBS = ['clerk', 'nurse', 'smith', 'pilot', 'teacher', 'cook', 'driver', 'farmer'];
const CITIES = Array.from({ length: 40 }, (_, i) => `city${i}`);

/** n generated CSV rows, produced lazily in chunks (the whole file never exists in memory). */
function generated(n, seed) {
  const r = mulberry32(seed);
  return Readable.from(
    (function* () {
      yield Buffer.from(HEADER);
      for (let done = 0; done < n; ) {
        const m = Math.min(2000, n - done);
        let s = '';
        for (let i = 0; i < m; i++) {
          const score = r() < 0.02 ? '' : (r() * 100).toFixed(3);
          s += `${18 + Math.floor(r() * 60)},${Math.floor(r() * 200000)},${score},${(r() * 60).toFixed(1)},${JOBS[Math.floor(r() * 8)]},${CITIES[Math.floor(r() * 40)]},${1 + Math.floor(r() * 5)},${r() < 0.5 ? 'yes' : 'no'}\n`;
        }
        done += m;
        yield Buffer.from(s);
      }
    })(),
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b) => Math.round((b / 2 ** 20) * 10) / 10;

async function adult() {
  const file = benchmarkDatasetPath('adult');
  // Validate first: the documented shape and a deterministic encoding.
  const a = await v.loadBenchmarkDataset('adult', { seed: 1 });
  const b = prepareTable(await v.readTable(file), { target: 'income', task: 'classification', kinds: Object.fromEntries(a.schema.features.map((f) => [f.name, f.kind])), seed: 1 });
  if (a.table.rows !== 48842 || a.schema.features.length !== 14) throw new Error('adult: unexpected shape');
  if (Buffer.compare(Buffer.from(a.train.x.buffer), Buffer.from(b.train.x.buffer)) !== 0) throw new Error('adult: encoding is not deterministic');
  const read = [];
  const prep = [];
  for (let rep = 0; rep <= REPS; rep++) {
    const t0 = performance.now();
    const table = await v.readTable(file);
    const t1 = performance.now();
    prepareTable(table, { target: 'income', seed: rep });
    const t2 = performance.now();
    if (rep > 0) {
      read.push(t1 - t0);
      prep.push(t2 - t1);
    }
  }
  const rows = a.table.rows;
  const total = read.map((r, i) => r + prep[i]);
  return {
    file,
    rows,
    columns: a.table.columns.length,
    reps: REPS,
    readMs: Math.round(median(read)),
    preprocessMs: Math.round(median(prep)),
    totalMs: Math.round(median(total)),
    rowsPerSecond: Math.round(rows / (median(total) / 1000)),
    readRowsPerSecond: Math.round(rows / (median(read) / 1000)),
    preprocessRowsPerSecond: Math.round(rows / (median(prep) / 1000)),
  };
}

async function stream(format) {
  const fit = await v.readTable(generated(10000, 99));
  const prep = v.fitPreprocessor(fit);
  const D = prep.schema.features.length;
  const dim = 16;
  const out = path.join(os.tmpdir(), `varjepa-bench-${process.pid}.${format === 'f32' ? 'f32' : 'csv'}`);
  global.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const samples = [];
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
  }, 10);
  const at = {};
  const t0 = performance.now();
  const res = await v.embedStream(generated(ROWS, 7), projection(D, dim), out, {
    preprocessor: prep,
    batchSize: 4096,
    onProgress(n) {
      const rss = process.memoryUsage.rss();
      peak = Math.max(peak, rss);
      const step = Math.floor(n / (ROWS / 10));
      if (at[step] === undefined && step >= 1) {
        at[step] = rss;
        samples.push({ rows: n, rssMB: mb(rss) });
      }
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const bytes = fs.statSync(out).size;
  fs.unlinkSync(out);
  if (res.rows !== ROWS) throw new Error(`streamed ${res.rows} rows, expected ${ROWS}`);
  const first = samples[0].rssMB;
  const last = samples[samples.length - 1].rssMB;
  return {
    format,
    rows: ROWS,
    features: D,
    embeddingDim: dim,
    batchSize: 4096,
    seconds: Math.round(seconds * 10) / 10,
    rowsPerSecond: Math.round(ROWS / seconds),
    outputMB: mb(bytes),
    rssBeforeMB: mb(before),
    rssAfterTenthMB: first,
    rssEndMB: last,
    rssPeakMB: mb(peak),
    growthAfterTenthMB: Math.round((Math.max(...samples.map((s) => s.rssMB)) - first) * 10) / 10,
    samples,
  };
}

(async () => {
  const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadavg: os.loadavg().map((x) => Math.round(x * 10) / 10), date: new Date().toISOString() };
  console.log('machine', machine);
  const a = await adult();
  console.log('adult', a);
  const s = [];
  for (const f of ['f32', 'csv']) {
    const r = await stream(f);
    console.log('stream', { ...r, samples: r.samples.map((x) => `${x.rows}:${x.rssMB}`).join(' ') });
    s.push(r);
  }
  const flat = s.every((r) => r.growthAfterTenthMB < 64);
  const result = { machine, adult: a, stream: s, flat };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify(result, null, 2) + '\n');
  const md = [
    '# Data layer benchmark (`node bench/data.js`)',
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadavg.join(' / ')} at the start (shared machine: figures are noisy), ${machine.date}.`,
    '',
    '## Reading + preprocessing Adult from gzipped CSV',
    '',
    `${a.rows} rows x ${a.columns} columns (\`${path.basename(a.file)}\`), median of ${a.reps} runs after a warm-up and a validation pass.`,
    'Read = gunzip + UTF-8 check + csv-parse + columns; preprocess = stratified 70/10/20 split, fit on the training rows, encode all three parts.',
    '',
    '| stage | ms | rows/s |',
    '| --- | ---: | ---: |',
    `| read | ${a.readMs} | ${a.readRowsPerSecond.toLocaleString('en-US')} |`,
    `| preprocess | ${a.preprocessMs} | ${a.preprocessRowsPerSecond.toLocaleString('en-US')} |`,
    `| **read + preprocess** | ${a.totalMs} | **${a.rowsPerSecond.toLocaleString('en-US')}** |`,
    '',
    `## Streaming ${ROWS.toLocaleString('en-US')} generated rows through embedStream`,
    '',
    `Source: a lazily generated CSV stream (8 columns: 4 numeric, 4 categorical, 2 % gaps in one column), preprocessor fitted on 10,000 other generated rows, a fixed random-projection embedder (D = ${s[0].features} -> ${s[0].embeddingDim}), batches of ${s[0].batchSize} rows. RSS sampled every 10 ms and after every batch.`,
    '',
    '| output | s | rows/s | output MB | RSS before | RSS at 10 % | RSS at 100 % | peak RSS | growth after 10 % |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...s.map((r) => `| ${r.format} | ${r.seconds} | ${r.rowsPerSecond.toLocaleString('en-US')} | ${r.outputMB} | ${r.rssBeforeMB} MB | ${r.rssAfterTenthMB} MB | ${r.rssEndMB} MB | ${r.rssPeakMB} MB | ${r.growthAfterTenthMB} MB |`),
    '',
    'RSS at each tenth of the rows (MB):',
    '',
    ...s.map((r) => `- ${r.format}: ${r.samples.map((x) => x.rssMB).join(', ')}`),
    '',
    flat
      ? `Memory stays flat: over the last nine tenths of the rows RSS rises by at most ${Math.max(...s.map((r) => r.growthAfterTenthMB))} MB (the check: under 64 MB). What is held is one batch and the stream buffers, not the input or the output.`
      : '**Memory did not stay flat** (RSS rose by 64 MB or more after the first tenth of the rows).',
    '',
  ];
  fs.writeFileSync(path.join(dir, 'data.md'), md.join('\n'));
  console.log(md.join('\n'));
  if (!flat) process.exitCode = 1;
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
