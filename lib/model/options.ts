// The models' hyper-parameters (docs/model.md, section 6 and Table 7): one flat options object per
// model kind whose field names match the native config struct. Defaults are the Adult row of
// Table 7; the other rows are named presets. Every field is validated before the native call,
// table-driven: the ranges of the fields the native engine holds come from the addon
// (native/src/model/config_fields.inc, the one place they are written); the fields that live
// only here (schedules in epochs, enums) have their rules below.
import { native } from '../native';
import { conflict, integer, invalid, number, oneOf } from '../validate';

/** Instruction set for the CPU backend. */
export type IsaOption = 'auto' | 'scalar' | 'avx2' | 'avx512';
export const ISA_OPTIONS: readonly IsaOption[] = ['auto', 'scalar', 'avx2', 'avx512'];

/** Values of {@link SharedOptions.device}. */
export type DeviceOption = 'auto' | 'cpu' | 'cuda';
export const DEVICE_OPTIONS: readonly DeviceOption[] = ['auto', 'cpu', 'cuda'];

/** The options both model kinds have: architecture, masks, optimiser, batches, seed, device. */
export interface SharedOptions {
  /** Hidden width d of the encoders, 1..4096 (divisible by heads); default 64. */
  d?: number;
  /** Transformer blocks L in each encoder, 0..64; default 8. */
  layers?: number;
  /** Attention heads H of the encoders (and Var-T-JEPA's pooling), 1..64; default 4. */
  heads?: number;
  /** FFN width of the encoders, 1..65536; default 256. */
  ff?: number;
  /** Dropout of the encoders, 0..0.99; default 0.001. */
  dropout?: number;
  /** Predictor width d_P, 1..4096 (divisible by headsP); default 16. */
  dP?: number;
  /** Predictor blocks L_P, 0..64; default 2 [decision: the paper omits it]. */
  layersP?: number;
  /** Predictor heads H_P, 1..64; default 4. */
  headsP?: number;
  /** Predictor FFN width, 1..65536; default 256. */
  ffP?: number;
  /** Predictor dropout, 0..0.99; default 0.002. */
  dropoutP?: number;
  /** Target masks K per row, 1..64; default 4. */
  masks?: number;
  /** Context fraction range [ctxMin, ctxMax] of the features, 0..1; default 0.1..0.3. */
  ctxMin?: number;
  /** See ctxMin; default 0.3. */
  ctxMax?: number;
  /** Target fraction range [trgMin, trgMax], 0..1; default 0.1..0.6. */
  trgMin?: number;
  /** See trgMin; default 0.6. */
  trgMax?: number;
  /** Base of the encoders' sinusoidal feature-position table, 1..1e9; default 100 [decision]. */
  posBase?: number;
  /** Base of the predictor's sin-cos table, 1..1e9; default 10000. */
  predPosBase?: number;
  /** Peak learning rate, 0..10; default 1e-3. */
  lr?: number;
  /** Linear warm-up epochs before the cosine decay, 0..1e6; default 10 (for a run of `scheduleEpochs`). */
  warmup?: number;
  /**
   * The run length, in epochs, that `warmup` (and Var-T-JEPA's KL ramps) are given for, 0..1e6: a
   * shorter run compresses them in proportion (a 20-epoch run of the default schedule warms up for
   * 2 epochs), so it still warms up, anneals and decays; a longer run keeps them. 0 takes them as
   * given, whatever the run's length. Default 100 (the paper's schedule).
   */
  scheduleEpochs?: number;
  /** AdamW beta1, 0..0.999999; default 0.9. */
  beta1?: number;
  /** AdamW beta2, 0..0.999999; default 0.999. */
  beta2?: number;
  /** AdamW epsilon, 1e-30..1; default 1e-8. */
  eps?: number;
  /** AdamW weight decay (linear weights only), 0..10; default 0 [decision]. */
  weightDecay?: number;
  /** Global gradient-norm clip, 0 (off)..1e9; default 1 [decision]. */
  clipNorm?: number;
  /** Rows per optimiser step (and the size the native buffers are made for), 1..65536; default 512. */
  batchSize?: number;
  /**
   * On the CPU, a training step of more rows runs as pieces of this many rows in parallel (one
   * thread per piece), their gradients summed: the same mean-loss gradient up to float summation
   * order, without a barrier per op. A full batch makes at most 16 pieces (each keeps a copy of
   * the gradients), so batches over 1,024 rows take larger pieces. 0 runs the step as one pass;
   * 0..65536, default 64 [decision].
   */
  trainPieceRows?: number;
  /** Seed of parameters, masks, noise and shuffling, integer 0..2^53-1; default 0. */
  seed?: number;
  /** CPU instruction set; default 'auto' (VARJEPA_ISA overrides 'auto'). */
  isa?: IsaOption;
  /** Where the model runs: 'cpu', 'cuda' (fails with the cause when CUDA cannot be used, never
   * falls back) or 'auto' (CUDA only after it loaded and passed a self-test); default 'auto'. */
  device?: DeviceOption;
  /** CUDA device index, integer 0..1023; default 0. */
  deviceIndex?: number;
}

