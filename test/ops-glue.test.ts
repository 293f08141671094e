// The glue ops (fill, scale, concat_rows, predictor_input): the row moves and small element-wise
// steps the models run on any backend so that no model code touches backend memory from the
// host. Each output is a sum of at most a few terms taken in the reference's order, so the fast
// CPU paths must equal the scalar reference bit for bit (the model tests depend on it).
import { describe, expect, it } from 'vitest';

import { guarded, guardedCopy, uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, callOp } from './helpers/native';
import { expectSameBits, withThreads } from './helpers/op-compare';

const ints = (n: number, hi: number, seed: number) => Int32Array.from(uniform(n, seed, 0, 1), (u) => Math.min(hi - 1, Math.floor(u * hi)));

// ---- fill and scale -----------------------------------------------------------------------------

const LENGTHS = [1, 5, 13, 64, 70001];

describe.each(availableIsas())('fill and scale on %s vs scalar reference', (isa) => {
  it.each(LENGTHS)('n=%i', (n) => {
    const ref = new Float32Array(n);
    callOp('scalar', 'fill_forward', { out: ref }, { n, value: -2.5 });
    const out = guarded(n, 7);
    callOp(isa, 'fill_forward', { out: out.view }, { n, value: -2.5 });
    out.checkGuards('out');
    expect(ref.every((v) => v === -2.5)).toBe(true);
    expectSameBits(out.view, ref, 'fill out');

    const inp = uniform(n, 1), dout = uniform(n, 2), init = uniform(n, 3);
    const sref = new Float32Array(n);
    callOp('scalar', 'scale_forward', { out: sref, inp }, { n, a: 2 });
    expectSameBits(sref, inp.map((v) => 2 * v), 'scale_forward = 2 inp');
    const sout = guarded(n);
    callOp(isa, 'scale_forward', { out: sout.view, inp }, { n, a: 2 });
    sout.checkGuards('out');
    expectSameBits(sout.view, sref, 'scale out');

    const dref = init.slice();
    callOp('scalar', 'scale_backward', { dinp: dref, dout }, { n, a: -0.75 });
    const dfast = guardedCopy(init);
    callOp(isa, 'scale_backward', { dinp: dfast.view, dout }, { n, a: -0.75 });
    dfast.checkGuards('dinp');
    expectSameBits(dfast.view, dref, 'scale dinp');
  });
});

// ---- concat_rows --------------------------------------------------------------------------------

const CONCAT = [
  { B: 1, n: 1, T: 1, t0: 0, C: 1, shared: 0 },
  { B: 5, n: 3, T: 7, t0: 2, C: 11, shared: 0 },
  { B: 13, n: 1, T: 5, t0: 0, C: 7, shared: 1 },
  { B: 7, n: 4, T: 11, t0: 7, C: 13, shared: 0 },
  { B: 64, n: 20, T: 26, t0: 6, C: 64, shared: 0 },
  { B: 300, n: 1, T: 9, t0: 0, C: 64, shared: 1 },
];
const inpLen = (d: (typeof CONCAT)[number]) => (d.shared ? 1 : d.B) * d.n * d.C;

describe.each(availableIsas())('concat_rows on %s vs scalar reference', (isa) => {
  it.each(CONCAT)('B=$B n=$n T=$T t0=$t0 C=$C shared=$shared', (d) => {
    const inp = uniform(inpLen(d), 1), base = uniform(d.B * d.T * d.C, 2);
    const ref = base.slice();
    callOp('scalar', 'concat_rows_forward', { out: ref, inp }, d);
    // the rows outside [t0, t0 + n) are untouched; the rows inside are the input's
    for (let b = 0; b < d.B; b++)
      for (let t = 0; t < d.T; t++)
        for (let c = 0; c < d.C; c++) {
          const k = (b * d.T + t) * d.C + c;
          const inside = t >= d.t0 && t < d.t0 + d.n;
          const src = inside ? inp[(d.shared ? 0 : b * d.n * d.C) + (t - d.t0) * d.C + c] : base[k];
          if (ref[k] !== src) expect(ref[k], `out[${b}, ${t}, ${c}]`).toBe(src);
        }
    const out = guardedCopy(base);
    callOp(isa, 'concat_rows_forward', { out: out.view, inp }, d);
    out.checkGuards('out');
    expectSameBits(out.view, ref, 'out');

    const dout = uniform(d.B * d.T * d.C, 3), init = uniform(inpLen(d), 4, -0.5, 0.5);
    const dref = init.slice();
    callOp('scalar', 'concat_rows_backward', { dinp: dref, dout }, d);
    const dfast = guardedCopy(init);
    callOp(isa, 'concat_rows_backward', { dinp: dfast.view, dout }, d);
    dfast.checkGuards('dinp');
    expectSameBits(dfast.view, dref, 'dinp');
  });
});

