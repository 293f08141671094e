import { describe, expect, it } from 'vitest';

import { rng, uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, callOp } from './helpers/native';
import { expectSameBits, matchScalar, withThreads } from './helpers/op-compare';
import { expectClose } from './helpers/tolerance';

// odd class counts next to vector-aligned ones; M large enough to split rows across threads
const SHAPES = [
  { M: 1, C: 1 },
  { M: 5, C: 7 },
  { M: 13, C: 11 },
  { M: 7, C: 13 },
  { M: 64, C: 64 },
  { M: 37, C: 256 },
  { M: 130, C: 5 },
];

function targets(M: number, C: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: M }, () => Math.floor(r() * C));
}

function softmaxCe(isa: string, M: number, C: number, logits: Float32Array, target: Int32Array) {
  const r = { loss: new Float32Array(M), probs: new Float32Array(M * C) };
  callOp(isa, 'softmax_ce_forward', { ...r, logits, target }, { M, C });
  return r;
}

describe.each(availableIsas())('losses on %s vs scalar reference', (isa) => {
  it.each(SHAPES)('softmax_ce and mse, forward and backward, M=$M C=$C', ({ M, C }) => {
    const n = M * C, dloss = uniform(M, 1);
    const logits = uniform(n, 2, -5, 5), target = targets(M, C, 3);
    const fwd = matchScalar(isa, 'softmax_ce_forward', { loss: new Float32Array(M), probs: new Float32Array(n) }, { logits, target }, { M, C });
    matchScalar(isa, 'softmax_ce_backward', { dlogits: uniform(n, 4) }, { dloss, probs: fwd.ref.probs, target }, { M, C });
    const pred = uniform(n, 5, -2, 2), tgt = uniform(n, 6, -2, 2);
    matchScalar(isa, 'mse_forward', { loss: new Float32Array(M) }, { pred, target: tgt }, { M, C });
    matchScalar(isa, 'mse_backward', { dpred: uniform(n, 7) }, { dloss, pred, target: tgt }, { M, C });
  });

  it('softmax_ce is stable for large logits and matches the closed form', () => {
    const M = 3, C = 5;
    const logits = Float32Array.of(1000, 0, -1000, 999, 3, /**/ -80, -80, -80, -80, -80, /**/ 0, 1, 2, 3, 4);
    const target = Int32Array.of(3, 2, 0);
    const { loss, probs } = softmaxCe(isa, M, C, logits, target);
    expect(probs.every(Number.isFinite)).toBe(true);
    for (let m = 0; m < M; m++) expectClose([probs.subarray(m * C, m * C + C).reduce((s, v) => s + v, 0)], [1], undefined, `row ${m} sums to 1`);
    const lse = (row: number[]) => Math.max(...row) + Math.log(row.reduce((s, v) => s + Math.exp(v - Math.max(...row)), 0));
    const expected = [lse([1000, 0, -1000, 999, 3]) - 999, Math.log(5), lse([0, 1, 2, 3, 4]) - 0];
    expectClose(loss, expected, undefined, 'loss');
  });

  it('softmax_ce may write probs over its logits', () => {
    const M = 13, C = 11, logits = uniform(M * C, 19, -4, 4), target = targets(M, C, 20);
    const apart = softmaxCe(isa, M, C, logits, target);
    const shared = logits.slice(), loss = new Float32Array(M);
    callOp(isa, 'softmax_ce_forward', { loss, probs: shared, logits: shared, target }, { M, C });
    expectSameBits(shared, apart.probs, 'probs');
    expectSameBits(loss, apart.loss, 'loss');
  });

  it('backward accumulates: running it twice doubles the gradients', () => {
    const M = 5, C = 7, n = M * C, dloss = uniform(M, 8);
    const target = targets(M, C, 9), { probs } = softmaxCe(isa, M, C, uniform(n, 10, -3, 3), target);
    const pred = uniform(n, 11), tgt = uniform(n, 12);
    for (const [op, grad, ins] of [
      ['softmax_ce_backward', 'dlogits', { dloss, probs, target }],
      ['mse_backward', 'dpred', { dloss, pred, target: tgt }],
    ] as const) {
      const once = new Float32Array(n), twice = new Float32Array(n);
      callOp(isa, op, { [grad]: once, ...ins }, { M, C });
      callOp(isa, op, { [grad]: twice, ...ins }, { M, C });
      callOp(isa, op, { [grad]: twice, ...ins }, { M, C });
      expectClose(twice, once.map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, `${op} ${grad}`);
    }
  });

  it('results are bit-identical with 1 and 2 threads', () => {
    const M = 400, C = 37, n = M * C;
    const logits = uniform(n, 13, -6, 6), target = targets(M, C, 14), dloss = uniform(M, 15);
    const pred = uniform(n, 16), tgt = uniform(n, 17);
    const run = () => {
      const f = softmaxCe(isa, M, C, logits, target);
      const dlogits = new Float32Array(n), mse = new Float32Array(M), dpred = new Float32Array(n);
      callOp(isa, 'softmax_ce_backward', { dlogits, dloss, probs: f.probs, target }, { M, C });
      callOp(isa, 'mse_forward', { loss: mse, pred, target: tgt }, { M, C });
      callOp(isa, 'mse_backward', { dpred, dloss, pred, target: tgt }, { M, C });
      return { ...f, dlogits, mse, dpred };
    };
    const one = withThreads(1, run), two = withThreads(2, run);
    for (const k of Object.keys(one) as (keyof typeof one)[]) expectSameBits(two[k], one[k], k);
  });
});

