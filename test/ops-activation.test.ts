import { describe, expect, it } from 'vitest';

import type { OpBuffer } from '../lib/native';
import { guardedCopy, uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, callOp } from './helpers/native';
import { expectSameBits, guardedBytes, matchScalar, withThreads } from './helpers/op-compare';
import { expectClose } from './helpers/tolerance';

// odd sizes, vector-aligned ones, and ones spanning several thread grains (8192 elements)
const SIZES = [1, 5, 7, 11, 13, 16, 64, 1000, 20000];

/** Values in [-2, 2] kept at least `gap` away from 0 (finite differences across the ReLU kink fail). */
function awayFromZero(n: number, seed: number, gap = 0.05): Float32Array {
  return uniform(n, seed, -2, 2).map((v) => (v < 0 ? v - gap : v + gap));
}

describe.each(availableIsas())('activations on %s vs scalar reference', (isa) => {
  it.each(SIZES)('relu, gelu and add, forward and backward, n=%i', (n) => {
    const inp = uniform(n, 1, -4, 4), b = uniform(n, 2), dout = uniform(n, 3);
    for (const op of ['relu', 'gelu']) {
      matchScalar(isa, `${op}_forward`, { out: new Float32Array(n) }, { inp }, { n });
      matchScalar(isa, `${op}_backward`, { dinp: uniform(n, 4) }, { dout, inp }, { n });
    }
    matchScalar(isa, 'add_forward', { out: new Float32Array(n) }, { a: inp, b }, { n });
    matchScalar(isa, 'add_backward', { da: uniform(n, 5), db: uniform(n, 6) }, { dout }, { n });
  });

  it.each(SIZES)('dropout: masks and outputs bit-identical to scalar, n=%i', (n) => {
    const inp = uniform(n, 7), dout = uniform(n, 8);
    for (const p of [0, 0.1, 0.5, 0.9]) {
      const dims = { n, p, seed: 1234567, offset: 3 };
      const refOut = new Float32Array(n), refMask = new Uint8Array(n);
      callOp('scalar', 'dropout_forward', { out: refOut, mask: refMask, inp }, dims);
      const out = guardedCopy(new Float32Array(n)), mask = guardedBytes(n);
      callOp(isa, 'dropout_forward', { out: out.view, mask: mask.view, inp }, dims);
      out.checkGuards('dropout out');
      mask.checkGuards('dropout mask');
      expectSameBits(mask.view, refMask, `dropout mask p=${p}`);
      expectSameBits(out.view, refOut, `dropout out p=${p}`);
      matchScalar(isa, 'dropout_backward', { dinp: uniform(n, 9) }, { dout, mask: refMask }, { n, p });
    }
  });

  it('dropout with p = 0 keeps everything and copies the input exactly', () => {
    const n = 1000, inp = uniform(n, 10);
    const out = new Float32Array(n), mask = new Uint8Array(n);
    callOp(isa, 'dropout_forward', { out, mask, inp }, { n, p: 0, seed: 5, offset: 0 });
    expect(mask.every((m) => m === 1)).toBe(true);
    expectSameBits(out, inp, 'out');
  });

  it('dropout keeps about 1 - p of the elements, scaled by 1 / (1 - p)', () => {
    const n = 20000, p = 0.3, inp = new Float32Array(n).fill(1);
    const out = new Float32Array(n), mask = new Uint8Array(n);
    callOp(isa, 'dropout_forward', { out, mask, inp }, { n, p, seed: 99, offset: 0 });
    const kept = mask.reduce((s, m) => s + m, 0);
    // binomial standard deviation sqrt(n p (1 - p)) = 65; 5 of them
    expect(Math.abs(kept - n * (1 - p))).toBeLessThan(5 * 65);
    const scale = Math.fround(1 / Math.fround(1 - p));
    expectSameBits(out, Float32Array.from(mask, (m) => (m ? scale : 0)), 'out');
  });

  it('dropout and the elementwise ops run in place (out may be inp, as the transformer uses them)', () => {
    const n = 1003, inp = uniform(n, 17, -3, 3), b = uniform(n, 18);
    const dims = { n, p: 0.2, seed: 5, offset: 9 };
    const out = new Float32Array(n), mask = new Uint8Array(n);
    callOp(isa, 'dropout_forward', { out, mask, inp }, dims);
    const inPlace = inp.slice(), mask2 = new Uint8Array(n);
    callOp(isa, 'dropout_forward', { out: inPlace, mask: mask2, inp: inPlace }, dims);
    expectSameBits(inPlace, out, 'dropout in place');
    for (const op of ['relu_forward', 'gelu_forward']) {
      const o = new Float32Array(n), x = inp.slice();
      callOp(isa, op, { out: o, inp }, { n });
      callOp(isa, op, { out: x, inp: x }, { n });
      expectSameBits(x, o, `${op} in place`);
    }
    const sum = new Float32Array(n), a = inp.slice();
    callOp(isa, 'add_forward', { out: sum, a: inp, b }, { n });
    callOp(isa, 'add_forward', { out: a, a, b }, { n });
    expectSameBits(a, sum, 'add in place');
  });

  it('dropout element i depends only on (seed, offset + i)', () => {
    const n = 37, inp = uniform(n + 5, 11);
    const whole = { out: new Float32Array(n + 5), mask: new Uint8Array(n + 5) };
    callOp(isa, 'dropout_forward', { ...whole, inp }, { n: n + 5, p: 0.5, seed: 42, offset: 10 });
    const part = { out: new Float32Array(n), mask: new Uint8Array(n) };
    callOp(isa, 'dropout_forward', { ...part, inp: inp.slice(5) }, { n, p: 0.5, seed: 42, offset: 15 });
    expectSameBits(part.mask, whole.mask.slice(5), 'mask');
    expectSameBits(part.out, whole.out.slice(5), 'out');
    const other = new Uint8Array(n);
    callOp(isa, 'dropout_forward', { out: new Float32Array(n), mask: other, inp: inp.slice(5) }, { n, p: 0.5, seed: 43, offset: 15 });
    expect(other).not.toEqual(part.mask);
  });

  it('gelu stays within 3e-7 |x| + 1e-7 of the exact reference on [-10, 10] and at the extremes', () => {
    const xs = Float32Array.from([...Array.from({ length: 4001 }, (_, i) => -10 + i * 0.005), -1e4, -100, -30, 30, 100, 1e4, 0]);
    const n = xs.length;
    const ref = new Float32Array(n), out = new Float32Array(n);
    callOp('scalar', 'gelu_forward', { out: ref, inp: xs }, { n });
    callOp(isa, 'gelu_forward', { out, inp: xs }, { n });
    // erf is approximated (Abramowitz-Stegun 7.1.26, |error| < 3e-7) and out = x Phi(x) rounds at
    // the scale of x, so the bound grows with |x|
    const worst = (a: Float32Array, r: Float32Array, bound: (x: number) => number) => {
      let w = { x: 0, excess: 0 };
      for (let i = 0; i < n; i++) {
        const excess = Math.abs(a[i] - r[i]) - bound(xs[i]);
        if (!(excess <= w.excess)) w = { x: xs[i], excess };
      }
      return w;
    };
    const wf = worst(out, ref, (x) => 3e-7 * Math.abs(x) + 1e-7);
    expect(wf.excess, `gelu worst at x = ${wf.x}`).toBe(0);
    const gref = new Float32Array(n), g = new Float32Array(n), ones = new Float32Array(n).fill(1);
    callOp('scalar', 'gelu_backward', { dinp: gref, dout: ones, inp: xs }, { n });
    callOp(isa, 'gelu_backward', { dinp: g, dout: ones, inp: xs }, { n });
    const wb = worst(g, gref, () => 1e-6);
    expect(wb.excess, `gelu' worst at x = ${wb.x}`).toBe(0);
  });

  it('backward accumulates: running it twice doubles the gradients', () => {
    const n = 13, inp = awayFromZero(n, 12), dout = uniform(n, 13), mask = Uint8Array.from({ length: n }, (_, i) => i % 2);
    const cases: [string, string[], Record<string, OpBuffer | number>][] = [
      ['relu_backward', ['dinp'], { dout, inp }],
      ['gelu_backward', ['dinp'], { dout, inp }],
      ['add_backward', ['da', 'db'], { dout }],
      ['dropout_backward', ['dinp'], { dout, mask }],
    ];
    for (const [op, grads, ins] of cases) {
      const once: Record<string, Float32Array> = {}, twice: Record<string, Float32Array> = {};
      for (const g of grads) {
        once[g] = new Float32Array(n);
        twice[g] = new Float32Array(n);
      }
      const bufs = ins as Record<string, OpBuffer>;
      callOp(isa, op, { ...once, ...bufs }, { n, p: 0.25 });
      callOp(isa, op, { ...twice, ...bufs }, { n, p: 0.25 });
      callOp(isa, op, { ...twice, ...bufs }, { n, p: 0.25 });
      for (const g of grads) expectClose(twice[g], once[g].map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, `${op} ${g}`);
    }
  });

  it('results are bit-identical with 1 and 2 threads', () => {
    const n = 20000, inp = uniform(n, 14, -3, 3), b = uniform(n, 15), dout = uniform(n, 16);
    const run = () => {
      const r: Record<string, OpBuffer> = {};
      for (const op of ['relu', 'gelu']) {
        const out = new Float32Array(n), dinp = new Float32Array(n);
        callOp(isa, `${op}_forward`, { out, inp }, { n });
        callOp(isa, `${op}_backward`, { dinp, dout, inp }, { n });
        r[`${op} out`] = out;
        r[`${op} dinp`] = dinp;
      }
      const sum = new Float32Array(n), da = new Float32Array(n), db = new Float32Array(n);
      callOp(isa, 'add_forward', { out: sum, a: inp, b }, { n });
      callOp(isa, 'add_backward', { da, db, dout }, { n });
      const out = new Float32Array(n), mask = new Uint8Array(n), dinp = new Float32Array(n);
      callOp(isa, 'dropout_forward', { out, mask, inp }, { n, p: 0.4, seed: 77, offset: 1 });
      callOp(isa, 'dropout_backward', { dinp, dout, mask }, { n, p: 0.4 });
      return { ...r, sum, da, db, 'dropout out': out, mask, 'dropout dinp': dinp };
    };
    const one = withThreads(1, run), two = withThreads(2, run);
    for (const k of Object.keys(one)) expectSameBits(two[k as keyof typeof two], one[k as keyof typeof one], k);
  });
});