// ---- predictor_input ----------------------------------------------------------------------------

const PRED = [
  { K: 1, B: 1, Mc: 1, Mt: 1, D: 2, C: 1 },
  { K: 2, B: 5, Mc: 3, Mt: 2, D: 7, C: 11 },
  { K: 3, B: 13, Mc: 4, Mt: 5, D: 11, C: 7 },
  { K: 1, B: 7, Mc: 5, Mt: 0, D: 5, C: 13 },
  { K: 4, B: 64, Mc: 8, Mt: 6, D: 20, C: 64 },
];

function predBuffers(d: (typeof PRED)[number], seed: number) {
  const S = d.K * d.B;
  return {
    cx: uniform(d.B * d.Mc * d.C, seed),
    cz: uniform(d.B * d.C, seed + 1),
    ctx: ints(d.B * d.Mc, d.D, seed + 2),
    trg: ints(S * d.Mt, d.D, seed + 3),
    mask: uniform(d.C, seed + 4),
    pe: uniform(d.D * d.C, seed + 5),
  };
}

describe.each(availableIsas())('predictor_input on %s vs scalar reference', (isa) => {
  it.each(PRED)('K=$K B=$B Mc=$Mc Mt=$Mt D=$D C=$C', (d) => {
    const S = d.K * d.B, Tp = d.Mc + d.Mt, n = S * Tp * d.C;
    const x = predBuffers(d, 10);
    const ref = new Float32Array(n);
    callOp('scalar', 'predictor_input_forward', { seq: ref, ...x }, d);
    // one element by hand: the first query (or context) token of the last sequence
    const s = S - 1, b = s % d.B;
    const t = d.Mt > 0 ? d.Mc : 0, j = d.Mt > 0 ? x.trg[s * d.Mt] : x.ctx[b * d.Mc];
    const a = d.Mt > 0 ? x.mask[0] : x.cx[b * d.Mc * d.C];
    expect(ref[(s * Tp + t) * d.C]).toBe(Math.fround(Math.fround(a + x.cz[b * d.C]) + x.pe[j * d.C]));
    const out = guarded(n);
    callOp(isa, 'predictor_input_forward', { seq: out.view, ...x }, d);
    out.checkGuards('seq');
    expectSameBits(out.view, ref, 'seq');

    const dseq = uniform(n, 20);
    const init = { dcx: uniform(d.B * d.Mc * d.C, 21, -0.5, 0.5), dcz: uniform(d.B * d.C, 22, -0.5, 0.5), dmask: uniform(d.C, 23, -0.5, 0.5) };
    const r = { dcx: init.dcx.slice(), dcz: init.dcz.slice(), dmask: init.dmask.slice() };
    callOp('scalar', 'predictor_input_backward', { ...r, dseq }, d);
    const g = { dcx: guardedCopy(init.dcx), dcz: guardedCopy(init.dcz), dmask: guardedCopy(init.dmask) };
    callOp(isa, 'predictor_input_backward', { dcx: g.dcx.view, dcz: g.dcz.view, dmask: g.dmask.view, dseq }, d);
    for (const k of ['dcx', 'dcz', 'dmask'] as const) {
      g[k].checkGuards(k);
      expectSameBits(g[k].view, r[k], k);
    }
    // each gradient alone (the others null)
    for (const k of ['dcx', 'dcz', 'dmask'] as const) {
      const one = guardedCopy(init[k]);
      callOp(isa, 'predictor_input_backward', { [k]: one.view, dseq }, d);
      one.checkGuards(k);
      expectSameBits(one.view, r[k], `${k} alone`);
    }
  });
});

// ---- backward: accumulation and finite differences ------------------------------------------------

