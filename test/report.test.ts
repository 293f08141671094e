// The HTML training report: the axes' tick values, the structure of the rendered page (every plot
// with ticks and axis titles, the total loss, KL weights on a log axis, a one-point model
// selection, baselines, hyper-parameters, facts, the title, escaping), the risk-coverage curve on
// a small hand-computed case, and a render in headless Chromium (Debian's chromium, installed by
// .ci/run) that checks every plot is present and non-empty.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

import type { VarTJepaEpoch as EpochSummary } from '../lib/model/fit-types';
import { makeAxis } from '../lib/report/axis';
import { renderReport, riskCoverage, writeReport, type ReportInput } from '../lib/report/html';

// KL weights ramp up from 0 and differ by two orders of magnitude, as in a real run
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
const baselines = { 'majority class': 0.625, 'raw features (linear probe)': 0.8 };
const options = { d: 64, layers: 8, lr: 0.001, device: 'cpu' };
const full: ReportInput = { table: '/home/someone/private/adult.csv.gz', history, heldOut, best: { epoch: 4, accuracy: 0.76 }, baselines, options, version: '9.8.7', date: new Date('2026-01-02T03:04:05Z') };
const LINE_CHARTS = ['loss-total', 'loss-rec', 'loss-gen', 'loss-klSx', 'loss-klZ', 'loss-klSy', 'kl-weights', 'probe', 'risk-coverage'];
const CHARTS = [...LINE_CHARTS, 'accuracy', 'uncertainty'];

