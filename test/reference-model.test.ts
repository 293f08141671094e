// Checks of the float64 reference forward pass itself (test/helpers/reference-model.ts): its math
// helpers against known values, and the whole loss against closed forms and symmetries.
import { describe, expect, it } from 'vitest';

import { rng, uniform } from './helpers/buffers';
import {
  attend,
  erf,
  gaussianKl,
  gelu,
  layerNormVec,
  positionCode,
  referenceLoss,
  referenceParamShapes,
  RefConfig,
  RefInputs,
  RefLoss,
  RefParam,
  softmax,
  standardKl,
} from './helpers/reference-model';

const close = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b)));

describe('reference math helpers', () => {
  it('softmax rows sum to 1 and ignore a shift of the logits', () => {
    const r = rng(1);
    for (let n = 1; n < 20; n++) {
      const v = Array.from({ length: n }, () => 40 * (r() - 0.5));
      const s = softmax(v);
      close(s.reduce((a, b) => a + b, 0), 1);
      const shifted = softmax(v.map((x) => x + 1000));
      s.forEach((x, i) => close(shifted[i], x));
    }
  });

  it('erf matches known values and is odd', () => {
    const known: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [4.5, 0.9999999998033839],
    ];
    for (const [x, e] of known) {
      close(erf(x), e, 1e-15);
      close(erf(-x), -e, 1e-15);
    }
    expect(erf(7)).toBe(1);
  });

  it('gelu is x * Phi(x)', () => {
    expect(gelu(0)).toBe(0);
    close(gelu(1), 0.8413447460685429);
    close(gelu(-1), -0.15865525393145707);
    close(gelu(10), 10);
  });

  it('layer norm gives zero mean and unit (biased) variance before the affine part', () => {
    const x = Array.from(uniform(11, 3));
    const y = layerNormVec(x, new Array(11).fill(1), new Array(11).fill(0), 0);
    close(y.reduce((a, b) => a + b, 0) / 11, 0);
    close(y.reduce((a, b) => a + b * b, 0) / 11, 1);
    const z = layerNormVec(x, new Array(11).fill(2), new Array(11).fill(0.5), 0);
    z.forEach((v, c) => close(v, 2 * y[c] + 0.5));
  });

  it('position code: sin/cos pairs share an angle that falls with the channel', () => {
    expect(positionCode(0, 6, 100)).toEqual([0, 1, 0, 1, 0, 1]);
    const pe = positionCode(3, 8, 100);
    for (let c = 0; c < 8; c += 2) {
      const angle = 3 * Math.pow(100, -c / 8);
      close(pe[c], Math.sin(angle));
      close(pe[c + 1], Math.cos(angle));
    }
  });

  it('attention: one key returns its value; equal keys average the values', () => {
    const q = [Array.from(uniform(6, 4))];
    const v = [Array.from(uniform(6, 5)), Array.from(uniform(6, 6))];
    const one = attend(q, [Array.from(uniform(6, 7))], [v[0]], 3);
    one[0].forEach((x, c) => close(x, v[0][c]));
    const k = Array.from(uniform(6, 8));
    const avg = attend(q, [k, k], v, 2);
    avg[0].forEach((x, c) => close(x, 0.5 * (v[0][c] + v[1][c])));
  });

  it('attention heads use their own channel slices', () => {
    // head 0 (channels 0-1) prefers key 0, head 1 (channels 2-3) prefers key 1
    const q = [[10, 0, 0, 10]];
    const k = [[10, 0, 0, -10], [-10, 0, 0, 10]];
    const v = [[1, 2, 3, 4], [5, 6, 7, 8]];
    const out = attend(q, k, v, 2)[0];
    [1, 2, 7, 8].forEach((e, c) => close(out[c], e, 1e-9));
  });

  it('KL closed forms: zero between equal Gaussians; the standard-normal case agrees', () => {
    const m = Array.from(uniform(5, 9)), l = Array.from(uniform(5, 10));
    close(gaussianKl(m, l, m, l), 0);
    close(standardKl(m, l), gaussianKl(m, l, [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]));
    expect(gaussianKl(m, l, l, m)).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The whole loss on a tiny model

const CFG: RefConfig = {
  d: 8, layers: 1, heads: 2, ff: 12, dP: 4, layersP: 1, headsP: 2, ffP: 6, pool: 2, masks: 2,
  logvarMin: -10, logvarMax: 10, posBase: 100, predPosBase: 10000,
};
const CARDS = new Int32Array([0, 3, 0, 4, 0]);
const D = CARDS.length;

/** A parameter table in the reference's layout, each tensor filled by fill(name, i). */
function makeParams(fill: (name: string, i: number) => number): { params: Float32Array; table: RefParam[] } {
  const table: RefParam[] = [];
  let offset = 0;
  for (const { name, shape } of referenceParamShapes(CFG, CARDS)) {
    const size = shape.reduce((a, b) => a * b, 1);
    table.push({ name, offset, size, shape });
    offset += size;
  }
  const params = new Float32Array(offset);
  for (const p of table) for (let i = 0; i < p.size; i++) params[p.offset + i] = fill(p.name, i);
  return { params, table };
}

function randomParams(seed: number) {
  const r = rng(seed);
  return makeParams((name) => (name.endsWith('norm1.weight') || name.endsWith('norm2.weight') || name.endsWith('norm.weight') ? 1 : 0) + 0.4 * (r() - 0.5));
}

/** A batch of B rows: numeric values in [0, 1], codes in range, disjoint ctx / trg per row. */
function makeBatch(B: number, Mc: number, Mt: number, seed: number): Omit<RefInputs, 'params' | 'table'> {
  const r = rng(seed);
  const x = new Float32Array(B * D);
  for (let b = 0; b < B; b++) for (let j = 0; j < D; j++) x[b * D + j] = CARDS[j] > 0 ? Math.floor(r() * CARDS[j]) : r();
  const ctx = new Int32Array(B * Mc);
  const trg = new Int32Array(CFG.masks * B * Mt);
  for (let b = 0; b < B; b++) {
    const order = Array.from({ length: D }, (_, j) => j).sort(() => r() - 0.5);
    for (let t = 0; t < Mc; t++) ctx[b * Mc + t] = order[t];
    const rest = order.slice(Mc);
    for (let k = 0; k < CFG.masks; k++) {
      const pick = [...rest].sort(() => r() - 0.5);
      for (let u = 0; u < Mt; u++) trg[(k * B + b) * Mt + u] = pick[u];
    }
  }
  return {
    cards: CARDS, x, rows: B, ctxSize: Mc, trgSize: Mt, ctx, trg,
    epsSx: uniform(B * Mc * CFG.d, seed + 1, -2, 2), epsZ: uniform(B * CFG.d, seed + 2, -2, 2),
    epsSw: uniform(B * D * CFG.d, seed + 3, -2, 2), config: CFG,
  };
}

const TERMS = ['rec', 'gen', 'klSx', 'klZ', 'klSy'] as const;
const expectSameLoss = (a: RefLoss, b: RefLoss, tol = 1e-12) => TERMS.forEach((t) => close(a[t], b[t], tol));

describe('reference loss', () => {
  const batch = makeBatch(3, 2, 2, 20);

  it('gives finite terms, KLs >= 0, on random parameters', () => {
    const loss = referenceLoss({ ...randomParams(1), ...batch });
    for (const t of TERMS) expect(Number.isFinite(loss[t]), t).toBe(true);
    for (const t of ['klSx', 'klZ', 'klSy'] as const) expect(loss[t]).toBeGreaterThan(0);
  });

  it('all-zero parameters give the closed forms: KLs 0, N(0, 1) and uniform-softmax NLLs', () => {
    const loss = referenceLoss({ ...makeParams(() => 0), ...batch });
    const nll = (b: number, j: number) => {
      const v = batch.x[b * D + j];
      return CARDS[j] > 0 ? Math.log(CARDS[j]) : 0.5 * (Math.log(2 * Math.PI) + v * v);
    };
    let rec = 0;
    for (let b = 0; b < 3; b++) for (let t = 0; t < 2; t++) rec += nll(b, batch.ctx[b * 2 + t]);
    let gen = 0;
    for (let b = 0; b < 3; b++) for (let j = 0; j < D; j++) gen += nll(b, j);
    close(loss.rec, rec / 6);
    close(loss.gen, gen / (3 * D));
    expect([loss.klSx, loss.klZ, loss.klSy]).toEqual([0, 0, 0]);
  });

  it('head biases alone set the terms; log-variances are clamped before the KLs', () => {
    const bias: Record<string, number> = {
      'ctx.head_mu.bias': 0.3, 'ctx.head_logvar.bias': 12, // clamped to 10
      'aux.head_mu.bias': -0.5, 'aux.head_logsigma.bias': -7, // logvar -14, clamped to -10
      'trg.head_mu.bias': 0.5, 'trg.head_logvar.bias': 1,
      'pred.head_mu.bias': -0.2, 'pred.head_logvar.bias': -0.5,
      'dec_ctx.logvar': 0.7, 'dec_trg.logvar': -0.3,
    };
    for (let j = 0; j < D; j++) if (CARDS[j] === 0) bias[`dec_ctx.heads.${j}.bias`] = 0.25;
    const loss = referenceLoss({ ...makeParams((name) => bias[name] ?? 0), ...batch });
    const d = CFG.d;
    const f = Math.fround; // parameters are float32
    close(loss.klSx, 0.5 * d * (Math.exp(10) + f(0.3) ** 2 - 10 - 1));
    close(loss.klZ, 0.5 * d * (Math.exp(-10) + 0.25 + 10 - 1));
    close(loss.klSy, 0.5 * d * (Math.exp(1.5) + (f(-0.2) - 0.5) ** 2 * Math.exp(0.5) - 1.5 - 1));
    const nll = (v: number, u: number, lv: number) => 0.5 * (Math.log(2 * Math.PI) + lv + (v - u) ** 2 * Math.exp(-lv));
    let rec = 0;
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 2; t++) {
        const j = batch.ctx[b * 2 + t];
        rec += CARDS[j] > 0 ? Math.log(CARDS[j]) : nll(batch.x[b * D + j], 0.25, f(0.7));
      }
    }
    let gen = 0;
    for (let b = 0; b < 3; b++) for (let j = 0; j < D; j++) gen += CARDS[j] > 0 ? Math.log(CARDS[j]) : nll(batch.x[b * D + j], 0, f(-0.3));
    close(loss.rec, rec / 6);
    close(loss.gen, gen / (3 * D));
  });

  it('the batch loss is the mean of the rows taken one at a time', () => {
    const params = randomParams(2);
    const whole = referenceLoss({ ...params, ...batch });
    const B = 3, Mc = 2, Mt = 2, d = CFG.d, K = CFG.masks;
    const sum: RefLoss = { rec: 0, gen: 0, klSx: 0, klZ: 0, klSy: 0 };
    for (let b = 0; b < B; b++) {
      const trg = new Int32Array(K * Mt);
      for (let k = 0; k < K; k++) trg.set(batch.trg.subarray((k * B + b) * Mt, (k * B + b + 1) * Mt), k * Mt);
      const one = referenceLoss({
        ...params, cards: CARDS, rows: 1, ctxSize: Mc, trgSize: Mt, config: CFG, trg,
        x: batch.x.slice(b * D, (b + 1) * D), ctx: batch.ctx.slice(b * Mc, (b + 1) * Mc),
        epsSx: batch.epsSx.slice(b * Mc * d, (b + 1) * Mc * d), epsZ: batch.epsZ.slice(b * d, (b + 1) * d),
        epsSw: batch.epsSw.slice(b * D * d, (b + 1) * D * d),
      });
      for (const t of TERMS) sum[t] += one[t] / B;
    }
    expectSameLoss(whole, sum);
  });

  it('reordering a row\'s context tokens (with their noise) or the masks changes nothing', () => {
    const params = randomParams(3);
    const base = referenceLoss({ ...params, ...batch });
    const d = CFG.d, B = 3, Mt = 2;
    // swap the two context tokens of row 1 and their s_x noise
    const ctx = batch.ctx.slice();
    [ctx[2], ctx[3]] = [ctx[3], ctx[2]];
    const epsSx = batch.epsSx.slice();
    epsSx.set(batch.epsSx.subarray(3 * d, 4 * d), 2 * d);
    epsSx.set(batch.epsSx.subarray(2 * d, 3 * d), 3 * d);
    expectSameLoss(referenceLoss({ ...params, ...batch, ctx, epsSx }), base, 1e-10);
    // swap the two masks and reverse each row's target order
    const trg = new Int32Array(batch.trg.length);
    for (let k = 0; k < 2; k++) {
      for (let b = 0; b < B; b++) {
        for (let u = 0; u < Mt; u++) trg[(k * B + b) * Mt + u] = batch.trg[((1 - k) * B + b) * Mt + (Mt - 1 - u)];
      }
    }
    expectSameLoss(referenceLoss({ ...params, ...batch, trg }), base, 1e-10);
  });

  it('every parameter tensor moves some term', () => {
    const { params, table } = randomParams(4);
    const base = referenceLoss({ params, table, ...batch });
    const r = rng(5);
    const inContext = new Set(batch.ctx);
    for (const p of table) {
      // a context-decoder head of a feature no context token holds is rightly unused
      const head = /^dec_ctx\.heads\.(\d+)\./.exec(p.name);
      if (head && !inContext.has(Number(head[1]))) continue;
      const moved = params.slice();
      for (let i = 0; i < p.size; i++) moved[p.offset + i] += 0.3 * (r() - 0.5);
      const loss = referenceLoss({ params: moved, table, ...batch });
      const change = Math.max(...TERMS.map((t) => Math.abs(loss[t] - base[t])));
      expect(change, p.name).toBeGreaterThan(1e-9);
    }
  });

  it('rejects inputs of the wrong length or out of range', () => {
    const params = randomParams(6);
    expect(() => referenceLoss({ ...params, ...batch, epsZ: new Float32Array(3) })).toThrow(/inputs\.epsZ/);
    expect(() => referenceLoss({ ...params, ...batch, ctx: new Int32Array(6).fill(D) })).toThrow(/inputs\.ctx\[0\]/);
    const x = batch.x.slice();
    x[1] = 3; // feature 1 has 3 categories
    expect(() => referenceLoss({ ...params, ...batch, x })).toThrow(/x\[0, 1\]/);
    expect(() => referenceLoss({ ...params, table: params.table.slice(1), ...batch })).toThrow(/ctx\.tok\.num_weight/);
  });
});