describe('glue backward passes', () => {
  it('accumulate: running backward twice doubles the gradients', () => {
    for (const isa of availableIsas()) {
      const n = 37, dout = uniform(n, 1);
      const ds = new Float32Array(n);
      callOp(isa, 'scale_backward', { dinp: ds, dout }, { n, a: 3 });
      const once = ds.slice();
      callOp(isa, 'scale_backward', { dinp: ds, dout }, { n, a: 3 });
      expectSameBits(ds, once.map((v) => 2 * v), `${isa} scale dinp`);

      const c = { B: 5, n: 2, T: 6, t0: 3, C: 7, shared: 1 };
      const dc = new Float32Array(inpLen(c)), dcout = uniform(c.B * c.T * c.C, 2);
      callOp(isa, 'concat_rows_backward', { dinp: dc, dout: dcout }, c);
      const c1 = dc.slice();
      callOp(isa, 'concat_rows_backward', { dinp: dc, dout: dcout }, c);
      for (let i = 0; i < dc.length; i++) expect(dc[i]).toBeCloseTo(2 * c1[i], 5);

      const d = PRED[2];
      const dseq = uniform(d.K * d.B * (d.Mc + d.Mt) * d.C, 3);
      const g = { dcx: new Float32Array(d.B * d.Mc * d.C), dcz: new Float32Array(d.B * d.C), dmask: new Float32Array(d.C) };
      callOp(isa, 'predictor_input_backward', { ...g, dseq }, d);
      const g1 = { dcx: g.dcx.slice(), dcz: g.dcz.slice(), dmask: g.dmask.slice() };
      callOp(isa, 'predictor_input_backward', { ...g, dseq }, d);
      for (const k of ['dcx', 'dcz', 'dmask'] as const)
        for (let i = 0; i < g[k].length; i++) expect(g[k][i], `${isa} ${k}[${i}]`).toBeCloseTo(2 * g1[k][i], 4);
    }
  });

  it('scale_backward matches finite differences', () => {
    const n = 23, inputs = { inp: uniform(n, 5) };
    gradCheck({
      inputs,
      wrt: ['inp'],
      forward: () => {
        const out = new Float32Array(n);
        callOp('scalar', 'scale_forward', { out, inp: inputs.inp }, { n, a: -1.5 });
        return out;
      },
      backward: (dout) => {
        const dinp = new Float32Array(n);
        callOp('scalar', 'scale_backward', { dinp, dout }, { n, a: -1.5 });
        return { inp: dinp };
      },
    });
  });

  it.each([0, 1])('concat_rows_backward matches finite differences (shared=%i)', (shared) => {
    const d = { B: 4, n: 3, T: 7, t0: 2, C: 5, shared };
    const inputs = { inp: uniform(inpLen(d), 6) };
    gradCheck({
      inputs,
      wrt: ['inp'],
      forward: () => {
        const out = new Float32Array(d.B * d.T * d.C);
        callOp('scalar', 'concat_rows_forward', { out, inp: inputs.inp }, d);
        return out;
      },
      backward: (dout) => {
        const dinp = new Float32Array(inpLen(d));
        callOp('scalar', 'concat_rows_backward', { dinp, dout }, d);
        return { inp: dinp };
      },
    });
  });

  it('predictor_input_backward matches finite differences', () => {
    const d = PRED[2];
    const x = predBuffers(d, 40);
    const inputs = { cx: x.cx, cz: x.cz, mask: x.mask };
    gradCheck({
      inputs,
      wrt: ['cx', 'cz', 'mask'],
      forward: () => {
        const seq = new Float32Array(d.K * d.B * (d.Mc + d.Mt) * d.C);
        callOp('scalar', 'predictor_input_forward', { seq, ...x, ...inputs }, d);
        return seq;
      },
      backward: (dseq) => {
        const g = { dcx: new Float32Array(x.cx.length), dcz: new Float32Array(x.cz.length), dmask: new Float32Array(d.C) };
        callOp('scalar', 'predictor_input_backward', { ...g, dseq }, d);
        return { cx: g.dcx, cz: g.dcz, mask: g.dmask };
      },
    });
  });
});

// ---- determinism and bad input ------------------------------------------------------------------

