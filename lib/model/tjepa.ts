// The T-JEPA baseline (MODEL.md section 10) on the native engine, with the same construction,
// fit and embed API as VarTJepa: deterministic context encoder, EMA target encoder, predictor with
// auxiliary tokens, latent MSE loss; same masks, optimiser and learning-rate schedule.
import { LinearProbe, selectiveAccuracy } from '../eval/linear-probe';
import { native, packageVersion } from '../native';
import { boolean, integer, invalid } from '../validate';
import { checkFitCallbacks, checkSelection } from './fit-common';
import { sampleMasks, type StepMaskSet } from './masks';
import { mixSeed, Rng } from './random';
import { emaMomentum, learningRate } from './schedule';
import { cardinalities, checkTable, type ModelSchema, type TableData } from './schema';
import { resolveTJepaOptions, type TJepaOptions } from './tjepa-options';
import { abortError, withSite, type ParamEntry } from './vartjepa';

/** The T-JEPA loss (Eq. 56) and the gradient norm before clipping. */
export interface TJepaLoss {
  loss: number;
  gradNorm: number;
}

/** One step's schedule: learning rate, target-encoder momentum, dropout seed. */
export interface TJepaSchedule {
  lr: number;
  momentum: number;
  noiseSeed: number;
}

/** Reported after every optimiser step of {@link TJepa.fit}. */
export interface TJepaFitProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
  loss: TJepaLoss;
  lr: number;
  momentum: number;
  rowsPerSec: number;
  etaSec: number;
}

/** Mean loss and schedule values of one epoch. */
export interface TJepaEpochSummary {
  epoch: number;
  loss: TJepaLoss;
  lr: number;
  momentum: number;
  seconds: number;
  rowsPerSec: number;
  probe?: { accuracy: number };
}

/** Options of {@link TJepa.fit}. */
export interface TJepaFitOptions {
  /** Epochs to train, 1..1e6; default 50. */
  epochs?: number;
  /** Aborts training between steps; the model keeps the parameters of the last finished step. */
  signal?: AbortSignal;
  /** Called after every optimiser step. */
  onProgress?: (p: TJepaFitProgress) => void;
  /** Called after every epoch. */
  onEpoch?: (e: TJepaEpochSummary) => void;
  /** Class labels of the training rows: with `validation`, enables online model selection. */
  labels?: Int32Array;
  /** Labelled validation rows for online model selection (a linear probe on the embeddings). */
  validation?: { data: TableData; labels: Int32Array };
  /** Probe every N epochs, 1..1e6; default 5. */
  probeEvery?: number;
  /** Stop after this many probes without improvement, 1..1e6; default 3. */
  patience?: number;
  /** At most this many training rows fit the probe, 10..1e7; default 10000. */
  probeRows?: number;
  /** Keep the parameters of the best probe (true) or the last epoch (false); default true. */
  keepBest?: boolean;
}

/** What {@link TJepa.fit} resolves to. */
export interface TJepaFitResult {
  epochs: number;
  steps: number;
  history: TJepaEpochSummary[];
  best?: { epoch: number; accuracy: number };
  stoppedEarly: boolean;
}

/** JSON that rebuilds the model's architecture: `new TJepa(config.schema, config.options)`. */
export interface TJepaConfig {
  kind: 'TJepa';
  version: string;
  schema: ModelSchema;
  options: Required<TJepaOptions>;
}

/** The masks of one step (see {@link VarTJepa.masksAt}). */
type StepMasks = StepMaskSet;

interface NativeTJepa {
  trainStep(x: Float32Array, rows: number, ctx: Int32Array, trg: Int32Array, ctxSize: number, trgSize: number, schedule: TJepaSchedule): Promise<TJepaLoss & { step: number }>;
  lossAndGrad(x: Float32Array, rows: number, ctx: Int32Array, trg: Int32Array, ctxSize: number, trgSize: number, schedule: TJepaSchedule, backward: boolean): Promise<TJepaLoss & { step: number }>;
  embed(x: Float32Array, rows: number, embeddings: Float32Array): Promise<void>;
  paramTable(): ParamEntry[];
  exportParams(): Float32Array;
  importParams(p: Float32Array): void;
  exportGrads(): Float32Array;
  exportState(): { m: Float32Array; v: Float32Array; step: number };
  importState(m: Float32Array, v: Float32Array, step: number): void;
  stats(): { paramCount: number; trainedCount: number; contextCount: number; activationBytes: number; embedDim: number; embedChunk: number; step: number; isa: string; device: 'cpu' | 'cuda'; deviceReason: string; maxCtx: number; maxTrg: number };
  dispose(): void;
}

