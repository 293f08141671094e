// Multi-head self-attention and cross-attention (attention pooling): every ISA against the
// scalar reference, key masks (including a row whose keys are all masked), guard bands,
// accumulation, finite differences on every backend, thread-count determinism, argument checks.
import { afterEach, describe, expect, it } from 'vitest';

import { guarded, guardedCopy, rng, uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, binding, callOp } from './helpers/native';
import { expectClose } from './helpers/tolerance';

interface AttnShape { B: number; T: number; NH: number; HS: number }
interface CrossShape { B: number; P: number; T: number; NH: number; HS: number }

const SELF_SHAPES: AttnShape[] = [
  { B: 1, T: 1, NH: 1, HS: 5 },
  { B: 2, T: 5, NH: 2, HS: 8 },
  { B: 3, T: 7, NH: 3, HS: 5 },
  { B: 2, T: 13, NH: 4, HS: 16 },
  { B: 2, T: 16, NH: 2, HS: 16 },
  { B: 3, T: 20, NH: 4, HS: 16 },
  { B: 1, T: 37, NH: 1, HS: 32 },
  { B: 2, T: 11, NH: 3, HS: 12 },
];

const CROSS_SHAPES: CrossShape[] = [
  { B: 1, P: 1, T: 1, NH: 1, HS: 5 },
  { B: 3, P: 4, T: 5, NH: 2, HS: 8 },
  { B: 7, P: 3, T: 7, NH: 3, HS: 5 },
  { B: 5, P: 4, T: 13, NH: 4, HS: 16 },
  { B: 4, P: 4, T: 16, NH: 2, HS: 16 },
  { B: 37, P: 4, T: 14, NH: 4, HS: 16 },
  { B: 3, P: 6, T: 9, NH: 2, HS: 12 },
  // P >= W/2 on every ISA: the fast forward puts queries in vector lanes (more than W on AVX2)
  { B: 2, P: 11, T: 9, NH: 2, HS: 20 },
];

/**
 * A (B, T) key mask: about a quarter of the keys masked, every row keeping at least one key,
 * except row 1 (when B > 1) whose keys are all masked.
 */
function keyMask(B: number, T: number, seed: number): Uint8Array {
  const r = rng(seed);
  const m = new Uint8Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) m[b * T + t] = r() < 0.25 ? 0 : 1;
    m[b * T + Math.floor(r() * T)] = 1;
    if (b === 1) m.fill(0, b * T, (b + 1) * T);
  }
  return m;
}

const MASKS = [false, true];

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Checks the softmax rows of probs (rows of length T): masked keys exactly 0, rows sum to 1 or are all 0. */
function checkProbRows(probs: Float32Array, T: number, rowsPerBatch: number, mask: Uint8Array | null, what: string) {
  const rows = probs.length / T;
  for (let r = 0; r < rows; r++) {
    const b = Math.floor(r / rowsPerBatch);
    let sum = 0, kept = 0;
    for (let j = 0; j < T; j++) {
      const p = probs[r * T + j];
      if (mask && !mask[b * T + j]) expect(p, `${what}: row ${r} masked key ${j}`).toBe(0);
      else kept++;
      sum += p;
    }
    if (kept === 0) expect(sum, `${what}: row ${r} with every key masked`).toBe(0);
    else expect(Math.abs(sum - 1), `${what}: row ${r} sums to ${sum}`).toBeLessThan(1e-5);
  }
}

function selfForward(isa: string, s: AttnShape, qkv: Float32Array, mask: Uint8Array | null) {
  const C = s.NH * s.HS;
  const out = new Float32Array(s.B * s.T * C), probs = new Float32Array(s.B * s.NH * s.T * s.T);
  callOp(isa, 'attention_forward', { out, probs, qkv, key_mask: mask }, { ...s });
  return { out, probs };
}

function crossForward(isa: string, s: CrossShape, q: Float32Array, kv: Float32Array, mask: Uint8Array | null) {
  const C = s.NH * s.HS;
  const out = new Float32Array(s.B * s.P * C), probs = new Float32Array(s.B * s.NH * s.P * s.T);
  callOp(isa, 'cross_attention_forward', { out, probs, q, kv, key_mask: mask }, { ...s });
  return { out, probs };
}