/** Options of {@link VarTJepa}: the shared ones and the variational ones. Each field: range, default (Adult row of Table 7). */
export interface VarTJepaOptions extends SharedOptions {
  /** Learned pooling queries P, 1..256; default 4 [decision]. */
  pool?: number;
  /** Weight of the context reconstruction term L_rec, 0..1e6; default 0.1. */
  aRec?: number;
  /** Weight of the target reconstruction term L_gen, 0..1e6; default 1. */
  aGen?: number;
  /** Final weight of KL_sx, 0..1e6; default 1e-4. */
  aSx?: number;
  /** Final weight of KL_z, 0..1e6; default 1e-6. */
  aZ?: number;
  /** Final weight of KL_sy, 0..1e6; default 1e-5. */
  aSy?: number;
  /** Epochs over which the KL_sx weight ramps linearly from 0, 0..1e6; default 15 (for a run of `scheduleEpochs`). */
  annealSx?: number;
  /** Epochs of the KL_z ramp, 0..1e6; default 15. */
  annealZ?: number;
  /** Epochs of the KL_sy ramp, 0..1e6; default 15. */
  annealSy?: number;
  /** Log-variance clamp, lower bound, -100..0; default -10 [decision]. */
  logvarMin?: number;
  /** Log-variance clamp, upper bound, 0..100; default 10 [decision]. */
  logvarMax?: number;
  /**
   * Initial value of the two decoders' global log-variances (logvar_x, logvar_y, docs/model.md
   * section 4), -30..30, or 'data': the log of the mean variance of the numeric training columns,
   * set when {@link VarTJepa.fit} starts a model that has taken no step. From 0, AdamW moves a
   * log-variance by at most about lr per step, so a short run ends far from the reconstruction
   * error it should match (Adult, 10 epochs: -0.37, where 'data' starts at -4.1 and ends at -4.3),
   * with the reconstruction terms weighted tens of times less than at the optimum. Default 0
   * [decision]; docs/findings.md compares the two.
   */
  decoderLogvarInit?: number | 'data';
}

/** Options of {@link TJepa}: the shared ones, plus: */
export interface TJepaOptions extends SharedOptions {
  /** Learnable auxiliary tokens N_aux in the predictor input (Eq. 57), 0..64; default 1 [decision]. */
  nAux?: number;
  /** EMA momentum of the target encoder at the first step, 0..1; default 0.996. */
  emaStart?: number;
  /** EMA momentum at the last step (rising linearly over the training steps), 0..1; default 1. */
  emaEnd?: number;
}

