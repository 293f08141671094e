// The training report: one self-contained HTML page (inline CSS and SVG, no scripts, nothing
// loaded from elsewhere) with the run's facts and hyper-parameters, SVG plots of the total loss
// and the five loss terms, the KL weights (log axis) per epoch, the model selection (probe
// accuracy per evaluation with the selected epoch and the baselines), held-out accuracy beside
// the baselines, the risk-coverage curve and the uncertainty histogram
// (`varjepa fit --report report.html`).
import * as fs from 'fs';
import * as path from 'path';

import type { VarTJepaEpoch as EpochSummary } from '../model/fit-types';
import { accuracy, riskCoverage as riskCoverageCurve } from '../eval/metrics-classification';
import { escapeHtml as esc } from './escape';
import { barChart, histogram, lineChart } from './svg';
import { formatDate, keyValueTable, trainingTiming } from './tables';

export interface ReportInput {
  /** The table's path or name; the page is titled by its base name (the full path never shows). */
  table: string;
  history: EpochSummary[];
  /** The epoch the online model selection kept, with its probe score. */
  best?: { epoch: number; accuracy: number; selectiveAccuracy?: number };
  /** Held-out rows: predicted class, true class and uncertainty, for the risk-coverage curve. */
  heldOut?: { pred: ArrayLike<number>; labels: ArrayLike<number>; uncertainty: ArrayLike<number> };
  /** Uncertainty of held-out rows for the histogram (defaults to heldOut.uncertainty). */
  uncertainty?: ArrayLike<number>;
  /** Accuracy of simple baselines on the same held-out rows, by name, e.g. `{ 'majority class': 0.76 }`. */
  baselines?: Record<string, number>;
  /** The model's hyper-parameters (its resolved options). */
  options?: Record<string, unknown>;
  /** The varjepa version that trained the model. */
  version?: string;
  /** When the run ended; default: when the report is rendered. */
  date?: Date;
  /** More facts about the run, shown after the table, version, date and timing. */
  facts?: Record<string, unknown>;
}

/** Risk (error rate) among the most certain fraction of rows at `points` coverages 1/points .. 1 (see lib/eval/metrics-classification.ts). */
export function riskCoverage(pred: ArrayLike<number>, labels: ArrayLike<number>, uncertainty: ArrayLike<number>, points = 50): { coverage: number[]; risk: number[] } {
  const c = riskCoverageCurve(pred, labels, uncertainty, { points });
  return { coverage: c.coverage, risk: c.risk };
}

/** The page title: the table's base name, so a report shared elsewhere does not carry a local path. */
export function reportTitle(table: string): string {
  return `varjepa training report: ${path.basename(table)}`;
}

const EPOCH = { integer: true };
const LOSS_TERMS = [
  ['rec', 'reconstruction loss L_rec'],
  ['gen', 'generation loss L_gen'],
  ['klSx', 'KL of the context latent KL_sx'],
  ['klZ', 'KL of the predictor latent KL_z'],
  ['klSy', 'KL of the target latent KL_sy'],
] as const;

function lossCharts(r: ReportInput): string[] {
  const ep = r.history.map((h) => h.epoch);
  const total = lineChart('loss-total', 'total loss per epoch (the weighted sum minimised, docs/model.md section 5)', [{ name: 'total', xs: ep, ys: r.history.map((h) => h.loss.total) }], { xLabel: 'epoch', yLabel: 'total loss', x: EPOCH, y: { pad: 0.05 } });
  const terms = LOSS_TERMS.map(([t, what]) => lineChart(`loss-${t}`, `${what} per epoch`, [{ name: t, xs: ep, ys: r.history.map((h) => h.loss[t]) }], { xLabel: 'epoch', yLabel: t, x: EPOCH, y: { pad: 0.05 } }));
  return [total, ...terms];
}

function weightsChart(r: ReportInput): string {
  const ep = r.history.map((h) => h.epoch);
  const series = (['aSx', 'aZ', 'aSy'] as const).map((w) => ({ name: w, xs: ep, ys: r.history.map((h) => h.weights[w]) }));
  return lineChart('kl-weights', 'KL weights per epoch (annealed from 0; log axis, so weights orders of magnitude apart all show)', series, { xLabel: 'epoch', yLabel: 'weight (log)', x: EPOCH, y: { scale: 'log' } });
}

