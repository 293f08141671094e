// The one training loop of both model kinds (docs/model.md, section 6): seeded shuffles, masks
// and noise per step, the kind's schedule, progress, the online linear-probe model selection,
// checkpoints and exact resume. A model kind reaches it through the FitHost its shell passes in;
// only the loss terms, the schedule and the embedding differ between kinds.
import { abortError } from '../abort';
import { LinearProbe } from '../eval/linear-probe';
import { coefficientOfVariation, embeddingSpread } from '../eval/metrics';
import { selectiveAccuracy } from '../eval/metrics-classification';
import { boolean, integer, invalid, number } from '../validate';
import { mixSeed, Rng } from './random';
import { checkTable, type TableData } from './schema';
import type { ModelFile, SaveOptions, TrainingState } from './persist';
import type { StepMaskSet } from './masks';

/** Defaults of {@link FitOptions}. */
export const FIT_DEFAULTS = Object.freeze({
  epochs: 50,
  probeEvery: 'auto' as const,
  patience: 'auto' as const,
  smoothing: 2,
  dropUncertain: 0.2,
  probeRows: 10000,
  keepBest: true,
  checkpointEvery: 1,
  diagnostics: true,
});

/** The thresholds below which fit's diagnostics warn (see {@link FitDiagnostics}). */
export const DIAGNOSTIC_THRESHOLDS = Object.freeze({ embeddingSpread: 0.01, uncertaintyCV: 0.01 });

/** What `fit` found about the trained model's embeddings, on up to 2,000 training rows. */
export interface FitDiagnostics {
  /** Rows the figures were computed on (evenly spaced over the training rows). */
  rows: number;
  /** The mean over embedding dimensions of the standard deviation over rows (near 0: collapse). */
  embeddingSpread: number;
  /** Var-T-JEPA: the coefficient of variation over rows of the per-row uncertainty (near 0: the same for every row). */
  uncertaintyCV?: number;
  /** Plain-words warnings when a figure is degenerate, each with what to try. */
  warnings: string[];
}

/** The online probe's scores on the validation rows. */
export interface ProbeScore {
  /** Linear-probe accuracy. */
  accuracy: number;
  /** Var-T-JEPA: the accuracy with the `dropUncertain` most uncertain rows dropped (what selection ranks by). */
  selectiveAccuracy?: number;
}

/**
 * Reported after every optimiser step. `S` is the kind's schedule summary: Var-T-JEPA's
 * `{ lr, weights }` (the annealed KL weights), T-JEPA's `{ lr, momentum }`.
 */
export type FitProgress<L, S> = {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** The step's loss terms (before the update) and gradient norm. */
  loss: L;
  rowsPerSec: number;
  etaSec: number;
} & S;

/** Mean loss terms and schedule values of one epoch. */
export type EpochSummary<L, S> = {
  epoch: number;
  /** Row-weighted means over the epoch. */
  loss: L;
  seconds: number;
  rowsPerSec: number;
  probe?: ProbeScore;
} & S;

/** What `fit` resolves to. */
export interface FitResult<L, S> {
  /** Epochs run by this call. */
  epochs: number;
  /** Optimiser steps taken by this call. */
  steps: number;
  history: EpochSummary<L, S>[];
  /** The best probe of the online model selection, when labels were given. */
  best?: { epoch: number } & ProbeScore;
  /** Whether training stopped before the epochs asked for (patience, or the time budget cut or stopped the run). */
  stoppedEarly: boolean;
  /** Why training stopped: it ran the epochs asked for, the selection's patience ran out, or the time budget cut the run short. */
  stopReason: 'epochs' | 'patience' | 'budget';
  /** The embeddings' spread and the uncertainty's spread across rows, with warnings (unless `diagnostics: false`). */
  diagnostics?: FitDiagnostics;
}

