// The paper's downstream MLP probe (docs/model.md, section 11), trained natively off the event loop
// (native/src/eval/mlp_probe.cc): hidden layers Linear -> ReLU -> Dropout (2 x 128, dropout
// 0.1), a Linear head, softmax cross-entropy, AdamW (lr 1e-3, weight decay 0.01 on the weights),
// batch 128, up to 50 epochs, early stopping on validation accuracy keeping the best epoch.
import { native } from '../native';
import { ISA_OPTIONS, nativeFields, type IsaOption } from '../model/options';
import { boolean, integer, invalid, number, oneOf } from '../validate';
import { abortError } from '../abort';
import { argmaxRows, checkLabels, checkXY, type Probe, type ProbeFitOptions, type ProbeFitResult } from './probe';

/** Options of {@link MlpProbe}. Each field: range, default (the paper's probe). */
export interface MlpProbeOptions {
  /** Widths of the hidden layers, 0..16 layers of 1..65536; default [128, 128]. [] = softmax regression. */
  hidden?: number[];
  /** Dropout after every hidden ReLU, 0..0.99; default 0.1. */
  dropout?: number;
  /** AdamW learning rate (constant), 0..10; default 1e-3. */
  lr?: number;
  /** AdamW decoupled weight decay on the weights (not the biases), 0..10; default 0.01. */
  weightDecay?: number;
  /** Rows per minibatch, 1..65536; default 128. */
  batchSize?: number;
  /** Maximum epochs, 1..1e6; default 50. */
  epochs?: number;
  /** Stop after this many epochs without a better validation accuracy, 0 (never)..1e6; default 5. Needs fit's options.validation. */
  patience?: number;
  /** Z-score the inputs with the training rows' mean and std, kept for prediction; default true. */
  standardize?: boolean;
  /** Seed of initialisation, shuffles and dropout, integer 0..2^53-1; default 0. */
  seed?: number;
  /** CPU instruction set; default 'auto'. */
  isa?: IsaOption;
}

/** The paper's probe settings. */
export const MLP_PROBE_DEFAULTS: Readonly<Required<MlpProbeOptions>> = Object.freeze({
  hidden: [128, 128], dropout: 0.1, lr: 1e-3, weightDecay: 0.01, batchSize: 128, epochs: 50, patience: 5,
  standardize: true, seed: 0, isa: 'auto',
});

interface NativeReport {
  epochs: number;
  bestEpoch: number;
  bestAccuracy: number;
  stoppedEarly: boolean;
  aborted: boolean;
  loss: number[];
  validationAccuracy: number[];
}

interface NativeProbe {
  fit(data: { x: Float32Array; y: Int32Array }, validation: { x: Float32Array; y: Int32Array } | null, options: { epochs: number; patience: number }): Promise<NativeReport>;
  predictProba(x: Float32Array, rows: number, out: Float32Array): Promise<void>;
  abort(): void;
  exportParams(): Float32Array;
  exportState(): MlpProbeState;
  importState(state: MlpProbeState): void;
  stats(): { paramCount: number; isa: string };
  dispose(): void;
}

/** Checks options (ranges from the addon, native/src/model/config_fields.inc) and fills in defaults. */
function resolve(options: MlpProbeOptions): Required<MlpProbeOptions> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalid('options', 'an object', options, 'type');
  const known = Object.keys(MLP_PROBE_DEFAULTS);
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new RangeError(`Unknown option options.${k}; known options: ${known.join(', ')}`);
  const r = nativeFields().probe;
  const check = (key: string, path: string, v: unknown): number => (r[key][0] === 'int' ? integer : number)(path, v, r[key][1] as number, r[key][2] as number);
  const field = <K extends keyof MlpProbeOptions>(key: K): number => check(key, `options.${key}`, options[key] ?? MLP_PROBE_DEFAULTS[key]);
  const hidden = options.hidden ?? MLP_PROBE_DEFAULTS.hidden;
  const maxLayers = r.hiddenLayers[2] as number;
  if (!Array.isArray(hidden) || hidden.length > maxLayers) throw invalid('options.hidden', `an array of 0..${maxLayers} layer widths`, hidden, 'type');
  hidden.forEach((h, i) => check('hiddenWidth', `options.hidden[${i}]`, h));
  return {
    hidden: [...hidden],
    dropout: field('dropout'),
    lr: field('lr'),
    weightDecay: field('weightDecay'),
    batchSize: field('batchSize'),
    epochs: field('epochs'),
    patience: field('patience'),
    standardize: boolean('options.standardize', options.standardize ?? MLP_PROBE_DEFAULTS.standardize),
    seed: field('seed'),
    isa: oneOf('options.isa', options.isa ?? MLP_PROBE_DEFAULTS.isa, ISA_OPTIONS),
  };
}

/**
 * The paper's MLP probe for scoring embeddings (or raw features). Training and prediction run
 * on a native worker thread; same data, options and seed give bit-identical parameters on any
 * thread count.
 *
 * @example
 * const probe = new MlpProbe({ seed: 1 });
 * const r = await probe.fit(train.embeddings, yTrain, { validation: { x: val.embeddings, y: yVal } });
 * const pred = await probe.predict(test.embeddings);
 * probe.dispose();
 */
/** A fitted probe's arrays: the flat parameters and the input standardisation (mean, 1/std per input). */
export interface MlpProbeState {
  params: Float32Array;
  mean: Float32Array;
  rstd: Float32Array;
}

