// The HTML training report: structure of the rendered page, the risk-coverage curve on a small
// hand-computed case, and a render in headless Chromium (Debian's chromium, installed by .ci/run)
// that checks every plot is present and non-empty.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

import type { VarTJepaEpoch as EpochSummary } from '../lib/model/fit-types';
import { renderReport, riskCoverage, writeReport } from '../lib/report/html';

const history: EpochSummary[] = Array.from({ length: 6 }, (_, i) => ({
  epoch: i + 1,
  loss: { rec: 2 - i * 0.2, gen: 1.5 - i * 0.1, klSx: 10 + i, klZ: 5 + i * 0.5, klSy: 30 - i, total: 1 - i * 0.1, gradNorm: 1 },
  lr: 1e-3,
  weights: { aSx: 1e-4 * (i / 5), aZ: 1e-6 * (i / 5), aSy: 1e-5 * (i / 5) },
  seconds: 1,
  rowsPerSec: 1000,
  ...(i % 2 === 1 ? { probe: { accuracy: 0.7 + i * 0.02, selectiveAccuracy: 0.72 + i * 0.02 } } : {}),
}));
const heldOut = { pred: [0, 1, 1, 0, 1, 0, 0, 1], labels: [0, 1, 0, 0, 1, 1, 0, 1], uncertainty: [0.1, 0.2, 0.9, 0.3, 0.4, 0.8, 0.5, 0.6] };
const CHARTS = ['loss-rec', 'loss-gen', 'loss-klSx', 'loss-klZ', 'loss-klSy', 'kl-weights', 'probe', 'risk-coverage', 'uncertainty'];

describe('training report', () => {
  it('computes the risk-coverage curve', () => {
    // most certain first: rows 0,1,3,4,6,7 are right, rows 5 (0.8) and 2 (0.9) wrong
    const c = riskCoverage(heldOut.pred, heldOut.labels, heldOut.uncertainty, 4);
    expect(c.coverage).toEqual([0.25, 0.5, 0.75, 1]);
    expect(c.risk).toEqual([0, 0, 0, 0.25]);
  });

  it('renders one self-contained page with every plot', () => {
    const html = renderReport({ title: 'test report', history, heldOut });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=/);
    for (const id of CHARTS) expect(html).toContain(`<svg data-chart="${id}"`);
    expect((html.match(/<polyline /g) ?? []).length).toBe(5 + 3 + 2 + 1);
  });

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  const why = chromium ? '' : ' (skipped: no chromium binary; .ci/run installs Debian\'s chromium)';
  it.skipIf(!chromium)(`renders in headless Chromium with non-empty plots${why}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-report-'));
    const file = path.join(dir, 'report.html');
    writeReport(file, { title: 'test report', history, heldOut });
    const r = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${path.join(dir, 'profile')}`, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60000 });
    expect(r.status, r.stderr).toBe(0);
    const dom = r.stdout;
    for (const id of CHARTS) expect(dom, id).toContain(`data-chart="${id}"`);
    const polylines = [...dom.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1]);
    expect(polylines.length).toBe(11);
    for (const pts of polylines) expect(pts.trim().split(/\s+/).length).toBeGreaterThan(0);
    expect(polylines.filter((p) => p.split(' ').length >= 2).length).toBeGreaterThanOrEqual(10);
    const bars = [...dom.matchAll(/data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(bars.reduce((a, b) => a + b, 0)).toBe(8);
  });
});