/** Options of `fit`, the same for both model kinds. */
export interface FitOptions<L = unknown, S = unknown> {
  /** Epochs to train, 1..1e6; default 50. With `resume`: the TOTAL epoch count of the run (default: the interrupted fit's). */
  epochs?: number;
  /**
   * A time budget in seconds, 1..1e9: after the first epoch the run's epoch count is cut to what
   * the budget holds (so the learning-rate schedule and the ramps end with it), and training stops
   * before an epoch that would overrun it; either way `stopReason` is 'budget'. With `resume` it only stops.
   */
  maxSeconds?: number;
  /**
   * Aborts training between steps. The model keeps the parameters of the best probe so far when
   * online selection has one (and `keepBest`), else those of the last finished step; a checkpoint
   * written on abort holds the last step's (so resuming is exact).
   */
  signal?: AbortSignal;
  /** Called after every optimiser step. */
  onProgress?: (p: FitProgress<L, S>) => void;
  /** Called after every epoch. */
  onEpoch?: (e: EpochSummary<L, S>) => void;
  /** Class labels of the training rows: with `validation`, enables online model selection. */
  labels?: Int32Array;
  /** Labelled validation rows for online model selection (a linear probe on the embeddings). */
  validation?: { data: TableData; labels: Int32Array };
  /** Probe every N epochs, 1..1e6, or 'auto' (default): a tenth of the run, 1..5 epochs. */
  probeEvery?: number | 'auto';
  /**
   * Stop after this many eligible probes without improvement, 1..1e6, or 'auto' (default): 30% of
   * the run's probes, at least 3 (6 for 100 epochs probed every 5). Probes inside the warm-up and
   * the KL ramps are recorded but neither selected nor counted.
   */
  patience?: number | 'auto';
  /**
   * Selection ranks each probe by the mean of the last `smoothing` eligible probe scores, 1..100
   * (1: the probe alone); default 2. One validation score is noisy (a few hundred rows decide
   * between neighbouring epochs); the mean of two is less so.
   */
  smoothing?: number;
  /** Var-T-JEPA: fraction of the most uncertain validation rows dropped when scoring, 0..0.99; default 0.2. */
  dropUncertain?: number;
  /** At most this many training rows fit the probe, 10..1e7; default 10000. */
  probeRows?: number;
  /** Keep the parameters of the best probe (true) or the last epoch (false); default true. */
  keepBest?: boolean;
  /** Compute {@link FitResult.diagnostics} after training (a few thousand rows embedded); default true. */
  diagnostics?: boolean;
  /**
   * Write a checkpoint (parameters, AdamW state, counters, history; see `save`) to `path` every
   * `every` epochs (1..1e6, default 1, counted from the model's first epoch), after the last
   * epoch, and when aborted (before the abort error is thrown). `preprocessor` (any JSON value)
   * is stored with it.
   */
  checkpoint?: { path: string; every?: number; preprocessor?: unknown };
  /**
   * Continue from a checkpoint written by `checkpoint`: its parameters, optimiser state and
   * counters are loaded into this model (whose config must match, `isa` and device aside) and
   * training goes on from the step where it stopped, so the learning-rate schedule, shuffles,
   * masks and noise are those of an uninterrupted run: same seed and data give bit-identical
   * parameters and losses. The model-selection state (best probe so far) is not carried over.
   */
  resume?: string;
}

/** What the loop needs of a model (its shell passes one in). */
export interface FitHost<L, S, Sched> {
  features: number;
  seed: number;
  batchSize: number;
  /** The loss terms at zero, in the order they are summed and reported. */
  zeroLoss: L;
  steps: number;
  epochsDone: number;
  masksAt(step: number, rows: number): StepMaskSet;
  scheduleAt(step: number, stepsPerEpoch: number, totalSteps: number): Sched;
  /** What the progress and the epoch summaries report of a schedule. */
  scheduleSummary(s: Sched): S;
  /** One optimiser step; resolves to the loss terms and the step count after it. */
  trainStep(x: Float32Array, rows: number, masks: StepMaskSet, s: Sched): Promise<L & { step: number }>;
  /** Embeddings of rows for the probe, and (Var-T-JEPA) their uncertainty. */
  embedForProbe(data: TableData): Promise<{ rows: number; embeddings: Float32Array; uncertainty?: Float32Array }>;
  /** The epochs of a run of `runEpochs` that warm-up and the KL ramps take. */
  rampEpochs(runEpochs: number): number;
  exportParameters(): Float32Array;
  importParameters(p: Float32Array): Promise<void>;
  /** Before the first step of a fit that does not resume (Var-T-JEPA's decoderLogvarInit 'data'). */
  beforeFirstStep(data: TableData): Promise<void>;
  save(path: string, options: SaveOptions): Promise<void>;
  /** Reads a checkpoint and says why it cannot continue this model (undefined when it can). */
  readCheckpoint(path: string): Promise<{ file: ModelFile; mismatch?: string }>;
  /** Loads a checked checkpoint's parameters and optimiser state. */
  restore(file: ModelFile): void;
  checkData(data: TableData, path?: string): void;
}