export class MlpProbe implements Probe {
  private readonly opts: Required<MlpProbeOptions>;
  private nativeProbe: NativeProbe | null = null;
  private F = 0;
  private K = 0;
  private disposed = false;

  constructor(options: MlpProbeOptions = {}) {
    this.opts = resolve(options);
  }

  /** Input width F (0 before the first fit). */
  get features(): number {
    return this.F;
  }

  /** Classes K (0 before the first fit). */
  get classes(): number {
    return this.K;
  }

  /** The resolved options (JSON; `new MlpProbe(getConfig())` rebuilds an unfitted twin). */
  getConfig(): Required<MlpProbeOptions> {
    return { ...this.opts, hidden: [...this.opts.hidden] };
  }

  private get n(): NativeProbe {
    if (this.disposed) throw new Error('This MlpProbe was disposed');
    if (!this.nativeProbe) throw new Error('This MlpProbe is not fitted: call fit first');
    return this.nativeProbe;
  }

  /**
   * Fits from fresh parameters on x (rows, F) with labels y (rows). With `options.validation`,
   * scores validation accuracy after every epoch, keeps the best epoch's parameters and stops
   * after `patience` epochs without improvement; without it, runs all `epochs` and keeps the last.
   */
  async fit(x: Float32Array, y: Int32Array, options: ProbeFitOptions = {}): Promise<ProbeFitResult> {
    if (this.disposed) throw new Error('This MlpProbe was disposed');
    const F = checkXY(x, y);
    const classes = checkLabels(y, F, options);
    const seed = options.seed === undefined ? this.opts.seed : integer('options.seed', options.seed, 0, nativeFields().probe.seed[2] as number);
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);
    const o = this.opts;
    this.nativeProbe?.dispose();
    this.nativeProbe = null;
    const Ctor = native().binding.MlpProbeNative as new (c: object) => NativeProbe;
    const probe = new Ctor({
      features: F, classes, hidden: Int32Array.from(o.hidden), dropout: o.dropout, lr: o.lr, weightDecay: o.weightDecay,
      beta1: 0.9, beta2: 0.999, eps: 1e-8, batchSize: o.batchSize, standardize: o.standardize, seed, isa: o.isa,
    });
    this.nativeProbe = probe;
    this.F = F;
    this.K = classes;
    const v = options.validation;
    const onAbort = () => probe.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = Date.now();
    const site = new Error();
    let r: NativeReport;
    try {
      r = await probe.fit({ x, y }, v ? { x: v.x, y: v.y } : null, { epochs: o.epochs, patience: o.patience });
    } catch (err) {
      if (err instanceof Error && site.stack) err.stack = `${err.name}: ${err.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (r.aborted && signal) throw abortError(signal);
    return {
      epochs: r.epochs,
      bestEpoch: r.bestEpoch,
      validationAccuracy: v ? r.bestAccuracy : null,
      stoppedEarly: r.stoppedEarly,
      history: { loss: r.loss, validationAccuracy: r.validationAccuracy },
      seconds: (Date.now() - t0) / 1000,
    };
  }

  /** Class probabilities (rows, classes) of x (rows, F). */
  async predictProba(x: Float32Array): Promise<Float32Array> {
    const n = this.n;
    if (!(x instanceof Float32Array)) throw invalid('x', 'a Float32Array (rows, features) row-major', x, 'type');
    if (x.length === 0 || x.length % this.F !== 0) throw new RangeError(`Expected x to hold rows of ${this.F} features but received ${x.length} values`);
    const rows = x.length / this.F;
    const out = new Float32Array(rows * this.K);
    await n.predictProba(x, rows, out);
    return out;
  }

  /** The most probable class of each row of x (the first on ties). */
  async predict(x: Float32Array): Promise<Int32Array> {
    return argmaxRows(await this.predictProba(x), this.K);
  }

  /** What a fitted probe needs besides its config to predict again: parameters and input standardisation. */
  exportState(): MlpProbeState {
    return this.n.exportState();
  }

  /**
   * A fitted probe from its config ({@link getConfig}), input width, class count and
   * {@link exportState}: predicts exactly as the probe that was exported.
   */
  static fromState(config: MlpProbeOptions, features: number, classes: number, state: MlpProbeState): MlpProbe {
    const p = new MlpProbe(config);
    const o = p.opts;
    const Ctor = native().binding.MlpProbeNative as new (c: object) => NativeProbe;
    const probe = new Ctor({
      features: integer('features', features, 1, 1 << 24), classes: integer('classes', classes, 2, 1 << 20), hidden: Int32Array.from(o.hidden), dropout: o.dropout, lr: o.lr, weightDecay: o.weightDecay,
      beta1: 0.9, beta2: 0.999, eps: 1e-8, batchSize: o.batchSize, standardize: o.standardize, seed: o.seed, isa: o.isa,
    });
    try {
      probe.importState(state);
    } catch (err) {
      probe.dispose();
      throw err;
    }
    p.nativeProbe = probe;
    p.F = features;
    p.K = classes;
    return p;
  }

  /** The flat parameter arena (weights and biases of every layer, with alignment padding). For tests. */
  exportParams(): Float32Array {
    return this.n.exportParams();
  }

  /** Parameter count (with alignment padding) and the instruction set in use. */
  stats(): { paramCount: number; isa: string } {
    return this.n.stats();
  }

  /** Frees the native buffers (after a running call finishes). */
  dispose(): void {
    this.nativeProbe?.dispose();
    this.nativeProbe = null;
    this.disposed = true;
  }
}
