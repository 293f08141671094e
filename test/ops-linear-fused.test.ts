import { describe, expect, it } from 'vitest';

import { guarded, uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, binding, callOp } from './helpers/native';
import { expectClose } from './helpers/tolerance';

// Fused linear epilogues: linear_relu_forward = ReLU(linear), linear_residual_forward = linear +
// res, and relu_linear_backward (the input gradient gated by the saved ReLU output). The fast GEMM applies them to each register tile of
// the last reduction chunk (256 on avx512, 128 on avx2): shapes cover ragged row and column
// tiles, several reduction chunks (K = 300) and both ways of splitting work across threads.
const SHAPES = [
  { M: 1, K: 1, N: 1 },
  { M: 5, K: 7, N: 11 },
  { M: 13, K: 5, N: 7 },
  { M: 64, K: 64, N: 256 },
  { M: 37, K: 256, N: 64 },
  { M: 130, K: 16, N: 13 },
  { M: 7, K: 300, N: 17 },
  { M: 150, K: 64, N: 192 },
];

describe.each(availableIsas())('fused linear epilogues on %s vs scalar reference', (isa) => {
  it.each(SHAPES)('ReLU and residual M=$M K=$K N=$N', ({ M, K, N }) => {
    const inp = uniform(M * K, 1), weight = uniform(N * K, 2), bias = uniform(N, 3), res = uniform(M * N, 4);
    // products of numbers in [-1, 1], K of them: float32 accumulation vs double reference
    const tol = { atol: 1e-5 * K, rtol: 1e-4 };
    for (const withBias of [true, false]) {
      const b = withBias ? bias : undefined;
      const refRelu = new Float32Array(M * N), refRes = new Float32Array(M * N);
      callOp('scalar', 'linear_relu_forward', { out: refRelu, inp, weight, bias: b }, { M, K, N });
      callOp('scalar', 'linear_residual_forward', { out: refRes, inp, weight, bias: b, res }, { M, K, N });
      const relu = guarded(M * N, 7), sum = guarded(M * N, 7);
      callOp(isa, 'linear_relu_forward', { out: relu.view, inp, weight, bias: b }, { M, K, N });
      callOp(isa, 'linear_residual_forward', { out: sum.view, inp, weight, bias: b, res }, { M, K, N });
      relu.checkGuards('relu out');
      sum.checkGuards('residual out');
      expectClose(relu.view, refRelu, tol, `relu out (bias ${withBias})`);
      expectClose(sum.view, refRes, tol, `residual out (bias ${withBias})`);
      // the scalar reference is the unfused chain
      const lin = new Float32Array(M * N);
      callOp('scalar', 'linear_forward', { out: lin, inp, weight, bias: b }, { M, K, N });
      const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
      expect(same(refRelu, lin.map((v) => (v > 0 ? v : 0))), 'reference ReLU = ReLU of linear_forward').toBe(true);
      expect(same(refRes, lin.map((v, i) => v + res[i])), 'reference residual = linear_forward + res').toBe(true);
      if (M * N > 1) expect(relu.view.some((v) => v === 0) && relu.view.some((v) => v > 0)).toBe(true);
    }
  });

  it('is bit-identical to the unfused chain on the same backend', () => {
    // same products, same float operations in the same order: ReLU and the residual add are
    // applied to the finished float result
    const M = 70, K = 300, N = 33;
    const inp = uniform(M * K, 11), weight = uniform(N * K, 12), bias = uniform(N, 13), res = uniform(M * N, 14);
    const lin = new Float32Array(M * N), relu = new Float32Array(M * N), sum = new Float32Array(M * N);
    const chainRelu = new Float32Array(M * N), chainSum = new Float32Array(M * N);
    callOp(isa, 'linear_forward', { out: lin, inp, weight, bias }, { M, K, N });
    callOp(isa, 'relu_forward', { out: chainRelu, inp: lin }, { n: M * N });
    callOp(isa, 'add_forward', { out: chainSum, a: lin, b: res }, { n: M * N });
    callOp(isa, 'linear_relu_forward', { out: relu, inp, weight, bias }, { M, K, N });
    callOp(isa, 'linear_residual_forward', { out: sum, inp, weight, bias, res }, { M, K, N });
    expect(Buffer.from(relu.buffer).equals(Buffer.from(chainRelu.buffer))).toBe(true);
    expect(Buffer.from(sum.buffer).equals(Buffer.from(chainSum.buffer))).toBe(true);
  });
});

