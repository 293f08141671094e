// The one model shell both kinds (Var-T-JEPA, T-JEPA) are made of: the native model object and
// the serial queue its calls run through, the getters, masks, one training step, the fit loop
// (lib/model/fit.ts), the flat parameter and optimiser-state import/export, save and load, and
// dispose. A kind (lib/model/vartjepa.ts, lib/model/tjepa.ts) supplies only what differs: its
// native class and config, its loss terms, its schedule and its embedding.
import * as os from 'os';
import { Preprocessor, type PreprocessorState } from '../data/preprocess';
import { readTable, type TableInput } from '../data/sources';
import { native, packageVersion } from '../native';
import { boolean, integer, invalid } from '../validate';
import { runFit, type FitHost, type FitOptions, type FitResult } from './fit';
import { activationBytesByBatch, BatchTooLargeError, HOST_MEMORY_SHARE } from './memory';
import { sampleMasks, type StepMaskSet } from './masks';
import { configMismatch, readModelFile, restoreInto, saveModel, type ModelConfig, type ModelKind, type OptimizerState, type ParamEntry, type PersistableModel, type SaveOptions, type StoredHead } from './persist';
import type { MlpProbeOptions } from '../eval/mlp-probe';
import { Head, type HeadMeta, type Prediction } from './head';
import { meanOverFeatures } from './pool';
import { mixSeed, Rng } from './random';
import { cardinalities, checkTable, type ModelSchema, type TableData } from './schema';
import type { SharedOptions } from './options';

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

/** What the native model object of any kind offers (native/src/napi/model_wrap.h). */
export interface NativeModel<L, Sched> {
  trainStep(batch: TableData, masks: StepMaskSet, schedule: Sched): Promise<L & { step: number }>;
  lossAndGrad(batch: TableData, masks: StepMaskSet, schedule: Sched, backward: boolean): Promise<L & { step: number }>;
  paramTable(): ParamEntry[];
  exportParams(): Float32Array;
  importParams(p: Float32Array): void;
  exportGrads(): Float32Array;
  exportState(): { m: Float32Array; v: Float32Array; step: number };
  importState(state: { m: Float32Array; v: Float32Array; step: number }): void;
  stats(): ModelStats;
  dispose(): void;
}

/** What a model's `stats()` reports. */
export interface ModelStats {
  /** Values in the flat parameter layout. */
  paramCount: number;
  /** Of those, the trained ones (T-JEPA's target encoder is not trained). */
  trainedCount: number;
  /** Bytes of every native buffer sized for the batch (arenas, attention, dropout masks, decoders, gradient scratch), in host or device memory. */
  activationBytes: number;
  embedDim: number;
  /** Rows per native embedding chunk. */
  embedChunk: number;
  step: number;
  /** The backend in use: 'scalar', 'avx2', 'avx512' or 'cuda'. */
  isa: string;
  device: 'cpu' | 'cuda';
  /** Why that device ('requested', or what 'auto' found). */
  deviceReason: string;
  /** The largest context and target mask sizes. */
  maxCtx: number;
  maxTrg: number;
}

/** What every kind's embedding holds. */
export interface EmbeddingBase {
  rows: number;
  /** Values per row: D * d, or d with `pool: 'mean'`. */
  dim: number;
  /** (rows, dim) row-major. */
  embeddings: Float32Array;
  /** Rows given as a table (not encoded): cells per categorical column whose category the training rows did not have. */
  unseen?: Record<string, number>;
  /** Plain-words warnings about the rows (unseen categories). */
  warnings?: string[];
}

/**
 * What `fit`, `embed` and `predict` take: the encoded `{ x, rows }`, or, for a model that carries
 * its preprocessor, any table `readTable` reads (row objects as they arrive in a request, column
 * objects, an Arrow table, a CSV path, stream or bytes).
 */
export type ModelInput = TableData | TableInput;

/** How rows given as a table are encoded. */
export interface EncodeOptions {
  /** A category the training rows did not have: 'warn' (default: encoded as unseen, counted in `unseen` and `warnings`) or 'error'. */
  unseen?: 'warn' | 'error';
}

