// `varjepa evaluate <model> <table> --target col`: embed a labelled table with a saved model,
// split it (70/10/20, seeded, stratified), fit a linear probe on the training part and report
// test accuracy, macro-F1 and selective accuracy with the most uncertain rows dropped.
import { readTable } from '../data/sources';
import { splitRows } from '../data/split';
import { majorityClassAccuracy } from '../eval/baselines';
import { LinearProbe } from '../eval/linear-probe';
import { selectiveAccuracy } from '../eval/metrics-classification';
import { macroF1 } from '../eval/metrics-classification';
import { UserError } from './errors';
import { openModel } from './table-model';
import type { DeviceOption } from '../model/options';

export interface EvaluateReport {
  rows: { train: number; test: number };
  classes: number;
  /** The label column (given, or the model's own target). */
  target: string;
  accuracy: number;
  /** What always guessing the most frequent training class scores on the test rows. */
  majorityRate: number;
  macroF1: number;
  selective: Array<{ dropped: number; accuracy: number }>;
}

export async function runEvaluate(modelPath: string, table: string, o: { target?: string; seed: number; delimiter?: string; device?: DeviceOption }): Promise<EvaluateReport> {
  const { model, preprocessor } = await openModel(modelPath, o.device);
  try {
    const target = preprocessor.schema.target;
    if (!target) throw new UserError(`The model '${modelPath}' was fitted without a target: evaluate needs a model from 'varjepa fit --target <col>'`);
    if (o.target !== undefined && target.name !== o.target) {
      throw new UserError(`--target: the model was fitted with target '${target.name}', not '${o.target}'; omit --target to use it, or run 'varjepa fit --target ${o.target}' first`);
    }
    if (target.task !== 'classification' || !target.classes) throw new UserError(`The model's target '${target.name}' is not a class column: evaluate reports classification accuracy`);
    const raw = await readTable(table, { delimiter: o.delimiter ?? 'auto' });
    if (!raw.columns.some((c) => c.name === target.name)) {
      throw new UserError(`The target column '${target.name}' is not in ${table}; its columns are ${raw.columns.map((c) => `'${c.name}'`).join(', ')}`);
    }
    const enc = preprocessor.transform(raw);
    const labels = enc.labels as Int32Array;
    const keep = Array.from({ length: enc.rows }, (_, i) => i).filter((i) => labels[i] >= 0);
    if (keep.length < 10) throw new UserError(`Expected at least 10 rows with a known class in ${table} but found ${keep.length}`);
    const classes = target.classes.length;
    const split = splitRows(keep.length, { seed: o.seed, strata: keep.map((i) => labels[i]) });
    const take = (idx: Int32Array) => {
      const D = enc.features;
      const x = new Float32Array(idx.length * D);
      const y = new Int32Array(idx.length);
      idx.forEach((k, n) => {
        const r = keep[k];
        x.set(enc.x.subarray(r * D, r * D + D), n * D);
        y[n] = labels[r];
      });
      return { x, y, rows: idx.length };
    };
    const tr = take(split.train), te = take(split.test);
    const eTr = await model.embed({ x: tr.x, rows: tr.rows });
    const eTe = await model.embed({ x: te.x, rows: te.rows });
    const probe = LinearProbe.fit(eTr.embeddings, tr.rows, tr.y, classes);
    const pred = probe.predict(eTe.embeddings, te.rows);
    return {
      rows: { train: tr.rows, test: te.rows },
      classes,
      target: target.name,
      accuracy: selectiveAccuracy(pred, te.y, null, 0),
      majorityRate: majorityClassAccuracy(tr.y, te.y),
      macroF1: macroF1(pred, te.y, classes),
      selective: [0.1, 0.2, 0.5].map((q) => ({ dropped: q, accuracy: selectiveAccuracy(pred, te.y, eTe.uncertainty, q) })),
    };
  } finally {
    model.dispose();
  }
}

export function formatEvaluate(r: EvaluateReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return [
    `linear probe on embeddings, target '${r.target}': ${r.rows.train} train rows, ${r.rows.test} test rows, ${r.classes} classes`,
    `accuracy ${pct(r.accuracy)} (always guessing the most frequent class: ${pct(r.majorityRate)}), macro-F1 ${r.macroF1.toFixed(3)}`,
    ...r.selective.map((s) => `  ${pct(s.dropped)} most uncertain dropped: accuracy ${pct(s.accuracy)}`),
  ].join('\n');
}
