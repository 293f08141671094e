// The optimiser ops (docs/model.md, section 6) and the EMA update (section 10): every ISA against the
// scalar reference, AdamW against a hand-written TypeScript AdamW, guard bands, thread-count
// determinism, and the hyper-parameter checks of the op runner.
import { describe, expect, it } from 'vitest';

import { guardedCopy, rng, uniform } from './helpers/buffers';
import { availableIsas, callOp } from './helpers/native';
import { expectClose } from './helpers/tolerance';
import { withThreads } from './helpers/op-compare';

const SIZES = [1, 5, 7, 13, 16, 64, 1000, 40_000];

interface Hparams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  step: number;
}

// not the defaults, so that every term (decay, both bias corrections, eps) shows in the result
const H: Hparams = { lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: 0.1, step: 1 };

function decayFlags(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
}

function bitEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * AdamW as docs/model.md, section 6 states it, written here independently of the native code: state in
 * float32 arrays (as in the arena), arithmetic in double, hyper-parameters rounded to float32 as
 * the native struct holds them.
 */
function adamwTs(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, decay: Uint8Array | null, h: Hparams) {
  const f = Math.fround;
  const lr = f(h.lr), b1 = f(h.beta1), b2 = f(h.beta2), eps = f(h.eps), wd = f(h.weight_decay);
  const bc1 = 1 - b1 ** h.step, bc2 = 1 - b2 ** h.step;
  for (let i = 0; i < p.length; i++) {
    let pi = p[i];
    if (decay && decay[i] === 1) pi -= lr * wd * pi;
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    pi -= (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + eps);
    p[i] = pi;
  }
}

function adamwCall(isa: string, s: { params: Float32Array; m: Float32Array; v: Float32Array }, grads: Float32Array, decay: Uint8Array | null, h: Hparams) {
  callOp(isa, 'adamw_update', { ...s, grads, decay }, { n: grads.length, ...h });
}