/** onProgress, onEpoch and signal, when given, must be functions and an AbortSignal. */
function checkCallbacks(options: FitOptions<never, never>): void {
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalid('options.onProgress', 'a function', options.onProgress, 'type');
  if (options.onEpoch !== undefined && typeof options.onEpoch !== 'function') throw invalid('options.onEpoch', 'a function', options.onEpoch, 'type');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalid('options.signal', 'an AbortSignal', options.signal, 'type');
}

/** Labels and validation rows for online model selection: the class count, or 0 without selection. */
function checkSelection<L, S, Sched>(host: FitHost<L, S, Sched>, data: TableData, options: FitOptions<L, S>): number {
  if (options.labels === undefined && options.validation === undefined) return 0;
  let classes = 0;
  if (!(options.labels instanceof Int32Array) || options.labels.length !== data.rows) throw invalid('options.labels', `an Int32Array of length ${data.rows}`, options.labels, 'type');
  if (!options.validation) throw new RangeError('options.labels needs options.validation ({ data, labels }) for model selection');
  host.checkData(options.validation.data, 'options.validation.data');
  const vl = options.validation.labels;
  if (!(vl instanceof Int32Array) || vl.length !== options.validation.data.rows) throw invalid('options.validation.labels', `an Int32Array of length ${options.validation.data.rows}`, vl, 'type');
  for (const l of [options.labels, vl]) for (let i = 0; i < l.length; i++) classes = Math.max(classes, l[i] + 1);
  if (classes < 2) throw new RangeError('options.labels must hold at least 2 classes for model selection');
  return classes;
}

/** A checkpoint to continue from, checked against this fit (see {@link FitOptions.resume}). */
async function resumeFrom<L>(host: FitHost<L, unknown, unknown>, path: string, rows: number, stepsPerEpoch: number, epochs: number | undefined) {
  const { file, mismatch } = await host.readCheckpoint(path);
  const fail = (why: string) => new Error(`Cannot resume from '${path}': ${why}`);
  const t = file.training;
  if (!t) throw fail('it holds no optimiser state (write it with fit\'s checkpoint option or save(path, { optimizer: true }))');
  if (mismatch) throw fail(mismatch);
  if (t.rows !== undefined && t.rows !== rows) throw fail(`it was written training on ${t.rows} rows but data has ${rows}`);
  if (t.stepsPerEpoch !== undefined && t.stepsPerEpoch !== stepsPerEpoch) throw fail(`it was written with ${t.stepsPerEpoch} steps per epoch but this fit has ${stepsPerEpoch}`);
  const epochStep = t.epochStep ?? 0;
  if (epochStep >= stepsPerEpoch) throw fail(`its epochStep ${epochStep} is not below the ${stepsPerEpoch} steps per epoch`);
  if (t.partial !== undefined) {
    const want = Object.keys(host.zeroLoss as object).join(', ');
    if (Object.keys(t.partial).join(', ') !== want) throw fail(`its partial loss terms are ${Object.keys(t.partial).join(', ')} but this model's are ${want}`);
  }
  const target = epochs ?? t.targetEpochs ?? t.epoch;
  const minEpochs = t.epoch + (epochStep > 0 ? 1 : 0);
  if (target < minEpochs) {
    throw new RangeError(`Expected options.epochs (the total epoch count when resuming) of at least ${minEpochs} for the checkpoint '${path}' but received ${target}`);
  }
  host.restore(file);
  const training: TrainingState = { ...t, epochStep, targetEpochs: target };
  return { training, history: (file.history ?? []) as unknown[], partial: t.partial as L | undefined };
}

