#!/usr/bin/env node
// Attention benchmark: multi-head self-attention at T = 15, 20 (tabular sequences), 64 and 790
// (MNIST pixels as tokens), head size 16, 4 heads, and cross-attention (attention pooling with
// P = 4 learned queries) at T = 3, 8, 14; the scalar reference against the avx2 / avx512
// backends on 1 and 2 threads. Every fast result (out, probs and gradients, with and without a
// key mask) is validated against the scalar reference first; then forward and backward are
// timed with warm-up, reporting the median GFLOP/s of several runs. Flops counted: forward
// 4 * B * NH * Tq * T * HS (scores and weighted sum), backward 8 * B * NH * Tq * T * HS, with
// Tq = T (self) or P (cross). Run after `npm run compile`:
//   node bench/ops/attention.js [--runs 7] [--no-write]
// Writes bench/results/ops-attention.md and .json (unless --no-write).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const { root, binding, args, argValue } = require('./common');
const RUNS = Number(argValue('--runs', 7));
const WRITE = !args.includes('--no-write');
const RUN_MS = 50; // each timed run repeats the op for about this long

// B chosen per T so that one forward is about 25-320 MFLOP
const CASES = [
  { kind: 'self', B: 512, T: 15, NH: 4, HS: 16 },
  { kind: 'self', B: 256, T: 20, NH: 4, HS: 16 },
  { kind: 'self', B: 64, T: 64, NH: 4, HS: 16 },
  { kind: 'self', B: 2, T: 790, NH: 4, HS: 16 },
  { kind: 'cross', B: 512, P: 4, T: 3, NH: 4, HS: 16 },
  { kind: 'cross', B: 512, P: 4, T: 8, NH: 4, HS: 16 },
  { kind: 'cross', B: 512, P: 4, T: 14, NH: 4, HS: 16 },
];

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

// about one key in five masked, at least one kept per row
function keyMask(B, T) {
  const m = new Uint8Array(B * T);
  for (let i = 0; i < m.length; i++) m[i] = (i * 7919) % 5 === 0 ? 0 : 1;
  for (let b = 0; b < B; b++) m[b * T + (b % T)] = 1;
  return m;
}

const dimsOf = (c) => (c.kind === 'self' ? { B: c.B, T: c.T, NH: c.NH, HS: c.HS } : { B: c.B, P: c.P, T: c.T, NH: c.NH, HS: c.HS });
const label = (c) => (c.kind === 'self' ? `self B=${c.B} T=${c.T}` : `cross B=${c.B} P=${c.P} T=${c.T}`);

// Inputs and the buffers of one forward and one backward call of a case.
function setup(c, mask) {
  const C = c.NH * c.HS;
  if (c.kind === 'self') {
    const n = c.B * c.T;
    const t = { qkv: uniform(n * 3 * C, 1), dout: uniform(n * C, 2), key_mask: mask ? keyMask(c.B, c.T) : null };
    const fwd = { out: new Float32Array(n * C), probs: new Float32Array(c.B * c.NH * c.T * c.T), qkv: t.qkv, key_mask: t.key_mask };
    const bwd = { dqkv: new Float32Array(n * 3 * C), dout: t.dout, qkv: t.qkv, probs: fwd.probs, key_mask: t.key_mask };
    return { fwd, bwd, fwdOp: 'attention_forward', bwdOp: 'attention_backward', outputs: ['out', 'probs'], grads: ['dqkv'] };
  }
  const kv = uniform(c.B * c.T * 2 * C, 3), q = uniform(c.P * C, 4), dout = uniform(c.B * c.P * C, 5);
  const key_mask = mask ? keyMask(c.B, c.T) : null;
  const fwd = { out: new Float32Array(c.B * c.P * C), probs: new Float32Array(c.B * c.NH * c.P * c.T), q, kv, key_mask };
  const bwd = { dq: new Float32Array(c.P * C), dkv: new Float32Array(kv.length), dout, q, kv, probs: fwd.probs, key_mask };
  return { fwd, bwd, fwdOp: 'cross_attention_forward', bwdOp: 'cross_attention_backward', outputs: ['out', 'probs'], grads: ['dq', 'dkv'] };
}

function flops(c) {
  const tq = c.kind === 'self' ? c.T : c.P;
  const fwd = 4 * c.B * c.NH * tq * c.T * c.HS;
  return { fwd, bwd: 2 * fwd };
}

// the test suite's tolerance rule |a - ref| <= atol + rtol |ref|; dq sums over B rows
function check(what, got, ref, atol) {
  const rtol = 1e-4;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    if (!(err <= atol + rtol * Math.abs(ref[i]))) throw new Error(`${what}: element ${i} is ${got[i]}, reference ${ref[i]}`);
    worst = Math.max(worst, err);
  }
  return worst;
}

function run(isa, c, mask) {
  const s = setup(c, mask);
  const dims = dimsOf(c);
  binding.callOp(isa, s.fwdOp, s.fwd, dims);
  binding.callOp(isa, s.bwdOp, s.bwd, dims);
  return s;
}

