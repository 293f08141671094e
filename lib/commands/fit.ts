// `varjepa fit <table>`: read a table, split it (70/10/20, seeded), fit the preprocessor on the
// training rows, train Var-T-JEPA (with online probe selection when a class target is given),
// save the model with its preprocessor and history.
import * as fs from 'fs';
import * as nodePath from 'path';

import type { Preprocessor } from '../data/preprocess';
import { readTable } from '../data/sources';
import { prepareTable } from '../data/split';
import { PREPROCESS_DEFAULTS, SCALINGS, type ColumnKind } from '../data/schema';
import type { Scaling } from '../data/types';
import { preset, PRESET_NAMES, type PresetName } from '../model/options';
import { BatchTooLargeError } from '../model/memory';
import type { HeadMeta } from '../model/head';
import { recipe } from '../model/recipe';
import type { VarTJepaFitResult as FitResult } from '../model/fit-types';
import { VarTJepa } from '../model/vartjepa';
import { Progress, formatSeconds } from '../progress';
import { LinearProbe } from '../eval/linear-probe';
import { majorityClassAccuracy, rawFeatureProbeAccuracy } from '../eval/baselines';
import { packageVersion } from '../native';
import { writeReport, type ReportInput } from '../report/html';
import { UserError } from './errors';
import { choiceFlag, delimiterFlag, deviceOption, listFlag, outputFile, plural, positiveInt, seedFlag } from './flags';
import type { DeviceOption } from '../model/options';

/** The flags of `varjepa fit` as commander hands them over (strings, unchecked). */
export interface FitFlags {
  target?: string; preset: string; epochs: string; maxSeconds?: string; batchSize?: string; seed: string; out: string;
  checkpoint?: string; resume?: string; columns?: string; ignore?: string; categorical?: string; numeric?: string;
  scaling: string; delimiter: string; missingValues?: string; report?: string; device?: string; json?: boolean; quiet?: boolean;
}

/** Checks every flag of `varjepa fit` (messages name the flag) and every output path, before any work. */
export function fitOptions(o: FitFlags): FitCommandOptions {
  const list = (flag: string, v: string | undefined) => (v === undefined ? undefined : listFlag(flag, v));
  const out = outputFile('--out', o.out);
  const report = o.report === undefined ? undefined : outputFile('--report', o.report);
  const checkpoint = o.checkpoint === undefined ? undefined : outputFile('--checkpoint', o.checkpoint);
  for (const [flag, path] of [['--report', report], ['--checkpoint', checkpoint], ['--resume', o.resume]] as const) {
    if (path !== undefined && nodeResolve(path) === nodeResolve(out)) throw new UserError(`${flag}: '${path}' is also the model file (--out); name another file`);
  }
  if (o.columns !== undefined && o.target === undefined) throw new UserError('--columns: name the --target too (the columns are the features beside it), or use --ignore');
  return {
    target: o.target,
    preset: o.preset === 'auto' ? 'auto' : choiceFlag('--preset', o.preset, ['auto', ...PRESET_NAMES]),
    epochs: positiveInt('--epochs', o.epochs, 1e6),
    maxSeconds: o.maxSeconds === undefined ? undefined : positiveInt('--max-seconds', o.maxSeconds, 1e8),
    batchSize: o.batchSize === undefined ? undefined : positiveInt('--batch-size', o.batchSize, 65536),
    seed: seedFlag('--seed', o.seed),
    out,
    checkpoint,
    resume: o.resume,
    columns: list('--columns', o.columns),
    ignore: list('--ignore', o.ignore),
    categorical: list('--categorical', o.categorical),
    numeric: list('--numeric', o.numeric),
    scaling: choiceFlag('--scaling', o.scaling, SCALINGS),
    delimiter: delimiterFlag(o.delimiter),
    missingValues: list('--missing-values', o.missingValues),
    report,
    device: deviceOption(o.device),
    quiet: o.quiet || o.json,
  };
}

const nodeResolve = (p: string) => nodePath.resolve(p);

