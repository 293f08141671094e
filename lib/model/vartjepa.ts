// The Var-T-JEPA model kind (docs/model.md, sections 1-8) on the model shell: its options, the
// five ELBO terms, its schedule (learning rate and annealed KL weights), the embedding with
// uncertainty (and context views), the generative path, and the decoders' log-variance start.
import type { Preprocessor } from '../data/preprocess';
import { integer, invalid, number } from '../validate';
import { abortError } from '../abort';
import { resolveVarTJepaOptions, nativeFields, type VarTJepaOptions } from './options';
import { loadFile, type ModelConfig } from './persist';
import { mixSeed } from './random';
import { klWeight, learningRate, scheduleScale } from './schedule';
import { checkTable, type ModelSchema, type TableData } from './schema';
import { ModelShell, type EmbeddingBase, type ModelInput, type SharedEmbedOptions } from './shell';

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

/** One step's schedule: learning rate, the loss weights (KL weights annealed), the noise seed. */
export interface VarTJepaSchedule {
  lr: number;
  aRec: number;
  aGen: number;
  aSx: number;
  aZ: number;
  aSy: number;
  noiseSeed: number;
}

/** What Var-T-JEPA's progress and epoch summaries report of the schedule. */
export interface VarTJepaScheduleSummary {
  lr: number;
  /** The annealed KL weights. */
  weights: { aSx: number; aZ: number; aSy: number };
}

/** Embeddings of rows with their uncertainty (docs/model.md, section 7); `embeddings` are the posterior means mu_sw. */
export interface Embedding extends EmbeddingBase {
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
  /**
   * With `views` > 0: per row, the spread of the predictor's conditional prior p(s_y | s_x, z) on
   * the features outside each view (the mean of its standard deviations over those tokens and d),
   * averaged over the views: how unsure the rest of the row leaves the model about them.
   */
  priorUncertainty?: Float32Array;
  /** With `pool: 'context'` (then also `embeddings`): (rows, pool * d), the pooled context summary sbar_x. */
  contextSummary?: Float32Array;
}

/** Defaults of {@link EmbedOptions}. */
export const EMBED_DEFAULTS = Object.freeze({ chunkRows: 16384, views: 0, viewFraction: 0.5, viewSeed: 0, featureUncertainty: false, latentUncertainty: false, featureSurprise: false });

/** Options of {@link VarTJepa.embed}. */
export interface EmbedOptions {
  /** Rows per native call (progress granularity), 1..1e7; default 16384. */
  chunkRows?: number;
  /**
   * Context views (docs/model.md section 7, [decision]): 0 (default) gives the context encoder the
   * full row; V in 1..1000 averages V seeded random context views of `viewFraction` of the
   * features. With views, `embeddings` is the mean of the posterior means over the views and
   * the uncertainty is the standard deviation of the view mixture, sqrt(mean var + var of means).
   */
  views?: number;
  /** Share of the features in each context view, 1e-9..1; default 0.5. */
  viewFraction?: number;
  /** Seed of the context views, 0..2^53-1; default 0. A row's views do not depend on chunking. */
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

/** Defaults of {@link GenerateOptions}. */
export const GENERATE_DEFAULTS = Object.freeze({ draws: 10, seed: 0 });

/** Options of {@link VarTJepa.generate}. */
export interface GenerateOptions {
  /** Draws per row, 1..100000; default 10. */
  draws?: number;
  /** Seed of the draws, 0..2^53-1; default 0. */
  seed?: number;
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

/** JSON that rebuilds a Var-T-JEPA's architecture ({@link VarTJepa.fromConfig}). */
export type VarTJepaConfig = ModelConfig<'VarTJepa', Required<VarTJepaOptions>>;

/** The arrays {@link VarTJepa.embedInto} writes: those of an {@link Embedding}, the optional ones when present. */
export type EmbedOutputs = Omit<Embedding, 'rows' | 'dim' | 'unseen' | 'warnings'>;
interface VarTJepaNativeExtra {
  embed(batch: TableData, out: EmbedOutputs, options: { views: number; viewFraction: number; viewSeed: number; rowOffset: number }): Promise<void>;
  generate(batch: TableData, observed: Uint8Array, options: { draws: number; seed: number }): Promise<{ values: Float32Array; probs: Float32Array }>;
  lastNoise(): { epsSx: Float32Array; epsZ: Float32Array; epsSw: Float32Array };
}

const ZERO_LOSS: LossTerms = { rec: 0, gen: 0, klSx: 0, klZ: 0, klSy: 0, total: 0, gradNorm: 0 };

/** An option of embed or generate checked against the addon's range for it. */
function nativeRange(group: 'embed' | 'generate', key: string, value: unknown, path: string): number {
  const [kind, lo, hi] = nativeFields()[group][key] as [string, number, number];
  return kind === 'int' ? integer(path, value, lo, hi) : number(path, value, lo, hi);
}

/**
 * Var-T-JEPA: a variational joint-embedding predictive architecture for tables.
 *
 * @example
 * const model = new VarTJepa({ features: [{ name: 'age', kind: 'numeric' }, { name: 'job', kind: 'categorical', categories: 5 }] }, { layers: 2 });
 * await model.fit({ x, rows }, { epochs: 10 });
 * const { embeddings, uncertainty } = await model.embed({ x, rows });
 * model.dispose();
 */
export class VarTJepa extends ModelShell<'VarTJepa', VarTJepaOptions, LossTerms, VarTJepaSchedule, VarTJepaScheduleSummary> {
  /** decoderLogvarInit 'data': fit sets the decoders' log-variances before the first step. */
  private logvarFromData: boolean;

