// index_select and the tokeniser (docs/model.md, section 3, Eq. 27): every ISA against the scalar
// reference, guard bands, accumulation, finite differences, thread-count determinism, and the
// index checks of the op runner.
import { describe, expect, it } from 'vitest';

import { guarded, guardedCopy, rng, uniform } from './helpers/buffers';
import { gradCheck } from './helpers/gradcheck';
import { availableIsas, callOp } from './helpers/native';
import { expectClose } from './helpers/tolerance';
import { expectSameBits, withThreads } from './helpers/op-compare';

// A gather copies and the scatter-add adds in row order on every backend: results are exact.
const EXACT = { atol: 0, rtol: 0 };

function randomIndices(n: number, hi: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * hi));
}

// ---- index_select ---------------------------------------------------------------------------

const INDEX_SHAPES = [
  { N: 1, Nin: 1, C: 1 },
  { N: 5, Nin: 7, C: 11 },
  { N: 13, Nin: 5, C: 7 },
  { N: 64, Nin: 32, C: 64 },
  { N: 37, Nin: 11, C: 256 },
  { N: 130, Nin: 13, C: 13 },
];

describe.each(availableIsas())('index_select on %s vs scalar reference', (isa) => {
  it.each(INDEX_SHAPES)('forward and backward N=$N Nin=$Nin C=$C', ({ N, Nin, C }) => {
    const inp = uniform(Nin * C, 1), idx = randomIndices(N, Nin, 2), dout = uniform(N * C, 3);
    const ref = new Float32Array(N * C);
    callOp('scalar', 'index_select_forward', { out: ref, inp, idx }, { N, Nin, C });
    for (let n = 0; n < N; n++) expect(ref.subarray(n * C, (n + 1) * C)).toEqual(inp.subarray(idx[n] * C, (idx[n] + 1) * C));
    const out = guarded(N * C);
    callOp(isa, 'index_select_forward', { out: out.view, inp, idx }, { N, Nin, C });
    out.checkGuards('out');
    expectClose(out.view, ref, EXACT, 'out');

    const rdinp = uniform(Nin * C, 4, -0.5, 0.5);
    const gdinp = guardedCopy(rdinp);
    callOp('scalar', 'index_select_backward', { dinp: rdinp, dout, idx }, { N, Nin, C });
    callOp(isa, 'index_select_backward', { dinp: gdinp.view, dout, idx }, { N, Nin, C });
    gdinp.checkGuards('dinp');
    expectClose(gdinp.view, rdinp, EXACT, 'dinp');
  });

  it('backward accumulates: running it twice doubles the gradient', () => {
    const N = 9, Nin = 4, C = 19;
    const idx = randomIndices(N, Nin, 5), dout = uniform(N * C, 6);
    const once = new Float32Array(Nin * C), twice = new Float32Array(Nin * C);
    callOp(isa, 'index_select_backward', { dinp: once, dout, idx }, { N, Nin, C });
    callOp(isa, 'index_select_backward', { dinp: twice, dout, idx }, { N, Nin, C });
    callOp(isa, 'index_select_backward', { dinp: twice, dout, idx }, { N, Nin, C });
    expect(once.some((v) => v !== 0)).toBe(true);
    expectClose(twice, once.map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, 'dinp');
  });

  it('gives bit-identical results with 1 and 2 threads', () => {
    const N = 700, Nin = 50, C = 300;
    const inp = uniform(Nin * C, 7), idx = randomIndices(N, Nin, 8), dout = uniform(N * C, 9);
    const run = () => {
      const out = new Float32Array(N * C), dinp = new Float32Array(Nin * C);
      callOp(isa, 'index_select_forward', { out, inp, idx }, { N, Nin, C });
      callOp(isa, 'index_select_backward', { dinp, dout, idx }, { N, Nin, C });
      return { out, dinp };
    };
    const one = withThreads(1, run), two = withThreads(2, run);
    expectSameBits(two.out, one.out, 'out');
    expectSameBits(two.dinp, one.dinp, 'dinp');
  });
});

describe('index_select gradient by finite differences', () => {
  it('matches central differences for inp', () => {
    const N = 11, Nin = 5, C = 3;
    const inputs = { inp: uniform(Nin * C, 21) };
    const idx = randomIndices(N, Nin, 22);
    gradCheck({
      inputs,
      wrt: ['inp'],
      samples: Nin * C,
      forward: () => {
        const out = new Float32Array(N * C);
        callOp('scalar', 'index_select_forward', { out, inp: inputs.inp, idx }, { N, Nin, C });
        return out;
      },
      backward: (dout) => {
        const dinp = new Float32Array(Nin * C);
        callOp('scalar', 'index_select_backward', { dinp, dout, idx }, { N, Nin, C });
        return { inp: dinp };
      },
    });
  });
});

