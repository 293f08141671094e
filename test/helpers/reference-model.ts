// A slow, plain float64 forward pass of the Var-T-JEPA loss terms (docs/model.md, sections 3-5), written
// from the spec alone so a test can check the native model's terms against it. Nothing here is fast
// or clever: one token at a time, plain number arrays, every parameter looked up by name. Dropout
// is taken as 0 (tests run with dropout 0). No code is shared with lib/ or native/.
//
// Dimension letters: B rows, D features, d width (C in native), Mc context tokens per row, Mt
// target tokens per mask, K masks, P pooled tokens, dP predictor width.

/** One parameter tensor in the flat parameter array. */
export interface RefParam {
  name: string;
  offset: number;
  size: number;
  shape: number[];
}

/** The model hyper-parameters the reference needs (dropout is ignored: tests use 0). */
export interface RefConfig {
  d: number;
  layers: number;
  heads: number;
  ff: number;
  dP: number;
  layersP: number;
  headsP: number;
  ffP: number;
  pool: number;
  masks: number;
  logvarMin: number;
  logvarMax: number;
  posBase: number;
  predPosBase: number;
}

export interface RefInputs {
  /** flat parameter array; `table` names its tensors */
  params: Float32Array;
  table: RefParam[];
  /** (D): 0 for a numeric feature, else its category count C_j */
  cards: Int32Array;
  /** (B, D): numeric values, category codes as floats */
  x: Float32Array;
  rows: number;
  ctxSize: number;
  trgSize: number;
  /** (B, Mc): context feature indices per row */
  ctx: Int32Array;
  /** (K, B, Mt), k-major: target feature indices */
  trg: Int32Array;
  /** (B*Mc, d): noise of s_x, over (b, t) then channel */
  epsSx: Float32Array;
  /** (B, d): noise of z */
  epsZ: Float32Array;
  /** (B*D, d): noise of s_w, over (b, j) then channel */
  epsSw: Float32Array;
  config: RefConfig;
}

/** The five unweighted loss terms of docs/model.md, section 5 (Eq. 22-26), each averaged as the spec says. */
export interface RefLoss {
  rec: number;
  gen: number;
  klSx: number;
  klZ: number;
  klSy: number;
  /** KL_sy of each query, in the order k, b, u (target u of mask k of row b). */
  klSyQueries: number[];
  /** The prior's mean standard deviation exp(logvar_p / 2) over d at each query, in the same order. */
  priorStdQueries: number[];
  /** Per row: the mean posterior standard deviation exp(logvar / 2) of s_x (context tokens x d) and of z (d). */
  sxStd: number[];
  zStd: number[];
}

type Vec = number[];

// ---------------------------------------------------------------------------------------------
// Plain math on vectors (exported for the reference's own tests)

export function add(...vs: Vec[]): Vec {
  const out = new Array<number>(vs[0].length).fill(0);
  for (const v of vs) {
    if (v.length !== out.length) throw new Error(`add: lengths ${v.length} and ${out.length} differ`);
    for (let c = 0; c < out.length; c++) out[c] += v[c];
  }
  return out;
}

export function dot(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Numerically stable softmax of one row. */
export function softmax(v: Vec): Vec {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** log(sum(exp(v))), stable. */
export function logSumExp(v: Vec): number {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0));
}

/**
 * The error function to about 1e-16 absolute. Series with all-positive terms (no cancellation):
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n+1)).
 */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x > 6) return 1; // erfc(6) ~ 2e-17
  let term = x;
  let sum = x;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** Exact GELU: x * Phi(x). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** LayerNorm of one vector: biased variance, eps 1e-5. */
export function layerNormVec(x: Vec, weight: Vec, bias: Vec, eps = 1e-5): Vec {
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  const variance = x.reduce((a, b) => a + (b - mean) * (b - mean), 0) / n;
  const rstd = 1 / Math.sqrt(variance + eps);
  return x.map((v, c) => (v - mean) * rstd * weight[c] + bias[c]);
}