  constructor(schema: ModelSchema | Preprocessor, options?: VarTJepaOptions) {
    super({ kind: 'VarTJepa', nativeClass: 'VarTJepaNative', zeroLoss: ZERO_LOSS }, schema, resolveVarTJepaOptions(options));
    const o = this.options;
    this.logvarFromData = o.decoderLogvarInit === 'data';
    if (typeof o.decoderLogvarInit === 'number' && o.decoderLogvarInit !== 0) this.setDecoderLogvars(o.decoderLogvarInit);
  }

  /** Values of the pooled context summary a row (`pool: 'context'`): the pooler's `pool` queries of `d` each. */
  get contextSummaryDim(): number {
    return this.options.pool * this.options.d;
  }

  /** Rebuilds a model (fresh parameters) from {@link getConfig}'s JSON. */
  static fromConfig(config: VarTJepaConfig): VarTJepa {
    if (config?.kind !== 'VarTJepa') throw invalid('config.kind', "'VarTJepa'", config?.kind);
    return new VarTJepa(config.schema, config.options);
  }

  /**
   * Loads a Var-T-JEPA saved by {@link save}, validating the whole file first. `place` moves the
   * model between devices (the weights are the same on every device).
   *
   * @example
   * const model = await VarTJepa.load('model.safetensors');
   */
  static load(path: string, place?: { device?: 'auto' | 'cpu' | 'cuda'; deviceIndex?: number }): Promise<VarTJepa> {
    return loadFile(path, 'VarTJepa', (c) => VarTJepa.fromConfig(c as VarTJepaConfig), place);
  }

  private get v(): VarTJepaNativeExtra {
    return this.n as unknown as VarTJepaNativeExtra;
  }

  /** The step's schedule (learning rate, annealed KL weights, noise seed). */
  scheduleAt(step: number, stepsPerEpoch: number, totalSteps: number): VarTJepaSchedule {
    const o = this.options;
    const epochSteps = stepsPerEpoch * scheduleScale(totalSteps / stepsPerEpoch, o.scheduleEpochs);
    return {
      lr: learningRate(step, o.lr, o.warmup * epochSteps, totalSteps),
      aRec: o.aRec,
      aGen: o.aGen,
      aSx: klWeight(step, o.aSx, o.annealSx * epochSteps),
      aZ: klWeight(step, o.aZ, o.annealZ * epochSteps),
      aSy: klWeight(step, o.aSy, o.annealSy * epochSteps),
      noiseSeed: mixSeed(o.seed, 3, step),
    };
  }