/** Options of `fitHead` (both kinds). */
export interface HeadFitOptions {
  /** Class indices of the rows (default: the target column of a table given with the model's preprocessor). */
  labels?: Int32Array;
  /** Labelled rows for early stopping and for calibrating `abstain`. */
  validation?: { data: ModelInput; labels?: Int32Array };
  /** Names of the classes, index = class (default: the preprocessor target's classes). */
  classNames?: string[];
  /** The MLP probe's options (default: the paper's probe). */
  probe?: MlpProbeOptions;
}

/** Options of `predict` (both kinds). */
export interface PredictOptions extends EncodeOptions {
  /** Withhold this share (0..1) of rows, measured on the head's validation rows: the least confident. */
  abstain?: number;
}

/** What both kinds' `embed` takes besides its own options. */
export interface SharedEmbedOptions extends EncodeOptions {
  /**
   * 'features' (default): every feature's `d` values, (rows, D * d), the paper's embedding;
   * 'mean': their mean over the features, (rows, d), D times smaller (for Bank, 16 features of
   * d 64: 64 floats a row instead of 1,024); 'context' (Var-T-JEPA): the pooled context summary
   * sbar_x the model computes on the way, (rows, pool * d) (256 floats at the defaults).
   */
  pool?: Pool;
}

/** The ways `embed` pools. */
export const POOLS = ['features', 'mean', 'context'] as const;
export type Pool = (typeof POOLS)[number];

/** The features a preprocessor encodes, as a model's schema (name, kind, category names). */
export function modelSchemaOf(p: Preprocessor): ModelSchema {
  return { features: p.schema.features.map((f) => ({ name: f.name, kind: f.kind, ...(f.kind === 'categorical' ? { categories: f.categories } : {}) })) };
}

/** Unseen categories per column, and the warning for each. */
function unseenReport(unseen: Record<string, number>): { unseen: Record<string, number>; warnings: string[] } {
  return {
    unseen,
    warnings: Object.entries(unseen).map(([col, n]) => `Column '${col}' has ${n} cell${n === 1 ? '' : 's'} with a category the training rows did not have: embedded as unseen (pass unseen: 'error' to refuse them)`),
  };
}

/** Whether `data` is already encoded: `{ x: Float32Array, rows: number }`. */
export function isEncoded(data: unknown): data is TableData {
  return typeof data === 'object' && data !== null && (data as TableData).x instanceof Float32Array && typeof (data as TableData).rows === 'number';
}

/** What a kind declares to the shell. */
export interface KindSpec<L> {
  kind: ModelKind;
  /** The native class's name in the addon. */
  nativeClass: string;
  /** The loss terms at zero, in the order they are summed and reported. */
  zeroLoss: L;
}

/**
 * The shell of a model of kind `K` with options `O`, loss terms `L`, schedule `Sched` and schedule
 * summary `S` (what progress and history report of a schedule).
 */
export abstract class ModelShell<K extends ModelKind, O extends SharedOptions, L extends { [k in keyof L]: number }, Sched, S> implements PersistableModel {
  readonly schema: ModelSchema;
  readonly options: Required<O> & Required<SharedOptions>;
  protected readonly cards: Int32Array;
  private nativeModel: NativeModel<L, Sched> | null;
  private queue: Promise<unknown> = Promise.resolve();
  private attached: Preprocessor | undefined;
  private downstream: Head | undefined;
  /** Optimiser steps taken so far (across fit calls). */
  protected steps = 0;
  /** Epochs completed so far (across fit calls). */
  protected epochsDone = 0;