/**
 * Fixed sinusoidal position code of index j at channel c of a width-`width` table:
 * angle = j * base^(-(c - c mod 2) / width); sin for even c, cos for odd c.
 */
export function sinusoid(j: number, c: number, width: number, base: number): number {
  const angle = j * Math.pow(base, -(c - (c % 2)) / width);
  return c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
}

export function positionCode(j: number, width: number, base: number): Vec {
  return Array.from({ length: width }, (_, c) => sinusoid(j, c, width, base));
}

/**
 * Multi-head scaled dot-product attention, no mask. q (Tq, C), k (Tk, C), v (Tk, C) -> (Tq, C).
 * Head h owns channels [h*HS, (h+1)*HS), HS = C / NH; scale 1/sqrt(HS); softmax over all keys.
 */
export function attend(q: Vec[], k: Vec[], v: Vec[], NH: number): Vec[] {
  const C = q[0].length;
  const HS = C / NH;
  if (!Number.isInteger(HS)) throw new Error(`attend: width ${C} is not divisible by ${NH} heads`);
  const scale = 1 / Math.sqrt(HS);
  return q.map((qi) => {
    const out = new Array<number>(C).fill(0);
    for (let h = 0; h < NH; h++) {
      const lo = h * HS;
      const scores = k.map((kt) => dot(qi.slice(lo, lo + HS), kt.slice(lo, lo + HS)) * scale);
      const probs = softmax(scores);
      for (let t = 0; t < k.length; t++) {
        for (let c = lo; c < lo + HS; c++) out[c] += probs[t] * v[t][c];
      }
    }
    return out;
  });
}

/** KL(N(mq, exp(lq)) || N(mp, exp(lp))) summed over channels (docs/model.md, section 5). */
export function gaussianKl(mq: Vec, lq: Vec, mp: Vec, lp: Vec): number {
  let s = 0;
  for (let c = 0; c < mq.length; c++) {
    const vq = Math.exp(lq[c]);
    const vp = Math.exp(lp[c]);
    s += 0.5 * (vq / vp + ((mp[c] - mq[c]) * (mp[c] - mq[c])) / vp + (lp[c] - lq[c]) - 1);
  }
  return s;
}

/** KL(N(m, exp(l)) || N(0, I)) summed over channels: 0.5 * sum(v + m^2 - log v - 1). */
export function standardKl(m: Vec, l: Vec): number {
  let s = 0;
  for (let c = 0; c < m.length; c++) s += 0.5 * (Math.exp(l[c]) + m[c] * m[c] - l[c] - 1);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Parameters by name

const shapeText = (s: number[]) => `[${s.join(', ')}]`;

/** Float64 views of the flat parameter array, looked up by name with their shapes checked. */
export class Params {
  private readonly byName = new Map<string, RefParam>();
  private readonly cache = new Map<string, Vec>();

  constructor(private readonly values: Float32Array, table: RefParam[]) {
    for (const p of table) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (size !== p.size) throw new RangeError(`reference: parameter ${p.name} has size ${p.size} but shape ${shapeText(p.shape)}`);
      if (p.offset < 0 || p.offset + p.size > values.length) {
        throw new RangeError(`reference: parameter ${p.name} [${p.offset}, +${p.size}) lies outside params (${values.length})`);
      }
      this.byName.set(p.name, p);
    }
  }

  /** Shape of a named tensor. */
  shape(name: string): number[] {
    const p = this.byName.get(name);
    if (!p) throw new RangeError(`reference: parameter ${name} is missing from the table`);
    return p.shape;
  }

  /** The named tensor, flat, checked against the expected shape. */
  get(name: string, shape: number[]): Vec {
    const have = this.shape(name);
    if (shapeText(have) !== shapeText(shape)) {
      throw new RangeError(`reference: parameter ${name} has shape ${shapeText(have)}, expected ${shapeText(shape)}`);
    }
    let v = this.cache.get(name);
    if (!v) {
      const p = this.byName.get(name)!;
      v = Array.from(this.values.subarray(p.offset, p.offset + p.size));
      this.cache.set(name, v);
    }
    return v;
  }

  /** Row r of a (rows, C) tensor. */
  row(name: string, shape: number[], r: number): Vec {
    const C = shape[1];
    return this.get(name, shape).slice(r * C, (r + 1) * C);
  }

  /** Linear layer `name`: y = W x + b, W (out, in) PyTorch layout, b (out). */
  linear(name: string, x: Vec): Vec {
    const [out, inp] = this.shape(`${name}.weight`);
    if (inp !== x.length) throw new RangeError(`reference: ${name}.weight takes ${inp} inputs, given ${x.length}`);
    const W = this.get(`${name}.weight`, [out, inp]);
    const b = this.get(`${name}.bias`, [out]);
    const y = new Array<number>(out);
    for (let o = 0; o < out; o++) y[o] = b[o] + dot(W.slice(o * inp, (o + 1) * inp), x);
    return y;
  }

  /** LayerNorm `name` (weight, bias of the vector's width). */
  layerNorm(name: string, x: Vec): Vec {
    return layerNormVec(x, this.get(`${name}.weight`, [x.length]), this.get(`${name}.bias`, [x.length]));
  }
}