/** The <svg> element of chart `id` in `html`, as text. */
function chart(html: string, id: string): string {
  const start = html.indexOf(`<svg data-chart="${id}"`);
  expect(start, `chart ${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</svg>', start));
}

/** The tick labels of one axis of a chart. */
function ticks(svg: string, axis: 'x' | 'y'): string[] {
  return [...svg.matchAll(new RegExp(`<text data-axis="${axis}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
}

/** The (x, y) pixel points of the series `name` in a chart. */
function points(svg: string, name: string): [number, number][] {
  const m = svg.match(new RegExp(`<polyline data-series="${name}"[^>]*points="([^"]*)"`));
  expect(m, `series ${name}`).not.toBeNull();
  return m![1].trim() ? m![1].trim().split(/\s+/).map((p) => p.split(',').map(Number) as [number, number]) : [];
}

describe('report axes', () => {
  it('gives several nice ticks covering the values', () => {
    expect(makeAxis([0.605, 1.65]).ticks).toEqual([0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8]);
    expect(makeAxis([1, 6], { integer: true }).ticks).toEqual([1, 2, 3, 4, 5, 6]);
    const pct = makeAxis([0.811, 0.831], { percent: true });
    expect(pct.ticks.map(pct.format)).toEqual(['81.0%', '81.5%', '82.0%', '82.5%', '83.0%', '83.5%']);
  });

  it('centres a single value with ticks around it, on whole numbers for epochs', () => {
    const x = makeAxis([3], { integer: true });
    expect(x.ticks).toEqual([2, 3, 4]);
    const y = makeAxis([0.82], { percent: true });
    expect(y.lo).toBeLessThan(0.82);
    expect(y.hi).toBeGreaterThan(0.82);
    expect(y.hi - y.lo).toBeLessThanOrEqual(0.2);
    expect(y.ticks.length).toBeGreaterThanOrEqual(3);
  });

  it('puts decades (and 2, 5 within few decades) on a log axis', () => {
    const a = makeAxis([2e-7, 1e-4], { scale: 'log' });
    expect(a.ticks).toEqual([1e-7, 1e-6, 1e-5, 1e-4]);
    expect(a.ticks.map(a.format)).toEqual(['1e-7', '1e-6', '1e-5', '1e-4']);
    expect(makeAxis([0.02, 0.3], { scale: 'log' }).ticks).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    expect(makeAxis([0, -1, 1e-3, 1e-2], { scale: 'log' }).lo).toBe(1e-3);
  });
});

describe('training report', () => {
  it('computes the risk-coverage curve', () => {
    // most certain first: rows 0,1,3,4,6,7 are right, rows 5 (0.8) and 2 (0.9) wrong
    const c = riskCoverage(heldOut.pred, heldOut.labels, heldOut.uncertainty, 4);
    expect(c.coverage).toEqual([0.25, 0.5, 0.75, 1]);
    expect(c.risk).toEqual([0, 0, 0, 0.25]);
  });

  it('renders one self-contained page with every plot', () => {
    const html = renderReport(full);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    // the one URL is the SVG namespace name, which is never fetched
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/<script|<link|src=|url\(|@import|https?:/);
    for (const id of CHARTS) expect(html).toContain(`<svg data-chart="${id}"`);
    expect((html.match(/<polyline /g) ?? []).length).toBe(6 + 3 + 2 + 1);
  });

  it('gives every line chart several labelled ticks on both axes and axis titles', () => {
    const html = renderReport(full);
    for (const id of LINE_CHARTS) {
      const svg = chart(html, id);
      expect(ticks(svg, 'x').length, `${id} x ticks`).toBeGreaterThanOrEqual(3);
      expect(ticks(svg, 'y').length, `${id} y ticks`).toBeGreaterThanOrEqual(3);
      expect(new Set(ticks(svg, 'y')).size, `${id} distinct y labels`).toBe(ticks(svg, 'y').length);
      expect(svg).toMatch(/data-axis-label="x"[^>]*>[^<]+</);
      expect(svg).toMatch(/data-axis-label="y"[^>]*>[^<]+</);
    }
    expect(ticks(chart(html, 'loss-total'), 'x')).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(ticks(chart(html, 'risk-coverage'), 'x')).toContain('100%');
    const hist = chart(html, 'uncertainty');
    expect(ticks(hist, 'x').length).toBeGreaterThanOrEqual(3);
    expect(ticks(hist, 'y')).toEqual(['0', '1']); // eight rows, each alone in its bin: counts are whole numbers
  });

  it('plots the total loss per epoch', () => {
    const svg = chart(renderReport(full), 'loss-total');
    const pts = points(svg, 'total');
    expect(pts.length).toBe(6);
    // total falls 1 -> 0.5: each point lower on the page is a larger pixel y
    for (let i = 1; i < pts.length; i++) expect(pts[i][1]).toBeGreaterThan(pts[i - 1][1]);
    expect(ticks(svg, 'y')).toContain('1.0');
  });

  it('draws the KL weights on a log axis, leaving out and naming the zeros at the start of the ramp', () => {
    const html = renderReport(full);
    const svg = chart(html, 'kl-weights');
    expect(svg).toContain('data-scale-y="log"');
    expect(ticks(svg, 'y')).toEqual(expect.arrayContaining(['1e-7', '1e-6', '1e-5', '1e-4']));
    const [sx, z, sy] = ['aSx', 'aZ', 'aSy'].map((n) => points(svg, n));
    for (const p of [sx, z, sy]) expect(p.length).toBe(5); // epoch 1 (weight 0) left out
    // a factor of 10 between neighbours is a fixed distance on a log axis: the lines are apart and parallel
    const gap1 = sy[4][1] - sx[4][1], gap2 = z[4][1] - sy[4][1];
    expect(gap1).toBeGreaterThan(30);
    expect(gap2).toBeCloseTo(gap1, 0);
    expect(html).toMatch(/data-note="kl-weights">Left out on the log axis \(value 0\): aSx at epoch 1; aZ at epoch 1; aSy at epoch 1\./);
  });

  it('draws a one-point model selection as a marked, labelled point on a sensible axis', () => {
    const one = history.map((h) => ({ ...h, probe: undefined }));
    one[2] = { ...one[2], probe: { accuracy: 0.8312, selectiveAccuracy: 0.8571 } };
    const svg = chart(renderReport({ table: 'a.csv', history: one, best: { epoch: 3, accuracy: 0.8312 } }), 'probe');
    const x = ticks(svg, 'x'), y = ticks(svg, 'y');
    expect(x).toEqual(['2', '3', '4']);
    expect(y.length).toBeGreaterThanOrEqual(3);
    for (const t of y) expect(t).toMatch(/^\d+(\.\d)?%$/);
    const yv = y.map(parseFloat);
    expect(Math.min(...yv)).toBeLessThan(83.12);
    expect(Math.max(...yv)).toBeGreaterThan(85.71);
    expect(Math.max(...yv) - Math.min(...yv)).toBeLessThanOrEqual(20);
    expect(svg).toMatch(/data-point-label="accuracy"[^>]*>83\.1%</);
    expect(svg).toMatch(/data-point-label="20% most uncertain dropped"[^>]*>85\.7%</);
    expect((svg.match(/<circle (?!data-selected)/g) ?? []).length).toBe(2);
    // the point sits inside the plot, at the middle of the x axis
    const [[px]] = points(svg, 'accuracy');
    expect(px).toBeCloseTo((64 + 354) / 2, 0);
    expect(svg).toContain('data-marker="selected: epoch 3"');
  });

  it('marks the selected epoch and the baselines on the selection chart', () => {
    const svg = chart(renderReport(full), 'probe');
    expect(svg).toContain('data-marker="selected: epoch 4"');
    expect([...svg.matchAll(/data-selected="([^"]*)"/g)].map((m) => m[1])).toEqual(['accuracy', '20% most uncertain dropped']);
    expect(svg).toContain('data-reference="majority class"');
    expect(svg).toContain('data-reference="raw features (linear probe)"');
    expect(svg).toContain('majority class 62.5%');
  });

  it('shows the held-out accuracy beside the baselines', () => {
    const html = renderReport(full);
    const svg = chart(html, 'accuracy');
    expect([...svg.matchAll(/data-bar="([^"]*)"/g)].map((m) => m[1])).toEqual(['Var-T-JEPA embeddings (linear probe)', 'majority class', 'raw features (linear probe)']);
    const table = html.match(/<table data-table="accuracy">(.*?)<\/table>/)![1];
    expect(table).toContain('<tr><th>Var-T-JEPA embeddings (linear probe)</th><td>75.0%</td></tr>');
    expect(table).toContain('<tr><th>majority class</th><td>62.5%</td></tr>');
    expect(table).toContain('<tr><th>raw features (linear probe)</th><td>80.0%</td></tr>');
  });

  it('lists the hyper-parameters, version, date and timing', () => {
    const html = renderReport(full);
    const opts = html.match(/<table data-table="options">(.*?)<\/table>/)![1];
    expect(opts).toContain('<tr><th>layers</th><td>8</td></tr>');
    expect(opts).toContain('<tr><th>lr</th><td>0.001</td></tr>');
    expect(opts).toContain('<tr><th>device</th><td>cpu</td></tr>');
    const facts = html.match(/<table data-table="facts">(.*?)<\/table>/)![1];
    expect(facts).toContain('<tr><th>varjepa version</th><td>9.8.7</td></tr>');
    expect(facts).toContain('<tr><th>date</th><td>2026-01-02 03:04 UTC</td></tr>');
    expect(facts).toContain('<tr><th>training time</th><td>6.0 s</td></tr>');
    expect(facts).toContain('<tr><th>throughput</th><td>1000 rows/s</td></tr>');
    expect(facts).toContain('<tr><th>selected epoch</th><td>4 (validation probe 76.0%)</td></tr>');
  });

  it('titles the page by the table\'s base name, never its path', () => {
    const html = renderReport(full);
    expect(html).toContain('<title>varjepa training report: adult.csv.gz</title>');
    expect(html).toContain('<h1>varjepa training report: adult.csv.gz</h1>');
    expect(html).not.toContain('/home/someone');
  });

  it('escapes every text it puts in the page', () => {
    const html = renderReport({
      ...full,
      table: '/tmp/x&<b>y.csv',
      baselines: { '<i>naive</i>': 0.5 },
      options: { '<k>': '<script>alert(1)</script>' },
      facts: { note: 'a "quoted" & <em>marked</em> value' },
    });
    expect(html).not.toMatch(/<b>|<i>|<k>|<em>|<script/);
    expect(html).toContain('<title>varjepa training report: x&amp;&lt;b&gt;y.csv</title>');
    expect(html).toContain('<tr><th>&lt;k&gt;</th><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>');
    expect(html).toContain('data-reference="&lt;i&gt;naive&lt;/i&gt;"');
    expect(html).toContain('<td>a &quot;quoted&quot; &amp; &lt;em&gt;marked&lt;/em&gt; value</td>');
  });

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  const why = chromium ? '' : ' (skipped: no chromium binary; .ci/run installs Debian\'s chromium)';
  it.skipIf(!chromium)(`renders in headless Chromium with non-empty plots${why}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-report-'));
    const file = path.join(dir, 'report.html');
    writeReport(file, full);
    const r = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${path.join(dir, 'profile')}`, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60000 });
    expect(r.status, r.stderr).toBe(0);
    const dom = r.stdout;
    for (const id of CHARTS) {
      const svg = chart(dom, id);
      expect(ticks(svg, 'x').length, `${id} x ticks in the DOM`).toBeGreaterThanOrEqual(3);
    }
    for (const id of LINE_CHARTS) {
      const lines = [...chart(dom, id).matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1].trim());
      expect(lines.length, id).toBeGreaterThan(0);
      for (const pts of lines) expect(pts.split(/\s+/).length, id).toBeGreaterThanOrEqual(3);
    }
    expect(chart(dom, 'kl-weights')).toContain('data-scale-y="log"');
    expect([...chart(dom, 'accuracy').matchAll(/data-bar="[^"]*"[^>]*width="([\d.]+)"/g)].map((m) => Number(m[1])).every((w) => w > 0)).toBe(true);
    const bars = [...dom.matchAll(/data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(bars.reduce((a, b) => a + b, 0)).toBe(8);
    expect(dom).toContain('<title>varjepa training report: adult.csv.gz</title>');
  });
});