/** Var-T-JEPA's defaults: the Adult row of Table 7 (in the order a model file's config lists them). */
export const VARTJEPA_DEFAULTS: Readonly<Required<VarTJepaOptions>> = Object.freeze({
  d: 64, layers: 8, heads: 4, ff: 256, dropout: 0.001,
  dP: 16, layersP: 2, headsP: 4, ffP: 256, dropoutP: 0.002,
  pool: 4, masks: 4, ctxMin: 0.1, ctxMax: 0.3, trgMin: 0.1, trgMax: 0.6,
  aRec: 0.1, aGen: 1, aSx: 1e-4, aZ: 1e-6, aSy: 1e-5, annealSx: 15, annealZ: 15, annealSy: 15,
  logvarMin: -10, logvarMax: 10, decoderLogvarInit: 0,
  posBase: 100, predPosBase: 10000, lr: 1e-3, warmup: 10, scheduleEpochs: 100, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clipNorm: 1,
  batchSize: 512, trainPieceRows: 64, seed: 0, isa: 'auto', device: 'auto', deviceIndex: 0,
});

/** The fields of Var-T-JEPA's defaults that both kinds have (in the same order). */
const SHARED_DEFAULTS = Object.fromEntries(Object.entries(VARTJEPA_DEFAULTS).filter(([k]) => !['pool', 'aRec', 'aGen', 'aSx', 'aZ', 'aSy', 'annealSx', 'annealZ', 'annealSy', 'logvarMin', 'logvarMax', 'decoderLogvarInit'].includes(k))) as Required<SharedOptions>;

/** T-JEPA's defaults: the shared fields of the Adult row, N_aux 1, momentum 0.996 -> 1. */
export const TJEPA_DEFAULTS: Readonly<Required<TJepaOptions>> = Object.freeze({ ...SHARED_DEFAULTS, nAux: 1, emaStart: 0.996, emaEnd: 1 });

/** Table 7 of the paper, one row per dataset (fields that differ from the Adult defaults). */
export const PRESETS = Object.freeze({
  adult: {},
  covertype: { lr: 5e-4, warmup: 12, ctxMin: 0.15, ctxMax: 0.35, trgMin: 0.15, trgMax: 0.6, heads: 8, ff: 64, dropout: 0.0015, aSx: 1e-6, aZ: 1e-5, aSy: 1e-6, annealSx: 60, annealZ: 60, annealSy: 20, aRec: 0.001, aGen: 0.5 },
  electricity: { lr: 5e-4, ctxMin: 0.15, ctxMax: 0.6, trgMin: 0.15, trgMax: 0.9, layers: 6, ff: 64, ffP: 128, aSx: 1e-6, aZ: 1e-5, aSy: 1e-6, annealSx: 40, annealZ: 40, annealSy: 15, aRec: 0.001, aGen: 0.25 },
  credit_default: {},
  bank_marketing: {},
  mnist: { batchSize: 256, ctxMin: 0.15, ctxMax: 0.5, trgMin: 0.15, trgMax: 0.8, ff: 128, dropout: 0.002, dP: 32, aSx: 1e-6, aZ: 1e-6, aSy: 1e-6, annealSx: 100, annealZ: 100, annealSy: 100, aRec: 0.001, aGen: 0.1 },
  sim: { lr: 5e-4, ctxMin: 0.15, ctxMax: 0.5, trgMin: 0.15, trgMax: 0.8, layers: 16, heads: 2, ff: 64, dropout: 0.002, aSx: 1e-6, aZ: 1e-6, aSy: 1e-5, annealSx: 50, annealZ: 50, annealSy: 50, aRec: 0.001, aGen: 0.1 },
} satisfies Record<string, VarTJepaOptions>);

/** Names of the Table 7 presets. */
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** How one option is checked: an integer or number range, or the instruction-set or device enum. */
export type Rule = ['int', number, number] | ['num', number, number] | ['isa'] | ['device'] | ['numOrData', number, number];