describe('activation gradients by finite differences (scalar backend)', () => {
  const n = 11;
  const elementwise = (op: string, inputs: Record<string, Float32Array>, extra: Record<string, OpBuffer> = {}, dims: Record<string, number> = { n }) => ({
    forward: () => {
      const out = new Float32Array(n);
      callOp('scalar', `${op}_forward`, { out, ...inputs, ...extra }, dims);
      return out;
    },
  });

  it('relu (inputs kept away from the kink)', () => {
    const inputs = { inp: awayFromZero(n, 21) };
    gradCheck({
      inputs,
      wrt: ['inp'],
      ...elementwise('relu', inputs),
      backward: (dout) => {
        const dinp = new Float32Array(n);
        callOp('scalar', 'relu_backward', { dinp, dout, ...inputs }, { n });
        return { inp: dinp };
      },
    });
  });

  it('gelu', () => {
    const inputs = { inp: uniform(n, 22, -3, 3) };
    gradCheck({
      inputs,
      wrt: ['inp'],
      ...elementwise('gelu', inputs),
      backward: (dout) => {
        const dinp = new Float32Array(n);
        callOp('scalar', 'gelu_backward', { dinp, dout, ...inputs }, { n });
        return { inp: dinp };
      },
    });
  });

  it('add', () => {
    const inputs = { a: uniform(n, 23), b: uniform(n, 24) };
    gradCheck({
      inputs,
      wrt: ['a', 'b'],
      ...elementwise('add', inputs),
      backward: (dout) => {
        const g = { da: new Float32Array(n), db: new Float32Array(n) };
        callOp('scalar', 'add_backward', { ...g, dout }, { n });
        return { a: g.da, b: g.db };
      },
    });
  });

  it('dropout (fixed seed, so a fixed mask)', () => {
    const inputs = { inp: uniform(n, 25) };
    const dims = { n, p: 0.3, seed: 8, offset: 0 };
    const mask = new Uint8Array(n);
    gradCheck({
      inputs,
      wrt: ['inp'],
      ...elementwise('dropout', inputs, { mask }, dims),
      backward: (dout) => {
        const dinp = new Float32Array(n);
        callOp('scalar', 'dropout_backward', { dinp, dout, mask }, dims);
        return { inp: dinp };
      },
    });
    expect(mask.some((m) => m === 0) && mask.some((m) => m === 1)).toBe(true);
  });
});