/**
 * T-JEPA (Thimonier et al.), the deterministic baseline of Var-T-JEPA: a context encoder trained
 * to predict, through a predictor, the tokens an EMA target encoder gives the masked features.
 *
 * @example
 * const model = new TJepa(schema, { layers: 2 });
 * await model.fit({ x, rows }, { epochs: 10 });
 * const { embeddings } = await model.embed({ x, rows });
 * model.dispose();
 */
export class TJepa {
  readonly schema: ModelSchema;
  readonly options: Required<TJepaOptions>;
  private readonly cards: Int32Array;
  private nativeModel: NativeTJepa | null;
  private queue: Promise<unknown> = Promise.resolve();
  private steps = 0;
  private epochsDone = 0;

  constructor(schema: ModelSchema, options?: TJepaOptions) {
    this.cards = cardinalities(schema);
    this.options = resolveTJepaOptions(options);
    this.schema = JSON.parse(JSON.stringify(schema)) as ModelSchema;
    const o = this.options;
    const Ctor = native().binding.TJepaNative as new (c: object) => NativeTJepa;
    this.nativeModel = new Ctor({
      cardinalities: this.cards,
      d: o.d, layers: o.layers, heads: o.heads, ff: o.ff, dropout: o.dropout,
      dp: o.dp, layersP: o.layersP, headsP: o.headsP, ffp: o.ffp, dropoutP: o.dropoutP, nAux: o.nAux,
      masks: o.masks, ctxMin: o.ctxMin, ctxMax: o.ctxMax, trgMin: o.trgMin, trgMax: o.trgMax,
      posBase: o.posBase, predPosBase: o.predPosBase,
      maxBatch: o.batchSize, trainPieceRows: o.trainPieceRows, seed: o.seed, beta1: o.beta1, beta2: o.beta2, eps: o.eps,
      weightDecay: o.weightDecay, clipNorm: o.clipNorm, isa: o.isa,
      device: o.device, deviceIndex: o.deviceIndex,
    });
  }

  /** Rebuilds a model (fresh parameters) from {@link getConfig}'s JSON. */
  static fromConfig(config: TJepaConfig): TJepa {
    if (config?.kind !== 'TJepa') throw invalid('config.kind', "'TJepa'", config?.kind);
    return new TJepa(config.schema, config.options);
  }