// ---------------------------------------------------------------------------------------------
// Building blocks of docs/model.md, section 4

/** Post-norm block: x1 = LN1(x + out(MHA(x))), x2 = LN2(x1 + fc2(relu(fc1(x1)))). seq (T, C). */
function transformerBlock(p: Params, prefix: string, seq: Vec[], NH: number): Vec[] {
  const C = seq[0].length;
  const qkv = seq.map((t) => p.linear(`${prefix}.attn.qkv`, t));
  const q = qkv.map((r) => r.slice(0, C));
  const k = qkv.map((r) => r.slice(C, 2 * C));
  const v = qkv.map((r) => r.slice(2 * C, 3 * C));
  const att = attend(q, k, v, NH);
  const x1 = seq.map((t, i) => p.layerNorm(`${prefix}.norm1`, add(t, p.linear(`${prefix}.attn.out`, att[i]))));
  return x1.map((t) => {
    const hidden = p.linear(`${prefix}.ffn.fc1`, t).map(relu);
    return p.layerNorm(`${prefix}.norm2`, add(t, p.linear(`${prefix}.ffn.fc2`, hidden)));
  });
}

/**
 * A stack of `layers` blocks, then either the encoder tail (LN -> Linear -> LN, T-JEPA) or one
 * final LayerNorm (the predictor).
 */
export function transformerStack(p: Params, name: string, layers: number, NH: number, seq: Vec[], tail: 'encoder' | 'norm'): Vec[] {
  let h = seq;
  for (let l = 0; l < layers; l++) h = transformerBlock(p, `${name}.layers.${l}`, h, NH);
  if (tail === 'norm') return h.map((t) => p.layerNorm(`${name}.norm`, t));
  return h.map((t) => p.layerNorm(`${name}.tail.norm2`, p.linear(`${name}.tail.linear`, p.layerNorm(`${name}.tail.norm1`, t))));
}

/** Row offset of each categorical feature's table inside the shared cat_embed (numeric: 0 rows). */
function categoryOffsets(cards: Int32Array): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const c of cards) {
    offsets.push(at);
    at += c;
  }
  return offsets;
}

function categoryCode(value: number, card: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= card) {
    throw new RangeError(`reference: ${what} is ${value}, expected an integer code in [0, ${card})`);
  }
  return value;
}