describe('index_select argument checks', () => {
  it('names the out-of-range index and its position', () => {
    const idx = Int32Array.from([0, 6, 2, 9]);
    const bufs = { out: new Float32Array(8), inp: new Float32Array(14), idx };
    expect(() => callOp('avx2', 'index_select_forward', bufs, { N: 4, Nin: 7, C: 2 })).toThrow(
      new RangeError('Expected values in [0, 7) in buffers.idx but received 9 at index 3'),
    );
    idx[3] = -1;
    expect(() => callOp('scalar', 'index_select_backward', { dinp: new Float32Array(14), dout: new Float32Array(8), idx }, { N: 4, Nin: 7, C: 2 })).toThrow(
      new RangeError('Expected values in [0, 7) in buffers.idx but received -1 at index 3'),
    );
  });
  it('names the buffer with the wrong type or length', () => {
    expect(() =>
      callOp('scalar', 'index_select_forward', { out: new Float32Array(8), inp: new Float32Array(14), idx: new Float32Array(4) }, { N: 4, Nin: 7, C: 2 }),
    ).toThrow(new TypeError('Expected an Int32Array for buffers.idx but received Float32Array of length 4'));
    expect(() =>
      callOp('scalar', 'index_select_backward', { dinp: new Float32Array(13), dout: new Float32Array(8), idx: new Int32Array(4) }, { N: 4, Nin: 7, C: 2 }),
    ).toThrow(new RangeError('Expected a Float32Array of length 14 for buffers.dinp but received length 13'));
  });
});

// ---- tokenizer ------------------------------------------------------------------------------

interface TokShape {
  B: number;
  T: number;
  D: number;
  C: number;
  /** which features are categorical, by index; the rest are numeric */
  cat: number[];
}

const TOK_SHAPES: TokShape[] = [
  { B: 1, T: 1, D: 1, C: 1, cat: [] },
  { B: 2, T: 1, D: 1, C: 3, cat: [0] },
  { B: 5, T: 7, D: 11, C: 13, cat: [1, 4, 5, 9] },
  { B: 13, T: 5, D: 7, C: 11, cat: [0, 6] },
  { B: 4, T: 16, D: 16, C: 64, cat: [2, 3, 7, 8, 11, 15] },
  { B: 32, T: 9, D: 12, C: 256, cat: [0, 1, 2, 3, 4, 5] },
  { B: 40, T: 10, D: 10, C: 32, cat: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
];

/** A tokeniser problem: parameters, a batch of rows, and T distinct features per row. */
function tokProblem({ B, T, D, C, cat }: TokShape, seed: number) {
  const r = rng(seed);
  const catOffset = new Int32Array(D).fill(-1), catCard = new Int32Array(D);
  let rows = 0;
  for (const j of cat) {
    catOffset[j] = rows;
    catCard[j] = 1 + Math.floor(r() * 5);
    rows += catCard[j];
  }
  const x = uniform(B * D, seed + 1);
  for (let b = 0; b < B; b++) for (const j of cat) x[b * D + j] = Math.floor(r() * catCard[j]);
  const feat = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const perm = Array.from({ length: D }, (_, j) => j);
    for (let i = D - 1; i > 0; i--) {
      const k = Math.floor(r() * (i + 1));
      [perm[i], perm[k]] = [perm[k], perm[i]];
    }
    feat.set(perm.slice(0, T), b * T);
  }
  const params = {
    w_num: uniform(C, seed + 2),
    b_num: uniform(D * C, seed + 3),
    cat_table: uniform(rows * C, seed + 4),
    e_type: uniform(2 * C, seed + 5),
  };
  const e_pos = uniform(D * C, seed + 6);
  return { x, feat, params, e_pos, cat_offset: catOffset, cat_card: catCard, rows };
}

type Tok = ReturnType<typeof tokProblem>;

function tokForward(isa: string, p: Tok, dims: TokShape, out: Float32Array) {
  const { B, T, D, C } = dims;
  callOp(isa, 'tokenizer_forward', { out, x: p.x, feat: p.feat, ...p.params, e_pos: p.e_pos, cat_offset: p.cat_offset, cat_card: p.cat_card }, { B, T, D, C });
}