// relu_linear_backward: the input gradient gated by the saved ReLU output (about half of it 0)
// and scaled, plus linear_backward's weight and bias gradients.
const act = (n: number, seed: number) => uniform(n, seed).map((v) => (v > 0 ? v : 0));

describe.each(availableIsas())('relu_linear_backward on %s vs scalar reference', (isa) => {
  it.each(SHAPES)('gradients M=$M K=$K N=$N', ({ M, K, N }) => {
    const inp = act(M * K, 51), weight = uniform(N * K, 52), dout = uniform(M * N, 53);
    for (const scale of [1, 1 / 0.9]) {
      const init = (n: number, s: number) => uniform(n, s, -0.5, 0.5);
      const ref = { dpre: init(M * K, 54), dweight: init(N * K, 55), dbias: init(N, 56) };
      const got = { dpre: guarded(M * K), dweight: guarded(N * K), dbias: guarded(N) };
      got.dpre.view.set(ref.dpre);
      got.dweight.view.set(ref.dweight);
      got.dbias.view.set(ref.dbias);
      callOp('scalar', 'relu_linear_backward', { ...ref, dout, inp, weight }, { M, K, N, scale });
      callOp(isa, 'relu_linear_backward', { dpre: got.dpre.view, dweight: got.dweight.view, dbias: got.dbias.view, dout, inp, weight }, { M, K, N, scale });
      for (const k of ['dpre', 'dweight', 'dbias'] as const) got[k].checkGuards(k);
      expectClose(got.dpre.view, ref.dpre, { atol: 1e-5 * N, rtol: 1e-4 }, `dpre (scale ${scale})`);
      expectClose(got.dweight.view, ref.dweight, { atol: 1e-5 * M, rtol: 1e-4 }, 'dweight');
      expectClose(got.dbias.view, ref.dbias, { atol: 1e-5 * M, rtol: 1e-4 }, 'dbias');
    }
  });

  it('equals relu_backward and the scale after linear_backward, and accumulates', () => {
    const M = 70, K = 33, N = 64, scale = 1.25;
    const inp = act(M * K, 61), weight = uniform(N * K, 62), dout = uniform(M * N, 63);
    const lin = new Float32Array(M * K), chain = new Float32Array(M * K);
    callOp(isa, 'linear_backward', { dinp: lin, dout, inp, weight }, { M, K, N });
    callOp(isa, 'relu_backward', { dinp: chain, dout: lin, inp }, { n: M * K });
    const want = chain.map((v) => v * scale);
    const once = new Float32Array(M * K), twice = new Float32Array(M * K);
    callOp(isa, 'relu_linear_backward', { dpre: once, dout, inp, weight }, { M, K, N, scale });
    // the fast GEMM scales the float product (bit-identical to the chain); the reference scales
    // its double sum before rounding
    if (isa === 'scalar') expectClose(once, want, { atol: 1e-6, rtol: 1e-6 }, 'fused = chain');
    else expect(Buffer.from(once.buffer).equals(Buffer.from(want.buffer)), 'fused = chain').toBe(true);
    expect(once.some((v, i) => inp[i] === 0 && v !== 0), 'gated where inp = 0').toBe(false);
    callOp(isa, 'relu_linear_backward', { dpre: twice, dout, inp, weight }, { M, K, N, scale });
    callOp(isa, 'relu_linear_backward', { dpre: twice, dout, inp, weight }, { M, K, N, scale });
    expectClose(twice, once.map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, 'twice');
  });

  it('is bit-identical with 1 and 2 threads', () => {
    const M = 700, K = 256, N = 64;
    const inp = act(M * K, 71), weight = uniform(N * K, 72), dout = uniform(M * N, 73);
    const run = (threads: number) => {
      binding().setThreads(threads);
      const g = { dpre: new Float32Array(M * K), dweight: new Float32Array(N * K), dbias: new Float32Array(N) };
      callOp(isa, 'relu_linear_backward', { ...g, dout, inp, weight }, { M, K, N, scale: 1 / 0.9 });
      return g;
    };
    const before = binding().info().threads;
    try {
      const one = run(1), two = run(2);
      for (const k of ['dpre', 'dweight', 'dbias'] as const) {
        expect(Buffer.from(two[k].buffer).equals(Buffer.from(one[k].buffer)), `${k} differs between 1 and 2 threads`).toBe(true);
      }
    } finally {
      binding().setThreads(before);
    }
  });
});