  private get n(): NativeTJepa {
    if (!this.nativeModel) throw new Error('This TJepa model was disposed');
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

  /** Parameter counts (all, trained, context encoder), native activation memory, instruction set. */
  stats() {
    return this.n.stats();
  }

  /** Where this model runs ('cpu' or 'cuda'; options.device 'auto' resolved). */
  get device(): 'cpu' | 'cuda' {
    return this.n.stats().device;
  }

  /** JSON that round-trips through {@link TJepa.fromConfig}. */
  getConfig(): TJepaConfig {
    return { kind: 'TJepa', version: packageVersion(), schema: JSON.parse(JSON.stringify(this.schema)), options: { ...this.options } };
  }

  /** The step's schedule: learning rate (as Var-T-JEPA), EMA momentum, dropout seed. */
  scheduleAt(step: number, stepsPerEpoch: number, totalSteps: number): TJepaSchedule {
    const o = this.options;
    return {
      lr: learningRate(step, o.lr, o.warmup * stepsPerEpoch, totalSteps),
      momentum: emaMomentum(step, o.emaStart, o.emaEnd, totalSteps),
      noiseSeed: mixSeed(o.seed, 3, step),
    };
  }

  /** The masks of a step (seeded by the model seed and the step, as Var-T-JEPA's). */
  masksAt(step: number, rows: number): StepMasks {
    const o = this.options;
    return sampleMasks({ features: this.features, ctxMin: o.ctxMin, ctxMax: o.ctxMax, trgMin: o.trgMin, trgMax: o.trgMax, masks: o.masks }, rows, new Rng(mixSeed(o.seed, 2, step)));
  }

  /** The loss of one batch without an update; with `backward`, gradients are left for {@link exportGradients}. */
  async lossAndGrad(data: TableData, masks: StepMasks, schedule: TJepaSchedule, backward = false): Promise<TJepaLoss> {
    checkTable(data, this.schema, this.cards);
    boolean('backward', backward);
    const r = await this.serial(() => this.n.lossAndGrad(data.x, data.rows, masks.ctx, masks.trg, masks.ctxSize, masks.trgSize, schedule, backward));
    return { loss: r.loss, gradNorm: r.gradNorm };
  }

  /** One optimiser step on a batch (at most `batchSize` rows), then the EMA update of the target encoder. */
  async trainStep(batch: TableData, masks: StepMasks, schedule: TJepaSchedule): Promise<TJepaLoss> {
    checkTable(batch, this.schema, this.cards, 'batch');
    const r = await this.serial(() => this.n.trainStep(batch.x, batch.rows, masks.ctx, masks.trg, masks.ctxSize, masks.trgSize, schedule));
    this.steps = r.step;
    return { loss: r.loss, gradNorm: r.gradNorm };
  }

  /** Trains on `data` with the latent MSE (Eq. 56); schedule, masks and shuffles as Var-T-JEPA's. */
  async fit(data: TableData, options: TJepaFitOptions = {}): Promise<TJepaFitResult> {
    checkTable(data, this.schema, this.cards);
    const epochs = integer('options.epochs', options.epochs ?? 50, 1, 1e6);
    const probeEvery = integer('options.probeEvery', options.probeEvery ?? 5, 1, 1e6);
    const patience = integer('options.patience', options.patience ?? 3, 1, 1e6);
    const probeRows = integer('options.probeRows', options.probeRows ?? 10000, 10, 1e7);
    const keepBest = boolean('options.keepBest', options.keepBest ?? true);
    checkFitCallbacks(options);
    const classes = checkSelection(data, options, this.schema, this.cards);
    const select = classes > 0;
    const o = this.options;
    const D = this.features;
    const rows = data.rows;
    const B = o.batchSize;
    const stepsPerEpoch = Math.ceil(rows / B);
    const startEpoch = this.epochsDone;
    const lastEpoch = startEpoch + epochs;
    const totalSteps = lastEpoch * stepsPerEpoch;
    const history: TJepaEpochSummary[] = [];
    let best: TJepaFitResult['best'];
    let bestParams: Float32Array | null = null;
    let sinceBest = 0;
    let stoppedEarly = false;
    let stepsDone = 0;
    const t0 = Date.now();
    for (let epoch = startEpoch; epoch < lastEpoch; epoch++) {
      const perm = new Rng(mixSeed(o.seed, 1, epoch)).shuffle(Int32Array.from({ length: rows }, (_, i) => i));
      const sum: TJepaLoss = { loss: 0, gradNorm: 0 };
      const te = Date.now();
      let sched = this.scheduleAt(this.steps, stepsPerEpoch, totalSteps);
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (options.signal?.aborted) throw abortError(options.signal);
        const r0 = s * B;
        const Bs = Math.min(B, rows - r0);
        const x = new Float32Array(Bs * D);
        for (let i = 0; i < Bs; i++) x.set(data.x.subarray(perm[r0 + i] * D, perm[r0 + i] * D + D), i * D);
        const masks = this.masksAt(this.steps, Bs);
        sched = this.scheduleAt(this.steps, stepsPerEpoch, totalSteps);
        const r = await this.serial(() => this.n.trainStep(x, Bs, masks.ctx, masks.trg, masks.ctxSize, masks.trgSize, sched));
        this.steps = r.step;
        stepsDone++;
        sum.loss += r.loss * Bs;
        sum.gradNorm += r.gradNorm * Bs;
        if (options.onProgress) {
          const elapsed = (Date.now() - t0) / 1000;
          const left = (lastEpoch - epoch) * stepsPerEpoch - s - 1;
          options.onProgress({
            epoch: epoch + 1, epochs: lastEpoch, step: this.steps, stepsPerEpoch, totalSteps,
            loss: { loss: r.loss, gradNorm: r.gradNorm }, lr: sched.lr, momentum: sched.momentum,
            rowsPerSec: elapsed > 0 ? (stepsDone * B) / elapsed : 0,
            etaSec: elapsed > 0 ? (elapsed / stepsDone) * left : 0,
          });
        }
      }
      this.epochsDone = epoch + 1;
      const secs = (Date.now() - te) / 1000;
      const summary: TJepaEpochSummary = {
        epoch: epoch + 1, loss: { loss: sum.loss / rows, gradNorm: sum.gradNorm / rows }, lr: sched.lr, momentum: sched.momentum,
        seconds: secs, rowsPerSec: secs > 0 ? rows / secs : 0,
      };
      if (select && ((epoch + 1 - startEpoch) % probeEvery === 0 || epoch + 1 === lastEpoch)) {
        const accuracy = await this.probe(data, options.labels!, options.validation!, classes, probeRows);
        summary.probe = { accuracy };
        if (!best || accuracy > best.accuracy) {
          best = { epoch: epoch + 1, accuracy };
          bestParams = keepBest ? this.n.exportParams() : null;
          sinceBest = 0;
        } else if (++sinceBest >= patience) {
          stoppedEarly = true;
        }
      }
      history.push(summary);
      options.onEpoch?.(summary);
      if (stoppedEarly) break;
    }
    if (bestParams) this.n.importParams(bestParams);
    return { epochs: this.epochsDone - startEpoch, steps: stepsDone, history, best, stoppedEarly };
  }