  /** The epochs of a run of `runEpochs` that warm-up and the KL ramps take (online selection waits for them). */
  rampEpochs(runEpochs: number): number {
    const o = this.options;
    return Math.max(o.warmup, o.annealSx, o.annealZ, o.annealSy) * scheduleScale(runEpochs, o.scheduleEpochs);
  }

  protected scheduleSummary(s: VarTJepaSchedule): VarTJepaScheduleSummary {
    return { lr: s.lr, weights: { aSx: s.aSx, aZ: s.aZ, aSy: s.aSy } };
  }

  protected embedForProbe(data: TableData): Promise<Embedding> {
    return this.embed(data);
  }

  protected override parametersChanged(): void {
    this.logvarFromData = false;
  }

  /** decoderLogvarInit 'data': the decoders' log-variances from the data, before the first step. */
  protected override async beforeFirstStep(data: TableData): Promise<void> {
    if (this.logvarFromData && this.steps === 0) {
      const v = this.dataLogvar(data);
      if (v !== null) await this.serial(async () => this.setDecoderLogvars(v));
    }
    this.logvarFromData = false;
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

  /** Deterministic embeddings with per-row uncertainty (docs/model.md, section 7). */
  async embed(input: ModelInput, options: EmbedOptions & SharedEmbedOptions = {}): Promise<Embedding> {
    const data = await this.encode(input, options);
    checkTable(data, this.schema, this.cards);
    const flag = (k: 'featureUncertainty' | 'latentUncertainty' | 'featureSurprise') => {
      const v = options[k] ?? EMBED_DEFAULTS[k];
      if (typeof v !== 'boolean') throw invalid(`options.${k}`, 'a boolean', v, 'type');
      return v;
    };
    const rows = data.rows, D = this.features;
    const out: Embedding = {
      rows,
      dim: this.embeddingDim,
      embeddings: new Float32Array(rows * this.embeddingDim),
      uncertainty: new Float32Array(rows),
      uncertaintyP90: new Float32Array(rows),
    };
    if ((options.views ?? 0) > 0) {
      out.surprise = new Float32Array(rows);
      out.priorUncertainty = new Float32Array(rows);
    }
    if (flag('featureUncertainty')) out.featureUncertainty = new Float32Array(rows * D);
    if (flag('featureSurprise')) out.featureSurprise = new Float32Array(rows * D);
    if (flag('latentUncertainty')) {
      out.contextUncertainty = new Float32Array(rows);
      out.auxUncertainty = new Float32Array(rows);
    }
    if (options.pool === 'context') out.contextSummary = new Float32Array(rows * this.contextSummaryDim);
    await this.embedInto(data, out, options);
    return this.finishEmbedding(out, data, options.pool);
  }

  /**
   * Embeds into arrays you own (rows * D * d, rows, rows, and the optional ones), so a loop over
   * batches allocates nothing: the streaming path reuses one set of buffers.
   */
  async embedInto(data: TableData, out: EmbedOutputs, options: EmbedOptions = {}): Promise<void> {
    checkTable(data, this.schema, this.cards);
    const chunk = integer('options.chunkRows', options.chunkRows ?? EMBED_DEFAULTS.chunkRows, 1, 1e7);
    const views = nativeRange('embed', 'views', options.views ?? EMBED_DEFAULTS.views, 'options.views');
    const viewFraction = nativeRange('embed', 'viewFraction', options.viewFraction ?? EMBED_DEFAULTS.viewFraction, 'options.viewFraction');
    const viewSeed = nativeRange('embed', 'viewSeed', options.viewSeed ?? EMBED_DEFAULTS.viewSeed, 'options.viewSeed');
    const D = this.features;
    const dim = this.embeddingDim;
    const rows = data.rows;
    const need: Array<[keyof EmbedOutputs, number, boolean]> = [
      ['embeddings', rows * dim, true], ['uncertainty', rows, true], ['uncertaintyP90', rows, true], ['surprise', rows, false],
      ['featureUncertainty', rows * D, false], ['contextUncertainty', rows, false], ['auxUncertainty', rows, false], ['featureSurprise', rows * D, false],
      ['priorUncertainty', rows, false], ['contextSummary', rows * this.contextSummaryDim, false],
    ];
    for (const [name, len, required] of need) {
      const arr = out[name];
      if (arr === undefined && !required) continue;
      if (!(arr instanceof Float32Array) || arr.length < len) throw invalid(`out.${name}`, `a Float32Array of at least ${len} values`, arr, 'type');
    }
    if (out.featureSurprise !== undefined && views === 0) throw new RangeError('Expected options.views > 0 with featureSurprise (each feature\'s surprise needs context views) but received 0');
    if (out.priorUncertainty !== undefined && views === 0) throw new RangeError('Expected options.views > 0 with priorUncertainty (the prior is on the features outside a view) but received 0');
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const n = Math.min(chunk, rows - r0);
      const part: EmbedOutputs = { embeddings: out.embeddings.subarray(r0 * dim, (r0 + n) * dim), uncertainty: out.uncertainty.subarray(r0, r0 + n), uncertaintyP90: out.uncertaintyP90.subarray(r0, r0 + n) };
      for (const [name, len] of need.slice(3)) {
        const arr = out[name];
        if (arr) part[name] = arr.subarray(r0 * (len / rows), (r0 + n) * (len / rows));
      }
      await this.serial(() => this.v.embed({ x: data.x.subarray(r0 * D, (r0 + n) * D), rows: n }, part, { views, viewFraction, viewSeed, rowOffset: r0 }));
      options.onProgress?.(r0 + n, rows);
    }
  }