describe('activation argument checks', () => {
  const n = 4, inp = new Float32Array(n), out = new Float32Array(n), mask = new Uint8Array(n);
  it.each([
    [1, 'Expected a number in [0, 1) for dims.p but received 1 (number)'],
    [-0.1, 'Expected a number in [0, 1) for dims.p but received -0.1 (number)'],
    [0.9999999999, 'Expected a number in [0, 1) for dims.p but received 0.9999999999 (number)'],
    [NaN, 'Expected a finite number for dims.p but received NaN (number)'],
  ])('dropout rejects p = %s', (p, msg) => {
    expect(() => callOp(availableIsas().at(-1)!, 'dropout_forward', { out, mask, inp }, { n, p, seed: 1, offset: 0 })).toThrow(new RangeError(msg));
    expect(() => callOp('scalar', 'dropout_backward', { dinp: out, dout: inp, mask }, { n, p })).toThrow(new RangeError(msg));
  });
  it('dropout names a bad seed and a mask of the wrong type', () => {
    expect(() => callOp('scalar', 'dropout_forward', { out, mask, inp }, { n, p: 0.5, seed: -1, offset: 0 })).toThrow(
      new RangeError('Expected an integer between 0 and 9007199254740991 for dims.seed but received -1 (number)'),
    );
    expect(() => callOp('scalar', 'dropout_forward', { out, mask: new Float32Array(n), inp }, { n, p: 0.5, seed: 1, offset: 0 })).toThrow(
      new TypeError('Expected a Uint8Array for buffers.mask but received Float32Array of length 4'),
    );
  });
  it('names the buffer with the wrong length', () => {
    expect(() => callOp('scalar', 'gelu_forward', { out, inp: new Float32Array(5) }, { n })).toThrow(
      new RangeError('Expected a Float32Array of length 4 for buffers.inp but received length 5'),
    );
    expect(() => callOp('scalar', 'add_backward', { da: new Float32Array(3), dout: inp }, { n })).toThrow(
      new RangeError('Expected a Float32Array of length 4 for buffers.da but received length 3'),
    );
  });
});