describe.each(availableIsas())('fused linear epilogues on %s are deterministic across thread counts', (isa) => {
  it.each([
    { M: 600, K: 64, N: 256 },
    { M: 700, K: 256, N: 64 },
  ])('bit-identical with 1 and 2 threads M=$M K=$K N=$N', ({ M, K, N }) => {
    const inp = uniform(M * K, 41), weight = uniform(N * K, 42), bias = uniform(N, 43), res = uniform(M * N, 44);
    const run = (threads: number) => {
      binding().setThreads(threads);
      const relu = new Float32Array(M * N), sum = new Float32Array(M * N);
      callOp(isa, 'linear_relu_forward', { out: relu, inp, weight, bias }, { M, K, N });
      callOp(isa, 'linear_residual_forward', { out: sum, inp, weight, bias, res }, { M, K, N });
      return { relu, sum };
    };
    const before = binding().info().threads;
    try {
      const one = run(1), two = run(2);
      for (const k of ['relu', 'sum'] as const) {
        expect(Buffer.from(two[k].buffer).equals(Buffer.from(one[k].buffer)), `${k} differs between 1 and 2 threads`).toBe(true);
      }
    } finally {
      binding().setThreads(before);
    }
  });
});

describe('fused linear gradients by finite differences', () => {
  // The gradients are those of the unfused chain (engine/backend.h): relu_backward on the saved
  // output, then linear_backward; linear_backward and add_backward into dres.
  const M = 5, K = 7, N = 3;
  it('ReLU: relu_backward on the output, then linear_backward', () => {
    const inputs = { inp: uniform(M * K, 11), weight: uniform(N * K, 12), bias: uniform(N, 13) };
    const pre = new Float32Array(M * N);
    callOp('scalar', 'linear_forward', { out: pre, ...inputs }, { M, K, N });
    // no pre-activation within reach of the kink for the step h = 1e-2 (else differences lie)
    expect(Math.min(...pre.map(Math.abs))).toBeGreaterThan(0.05);
    expect(pre.some((v) => v < 0) && pre.some((v) => v > 0)).toBe(true);
    gradCheck({
      inputs,
      wrt: ['inp', 'weight', 'bias'],
      forward: () => {
        const out = new Float32Array(M * N);
        callOp('scalar', 'linear_relu_forward', { out, ...inputs }, { M, K, N });
        return out;
      },
      backward: (dout) => {
        const out = new Float32Array(M * N), dpre = new Float32Array(M * N);
        callOp('scalar', 'linear_relu_forward', { out, ...inputs }, { M, K, N });
        callOp('scalar', 'relu_backward', { dinp: dpre, dout, inp: out }, { n: M * N });
        const g = { dinp: new Float32Array(M * K), dweight: new Float32Array(N * K), dbias: new Float32Array(N) };
        callOp('scalar', 'linear_backward', { ...g, dout: dpre, ...inputs }, { M, K, N });
        return { inp: g.dinp, weight: g.dweight, bias: g.dbias };
      },
    });
  });
  it('relu_linear_backward: gradient of linear(scale * ReLU(pre)) w.r.t. pre, weight, bias', () => {
    const scale = 1.5;
    const inputs = { pre: uniform(M * K, 31), weight: uniform(N * K, 32), bias: uniform(N, 33) };
    // no pre-activation within reach of the kink for the step h = 1e-2
    expect(Math.min(...inputs.pre.map(Math.abs))).toBeGreaterThan(0.02);
    const actOf = () => {
      const a = new Float32Array(M * K);
      callOp('scalar', 'relu_forward', { out: a, inp: inputs.pre }, { n: M * K });
      return a.map((v) => v * scale);
    };
    gradCheck({
      inputs,
      wrt: ['pre', 'weight', 'bias'],
      forward: () => {
        const out = new Float32Array(M * N);
        callOp('scalar', 'linear_forward', { out, inp: actOf(), weight: inputs.weight, bias: inputs.bias }, { M, K, N });
        return out;
      },
      backward: (dout) => {
        const g = { dpre: new Float32Array(M * K), dweight: new Float32Array(N * K), dbias: new Float32Array(N) };
        callOp('scalar', 'relu_linear_backward', { ...g, dout, inp: actOf(), weight: inputs.weight }, { M, K, N, scale });
        return { pre: g.dpre, weight: g.dweight, bias: g.dbias };
      },
    });
  });
  it('residual: linear_backward and add_backward', () => {
    const inputs = { inp: uniform(M * K, 21), weight: uniform(N * K, 22), bias: uniform(N, 23), res: uniform(M * N, 24) };
    gradCheck({
      inputs,
      wrt: ['inp', 'weight', 'bias', 'res'],
      forward: () => {
        const out = new Float32Array(M * N);
        callOp('scalar', 'linear_residual_forward', { out, ...inputs }, { M, K, N });
        return out;
      },
      backward: (dout) => {
        const g = { dinp: new Float32Array(M * K), dweight: new Float32Array(N * K), dbias: new Float32Array(N) };
        const { res, ...lin } = inputs;
        callOp('scalar', 'linear_backward', { ...g, dout, ...lin }, { M, K, N });
        const dres = new Float32Array(res.length);
        callOp('scalar', 'add_backward', { da: dres, dout }, { n: M * N });
        return { inp: g.dinp, weight: g.dweight, bias: g.dbias, res: dres };
      },
    });
  });
});