describe.each(availableIsas())('attention on %s vs scalar reference', (isa) => {
  describe.each(MASKS)('key mask %s', (masked) => {
    it.each(SELF_SHAPES)('self-attention B=$B T=$T NH=$NH HS=$HS', (s) => {
      const C = s.NH * s.HS, n = s.B * s.T;
      const qkv = uniform(n * 3 * C, 1, -2, 2), dout = uniform(n * C, 2);
      const mask = masked ? keyMask(s.B, s.T, 3) : null;
      const ref = selfForward('scalar', s, qkv, mask);
      checkProbRows(ref.probs, s.T, s.NH * s.T, mask, 'scalar probs');

      const out = guarded(n * C), probs = guarded(s.B * s.NH * s.T * s.T);
      callOp(isa, 'attention_forward', { out: out.view, probs: probs.view, qkv, key_mask: mask }, { ...s });
      out.checkGuards('out');
      probs.checkGuards('probs');
      checkProbRows(probs.view, s.T, s.NH * s.T, mask, `${isa} probs`);
      expectClose(out.view, ref.out, undefined, 'out');
      expectClose(probs.view, ref.probs, undefined, 'probs');
      if (mask && s.B > 1) {
        // row 1 has every key masked: its outputs are 0 by definition
        for (let i = s.T * C; i < 2 * s.T * C; i++) expect(out.view[i], `out[${i}] of the fully masked row`).toBe(0);
      }

      const init = uniform(n * 3 * C, 4, -0.5, 0.5);
      const rdqkv = init.slice(), gdqkv = guardedCopy(init);
      callOp('scalar', 'attention_backward', { dqkv: rdqkv, dout, qkv, probs: ref.probs, key_mask: mask }, { ...s });
      callOp(isa, 'attention_backward', { dqkv: gdqkv.view, dout, qkv, probs: ref.probs, key_mask: mask }, { ...s });
      gdqkv.checkGuards('dqkv');
      expectClose(gdqkv.view, rdqkv, undefined, 'dqkv');
    });

    it.each(CROSS_SHAPES)('cross-attention B=$B P=$P T=$T NH=$NH HS=$HS', (s) => {
      const C = s.NH * s.HS;
      const q = uniform(s.P * C, 5, -2, 2), kv = uniform(s.B * s.T * 2 * C, 6, -2, 2);
      const dout = uniform(s.B * s.P * C, 7);
      const mask = masked ? keyMask(s.B, s.T, 8) : null;
      const ref = crossForward('scalar', s, q, kv, mask);
      checkProbRows(ref.probs, s.T, s.NH * s.P, mask, 'scalar probs');

      const out = guarded(s.B * s.P * C), probs = guarded(s.B * s.NH * s.P * s.T);
      callOp(isa, 'cross_attention_forward', { out: out.view, probs: probs.view, q, kv, key_mask: mask }, { ...s });
      out.checkGuards('out');
      probs.checkGuards('probs');
      checkProbRows(probs.view, s.T, s.NH * s.P, mask, `${isa} probs`);
      expectClose(out.view, ref.out, undefined, 'out');
      expectClose(probs.view, ref.probs, undefined, 'probs');

      const initq = uniform(s.P * C, 9, -0.5, 0.5), initkv = uniform(kv.length, 10, -0.5, 0.5);
      const rdq = initq.slice(), rdkv = initkv.slice();
      const gdq = guardedCopy(initq), gdkv = guardedCopy(initkv);
      callOp('scalar', 'cross_attention_backward', { dq: rdq, dkv: rdkv, dout, q, kv, probs: ref.probs, key_mask: mask }, { ...s });
      callOp(isa, 'cross_attention_backward', { dq: gdq.view, dkv: gdkv.view, dout, q, kv, probs: ref.probs, key_mask: mask }, { ...s });
      gdq.checkGuards('dq');
      gdkv.checkGuards('dkv');
      // dq sums B rows of contributions: float32 sums against the double reference
      expectClose(gdq.view, rdq, { atol: 1e-6 * s.B * s.T, rtol: 1e-4 }, 'dq');
      expectClose(gdkv.view, rdkv, undefined, 'dkv');
    });
  });

  it('masked keys never leak: NaN in their k and v changes nothing', () => {
    const s = { B: 3, T: 7, NH: 2, HS: 8 }, C = s.NH * s.HS;
    const qkv = uniform(s.B * s.T * 3 * C, 11), dout = uniform(s.B * s.T * C, 12);
    const mask = keyMask(s.B, s.T, 13);
    const poisoned = qkv.slice();
    for (let i = 0; i < s.B * s.T; i++)
      if (!mask[i]) poisoned.fill(NaN, i * 3 * C + C, (i + 1) * 3 * C);
    const clean = selfForward(isa, s, qkv, mask), dirty = selfForward(isa, s, poisoned, mask);
    expect(bitsEqual(dirty.out, clean.out), 'out').toBe(true);
    expect(bitsEqual(dirty.probs, clean.probs), 'probs').toBe(true);
    const g1 = new Float32Array(qkv.length), g2 = new Float32Array(qkv.length);
    callOp(isa, 'attention_backward', { dqkv: g1, dout, qkv, probs: clean.probs, key_mask: mask }, { ...s });
    callOp(isa, 'attention_backward', { dqkv: g2, dout, qkv: poisoned, probs: dirty.probs, key_mask: mask }, { ...s });
    expect(bitsEqual(g2, g1), 'dqkv').toBe(true);

    const cs = { B: 3, P: 4, T: 7, NH: 2, HS: 8 };
    const q = uniform(cs.P * C, 14), kv = uniform(cs.B * cs.T * 2 * C, 15), cdout = uniform(cs.B * cs.P * C, 16);
    const kvp = kv.slice();
    for (let i = 0; i < cs.B * cs.T; i++) if (!mask[i]) kvp.fill(NaN, i * 2 * C, (i + 1) * 2 * C);
    const cc = crossForward(isa, cs, q, kv, mask), cd = crossForward(isa, cs, q, kvp, mask);
    expect(bitsEqual(cd.out, cc.out), 'cross out').toBe(true);
    const a = { dq: new Float32Array(q.length), dkv: new Float32Array(kv.length) };
    const b = { dq: new Float32Array(q.length), dkv: new Float32Array(kv.length) };
    callOp(isa, 'cross_attention_backward', { ...a, dout: cdout, q, kv, probs: cc.probs, key_mask: mask }, { ...cs });
    callOp(isa, 'cross_attention_backward', { ...b, dout: cdout, q, kv: kvp, probs: cd.probs, key_mask: mask }, { ...cs });
    expect(bitsEqual(b.dq, a.dq), 'cross dq').toBe(true);
    // the masked keys' own gradient entries stay exactly as they were (here 0)
    expect(b.dkv.every((v) => Number.isFinite(v)), 'cross dkv finite').toBe(true);
    expect(bitsEqual(b.dkv, a.dkv), 'cross dkv').toBe(true);
  });

  it('backward accumulates: running it twice doubles the gradients', () => {
    const s = { B: 2, T: 5, NH: 2, HS: 5 }, C = s.NH * s.HS;
    const qkv = uniform(s.B * s.T * 3 * C, 21), dout = uniform(s.B * s.T * C, 22);
    const mask = keyMask(s.B, s.T, 23);
    const { probs } = selfForward(isa, s, qkv, mask);
    const once = new Float32Array(qkv.length), twice = new Float32Array(qkv.length);
    const args = { dout, qkv, probs, key_mask: mask };
    callOp(isa, 'attention_backward', { dqkv: once, ...args }, { ...s });
    callOp(isa, 'attention_backward', { dqkv: twice, ...args }, { ...s });
    callOp(isa, 'attention_backward', { dqkv: twice, ...args }, { ...s });
    expect(once.some((v) => v !== 0), 'gradient is not all zero').toBe(true);
    expectClose(twice, once.map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, 'dqkv');

    const cs = { B: 3, P: 4, T: 5, NH: 2, HS: 5 };
    const q = uniform(cs.P * C, 24), kv = uniform(cs.B * cs.T * 2 * C, 25), cdout = uniform(cs.B * cs.P * C, 26);
    const cp = crossForward(isa, cs, q, kv, null).probs;
    const o = { dq: new Float32Array(q.length), dkv: new Float32Array(kv.length) };
    const t = { dq: new Float32Array(q.length), dkv: new Float32Array(kv.length) };
    const cargs = { dout: cdout, q, kv, probs: cp };
    callOp(isa, 'cross_attention_backward', { ...o, ...cargs }, { ...cs });
    callOp(isa, 'cross_attention_backward', { ...t, ...cargs }, { ...cs });
    callOp(isa, 'cross_attention_backward', { ...t, ...cargs }, { ...cs });
    for (const k of ['dq', 'dkv'] as const) {
      expect(o[k].some((v) => v !== 0), `${k} is not all zero`).toBe(true);
      expectClose(t[k], o[k].map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, k);
    }
  });

  it('backward skips null gradients', () => {
    const cs = { B: 2, P: 3, T: 5, NH: 2, HS: 4 }, C = cs.NH * cs.HS;
    const q = uniform(cs.P * C, 27), kv = uniform(cs.B * cs.T * 2 * C, 28), dout = uniform(cs.B * cs.P * C, 29);
    const { probs } = crossForward(isa, cs, q, kv, null);
    const both = { dq: new Float32Array(q.length), dkv: new Float32Array(kv.length) };
    callOp(isa, 'cross_attention_backward', { ...both, dout, q, kv, probs }, { ...cs });
    const dq = new Float32Array(q.length), dkv = new Float32Array(kv.length);
    callOp(isa, 'cross_attention_backward', { dq, dout, q, kv, probs }, { ...cs });
    callOp(isa, 'cross_attention_backward', { dkv, dout, q, kv, probs }, { ...cs });
    expect(bitsEqual(dq, both.dq) && bitsEqual(dkv, both.dkv)).toBe(true);
    const s = { B: 1, T: 3, NH: 1, HS: 4 };
    callOp(isa, 'attention_backward', { dout: new Float32Array(12), qkv: new Float32Array(36), probs: new Float32Array(9) }, s);
  });
});

