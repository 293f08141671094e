// Every CUDA op against the scalar reference under the one tolerance rule, through the op
// runner (callOp('cuda', ...) runs the op on device copies of the buffers between guard bands,
// copies them back and fails on an out-of-bounds write). Skipped, with the reason printed, where
// CUDA is unavailable. Overrides of the tolerance say why.
import { describe, expect, it } from 'vitest';

import { uniform } from './helpers/buffers';
import { announceSkip, cudaStatus } from './helpers/cuda';
import { binding, callOp } from './helpers/native';
import { DEFAULT_TOL, expectClose, type Tol } from './helpers/tolerance';

announceSkip(cudaStatus.ops);

type Bufs = Record<string, Float32Array | Int32Array | Uint8Array | null>;
interface Case {
  op: string;
  make(): { buffers: Bufs; dims: Record<string, number> };
  // outputs compared (the others are inputs, checked unchanged by comparing them too)
  tol?: Tol;
  exact?: string[];  // buffers that must match bit for bit
}

const f = (n: number, seed: number, lo = -1, hi = 1) => uniform(n, seed, lo, hi);
const zeros = (n: number) => new Float32Array(n);
const ints = (n: number, hi: number, seed: number) => Int32Array.from(uniform(n, seed, 0, 1), (u) => Math.min(hi - 1, Math.floor(u * hi)));

function elementwise(op: string, names: string[], outs: string[], extra: Record<string, number> = {}, lo = -2, hi = 2): Case[] {
  return [5, 1000, 70001].map((n) => ({
    op,
    make: () => {
      const buffers: Bufs = {};
      names.forEach((k, i) => (buffers[k] = f(n, 10 + i, lo, hi)));
      outs.forEach((k) => (buffers[k] = zeros(n)));
      return { buffers, dims: { n, ...extra } };
    },
  }));
}

const LINEAR = [{ M: 1, K: 1, N: 1 }, { M: 5, K: 7, N: 11 }, { M: 70, K: 33, N: 70 }, { M: 300, K: 256, N: 64 }, { M: 1000, K: 64, N: 192 }];
const ROWS = [{ M: 1, C: 5 }, { M: 13, C: 7 }, { M: 300, C: 64 }, { M: 2000, C: 33 }];
const ATTN = [{ B: 1, T: 1, NH: 1, HS: 1 }, { B: 3, T: 7, NH: 2, HS: 5 }, { B: 16, T: 21, NH: 4, HS: 16 }];
const CROSS = [{ B: 1, P: 1, T: 1, NH: 1, HS: 1 }, { B: 5, P: 4, T: 11, NH: 2, HS: 8 }, { B: 33, P: 4, T: 13, NH: 4, HS: 16 }];

