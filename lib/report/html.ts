// The training report: one self-contained HTML page with SVG plots of the five loss terms and the
// KL weights per epoch, probe accuracy per evaluation, the risk-coverage curve and the
// uncertainty histogram (`varjepa fit --report report.html`).
import * as fs from 'fs';

import type { VarTJepaEpoch as EpochSummary } from '../model/fit-types';
import { riskCoverage as riskCoverageCurve } from '../eval/metrics-classification';
import { histogram, lineChart } from './svg';

export interface ReportInput {
  title: string;
  history: EpochSummary[];
  /** Held-out rows: predicted class, true class and uncertainty, for the risk-coverage curve. */
  heldOut?: { pred: ArrayLike<number>; labels: ArrayLike<number>; uncertainty: ArrayLike<number> };
  /** Uncertainty of held-out rows for the histogram (defaults to heldOut.uncertainty). */
  uncertainty?: ArrayLike<number>;
  facts?: Record<string, string | number>;
}

/** Risk (error rate) among the most certain fraction of rows at `points` coverages 1/points .. 1 (see lib/eval/metrics-classification.ts). */
export function riskCoverage(pred: ArrayLike<number>, labels: ArrayLike<number>, uncertainty: ArrayLike<number>, points = 50): { coverage: number[]; risk: number[] } {
  const c = riskCoverageCurve(pred, labels, uncertainty, { points });
  return { coverage: c.coverage, risk: c.risk };
}

export function renderReport(r: ReportInput): string {
  const ep = r.history.map((h) => h.epoch);
  const terms = ['rec', 'gen', 'klSx', 'klZ', 'klSy'] as const;
  const lossCharts = terms.map((t) => lineChart(`loss-${t}`, `loss term ${t} per epoch`, [{ name: t, xs: ep, ys: r.history.map((h) => h.loss[t]) }], 'epoch'));
  const weights = lineChart('kl-weights', 'KL weights per epoch (annealed)', (['aSx', 'aZ', 'aSy'] as const).map((w) => ({ name: w, xs: ep, ys: r.history.map((h) => h.weights[w]) })), 'epoch');
  const probed = r.history.filter((h) => h.probe);
  const probe = probed.length
    ? lineChart('probe', 'linear-probe accuracy per evaluation', [
        { name: 'accuracy', xs: probed.map((h) => h.epoch), ys: probed.map((h) => h.probe!.accuracy) },
        { name: '20% uncertain dropped', xs: probed.map((h) => h.epoch), ys: probed.map((h) => h.probe!.selectiveAccuracy ?? h.probe!.accuracy) },
      ], 'epoch')
    : '<p data-chart="probe">No probe evaluations (fit without a class target).</p>';
  let rc = '<p data-chart="risk-coverage">No labelled held-out rows.</p>';
  if (r.heldOut) {
    const c = riskCoverage(r.heldOut.pred, r.heldOut.labels, r.heldOut.uncertainty);
    rc = lineChart('risk-coverage', 'risk-coverage: error rate among the most certain rows', [{ name: 'risk', xs: c.coverage, ys: c.risk }], 'coverage');
  }
  const unc = r.uncertainty ?? r.heldOut?.uncertainty;
  const hist = unc ? histogram('uncertainty', 'uncertainty (mean posterior std) of held-out rows', unc) : '<p data-chart="uncertainty">No held-out rows.</p>';
  const facts = Object.entries(r.facts ?? {}).map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${r.title}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}section{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:13px;margin-bottom:4px}table{border-collapse:collapse;margin-bottom:16px}th,td{text-align:left;padding:2px 12px 2px 0;font-size:13px}</style>
</head><body>
<h1>${r.title}</h1>
<table>${facts}</table>
<h2>Loss terms</h2><section>${lossCharts.join('\n')}</section>
<h2>KL weights</h2><section>${weights}</section>
<h2>Model selection</h2><section>${probe}</section>
<h2>Uncertainty</h2><section>${rc}\n${hist}</section>
</body></html>
`;
}

/** Writes the report atomically (temporary file, then rename). */
export function writeReport(path: string, r: ReportInput): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, renderReport(r));
    fs.renameSync(tmp, path);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