describe.each(['scalar', ...availableIsas().filter((i) => i !== 'scalar')])('attention gradients by finite differences on %s', (isa) => {
  it('self-attention: d/dqkv, with a key mask', () => {
    const s = { B: 3, T: 5, NH: 2, HS: 3 }, C = s.NH * s.HS;
    const mask = keyMask(s.B, s.T, 31);
    const inputs = { qkv: uniform(s.B * s.T * 3 * C, 32) };
    gradCheck({
      inputs,
      wrt: ['qkv'],
      samples: 48,
      forward: () => selfForward(isa, s, inputs.qkv, mask).out,
      backward: (dout) => {
        const { probs } = selfForward(isa, s, inputs.qkv, mask);
        const dqkv = new Float32Array(inputs.qkv.length);
        callOp(isa, 'attention_backward', { dqkv, dout, qkv: inputs.qkv, probs, key_mask: mask }, { ...s });
        return { qkv: dqkv };
      },
    });
  });

  it('cross-attention: d/dq and d/dkv, with and without a key mask', () => {
    const s = { B: 3, P: 2, T: 4, NH: 2, HS: 3 }, C = s.NH * s.HS;
    for (const mask of [null, keyMask(s.B, s.T, 33)]) {
      const inputs = { q: uniform(s.P * C, 34), kv: uniform(s.B * s.T * 2 * C, 35) };
      gradCheck({
        inputs,
        wrt: ['q', 'kv'],
        samples: 36,
        forward: () => crossForward(isa, s, inputs.q, inputs.kv, mask).out,
        backward: (dout) => {
          const { probs } = crossForward(isa, s, inputs.q, inputs.kv, mask);
          const g = { dq: new Float32Array(inputs.q.length), dkv: new Float32Array(inputs.kv.length) };
          callOp(isa, 'cross_attention_backward', { ...g, dout, ...inputs, probs, key_mask: mask }, { ...s });
          return { q: g.dq, kv: g.dkv };
        },
      });
    }
  });
});

