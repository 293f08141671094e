import { describe, expect, it } from 'vitest';

import { uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, callOp } from './helpers/native';
import { expectSameBits, matchScalar, withThreads } from './helpers/op-compare';
import { expectClose } from './helpers/tolerance';

// elementwise sizes: odd, vector-aligned, and spanning several thread grains (8192 elements)
const SIZES = [1, 5, 7, 11, 13, 16, 64, 20000];
// per-row shapes (M rows summed over C)
const ROWS = [
  { M: 1, C: 1 },
  { M: 5, C: 7 },
  { M: 13, C: 11 },
  { M: 7, C: 13 },
  { M: 64, C: 64 },
  { M: 37, C: 256 },
];

/** Log-variances in [-4, 4]: the model clamps them to [-10, 10]; this keeps values moderate. */
const logvars = (n: number, seed: number) => uniform(n, seed, -4, 4);

function klGaussInputs(n: number, seed: number) {
  return { mu_q: uniform(n, seed), logvar_q: logvars(n, seed + 1), mu_p: uniform(n, seed + 2), logvar_p: logvars(n, seed + 3) };
}

describe.each(availableIsas())('gaussian ops on %s vs scalar reference', (isa) => {
  it.each(SIZES)('clamp, reparam and gauss_nll, n=%i', (n) => {
    const inp = uniform(n, 1, -15, 15), dout = uniform(n, 2);
    const lh = { n, lo: -10, hi: 10 };
    matchScalar(isa, 'clamp_forward', { out: new Float32Array(n) }, { inp }, lh);
    matchScalar(isa, 'clamp_backward', { dinp: uniform(n, 3) }, { dout, inp }, lh);

    const mu = uniform(n, 4), logvar = logvars(n, 5), eps = uniform(n, 6, -3, 3);
    matchScalar(isa, 'reparam_forward', { out: new Float32Array(n) }, { mu, logvar, eps }, { n });
    matchScalar(isa, 'reparam_backward', { dmu: uniform(n, 7), dlogvar: uniform(n, 8) }, { dout, logvar, eps }, { n });

    const pred = uniform(n, 9, -2, 2), target = uniform(n, 10, -2, 2);
    for (const lv of [-1.5, 0, 2]) {
      const g = { pred, target, logvar: Float32Array.of(lv) };
      matchScalar(isa, 'gauss_nll_forward', { loss: new Float32Array(n) }, g, { n });
      // dlogvar sums n terms in float32 chunks against the double reference
      matchScalar(isa, 'gauss_nll_backward', { dpred: uniform(n, 11), dlogvar: Float32Array.of(0.25) }, { dloss: dout, ...g }, { n }, {
        dlogvar: { atol: 1e-7 * n, rtol: 1e-4 },
      });
    }
  });

  it.each(ROWS)('kl_std and kl_gauss, M=$M C=$C', ({ M, C }) => {
    const n = M * C, dloss = uniform(M, 12);
    const std = { mu: uniform(n, 13), logvar: logvars(n, 14) };
    matchScalar(isa, 'kl_std_forward', { loss: new Float32Array(M) }, std, { M, C });
    matchScalar(isa, 'kl_std_backward', { dmu: uniform(n, 15), dlogvar: uniform(n, 16) }, { dloss, ...std }, { M, C });
    const q = klGaussInputs(n, 17);
    matchScalar(isa, 'kl_gauss_forward', { loss: new Float32Array(M) }, q, { M, C });
    matchScalar(
      isa,
      'kl_gauss_backward',
      { dmu_q: uniform(n, 21), dlogvar_q: uniform(n, 22), dmu_p: uniform(n, 23), dlogvar_p: uniform(n, 24) },
      { dloss, ...q },
      { M, C },
    );
  });

  it('clamp passes the gradient only strictly inside (lo, hi); NaN stays NaN', () => {
    const inp = Float32Array.of(-2, -1, -0.5, 0, 1, 2, NaN), n = inp.length;
    const out = new Float32Array(n), dinp = new Float32Array(n);
    callOp(isa, 'clamp_forward', { out, inp }, { n, lo: -1, hi: 1 });
    callOp(isa, 'clamp_backward', { dinp, dout: new Float32Array(n).fill(1), inp }, { n, lo: -1, hi: 1 });
    expectSameBits(out, Float32Array.of(-1, -1, -0.5, 0, 1, 1, NaN), 'out');
    expect(Array.from(dinp)).toEqual([0, 0, 1, 1, 0, 0, 0]);
  });

  it('exp inside reparam is within 2.5 ulp of the reference over [-87, 88]', () => {
    const n = 4001;
    const logvar = Float32Array.from({ length: n }, (_, i) => 2 * (-87 + (175.5 * i) / (n - 1)));
    const zeros = new Float32Array(n), ones = new Float32Array(n).fill(1);
    // out = exp(logvar / 2) exactly when mu = 0 and eps = 1; 2.5 ulp = 1.5e-7 relative
    matchScalar(isa, 'reparam_forward', { out: new Float32Array(n) }, { mu: zeros, logvar, eps: ones }, { n }, { out: { atol: 0, rtol: 1.5e-7 } });
  });

  it('KLs vanish when the distributions match and are positive otherwise', () => {
    const M = 3, C = 5, n = M * C;
    const mu = uniform(n, 25), lv = logvars(n, 26);
    const loss = new Float32Array(M);
    callOp(isa, 'kl_gauss_forward', { loss, mu_q: mu, logvar_q: lv, mu_p: mu, logvar_p: lv }, { M, C });
    expectClose(loss, new Float32Array(M), { atol: 1e-6, rtol: 0 }, 'KL(q || q)');
    callOp(isa, 'kl_std_forward', { loss, mu: new Float32Array(n), logvar: new Float32Array(n) }, { M, C });
    expectClose(loss, new Float32Array(M), { atol: 1e-6, rtol: 0 }, 'KL(N(0, 1) || N(0, 1))');
    callOp(isa, 'kl_gauss_forward', { loss, ...klGaussInputs(n, 27) }, { M, C });
    expect(loss.every((v) => v > 0)).toBe(true);
  });

  it('backward accumulates: running it twice doubles the gradients', () => {
    const M = 5, C = 7, n = M * C;
    const dout = uniform(n, 30), dloss = uniform(M, 31), inp = uniform(n, 32, -2, 2);
    const cases: [string, Record<string, number>, Record<string, number>, Record<string, Float32Array>][] = [
      ['clamp_backward', { dinp: n }, { n, lo: -1, hi: 1 }, { dout, inp }],
      ['reparam_backward', { dmu: n, dlogvar: n }, { n }, { dout, logvar: logvars(n, 33), eps: uniform(n, 34) }],
      ['gauss_nll_backward', { dpred: n, dlogvar: 1 }, { n }, { dloss: dout, pred: inp, target: uniform(n, 35), logvar: Float32Array.of(0.3) }],
      ['kl_std_backward', { dmu: n, dlogvar: n }, { M, C }, { dloss, mu: uniform(n, 36), logvar: logvars(n, 37) }],
      ['kl_gauss_backward', { dmu_q: n, dlogvar_q: n, dmu_p: n, dlogvar_p: n }, { M, C }, { dloss, ...klGaussInputs(n, 38) }],
    ];
    for (const [op, grads, dims, ins] of cases) {
      const fresh = () => Object.fromEntries(Object.entries(grads).map(([k, len]) => [k, new Float32Array(len)]));
      const once = fresh(), twice = fresh();
      callOp(isa, op, { ...once, ...ins }, dims);
      callOp(isa, op, { ...twice, ...ins }, dims);
      callOp(isa, op, { ...twice, ...ins }, dims);
      for (const k of Object.keys(grads)) expectClose(twice[k], once[k].map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, `${op} ${k}`);
    }
  });

  it('null gradients are skipped', () => {
    const M = 2, C = 3, n = M * C, q = klGaussInputs(n, 40), dloss = uniform(M, 41);
    const all = { dmu_q: new Float32Array(n), dlogvar_q: new Float32Array(n), dmu_p: new Float32Array(n), dlogvar_p: new Float32Array(n) };
    callOp(isa, 'kl_gauss_backward', { ...all, dloss, ...q }, { M, C });
    const onlyP = new Float32Array(n);
    callOp(isa, 'kl_gauss_backward', { dlogvar_p: onlyP, dloss, ...q }, { M, C });
    expectSameBits(onlyP, all.dlogvar_p, 'dlogvar_p alone');
    const dlv = new Float32Array(1), full = new Float32Array(1);
    const g = { dloss: uniform(n, 42), pred: uniform(n, 43), target: uniform(n, 44), logvar: Float32Array.of(0.5) };
    callOp(isa, 'gauss_nll_backward', { dlogvar: dlv, ...g }, { n });
    callOp(isa, 'gauss_nll_backward', { dpred: new Float32Array(n), dlogvar: full, ...g }, { n });
    expectSameBits(dlv, full, 'dlogvar alone');
  });

  it('results are bit-identical with 1 and 2 threads', () => {
    const n = 20000, M = 250, C = 80;
    const inp = uniform(n, 50, -12, 12), dout = uniform(n, 51), logvar = logvars(n, 52), eps = uniform(n, 53);
    const q = klGaussInputs(n, 54), dloss = uniform(M, 55);
    const nll = { pred: uniform(n, 56), target: uniform(n, 57), logvar: Float32Array.of(-0.7) };
    const run = () => {
      const r: Record<string, Float32Array> = {};
      const call = (op: string, outs: Record<string, number>, ins: Record<string, Float32Array>, dims: Record<string, number>) => {
        const o = Object.fromEntries(Object.entries(outs).map(([k, len]) => [k, new Float32Array(len)]));
        callOp(isa, op, { ...o, ...ins }, dims);
        for (const [k, v] of Object.entries(o)) r[`${op} ${k}`] = v;
      };
      call('clamp_forward', { out: n }, { inp }, { n, lo: -10, hi: 10 });
      call('clamp_backward', { dinp: n }, { dout, inp }, { n, lo: -10, hi: 10 });
      call('reparam_forward', { out: n }, { mu: inp, logvar, eps }, { n });
      call('reparam_backward', { dmu: n, dlogvar: n }, { dout, logvar, eps }, { n });
      call('kl_std_forward', { loss: M }, { mu: inp, logvar }, { M, C });
      call('kl_std_backward', { dmu: n, dlogvar: n }, { dloss, mu: inp, logvar }, { M, C });
      call('kl_gauss_forward', { loss: M }, q, { M, C });
      call('kl_gauss_backward', { dmu_q: n, dlogvar_q: n, dmu_p: n, dlogvar_p: n }, { dloss, ...q }, { M, C });
      call('gauss_nll_forward', { loss: n }, nll, { n });
      call('gauss_nll_backward', { dpred: n, dlogvar: 1 }, { dloss: dout, ...nll }, { n });
      return r;
    };
    const one = withThreads(1, run), two = withThreads(2, run);
    for (const k of Object.keys(one)) expectSameBits(two[k], one[k], k);
  });
});