function tokGrads(p: Tok, C: number, D: number, seed?: number) {
  const init = (n: number, s: number) => (seed === undefined ? new Float32Array(n) : uniform(n, seed + s, -0.5, 0.5));
  return { dw_num: init(C, 1), db_num: init(D * C, 2), dcat_table: init(p.rows * C, 3), de_type: init(2 * C, 4) };
}

function tokBackward(isa: string, p: Tok, dims: TokShape, grads: Record<string, Float32Array | null>, dout: Float32Array) {
  const { B, T, D, C } = dims;
  callOp(isa, 'tokenizer_backward', { ...grads, dout, x: p.x, feat: p.feat, cat_offset: p.cat_offset, cat_card: p.cat_card }, { B, T, D, C });
}

describe.each(availableIsas())('tokenizer on %s vs scalar reference', (isa) => {
  it.each(TOK_SHAPES)('forward and backward B=$B T=$T D=$D C=$C', (shape) => {
    const { B, T, D, C } = shape;
    const p = tokProblem(shape, 31);
    const ref = new Float32Array(B * T * C);
    tokForward('scalar', p, shape, ref);
    // spot-check the reference against Eq. 27 written out here
    for (let t = 0; t < B * T; t += 7) {
      const b = Math.floor(t / T), j = p.feat[t], xv = p.x[b * D + j];
      for (let c = 0; c < C; c += 3) {
        const want = p.cat_offset[j] < 0
          ? p.params.w_num[c] * xv + p.params.b_num[j * C + c] + p.params.e_type[c] + p.e_pos[j * C + c]
          : p.params.cat_table[(p.cat_offset[j] + xv) * C + c] + p.params.e_type[C + c] + p.e_pos[j * C + c];
        expect(Math.abs(ref[t * C + c] - want)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want)));
      }
    }
    const out = guarded(B * T * C);
    tokForward(isa, p, shape, out.view);
    out.checkGuards('out');
    expectClose(out.view, ref, undefined, 'out');

    const dout = uniform(B * T * C, 32);
    const rg = tokGrads(p, C, D, 40);
    const gg = Object.fromEntries(Object.entries(tokGrads(p, C, D, 40)).map(([k, v]) => [k, guardedCopy(v)]));
    tokBackward('scalar', p, shape, rg, dout);
    tokBackward(isa, p, shape, Object.fromEntries(Object.entries(gg).map(([k, g]) => [k, g.view])), dout);
    // dw_num and de_type sum over all B*T tokens: float chunk sums against the double reference
    const sumTol = { atol: 1e-6 * B * T, rtol: 1e-5 };
    for (const [k, g] of Object.entries(gg)) {
      g.checkGuards(k);
      expectClose(g.view, rg[k as keyof typeof rg], k === 'dw_num' || k === 'de_type' ? sumTol : undefined, k);
    }
  });

  it('backward accumulates: running it twice doubles the gradients, and skips null ones', () => {
    const shape = TOK_SHAPES[2];
    const p = tokProblem(shape, 51);
    const dout = uniform(shape.B * shape.T * shape.C, 52);
    const once = tokGrads(p, shape.C, shape.D), twice = tokGrads(p, shape.C, shape.D);
    tokBackward(isa, p, shape, once, dout);
    tokBackward(isa, p, shape, twice, dout);
    tokBackward(isa, p, shape, twice, dout);
    for (const k of Object.keys(once) as Array<keyof typeof once>) {
      expect(once[k].some((v) => v !== 0), k).toBe(true);
      expectClose(twice[k], once[k].map((v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, k);
    }
    const some = { dw_num: null, db_num: new Float32Array(shape.D * shape.C), dcat_table: null, de_type: new Float32Array(2 * shape.C) };
    tokBackward(isa, p, shape, some, dout);
    expectClose(some.db_num, once.db_num, EXACT, 'db_num alone');
    expectClose(some.de_type, once.de_type, EXACT, 'de_type alone');
  });

  it('gives bit-identical results with 1 and 2 threads', () => {
    // 600 tokens span several 256-token chunks; C = 200 spans several column blocks
    const shape = { B: 60, T: 10, D: 12, C: 200, cat: [1, 3, 5, 7] };
    const p = tokProblem(shape, 61);
    const dout = uniform(shape.B * shape.T * shape.C, 62);
    const run = () => {
      const out = new Float32Array(shape.B * shape.T * shape.C);
      tokForward(isa, p, shape, out);
      const g = tokGrads(p, shape.C, shape.D);
      tokBackward(isa, p, shape, g, dout);
      return { out, ...g };
    };
    const one = withThreads(1, run), two = withThreads(2, run);
    for (const k of Object.keys(one) as Array<keyof typeof one>) expectSameBits(two[k], one[k], k);
  });
});

