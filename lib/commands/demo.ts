// `varjepa demo`: what the model is good for, on a built-in table, measured against the obvious
// baseline each time and said in plain words. Generates the SIM-like table (lib/sim.ts: 28
// numeric and 4 categorical features, 3 classes, a known per-row ambiguity), pretrains
// Var-T-JEPA on 80% of the rows without their labels, and on the held-out 20% measures:
//   - few labels: a linear model given 50 or 200 labelled rows, on the embeddings vs on the raw
//     features (mean over 5 random draws of the labelled rows), and with every label;
//   - flagging doubtful rows: the rows the model finds most surprising (the relative surprise
//     over 16 context views) against the rows' true ambiguity, and the accuracy on the rest;
//   - filling blanks: 10% of the cells blanked at random, filled by the model (mean or most
//     frequent of 20 draws) vs by the training median / most frequent value;
//   - speed: training and embedding rows per second.
import { majorityClassAccuracy } from '../eval/baselines';
import { LinearProbe } from '../eval/linear-probe';
import { selectiveAccuracy } from '../eval/metrics-classification';
import { spearman } from '../eval/metrics';
import { relativeSurprise, surpriseReference } from '../eval/surprise';
import type { VarTJepaFitProgress as FitProgress } from '../model/fit-types';
import { Rng } from '../model/random';
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

/** Accuracy of a linear model with some labelled rows: on the embeddings and on the raw features. */
export interface FewLabels {
  labels: number;
  embeddings: number;
  raw: number;
}