describe('gaussian gradients by finite differences (scalar backend)', () => {
  const M = 3, C = 5, n = M * C;
  const run = (op: string, outs: Record<string, number>, ins: Record<string, Float32Array>, dims: Record<string, number>) => {
    const o = Object.fromEntries(Object.entries(outs).map(([k, len]) => [k, new Float32Array(len)]));
    callOp('scalar', op, { ...o, ...ins }, dims);
    return o;
  };

  it('clamp (inputs kept away from the bounds)', () => {
    const inputs = { inp: uniform(n, 60, -2, 2).map((v) => (Math.abs(Math.abs(v) - 1) < 0.05 ? v * 0.8 : v)) };
    const dims = { n, lo: -1, hi: 1 };
    gradCheck({
      inputs,
      wrt: ['inp'],
      forward: () => run('clamp_forward', { out: n }, inputs, dims).out,
      backward: (dout) => ({ inp: run('clamp_backward', { dinp: n }, { dout, ...inputs }, dims).dinp }),
    });
  });

  it('reparam', () => {
    const inputs = { mu: uniform(n, 61), logvar: uniform(n, 62, -2, 2), eps: uniform(n, 63, -2, 2) };
    gradCheck({
      inputs,
      wrt: ['mu', 'logvar'],
      forward: () => run('reparam_forward', { out: n }, inputs, { n }).out,
      backward: (dout) => {
        const g = run('reparam_backward', { dmu: n, dlogvar: n }, { dout, logvar: inputs.logvar, eps: inputs.eps }, { n });
        return { mu: g.dmu, logvar: g.dlogvar };
      },
    });
  });

  it('kl_std', () => {
    const inputs = { mu: uniform(n, 64), logvar: uniform(n, 65, -2, 2) };
    gradCheck({
      inputs,
      wrt: ['mu', 'logvar'],
      forward: () => run('kl_std_forward', { loss: M }, inputs, { M, C }).loss,
      backward: (dloss) => {
        const g = run('kl_std_backward', { dmu: n, dlogvar: n }, { dloss, ...inputs }, { M, C });
        return { mu: g.dmu, logvar: g.dlogvar };
      },
    });
  });

  it('kl_gauss, both the q and the p side', () => {
    const inputs = { mu_q: uniform(n, 66), logvar_q: uniform(n, 67, -2, 2), mu_p: uniform(n, 68), logvar_p: uniform(n, 69, -2, 2) };
    gradCheck({
      inputs,
      wrt: ['mu_q', 'logvar_q', 'mu_p', 'logvar_p'],
      forward: () => run('kl_gauss_forward', { loss: M }, inputs, { M, C }).loss,
      backward: (dloss) => {
        const g = run('kl_gauss_backward', { dmu_q: n, dlogvar_q: n, dmu_p: n, dlogvar_p: n }, { dloss, ...inputs }, { M, C });
        return { mu_q: g.dmu_q, logvar_q: g.dlogvar_q, mu_p: g.dmu_p, logvar_p: g.dlogvar_p };
      },
    });
  });

  it('gauss_nll, including the one global log-variance', () => {
    const inputs = { pred: uniform(n, 70, -2, 2), target: uniform(n, 71, -2, 2), logvar: Float32Array.of(0.4) };
    gradCheck({
      inputs,
      wrt: ['pred', 'logvar'],
      forward: () => run('gauss_nll_forward', { loss: n }, inputs, { n }).loss,
      backward: (dloss) => {
        const g = run('gauss_nll_backward', { dpred: n, dlogvar: 1 }, { dloss, ...inputs }, { n });
        return { pred: g.dpred, logvar: g.dlogvar };
      },
    });
  });
});