  protected constructor(private readonly spec: KindSpec<L> & { kind: K }, schemaOrPreprocessor: ModelSchema | Preprocessor, options: Required<O>, nativeConfig: Record<string, unknown> = {}) {
    const schema: ModelSchema = schemaOrPreprocessor instanceof Preprocessor ? modelSchemaOf(schemaOrPreprocessor) : schemaOrPreprocessor;
    this.cards = cardinalities(schema);
    if (schemaOrPreprocessor instanceof Preprocessor) this.attached = schemaOrPreprocessor;
    this.options = options as Required<O> & Required<SharedOptions>;
    this.schema = JSON.parse(JSON.stringify(schema)) as ModelSchema;
    const Ctor = native().binding[spec.nativeClass] as new (c: object) => NativeModel<L, Sched>;
    const build = (batchSize: number) => new Ctor({ ...options, batchSize, cardinalities: this.cards, ...nativeConfig });
    const B = this.options.batchSize;
    // too large a batch: the buffers' bytes by batch, from two small models (the host may not even reserve this one's)
    const byBatch = () =>
      activationBytesByBatch((b) => {
        const m = build(b);
        try {
          return m.stats().activationBytes;
        } finally {
          m.dispose();
        }
      });
    const tooLarge = (need: (b: number) => number) => new BatchTooLargeError(B, this.cards.length, need(B), need);
    try {
      this.nativeModel = build(B);
    } catch (e) {
      if (B > 4 && /^out of memory allocating/.test((e as Error)?.message ?? '')) throw tooLarge(byBatch());
      throw e;
    }
    const st = this.nativeModel.stats();
    if (st.device !== 'cuda' && st.activationBytes > HOST_MEMORY_SHARE * os.totalmem()) {
      // the buffers are reserved, not yet touched: training would take them and the system would
      // kill the process, so refuse now and name the batch that fits
      this.nativeModel.dispose();
      this.nativeModel = null;
      throw tooLarge(B > 4 ? byBatch() : () => st.activationBytes);
    }
  }

  /** The step's schedule. */
  abstract scheduleAt(step: number, stepsPerEpoch: number, totalSteps: number): Sched;
  /** What progress and history report of a schedule. */
  protected abstract scheduleSummary(s: Sched): S;
  /** The epochs of a run of `runEpochs` that warm-up (and the kind's ramps) take. */
  abstract rampEpochs(runEpochs: number): number;
  /** Embeddings of rows for the online probe, and their uncertainty when the kind has one. */
  protected abstract embedForProbe(data: TableData): Promise<{ rows: number; embeddings: Float32Array; uncertainty?: Float32Array }>;
  /** Before the first step of a fit that does not resume; nothing by default. */
  protected async beforeFirstStep(_data: TableData): Promise<void> {}
  /** Called when parameters are replaced or a step is taken; nothing by default. */
  protected parametersChanged(): void {}

  /** The native model; throws once disposed. */
  protected get n(): NativeModel<L, Sched> {
    if (!this.nativeModel) throw new Error(`This ${this.spec.kind} model was disposed`);
    return this.nativeModel;
  }