  /** Linear-probe accuracy on the validation rows (no uncertainty to drop rows by). */
  private async probe(data: TableData, labels: Int32Array, val: { data: TableData; labels: Int32Array }, classes: number, probeRows: number): Promise<number> {
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
    return selectiveAccuracy(probe.predict(va.embeddings, va.rows), val.labels, null, 0);
  }

  /** Target-encoder output on the full rows: (rows, D * d) row-major. */
  async embed(data: TableData): Promise<{ rows: number; dim: number; embeddings: Float32Array }> {
    checkTable(data, this.schema, this.cards);
    const embeddings = new Float32Array(data.rows * this.embeddingDim);
    if (data.rows > 0) await this.serial(() => this.n.embed(data.x, data.rows, embeddings));
    return { rows: data.rows, dim: this.embeddingDim, embeddings };
  }

  /** The parameter layout: trained tensors (ctx.*, pred.*), then the target encoder (tgt.*). */
  parameterTable(): ParamEntry[] {
    return this.n.paramTable();
  }

  /** A copy of all parameters, target encoder included, as one Float32Array. */
  exportParameters(): Float32Array {
    return this.n.exportParams();
  }

  /** Replaces all parameters (same layout; every value finite). */
  importParameters(params: Float32Array): void {
    this.n.importParams(params);
  }

  /** Gradients left by {@link lossAndGrad} with backward (zeros over the target encoder). */
  exportGradients(): Float32Array {
    return this.n.exportGrads();
  }

  /** Optimiser state (AdamW moments, step and epoch counters). */
  exportOptimizerState(): { m: Float32Array; v: Float32Array; step: number; epoch: number } {
    return { ...this.n.exportState(), epoch: this.epochsDone };
  }

  /** Restores {@link exportOptimizerState}. */
  importOptimizerState(state: { m: Float32Array; v: Float32Array; step: number; epoch: number }): void {
    this.n.importState(state.m, state.v, state.step);
    this.steps = state.step;
    this.epochsDone = integer('state.epoch', state.epoch, 0, 1e9);
  }

  /** Frees the native memory. The model cannot be used afterwards. */
  dispose(): void {
    if (this.nativeModel) {
      this.nativeModel.dispose();
      this.nativeModel = null;
    }
  }
}