/** Every name in `names` must be a column of the table; the message names the flag. */
function checkColumns(flag: string, names: string[] | undefined, columns: string[]): void {
  for (const n of names ?? []) {
    if (!columns.includes(n)) throw new UserError(`${flag}: the table has no column '${n}'; its columns are ${columns.map((c) => `'${c}'`).join(', ')}`);
  }
}


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
  /** Write a checkpoint here every epoch and on Ctrl-C (default on Ctrl-C: `<out>.checkpoint`). */
  checkpoint?: string;
  /** Continue from this checkpoint. */
  resume?: string;
  /** The features (besides the target); the other columns are ignored. */
  columns?: string[];
  /** Columns left out. */
  ignore?: string[];
  /** Columns forced categorical or numeric. */
  categorical?: string[];
  numeric?: string[];
  scaling?: Scaling;
  /** One character, or 'auto'. */
  delimiter?: string;
  /** Extra cell texts that mean "missing". */
  missingValues?: string[];
  /** Stops training (the CLI's Ctrl-C); a checkpoint is written first. */
  signal?: AbortSignal;
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
  /** With a class target: the validation accuracy of always answering the training rows' most frequent class (what the probe's accuracy is compared with). */
  majorityRate?: number;
  /** The checkpoint kept (with --checkpoint). */
  checkpoint?: string;
  /** With a class target: the prediction head saved in the model file (`varjepa predict`). */
  head?: { validationAccuracy: number; classes: number };
  /** The recipe's reasoning, with --preset auto. */
  recipe?: string;
  stopReason: FitResult['stopReason'];
  diagnostics?: FitResult['diagnostics'];
}

/** The model; a batch too large for this machine is the user's to change: named by its flag. */
function buildModel(pre: Preprocessor, opts: ConstructorParameters<typeof VarTJepa>[1]): VarTJepa {
  try {
    return new VarTJepa(pre, opts);
  } catch (e) {
    if (!(e instanceof BatchTooLargeError)) throw e;
    throw new UserError(`--batch-size: ${e.reason}; ${e.fits !== undefined ? `--batch-size ${e.fits} fits (or --preset auto)` : 'use fewer or narrower features'}`);
  }
}

