// The Var-T-JEPA model (MODEL.md sections 1-8) on the native engine: construction from a schema
// and options, training with the ELBO, embedding with uncertainty, parameter import/export.
import { native, packageVersion } from '../native';
import { LinearProbe, selectiveAccuracy } from '../eval/linear-probe';
import { boolean, integer, invalid, number } from '../validate';
import { sampleMasks, maskBounds } from './masks';
import { checkFitCallbacks, checkSelection } from './fit-common';
import { DEFAULT_OPTIONS, resolveOptions, type VarTJepaOptions } from './options';
import { configMismatch, loadModel, readModelFile, restoreInto, saveModel, type SaveOptions, type TrainingState } from './persist';
import { mixSeed, Rng } from './random';
import { klWeight, learningRate } from './schedule';
import { cardinalities, checkTable, type ModelSchema, type TableData } from './schema';

/** The five ELBO terms (Eq. 10), the weighted total and the gradient norm before clipping. */
export interface LossTerms {
  rec: number;
  gen: number;
  klSx: number;
  klZ: number;
  klSy: number;
  total: number;
  gradNorm: number;
}

/** Reported after every optimiser step. */
export interface FitProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
  loss: LossTerms;
  lr: number;
  weights: { aSx: number; aZ: number; aSy: number };
  rowsPerSec: number;
  etaSec: number;
}

/** Mean loss terms and schedule values of one epoch. */
export interface EpochSummary {
  epoch: number;
  loss: LossTerms;
  lr: number;
  weights: { aSx: number; aZ: number; aSy: number };
  seconds: number;
  rowsPerSec: number;
  probe?: { accuracy: number; selectiveAccuracy: number };
}

/** Options of {@link VarTJepa.fit}. */
export interface FitOptions {
  /** Epochs to train, 1..1e6; default 50. */
  epochs?: number;
  /** Aborts training between steps; the model keeps the parameters of the last finished step. */
  signal?: AbortSignal;
  /** Called after every optimiser step. */
  onProgress?: (p: FitProgress) => void;
  /** Called after every epoch. */
  onEpoch?: (e: EpochSummary) => void;
  /** Class labels of the training rows: with `validation`, enables online model selection. */
  labels?: Int32Array;
  /** Labelled validation rows for online model selection (MODEL.md section 6). */
  validation?: { data: TableData; labels: Int32Array };
  /** Probe every N epochs, 1..1e6; default 5. */
  probeEvery?: number;
  /** Stop after this many probes without improvement, 1..1e6; default 3. */
  patience?: number;
  /** Fraction of the most uncertain validation rows dropped when scoring, 0..0.99; default 0.2. */
  dropUncertain?: number;
  /** At most this many training rows fit the probe, 10..1e7; default 10000. */
  probeRows?: number;
  /** Keep the parameters of the best probe (true) or the last epoch (false); default true. */
  keepBest?: boolean;
  /**
   * Write a checkpoint (parameters, AdamW state, counters, history; see {@link VarTJepa.save}) to
   * `path` every `every` epochs (1..1e6, default 1, counted from the model's first epoch), after
   * the last epoch, and when aborted (before the abort error is thrown). `preprocessor` (any
   * JSON value) is stored with it.
   */
  checkpoint?: { path: string; every?: number; preprocessor?: unknown };
  /**
   * Continue from a checkpoint written by `checkpoint`: its parameters, optimiser state and
   * counters are loaded into this model (whose config must match, `isa` aside) and training goes
   * on from the step where it stopped. With `resume`, `epochs` is the TOTAL epoch count of the run
   * (default: the interrupted fit's), so the learning-rate schedule, shuffles, masks and noise are
   * those of an uninterrupted run: same seed and data give bit-identical parameters and losses.
   * The model-selection state (best probe so far) is not carried over.
   */
  resume?: string;
}

/** What {@link VarTJepa.fit} resolves to. */
export interface FitResult {
  epochs: number;
  steps: number;
  history: EpochSummary[];
  best?: { epoch: number; selectiveAccuracy: number; accuracy: number };
  stoppedEarly: boolean;
}