describe.each(availableIsas())('optimiser ops on %s vs scalar reference', (isa) => {
  it.each(SIZES)('adamw_update n=%i', (n) => {
    const p0 = uniform(n, 1), m0 = uniform(n, 2, -0.1, 0.1), v0 = uniform(n, 3, 0, 0.1), g = uniform(n, 4);
    const decay = decayFlags(n, 5);
    const h = { ...H, step: 7 };
    const ref = { params: p0.slice(), m: m0.slice(), v: v0.slice() };
    callOp('scalar', 'adamw_update', { ...ref, grads: g, decay }, { n, ...h });
    const gp = guardedCopy(p0), gm = guardedCopy(m0), gv = guardedCopy(v0);
    callOp(isa, 'adamw_update', { params: gp.view, m: gm.view, v: gv.view, grads: g, decay }, { n, ...h });
    gp.checkGuards('params');
    gm.checkGuards('m');
    gv.checkGuards('v');
    expectClose(gp.view, ref.params, undefined, 'params');
    expectClose(gm.view, ref.m, undefined, 'm');
    expectClose(gv.view, ref.v, undefined, 'v');
    // without a decay buffer nothing decays
    const nod = { params: p0.slice(), m: m0.slice(), v: v0.slice() }, zero = { params: p0.slice(), m: m0.slice(), v: v0.slice() };
    callOp(isa, 'adamw_update', { ...nod, grads: g, decay: null }, { n, ...h });
    callOp(isa, 'adamw_update', { ...zero, grads: g, decay: new Uint8Array(n) }, { n, ...h });
    expect(bitEqual(nod.params, zero.params)).toBe(true);
  });

  it('adamw_update follows a hand-written AdamW for 3 steps', () => {
    const n = 37;
    const decay = decayFlags(n, 11);
    const ts = { params: uniform(n, 12), m: new Float32Array(n), v: new Float32Array(n) };
    const nat = { params: ts.params.slice(), m: new Float32Array(n), v: new Float32Array(n) };
    const start = ts.params.slice();
    for (let step = 1; step <= 3; step++) {
      const g = uniform(n, 100 + step);
      adamwTs(ts.params, ts.m, ts.v, g, decay, { ...H, step });
      adamwCall(isa, nat, g, decay, { ...H, step });
      expectClose(nat.params, ts.params, undefined, `params after step ${step}`);
      expectClose(nat.m, ts.m, undefined, `m after step ${step}`);
      expectClose(nat.v, ts.v, undefined, `v after step ${step}`);
      // the first step moves every parameter by about lr (m / sqrt(v) = sign(g)), far above the
      // tolerance, so the comparison above is not vacuous
      if (step === 1) for (let i = 0; i < n; i++) expect(Math.abs(nat.params[i] - start[i])).toBeGreaterThan(0.5 * H.lr);
    }
  });

  it.each([1, 5, 4095, 4096, 4097, 70_001])('sum_squares n=%i', (n) => {
    const x = uniform(n, 21);
    let want = 0;
    for (let i = 0; i < n; i++) want += x[i] * x[i];
    const ref = callOp('scalar', 'sum_squares', { x }, { n }) as number;
    // the reference sums in double in index order, as this loop does: identical
    expect(ref).toBe(want);
    const got = callOp(isa, 'sum_squares', { x }, { n }) as number;
    expect(typeof got).toBe('number');
    // float sums over 4096-element chunks against the double reference
    expectClose([got], [ref], { atol: 1e-6, rtol: 1e-6 }, 'sum_squares');
  });

  it.each([1, 7, 16, 1000, 40_000])('scale_inplace and ema_update n=%i', (n) => {
    const x0 = uniform(n, 31);
    const ref = x0.slice();
    callOp('scalar', 'scale_inplace', { x: ref }, { n, s: 0.37 });
    const gx = guardedCopy(x0);
    callOp(isa, 'scale_inplace', { x: gx.view }, { n, s: 0.37 });
    gx.checkGuards('x');
    // one float multiply per element on every backend: exact
    expectClose(gx.view, ref, { atol: 0, rtol: 0 }, 'x');

    const t0 = uniform(n, 32), src = uniform(n, 33);
    const rt = t0.slice();
    callOp('scalar', 'ema_update', { target: rt, source: src }, { n, momentum: 0.9 });
    for (let i = 0; i < n; i += 97) expect(Math.abs(rt[i] - (0.9 * t0[i] + 0.1 * src[i]))).toBeLessThan(1e-6);
    const gt = guardedCopy(t0);
    callOp(isa, 'ema_update', { target: gt.view, source: src }, { n, momentum: 0.9 });
    gt.checkGuards('target');
    expectClose(gt.view, rt, undefined, 'target');
    // the ends of the momentum range: 1 keeps the target, 0 copies the source
    const keep = t0.slice(), copy = t0.slice();
    callOp(isa, 'ema_update', { target: keep, source: src }, { n, momentum: 1 });
    callOp(isa, 'ema_update', { target: copy, source: src }, { n, momentum: 0 });
    expect(bitEqual(keep, t0)).toBe(true);
    expect(bitEqual(copy, src)).toBe(true);
  });

  it('gives bit-identical results with 1 and 2 threads', () => {
    const n = 1_100_007; // more than 256 chunks of 4096: several groups in sum_squares
    const x = uniform(n, 41), g = uniform(n, 42), src = uniform(n, 43), decay = decayFlags(n, 44);
    const run = () => {
      const s = { params: x.slice(), m: new Float32Array(n), v: new Float32Array(n) };
      adamwCall(isa, s, g, decay, { ...H, step: 2 });
      const scaled = x.slice(), target = x.slice();
      callOp(isa, 'scale_inplace', { x: scaled }, { n, s: 1.7 });
      callOp(isa, 'ema_update', { target, source: src }, { n, momentum: 0.996 });
      return { ...s, scaled, target, ss: callOp(isa, 'sum_squares', { x }, { n }) as number };
    };
    const one = withThreads(1, run), two = withThreads(2, run);
    expect(two.ss).toBe(one.ss);
    for (const k of ['params', 'm', 'v', 'scaled', 'target'] as const) expect(bitEqual(two[k], one[k]), k).toBe(true);
  });
});

