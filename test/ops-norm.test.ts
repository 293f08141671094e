import { describe, expect, it } from 'vitest';

import { uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, callOp } from './helpers/native';
import { expectSameBits, matchScalar, withThreads } from './helpers/op-compare';
import { expectClose } from './helpers/tolerance';

// odd widths next to vector-aligned ones; M large enough to split rows across threads
const SHAPES = [
  { M: 1, C: 1 },
  { M: 5, C: 7 },
  { M: 13, C: 11 },
  { M: 7, C: 13 },
  { M: 64, C: 64 },
  { M: 37, C: 256 },
  { M: 130, C: 48 },
];

function inputs(M: number, C: number, seed: number) {
  // rows with an offset and a spread that differ, so mean and rstd matter
  const inp = uniform(M * C, seed, -2, 2).map((v, i) => 3 * v + Math.floor(i / C) - M / 2);
  return { inp, weight: uniform(C, seed + 1, 0.5, 1.5), bias: uniform(C, seed + 2) };
}

function forward(isa: string, M: number, C: number, ins: ReturnType<typeof inputs>) {
  const r = { out: new Float32Array(M * C), mean: new Float32Array(M), rstd: new Float32Array(M) };
  callOp(isa, 'layernorm_forward', { ...r, ...ins }, { M, C });
  return r;
}

describe.each(availableIsas())('layernorm on %s vs scalar reference', (isa) => {
  it.each(SHAPES)('forward and backward M=$M C=$C', ({ M, C }) => {
    const ins = inputs(M, C, 1);
    const fwd = matchScalar(isa, 'layernorm_forward', { out: new Float32Array(M * C), mean: new Float32Array(M), rstd: new Float32Array(M) }, ins, { M, C });
    if (C > 1) {
      // normalised rows: mean 0 and variance 1 before the affine map
      const xhat0 = Array.from({ length: C }, (_, c) => (fwd.ref.out[c] - ins.bias[c]) / ins.weight[c]);
      expect(Math.abs(xhat0.reduce((s, v) => s + v, 0) / C)).toBeLessThan(1e-5);
      expect(Math.abs(xhat0.reduce((s, v) => s + v * v, 0) / C - 1)).toBeLessThan(1e-3);
    }
    const { mean, rstd } = fwd.ref;
    const dout = uniform(M * C, 4);
    matchScalar(
      isa,
      'layernorm_backward',
      { dinp: uniform(M * C, 5, -0.5, 0.5), dweight: uniform(C, 6, -0.5, 0.5), dbias: uniform(C, 7, -0.5, 0.5) },
      { dout, inp: ins.inp, weight: ins.weight, mean, rstd },
      { M, C },
    );
  });

  it('skips null gradients and accumulates: running backward twice doubles them', () => {
    const M = 7, C = 13, ins = inputs(M, C, 8);
    const { mean, rstd } = forward(isa, M, C, ins);
    const dout = uniform(M * C, 9);
    const saved = { dout, inp: ins.inp, weight: ins.weight, mean, rstd };
    const once = { dinp: new Float32Array(M * C), dweight: new Float32Array(C), dbias: new Float32Array(C) };
    const twice = { dinp: new Float32Array(M * C), dweight: new Float32Array(C), dbias: new Float32Array(C) };
    callOp(isa, 'layernorm_backward', { ...once, ...saved }, { M, C });
    callOp(isa, 'layernorm_backward', { ...twice, ...saved }, { M, C });
    callOp(isa, 'layernorm_backward', { ...twice, ...saved }, { M, C });
    for (const k of ['dinp', 'dweight', 'dbias'] as const) {
      expectClose(twice[k], once[k].map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, k);
    }
    const onlyW = new Float32Array(C);
    callOp(isa, 'layernorm_backward', { dweight: onlyW, ...saved }, { M, C });
    expectSameBits(onlyW, once.dweight, 'dweight alone');
  });

  it('results are bit-identical with 1 and 2 threads', () => {
    const M = 300, C = 40, ins = inputs(M, C, 10), dout = uniform(M * C, 11);
    const run = () => {
      const f = forward(isa, M, C, ins);
      const g = { dinp: new Float32Array(M * C), dweight: new Float32Array(C), dbias: new Float32Array(C) };
      callOp(isa, 'layernorm_backward', { ...g, dout, inp: ins.inp, weight: ins.weight, mean: f.mean, rstd: f.rstd }, { M, C });
      return { ...f, ...g };
    };
    const one = withThreads(1, run), two = withThreads(2, run);
    for (const k of Object.keys(one) as (keyof typeof one)[]) expectSameBits(two[k], one[k], k);
  });
});

describe('layernorm gradients by finite differences (scalar backend)', () => {
  it('matches central differences for inp, weight and bias', () => {
    const M = 5, C = 7;
    const ins = inputs(M, C, 12);
    gradCheck({
      inputs: ins,
      wrt: ['inp', 'weight', 'bias'],
      forward: () => forward('scalar', M, C, ins).out,
      backward: (dout) => {
        const { mean, rstd } = forward('scalar', M, C, ins);
        const g = { dinp: new Float32Array(M * C), dweight: new Float32Array(C), dbias: new Float32Array(C) };
        callOp('scalar', 'layernorm_backward', { ...g, dout, inp: ins.inp, weight: ins.weight, mean, rstd }, { M, C });
        return { inp: g.dinp, weight: g.dweight, bias: g.dbias };
      },
    });
  });
});

describe('layernorm argument checks', () => {
  it('names the buffer with the wrong length', () => {
    const M = 2, C = 3;
    const bufs = { out: new Float32Array(6), mean: new Float32Array(2), rstd: new Float32Array(3), inp: new Float32Array(6), weight: new Float32Array(3), bias: new Float32Array(3) };
    expect(() => callOp('scalar', 'layernorm_forward', bufs, { M, C })).toThrow(
      new RangeError('Expected a Float32Array of length 2 for buffers.rstd but received length 3'),
    );
  });
  it('names a missing saved buffer and a bad dimension', () => {
    expect(() =>
      callOp('scalar', 'layernorm_backward', { dout: new Float32Array(6), inp: new Float32Array(6), weight: new Float32Array(3), mean: new Float32Array(2) }, { M: 2, C: 3 }),
    ).toThrow(new TypeError('Expected a Float32Array for buffers.rstd but received undefined'));
    expect(() => callOp('scalar', 'layernorm_forward', {}, { M: 2, C: 0 })).toThrow(
      new RangeError('Expected an integer between 1 and 16777216 for dims.C but received 0 (number)'),
    );
  });
});
