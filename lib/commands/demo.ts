// `varjepa demo`: the main job on a built-in table. Generates the SIM-like table, trains
// Var-T-JEPA, embeds the rows, and reports linear-probe accuracy (with the raw features beside
// it), how well the uncertainty tracks the rows' ambiguity, and throughput.
import { LinearProbe } from '../eval/linear-probe';
import { selectiveAccuracy } from '../eval/metrics-classification';
import { spearman } from '../eval/metrics';
import { relativeSurprise, surpriseReference } from '../eval/surprise';
import type { VarTJepaFitProgress as FitProgress } from '../model/fit-types';
import { VarTJepa } from '../model/vartjepa';
import type { VarTJepaOptions } from '../model/options';
import { Progress, formatSeconds } from '../progress';
import { simTable } from '../sim';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  rows?: number;
  epochs?: number;
  seed?: number;
  quiet?: boolean;
  model?: VarTJepaOptions;
}

/** What the demo measured. */
export interface DemoReport {
  rows: number;
  features: number;
  epochs: number;
  trainSeconds: number;
  trainRowsPerSec: number;
  embedRowsPerSec: number;
  probeAccuracy: number;
  probeAccuracyDrop20: number;
  rawProbeAccuracy: number;
  chance: number;
  uncertaintyAmbiguitySpearman: number;
  /** Context views used for the surprise. */
  surpriseViews: number;
  /** Training rows whose per-feature surprise is the reference of the relative surprise. */
  surpriseReferenceRows: number;
  /** Spearman of the relative surprise (each feature's surprise over its training mean) with the ambiguity. */
  surpriseAmbiguitySpearman: number;
  /** The same for the plain surprise (the mean KL_sy over the left-out features). */
  plainSurpriseAmbiguitySpearman: number;
  probeAccuracyDropSurprise20: number;
  firstLoss: number;
  lastLoss: number;
}

/** The demo's model: small enough to train in about a minute on two cores. */
export const DEMO_MODEL: VarTJepaOptions = {
  d: 32, layers: 2, heads: 4, ff: 64, dP: 16, layersP: 1, headsP: 4, ffP: 64,
  ctxMin: 0.15, ctxMax: 0.5, trgMin: 0.15, trgMax: 0.8, aRec: 0.001, aGen: 0.1,
  aSx: 1e-6, aZ: 1e-6, aSy: 1e-5, annealSx: 5, annealZ: 5, annealSy: 5, warmup: 2, scheduleEpochs: 50, lr: 2e-3, batchSize: 256,
};

/** Epochs of the demo: the predictor needs them to learn which rows are hard to predict. */
export const DEMO_EPOCHS = 50;
/** Context views of half the row behind the demo's surprise (VarTJepa.embed with views). */
export const DEMO_VIEWS = 16;
/** Training rows that give each feature's typical surprise (the relative surprise's reference). */
export const DEMO_REFERENCE_ROWS = 1000;