describe('loss gradients by finite differences (scalar backend)', () => {
  const M = 4, C = 5, n = M * C;
  it('softmax_ce (projected, so a wrong probs term cannot cancel)', () => {
    const inputs = { logits: uniform(n, 20, -2, 2) };
    const target = targets(M, C, 21);
    gradCheck({
      inputs,
      wrt: ['logits'],
      forward: () => softmaxCe('scalar', M, C, inputs.logits, target).loss,
      backward: (dloss) => {
        const { probs } = softmaxCe('scalar', M, C, inputs.logits, target);
        const dlogits = new Float32Array(n);
        callOp('scalar', 'softmax_ce_backward', { dlogits, dloss, probs, target }, { M, C });
        return { logits: dlogits };
      },
    });
  });

  it('mse', () => {
    const inputs = { pred: uniform(n, 22), target: uniform(n, 23) };
    gradCheck({
      inputs,
      wrt: ['pred'],
      forward: () => {
        const loss = new Float32Array(M);
        callOp('scalar', 'mse_forward', { loss, ...inputs }, { M, C });
        return loss;
      },
      backward: (dloss) => {
        const dpred = new Float32Array(n);
        callOp('scalar', 'mse_backward', { dpred, dloss, ...inputs }, { M, C });
        return { pred: dpred };
      },
    });
  });
});

describe('loss argument checks', () => {
  const M = 3, C = 4, n = M * C;
  const fwd = () => ({ loss: new Float32Array(M), probs: new Float32Array(n), logits: new Float32Array(n) });
  it.each([
    [Int32Array.of(0, 4, 1), 'Expected class indices between 0 and 3 in buffers.target but received 4 at index 1'],
    [Int32Array.of(0, 1, -1), 'Expected class indices between 0 and 3 in buffers.target but received -1 at index 2'],
  ])('softmax_ce names an out-of-range target %s', (target, msg) => {
    for (const isa of availableIsas()) {
      const bufs = fwd();
      expect(() => callOp(isa, 'softmax_ce_forward', { ...bufs, target }, { M, C })).toThrow(new RangeError(msg));
      expect(bufs.loss.every((v) => v === 0), 'nothing ran').toBe(true);
      const dlogits = new Float32Array(n);
      expect(() => callOp(isa, 'softmax_ce_backward', { dlogits, dloss: new Float32Array(M), probs: new Float32Array(n), target }, { M, C })).toThrow(
        new RangeError(msg),
      );
    }
  });
  it('softmax_ce wants an Int32Array target of length M', () => {
    expect(() => callOp('scalar', 'softmax_ce_forward', { ...fwd(), target: new Float32Array(M) }, { M, C })).toThrow(
      new TypeError('Expected an Int32Array for buffers.target but received Float32Array of length 3'),
    );
    expect(() => callOp('scalar', 'softmax_ce_forward', { ...fwd(), target: new Int32Array(M + 1) }, { M, C })).toThrow(
      new RangeError('Expected an Int32Array of length 3 for buffers.target but received length 4'),
    );
  });
  it('mse names the buffer with the wrong length', () => {
    expect(() => callOp('scalar', 'mse_forward', { loss: new Float32Array(M), pred: new Float32Array(n), target: new Float32Array(n - 1) }, { M, C })).toThrow(
      new RangeError('Expected a Float32Array of length 12 for buffers.target but received length 11'),
    );
  });
});