describe('gaussian argument checks', () => {
  const n = 4, inp = new Float32Array(n), out = new Float32Array(n);
  it.each([
    [{ lo: 1, hi: 1 }, RangeError, 'Expected dims.lo < dims.hi but received lo 1 (number) and hi 1 (number)'],
    [{ lo: 2, hi: -2 }, RangeError, 'Expected dims.lo < dims.hi but received lo 2 (number) and hi -2 (number)'],
    [{ lo: NaN, hi: 1 }, RangeError, 'Expected a finite number for dims.lo but received NaN (number)'],
    [{ lo: -1, hi: Infinity }, RangeError, 'Expected a finite number for dims.hi but received Infinity (number)'],
  ])('clamp rejects %j', (bounds, kind, msg) => {
    expect(() => callOp('scalar', 'clamp_forward', { out, inp }, { n, ...bounds })).toThrow(new kind(msg));
    expect(() => callOp(availableIsas().at(-1)!, 'clamp_backward', { dinp: out, dout: inp, inp }, { n, ...bounds })).toThrow(new kind(msg));
  });
  it('gauss_nll takes exactly one log-variance', () => {
    expect(() => callOp('scalar', 'gauss_nll_forward', { loss: out, pred: inp, target: inp, logvar: new Float32Array(2) }, { n })).toThrow(
      new RangeError('Expected a Float32Array of length 1 for buffers.logvar but received length 2'),
    );
    expect(() => callOp('scalar', 'gauss_nll_backward', { dlogvar: new Float32Array(n), dloss: inp, pred: inp, target: inp, logvar: new Float32Array(1) }, { n })).toThrow(
      new RangeError('Expected a Float32Array of length 1 for buffers.dlogvar but received length 4'),
    );
  });
  it('names the buffer with the wrong length in the KL ops', () => {
    expect(() =>
      callOp('scalar', 'kl_gauss_forward', { loss: new Float32Array(2), mu_q: new Float32Array(6), logvar_q: new Float32Array(6), mu_p: new Float32Array(5), logvar_p: new Float32Array(6) }, { M: 2, C: 3 }),
    ).toThrow(new RangeError('Expected a Float32Array of length 6 for buffers.mu_p but received length 5'));
  });
});
