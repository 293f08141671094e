// `varjepa fit <table>`: read a table, split it (70/10/20, seeded), fit the preprocessor on the
// training rows, train Var-T-JEPA (with online probe selection when a class target is given),
// save the model with its preprocessor and history.
import * as path from 'path';

import { prepareDataset } from '../data/split';
import { preset, PRESET_NAMES, type PresetName } from '../model/options';
import { BatchTooLargeError } from '../model/memory';
import { recipe } from '../model/recipe';
import type { VarTJepaFitResult as FitResult } from '../model/fit-types';
import { VarTJepa } from '../model/vartjepa';
import { Progress, formatSeconds } from '../progress';
import { LinearProbe } from '../eval/linear-probe';
import { majorityClassAccuracy, rawFeatureProbeAccuracy } from '../eval/baselines';
import { packageVersion } from '../native';
import { writeReport, type ReportInput } from '../report/html';
import { UserError } from './table-model';
import type { DeviceOption } from '../model/options';

export interface FitCommandOptions {
  /** Where the model runs: 'auto' | 'cpu' | 'cuda' (default: 'auto'). */
  device?: DeviceOption;

  target?: string;
  /** A Table 7 row, or 'auto': the recipe (lib/model/recipe.ts). */
  preset: string;
  epochs: number;
  /** A time budget for training, in seconds. */
  maxSeconds?: number;
  out: string;
  seed: number;
  batchSize?: number;
  quiet?: boolean;
  /** Write the HTML training report here. */
  report?: string;
}

export interface FitCommandReport {
  table: string;
  out: string;
  rows: { train: number; validation: number; test: number };
  features: number;
  epochs: number;
  seconds: number;
  finalLoss: number;
  best?: FitResult['best'];
  /** The recipe's reasoning, with --preset auto. */
  recipe?: string;
  stopReason: FitResult['stopReason'];
  diagnostics?: FitResult['diagnostics'];
}

/** The model; a batch too large for this machine is the user's to change: named by its flag. */
function buildModel(features: ConstructorParameters<typeof VarTJepa>[0]['features'], opts: ConstructorParameters<typeof VarTJepa>[1]): VarTJepa {
  try {
    return new VarTJepa({ features }, opts);
  } catch (e) {
    if (!(e instanceof BatchTooLargeError)) throw e;
    throw new UserError(`--batch-size: ${e.reason}; ${e.fits !== undefined ? `--batch-size ${e.fits} fits (or --preset auto)` : 'use fewer or narrower features'}`);
  }
}