function validate(isa, c, ref, mask) {
  const got = run(isa, c, mask);
  let worst = 0;
  for (const k of got.outputs) worst = Math.max(worst, check(`${isa} ${label(c)} ${k}`, got.fwd[k], ref.fwd[k], 1e-5));
  for (const k of got.grads) {
    const atol = k === 'dq' ? 1e-6 * c.B * c.T : 1e-5;
    worst = Math.max(worst, check(`${isa} ${label(c)} ${k}`, got.bwd[k], ref.bwd[k], atol));
  }
  return worst;
}

function time(call, flop, runs) {
  const t0 = process.hrtime.bigint();
  call();
  const once = Number(process.hrtime.bigint() - t0) / 1e6;
  for (let i = 0; i < 2; i++) call();
  const reps = Math.max(1, Math.round(RUN_MS / Math.max(once, 1e-3)));
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const s = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) call();
    rates.push((flop * reps) / (Number(process.hrtime.bigint() - s) / 1e9) / 1e9);
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1];
}

function main() {
  const info = binding.info();
  const isas = info.isaAvailable.filter((i) => i !== 'scalar');
  const threadsBefore = info.threads;
  const rows = [];
  let worst = 0;
  for (const c of CASES) {
    // validate (unmasked and masked) against the scalar reference
    for (const mask of [false, true]) {
      const ref = run('scalar', c, mask);
      for (const isa of isas) worst = Math.max(worst, validate(isa, c, ref, mask));
    }
    const f = flops(c);
    const dims = dimsOf(c);
    const measure = (isa, threads) => {
      binding.setThreads(threads);
      const s = setup(c, false);
      const runs = isa === 'scalar' && f.fwd > 1e8 ? 3 : RUNS;
      const fwd = time(() => binding.callOp(isa, s.fwdOp, s.fwd, dims), f.fwd, runs);
      const bwd = time(() => binding.callOp(isa, s.bwdOp, s.bwd, dims), f.bwd, runs);
      return { fwd, bwd };
    };
    const scalar = measure('scalar', 1);
    rows.push({ case: label(c), ...dims, kind: c.kind, mflopFwd: f.fwd / 1e6, isa: 'scalar', threads: 1, gflopsFwd: scalar.fwd, gflopsBwd: scalar.bwd, speedupFwd: 1, speedupBwd: 1 });
    for (const isa of isas) {
      for (const threads of [1, 2]) {
        const r = measure(isa, threads);
        rows.push({ case: label(c), ...dims, kind: c.kind, mflopFwd: f.fwd / 1e6, isa, threads, gflopsFwd: r.fwd, gflopsBwd: r.bwd, speedupFwd: r.fwd / scalar.fwd, speedupBwd: r.bwd / scalar.bwd });
      }
    }
    const last = rows.slice(-1 - 2 * isas.length);
    for (const r of last) {
      console.log(`${r.case.padEnd(24)} ${r.isa.padEnd(7)} ${r.threads}t  fwd ${r.gflopsFwd.toFixed(2).padStart(7)} GFLOP/s (${r.speedupFwd.toFixed(1)}x)  bwd ${r.gflopsBwd.toFixed(2).padStart(7)} GFLOP/s (${r.speedupBwd.toFixed(1)}x)`);
    }
  }
  binding.setThreads(threadsBefore);

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os.loadavg()[0];
  const result = {
    date: new Date().toISOString(),
    cpu,
    cores: os.cpus().length,
    loadAverage: load,
    node: process.version,
    isas: info.isaAvailable,
    runs: RUNS,
    flops: 'forward 4*B*NH*Tq*T*HS, backward twice that (Tq = T self, P cross)',
    worstAbsErrorVsScalar: worst,
    rows,
  };
  const lines = [
    '# Attention benchmark (bench/ops/attention.js)',
    '',
    `${result.date.slice(0, 10)}, ${cpu} (${result.cores} cores, load average ${load.toFixed(1)} at the end), node ${process.version}.`,
    `Median GFLOP/s of ${RUNS} runs`,
    '(scalar: 3 runs above 100 MFLOP) after warm-up, ~50 ms each; flops counted as forward',
    '4 B NH Tq T HS (scores + weighted sum), backward twice that, Tq = T for self-attention and P',
    'for cross-attention. NH = 4, HS = 16, no key mask while timing. Every fast result (out, probs,',
    `gradients; with and without a key mask) matched the scalar reference first (worst |error| ${worst.toExponential(2)}).`,
    'Speed-up is over the scalar reference (which has no threads).',
    '',
    '| case | MFLOP fwd | isa | threads | fwd GFLOP/s | fwd speed-up | bwd GFLOP/s | bwd speed-up |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${r.case} | ${r.mflopFwd.toFixed(1)} | ${r.isa} | ${r.threads} | ${r.gflopsFwd.toFixed(2)} | ${r.speedupFwd.toFixed(1)}x | ${r.gflopsBwd.toFixed(2)} | ${r.speedupBwd.toFixed(1)}x |`,
    ),
    '',
  ];
  if (WRITE) {
    const dir = path.join(root, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'ops-attention.json'), JSON.stringify(result, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, 'ops-attention.md'), lines.join('\n'));
    console.log(`wrote ${path.relative(root, path.join(dir, 'ops-attention.md'))} and .json`);
  }
}

main();
