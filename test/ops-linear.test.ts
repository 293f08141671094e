import { describe, expect, it } from 'vitest';

import { guarded, guardedCopy, uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, callOp } from './helpers/native';
import { expectClose } from './helpers/tolerance';

const SHAPES = [
  { M: 1, K: 1, N: 1 },
  { M: 5, K: 7, N: 11 },
  { M: 13, K: 5, N: 7 },
  { M: 64, K: 64, N: 192 },
  { M: 37, K: 256, N: 64 },
  { M: 130, K: 16, N: 13 },
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