describe('tokenizer gradients by finite differences', () => {
  it('matches central differences for w_num, b_num, cat_table and e_type', () => {
    const shape = { B: 6, T: 4, D: 5, C: 3, cat: [1, 3] };
    const p = tokProblem(shape, 71);
    gradCheck({
      inputs: p.params,
      wrt: ['w_num', 'b_num', 'cat_table', 'e_type'],
      samples: 32,
      forward: () => {
        const out = new Float32Array(shape.B * shape.T * shape.C);
        tokForward('scalar', p, shape, out);
        return out;
      },
      backward: (dout) => {
        const g = tokGrads(p, shape.C, shape.D);
        tokBackward('scalar', p, shape, g, dout);
        return { w_num: g.dw_num, b_num: g.db_num, cat_table: g.dcat_table, e_type: g.de_type };
      },
    });
  });
});

describe('tokenizer argument checks', () => {
  const shape = { B: 2, T: 3, D: 4, C: 2, cat: [1, 2] };
  const dims = { B: 2, T: 3, D: 4, C: 2 };
  const fresh = () => tokProblem(shape, 81);
  const fwd = (p: Tok, over: Record<string, unknown> = {}) =>
    callOp('avx2', 'tokenizer_forward', {
      out: new Float32Array(12), x: p.x, feat: p.feat, ...p.params, e_pos: p.e_pos, cat_offset: p.cat_offset, cat_card: p.cat_card, ...over,
    } as Record<string, Float32Array>, dims);
  const bwd = (p: Tok) =>
    callOp('scalar', 'tokenizer_backward', { ...tokGrads(p, 2, 4), dout: new Float32Array(12), x: p.x, feat: p.feat, cat_offset: p.cat_offset, cat_card: p.cat_card }, dims);

  it('accepts the valid problem', () => {
    expect(() => fwd(fresh())).not.toThrow();
    expect(() => bwd(fresh())).not.toThrow();
  });
  it('names a feature index out of range', () => {
    const p = fresh();
    p.feat[4] = 4;
    const msg = new RangeError('Expected values in [0, 4) in buffers.feat but received 4 at index 4');
    expect(() => fwd(p)).toThrow(msg);
    expect(() => bwd(p)).toThrow(msg);
  });
  it('names a category code out of range, fractional or NaN', () => {
    for (const [v, shown] of [[9, '9'], [-1, '-1'], [0.5, '0.5'], [NaN, 'NaN']] as const) {
      const p = fresh();
      p.x[4 + 2] = v; // row 1, categorical feature 2
      const msg = new RangeError(`Expected integer category codes in [0, ${p.cat_card[2]}) in buffers.x but received ${shown} at index 6`);
      expect(() => fwd(p)).toThrow(msg);
      expect(() => bwd(p)).toThrow(msg);
    }
  });
  it('names table offsets that run past the table', () => {
    const p = fresh();
    p.cat_offset[2] += 1;
    expect(() => fwd(p)).toThrow(
      new RangeError(
        `Expected cat_offset[j] + cat_card[j] <= ${p.rows} (the rows of buffers.cat_table) but feature 2 has buffers.cat_offset ${p.cat_offset[2]} and buffers.cat_card ${p.cat_card[2]}`,
      ),
    );
    expect(() => bwd(p)).toThrow(/the rows of buffers\.dcat_table/);
    const q = fresh();
    q.cat_offset[0] = -2;
    expect(() => fwd(q)).toThrow(new RangeError(`Expected values in [-1, ${q.rows}) in buffers.cat_offset but received -2 at index 0`));
    const z = fresh();
    z.cat_card[1] = 0;
    expect(() => fwd(z)).toThrow(new RangeError('Expected a category count of at least 1 in buffers.cat_card for categorical feature 1 but received 0 at index 1'));
  });
  it('names a table whose length is not whole rows', () => {
    const p = fresh();
    expect(() => fwd(p, { cat_table: new Float32Array(p.rows * 2 + 1) })).toThrow(
      new RangeError(`Expected a Float32Array whose length is a multiple of dims.C (2) for buffers.cat_table but received length ${p.rows * 2 + 1}`),
    );
  });
});