/** Tokeniser (Eq. 27) of `prefix` (ctx or trg) for feature j holding `value`. */
export function featureToken(p: Params, prefix: string, cards: Int32Array, j: number, value: number, cfg: RefConfig, what: string): Vec {
  const d = cfg.d;
  const D = cards.length;
  const pe = positionCode(j, d, cfg.posBase);
  const typeShape = [2, d];
  if (cards[j] === 0) {
    const w = p.get(`${prefix}.tok.num_weight`, [d]);
    const bj = p.row(`${prefix}.tok.num_bias`, [D, d], j);
    const typeNum = p.row(`${prefix}.tok.type_embed`, typeShape, 0);
    return add(w.map((wc) => wc * value), bj, typeNum, pe);
  }
  const sumCards = cards.reduce((a, b) => a + b, 0);
  const code = categoryCode(value, cards[j], what);
  const embed = p.row(`${prefix}.tok.cat_embed`, [Math.max(sumCards, 1), d], categoryOffsets(cards)[j] + code);
  const typeCat = p.row(`${prefix}.tok.type_embed`, typeShape, 1);
  return add(embed, typeCat, pe);
}

/** -log p(value | s) of feature j under decoder `dec` (Eq. 21, 49-50). */
function decoderNll(p: Params, dec: string, cards: Int32Array, j: number, s: Vec, value: number, what: string): number {
  const card = cards[j];
  const outShape = p.shape(`${dec}.heads.${j}.weight`);
  const expected = card > 0 ? card : 1;
  if (outShape[0] !== expected) throw new RangeError(`reference: ${dec}.heads.${j} gives ${outShape[0]} outputs, expected ${expected}`);
  const out = p.linear(`${dec}.heads.${j}`, s);
  if (card > 0) return logSumExp(out) - out[categoryCode(value, card, what)];
  const lv = p.get(`${dec}.logvar`, [1])[0];
  const u = out[0];
  return 0.5 * (Math.log(2 * Math.PI) + lv + (value - u) * (value - u) * Math.exp(-lv));
}

// ---------------------------------------------------------------------------------------------
// Input checks