export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const progress = new Progress({ quiet: options.quiet });
  const epochs = options.epochs ?? DEMO_EPOCHS;
  const seed = options.seed ?? 0;
  const sim = simTable({ rows: options.rows ?? 6000, seed });
  const D = sim.schema.features.length;
  progress.log(`varjepa demo: SIM-like table, ${sim.rows} rows, ${D} features (28 numeric, 4 categorical), ${sim.classes} classes`);
  // 70/10/20 split by a seeded permutation (the last 20% is the test set)
  const nTrain = Math.floor(sim.rows * 0.7), nVal = Math.floor(sim.rows * 0.1);
  const take = (lo: number, hi: number) => ({ x: sim.x.slice(lo * D, hi * D), rows: hi - lo, labels: sim.labels.slice(lo, hi), amb: sim.ambiguity.slice(lo, hi) });
  const train = take(0, nTrain), val = take(nTrain, nTrain + nVal), test = take(nTrain + nVal, sim.rows);
  const model = new VarTJepa(sim.schema, { ...DEMO_MODEL, seed, ...options.model });
  try {
    let first = NaN, last = NaN;
    const t0 = Date.now();
    await model.fit(train, {
      epochs,
      onProgress: (p: FitProgress) => {
        if (Number.isNaN(first)) first = p.loss.total;
        last = p.loss.total;
        const f = (p.step - 0) / p.totalSteps;
        progress.update(
          `train ${Progress.bar(f)} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.totalSteps} loss ${p.loss.total.toFixed(4)} ` +
            `(rec ${p.loss.rec.toFixed(3)} gen ${p.loss.gen.toFixed(3)} klSy ${p.loss.klSy.toFixed(2)}) ${p.rowsPerSec.toFixed(0)} rows/s eta ${formatSeconds(p.etaSec)}`,
        );
      },
      onEpoch: (e) => progress.update(`epoch ${e.epoch}: loss ${e.loss.total.toFixed(4)}, ${e.rowsPerSec.toFixed(0)} rows/s`, true),
    });
    const trainSeconds = (Date.now() - t0) / 1000;
    progress.done();
    const te = Date.now();
    const embTrain = await model.embed(train);
    const embTest = await model.embed(test, { onProgress: (d, t) => progress.update(`embed ${Progress.bar(d / t)} ${d}/${t}`) });
    const embedSeconds = (Date.now() - te) / 1000;
    progress.done();
    // the surprise of the test rows: how badly 16 random halves of each row predict the rest,
    // each feature's measured against its mean over training rows (the relative surprise)
    const views = { views: DEMO_VIEWS, viewFraction: 0.5, featureSurprise: true };
    const refRows = Math.min(DEMO_REFERENCE_ROWS, train.rows);
    const reference = surpriseReference(await model.embed({ x: train.x.subarray(0, refRows * D), rows: refRows }, views));
    const viewed = await model.embed(test, { ...views, onProgress: (d, t) => progress.update(`surprise ${Progress.bar(d / t)} ${d}/${t}`) });
    progress.done();
    const surprise = relativeSurprise(viewed, reference);
    const probe = LinearProbe.fit(embTrain.embeddings, train.rows, train.labels, sim.classes);
    const pred = probe.predict(embTest.embeddings, test.rows);
    const raw = LinearProbe.fit(train.x, train.rows, train.labels, sim.classes);
    const rawPred = raw.predict(test.x, test.rows);
    const report: DemoReport = {
      rows: sim.rows,
      features: D,
      epochs,
      trainSeconds,
      trainRowsPerSec: (train.rows * epochs) / trainSeconds,
      embedRowsPerSec: (train.rows + test.rows) / embedSeconds,
      probeAccuracy: selectiveAccuracy(pred, test.labels, null, 0),
      probeAccuracyDrop20: selectiveAccuracy(pred, test.labels, embTest.uncertainty, 0.2),
      rawProbeAccuracy: selectiveAccuracy(rawPred, test.labels, null, 0),
      chance: 1 / sim.classes,
      uncertaintyAmbiguitySpearman: spearman(embTest.uncertainty, test.amb),
      surpriseViews: DEMO_VIEWS,
      surpriseReferenceRows: refRows,
      surpriseAmbiguitySpearman: spearman(surprise, test.amb),
      plainSurpriseAmbiguitySpearman: spearman(viewed.surprise as Float32Array, test.amb),
      probeAccuracyDropSurprise20: selectiveAccuracy(pred, test.labels, surprise, 0.2),
      firstLoss: first,
      lastLoss: last,
    };
    void val;
    return report;
  } finally {
    model.dispose();
  }
}

export function formatDemo(r: DemoReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return [
    `training: ${r.epochs} epochs in ${r.trainSeconds.toFixed(1)} s (${r.trainRowsPerSec.toFixed(0)} rows/s); loss ${r.firstLoss.toFixed(4)} -> ${r.lastLoss.toFixed(4)}`,
    `embedding: ${r.embedRowsPerSec.toFixed(0)} rows/s`,
    `linear probe on embeddings (test): ${pct(r.probeAccuracy)} (chance ${pct(r.chance)}, raw features ${pct(r.rawProbeAccuracy)})`,
    `  dropping the 20% most uncertain rows (posterior std): ${pct(r.probeAccuracyDrop20)}`,
    `  dropping the 20% most surprising rows (relative surprise, ${r.surpriseViews} context views): ${pct(r.probeAccuracyDropSurprise20)}`,
    `row ambiguity vs relative surprise: Spearman ${r.surpriseAmbiguitySpearman.toFixed(3)} (plain surprise ${r.plainSurpriseAmbiguitySpearman.toFixed(3)}); vs posterior std: ${r.uncertaintyAmbiguitySpearman.toFixed(3)}`,
  ].join('\n');
}