/** Linear-probe scores of the embeddings on the validation rows (docs/model.md, section 6). */
async function probe<L, S, Sched>(host: FitHost<L, S, Sched>, data: TableData, labels: Int32Array, val: { data: TableData; labels: Int32Array }, classes: number, probeRows: number, drop: number): Promise<ProbeScore> {
  const D = host.features;
  const n = Math.min(probeRows, data.rows);
  const pick = new Rng(mixSeed(host.seed, 4, 0)).shuffle(Int32Array.from({ length: data.rows }, (_, i) => i)).subarray(0, n);
  const x = new Float32Array(n * D);
  const y = new Int32Array(n);
  pick.forEach((r, i) => {
    x.set(data.x.subarray(r * D, r * D + D), i * D);
    y[i] = labels[r];
  });
  const tr = await host.embedForProbe({ x, rows: n });
  const va = await host.embedForProbe(val.data);
  const fitted = LinearProbe.fit(tr.embeddings, n, y, classes);
  const pred = fitted.predict(va.embeddings, va.rows);
  const score: ProbeScore = { accuracy: selectiveAccuracy(pred, val.labels, null, 0) };
  if (va.uncertainty) score.selectiveAccuracy = selectiveAccuracy(pred, val.labels, va.uncertainty, drop);
  return score;
}

/** An option that is a number in [lo, hi] or 'auto'. */
function autoOr(path: string, v: unknown, lo: number, hi: number): number | 'auto' {
  return v === 'auto' ? 'auto' : integer(path, v, lo, hi);
}

/** fit's diagnostics of a trained model on up to 2,000 evenly spaced training rows. */
async function diagnose<L, S, Sched>(host: FitHost<L, S, Sched>, data: TableData): Promise<FitDiagnostics> {
  const D = host.features;
  const n = Math.min(2000, data.rows);
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const r = Math.floor((i * data.rows) / n);
    x.set(data.x.subarray(r * D, r * D + D), i * D);
  }
  const e = await host.embedForProbe({ x, rows: n });
  const out: FitDiagnostics = { rows: n, embeddingSpread: embeddingSpread(e.embeddings, n, e.embeddings.length / n), warnings: [] };
  if (out.embeddingSpread < DIAGNOSTIC_THRESHOLDS.embeddingSpread) {
    out.warnings.push(`The embeddings hardly differ between rows (spread ${out.embeddingSpread.toPrecision(2)}, below ${DIAGNOSTIC_THRESHOLDS.embeddingSpread}): they are close to collapse, so a probe on them sees little. Try more epochs, larger reconstruction weights (aRec, aGen), or z-scoring the embeddings before a downstream model.`);
  }
  if (e.uncertainty) {
    out.uncertaintyCV = coefficientOfVariation(e.uncertainty.subarray(0, n));
    if (out.uncertaintyCV < DIAGNOSTIC_THRESHOLDS.uncertaintyCV) {
      out.warnings.push(`The uncertainty is nearly the same for every row (coefficient of variation ${(100 * out.uncertaintyCV).toPrecision(2)}%, below ${100 * DIAGNOSTIC_THRESHOLDS.uncertaintyCV}%): ranking rows by it ranks noise. Try more epochs, or rank rows by the surprise of context views (embed with views) instead.`);
    }
  }
  return out;
}