  /**
   * Draws the unobserved features of each row from the generative path (docs/model.md, section
   * 8): s_x ~ q(s_x | observed features), z ~ N(0, I), s_y ~ p(s_y | s_x, z) at the unobserved
   * positions, decoded by the target decoder. `observed` (rows x D) is 1 where a cell is known;
   * unobserved cells of `data.x` are ignored. Numeric draws are the decoded means of the sampled
   * s_y (their spread across draws is the model's uncertainty); categorical draws are classes
   * sampled from the decoded probabilities, which are returned too.
   */
  async generate(data: TableData, observed: Uint8Array, options: GenerateOptions = {}): Promise<Generation> {
    if (typeof data !== 'object' || data === null || !(data.x instanceof Float32Array)) throw invalid('data.x', 'a Float32Array', data?.x, 'type');
    const rows = integer('data.rows', data.rows, 1, 2 ** 31 - 1);
    const D = this.features;
    if (data.x.length !== rows * D) throw new RangeError(`Expected data.x to hold rows * features = ${rows * D} values but received ${data.x.length}`);
    if (!(observed instanceof Uint8Array)) throw invalid('observed', 'a Uint8Array', observed, 'type');
    if (observed.length !== rows * D) throw new RangeError(`Expected observed to hold rows * features = ${rows * D} values but received ${observed.length}`);
    const draws = nativeRange('generate', 'draws', options.draws ?? GENERATE_DEFAULTS.draws, 'options.draws');
    const seed = nativeRange('generate', 'seed', options.seed ?? GENERATE_DEFAULTS.seed, 'options.seed');
    const out = await this.serial(() => this.v.generate({ x: data.x, rows }, observed, { draws, seed }));
    const categoryOffsets: number[] = [];
    let off = 0;
    for (const c of this.cards) {
      categoryOffsets.push(c > 0 ? off : -1);
      off += c;
    }
    return { rows, draws, features: D, values: out.values, probs: out.probs, categoryOffsets, probsPerRow: Math.max(off, 1) };
  }

  /** The reparameterisation noise of the last training forward pass (eps_sx, eps_z, eps_sw), for tests. */
  lastNoise(): { epsSx: Float32Array; epsZ: Float32Array; epsSw: Float32Array } {
    return this.v.lastNoise();
  }
}