/** The ranges the addon holds (native/src/model/config_fields.inc), by group and field. */
type NativeFields = Record<'shared' | 'vartjepa' | 'tjepa' | 'vschedule' | 'tschedule' | 'embed' | 'generate' | 'probe', Record<string, Rule>>;
let fieldsCache: NativeFields | undefined;
/** The addon's field ranges (read once). */
export function nativeFields(): NativeFields {
  if (!fieldsCache) fieldsCache = (native().binding.configFields as () => NativeFields)();
  return fieldsCache;
}

/** The rules of the shared options: native ranges, the schedule's lr, and the fields kept here. */
function sharedRules(lr: Rule): Record<keyof SharedOptions, Rule> {
  const n = nativeFields().shared;
  return {
    d: n.d, layers: n.layers, heads: n.heads, ff: n.ff, dropout: n.dropout,
    dP: n.dP, layersP: n.layersP, headsP: n.headsP, ffP: n.ffP, dropoutP: n.dropoutP,
    masks: n.masks, ctxMin: n.ctxMin, ctxMax: n.ctxMax, trgMin: n.trgMin, trgMax: n.trgMax,
    posBase: n.posBase, predPosBase: n.predPosBase, lr, warmup: ['num', 0, 1e6], scheduleEpochs: ['num', 0, 1e6],
    beta1: n.beta1, beta2: n.beta2, eps: n.eps, weightDecay: n.weightDecay, clipNorm: n.clipNorm,
    batchSize: n.batchSize, trainPieceRows: n.trainPieceRows, seed: n.seed, isa: ['isa'], device: ['device'], deviceIndex: n.deviceIndex,
  };
}

/** Every option of {@link VarTJepa} and how it is checked (in the order of the defaults). */
export function varTJepaRules(): Readonly<Record<keyof VarTJepaOptions, Rule>> {
  const v = nativeFields().vartjepa, s = nativeFields().vschedule;
  const shared = sharedRules(s.lr);
  const own: Record<string, Rule> = {
    pool: v.pool, aRec: s.aRec, aGen: s.aGen, aSx: s.aSx, aZ: s.aZ, aSy: s.aSy,
    annealSx: ['num', 0, 1e6], annealZ: ['num', 0, 1e6], annealSy: ['num', 0, 1e6],
    logvarMin: v.logvarMin, logvarMax: v.logvarMax, decoderLogvarInit: ['numOrData', -30, 30],
  };
  return Object.fromEntries(Object.keys(VARTJEPA_DEFAULTS).map((k) => [k, own[k] ?? shared[k as keyof SharedOptions]])) as Record<keyof VarTJepaOptions, Rule>;
}

/** Every option of {@link TJepa} and how it is checked. */
export function tJepaRules(): Readonly<Record<keyof TJepaOptions, Rule>> {
  const t = nativeFields().tjepa, s = nativeFields().tschedule;
  return { ...sharedRules(s.lr), nAux: t.nAux, emaStart: s.momentum, emaEnd: s.momentum };
}

/**
 * Checks every field of `options` against `rules` (unknown keys rejected) and fills in
 * `defaults`.
 */
function resolveFields(rules: Readonly<Record<string, Rule>>, defaults: Readonly<Record<string, unknown>>, options: unknown, path: string): Record<string, unknown> {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw invalid(path, 'an object', options, 'type');
  }
  const given = options ?? {};
  for (const key of Object.keys(given)) {
    if (!(key in rules)) {
      throw new RangeError(`Unknown option ${path}.${key}; known options: ${Object.keys(rules).join(', ')}`);
    }
  }
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, rule] of Object.entries(rules)) {
    const v = (given as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const p = `${path}.${key}`;
    if (rule[0] === 'int') out[key] = integer(p, v, rule[1], rule[2]);
    else if (rule[0] === 'num') out[key] = number(p, v, rule[1], rule[2]);
    else if (rule[0] === 'device') out[key] = oneOf(p, v, DEVICE_OPTIONS);
    else if (rule[0] === 'isa') out[key] = oneOf(p, v, ISA_OPTIONS);
    else {
      if (v !== 'data' && typeof v !== 'number') throw invalid(p, `'data' or a number in [${rule[1]}, ${rule[2]}]`, v, 'type');
      out[key] = v === 'data' ? v : number(p, v, rule[1], rule[2]);
    }
  }
  return out;
}