describe('glue ops: determinism and bad input', () => {
  it('same inputs give bit-identical outputs with 1 and 2 threads', () => {
    for (const isa of availableIsas()) {
      const run = () => {
        const c = CONCAT[5];
        const dc = new Float32Array(inpLen(c));
        callOp(isa, 'concat_rows_backward', { dinp: dc, dout: uniform(c.B * c.T * c.C, 1) }, c);
        const d = PRED[4];
        const dseq = uniform(d.K * d.B * (d.Mc + d.Mt) * d.C, 2);
        const g = { dcx: new Float32Array(d.B * d.Mc * d.C), dcz: new Float32Array(d.B * d.C), dmask: new Float32Array(d.C) };
        callOp(isa, 'predictor_input_backward', { ...g, dseq }, d);
        const seq = new Float32Array(dseq.length);
        callOp(isa, 'predictor_input_forward', { seq, ...predBuffers(d, 3) }, d);
        const s = new Float32Array(70001);
        callOp(isa, 'scale_backward', { dinp: s, dout: uniform(70001, 4) }, { n: 70001, a: 0.3 });
        return [dc, g.dcx, g.dcz, g.dmask, seq, s];
      };
      const one = withThreads(1, run), two = withThreads(2, run);
      one.forEach((a, i) => expectSameBits(a, two[i], `${isa} output ${i}`));
    }
  });

  it('rejects bad lengths, ranges and indices, naming the argument', () => {
    expect(() => callOp('scalar', 'fill_forward', { out: new Float32Array(4) }, { n: 5, value: 1 })).toThrow(
      new RangeError('Expected a Float32Array of length 5 for buffers.out but received length 4'),
    );
    expect(() => callOp('avx2', 'fill_forward', { out: new Float32Array(4) }, { n: 4, value: NaN })).toThrow(/dims\.value/);
    expect(() => callOp('scalar', 'scale_forward', { out: new Float32Array(3), inp: new Int32Array(3) }, { n: 3, a: 1 })).toThrow(
      new TypeError('Expected a Float32Array for buffers.inp but received Int32Array of length 3'),
    );
    expect(() => callOp('scalar', 'scale_backward', { dinp: new Float32Array(3), dout: new Float32Array(3) }, { n: 3, a: Infinity })).toThrow(/dims\.a/);
    expect(() =>
      callOp('scalar', 'concat_rows_forward', { out: new Float32Array(2 * 4 * 3), inp: new Float32Array(2 * 2 * 3) }, { B: 2, n: 2, T: 4, t0: 3, C: 3, shared: 0 }),
    ).toThrow(new RangeError('Expected dims.t0 + dims.n <= dims.T (4) but received dims.t0 3 with dims.n 2'));
    expect(() =>
      callOp('scalar', 'concat_rows_backward', { dinp: new Float32Array(5), dout: new Float32Array(2 * 4 * 3) }, { B: 2, n: 2, T: 4, t0: 0, C: 3, shared: 1 }),
    ).toThrow(new RangeError('Expected a Float32Array of length 6 for buffers.dinp but received length 5'));
    expect(() => callOp('scalar', 'concat_rows_forward', { out: new Float32Array(8), inp: new Float32Array(4) }, { B: 2, n: 1, T: 4, t0: 0, C: 1, shared: 2 })).toThrow(
      /dims\.shared/,
    );
    const d = PRED[1];
    const x = predBuffers(d, 1);
    const seq = new Float32Array(d.K * d.B * (d.Mc + d.Mt) * d.C);
    const badCtx = x.ctx.slice();
    badCtx[4] = d.D;
    expect(() => callOp('avx2', 'predictor_input_forward', { seq, ...x, ctx: badCtx }, d)).toThrow(
      new RangeError(`Expected values in [0, ${d.D}) in buffers.ctx but received ${d.D} at index 4`),
    );
    const badTrg = x.trg.slice();
    badTrg[0] = -1;
    expect(() => callOp('scalar', 'predictor_input_forward', { seq, ...x, trg: badTrg }, d)).toThrow(
      new RangeError(`Expected values in [0, ${d.D}) in buffers.trg but received -1 at index 0`),
    );
    expect(() => callOp('scalar', 'predictor_input_backward', { dcx: new Float32Array(1), dseq: seq }, d)).toThrow(/buffers\.dcx/);
  });
});
