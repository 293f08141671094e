#!/usr/bin/env node
// Linear layer benchmark: the forward product and both backward products (dinp, dweight) on
// the engine's tall-skinny shapes, for the scalar reference and the avx2 / avx512 backends,
// on 1 and 2 threads. Validates every fast product against the scalar reference first, then
// times with warm-up and reports the median GFLOP/s (2 * M * N * K flops per product) of
// several runs. Run after `npm run compile`:
//   node bench/ops/matmul.js [--runs 7] [--only forward|dinp|dweight] [--no-write]
// Writes bench/results/ops-matmul.md and .json (unless --no-write).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const { root, binding, args, argValue } = require('./common');
const RUNS = Number(argValue('--runs', 11));
const ONLY = argValue('--only', null);
const WRITE = !args.includes('--no-write');
const RUN_MS = 25; // each timed run repeats the product for about this long

// linear shapes as M x K x N: out (M, N) = inp (M, K) . weight (N, K)^T + bias
const SHAPES = [
  { M: 3840, K: 64, N: 192 },
  { M: 3840, K: 64, N: 256 },
  { M: 3840, K: 256, N: 64 },
  { M: 64, K: 64, N: 192 }, // a small batch of rows
];

// The three products of a linear layer, each as a GEMM C (rows, cols) over a reduction `red`.
const PRODUCTS = {
  forward: {
    gemm: ({ M, K, N }) => ({ rows: M, cols: N, red: K }),
    op: 'linear_forward',
    buffers: (t) => ({ out: new Float32Array(t.M * t.N), inp: t.inp, weight: t.w, bias: t.b }),
    result: (b) => b.out,
  },
  dinp: {
    gemm: ({ M, K, N }) => ({ rows: M, cols: K, red: N }),
    op: 'linear_backward',
    buffers: (t) => ({ dinp: new Float32Array(t.M * t.K), dout: t.dout, inp: t.inp, weight: t.w }),
    result: (b) => b.dinp,
  },
  dweight: {
    gemm: ({ M, K, N }) => ({ rows: N, cols: K, red: M }),
    op: 'linear_backward',
    buffers: (t) => ({ dweight: new Float32Array(t.N * t.K), dout: t.dout, inp: t.inp, weight: t.w }),
    result: (b) => b.dweight,
  },
};

function uniform(n, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = 2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1;
  }
  return out;
}

function tensors({ M, K, N }) {
  return { M, K, N, inp: uniform(M * K, 1), w: uniform(N * K, 2), b: uniform(N, 3), dout: uniform(M * N, 4) };
}

// |a - ref| <= atol + rtol * |ref|, atol growing with the reduction length (float32 vs double)
function validate(isa, name, shape, t, ref) {
  const p = PRODUCTS[name];
  const bufs = p.buffers(t);
  binding.callOp(isa, p.op, bufs, shape);
  const got = p.result(bufs);
  const { red } = p.gemm(shape);
  const atol = 1e-5 * red, rtol = 1e-4;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    if (!(err <= atol + rtol * Math.abs(ref[i]))) {
      throw new Error(`${isa} ${name} ${shape.M}x${shape.K}x${shape.N}: element ${i} is ${got[i]}, reference ${ref[i]}`);
    }
    worst = Math.max(worst, err);
  }
  return worst;
}

// Median and best wall-clock GFLOP/s of `runs` runs, and the median GFLOP/s per second of CPU
// time the process used (all threads, spin-waits included): on a machine shared with other
// work the wall clock counts time the benchmark was not running at all, the CPU time does not.
function time(isa, name, shape, t, runs) {
  const p = PRODUCTS[name];
  const bufs = p.buffers(t);
  const call = () => binding.callOp(isa, p.op, bufs, shape);
  // warm-up, and the repetitions per run that fill RUN_MS
  let reps = 1;
  const t0 = process.hrtime.bigint();
  call();
  const once = Number(process.hrtime.bigint() - t0) / 1e6;
  if (runs > 1) {
    for (let i = 0; i < 3; i++) call();
    reps = Math.max(1, Math.round(RUN_MS / Math.max(once, 1e-3)));
  }
  const { rows, cols, red } = p.gemm(shape);
  const flops = 2 * rows * cols * red * reps;
  const wall = [], cpu = [], cores = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const s = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) call();
    const sec = Number(process.hrtime.bigint() - s) / 1e9;
    const c = process.cpuUsage(c0);
    wall.push(flops / sec / 1e9);
    cpu.push(flops / ((c.user + c.system) / 1e6) / 1e9);
    cores.push((c.user + c.system) / 1e6 / sec);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return { median: median(wall), best: Math.max(...wall), perCpu: median(cpu), cores: median(cores), runs, reps };
}