/** What the demo measured. */
export interface DemoReport {
  rows: number;
  features: number;
  classes: number;
  epochs: number;
  trainSeconds: number;
  trainRowsPerSec: number;
  embedRowsPerSec: number;
  firstLoss: number;
  lastLoss: number;
  /** Always answering the training rows' most frequent class, on the test rows. */
  majorityRate: number;
  /** Mean over 5 draws of the labelled rows, for each label count; the last is every training label. */
  fewLabels: FewLabels[];
  /** Context views and reference rows behind the relative surprise. */
  surpriseViews: number;
  surpriseReferenceRows: number;
  /** Spearman correlation of the relative surprise with the rows' true ambiguity (0 = unrelated, 1 = same order). */
  surpriseAmbiguitySpearman: number;
  /** Mean true ambiguity of the 20% most surprising test rows, and of the other 80%. */
  ambiguityFlagged: number;
  ambiguityRest: number;
  /** Accuracy of the linear model on the embeddings (every label) on all test rows, and without the 20% most surprising. */
  accuracyAll: number;
  accuracyUnflagged: number;
  /** The same for the posterior standard deviation instead of the surprise (reported, not chosen). */
  stdAmbiguitySpearman: number;
  /** Blanked cells (10% of the test cells) and the errors of each fill: mean absolute error of numeric cells on the [0, 1] scale, share of categorical cells wrong. */
  imputation: { cells: number; numericModel: number; numericMedian: number; categoricalModel: number; categoricalMode: number };
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

/** Labelled rows given to the linear model in the few-labels comparison. */
export const DEMO_FEW_LABELS = [50, 200] as const;
/** Random draws of the labelled rows averaged for each count. */
export const DEMO_LABEL_DRAWS = 5;
/** Share of the test cells blanked for the imputation comparison, and draws per blank. */
export const DEMO_BLANK_SHARE = 0.1;
export const DEMO_DRAWS = 20;

export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const progress = new Progress({ quiet: options.quiet });
  const epochs = options.epochs ?? DEMO_EPOCHS;
  const seed = options.seed ?? 0;
  const sim = simTable({ rows: options.rows ?? 6000, seed });
  const D = sim.schema.features.length;
  const K = sim.classes;
  progress.log(`varjepa demo: a generated table of ${sim.rows} rows, ${D} columns (28 numbers, 4 categories) and a class of 3 to predict; the model learns from the columns alone (no labels) on 80% of the rows, and is tested on the other 20%`);
  const nTrain = Math.floor(sim.rows * 0.8);
  const take = (lo: number, hi: number) => ({ x: sim.x.slice(lo * D, hi * D), rows: hi - lo, labels: sim.labels.slice(lo, hi), amb: sim.ambiguity.slice(lo, hi) });
  const train = take(0, nTrain), test = take(nTrain, sim.rows);
  const model = new VarTJepa(sim.schema, { ...DEMO_MODEL, seed, ...options.model });
  try {
    let first = NaN, last = NaN;
    const t0 = Date.now();
    await model.fit(train, {
      epochs,
      onProgress: (p: FitProgress) => {
        if (Number.isNaN(first)) first = p.loss.total;
        last = p.loss.total;
        progress.update(`training ${Progress.bar(p.step / p.totalSteps)} epoch ${p.epoch}/${p.epochs} loss ${p.loss.total.toFixed(4)} ${p.rowsPerSec.toFixed(0)} rows/s eta ${formatSeconds(p.etaSec)}`);
      },
      // finished epochs stay on the terminal
      onEpoch: (e) => progress.update(`epoch ${e.epoch}/${epochs}: loss ${e.loss.total.toFixed(4)}, ${e.rowsPerSec.toFixed(0)} rows/s`, true),
    });
    const trainSeconds = (Date.now() - t0) / 1000;
    progress.done();
    const te = Date.now();
    const embTrain = await model.embed(train);
    const embTest = await model.embed(test, { onProgress: (d, t) => progress.update(`embedding ${Progress.bar(d / t)} ${d}/${t}`) });
    const embedSeconds = (Date.now() - te) / 1000;
    progress.done();
    const dim = embTrain.dim;

    // few labels: the same random labelled rows for both inputs
    const accuracyWith = (x: Float32Array, F: number, idx: Int32Array, tx: Float32Array) => {
      const sub = new Float32Array(idx.length * F);
      idx.forEach((r, i) => sub.set(x.subarray(r * F, (r + 1) * F), i * F));
      const probe = LinearProbe.fit(sub, idx.length, Int32Array.from(idx, (r) => train.labels[r]), K);
      return selectiveAccuracy(probe.predict(tx, test.rows), test.labels, null, 0);
    };
    const fewLabels: FewLabels[] = [];
    for (const n of DEMO_FEW_LABELS) {
      let e = 0, r = 0;
      for (let k = 0; k < DEMO_LABEL_DRAWS; k++) {
        const idx = new Rng(seed * 1000 + n * 10 + k).shuffle(Int32Array.from({ length: train.rows }, (_, i) => i)).subarray(0, n);
        e += accuracyWith(embTrain.embeddings, dim, idx, embTest.embeddings);
        r += accuracyWith(train.x, D, idx, test.x);
      }
      fewLabels.push({ labels: n, embeddings: e / DEMO_LABEL_DRAWS, raw: r / DEMO_LABEL_DRAWS });
    }
    const every = Int32Array.from({ length: train.rows }, (_, i) => i);
    const probe = LinearProbe.fit(embTrain.embeddings, train.rows, train.labels, K);
    const pred = probe.predict(embTest.embeddings, test.rows);
    fewLabels.push({ labels: train.rows, embeddings: selectiveAccuracy(pred, test.labels, null, 0), raw: accuracyWith(train.x, D, every, test.x) });

    // flagging doubtful rows: the relative surprise of 16 context views of half the row
    const views = { views: DEMO_VIEWS, viewFraction: 0.5, featureSurprise: true };
    const refRows = Math.min(DEMO_REFERENCE_ROWS, train.rows);
    const reference = surpriseReference(await model.embed({ x: train.x.subarray(0, refRows * D), rows: refRows }, views));
    const viewed = await model.embed(test, { ...views, onProgress: (d, t) => progress.update(`surprise ${Progress.bar(d / t)} ${d}/${t}`) });
    progress.done();
    const surprise = relativeSurprise(viewed, reference);
    const order = Array.from({ length: test.rows }, (_, i) => i).sort((a, b) => surprise[b] - surprise[a]);
    const flagged = Math.round(0.2 * test.rows);
    const mean = (idx: number[]) => idx.reduce((s, i) => s + test.amb[i], 0) / Math.max(idx.length, 1);

    // filling blanks: 10% of the test cells, each row keeps at least one cell
    const rng = new Rng(seed * 7919 + 17);
    const observed = new Uint8Array(test.rows * D).fill(1);
    let cells = 0;
    for (let i = 0; i < test.rows * D; i++) if (rng.next() < DEMO_BLANK_SHARE) (observed[i] = 0), cells++;
    const gen = await model.generate(test, observed, { draws: DEMO_DRAWS, seed });
    const fill = baselineFill(train.x, train.rows, D, sim.schema.features.map((f) => f.kind === 'categorical'));
    let numM = 0, numB = 0, nNum = 0, catM = 0, catB = 0, nCat = 0;
    for (let r = 0; r < test.rows; r++) {
      for (let j = 0; j < D; j++) {
        if (observed[r * D + j]) continue;
        const truth = test.x[r * D + j];
        const draws = Array.from({ length: DEMO_DRAWS }, (_, d) => gen.values[(d * test.rows + r) * D + j]);
        if (sim.schema.features[j].kind === 'categorical') {
          const counts = new Map<number, number>();
          for (const v of draws) counts.set(v, (counts.get(v) ?? 0) + 1);
          const mode = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
          catM += mode === truth ? 0 : 1;
          catB += fill[j] === truth ? 0 : 1;
          nCat++;
        } else {
          numM += Math.abs(draws.reduce((a, b) => a + b, 0) / DEMO_DRAWS - truth);
          numB += Math.abs(fill[j] - truth);
          nNum++;
        }
      }
    }
    return {
      rows: sim.rows, features: D, classes: K, epochs, trainSeconds,
      trainRowsPerSec: (train.rows * epochs) / trainSeconds,
      embedRowsPerSec: (train.rows + test.rows) / embedSeconds,
      firstLoss: first, lastLoss: last,
      majorityRate: majorityClassAccuracy(train.labels, test.labels),
      fewLabels,
      surpriseViews: DEMO_VIEWS, surpriseReferenceRows: refRows,
      surpriseAmbiguitySpearman: spearman(surprise, test.amb),
      ambiguityFlagged: mean(order.slice(0, flagged)), ambiguityRest: mean(order.slice(flagged)),
      accuracyAll: fewLabels[fewLabels.length - 1].embeddings,
      accuracyUnflagged: selectiveAccuracy(pred, test.labels, surprise, 0.2),
      stdAmbiguitySpearman: spearman(embTest.uncertainty, test.amb),
      imputation: { cells, numericModel: numM / Math.max(nNum, 1), numericMedian: numB / Math.max(nNum, 1), categoricalModel: catM / Math.max(nCat, 1), categoricalMode: catB / Math.max(nCat, 1) },
    };
  } finally {
    model.dispose();
  }
}