function checkInputs(inp: RefInputs): void {
  const { config: cfg, cards, rows: B, ctxSize: Mc, trgSize: Mt } = inp;
  const D = cards.length;
  const K = cfg.masks;
  const need = (what: string, got: number, want: number, how: string) => {
    if (got !== want) throw new RangeError(`reference: inputs.${what} has ${got} entries, expected ${how} = ${want}`);
  };
  for (const [k, v] of Object.entries(cfg)) {
    if (!Number.isFinite(v)) throw new RangeError(`reference: inputs.config.${k} is ${v}, expected a finite number`);
  }
  for (const k of ['rows', 'ctxSize', 'trgSize'] as const) {
    if (!Number.isInteger(inp[k]) || inp[k] < 1) throw new RangeError(`reference: inputs.${k} is ${inp[k]}, expected an integer >= 1`);
  }
  if (cfg.d % cfg.heads !== 0) throw new RangeError(`reference: config.d ${cfg.d} is not divisible by config.heads ${cfg.heads}`);
  if (cfg.dP % cfg.headsP !== 0) throw new RangeError(`reference: config.dP ${cfg.dP} is not divisible by config.headsP ${cfg.headsP}`);
  cards.forEach((c, j) => {
    if (c < 0) throw new RangeError(`reference: inputs.cards[${j}] is ${c}, expected 0 or a category count`);
  });
  need('x', inp.x.length, B * D, 'rows * D');
  need('ctx', inp.ctx.length, B * Mc, 'rows * ctxSize');
  need('trg', inp.trg.length, K * B * Mt, 'masks * rows * trgSize');
  need('epsSx', inp.epsSx.length, B * Mc * cfg.d, 'rows * ctxSize * d');
  need('epsZ', inp.epsZ.length, B * cfg.d, 'rows * d');
  need('epsSw', inp.epsSw.length, B * D * cfg.d, 'rows * D * d');
  for (const [what, idx] of [['ctx', inp.ctx], ['trg', inp.trg]] as const) {
    idx.forEach((j, i) => {
      if (j < 0 || j >= D) throw new RangeError(`reference: inputs.${what}[${i}] is ${j}, expected a feature index in [0, ${D})`);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The forward pass

/**
 * The unweighted loss terms of one Var-T-JEPA step (docs/model.md, section 5) in float64, given the
 * parameters, the batch, the masks and the reparameterisation noise.
 */
export function referenceLoss(inp: RefInputs): RefLoss {
  checkInputs(inp);
  const cfg = inp.config;
  const cards = inp.cards;
  const p = new Params(inp.params, inp.table);
  const D = cards.length;
  const B = inp.rows;
  const Mc = inp.ctxSize;
  const Mt = inp.trgSize;
  const K = cfg.masks;
  const P = cfg.pool;
  const d = cfg.d;
  const value = (b: number, j: number) => inp.x[b * D + j];
  const clampLogvar = (lv: Vec) => lv.map((v) => Math.min(Math.max(v, cfg.logvarMin), cfg.logvarMax));
  // reparameterisation: mu + exp(logvar / 2) * eps, eps read from `eps` at `at`
  const sample = (mu: Vec, lv: Vec, eps: Float32Array, at: number) => mu.map((m, c) => m + Math.exp(0.5 * lv[c]) * eps[at + c]);

  // (I) context encoder q(s_x | x), Eq. 28-31: [CLS, t_j for j in ctx] -> L blocks -> tail -> heads
  const muSx: Vec[][] = [];
  const lvSx: Vec[][] = [];
  const sx: Vec[][] = [];
  for (let b = 0; b < B; b++) {
    const seq = [p.get('ctx.cls', [d])];
    for (let t = 0; t < Mc; t++) {
      const j = inp.ctx[b * Mc + t];
      seq.push(featureToken(p, 'ctx', cards, j, value(b, j), cfg, `x[${b}, ${j}]`));
    }
    const h = transformerStack(p, 'ctx.encoder', cfg.layers, cfg.heads, seq, 'encoder').slice(1); // drop CLS
    muSx.push(h.map((t) => p.linear('ctx.head_mu', t)));
    lvSx.push(h.map((t) => clampLogvar(p.linear('ctx.head_logvar', t))));
    sx.push(muSx[b].map((mu, t) => sample(mu, lvSx[b][t], inp.epsSx, (b * Mc + t) * d)));
  }

  // attention pooling (D.2.2): P learned queries cross-attend over the row's Mc s_x tokens
  const queries = Array.from({ length: P }, (_, i) => p.linear('pool.q', p.row('pool.queries', [P, d], i)));
  const sbar: Vec[][] = sx.map((tokens) => {
    const kv = tokens.map((s) => p.linear('pool.kv', s));
    const att = attend(queries, kv.map((r) => r.slice(0, d)), kv.map((r) => r.slice(d, 2 * d)), cfg.heads);
    return att.map((a) => p.linear('pool.out', a));
  });

  // (II) auxiliary encoder q(z | s_x), Eq. 32-34: flatten -> Linear -> LN -> GELU -> mu, log sigma
  const muZ: Vec[] = [];
  const lvZ: Vec[] = [];
  const z: Vec[] = [];
  for (let b = 0; b < B; b++) {
    const flat = sbar[b].flat(); // (P*d), p-major
    const a = p.layerNorm('aux.norm', p.linear('aux.fc1', flat)).map(gelu);
    muZ.push(p.linear('aux.head_mu', a));
    lvZ.push(clampLogvar(p.linear('aux.head_logsigma', a).map((ls) => 2 * ls)));
    z.push(sample(muZ[b], lvZ[b], inp.epsZ, b * d));
  }

  // (III) target posterior q(s_w | s_x, z, w), Eq. 35-41:
  // [CLS, W_sx sbar_i + e_type[pooled] (i < P), W_z z + e_type[aux], t_j for all D] -> L blocks -> tail -> heads
  const muSw: Vec[][] = [];
  const lvSw: Vec[][] = [];
  const sw: Vec[][] = [];
  for (let b = 0; b < B; b++) {
    const seq = [p.get('trg.cls', [d])];
    for (let i = 0; i < P; i++) seq.push(p.linear('trg.pooled', sbar[b][i]));
    seq.push(p.linear('trg.aux', z[b]));
    for (let j = 0; j < D; j++) seq.push(featureToken(p, 'trg', cards, j, value(b, j), cfg, `x[${b}, ${j}]`));
    const h = transformerStack(p, 'trg.encoder', cfg.layers, cfg.heads, seq, 'encoder').slice(2 + P);
    muSw.push(h.map((t) => p.linear('trg.head_mu', t)));
    lvSw.push(h.map((t) => clampLogvar(p.linear('trg.head_logvar', t))));
    sw.push(muSw[b].map((mu, j) => sample(mu, lvSw[b][j], inp.epsSw, (b * D + j) * d)));
  }

  // (IV) predictor p(s_y | s_x, z), Eq. 42-46, one sequence per (k, b), k-major:
  // [pred.ctx(s_x_t) + pred.z(z) + pe_p[ctx_t] ; mask_token + pred.z(z) + pe_p[trg_u]] -> Lp blocks -> LN -> heads.
  // KL_sy (Eq. 26): KL(q(s_w_j) || p(s_y_j)) at each query, j = the query's target feature.
  const mask = p.get('pred.mask_token', [cfg.dP]);
  let klSySum = 0;
  const klSyQueries: number[] = [];
  const priorStdQueries: number[] = [];
  for (let k = 0; k < K; k++) {
    for (let b = 0; b < B; b++) {
      const cz = p.linear('pred.z', z[b]);
      const targets = Array.from({ length: Mt }, (_, u) => inp.trg[(k * B + b) * Mt + u]);
      const seq: Vec[] = [];
      for (let t = 0; t < Mc; t++) {
        seq.push(add(p.linear('pred.ctx', sx[b][t]), cz, positionCode(inp.ctx[b * Mc + t], cfg.dP, cfg.predPosBase)));
      }
      for (const j of targets) seq.push(add(mask, cz, positionCode(j, cfg.dP, cfg.predPosBase)));
      const h = transformerStack(p, 'pred.encoder', cfg.layersP, cfg.headsP, seq, 'norm').slice(Mc);
      h.forEach((hq, u) => {
        const muP = p.linear('pred.head_mu', hq);
        const lvP = clampLogvar(p.linear('pred.head_logvar', hq));
        const j = targets[u];
        const kl = gaussianKl(muSw[b][j], lvSw[b][j], muP, lvP);
        klSyQueries.push(kl);
        priorStdQueries.push(lvP.reduce((acc, v) => acc + Math.exp(0.5 * v), 0) / lvP.length);
        klSySum += kl;
      });
    }
  }

  // (V) context decoder on s_x (Eq. 22) and (VI) target decoder on s_w over all D features (Eq. 23)
  let recSum = 0;
  let klSxSum = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Mc; t++) {
      const j = inp.ctx[b * Mc + t];
      recSum += decoderNll(p, 'dec_ctx', cards, j, sx[b][t], value(b, j), `x[${b}, ${j}]`);
      klSxSum += standardKl(muSx[b][t], lvSx[b][t]); // Eq. 24
    }
  }
  let genSum = 0;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < D; j++) genSum += decoderNll(p, 'dec_trg', cards, j, sw[b][j], value(b, j), `x[${b}, ${j}]`);
  }
  let klZSum = 0;
  for (let b = 0; b < B; b++) klZSum += standardKl(muZ[b], lvZ[b]); // Eq. 25

  return {
    rec: recSum / (B * Mc),
    gen: genSum / (B * D),
    klSx: klSxSum / (B * Mc),
    klZ: klZSum / B,
    klSy: klSySum / (K * B * Mt),
    klSyQueries,
    priorStdQueries,
    sxStd: lvSx.map((toks) => toks.flat().reduce((acc, lv) => acc + Math.exp(0.5 * lv), 0) / (Mc * d)),
    zStd: lvZ.map((lv) => lv.reduce((acc, v) => acc + Math.exp(0.5 * v), 0) / d),
  };
}