export async function runFit(table: string, o: FitCommandOptions): Promise<FitCommandReport> {
  if (o.preset !== 'auto' && !PRESET_NAMES.includes(o.preset as PresetName)) choiceFlag('--preset', o.preset, ['auto', ...PRESET_NAMES]);
  const progress = new Progress({ quiet: o.quiet });
  progress.update(`reading ${table}`, true);
  const raw = await readTable(table, { delimiter: o.delimiter ?? 'auto' });
  const names = raw.columns.map((c) => c.name);
  if (o.target !== undefined) checkColumns('--target', [o.target], names);
  checkColumns('--columns', o.columns, names);
  checkColumns('--ignore', o.ignore, names);
  checkColumns('--categorical', o.categorical, names);
  checkColumns('--numeric', o.numeric, names);
  const both = (o.categorical ?? []).find((c) => o.numeric?.includes(c));
  if (both !== undefined) throw new UserError(`--categorical and --numeric both name '${both}'`);
  const ignore = [...(o.ignore ?? []), ...(o.columns ? names.filter((c) => c !== o.target && !o.columns!.includes(c)) : [])];
  if (o.target !== undefined && ignore.includes(o.target)) throw new UserError(`--ignore names the --target '${o.target}'`);
  const kinds: Record<string, ColumnKind> = Object.fromEntries([...(o.categorical ?? []).map((c) => [c, 'categorical']), ...(o.numeric ?? []).map((c) => [c, 'numeric'])]);
  // without a target nothing is held out: every row trains (no selection, no test accuracy)
  const data = prepareTable(raw, {
    target: o.target, seed: o.seed, ignore, kinds, scaling: o.scaling,
    ...(o.missingValues ? { missingValues: [...PREPROCESS_DEFAULTS.missingValues, ...o.missingValues] } : {}),
    ...(o.target === undefined ? { fractions: [1, 0, 0] as const } : {}),
  });
  const features = data.schema.features.map((f) => ({ name: f.name, kind: f.kind, categories: f.kind === 'categorical' ? f.categories : undefined }));
  const chosen = o.preset === 'auto' ? recipe({ features }, data.train.rows) : null;
  if (chosen) progress.update(`recipe: ${chosen.why}`, true);
  const opts = { ...(chosen ? chosen.options : preset(o.preset as PresetName)), seed: o.seed, ...(o.batchSize ? { batchSize: o.batchSize } : {}), ...(o.device ? { device: o.device } : {}) };
  const model = buildModel(data.preprocessor, opts);
  try {
    const labels = data.train.labels, vLabels = data.validation.labels;
    const select = o.target !== undefined && labels instanceof Int32Array && vLabels instanceof Int32Array && data.validation.rows > 0 && labels.every((l) => l >= 0) && vLabels.every((l) => l >= 0);
    const t0 = Date.now();
    let head: HeadMeta | undefined;
    // Ctrl-C stops between steps and writes a checkpoint first; a second Ctrl-C ends at once
    const checkpoint = o.checkpoint ?? `${o.out}.checkpoint`;
    const interrupt = new AbortController();
    const onSigint = () => {
      process.off('SIGINT', onSigint);
      const e = new Error(`interrupted: the run so far is in the checkpoint '${checkpoint}'; continue it with: varjepa fit ${table} --resume ${checkpoint} (and the same flags)`);
      e.name = 'AbortError';
      interrupt.abort(e);
    };
    process.on('SIGINT', onSigint);
    const signal = o.signal ? AbortSignal.any([o.signal, interrupt.signal]) : interrupt.signal;
    const res = await model.fit(
      { x: data.train.x, rows: data.train.rows },
      {
        epochs: o.epochs,
        signal,
        // without --checkpoint the checkpoint is kept only when the run is interrupted
        checkpoint: { path: checkpoint, every: o.checkpoint ? 1 : 1e6 },
        ...(o.resume !== undefined ? { resume: o.resume } : {}),
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
    ).finally(() => process.off('SIGINT', onSigint));
    progress.done();
    if (select) {
      // the head `varjepa predict` answers with, saved in the same file
      progress.update('fitting the prediction head (MLP probe on the embeddings)', true);
      head = await model.fitHead({ x: data.train.x, rows: data.train.rows }, {
        labels: labels as Int32Array, validation: { data: { x: data.validation.x, rows: data.validation.rows }, labels: vLabels as Int32Array },
        classNames: data.schema.target?.classes ? [...data.schema.target.classes] : undefined,
      });
    }
    await model.save(o.out, { history: res.history });
    if (o.checkpoint === undefined) fs.rmSync(checkpoint, { force: true });
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
          'wall time (training, probes, saving)': `${((Date.now() - t0) / 1000).toFixed(1)} s`, model: nodePath.basename(o.out), preset: chosen ? `auto: ${chosen.why}` : o.preset, epochs: res.epochs, 'train rows': data.train.rows, features: features.length,
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
      ...(select ? { majorityRate: majorityClassAccuracy(labels as Int32Array, vLabels as Int32Array) } : {}),
      ...(head ? { head: { validationAccuracy: head.validationAccuracy, classes: head.classes } } : {}),
      ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
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
    `trained on ${plural(r.rows.train, 'row')}${r.rows.validation + r.rows.test > 0 ? ` (${r.rows.validation} validation, ${r.rows.test} test held out)` : ' (no target: every row trains)'}, ${plural(r.features, 'feature')}, ${plural(r.epochs, 'epoch')} in ${r.seconds.toFixed(1)} s`,
    `final loss ${r.finalLoss.toFixed(4)}${r.best ? `; best probe at epoch ${r.best.epoch}: validation accuracy ${(100 * r.best.accuracy).toFixed(1)}% (always guessing the most frequent class: ${(100 * (r.majorityRate ?? NaN)).toFixed(1)}%; ${(100 * (r.best.selectiveAccuracy ?? r.best.accuracy)).toFixed(1)}% with the 20% most uncertain dropped)` : ''}`,
    ...(r.recipe ? [`recipe: ${r.recipe}`] : []),
    ...(r.stopReason !== 'epochs' ? [`stopped early: ${r.stopReason === 'budget' ? 'the time budget' : 'the online selection saw no improvement'}`] : []),
    ...(r.diagnostics ? [`embeddings: spread ${r.diagnostics.embeddingSpread.toPrecision(3)}${r.diagnostics.uncertaintyCV !== undefined ? `; uncertainty varies by ${(100 * r.diagnostics.uncertaintyCV).toPrecision(3)}% across rows (coefficient of variation)` : ''}`] : []),
    ...(r.diagnostics?.warnings ?? []).map((w) => `warning: ${w}`),
    ...(r.head ? [`prediction head (MLP probe on the embeddings): validation accuracy ${(100 * r.head.validationAccuracy).toFixed(1)}% (always guessing the most frequent class: ${(100 * (r.majorityRate ?? NaN)).toFixed(1)}%); 'varjepa predict' answers with it`] : []),
    `saved ${r.out}${r.checkpoint ? ` (checkpoint ${r.checkpoint})` : ''}`,
  ].join('\n');
}