const CASES: Case[] = [
  // fused linear ops (issue 4 round 2)
  ...LINEAR.map(({ M, K, N }) => ({
    op: 'linear_relu_forward', make: () => ({ buffers: { out: zeros(M * N), inp: f(M * K, 1), weight: f(N * K, 2), bias: f(N, 3) }, dims: { M, K, N } }),
    tol: { atol: 1e-5 * K, rtol: 1e-4 },
  })),
  ...LINEAR.map(({ M, K, N }) => ({
    op: 'linear_residual_forward', make: () => ({ buffers: { out: zeros(M * N), inp: f(M * K, 1), weight: f(N * K, 2), bias: f(N, 3), res: f(M * N, 8) }, dims: { M, K, N } }),
    tol: { atol: 1e-5 * K, rtol: 1e-4 },
  })),
  ...LINEAR.map(({ M, K, N }) => ({
    op: 'relu_linear_backward',
    make: () => ({ buffers: { dpre: f(M * K, 4), dweight: f(N * K, 5), dbias: f(N, 6), dout: f(M * N, 7), inp: f(M * K, 1, -1, 1).map((v) => (v > 0 ? v : 0)), weight: f(N * K, 2) }, dims: { M, K, N, scale: 1 / 0.9 } }),
    tol: { atol: 1e-5 * Math.max(M, N), rtol: 1e-4 },
  })),
  ...LINEAR.map(({ M, K, N }) => ({
    op: 'linear_forward', make: () => ({ buffers: { out: zeros(M * N), inp: f(M * K, 1), weight: f(N * K, 2), bias: f(N, 3) }, dims: { M, K, N } }),
    tol: { atol: 1e-5 * K, rtol: 1e-4 },  // float32 accumulation of K products vs the double reference
  })),
  ...LINEAR.map(({ M, K, N }) => ({
    op: 'linear_backward',
    make: () => ({ buffers: { dinp: f(M * K, 4), dweight: f(N * K, 5), dbias: f(N, 6), dout: f(M * N, 7), inp: f(M * K, 1), weight: f(N * K, 2) }, dims: { M, K, N } }),
    tol: { atol: 1e-5 * Math.max(M, N), rtol: 1e-4 },  // float32 sums over M (dweight) and N (dinp)
  })),
  ...ROWS.map(({ M, C }) => ({
    op: 'layernorm_forward',
    make: () => ({ buffers: { out: zeros(M * C), mean: zeros(M), rstd: zeros(M), inp: f(M * C, 1, -3, 3), weight: f(C, 2), bias: f(C, 3) }, dims: { M, C } }),
  })),
  ...ROWS.map(({ M, C }) => ({
    op: 'layernorm_backward',
    make: () => {
      const inp = f(M * C, 1, -3, 3), weight = f(C, 2), mean = zeros(M), rstd = zeros(M);
      callOp('scalar', 'layernorm_forward', { out: zeros(M * C), mean, rstd, inp, weight, bias: f(C, 3) }, { M, C });
      return { buffers: { dinp: f(M * C, 4), dweight: f(C, 5), dbias: f(C, 6), dout: f(M * C, 7), inp, weight, mean, rstd }, dims: { M, C } };
    },
  })),
  ...elementwise('relu_forward', ['inp'], ['out']),
  ...elementwise('relu_backward', ['dinp', 'dout', 'inp'], []),
  ...elementwise('gelu_forward', ['inp'], ['out']),
  ...elementwise('gelu_backward', ['dinp', 'dout', 'inp'], []),
  ...elementwise('add_forward', ['a', 'b'], ['out']),
  ...elementwise('add_backward', ['da', 'db', 'dout'], []),
  ...[5, 4097, 100003].flatMap((n) => [0, 0.1, 0.5].map((p) => ({
    op: 'dropout_forward', exact: ['mask'],  // the device Philox stream must match the CPU's
    make: () => ({ buffers: { out: zeros(n), mask: new Uint8Array(n), inp: f(n, 1) }, dims: { n, p, seed: 1234, offset: 4000 } }),
  }))),
  ...[5, 4097].map((n) => ({
    op: 'dropout_backward',
    make: () => ({ buffers: { dinp: f(n, 1), dout: f(n, 2), mask: Uint8Array.from(f(n, 3), (u) => (u > 0 ? 1 : 0)) }, dims: { n, p: 0.25 } }),
  })),
  ...elementwise('clamp_forward', ['inp'], ['out'], { lo: -1, hi: 1 }),
  ...elementwise('clamp_backward', ['dinp', 'dout', 'inp'], [], { lo: -1, hi: 1 }),
  ...elementwise('reparam_forward', ['mu', 'logvar', 'eps'], ['out']),
  ...elementwise('reparam_backward', ['dmu', 'dlogvar', 'dout', 'logvar', 'eps'], []),
  ...ROWS.flatMap(({ M, C }) => [
    { op: 'kl_std_forward', make: () => ({ buffers: { loss: zeros(M), mu: f(M * C, 1), logvar: f(M * C, 2) }, dims: { M, C } }) },
    { op: 'kl_std_backward', make: () => ({ buffers: { dmu: f(M * C, 3), dlogvar: f(M * C, 4), dloss: f(M, 5), mu: f(M * C, 1), logvar: f(M * C, 2) }, dims: { M, C } }) },
    { op: 'kl_gauss_forward', make: () => ({ buffers: { loss: zeros(M), mu_q: f(M * C, 1), logvar_q: f(M * C, 2), mu_p: f(M * C, 3), logvar_p: f(M * C, 4) }, dims: { M, C } }) },
    {
      op: 'kl_gauss_backward',
      make: () => ({ buffers: { dmu_q: f(M * C, 5), dlogvar_q: f(M * C, 6), dmu_p: f(M * C, 7), dlogvar_p: f(M * C, 8), dloss: f(M, 9), mu_q: f(M * C, 1), logvar_q: f(M * C, 2), mu_p: f(M * C, 3), logvar_p: f(M * C, 4) }, dims: { M, C } }),
    },
    { op: 'softmax_ce_forward', make: () => ({ buffers: { loss: zeros(M), probs: zeros(M * C), logits: f(M * C, 1, -5, 5), target: ints(M, C, 2) }, dims: { M, C } }) },
    { op: 'softmax_ce_backward', make: () => ({ buffers: { dlogits: f(M * C, 3), dloss: f(M, 4), probs: f(M * C, 5, 0, 1), target: ints(M, C, 2) }, dims: { M, C } }) },
    { op: 'mse_forward', make: () => ({ buffers: { loss: zeros(M), pred: f(M * C, 1), target: f(M * C, 2) }, dims: { M, C } }) },
    { op: 'mse_backward', make: () => ({ buffers: { dpred: f(M * C, 3), dloss: f(M, 4), pred: f(M * C, 1), target: f(M * C, 2) }, dims: { M, C } }) },
  ]),
  ...[5, 70001].flatMap((n) => [
    { op: 'gauss_nll_forward', make: () => ({ buffers: { loss: zeros(n), pred: f(n, 1), target: f(n, 2), logvar: Float32Array.of(0.3) }, dims: { n } }) },
    {
      op: 'gauss_nll_backward', tol: { atol: 1e-5 * Math.sqrt(n), rtol: 1e-4 },  // dlogvar sums n terms in fixed chunks
      make: () => ({ buffers: { dpred: f(n, 3), dlogvar: Float32Array.of(0.5), dloss: f(n, 4), pred: f(n, 1), target: f(n, 2), logvar: Float32Array.of(0.3) }, dims: { n } }),
    },
    { op: 'scale_inplace', make: () => ({ buffers: { x: f(n, 1) }, dims: { n, s: 0.37 } }) },
    { op: 'ema_update', make: () => ({ buffers: { target: f(n, 1), source: f(n, 2) }, dims: { n, momentum: 0.996 } }) },
    {
      op: 'adamw_update',
      make: () => ({ buffers: { params: f(n, 1), m: f(n, 2, -0.1, 0.1), v: f(n, 3, 0, 0.1), grads: f(n, 4), decay: Uint8Array.from(f(n, 5), (u) => (u > 0 ? 1 : 0)) }, dims: { n, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, step: 3 } }),
    },
  ]),
  ...[{ N: 5, Nin: 3, C: 7 }, { N: 3000, Nin: 100, C: 64 }].flatMap(({ N, Nin, C }) => [
    { op: 'index_select_forward', make: () => ({ buffers: { out: zeros(N * C), inp: f(Nin * C, 1), idx: ints(N, Nin, 2) }, dims: { N, Nin, C } }) },
    { op: 'index_select_backward', exact: ['dinp'], make: () => ({ buffers: { dinp: f(Nin * C, 3), dout: f(N * C, 4), idx: ints(N, Nin, 2) }, dims: { N, Nin, C } }) },
  ]),
  ...ATTN.flatMap(({ B, T, NH, HS }) => {
    const C = NH * HS;
    const mask = () => Uint8Array.from(f(B * T, 9), (u, i) => (i % T === 0 || u > -0.5 ? 1 : 0));
    return [
      { op: 'attention_forward', make: () => ({ buffers: { out: zeros(B * T * C), probs: zeros(B * NH * T * T), qkv: f(B * T * 3 * C, 1), key_mask: mask() }, dims: { B, T, NH, HS } }) },
      {
        op: 'attention_backward',
        make: () => {
          const qkv = f(B * T * 3 * C, 1), probs = zeros(B * NH * T * T), key_mask = mask();
          callOp('scalar', 'attention_forward', { out: zeros(B * T * C), probs, qkv, key_mask }, { B, T, NH, HS });
          return { buffers: { dqkv: f(B * T * 3 * C, 2), dout: f(B * T * C, 3), qkv, probs, key_mask }, dims: { B, T, NH, HS } };
        },
      },
    ];
  }),
  ...CROSS.flatMap(({ B, P, T, NH, HS }) => {
    const C = NH * HS;
    return [
      { op: 'cross_attention_forward', make: () => ({ buffers: { out: zeros(B * P * C), probs: zeros(B * NH * P * T), q: f(P * C, 1), kv: f(B * T * 2 * C, 2) }, dims: { B, P, T, NH, HS } }) },
      {
        op: 'cross_attention_backward', tol: { atol: 1e-5 * B, rtol: 1e-4 },  // dq sums over the B rows
        make: () => {
          const q = f(P * C, 1), kv = f(B * T * 2 * C, 2), probs = zeros(B * NH * P * T);
          callOp('scalar', 'cross_attention_forward', { out: zeros(B * P * C), probs, q, kv }, { B, P, T, NH, HS });
          return { buffers: { dq: f(P * C, 3), dkv: f(B * T * 2 * C, 4), dout: f(B * P * C, 5), q, kv, probs }, dims: { B, P, T, NH, HS } };
        },
      },
    ];
  }),
  ...[{ B: 3, D: 4, C: 5 }, { B: 200, D: 9, C: 32 }].flatMap(({ B, D, C }) => {
    const card = Int32Array.from({ length: D }, (_, j) => (j % 2 ? 3 + j : 0));
    const offset = new Int32Array(D);
    let rows = 0;
    card.forEach((k, j) => { offset[j] = k > 0 ? rows : -1; rows += k; });
    const x = () => Float32Array.from({ length: B * D }, (_, i) => (card[i % D] > 0 ? (i * 7) % card[i % D] : ((i * 13) % 17) / 8 - 1));
    const feat = () => Int32Array.from({ length: B * D }, (_, i) => (i * 5 + 1) % D);
    return [
      {
        op: 'tokenizer_forward',
        make: () => ({ buffers: { out: zeros(B * D * C), x: x(), feat: feat(), w_num: f(C, 1), b_num: f(D * C, 2), cat_table: f(Math.max(rows, 1) * C, 3), cat_offset: offset, cat_card: card, e_type: f(2 * C, 4), e_pos: f(D * C, 5) }, dims: { B, T: D, D, C } }),
      },
      {
        op: 'tokenizer_backward',
        make: () => ({ buffers: { dw_num: f(C, 6), db_num: f(D * C, 7), dcat_table: f(Math.max(rows, 1) * C, 8), de_type: f(2 * C, 9), dout: f(B * D * C, 10), x: x(), feat: feat(), cat_offset: offset, cat_card: card }, dims: { B, T: D, D, C } }),
      },
    ];
  }),
  // glue ops (model port): sums of a few terms in the reference's order, no FMA: bit-identical
  ...[5, 1000, 70001].flatMap((n) => [
    { op: 'fill_forward', make: () => ({ buffers: { out: f(n, 1) }, dims: { n, value: -2.5 } }), exact: ['out'] },
    { op: 'scale_forward', make: () => ({ buffers: { out: zeros(n), inp: f(n, 2) }, dims: { n, a: 2 } }), exact: ['out'] },
    { op: 'scale_backward', make: () => ({ buffers: { dinp: f(n, 3), dout: f(n, 4) }, dims: { n, a: -0.75 } }), exact: ['dinp'] },
  ]),
  ...[{ B: 1, n: 1, T: 1, t0: 0, C: 1, shared: 0 }, { B: 7, n: 4, T: 11, t0: 7, C: 13, shared: 0 }, { B: 300, n: 1, T: 9, t0: 0, C: 64, shared: 1 }].flatMap((d) => {
    const inp = (d.shared ? 1 : d.B) * d.n * d.C, out = d.B * d.T * d.C;
    return [
      { op: 'concat_rows_forward', make: () => ({ buffers: { out: f(out, 1), inp: f(inp, 2) }, dims: d }), exact: ['out'] },
      { op: 'concat_rows_backward', make: () => ({ buffers: { dinp: f(inp, 3), dout: f(out, 4) }, dims: d }), exact: ['dinp'] },
    ];
  }),
  ...[{ K: 1, B: 1, Mc: 1, Mt: 1, D: 2, C: 1 }, { K: 3, B: 13, Mc: 4, Mt: 5, D: 11, C: 7 }, { K: 4, B: 64, Mc: 8, Mt: 6, D: 20, C: 64 }].flatMap((d) => {
    const S = d.K * d.B, n = S * (d.Mc + d.Mt) * d.C;
    return [
      {
        op: 'predictor_input_forward',
        make: () => ({ buffers: { seq: zeros(n), cx: f(d.B * d.Mc * d.C, 1), cz: f(d.B * d.C, 2), ctx: ints(d.B * d.Mc, d.D, 3), trg: ints(S * d.Mt, d.D, 4), mask: f(d.C, 5), pe: f(d.D * d.C, 6) }, dims: d }),
        exact: ['seq'],
      },
      {
        op: 'predictor_input_backward',
        make: () => ({ buffers: { dcx: f(d.B * d.Mc * d.C, 7), dcz: f(d.B * d.C, 8), dmask: f(d.C, 9), dseq: f(n, 10) }, dims: d }),
        exact: ['dcx', 'dcz', 'dmask'],
      },
    ];
  }),
];