function main() {
  const info = binding.info();
  const isas = info.isaAvailable.filter((i) => i !== 'scalar');
  const names = ONLY ? [ONLY] : Object.keys(PRODUCTS);
  const rows = [];
  const defaultThreads = info.threads;
  for (const shape of SHAPES) {
    const t = tensors(shape);
    for (const name of names) {
      const { rows: gm, cols: gn, red } = PRODUCTS[name].gemm(shape);
      const label = `${name} ${gm}x${gn}, reduce ${red}`;
      // reference once (it is slow): validates every backend and gives the scalar row
      const refBufs = PRODUCTS[name].buffers(t);
      binding.setThreads(1);
      const s = process.hrtime.bigint();
      binding.callOp('scalar', PRODUCTS[name].op, refBufs, shape);
      const sec = Number(process.hrtime.bigint() - s) / 1e9;
      const ref = PRODUCTS[name].result(refBufs);
      rows.push({ shape, product: name, label, threads: 1, isa: 'scalar', gflops: (2 * gm * gn * red) / sec / 1e9, runs: 1 });
      for (const threads of [1, 2]) {
        binding.setThreads(threads);
        for (const isa of isas) {
          const err = validate(isa, name, shape, t, ref);
          const r = time(isa, name, shape, t, RUNS);
          rows.push({ shape, product: name, label, threads, isa, gflops: r.median, best: r.best, perCpu: r.perCpu, cores: r.cores, runs: r.runs, reps: r.reps, maxAbsErr: err });
          process.stdout.write(
            `${label.padEnd(34)} threads ${threads}  ${isa.padEnd(7)} ${r.median.toFixed(1).padStart(7)} GFLOP/s ` +
              `(best ${r.best.toFixed(1)}, ${r.perCpu.toFixed(1)} per CPU-second, ${r.cores.toFixed(2)} cores busy)\n`,
          );
        }
      }
    }
  }
  binding.setThreads(defaultThreads);

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Linear layer (matmul) benchmark',
    '',
    `Generated by \`node bench/ops/matmul.js\` on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${os.cpus().length} logical CPUs, ` +
      `node ${process.version}, ${info.compiler}. Median and best wall-clock GFLOP/s of ${RUNS} runs (2 * rows * cols * reduce flops per product), ` +
      'after validating each fast product against the scalar reference (timed once, 1 thread). ' +
      'Shapes are linear layers M x K x N: forward out (M, N) = inp (M, K) . weight (N, K)^T + bias; ' +
      'dinp (M, K) += dout . weight; dweight (N, K) += dout^T . inp. "per CPU-second": flops over the CPU time ' +
      'the process used (all threads, spin-waits included), which a busy shared machine does not distort as much as the wall clock; ' +
      '"cores busy": that CPU time over the wall time (median), under 2 on a 2-thread row when the machine did not give the process ' +
      'its second core, or when the product is too small to split (under ~4 MFLOP; the 64-row shape).',
    '',
    '| linear M x K x N | product: GEMM rows x cols, reduce | threads | isa | GFLOP/s median | best | per CPU-second | cores busy |',
    '|---|---|---:|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const f = (x) => (x === undefined ? '' : x.toFixed(r.isa === 'scalar' ? 2 : 1));
    const cores = r.cores === undefined ? '' : r.cores.toFixed(2);
    lines.push(`| ${r.shape.M}x${r.shape.K}x${r.shape.N} | ${r.label} | ${r.threads} | ${r.isa} | ${f(r.gflops)} | ${f(r.best)} | ${f(r.perCpu)} | ${cores} |`);
  }
  lines.push('');
  if (WRITE) {
    const dir = path.join(root, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'ops-matmul.md'), lines.join('\n'));
    const meta = { date: new Date().toISOString(), cpu, cpus: os.cpus().length, node: process.version, compiler: info.compiler, runs: RUNS };
    fs.writeFileSync(path.join(dir, 'ops-matmul.json'), JSON.stringify({ meta, rows }, null, 2) + '\n');
  }
  process.stdout.write('\n' + lines.join('\n'));
}

main();
