// The T-JEPA baseline (docs/model.md, section 10) on the model shell: a deterministic context
// encoder trained to predict, through a predictor with auxiliary tokens, the tokens an EMA target
// encoder gives the masked features; latent MSE loss. Masks, optimiser, learning-rate schedule,
// the fit loop, checkpoints and the file format are the shell's, shared with Var-T-JEPA.
import { integer, invalid } from '../validate';
import { resolveTJepaOptions, type TJepaOptions, type VarTJepaOptions } from './options';
import { loadFile, type ModelConfig } from './persist';
import { mixSeed } from './random';
import { emaMomentum, learningRate, scheduleScale } from './schedule';
import { checkTable, type ModelSchema, type TableData } from './schema';
import type { Preprocessor } from '../data/preprocess';
import { ModelShell, type EmbeddingBase, type ModelInput, type SharedEmbedOptions } from './shell';

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

/** What T-JEPA's progress and epoch summaries report of the schedule. */
export interface TJepaScheduleSummary {
  lr: number;
  momentum: number;
}

/** T-JEPA's embedding: the target encoder's tokens of the full rows. */
export type TJepaEmbedding = EmbeddingBase;

/** JSON that rebuilds a T-JEPA's architecture ({@link TJepa.fromConfig}). */
export type TJepaConfig = ModelConfig<'TJepa', Required<TJepaOptions>>;

interface TJepaNativeExtra {
  embed(batch: TableData, out: { embeddings: Float32Array }): Promise<void>;
}

/**
 * T-JEPA (Thimonier et al.), the deterministic baseline of Var-T-JEPA.
 *
 * @example
 * const model = new TJepa(schema, { layers: 2 });
 * await model.fit({ x, rows }, { epochs: 10 });
 * const { embeddings } = await model.embed({ x, rows });
 * model.dispose();
 */
export class TJepa extends ModelShell<'TJepa', TJepaOptions, TJepaLoss, TJepaSchedule, TJepaScheduleSummary> {
  /** `options`: T-JEPA's, or a Var-T-JEPA preset or recipe (its variational options are checked and left out). */
  constructor(schema: ModelSchema | Preprocessor, options?: TJepaOptions | VarTJepaOptions) {
    super({ kind: 'TJepa', nativeClass: 'TJepaNative', zeroLoss: { loss: 0, gradNorm: 0 } }, schema, resolveTJepaOptions(options));
  }

  /** Rebuilds a model (fresh parameters) from {@link getConfig}'s JSON. */
  static fromConfig(config: TJepaConfig): TJepa {
    if (config?.kind !== 'TJepa') throw invalid('config.kind', "'TJepa'", config?.kind);
    return new TJepa(config.schema, config.options);
  }

  /** Loads a T-JEPA saved by {@link save}, validating the whole file first (`place`: see {@link VarTJepa.load}). */
  static load(path: string, place?: { device?: 'auto' | 'cpu' | 'cuda'; deviceIndex?: number }): Promise<TJepa> {
    return loadFile(path, 'TJepa', (c) => TJepa.fromConfig(c as TJepaConfig), place);
  }

  /** The step's schedule: learning rate (as Var-T-JEPA), EMA momentum, dropout seed. */
  scheduleAt(step: number, stepsPerEpoch: number, totalSteps: number): TJepaSchedule {
    const o = this.options;
    return {
      lr: learningRate(step, o.lr, o.warmup * stepsPerEpoch * scheduleScale(totalSteps / stepsPerEpoch, o.scheduleEpochs), totalSteps),
      momentum: emaMomentum(step, o.emaStart, o.emaEnd, totalSteps),
      noiseSeed: mixSeed(o.seed, 3, step),
    };
  }

  /** The epochs of a run of `runEpochs` that warm-up takes (online selection waits for them). */
  rampEpochs(runEpochs: number): number {
    return this.options.warmup * scheduleScale(runEpochs, this.options.scheduleEpochs);
  }

  protected scheduleSummary(s: TJepaSchedule): TJepaScheduleSummary {
    return { lr: s.lr, momentum: s.momentum };
  }

  protected embedForProbe(data: TableData): Promise<TJepaEmbedding> {
    return this.embed(data);
  }

  /** Target-encoder output on the full rows: (rows, D * d) row-major, or (rows, d) with `pool: 'mean'`. */
  async embed(input: ModelInput, options: SharedEmbedOptions = {}): Promise<TJepaEmbedding> {
    const data = await this.encode(input, options);
    checkTable(data, this.schema, this.cards);
    const embeddings = new Float32Array(data.rows * this.embeddingDim);
    await this.embedInto(data, { embeddings });
    return this.finishEmbedding({ rows: data.rows, dim: this.embeddingDim, embeddings }, data, options.pool);
  }

  /** Embeds into an array you own (rows * D * d values), so a loop over batches allocates nothing. */
  async embedInto(data: TableData, out: { embeddings: Float32Array }): Promise<void> {
    checkTable(data, this.schema, this.cards);
    const len = integer('data.rows', data.rows, 1, 2 ** 31 - 1) * this.embeddingDim;
    if (!(out?.embeddings instanceof Float32Array) || out.embeddings.length < len) throw invalid('out.embeddings', `a Float32Array of at least ${len} values`, out?.embeddings, 'type');
    await this.serial(() => (this.n as unknown as TJepaNativeExtra).embed({ x: data.x, rows: data.rows }, { embeddings: out.embeddings.subarray(0, len) }));
  }
}