describe('attention determinism across thread counts', () => {
  afterEach(() => {
    binding().setThreads(2);
  });

  it.each(availableIsas())('bit-identical outputs and gradients with 1 and 2 threads on %s', (isa) => {
    const s = { B: 8, T: 20, NH: 4, HS: 16 }, C = s.NH * s.HS;
    const qkv = uniform(s.B * s.T * 3 * C, 41), dout = uniform(s.B * s.T * C, 42), mask = keyMask(s.B, s.T, 43);
    const cs = { B: 64, P: 4, T: 14, NH: 4, HS: 16 };
    const q = uniform(cs.P * C, 44), kv = uniform(cs.B * cs.T * 2 * C, 45), cdout = uniform(cs.B * cs.P * C, 46);
    const cmask = keyMask(cs.B, cs.T, 47);
    const run = () => {
      const f = selfForward(isa, s, qkv, mask);
      const dqkv = new Float32Array(qkv.length);
      callOp(isa, 'attention_backward', { dqkv, dout, qkv, probs: f.probs, key_mask: mask }, { ...s });
      const cf = crossForward(isa, cs, q, kv, cmask);
      const dq = new Float32Array(q.length), dkv = new Float32Array(kv.length);
      callOp(isa, 'cross_attention_backward', { dq, dkv, dout: cdout, q, kv, probs: cf.probs, key_mask: cmask }, { ...cs });
      return [f.out, f.probs, dqkv, cf.out, cf.probs, dq, dkv];
    };
    binding().setThreads(1);
    const one = run();
    binding().setThreads(2);
    const two = run();
    one.forEach((a, i) => expect(bitsEqual(two[i], a), `result ${i}`).toBe(true));
  });
});