export async function runFit(table: string, o: FitCommandOptions): Promise<FitCommandReport> {
  if (o.preset !== 'auto' && !PRESET_NAMES.includes(o.preset as PresetName)) {
    throw new UserError(`Expected 'auto' or one of ${PRESET_NAMES.map((p) => `'${p}'`).join(', ')} for --preset but received '${o.preset}'`);
  }
  const progress = new Progress({ quiet: o.quiet });
  progress.update(`reading ${table}`, true);
  const data = await prepareDataset(table, { target: o.target, seed: o.seed });
  const features = data.schema.features.map((f) => ({ name: f.name, kind: f.kind, categories: f.kind === 'categorical' ? f.categories : undefined }));
  const chosen = o.preset === 'auto' ? recipe({ features }, data.train.rows) : null;
  if (chosen) progress.update(`recipe: ${chosen.why}`, true);
  const opts = { ...(chosen ? chosen.options : preset(o.preset as PresetName)), seed: o.seed, ...(o.batchSize ? { batchSize: o.batchSize } : {}), ...(o.device ? { device: o.device } : {}) };
  const model = buildModel(features, opts);
  try {
    const labels = data.train.labels, vLabels = data.validation.labels;
    const select = o.target !== undefined && labels instanceof Int32Array && vLabels instanceof Int32Array && data.validation.rows > 0 && labels.every((l) => l >= 0) && vLabels.every((l) => l >= 0);
    const t0 = Date.now();
    const res = await model.fit(
      { x: data.train.x, rows: data.train.rows },
      {
        epochs: o.epochs,
        ...(o.maxSeconds !== undefined ? { maxSeconds: o.maxSeconds } : {}),
        ...(select ? { labels: labels as Int32Array, validation: { data: { x: data.validation.x, rows: data.validation.rows }, labels: vLabels as Int32Array } } : {}),
        onProgress: (p) =>
          progress.update(
            `fit ${Progress.bar(p.step / p.totalSteps)} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.totalSteps} loss ${p.loss.total.toFixed(4)} ` +
              `(rec ${p.loss.rec.toFixed(3)} gen ${p.loss.gen.toFixed(3)} klSx ${p.loss.klSx.toFixed(2)} klZ ${p.loss.klZ.toFixed(2)} klSy ${p.loss.klSy.toFixed(2)}) ` +
              `${p.rowsPerSec.toFixed(0)} rows/s eta ${formatSeconds(p.etaSec)}`,
          ),
        onEpoch: (e) =>
          progress.update(`epoch ${e.epoch}: loss ${e.loss.total.toFixed(4)}${e.probe ? `, probe ${(100 * e.probe.accuracy).toFixed(1)}%` : ''}`, true),
      },
    );
    progress.done();
    await model.save(o.out, { history: res.history, preprocessor: data.preprocessor.toJSON() });
    if (o.report) {
      progress.update('writing the report', true);
      const input: ReportInput = {
        table,
        history: res.history,
        ...(res.best ? { best: res.best } : {}),
        options: { ...model.getConfig().options },
        version: packageVersion(),
        date: new Date(),
        facts: {
          'wall time (training, probes, saving)': `${((Date.now() - t0) / 1000).toFixed(1)} s`, model: path.basename(o.out), preset: chosen ? `auto: ${chosen.why}` : o.preset, epochs: res.epochs, 'train rows': data.train.rows, features: features.length,
          ...(res.diagnostics ? { 'embedding spread': res.diagnostics.embeddingSpread.toPrecision(3), ...(res.diagnostics.uncertaintyCV !== undefined ? { 'uncertainty CV': `${(100 * res.diagnostics.uncertaintyCV).toPrecision(3)}%` } : {}), ...(res.diagnostics.warnings.length ? { warnings: res.diagnostics.warnings.join(' ') } : {}) } : {}),
        },
      };
      if (data.test.rows > 0) {
        const te = await model.embed({ x: data.test.x, rows: data.test.rows });
        input.uncertainty = te.uncertainty;
        const tl = data.test.labels;
        if (select && tl instanceof Int32Array && tl.every((l) => l >= 0)) {
          const n = Math.min(data.train.rows, 10000);
          const D = features.length;
          const tr = await model.embed({ x: data.train.x.subarray(0, n * D), rows: n });
          const classes = Math.max(...Array.from(labels as Int32Array), ...Array.from(tl)) + 1;
          const probe = LinearProbe.fit(tr.embeddings, n, (labels as Int32Array).subarray(0, n), classes);
          input.heldOut = { pred: probe.predict(te.embeddings, te.rows), labels: tl, uncertainty: te.uncertainty };
          // the same training rows and test rows as the probe on the embeddings above
          const trainRaw = { x: data.train.x.subarray(0, n * D), rows: n };
          input.baselines = {
            'majority class': majorityClassAccuracy(labels as Int32Array, tl),
            'raw features (linear probe)': rawFeatureProbeAccuracy(data.schema, trainRaw, (labels as Int32Array).subarray(0, n), { x: data.test.x, rows: data.test.rows }, tl, classes),
          };
        }
      }
      writeReport(o.report, input);
    }
    return {
      table,
      out: o.out,
      rows: { train: data.train.rows, validation: data.validation.rows, test: data.test.rows },
      features: features.length,
      epochs: res.epochs,
      seconds: (Date.now() - t0) / 1000,
      finalLoss: res.history[res.history.length - 1].loss.total,
      best: res.best,
      ...(chosen ? { recipe: chosen.why } : {}),
      stopReason: res.stopReason,
      ...(res.diagnostics ? { diagnostics: res.diagnostics } : {}),
    };
  } finally {
    model.dispose();
  }
}

export function formatFit(r: FitCommandReport): string {
  return [
    `trained on ${r.rows.train} rows (${r.rows.validation} validation, ${r.rows.test} test held out), ${r.features} features, ${r.epochs} epochs in ${r.seconds.toFixed(1)} s`,
    `final loss ${r.finalLoss.toFixed(4)}${r.best ? `; best probe at epoch ${r.best.epoch}: ${(100 * r.best.accuracy).toFixed(1)}% (${(100 * (r.best.selectiveAccuracy ?? r.best.accuracy)).toFixed(1)}% with the 20% most uncertain dropped)` : ''}`,
    ...(r.recipe ? [`recipe: ${r.recipe}`] : []),
    ...(r.stopReason !== 'epochs' ? [`stopped early: ${r.stopReason === 'budget' ? 'the time budget' : 'the online selection saw no improvement'}`] : []),
    ...(r.diagnostics ? [`embeddings: spread ${r.diagnostics.embeddingSpread.toPrecision(3)}${r.diagnostics.uncertaintyCV !== undefined ? `; uncertainty varies by ${(100 * r.diagnostics.uncertaintyCV).toPrecision(3)}% across rows (coefficient of variation)` : ''}`] : []),
    ...(r.diagnostics?.warnings ?? []).map((w) => `warning: ${w}`),
    `saved ${r.out}`,
  ].join('\n');
}