function clone(b: Bufs): Bufs {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v ? v.slice() : v]));
}

describe.skipIf(!cudaStatus.ops.ok)('CUDA ops vs the scalar reference', () => {
  it.each(CASES.map((c, i) => [`${c.op} #${i}`, c] as const))('%s', (_name, c) => {
    const { buffers, dims } = c.make();
    const ref = clone(buffers), dev = clone(buffers);
    const r = callOp('scalar', c.op, ref, dims);
    const g = callOp('cuda', c.op, dev, dims);
    if (typeof r === 'number') expectClose([g as number], [r], { atol: 1e-9, rtol: 1e-9 }, `${c.op} result`);
    for (const k of Object.keys(ref)) {
      const a = dev[k], b = ref[k];
      if (!a || !b) continue;
      if (c.exact?.includes(k)) expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `${c.op}: ${k} bit-identical`).toBe(true);
      else expectClose(a, b, c.tol ?? DEFAULT_TOL, `${c.op}: ${k}`);
    }
  });

  it('sum_squares matches the reference', () => {
    const x = uniform(100003, 1);
    const r = callOp('scalar', 'sum_squares', { x }, { n: x.length }) as number;
    const g = callOp('cuda', 'sum_squares', { x }, { n: x.length }) as number;
    expect(Math.abs(g - r)).toBeLessThanOrEqual(1e-12 * r);
  });

  it('same inputs give bit-identical outputs on repeated runs', () => {
    for (const c of CASES.filter((k) => k.op.endsWith('_backward')).slice(0, 12)) {
      const { buffers, dims } = c.make();
      const a = clone(buffers), b = clone(buffers);
      callOp('cuda', c.op, a, dims);
      callOp('cuda', c.op, b, dims);
      for (const k of Object.keys(a)) if (a[k]) expect(Buffer.from(a[k]!.buffer).equals(Buffer.from(b[k]!.buffer)), `${c.op}: ${k}`).toBe(true);
    }
  });

  it('covers every op of the table', () => {
    const ops = [...new Set([...CASES.map((c) => c.op), 'sum_squares'])].sort();
    expect(ops).toEqual([...binding().opNames()].sort());
  });
});