/** Embeddings of rows with their uncertainty (MODEL.md section 7). */
export interface Embedding {
  rows: number;
  /** Values per row: D * d. */
  dim: number;
  /** Posterior means mu_sw, (rows, D * d) row-major. */
  embeddings: Float32Array;
  /** Mean posterior standard deviation per row. */
  uncertainty: Float32Array;
  /** 90th percentile of the posterior standard deviations per row. */
  uncertaintyP90: Float32Array;
  /**
   * With context views (`views` > 0): per row, the mean over views of KL(q(s_w_j | w) ||
   * p(s_y_j | s_x, z)) per feature outside the view, in nats: how badly the rest of the row
   * predicts it (the row's own KL_sy term, Eq. 26, with means instead of samples).
   */
  surprise?: Float32Array;
  /**
   * With `featureUncertainty: true`: (rows, D) row-major, the mean posterior standard deviation of
   * each feature's d entries (the per-feature parts of `uncertainty`, which is their mean).
   */
  featureUncertainty?: Float32Array;
  /**
   * With `latentUncertainty: true`: per row, the mean posterior standard deviation of the context
   * latent s_x (over the context tokens and d) on the same context as the embedding (averaged
   * over the views with views).
   */
  contextUncertainty?: Float32Array;
  /** With `latentUncertainty: true`: per row, the mean posterior standard deviation of z. */
  auxUncertainty?: Float32Array;
  /**
   * With `views` > 0 and `featureSurprise: true`: (rows, D) row-major, each feature's KL_sy in
   * nats averaged over the views that left it out (NaN where no view did): the per-feature parts
   * of `surprise`.
   */
  featureSurprise?: Float32Array;
}