// ---------------------------------------------------------------------------------------------
// The parameter layout the reference reads

/**
 * Every parameter name the reference reads with the shape it expects, in no particular order
 * (compare as a set with the native table). cat_embed keeps one row when there is no
 * categorical feature.
 */
export function referenceParamShapes(cfg: RefConfig, cards: ArrayLike<number>): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  const d = cfg.d;
  const D = cards.length;
  let sumCards = 0;
  for (let j = 0; j < D; j++) sumCards += cards[j];
  const add1 = (name: string, shape: number[]) => out.push({ name, shape });
  const linear = (name: string, inp: number, o: number) => {
    add1(`${name}.weight`, [o, inp]);
    add1(`${name}.bias`, [o]);
  };
  const norm = (name: string, C: number) => {
    add1(`${name}.weight`, [C]);
    add1(`${name}.bias`, [C]);
  };
  const tokeniser = (prefix: string) => {
    add1(`${prefix}.tok.num_weight`, [d]);
    add1(`${prefix}.tok.num_bias`, [D, d]);
    add1(`${prefix}.tok.cat_embed`, [Math.max(sumCards, 1), d]);
    add1(`${prefix}.tok.type_embed`, [2, d]);
    add1(`${prefix}.cls`, [d]);
  };
  const stack = (name: string, layers: number, C: number, F: number, tail: 'encoder' | 'norm') => {
    for (let l = 0; l < layers; l++) {
      const pre = `${name}.layers.${l}`;
      linear(`${pre}.attn.qkv`, C, 3 * C);
      linear(`${pre}.attn.out`, C, C);
      norm(`${pre}.norm1`, C);
      linear(`${pre}.ffn.fc1`, C, F);
      linear(`${pre}.ffn.fc2`, F, C);
      norm(`${pre}.norm2`, C);
    }
    if (tail === 'norm') {
      norm(`${name}.norm`, C);
    } else {
      norm(`${name}.tail.norm1`, C);
      linear(`${name}.tail.linear`, C, C);
      norm(`${name}.tail.norm2`, C);
    }
  };
  const decoder = (name: string) => {
    for (let j = 0; j < D; j++) linear(`${name}.heads.${j}`, d, cards[j] > 0 ? cards[j] : 1);
    add1(`${name}.logvar`, [1]);
  };
  tokeniser('ctx');
  stack('ctx.encoder', cfg.layers, d, cfg.ff, 'encoder');
  linear('ctx.head_mu', d, d);
  linear('ctx.head_logvar', d, d);
  add1('pool.queries', [cfg.pool, d]);
  linear('pool.q', d, d);
  linear('pool.kv', d, 2 * d);
  linear('pool.out', d, d);
  linear('aux.fc1', cfg.pool * d, d);
  norm('aux.norm', d);
  linear('aux.head_mu', d, d);
  linear('aux.head_logsigma', d, d);
  tokeniser('trg');
  linear('trg.pooled', d, d);
  linear('trg.aux', d, d);
  stack('trg.encoder', cfg.layers, d, cfg.ff, 'encoder');
  linear('trg.head_mu', d, d);
  linear('trg.head_logvar', d, d);
  linear('pred.ctx', d, cfg.dP);
  linear('pred.z', d, cfg.dP);
  add1('pred.mask_token', [cfg.dP]);
  stack('pred.encoder', cfg.layersP, cfg.dP, cfg.ffP, 'norm');
  linear('pred.head_mu', cfg.dP, d);
  linear('pred.head_logvar', cfg.dP, d);
  decoder('dec_ctx');
  decoder('dec_trg');
  return out;
}