/** The rules between fields that both models share (widths and heads, mask ranges). */
function checkSharedFields(o: Required<SharedOptions>, path: string): void {
  if (o.d % o.heads !== 0) throw conflict(`${path}.d (${o.d}) must be divisible by ${path}.heads (${o.heads})`);
  if (o.dP % o.headsP !== 0) throw conflict(`${path}.dP (${o.dP}) must be divisible by ${path}.headsP (${o.headsP})`);
  if (o.ctxMin > o.ctxMax) throw conflict(`${path}.ctxMin (${o.ctxMin}) must not exceed ${path}.ctxMax (${o.ctxMax})`);
  if (o.trgMin > o.trgMax) throw conflict(`${path}.trgMin (${o.trgMin}) must not exceed ${path}.trgMax (${o.trgMax})`);
}

/** Validates Var-T-JEPA options (every field, then the rules between fields) and fills in defaults. */
export function resolveVarTJepaOptions(options: VarTJepaOptions | undefined, path = 'options'): Required<VarTJepaOptions> {
  const o = resolveFields(varTJepaRules(), VARTJEPA_DEFAULTS, options, path) as Required<VarTJepaOptions>;
  checkSharedFields(o, path);
  if (o.logvarMin >= o.logvarMax) throw conflict(`${path}.logvarMin (${o.logvarMin}) must be below ${path}.logvarMax (${o.logvarMax})`);
  return o;
}

/**
 * Validates T-JEPA options (every field, then the rules between fields) and fills in defaults.
 * Var-T-JEPA's own options (a preset's KL weights, pooling, ...) are accepted, checked against
 * their rules and left out, so one preset or recipe configures both kinds.
 */
export function resolveTJepaOptions(options: TJepaOptions | VarTJepaOptions | undefined, path = 'options'): Required<TJepaOptions> {
  const own = tJepaRules();
  const variational = Object.fromEntries(Object.entries(varTJepaRules()).filter(([k]) => !(k in own)));
  const given = options !== null && typeof options === 'object' && !Array.isArray(options) ? options as Record<string, unknown> : undefined;
  if (given) resolveFields(variational, {}, Object.fromEntries(Object.entries(given).filter(([k]) => k in variational)), path);
  const kept = given ? Object.fromEntries(Object.entries(given).filter(([k]) => !(k in variational))) : options;
  const o = resolveFields(own, TJEPA_DEFAULTS, kept, path) as Required<TJepaOptions>;
  checkSharedFields(o, path);
  if (o.emaStart > o.emaEnd) throw conflict(`${path}.emaStart (${o.emaStart}) must not exceed ${path}.emaEnd (${o.emaEnd})`);
  return o;
}

/** The Var-T-JEPA options of a Table 7 row, merged over the defaults. */
export function preset(name: PresetName): Required<VarTJepaOptions> {
  const p = oneOf('preset', name, PRESET_NAMES);
  return { ...VARTJEPA_DEFAULTS, ...PRESETS[p] };
}

/** The options of a Table 7 row that T-JEPA has (the architecture, masks and schedule), merged over its defaults (`new TJepa(schema, preset(name))` is the same). */
export function tjepaPreset(name: PresetName): Required<TJepaOptions> {
  const p = oneOf('preset', name, PRESET_NAMES);
  const row = PRESETS[p] as Record<string, unknown>;
  const out: Record<string, unknown> = { ...TJEPA_DEFAULTS };
  for (const k of Object.keys(row)) if (k in TJEPA_DEFAULTS) out[k] = row[k];
  return out as Required<TJepaOptions>;
}