describe('attention argument checks', () => {
  const s = { B: 2, T: 3, NH: 2, HS: 4 };
  const ok = () => ({ out: new Float32Array(48), probs: new Float32Array(36), qkv: new Float32Array(144) });

  it('names the buffer with the wrong length', () => {
    expect(() => callOp('scalar', 'attention_forward', { ...ok(), probs: new Float32Array(35) }, s)).toThrow(
      new RangeError('Expected a Float32Array of length 36 for buffers.probs but received length 35'),
    );
    expect(() =>
      callOp('scalar', 'attention_backward', { dqkv: new Float32Array(143), dout: new Float32Array(48), qkv: new Float32Array(144), probs: new Float32Array(36) }, s),
    ).toThrow(new RangeError('Expected a Float32Array of length 144 for buffers.dqkv but received length 143'));
    const cs = { B: 2, P: 4, T: 3, NH: 2, HS: 4 };
    expect(() =>
      callOp('scalar', 'cross_attention_backward', { dq: new Float32Array(31), dout: new Float32Array(64), q: new Float32Array(32), kv: new Float32Array(96), probs: new Float32Array(48) }, cs),
    ).toThrow(new RangeError('Expected a Float32Array of length 32 for buffers.dq but received length 31'));
    expect(() => callOp('scalar', 'cross_attention_forward', { out: new Float32Array(64), probs: new Float32Array(48), q: new Float32Array(32), kv: new Float32Array(95) }, cs)).toThrow(
      new RangeError('Expected a Float32Array of length 96 for buffers.kv but received length 95'),
    );
  });

  it('checks the key mask type, length and values', () => {
    expect(() => callOp('scalar', 'attention_forward', { ...ok(), key_mask: new Uint8Array(5) }, s)).toThrow(
      new RangeError('Expected a Uint8Array of length 6 for buffers.key_mask but received length 5'),
    );
    expect(() => callOp('scalar', 'attention_forward', { ...ok(), key_mask: new Int32Array(6) }, s)).toThrow(
      new TypeError('Expected a Uint8Array for buffers.key_mask but received Int32Array of length 6'),
    );
    expect(() => callOp('scalar', 'attention_forward', { ...ok(), key_mask: Uint8Array.of(1, 1, 0, 1, 2, 1) }, s)).toThrow(
      new RangeError('Expected 0 or 1 in buffers.key_mask but received 2 at index 4'),
    );
  });

  it('names the bad dimension', () => {
    expect(() => callOp('scalar', 'attention_forward', ok(), { ...s, T: 0 })).toThrow(
      new RangeError('Expected an integer between 1 and 16777216 for dims.T but received 0 (number)'),
    );
    expect(() => callOp('scalar', 'attention_forward', ok(), { ...s, HS: 2.5 })).toThrow(
      new RangeError('Expected an integer between 1 and 4096 for dims.HS but received 2.5 (number)'),
    );
    expect(() => callOp('scalar', 'cross_attention_forward', {}, { B: 2, T: 3, NH: 2, HS: 4 })).toThrow(
      new RangeError('Expected an integer between 1 and 16777216 for dims.P but received undefined'),
    );
    expect(() => callOp('scalar', 'attention_forward', ok(), { B: 1 << 20, T: 1 << 12, NH: 4, HS: 16 })).toThrow(
      new RangeError('Expected dims.B * dims.NH * dims.T * dims.T to be at most 2^40 but received 7.03687e+13'),
    );
  });
});