/** Options of {@link VarTJepa.embed}. */
export interface EmbedOptions {
  /** Rows per native call (progress granularity), 1..1e7; default 16384. */
  chunkRows?: number;
  /**
   * Context views (MODEL.md section 7, [decision]): 0 (default) gives the context encoder the full
   * row; V in 1..1000 averages V seeded random context views of `viewFraction` of the features.
   * With views, `embeddings` is the mean of the posterior means over the views and the
   * uncertainty is the standard deviation of the view mixture, sqrt(mean var + var of means).
   */
  views?: number;
  /** Share of the features in each context view, in (0, 1]; default 0.5. */
  viewFraction?: number;
  /** Seed of the context views; default 0. A row's views do not depend on chunking. */
  viewSeed?: number;
  /** Also return `featureUncertainty`, the uncertainty of each feature of each row; default false. */
  featureUncertainty?: boolean;
  /** Also return `contextUncertainty` and `auxUncertainty`, the posterior spread of s_x and z; default false. */
  latentUncertainty?: boolean;
  /** Also return `featureSurprise`, the surprise of each feature of each row (needs `views` > 0); default false. */
  featureSurprise?: boolean;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Draws of unobserved features from {@link VarTJepa.generate}. */
export interface Generation {
  rows: number;
  draws: number;
  features: number;
  /** (draws, rows, D): observed cells copied, unobserved cells drawn (numeric values or class codes). */
  values: Float32Array;
  /** (draws, rows, probsPerRow): class probabilities of unobserved categorical cells at categoryOffsets[j]. */
  probs: Float32Array;
  categoryOffsets: number[];
  probsPerRow: number;
}

/** One named tensor in the flat parameter array. */
export interface ParamEntry {
  name: string;
  offset: number;
  size: number;
  shape: number[];
  decay: boolean;
}

/** JSON that rebuilds the model's architecture: `new VarTJepa(config.schema, config.options)`. */
export interface VarTJepaConfig {
  kind: 'VarTJepa';
  version: string;
  schema: ModelSchema;
  options: Required<VarTJepaOptions>;
}

interface NativeModel {
  trainStep(x: Float32Array, rows: number, ctx: Int32Array, trg: Int32Array, ctxSize: number, trgSize: number, schedule: object): Promise<LossTerms & { step: number }>;
  lossAndGrad(x: Float32Array, rows: number, ctx: Int32Array, trg: Int32Array, ctxSize: number, trgSize: number, schedule: object, backward: boolean): Promise<LossTerms & { step: number }>;
  embed(x: Float32Array, rows: number, embeddings: Float32Array, uncertainty: Float32Array, uncertaintyP90: Float32Array, views?: number, viewFraction?: number, viewSeed?: number, rowOffset?: number, surprise?: Float32Array, featureUncertainty?: Float32Array, contextUncertainty?: Float32Array, auxUncertainty?: Float32Array, featureSurprise?: Float32Array): Promise<void>;
  generate(x: Float32Array, observed: Uint8Array, rows: number, draws: number, seed: number): Promise<{ values: Float32Array; probs: Float32Array }>;
  paramTable(): ParamEntry[];
  exportParams(): Float32Array;
  importParams(p: Float32Array): void;
  exportGrads(): Float32Array;
  exportState(): { m: Float32Array; v: Float32Array; step: number };
  importState(m: Float32Array, v: Float32Array, step: number): void;
  lastNoise(): { epsSx: Float32Array; epsZ: Float32Array; epsSw: Float32Array };
  stats(): { paramCount: number; activationBytes: number; embedDim: number; embedChunk: number; step: number; isa: string; device: 'cpu' | 'cuda'; deviceReason: string; maxCtx: number; maxTrg: number };
  dispose(): void;
}

/** Rejections from native work carry the stack of the JavaScript call site. */
export async function withSite<T>(p: () => Promise<T>): Promise<T> {
  const site = new Error();
  try {
    return await p();
  } catch (err) {
    if (err instanceof Error && site.stack) {
      err.stack = `${err.name}: ${err.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
    }
    throw err;
  }
}

export function abortError(signal: AbortSignal): Error {
  const r = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'The operation was aborted');
  e.name = 'AbortError';
  return e;
}

const ZERO_LOSS: LossTerms = { rec: 0, gen: 0, klSx: 0, klZ: 0, klSy: 0, total: 0, gradNorm: 0 };

/**
 * Var-T-JEPA: a variational joint-embedding predictive architecture for tables.
 *
 * @example
 * const model = new VarTJepa({ features: [{ name: 'age', kind: 'numeric' }, { name: 'job', kind: 'categorical', categories: 5 }] }, { layers: 2 });
 * await model.fit({ x, rows }, { epochs: 10 });
 * const { embeddings, uncertainty } = await model.embed({ x, rows });
 * model.dispose();
 */
export class VarTJepa {
  readonly schema: ModelSchema;
  readonly options: Required<VarTJepaOptions>;
  private readonly cards: Int32Array;
  private nativeModel: NativeModel | null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Optimiser steps taken so far (across fit calls). */
  private steps = 0;
  /** Epochs completed so far (across fit calls). */
  private epochsDone = 0;
  /** decoderLogvarInit 'data': fit sets the decoders' log-variances before the first step. */
  private logvarFromData: boolean;

  constructor(schema: ModelSchema, options?: VarTJepaOptions) {
    this.cards = cardinalities(schema);
    this.options = resolveOptions(options);
    this.schema = JSON.parse(JSON.stringify(schema)) as ModelSchema;
    const o = this.options;
    const Ctor = native().binding.VarTJepaNative as new (c: object) => NativeModel;
    this.nativeModel = new Ctor({
      cardinalities: this.cards,
      d: o.d, layers: o.layers, heads: o.heads, ff: o.ff, dropout: o.dropout,
      dp: o.dp, layersP: o.layersP, headsP: o.headsP, ffp: o.ffp, dropoutP: o.dropoutP,
      pool: o.pool, masks: o.masks, ctxMin: o.ctxMin, ctxMax: o.ctxMax, trgMin: o.trgMin, trgMax: o.trgMax,
      logvarMin: o.logvarMin, logvarMax: o.logvarMax, posBase: o.posBase, predPosBase: o.predPosBase,
      maxBatch: o.batchSize, trainPieceRows: o.trainPieceRows, seed: o.seed, beta1: o.beta1, beta2: o.beta2, eps: o.eps,
      weightDecay: o.weightDecay, clipNorm: o.clipNorm, isa: o.isa,
      device: o.device, deviceIndex: o.deviceIndex,
    });
    this.logvarFromData = o.decoderLogvarInit === 'data';
    if (typeof o.decoderLogvarInit === 'number' && o.decoderLogvarInit !== 0) this.setDecoderLogvars(o.decoderLogvarInit);
  }

  /** Sets logvar_x and logvar_y, the two decoders' global log-variances. */
  private setDecoderLogvars(value: number): void {
    const params = this.n.exportParams();
    for (const e of this.n.paramTable()) if (e.name === 'dec_ctx.logvar' || e.name === 'dec_trg.logvar') params[e.offset] = value;
    this.n.importParams(params);
  }

  /**
   * decoderLogvarInit 'data': the log of the mean variance of the numeric columns of `data` (at
   * most 100,000 rows, evenly spaced), or null without numeric features.
   */
  private dataLogvar(data: TableData): number | null {
    const D = this.features;
    const num = [...this.cards.keys()].filter((j) => this.cards[j] === 0);
    if (num.length === 0) return null;
    const stride = Math.max(1, Math.floor(data.rows / 100000));
    let total = 0;
    for (const j of num) {
      let n = 0, mean = 0, m2 = 0;
      for (let r = 0; r < data.rows; r += stride) {
        const v = data.x[r * D + j];
        const d0 = v - mean;
        mean += d0 / ++n;
        m2 += d0 * (v - mean);
      }
      total += m2 / n;
    }
    return Math.log(Math.max(total / num.length, 1e-8));
  }

  /** Rebuilds a model (fresh parameters) from {@link getConfig}'s JSON. */
  static fromConfig(config: VarTJepaConfig): VarTJepa {
    if (config?.kind !== 'VarTJepa') throw invalid('config.kind', "'VarTJepa'", config?.kind);
    return new VarTJepa(config.schema, config.options);
  }

  private get n(): NativeModel {
    if (!this.nativeModel) throw new Error('This VarTJepa model was disposed');
    return this.nativeModel;
  }

  /** Runs native calls one at a time, in call order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return withSite(() => run);
  }

  /** Number of features D. */
  get features(): number {
    return this.cards.length;
  }

  /** Values per embedding row: D * d. */
  get embeddingDim(): number {
    return this.cards.length * this.options.d;
  }

  /** Optimiser steps taken so far. */
  get step(): number {
    return this.steps;
  }

  /** Where this model runs ('cpu' or 'cuda'; options.device 'auto' resolved) and why. */
  get device(): 'cpu' | 'cuda' {
    return this.n.stats().device;
  }

  /** Parameter count, native activation memory, instruction set in use. */
  stats() {
    return this.n.stats();
  }

  /** JSON that round-trips through {@link VarTJepa.fromConfig}. */
  getConfig(): VarTJepaConfig {
    return { kind: 'VarTJepa', version: packageVersion(), schema: JSON.parse(JSON.stringify(this.schema)), options: { ...this.options } };
  }

  /** The step's schedule (learning rate, annealed KL weights, noise seed). */
  scheduleAt(step: number, stepsPerEpoch: number, totalSteps: number) {
    const o = this.options;
    return {
      lr: learningRate(step, o.lr, o.warmup * stepsPerEpoch, totalSteps),
      aRec: o.aRec,
      aGen: o.aGen,
      aSx: klWeight(step, o.aSx, o.annealSx * stepsPerEpoch),
      aZ: klWeight(step, o.aZ, o.annealZ * stepsPerEpoch),
      aSy: klWeight(step, o.aSy, o.annealSy * stepsPerEpoch),
      noiseSeed: mixSeed(o.seed, 3, step),
    };
  }

  /** The masks of a step (seeded by the model seed and the step). */
  masksAt(step: number, rows: number) {
    const o = this.options;
    return sampleMasks({ features: this.features, ctxMin: o.ctxMin, ctxMax: o.ctxMax, trgMin: o.trgMin, trgMax: o.trgMax, masks: o.masks }, rows, new Rng(mixSeed(o.seed, 2, step)));
  }

  /**
   * Loss terms of one batch with the given masks and schedule, without an update; with
   * `backward`, the gradients are left for {@link exportGradients}. For tests and diagnostics.
   */
  lossAndGrad(data: TableData, masks: { ctxSize: number; trgSize: number; ctx: Int32Array; trg: Int32Array }, schedule: ReturnType<VarTJepa['scheduleAt']>, backward = false): Promise<LossTerms> {
    checkTable(data, this.schema, this.cards);
    boolean('backward', backward);
    return this.serial(() => this.n.lossAndGrad(data.x, data.rows, masks.ctx, masks.trg, masks.ctxSize, masks.trgSize, schedule, backward));
  }

  /**
   * One optimiser step on a batch (at most `batchSize` rows) with the given masks and schedule:
   * forward pass of the six networks, the ELBO, backward pass, clipping and AdamW. {@link fit}
   * drives this; call it directly to run your own loop.
   */
  async trainStep(batch: TableData, masks: { ctxSize: number; trgSize: number; ctx: Int32Array; trg: Int32Array }, schedule: ReturnType<VarTJepa['scheduleAt']>): Promise<LossTerms> {
    checkTable(batch, this.schema, this.cards, 'batch');
    const loss = await this.serial(() => this.n.trainStep(batch.x, batch.rows, masks.ctx, masks.trg, masks.ctxSize, masks.trgSize, schedule));
    this.steps = loss.step;
    this.logvarFromData = false;
    const { step: _s, ...terms } = loss;
    void _s;
    return terms;
  }

  /** Trains on `data` with the ELBO (MODEL.md sections 5-6). */
  async fit(data: TableData, options: FitOptions = {}): Promise<FitResult> {
    checkTable(data, this.schema, this.cards);
    if (options.epochs !== undefined) integer('options.epochs', options.epochs, options.resume === undefined ? 1 : 0, 1e6);
    const probeEvery = integer('options.probeEvery', options.probeEvery ?? 5, 1, 1e6);
    const patience = integer('options.patience', options.patience ?? 3, 1, 1e6);
    const dropUncertain = number('options.dropUncertain', options.dropUncertain ?? 0.2, 0, 0.99);
    const probeRows = integer('options.probeRows', options.probeRows ?? 10000, 10, 1e7);
    const keepBest = boolean('options.keepBest', options.keepBest ?? true);
    checkFitCallbacks(options);
    const ckpt = options.checkpoint;
    if (ckpt !== undefined) {
      if (typeof ckpt !== 'object' || ckpt === null) throw invalid('options.checkpoint', 'an object { path, every? }', ckpt, 'type');
      if (typeof ckpt.path !== 'string' || ckpt.path.length === 0) throw invalid('options.checkpoint.path', 'a non-empty string', ckpt.path, 'type');
    }
    const every = integer('options.checkpoint.every', ckpt?.every ?? 1, 1, 1e6);
    if (options.resume !== undefined && (typeof options.resume !== 'string' || options.resume.length === 0)) throw invalid('options.resume', 'a non-empty string (a checkpoint path)', options.resume, 'type');
    const classes = checkSelection(data, options, this.schema, this.cards);
    const select = classes > 0;
    const signal = options.signal;
    const o = this.options;
    const D = this.features;
    const rows = data.rows;
    const B = o.batchSize;
    const stepsPerEpoch = Math.ceil(rows / B);
    // without resume, `epochs` more epochs; with resume, up to `epochs` epochs in all
    const resumed = options.resume === undefined ? undefined : await this.resumeFrom(options.resume, rows, stepsPerEpoch, options.epochs);
    if (!resumed && this.logvarFromData && this.steps === 0) {
      const v = this.dataLogvar(data);
      if (v !== null) await this.serial(async () => this.setDecoderLogvars(v));
    }
    this.logvarFromData = false;
    const startEpoch = this.epochsDone;
    const lastEpoch = resumed ? resumed.training.targetEpochs! : startEpoch + (options.epochs ?? 50);
    const fitStart = resumed?.training.fitStart ?? startEpoch;
    const skip = resumed?.training.epochStep ?? 0;
    const totalSteps = lastEpoch * stepsPerEpoch;
    const history: EpochSummary[] = [];
    const runHistory: EpochSummary[] = [...(resumed?.history ?? [])];
    const saveCheckpoint = (epochStep: number, partial?: LossTerms) =>
      saveModel(this, ckpt!.path, {
        optimizer: true, history: runHistory, preprocessor: ckpt!.preprocessor,
        training: { epochStep, targetEpochs: lastEpoch, fitStart, stepsPerEpoch, rows, ...(partial ? { partial } : {}) },
      });
    let best: FitResult['best'];
    let bestParams: Float32Array | null = null;
    let sinceBest = 0;
    let stoppedEarly = false;
    const t0 = Date.now();
    const stepsThisFit = (lastEpoch - startEpoch) * stepsPerEpoch - skip;
    let stepsDoneThisFit = 0;
    let doneRows = 0;
    for (let epoch = startEpoch; epoch < lastEpoch; epoch++) {
      const perm = new Rng(mixSeed(o.seed, 1, epoch)).shuffle(Int32Array.from({ length: rows }, (_, i) => i));
      const first = epoch === startEpoch;
      const sum: LossTerms = { ...(first && resumed?.training.partial ? resumed.training.partial : ZERO_LOSS) };
      const te = Date.now();
      let sched = this.scheduleAt(this.steps, stepsPerEpoch, totalSteps);
      for (let s = first ? skip : 0; s < stepsPerEpoch; s++) {
        if (signal?.aborted) {
          if (ckpt) {
            await saveCheckpoint(s, { ...sum }).catch((err: Error) => {
              throw new Error(`Training was aborted and the checkpoint could not be written: ${err.message}`, { cause: err });
            });
          }
          throw abortError(signal);
        }
        const r0 = s * B;
        const Bs = Math.min(B, rows - r0);
        const x = new Float32Array(Bs * D);
        for (let i = 0; i < Bs; i++) x.set(data.x.subarray(perm[r0 + i] * D, perm[r0 + i] * D + D), i * D);
        const masks = this.masksAt(this.steps, Bs);
        sched = this.scheduleAt(this.steps, stepsPerEpoch, totalSteps);
        const loss = await this.serial(() => this.n.trainStep(x, Bs, masks.ctx, masks.trg, masks.ctxSize, masks.trgSize, sched));
        this.steps = loss.step;
        stepsDoneThisFit++;
        doneRows += Bs;
        for (const k of Object.keys(sum) as Array<keyof LossTerms>) sum[k] += loss[k] * Bs;
        if (options.onProgress) {
          const elapsed = (Date.now() - t0) / 1000;
          options.onProgress({
            epoch: epoch + 1, epochs: lastEpoch, step: this.steps, stepsPerEpoch, totalSteps,
            loss: { rec: loss.rec, gen: loss.gen, klSx: loss.klSx, klZ: loss.klZ, klSy: loss.klSy, total: loss.total, gradNorm: loss.gradNorm },
            lr: sched.lr, weights: { aSx: sched.aSx, aZ: sched.aZ, aSy: sched.aSy },
            rowsPerSec: elapsed > 0 ? doneRows / elapsed : 0,
            etaSec: elapsed > 0 ? (elapsed / stepsDoneThisFit) * (stepsThisFit - stepsDoneThisFit) : 0,
          });
        }
      }
      this.epochsDone = epoch + 1;
      const secs = (Date.now() - te) / 1000;
      const summary: EpochSummary = {
        epoch: epoch + 1,
        loss: Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / rows])) as unknown as LossTerms,
        lr: sched.lr,
        weights: { aSx: sched.aSx, aZ: sched.aZ, aSy: sched.aSy },
        seconds: secs,
        rowsPerSec: secs > 0 ? rows / secs : 0,
      };
      if (select && ((epoch + 1 - fitStart) % probeEvery === 0 || epoch + 1 === lastEpoch)) {
        const score = await this.probe(data, options.labels!, options.validation!, classes, probeRows, dropUncertain);
        summary.probe = score;
        if (!best || score.selectiveAccuracy > best.selectiveAccuracy) {
          best = { epoch: epoch + 1, ...score };
          bestParams = keepBest ? this.n.exportParams() : null;
          sinceBest = 0;
        } else if (++sinceBest >= patience) {
          stoppedEarly = true;
        }
      }
      history.push(summary);
      runHistory.push(summary);
      if (ckpt && ((epoch + 1) % every === 0 || epoch + 1 === lastEpoch || stoppedEarly)) await saveCheckpoint(0);
      options.onEpoch?.(summary);
      if (stoppedEarly) break;
    }
    if (bestParams) this.n.importParams(bestParams);
    return { epochs: this.epochsDone - startEpoch, steps: stepsDoneThisFit, history, best, stoppedEarly };
  }

  /** Loads a checkpoint into this model for `fit({ resume })`; validates it all first. */
  private async resumeFrom(path: string, rows: number, stepsPerEpoch: number, epochs: number | undefined) {
    const f = await readModelFile(path);
    const fail = (why: string) => new Error(`Cannot resume from '${path}': ${why}`);
    const t = f.training;
    if (!t) throw fail('it holds no optimiser state (write it with fit\'s checkpoint option or save(path, { optimizer: true }))');
    const why = configMismatch(this, f.config);
    if (why) throw fail(why);
    if (t.rows !== undefined && t.rows !== rows) throw fail(`it was written training on ${t.rows} rows but data has ${rows}`);
    if (t.stepsPerEpoch !== undefined && t.stepsPerEpoch !== stepsPerEpoch) throw fail(`it was written with ${t.stepsPerEpoch} steps per epoch but this fit has ${stepsPerEpoch}`);
    const epochStep = t.epochStep ?? 0;
    if (epochStep >= stepsPerEpoch) throw fail(`its epochStep ${epochStep} is not below the ${stepsPerEpoch} steps per epoch`);
    const target = epochs ?? t.targetEpochs ?? t.epoch;
    const minEpochs = t.epoch + (epochStep > 0 ? 1 : 0);
    if (target < minEpochs) {
      throw new RangeError(`Expected options.epochs (the total epoch count when resuming) of at least ${minEpochs} for the checkpoint '${path}' but received ${target}`);
    }
    restoreInto(this, f);
    const training: TrainingState = { ...t, epochStep, targetEpochs: target };
    return { training, history: f.history };
  }

  private async probe(data: TableData, labels: Int32Array, val: { data: TableData; labels: Int32Array }, classes: number, probeRows: number, drop: number) {
    const D = this.features;
    const n = Math.min(probeRows, data.rows);
    const pick = new Rng(mixSeed(this.options.seed, 4, 0)).shuffle(Int32Array.from({ length: data.rows }, (_, i) => i)).subarray(0, n);
    const x = new Float32Array(n * D);
    const y = new Int32Array(n);
    pick.forEach((r, i) => {
      x.set(data.x.subarray(r * D, r * D + D), i * D);
      y[i] = labels[r];
    });
    const tr = await this.embed({ x, rows: n });
    const va = await this.embed(val.data);
    const probe = LinearProbe.fit(tr.embeddings, n, y, classes);
    const pred = probe.predict(va.embeddings, va.rows);
    return {
      accuracy: selectiveAccuracy(pred, val.labels, null, 0),
      selectiveAccuracy: selectiveAccuracy(pred, val.labels, va.uncertainty, drop),
    };
  }

  /** Deterministic embeddings with per-row uncertainty (MODEL.md section 7). */
  async embed(data: TableData, options: EmbedOptions = {}): Promise<Embedding> {
    checkTable(data, this.schema, this.cards);
    const out: Embedding = {
      rows: data.rows,
      dim: this.embeddingDim,
      embeddings: new Float32Array(data.rows * this.embeddingDim),
      uncertainty: new Float32Array(data.rows),
      uncertaintyP90: new Float32Array(data.rows),
    };
    if ((options.views ?? 0) > 0) out.surprise = new Float32Array(data.rows);
    if (options.featureUncertainty !== undefined && typeof options.featureUncertainty !== 'boolean') {
      throw invalid('options.featureUncertainty', 'a boolean', options.featureUncertainty, 'type');
    }
    if (options.featureUncertainty) out.featureUncertainty = new Float32Array(data.rows * this.features);
    if (options.latentUncertainty !== undefined && typeof options.latentUncertainty !== 'boolean') {
      throw invalid('options.latentUncertainty', 'a boolean', options.latentUncertainty, 'type');
    }
    if (options.featureSurprise !== undefined && typeof options.featureSurprise !== 'boolean') {
      throw invalid('options.featureSurprise', 'a boolean', options.featureSurprise, 'type');
    }
    if (options.featureSurprise) out.featureSurprise = new Float32Array(data.rows * this.features);
    if (options.latentUncertainty) {
      out.contextUncertainty = new Float32Array(data.rows);
      out.auxUncertainty = new Float32Array(data.rows);
    }
    await this.embedInto(data, out, options);
    return out;
  }

  /**
   * The {@link Embedder} interface of the data layer (`embedStream`): embeds one encoded batch.
   * Cells flagged in `missing` hold the preprocessor's imputed value, which the model reads as is.
   */
  async embedBatch(x: Float32Array, rows: number, missing?: Uint8Array): Promise<{ embeddings: Float32Array; uncertainty: Float32Array; uncertaintyP90: Float32Array }> {
    void missing;
    const e = await this.embed({ x, rows });
    return { embeddings: e.embeddings, uncertainty: e.uncertainty, uncertaintyP90: e.uncertaintyP90 };
  }

  /**
   * Embeds into arrays you own (rows * D * d, rows, rows), so a loop over batches allocates
   * nothing: the streaming path reuses one set of buffers.
   */
  async embedInto(data: TableData, out: Omit<Embedding, 'rows' | 'dim'>, options: EmbedOptions = {}): Promise<void> {
    const chunk = integer('options.chunkRows', options.chunkRows ?? 16384, 1, 1e7);
    const views = integer('options.views', options.views ?? 0, 0, 1000);
    const viewFraction = number('options.viewFraction', options.viewFraction ?? 0.5, 1e-9, 1);
    const viewSeed = integer('options.viewSeed', options.viewSeed ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const D = this.features;
    const dim = this.embeddingDim;
    for (const [name, arr, len] of [['out.embeddings', out.embeddings, data.rows * dim], ['out.uncertainty', out.uncertainty, data.rows], ['out.uncertaintyP90', out.uncertaintyP90, data.rows]] as const) {
      if (!(arr instanceof Float32Array) || arr.length < len) throw invalid(name, `a Float32Array of at least ${len} values`, arr, 'type');
    }
    if (out.surprise !== undefined && (!(out.surprise instanceof Float32Array) || out.surprise.length < data.rows)) {
      throw invalid('out.surprise', `a Float32Array of at least ${data.rows} values`, out.surprise, 'type');
    }
    const fu = out.featureUncertainty;
    if (fu !== undefined && (!(fu instanceof Float32Array) || fu.length < data.rows * D)) {
      throw invalid('out.featureUncertainty', `a Float32Array of at least ${data.rows * D} values`, fu, 'type');
    }
    const fs = out.featureSurprise;
    if (fs !== undefined && (!(fs instanceof Float32Array) || fs.length < data.rows * D)) {
      throw invalid('out.featureSurprise', `a Float32Array of at least ${data.rows * D} values`, fs, 'type');
    }
    if (fs !== undefined && views === 0) throw new RangeError('Expected options.views > 0 with featureSurprise (each feature\'s surprise needs context views) but received 0');
    for (const [name, arr] of [['out.contextUncertainty', out.contextUncertainty], ['out.auxUncertainty', out.auxUncertainty]] as const) {
      if (arr !== undefined && (!(arr instanceof Float32Array) || arr.length < data.rows)) throw invalid(name, `a Float32Array of at least ${data.rows} values`, arr, 'type');
    }
    for (let r0 = 0; r0 < data.rows; r0 += chunk) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const n = Math.min(chunk, data.rows - r0);
      const x = data.x.subarray(r0 * D, (r0 + n) * D);
      await this.serial(() =>
        this.n.embed(x, n, out.embeddings.subarray(r0 * dim, (r0 + n) * dim), out.uncertainty.subarray(r0, r0 + n), out.uncertaintyP90.subarray(r0, r0 + n), views, viewFraction, viewSeed, r0, out.surprise?.subarray(r0, r0 + n), fu?.subarray(r0 * D, (r0 + n) * D), out.contextUncertainty?.subarray(r0, r0 + n), out.auxUncertainty?.subarray(r0, r0 + n), fs?.subarray(r0 * D, (r0 + n) * D)),
      );
      options.onProgress?.(r0 + n, data.rows);
    }
  }

  /**
   * Draws the unobserved features of each row from the generative path (MODEL.md section 8):
   * s_x ~ q(s_x | observed features), z ~ N(0, I), s_y ~ p(s_y | s_x, z) at the unobserved
   * positions, decoded by the target decoder. `observed` (rows x D) is 1 where a cell is known;
   * unobserved cells of `data.x` are ignored. Numeric draws are the decoded means of the sampled
   * s_y (their spread across draws is the model's uncertainty); categorical draws are classes
   * sampled from the decoded probabilities, which are returned too.
   */
  async generate(data: TableData, observed: Uint8Array, options: { draws?: number; seed?: number } = {}): Promise<Generation> {
    if (typeof data !== 'object' || data === null || !(data.x instanceof Float32Array)) throw invalid('data.x', 'a Float32Array', data?.x, 'type');
    const rows = integer('data.rows', data.rows, 1, 2 ** 31 - 1);
    const D = this.features;
    if (data.x.length !== rows * D) throw new RangeError(`Expected data.x to hold rows * features = ${rows * D} values but received ${data.x.length}`);
    if (!(observed instanceof Uint8Array)) throw invalid('observed', 'a Uint8Array', observed, 'type');
    if (observed.length !== rows * D) throw new RangeError(`Expected observed to hold rows * features = ${rows * D} values but received ${observed.length}`);
    const draws = integer('options.draws', options.draws ?? 10, 1, 100000);
    const seed = integer('options.seed', options.seed ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const out = await this.serial(() => this.n.generate(data.x, observed, rows, draws, seed));
    const categoryOffsets: number[] = [];
    let off = 0;
    for (const c of this.cards) {
      categoryOffsets.push(c > 0 ? off : -1);
      off += c;
    }
    return { rows, draws, features: D, values: out.values, probs: out.probs, categoryOffsets, probsPerRow: Math.max(off, 1) };
  }

  /** The parameter layout: name, offset, size and shape of every tensor. */
  parameterTable(): ParamEntry[] {
    return this.n.paramTable();
  }

  /** A copy of all parameters as one Float32Array (layout: {@link parameterTable}). */
  exportParameters(): Float32Array {
    return this.n.exportParams();
  }

  /** Replaces all parameters (same layout; every value finite). */
  importParameters(params: Float32Array): void {
    this.n.importParams(params);
    this.logvarFromData = false;
  }

  /** The reparameterisation noise of the last training forward pass (eps_sx, eps_z, eps_sw), for tests. */
  lastNoise(): { epsSx: Float32Array; epsZ: Float32Array; epsSw: Float32Array } {
    return this.n.lastNoise();
  }

  /** The gradients left by the last {@link lossAndGrad} with backward (layout: {@link parameterTable}). */
  exportGradients(): Float32Array {
    return this.n.exportGrads();
  }

  /** Optimiser state (AdamW moments, step and epoch counters), for checkpoints. */
  exportOptimizerState(): { m: Float32Array; v: Float32Array; step: number; epoch: number } {
    const s = this.n.exportState();
    return { ...s, epoch: this.epochsDone };
  }

  /** Restores {@link exportOptimizerState}. */
  importOptimizerState(state: { m: Float32Array; v: Float32Array; step: number; epoch: number }): void {
    this.n.importState(state.m, state.v, state.step);
    this.steps = state.step;
    this.epochsDone = integer('state.epoch', state.epoch, 0, 1e9);
  }

  /**
   * Saves the model to a safetensors file, atomically (see {@link saveModel}): parameters, config,
   * schema and package version; `options` adds history, a preprocessor or the optimiser state.
   *
   * @example
   * await model.save('model.safetensors', { history: result.history });
   */
  save(path: string, options?: SaveOptions): Promise<void> {
    return this.serial(() => saveModel(this, path, options));
  }

  /**
   * Loads a model written by {@link VarTJepa.save}, validating the whole file first (see {@link loadModel}).
   *
   * @example
   * const model = await VarTJepa.load('model.safetensors');
   */
  static load(path: string): Promise<VarTJepa> {
    return loadModel(path);
  }

  /** Frees the native memory. The model cannot be used afterwards. */
  dispose(): void {
    if (this.nativeModel) {
      this.nativeModel.dispose();
      this.nativeModel = null;
    }
  }
}

export { DEFAULT_OPTIONS, maskBounds };