function selectionChart(r: ReportInput): string {
  const probed = r.history.filter((h) => h.probe);
  if (!probed.length) return '<p data-chart="probe">No probe evaluations (fit without a class target).</p>';
  const xs = probed.map((h) => h.epoch);
  const series = [{ name: 'accuracy', xs, ys: probed.map((h) => h.probe!.accuracy) }];
  if (probed.some((h) => h.probe!.selectiveAccuracy !== undefined)) series.push({ name: '20% most uncertain dropped', xs, ys: probed.map((h) => h.probe!.selectiveAccuracy ?? h.probe!.accuracy) });
  const references = Object.entries(r.baselines ?? {}).map(([name, y]) => ({ name, y }));
  const marker = r.best ? { x: r.best.epoch, label: `selected: epoch ${r.best.epoch}` } : undefined;
  return lineChart('probe', `linear-probe accuracy on the validation rows per evaluation${references.length ? '; dashed: baselines on the test rows' : ''}`, series, {
    xLabel: 'epoch',
    yLabel: 'accuracy',
    x: EPOCH,
    y: { percent: true, pad: 0.15 },
    references,
    marker,
  });
}

/** The model's held-out accuracy beside the baselines', as a bar chart and a table. */
function accuracySection(r: ReportInput): string {
  const rows: [string, number][] = [];
  if (r.heldOut) rows.push(['Var-T-JEPA embeddings (linear probe)', accuracy(r.heldOut.pred, r.heldOut.labels)]);
  for (const [k, v] of Object.entries(r.baselines ?? {})) rows.push([k, v]);
  if (!rows.length) return '<p data-chart="accuracy">No labelled held-out rows.</p>';
  const table = keyValueTable('accuracy', Object.fromEntries(rows.map(([k, v]) => [k, `${(100 * v).toFixed(1)}%`])));
  return `${barChart('accuracy', 'accuracy on the held-out test rows', rows, 'accuracy')}\n${table}`;
}

function uncertaintyCharts(r: ReportInput): string[] {
  let rc = '<p data-chart="risk-coverage">No labelled held-out rows.</p>';
  if (r.heldOut) {
    const c = riskCoverage(r.heldOut.pred, r.heldOut.labels, r.heldOut.uncertainty);
    rc = lineChart('risk-coverage', 'risk-coverage: error rate among the most certain rows', [{ name: 'risk', xs: c.coverage, ys: c.risk }], { xLabel: 'coverage (most certain rows kept)', yLabel: 'error rate', x: { percent: true }, y: { percent: true } });
  }
  const unc = r.uncertainty ?? r.heldOut?.uncertainty;
  const hist = unc ? histogram('uncertainty', 'uncertainty of the held-out rows', unc, 'mean posterior std') : '<p data-chart="uncertainty">No held-out rows.</p>';
  return [rc, hist];
}

const CSS = [
  'body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}',
  'section{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}',
  'figure{margin:0;max-width:370px}figcaption{font-size:13px;margin-bottom:4px}',
  '.note{font-size:12px;color:#555;margin:2px 0 0}',
  'table{border-collapse:collapse;margin-bottom:16px}th,td{text-align:left;padding:2px 14px 2px 0;font-size:13px;vertical-align:top}th{font-weight:600}',
  'table[data-table=options]{columns:4;display:block}table[data-table=options] tr{break-inside:avoid;display:table;width:100%}',
  'table[data-table=options] th{width:55%}',
].join('');

export function renderReport(r: ReportInput): string {
  const title = reportTitle(r.table);
  const t = trainingTiming(r.history);
  const facts = keyValueTable('facts', {
    table: path.basename(r.table),
    ...(r.version ? { 'varjepa version': r.version } : {}),
    date: formatDate(r.date ?? new Date()),
    epochs: r.history.length,
    'training time': `${t.seconds.toFixed(1)} s`,
    throughput: `${t.rowsPerSec.toFixed(0)} rows/s`,
    ...(r.best ? { 'selected epoch': `${r.best.epoch} (validation probe ${(100 * r.best.accuracy).toFixed(1)}%)` } : {}),
    ...(r.facts ?? {}),
  });
  const options = r.options ? `<h2>Hyper-parameters</h2>\n${keyValueTable('options', r.options)}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${CSS}</style>
</head><body>
<h1>${esc(title)}</h1>
${facts}
${options}
<h2>Loss</h2><section>${lossCharts(r).join('\n')}</section>
<h2>KL weights</h2><section>${weightsChart(r)}</section>
<h2>Model selection</h2><section>${selectionChart(r)}</section>
<h2>Held-out accuracy</h2><section>${accuracySection(r)}</section>
<h2>Uncertainty</h2><section>${uncertaintyCharts(r).join('\n')}</section>
</body></html>
`;
}

/** Writes the report atomically (temporary file, then rename). */
export function writeReport(file: string, r: ReportInput): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, renderReport(r));
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