/** Trains `host` on `data` (see {@link FitOptions}). */
export async function runFit<L extends { [k in keyof L]: number }, S, Sched>(host: FitHost<L, S, Sched>, data: TableData, options: FitOptions<L, S>): Promise<FitResult<L, S>> {
  host.checkData(data);
  if (options.epochs !== undefined) integer('options.epochs', options.epochs, options.resume === undefined ? 1 : 0, 1e6);
  const probeEveryOpt = autoOr('options.probeEvery', options.probeEvery ?? FIT_DEFAULTS.probeEvery, 1, 1e6);
  const patienceOpt = autoOr('options.patience', options.patience ?? FIT_DEFAULTS.patience, 1, 1e6);
  const smoothing = integer('options.smoothing', options.smoothing ?? FIT_DEFAULTS.smoothing, 1, 100);
  const maxSeconds = options.maxSeconds === undefined ? undefined : number('options.maxSeconds', options.maxSeconds, 1, 1e9);
  const dropUncertain = number('options.dropUncertain', options.dropUncertain ?? FIT_DEFAULTS.dropUncertain, 0, 0.99);
  const probeRows = integer('options.probeRows', options.probeRows ?? FIT_DEFAULTS.probeRows, 10, 1e7);
  const keepBest = boolean('options.keepBest', options.keepBest ?? FIT_DEFAULTS.keepBest);
  const wantDiagnostics = boolean('options.diagnostics', options.diagnostics ?? FIT_DEFAULTS.diagnostics);
  checkCallbacks(options as FitOptions<never, never>);
  const ckpt = options.checkpoint;
  if (ckpt !== undefined) {
    if (typeof ckpt !== 'object' || ckpt === null) throw invalid('options.checkpoint', 'an object { path, every? }', ckpt, 'type');
    if (typeof ckpt.path !== 'string' || ckpt.path.length === 0) throw invalid('options.checkpoint.path', 'a non-empty string', ckpt.path, 'type');
  }
  const every = integer('options.checkpoint.every', ckpt?.every ?? FIT_DEFAULTS.checkpointEvery, 1, 1e6);
  if (options.resume !== undefined && (typeof options.resume !== 'string' || options.resume.length === 0)) throw invalid('options.resume', 'a non-empty string (a checkpoint path)', options.resume, 'type');
  const classes = checkSelection(host, data, options);
  const select = classes > 0;
  const signal = options.signal;
  const D = host.features;
  const rows = data.rows;
  const B = host.batchSize;
  const stepsPerEpoch = Math.ceil(rows / B);
  // without resume, `epochs` more epochs; with resume, up to `epochs` epochs in all
  const resumed = options.resume === undefined ? undefined : await resumeFrom(host, options.resume, rows, stepsPerEpoch, options.epochs);
  if (!resumed) await host.beforeFirstStep(data);
  const startEpoch = host.epochsDone;
  let lastEpoch = resumed ? resumed.training.targetEpochs! : startEpoch + (options.epochs ?? FIT_DEFAULTS.epochs);
  const fitStart = resumed?.training.fitStart ?? startEpoch;
  const skip = resumed?.training.epochStep ?? 0;
  let totalSteps = lastEpoch * stepsPerEpoch;
  // the selection's cadence and patience for the run's length (fitStart..lastEpoch)
  const cadence = () => {
    const runEpochs = lastEpoch - fitStart;
    const probeEvery = probeEveryOpt === 'auto' ? Math.max(1, Math.min(5, Math.round(runEpochs / 10))) : probeEveryOpt;
    const patience = patienceOpt === 'auto' ? Math.max(3, Math.ceil(0.3 * Math.ceil(runEpochs / probeEvery))) : patienceOpt;
    return { probeEvery, patience, eligibleFrom: Math.ceil(host.rampEpochs(lastEpoch) - 1e-9) };
  };
  let plan = cadence();
  const history: EpochSummary<L, S>[] = [];
  const runHistory = [...(resumed?.history ?? [])] as EpochSummary<L, S>[];
  const saveCheckpoint = (epochStep: number, partial?: L) =>
    host.save(ckpt!.path, {
      optimizer: true, history: runHistory, preprocessor: ckpt!.preprocessor,
      training: { epochStep, targetEpochs: lastEpoch, fitStart, stepsPerEpoch, rows, ...(partial ? { partial } : {}) },
    });
  let best: FitResult<L, S>['best'];
  let bestRank = -Infinity;
  let bestParams: Float32Array | null = null;
  const eligibleRanks: number[] = [];
  let sinceBest = 0;
  let stopReason: FitResult<L, S>['stopReason'] = 'epochs';
  let cutByBudget = false;  // the budget shortened the run after its first epoch
  const t0 = Date.now();
  let stepsThisFit = (lastEpoch - startEpoch) * stepsPerEpoch - skip;
  let stepsDoneThisFit = 0;
  let doneRows = 0;
  const keys = Object.keys(host.zeroLoss) as Array<keyof L>;
  for (let epoch = startEpoch; epoch < lastEpoch; epoch++) {
    const perm = new Rng(mixSeed(host.seed, 1, epoch)).shuffle(Int32Array.from({ length: rows }, (_, i) => i));
    const first = epoch === startEpoch;
    const sum: L = { ...(first && resumed?.partial ? resumed.partial : host.zeroLoss) };
    const te = Date.now();
    let sched = host.scheduleAt(host.steps, stepsPerEpoch, totalSteps);
    for (let s = first ? skip : 0; s < stepsPerEpoch; s++) {
      if (signal?.aborted) {
        if (ckpt) {
          await saveCheckpoint(s, { ...sum }).catch((err: Error) => {
            throw new Error(`Training was aborted and the checkpoint could not be written: ${err.message}`, { cause: err });
          });
        }
        if (bestParams) await host.importParameters(bestParams);
        throw abortError(signal);
      }
      const r0 = s * B;
      const Bs = Math.min(B, rows - r0);
      const x = new Float32Array(Bs * D);
      for (let i = 0; i < Bs; i++) x.set(data.x.subarray(perm[r0 + i] * D, perm[r0 + i] * D + D), i * D);
      const masks = host.masksAt(host.steps, Bs);
      sched = host.scheduleAt(host.steps, stepsPerEpoch, totalSteps);
      const loss = await host.trainStep(x, Bs, masks, sched);
      host.steps = loss.step;
      stepsDoneThisFit++;
      doneRows += Bs;
      for (const k of keys) (sum[k] as number) += loss[k] * Bs;
      if (options.onProgress) {
        const elapsed = (Date.now() - t0) / 1000;
        const terms = Object.fromEntries(keys.map((k) => [k, loss[k]])) as unknown as L;
        options.onProgress({
          epoch: epoch + 1, epochs: lastEpoch, step: host.steps, stepsPerEpoch, totalSteps, loss: terms,
          ...host.scheduleSummary(sched),
          rowsPerSec: elapsed > 0 ? doneRows / elapsed : 0,
          etaSec: elapsed > 0 ? (elapsed / stepsDoneThisFit) * (stepsThisFit - stepsDoneThisFit) : 0,
        } as FitProgress<L, S>);
      }
    }
    host.epochsDone = epoch + 1;
    const secs = (Date.now() - te) / 1000;
    // a time budget: after the first epoch, the run's length is cut to what the budget holds
    if (maxSeconds !== undefined && first && !resumed) {
      const fits = Math.max(1, Math.floor(maxSeconds / Math.max(secs, 1e-3)));
      if (startEpoch + fits < lastEpoch) {
        lastEpoch = startEpoch + fits;
        cutByBudget = true;
        totalSteps = lastEpoch * stepsPerEpoch;
        stepsThisFit = (lastEpoch - startEpoch) * stepsPerEpoch - skip;
        plan = cadence();
      }
    }
    const summary = {
      epoch: epoch + 1,
      loss: Object.fromEntries(keys.map((k) => [k, sum[k] / rows])) as unknown as L,
      ...host.scheduleSummary(sched),
      seconds: secs,
      rowsPerSec: secs > 0 ? rows / secs : 0,
    } as EpochSummary<L, S>;
    let patienceOut = false;
    if (select && ((epoch + 1 - fitStart) % plan.probeEvery === 0 || epoch + 1 === lastEpoch)) {
      const score = await probe(host, data, options.labels!, options.validation!, classes, probeRows, dropUncertain);
      summary.probe = score;
      // inside warm-up and the KL ramps a probe is recorded, not selected (the last epoch always is)
      if (epoch + 1 >= plan.eligibleFrom || epoch + 1 === lastEpoch) {
        eligibleRanks.push(score.selectiveAccuracy ?? score.accuracy);
        const window = eligibleRanks.slice(-smoothing);
        const rank = window.reduce((a, v) => a + v, 0) / window.length;
        if (!best || rank > bestRank) {
          best = { epoch: epoch + 1, ...score };
          bestRank = rank;
          bestParams = keepBest ? host.exportParameters() : null;
          sinceBest = 0;
        } else if (++sinceBest >= plan.patience) {
          patienceOut = true;
        }
      }
    }
    const elapsed = (Date.now() - t0) / 1000;
    const epochsRun = epoch + 1 - startEpoch;
    const overBudget = maxSeconds !== undefined && epoch + 1 < lastEpoch && elapsed + elapsed / epochsRun > maxSeconds;
    if (epoch + 1 < lastEpoch && (patienceOut || overBudget)) stopReason = patienceOut ? 'patience' : 'budget';
    history.push(summary);
    runHistory.push(summary);
    const stopping = stopReason !== 'epochs';
    if (ckpt && ((epoch + 1) % every === 0 || epoch + 1 === lastEpoch || stopping)) await saveCheckpoint(0);
    options.onEpoch?.(summary);
    if (stopping) break;
  }
  if (stopReason === 'epochs' && cutByBudget) stopReason = 'budget';
  if (bestParams) await host.importParameters(bestParams);
  const diagnostics = wantDiagnostics ? await diagnose(host, data) : undefined;
  return { epochs: host.epochsDone - startEpoch, steps: stepsDoneThisFit, history, best, stoppedEarly: stopReason !== 'epochs', stopReason, ...(diagnostics ? { diagnostics } : {}) };
}
