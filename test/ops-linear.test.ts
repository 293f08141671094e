import { describe, expect, it } from 'vitest';

import { guarded, guardedCopy, uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, binding, callOp } from './helpers/native';
import { expectClose } from './helpers/tolerance';

// Odd sizes next to aligned ones. The fast GEMM tiles C in 6-row x 64-column (avx512) or
// 6 x 16 (avx2) register tiles and reduces in chunks of 256 (avx512) or 128 (avx2): the shapes
// cover ragged row and column tiles, several reduction chunks (K = 300 forward, M = 300 for
// dweight), small M (1, 4), both ways of splitting work across threads, and more than 8 column
// vectors (the bias gradient's groups).
const SHAPES = [
  { M: 1, K: 1, N: 1 },
  { M: 1, K: 64, N: 192 },
  { M: 4, K: 13, N: 5 },
  { M: 4, K: 64, N: 192 },
  { M: 5, K: 7, N: 11 },
  { M: 13, K: 5, N: 7 },
  { M: 64, K: 64, N: 192 },
  { M: 37, K: 256, N: 64 },
  { M: 130, K: 16, N: 13 },
  { M: 70, K: 33, N: 70 },
  { M: 7, K: 300, N: 17 },
  { M: 40, K: 150, N: 13 },
  { M: 300, K: 256, N: 64 },
  { M: 300, K: 64, N: 256 },
  // more than 8 vectors of columns (the bias gradient sums groups of 8 vectors): whole vectors in
  // a group that is not the last, with a ragged or whole last vector
  { M: 9, K: 8, N: 176 },
  { M: 5, K: 6, N: 240 },
  { M: 3, K: 5, N: 88 },
  { M: 6, K: 4, N: 150 },
];

describe.each(availableIsas())('linear on %s vs scalar reference', (isa) => {
  it.each(SHAPES)('forward and backward M=$M K=$K N=$N', ({ M, K, N }) => {
    const inp = uniform(M * K, 1), w = uniform(N * K, 2), b = uniform(N, 3), dout = uniform(M * N, 4);
    const ref = new Float32Array(M * N);
    callOp('scalar', 'linear_forward', { out: ref, inp, weight: w, bias: b }, { M, K, N });
    const out = guarded(M * N);
    callOp(isa, 'linear_forward', { out: out.view, inp, weight: w, bias: b }, { M, K, N });
    out.checkGuards('out');
    // K up to 256 of products of numbers in [-1, 1]: float32 accumulation vs double reference
    expectClose(out.view, ref, { atol: 1e-5 * K, rtol: 1e-4 }, 'out');

    const init = (n: number, s: number) => uniform(n, s, -0.5, 0.5);
    const rdinp = init(M * K, 5), rdw = init(N * K, 6), rdb = init(N, 7);
    const gdinp = guardedCopy(rdinp), gdw = guardedCopy(rdw), gdb = guardedCopy(rdb);
    callOp('scalar', 'linear_backward', { dinp: rdinp, dweight: rdw, dbias: rdb, dout, inp, weight: w }, { M, K, N });
    callOp(isa, 'linear_backward', { dinp: gdinp.view, dweight: gdw.view, dbias: gdb.view, dout, inp, weight: w }, { M, K, N });
    gdinp.checkGuards('dinp');
    gdw.checkGuards('dweight');
    gdb.checkGuards('dbias');
    expectClose(gdinp.view, rdinp, { atol: 1e-5 * N, rtol: 1e-4 }, 'dinp');
    expectClose(gdw.view, rdw, { atol: 1e-5 * M, rtol: 1e-4 }, 'dweight');
    expectClose(gdb.view, rdb, { atol: 1e-5 * M, rtol: 1e-4 }, 'dbias');
  });

  it.each([
    { M: 4, K: 64, N: 192 },
    { M: 70, K: 33, N: 70 },
    { M: 300, K: 256, N: 64 },
  ])('each backward product alone (others null) M=$M K=$K N=$N', ({ M, K, N }) => {
    const inp = uniform(M * K, 21), w = uniform(N * K, 22), dout = uniform(M * N, 23);
    const full = { dinp: new Float32Array(M * K), dweight: new Float32Array(N * K), dbias: new Float32Array(N) };
    callOp('scalar', 'linear_backward', { ...full, dout, inp, weight: w }, { M, K, N });
    const tol = { dinp: { atol: 1e-5 * N, rtol: 1e-4 }, dweight: { atol: 1e-5 * M, rtol: 1e-4 }, dbias: { atol: 1e-5 * M, rtol: 1e-4 } };
    for (const k of ['dinp', 'dweight', 'dbias'] as const) {
      const g = guarded(full[k].length);
      callOp(isa, 'linear_backward', { [k]: g.view, dout, inp, weight: w }, { M, K, N });
      g.checkGuards(k);
      expectClose(g.view, full[k], tol[k], k);
    }
  });

  it('forward without bias', () => {
    const M = 11, K = 13, N = 70;
    const inp = uniform(M * K, 31), w = uniform(N * K, 32);
    const ref = new Float32Array(M * N);
    callOp('scalar', 'linear_forward', { out: ref, inp, weight: w }, { M, K, N });
    const out = guarded(M * N, 7);
    callOp(isa, 'linear_forward', { out: out.view, inp, weight: w }, { M, K, N });
    out.checkGuards('out');
    expectClose(out.view, ref, { atol: 1e-5 * K, rtol: 1e-4 }, 'out');
  });

  it('backward accumulates: running it twice doubles the gradients', () => {
    const M = 7, K = 5, N = 3;
    const inp = uniform(M * K, 1), w = uniform(N * K, 2), dout = uniform(M * N, 4);
    const once = { dinp: new Float32Array(M * K), dweight: new Float32Array(N * K), dbias: new Float32Array(N) };
    const twice = { dinp: new Float32Array(M * K), dweight: new Float32Array(N * K), dbias: new Float32Array(N) };
    callOp(isa, 'linear_backward', { ...once, dout, inp, weight: w }, { M, K, N });
    callOp(isa, 'linear_backward', { ...twice, dout, inp, weight: w }, { M, K, N });
    callOp(isa, 'linear_backward', { ...twice, dout, inp, weight: w }, { M, K, N });
    for (const k of ['dinp', 'dweight', 'dbias'] as const) {
      expectClose(twice[k], once[k].map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, k);
    }
  });
});