/** Each column's training median (numbers) or most frequent code (categories). */
function baselineFill(x: Float32Array, rows: number, D: number, categorical: boolean[]): number[] {
  return categorical.map((cat, j) => {
    const col = Float64Array.from({ length: rows }, (_, r) => x[r * D + j]);
    if (!cat) {
      col.sort();
      return rows % 2 ? col[(rows - 1) / 2] : (col[rows / 2 - 1] + col[rows / 2]) / 2;
    }
    const counts = new Map<number, number>();
    for (const v of col) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  });
}

/** The report in plain sentences, each with its baseline; a result that goes the wrong way is said so. */
export function formatDemo(r: DemoReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const lines = [
    `Learned from ${r.rows * 0.8} rows without labels in ${r.trainSeconds.toFixed(0)} s (${r.epochs} passes over the rows, ${r.trainRowsPerSec.toFixed(0)} rows/s); turns rows into embeddings at ${r.embedRowsPerSec.toFixed(0)} rows/s.`,
    '',
    `Few labels. Guessing the most frequent class is right ${pct(r.majorityRate)} of the time.`,
  ];
  for (const f of r.fewLabels) {
    const who = f.labels === r.fewLabels[r.fewLabels.length - 1].labels ? `every one of the ${f.labels} training labels` : `${f.labels} labelled rows`;
    const verdict = f.embeddings > f.raw + 0.005 ? 'the embeddings help' : f.embeddings < f.raw - 0.005 ? 'the embeddings do worse than the raw columns' : 'the embeddings make no difference';
    lines.push(`  With ${who}, a linear model on the embeddings is right ${pct(f.embeddings)} of the time, on the raw columns ${pct(f.raw)}: ${verdict}.`);
  }
  if (!r.fewLabels.some((f) => f.embeddings > f.raw + 0.005)) lines.push("  This demo's model is small and trained for a minute; on the paper's tables a larger one trained longer does beat the raw columns with 1% and 5% of the labels on six of seven (docs/findings.md in the repository).");
  const flagWorks = r.ambiguityFlagged > r.ambiguityRest;
  lines.push(
    '',
    `Flagging doubtful rows. The model marks the 20% of test rows it finds most surprising (how badly random halves of a row predict the other half, each column against its usual surprise).`,
    `  The generator knows how ambiguous each row really is (0 = clearly one class): the flagged rows average ${r.ambiguityFlagged.toFixed(2)}, the others ${r.ambiguityRest.toFixed(2)}, ${flagWorks ? 'so the flags pick out genuinely ambiguous rows' : 'so the flags do not pick out the ambiguous rows'} (rank correlation ${r.surpriseAmbiguitySpearman.toFixed(2)}, where 0 would mean unrelated).`,
    `  Setting the flagged rows aside, the linear model is right ${pct(r.accuracyUnflagged)} of the time on the rest, against ${pct(r.accuracyAll)} on all rows${r.accuracyUnflagged > r.accuracyAll ? '' : ': setting them aside does not help here'}.`,
    '',
    `Filling blanks. ${r.imputation.cells} of the test cells (${pct(DEMO_BLANK_SHARE)}) were blanked and filled from the rest of each row.`,
    `  Numbers: off by ${r.imputation.numericModel.toFixed(3)} on average (on each column's 0-1 scale), against ${r.imputation.numericMedian.toFixed(3)} for the training median: ${r.imputation.numericModel < r.imputation.numericMedian ? 'better than the median' : 'no better than the median'}.`,
    `  Categories: wrong ${pct(r.imputation.categoricalModel)} of the time, against ${pct(r.imputation.categoricalMode)} for the most frequent value: ${r.imputation.categoricalModel < r.imputation.categoricalMode ? 'better than the most frequent value' : 'no better than the most frequent value'}.`,
  );
  return lines.join('\n');
}