describe('optimiser argument checks', () => {
  const n = 4;
  const state = () => ({ params: uniform(n, 51), m: new Float32Array(n), v: new Float32Array(n), grads: uniform(n, 52) });

  it.each([
    ['lr', -1, 'Expected a number >= 0 for dims.lr but received -1 (number)'],
    ['lr', NaN, 'Expected a finite number for dims.lr but received NaN (number)'],
    ['beta1', 1, 'Expected a number in [0, 1) for dims.beta1 but received 1 (number)'],
    ['beta2', -0.5, 'Expected a number in [0, 1) for dims.beta2 but received -0.5 (number)'],
    ['beta2', Infinity, 'Expected a finite number for dims.beta2 but received Infinity (number)'],
    ['eps', 0, 'Expected a number > 0 for dims.eps but received 0 (number)'],
    ['weight_decay', -0.1, 'Expected a number >= 0 for dims.weight_decay but received -0.1 (number)'],
    ['step', 0, 'Expected an integer between 1 and 2147483647 for dims.step but received 0 (number)'],
    ['step', 1.5, 'Expected an integer between 1 and 2147483647 for dims.step but received 1.5 (number)'],
  ] as const)('adamw_update names dims.%s = %s', (name, value, message) => {
    const s = state(), before = s.params.slice();
    expect(() => callOp('avx2', 'adamw_update', s, { n, ...H, [name]: value })).toThrow(new RangeError(message));
    expect(bitEqual(s.params, before)).toBe(true);
  });

  it('adamw_update accepts the ends of the ranges', () => {
    expect(() => callOp('scalar', 'adamw_update', state(), { n, lr: 0, beta1: 0, beta2: 0, eps: 1e-30, weight_decay: 0, step: 1 })).not.toThrow();
  });

  it('adamw_update names a decay flag that is not 0 or 1, and a missing buffer', () => {
    const s = state();
    expect(() => callOp('scalar', 'adamw_update', { ...s, decay: Uint8Array.from([0, 2, 1, 0]) }, { n, ...H })).toThrow(
      new RangeError('Expected values in [0, 2) in buffers.decay but received 2 at index 1'),
    );
    expect(() => callOp('scalar', 'adamw_update', { ...s, v: undefined }, { n, ...H })).toThrow(
      new TypeError('Expected a Float32Array for buffers.v but received undefined'),
    );
    expect(() => callOp('scalar', 'adamw_update', { ...s, decay: new Uint8Array(3) }, { n, ...H })).toThrow(
      new RangeError('Expected a Uint8Array of length 4 for buffers.decay but received length 3'),
    );
  });

  it('ema_update names dims.momentum out of [0, 1]', () => {
    const bufs = { target: new Float32Array(n), source: new Float32Array(n) };
    expect(() => callOp('scalar', 'ema_update', bufs, { n, momentum: 1.5 })).toThrow(
      new RangeError('Expected a number in [0, 1] for dims.momentum but received 1.5 (number)'),
    );
    expect(() => callOp('avx2', 'ema_update', bufs, { n, momentum: -0.01 })).toThrow(
      new RangeError('Expected a number in [0, 1] for dims.momentum but received -0.01 (number)'),
    );
  });

  it('scale_inplace and sum_squares name their arguments', () => {
    expect(() => callOp('scalar', 'scale_inplace', { x: new Float32Array(n) }, { n, s: Infinity })).toThrow(
      new RangeError('Expected a finite number for dims.s but received Infinity (number)'),
    );
    expect(() => callOp('scalar', 'sum_squares', { x: new Float32Array(3) }, { n })).toThrow(
      new RangeError('Expected a Float32Array of length 4 for buffers.x but received length 3'),
    );
    expect(() => callOp('scalar', 'sum_squares', { x: new Float32Array(n) }, { n: 0 })).toThrow(
      new RangeError('Expected an integer between 1 and 1073741824 for dims.n but received 0 (number)'),
    );
  });
});