  /** Runs native calls one at a time, in call order. */
  protected serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return withSite(() => run);
  }

  /** The preprocessor this model encodes tables with (given to the constructor, attached, or loaded from its file); undefined when it has none. */
  get preprocessor(): Preprocessor | undefined {
    return this.attached;
  }

  /**
   * Attaches the preprocessor the model's features came from, so `fit`, `embed` and `predict`
   * take tables as they are and `save` stores it. Its features must be the model's (names, kinds,
   * category counts).
   */
  attachPreprocessor(p: Preprocessor | PreprocessorState): void {
    const pre = p instanceof Preprocessor ? p : Preprocessor.fromJSON(p);
    const theirs = pre.schema.features;
    const mine = this.schema.features;
    const cards = theirs.length === mine.length ? cardinalities({ features: theirs }, 'preprocessor.schema') : null;
    const differ = !cards ? `it has ${theirs.length} features, the model ${mine.length}` : mine.map((f, j) => {
      const t = theirs[j];
      if (t.name !== f.name || t.kind !== f.kind) return `its feature ${j} is '${t.name}' (${t.kind}), the model's '${f.name}' (${f.kind})`;
      if (cards[j] !== this.cards[j]) return `its feature '${f.name}' has ${cards[j]} category codes, the model's ${this.cards[j]}`;
      return '';
    }).find(Boolean);
    if (differ) throw new RangeError(`The preprocessor does not fit this model: ${differ}`);
    this.attached = pre;
  }

  /** {@link attachPreprocessor} for a loaded file's JSON: false (nothing attached) when it is no preprocessor state. */
  adoptPreprocessor(state: unknown): boolean {
    let pre: Preprocessor;
    try {
      pre = Preprocessor.fromJSON(state);
    } catch {
      return false;
    }
    this.attachPreprocessor(pre);
    return true;
  }

  /** Rows as the model reads them: encoded data as given, a table through the preprocessor. */
  protected async encode(data: ModelInput, options: EncodeOptions = {}, path = 'data'): Promise<TableData & { unseen?: Record<string, number>; labels?: Int32Array | Float32Array }> {
    if (isEncoded(data)) return data;
    const pre = this.attached;
    if (!pre) throw invalid(path, `encoded rows { x: Float32Array, rows } (this ${this.spec.kind} has no preprocessor to encode a table with: construct it with one, attachPreprocessor, or save it with one)`, data, 'type');
    const unseen = options.unseen ?? 'warn';
    if (unseen !== 'warn' && unseen !== 'error') throw invalid('options.unseen', "'warn' or 'error'", unseen);
    const table = await readTable(data as TableInput);
    const enc = pre.transform(table, { unseen: unseen === 'error' ? 'error' : 'count' });
    return { x: enc.x, rows: enc.rows, ...(enc.unseen ? { unseen: enc.unseen } : {}), ...(enc.labels ? { labels: enc.labels } : {}) };
  }

  /** `e` pooled as asked, with the unseen categories of `rows` counted and said in words. */
  protected finishEmbedding<E extends EmbeddingBase & { contextSummary?: Float32Array }>(e: E, rows: { unseen?: Record<string, number> }, pool: SharedEmbedOptions['pool']): E {
    const how = pool ?? 'features';
    if (!(POOLS as readonly string[]).includes(how)) throw invalid('options.pool', POOLS.map((p) => `'${p}'`).join(', '), how);
    if (how === 'context') {
      if (!e.contextSummary) throw new RangeError(`pool 'context' is Var-T-JEPA's pooled context summary; a ${this.spec.kind} has none (use 'features' or 'mean')`);
      e.embeddings = e.contextSummary;
      e.dim = e.contextSummary.length / Math.max(e.rows, 1);
    }
    if (how === 'mean') {
      const d = this.options.d;
      meanOverFeatures(e.embeddings, e.rows, this.features, d);
      e.embeddings = e.embeddings.slice(0, e.rows * d);
      e.dim = d;
    }
    if (rows.unseen) Object.assign(e, unseenReport(rows.unseen));
    return e;
  }

  /** The downstream head `predict` uses ({@link fitHead}, or loaded from the model's file); undefined when there is none. */
  get head(): HeadMeta | undefined {
    return this.downstream?.meta;
  }

  /**
   * Fits the downstream head `predict` uses (the paper's MLP probe on this model's embeddings,
   * early-stopped and calibrated for `abstain` on the validation rows) and keeps it: `save`
   * stores it. `data` and `validation.data` are encoded rows with `labels`, or tables whose
   * target column (the preprocessor's target) gives the labels; rows without a class are left out.
   */
  async fitHead(data: ModelInput, options: HeadFitOptions = {}): Promise<HeadMeta> {
    const labelled = async (input: ModelInput, labels: Int32Array | undefined, path: string) => {
      const rows = await this.encode(input, {}, path);
      const y = labels ?? (rows.labels instanceof Int32Array ? rows.labels : undefined);
      if (!(y instanceof Int32Array)) throw invalid(`${path === 'data' ? 'options' : 'options.validation'}.labels`, "class indices (an Int32Array), or a table with the preprocessor's class target", labels, 'type');
      if (y.length !== rows.rows) throw new RangeError(`Expected ${rows.rows} labels for the ${rows.rows} rows of ${path} but received ${y.length}`);
      const keep = Array.from({ length: rows.rows }, (_, i) => i).filter((i) => y[i] >= 0);
      if (keep.length < 2) throw new RangeError(`Expected at least 2 rows with a class in ${path} but found ${keep.length}`);
      const D = this.features;
      const x = new Float32Array(keep.length * D);
      keep.forEach((r, i) => x.set(rows.x.subarray(r * D, (r + 1) * D), i * D));
      const e = await this.embedForProbe({ x, rows: keep.length });
      return { embeddings: e.embeddings, labels: Int32Array.from(keep, (r) => y[r]) };
    };
    const train = await labelled(data, options.labels, 'data');
    const v = options.validation;
    const validation = v ? await labelled(v.data, v.labels, 'options.validation.data') : undefined;
    const target = this.attached?.schema.target;
    const fromTarget = options.labels === undefined && target?.classes !== undefined;
    const classes = fromTarget ? target!.classes!.length : Math.max(...train.labels, ...(validation?.labels ?? [])) + 1;
    if (classes < 2) throw new RangeError(`Expected labels of at least 2 classes for the head but found ${classes}`);
    const head = await Head.fit(train, validation, {
      features: this.embeddingDim, classes, target: fromTarget ? target!.name : null,
      classNames: options.classNames ?? (fromTarget ? [...target!.classes!] : null), probe: options.probe,
    });
    this.downstream?.dispose();
    this.downstream = head;
    return head.meta;
  }

  /**
   * Class probabilities, the predicted class and its confidence for each row, from the head
   * ({@link fitHead}). `abstain: q` (0..1) withholds the rows less certain than the least certain
   * share q of the head's validation rows (`withheld`, `threshold`).
   *
   * @example
   * const model = await VarTJepa.load('bank.safetensors');
   * const p = await model.predict([{ age: 41, job: 'admin.', balance: 1200 }], { abstain: 0.2 });
   * console.log(p.labels[0], p.confidence[0], p.withheld[0]);
   */
  async predict(data: ModelInput, options: PredictOptions = {}): Promise<Prediction> {
    if (!this.downstream) throw new Error(`This ${this.spec.kind} has no head to predict with: fit one with fitHead (varjepa fit --target does), or load a file that holds one`);
    const rows = await this.encode(data, options);
    const e = await this.embedForProbe({ x: rows.x, rows: rows.rows });
    const p = await this.downstream.predict(e.embeddings, rows.rows, options.abstain);
    if (e.uncertainty) p.latentUncertainty = e.uncertainty;
    if (rows.unseen) Object.assign(p, unseenReport(rows.unseen));
    return p;
  }

  /** {@link fitHead}'s head, from a model file. */
  adoptHead(stored: StoredHead): void {
    const head = Head.fromStored(stored, this.embeddingDim);
    this.downstream?.dispose();
    this.downstream = head;
  }

  /** 'VarTJepa' or 'TJepa'. */
  get kind(): K {
    return this.spec.kind;
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

  /** Where this model runs ('cpu' or 'cuda'; options.device 'auto' resolved). */
  get device(): 'cpu' | 'cuda' {
    return this.n.stats().device;
  }

  /** Parameter counts, native activation memory, the backend and device in use. */
  stats(): ModelStats {
    return this.n.stats();
  }

  /** JSON that rebuilds the architecture: `new <kind>(config.schema, config.options)` or the kind's `fromConfig`. */
  getConfig(): ModelConfig<K, Required<O>> {
    // a copy of the options, in their order (the file's config lists them so)
    return { kind: this.spec.kind, version: packageVersion(), schema: JSON.parse(JSON.stringify(this.schema)), options: { ...this.options } };
  }

  /** The masks of a step (seeded by the model seed and the step). */
  masksAt(step: number, rows: number): StepMaskSet {
    const o = this.options;
    return sampleMasks({ features: this.features, ctxMin: o.ctxMin, ctxMax: o.ctxMax, trgMin: o.trgMin, trgMax: o.trgMax, masks: o.masks }, rows, new Rng(mixSeed(o.seed, 2, step)));
  }

  /**
   * Loss terms of one batch with the given masks and schedule, without an update; with
   * `backward`, the gradients are left for {@link exportGradients}. For tests and diagnostics.
   */
  async lossAndGrad(data: TableData, masks: StepMaskSet, schedule: Sched, backward = false): Promise<L> {
    checkTable(data, this.schema, this.cards);
    boolean('backward', backward);
    return this.terms(await this.serial(() => this.n.lossAndGrad({ x: data.x, rows: data.rows }, masks, schedule, backward)));
  }

  /**
   * One optimiser step on a batch (at most `batchSize` rows) with the given masks and schedule.
   * {@link fit} drives this; call it directly to run your own loop.
   */
  async trainStep(batch: TableData, masks: StepMaskSet, schedule: Sched): Promise<L> {
    checkTable(batch, this.schema, this.cards, 'batch');
    const r = await this.nativeStep(batch.x, batch.rows, masks, schedule);
    return this.terms(r);
  }

  private async nativeStep(x: Float32Array, rows: number, masks: StepMaskSet, schedule: Sched): Promise<L & { step: number }> {
    const r = await this.serial(() => this.n.trainStep({ x, rows }, masks, schedule));
    this.steps = r.step;
    this.parametersChanged();
    return r;
  }

  /** The loss terms of a native result, without its step count. */
  private terms(r: L & { step: number }): L {
    return Object.fromEntries(Object.keys(this.spec.zeroLoss).map((k) => [k, r[k as keyof L]])) as unknown as L;
  }

  /**
   * Trains on `data` (see {@link FitOptions}): the same loop for every kind. `data` is encoded rows,
   * or a table when the model carries its preprocessor; a checkpoint then stores the preprocessor too.
   */
  async fit(data: ModelInput, options: FitOptions<L, S> = {}): Promise<FitResult<L, S>> {
    const rows = await this.encode(data);
    const ckpt = options.checkpoint;
    const withPre = ckpt && typeof ckpt === 'object' && ckpt.preprocessor === undefined && this.attached ? { ...options, checkpoint: { ...ckpt, preprocessor: this.attached.toJSON() } } : options;
    return runFit(this.fitHost(), { x: rows.x, rows: rows.rows }, withPre);
  }

  private fitHost(): FitHost<L, S, Sched> {
    const self = this;
    return {
      features: this.features, seed: this.options.seed, batchSize: this.options.batchSize, zeroLoss: this.spec.zeroLoss,
      get steps() { return self.steps; },
      set steps(v: number) { self.steps = v; },
      get epochsDone() { return self.epochsDone; },
      set epochsDone(v: number) { self.epochsDone = v; },
      masksAt: (step, rows) => this.masksAt(step, rows),
      scheduleAt: (step, spe, total) => this.scheduleAt(step, spe, total),
      scheduleSummary: (s) => this.scheduleSummary(s),
      trainStep: (x, rows, masks, s) => this.nativeStep(x, rows, masks, s),
      embedForProbe: (d) => this.embedForProbe(d),
      rampEpochs: (n) => this.rampEpochs(n),
      exportParameters: () => this.n.exportParams(),
      importParameters: async (p) => this.n.importParams(p),
      beforeFirstStep: (d) => this.beforeFirstStep(d),
      save: (path, o) => this.save(path, o),
      readCheckpoint: async (path) => {
        const file = await readModelFile(path);
        return { file, mismatch: configMismatch(this, file.config) };
      },
      restore: (file) => restoreInto(this, file),
      checkData: (d, path) => checkTable(d, this.schema, this.cards, path),
    };
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
    this.parametersChanged();
  }

  /** The gradients left by the last {@link lossAndGrad} with backward (layout: {@link parameterTable}; zeros where nothing is trained). */
  exportGradients(): Float32Array {
    return this.n.exportGrads();
  }

  /** Optimiser state (AdamW moments, step and epoch counters), for checkpoints. */
  exportOptimizerState(): OptimizerState {
    return { ...this.n.exportState(), epoch: this.epochsDone };
  }

  /** Restores {@link exportOptimizerState}. */
  importOptimizerState(state: OptimizerState): void {
    if (typeof state !== 'object' || state === null) throw invalid('state', 'an object { m, v, step, epoch }', state, 'type');
    this.n.importState({ m: state.m, v: state.v, step: state.step });
    this.steps = state.step;
    this.epochsDone = integer('state.epoch', state.epoch, 0, 1e9);
  }

  /**
   * Saves the model to a safetensors file, atomically: parameters, config (naming the kind),
   * schema and package version; `options` adds history, a preprocessor or the optimiser state.
   * The same file format for both kinds; load it with the kind's `load` or with `loadModel`.
   *
   * @example
   * await model.save('model.safetensors', { history: result.history });
   */
  save(path: string, options?: SaveOptions): Promise<void> {
    const withPre = {
      ...options,
      ...(options?.preprocessor === undefined && this.attached ? { preprocessor: this.attached.toJSON() } : {}),
      ...(options?.head === undefined && this.downstream && !options?.optimizer ? { head: this.downstream.toStored() } : {}),
    };
    return this.serial(() => saveModel(this, path, withPre));
  }

  /** Frees the native memory. The model cannot be used afterwards. */
  dispose(): void {
    this.downstream?.dispose();
    this.downstream = undefined;
    if (this.nativeModel) {
      this.nativeModel.dispose();
      this.nativeModel = null;
    }
  }
}