describe('fused linear argument checks', () => {
  it('names the buffer with the wrong length', () => {
    expect(() =>
      callOp('scalar', 'linear_relu_forward', { out: new Float32Array(4), inp: new Float32Array(5), weight: new Float32Array(6) }, { M: 2, K: 3, N: 2 }),
    ).toThrow(new RangeError('Expected a Float32Array of length 6 for buffers.inp but received length 5'));
    expect(() =>
      callOp('avx2', 'linear_residual_forward', { out: new Float32Array(4), inp: new Float32Array(6), weight: new Float32Array(6), res: new Float32Array(3) }, { M: 2, K: 3, N: 2 }),
    ).toThrow(new RangeError('Expected a Float32Array of length 4 for buffers.res but received length 3'));
  });
  it('relu_linear_backward names a bad length and a non-finite scale', () => {
    const ok = { dout: new Float32Array(4), inp: new Float32Array(6), weight: new Float32Array(6) };
    expect(() => callOp('avx2', 'relu_linear_backward', { ...ok, dpre: new Float32Array(5) }, { M: 2, K: 3, N: 2, scale: 1 })).toThrow(
      new RangeError('Expected a Float32Array of length 6 for buffers.dpre but received length 5'),
    );
    expect(() => callOp('scalar', 'relu_linear_backward', { ...ok }, { M: 2, K: 3, N: 2, scale: Infinity })).toThrow(/dims\.scale/);
    expect(() => callOp('scalar', 'relu_linear_backward', { ...ok }, { M: 2, K: 3, N: 2, scale: 1e300 })).toThrow(
      /Expected a finite float32 for dims\.scale/,
    );
  });
  it('rejects a residual that overlaps the output', () => {
    const buf = new Float32Array(8);
    expect(() =>
      callOp('scalar', 'linear_residual_forward', { out: buf.subarray(0, 4), inp: new Float32Array(6), weight: new Float32Array(6), res: buf.subarray(2, 6) }, { M: 2, K: 3, N: 2 }),
    ).toThrow(new RangeError('Expected buffers.res not to overlap buffers.out'));
  });
  it('names the bad dimension and a missing buffer', () => {
    expect(() => callOp('scalar', 'linear_relu_forward', {}, { M: 2, K: 0, N: 2 })).toThrow(
      new RangeError('Expected an integer between 1 and 16777216 for dims.K but received 0 (number)'),
    );
    expect(() =>
      callOp('scalar', 'linear_residual_forward', { out: new Float32Array(4), inp: new Float32Array(6), weight: new Float32Array(6) }, { M: 2, K: 3, N: 2 }),
    ).toThrow(/buffers\.res/);
  });
});