describe.each(availableIsas())('linear on %s is deterministic across thread counts', (isa) => {
  // Large enough that every product is split across threads: rows of C for forward and dinp,
  // rows (N >= K) or column panels (N < K) of dweight; the reduction is never split.
  it.each([
    { M: 600, K: 64, N: 96 },
    { M: 512, K: 256, N: 16 },
    { M: 700, K: 70, N: 130 },
  ])('bit-identical with 1 and 2 threads M=$M K=$K N=$N', ({ M, K, N }) => {
    const inp = uniform(M * K, 41), w = uniform(N * K, 42), b = uniform(N, 43), dout = uniform(M * N, 44);
    const run = (threads: number) => {
      binding().setThreads(threads);
      const out = new Float32Array(M * N);
      const g = { dinp: uniform(M * K, 45), dweight: uniform(N * K, 46), dbias: uniform(N, 47) };
      callOp(isa, 'linear_forward', { out, inp, weight: w, bias: b }, { M, K, N });
      callOp(isa, 'linear_backward', { ...g, dout, inp, weight: w }, { M, K, N });
      return { out, ...g };
    };
    const before = binding().info().threads;
    try {
      const one = run(1), two = run(2);
      for (const k of ['out', 'dinp', 'dweight', 'dbias'] as const) {
        expect(Buffer.from(two[k].buffer).equals(Buffer.from(one[k].buffer)), `${k} differs between 1 and 2 threads`).toBe(true);
      }
    } finally {
      binding().setThreads(before);
    }
  });
});

describe('linear gradients by finite differences', () => {
  it('matches central differences for inp, weight and bias', () => {
    const M = 5, K = 7, N = 3;
    const inputs = { inp: uniform(M * K, 11), weight: uniform(N * K, 12), bias: uniform(N, 13) };
    gradCheck({
      inputs,
      wrt: ['inp', 'weight', 'bias'],
      forward: () => {
        const out = new Float32Array(M * N);
        callOp('scalar', 'linear_forward', { out, ...inputs }, { M, K, N });
        return out;
      },
      backward: (dout) => {
        const g = { dinp: new Float32Array(M * K), dweight: new Float32Array(N * K), dbias: new Float32Array(N) };
        callOp('scalar', 'linear_backward', { ...g, dout, ...inputs }, { M, K, N });
        return { inp: g.dinp, weight: g.dweight, bias: g.dbias };
      },
    });
  });
});

describe('linear argument checks', () => {
  it('names the buffer with the wrong length', () => {
    expect(() =>
      callOp('scalar', 'linear_forward', { out: new Float32Array(4), inp: new Float32Array(5), weight: new Float32Array(6) }, { M: 2, K: 3, N: 2 }),
    ).toThrow(new RangeError('Expected a Float32Array of length 6 for buffers.inp but received length 5'));
  });
  it('names the bad dimension', () => {
    expect(() => callOp('scalar', 'linear_forward', {}, { M: 2, K: -1, N: 2 })).toThrow(
      new RangeError('Expected an integer between 1 and 16777216 for dims.K but received -1 (number)'),
    );
  });
});
