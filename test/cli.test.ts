// The CLI end to end on a small generated table in a temporary folder: fit, embed, evaluate,
// and their error paths with the documented exit codes (0 ok, 1 user error, 2 internal).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';

import { simTable } from '../lib/sim';

const bin = path.resolve(__dirname, '..', 'bin', 'varjepa.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-cli-'));
const csv = path.join(dir, 'sim.csv');
const model = path.join(dir, 'sim.safetensors');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  const t = simTable({ rows: 400, seed: 2, numeric: 6, categorical: 2 });
  const names = t.schema.features.map((f) => f.name);
  const D = names.length;
  const lines = [[...names, 'label'].join(',')];
  for (let i = 0; i < t.rows; i++) {
    const cells = names.map((_, j) => (j < 6 ? t.x[i * D + j].toFixed(5) : `c${t.x[i * D + j]}`));
    lines.push([...cells, `class${t.labels[i]}`].join(','));
  }
  fs.writeFileSync(csv, lines.join('\n') + '\n');
});

describe('varjepa CLI', () => {
  it('fits, embeds and evaluates a table end to end', () => {
    const report = path.join(dir, 'report.html');
    const fit = cli('fit', csv, '--target', 'label', '--epochs', '1', '--batch-size', '64', '--out', model, '--report', report, '--json');
    expect(fit.code, fit.err).toBe(0);
    const html = fs.readFileSync(report, 'utf8');
    for (const id of ['loss-total', 'loss-rec', 'loss-gen', 'loss-klSx', 'loss-klZ', 'loss-klSy', 'kl-weights', 'probe', 'accuracy', 'risk-coverage', 'uncertainty']) {
      expect(html, id).toContain(`<svg data-chart="${id}"`);
    }
    // fit passes the baselines, the model's options and the table's base name to the report
    expect(html).toContain('<title>varjepa training report: sim.csv</title>');
    expect(html).not.toContain(dir);
    expect(html).toMatch(/<tr><th>majority class<\/th><td>\d+\.\d%<\/td><\/tr>/);
    expect(html).toMatch(/<tr><th>raw features \(linear probe\)<\/th><td>\d+\.\d%<\/td><\/tr>/);
    expect(html).toContain('<tr><th>batchSize</th><td>64</td></tr>');
    expect(html).toMatch(/<tr><th>varjepa version<\/th><td>\d+\.\d+\.\d+/);
    const summary = JSON.parse(fit.out);
    expect(summary.rows.train + summary.rows.validation + summary.rows.test).toBe(400);
    expect(summary.features).toBe(8);
    expect(fs.existsSync(model)).toBe(true);

    const out = path.join(dir, 'emb.jsonl');
    const emb = cli('embed', model, csv, '--out', out, '--json');
    expect(emb.code, emb.err).toBe(0);
    expect(JSON.parse(emb.out)).toMatchObject({ rows: 400, format: 'jsonl' });
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(400);

    const ev = cli('evaluate', model, csv, '--target', 'label', '--json');
    expect(ev.code, ev.err).toBe(0);
    const r = JSON.parse(ev.out);
    expect(r.classes).toBe(3);
    expect(r.accuracy).toBeGreaterThan(0.4);
    expect(r.selective.map((s: { dropped: number }) => s.dropped)).toEqual([0.1, 0.2, 0.5]);
  });

  it('imputes missing cells with a spread, keeping observed cells', () => {
    // a copy of the table with holes in a numeric and a categorical column
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    const holes = lines.map((l, i) => {
      if (i === 0 || i % 7 !== 0) return l;
      const c = l.split(',');
      c[1] = '';
      c[6] = '';
      return c.join(',');
    });
    const holed = path.join(dir, 'holes.csv');
    fs.writeFileSync(holed, holes.join('\n') + '\n');
    const out = path.join(dir, 'imputed.csv');
    const r = cli('impute', model, holed, '--draws', '5', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.imputedCells).toBe(2 * Math.floor(400 / 7));
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['x0', 'x1', 'x1_spread', 'x1_source', 'x2', 'x3', 'x4', 'x5', 'c0', 'c0_spread', 'c0_source', 'c1', 'label']);
    for (let i = 1; i < rows.length; i++) {
      const orig = lines[i].split(',');
      expect(rows[i][12]).toBe(orig[8]);
      if (i % 7 === 0) {
        expect(Number.isFinite(Number(rows[i][1])) && rows[i][1] !== '').toBe(true);
        expect(Number(rows[i][2])).toBeGreaterThanOrEqual(0);
        expect(rows[i][3]).toMatch(/^(model|median)$/);
        expect(rows[i][8]).toMatch(/^c\d+$/);
        expect(rows[i][10]).toMatch(/^(model|mode)$/);
      } else {
        expect(Number(rows[i][1])).toBeCloseTo(Number(orig[1]), 4);
        expect(rows[i][8]).toBe(orig[6]);
        expect([rows[i][2], rows[i][3]]).toEqual(['', '']);
      }
    }
  });

  it('exits 1 with a message for a missing file', () => {
    const r = cli('fit', path.join(dir, 'nope.csv'), '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope\.csv/);
    const e = cli('embed', path.join(dir, 'missing.safetensors'), csv);
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/missing\.safetensors/);
  });

  it('exits 1 with a message for a bad column name or option', () => {
    const r = cli('fit', csv, '--target', 'nosuch', '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nosuch/);
    const p = cli('fit', csv, '--preset', 'iris');
    expect(p.code).toBe(1);
    expect(p.err).toContain("--preset: expected one of 'auto', ");
    expect(p.err).toContain("but received 'iris'");
    const f = cli('embed', model, csv, '--format', 'xml');
    expect(f.code).toBe(1);
    expect(f.err).toContain("--format: expected one of 'csv', 'jsonl', 'f32', 'arrow', 'arrow-stream' but received 'xml'");
    // a batch no machine holds (200 features: attention over 201 tokens a row): exit 1, naming the
    // flag and a batch that fits, not an internal error
    const wide = path.join(dir, 'wide.csv');
    const cols = Array.from({ length: 200 }, (_, j) => `f${j}`);
    fs.writeFileSync(wide, [cols.join(','), ...Array.from({ length: 20 }, (_, i) => cols.map((_, j) => ((i * 7 + j) % 10) / 10).join(','))].join('\n') + '\n');
    const big = cli('fit', wide, '--batch-size', '65536', '--epochs', '1', '--out', path.join(dir, 'wide.safetensors'), '--quiet');
    expect(big.code, big.err).toBe(1);
    expect(big.err).toMatch(/^varjepa: --batch-size: 65536 rows of 200 features need [\d.]+ GiB of activation memory, more than 75% of this machine's [\d.]+ GiB; --batch-size \d+ fits \(or --preset auto\)/);
  });

  it('prints help with examples and exits 0', () => {
    for (const c of ['fit', 'embed', 'evaluate', 'impute', 'demo', 'doctor']) {
      const r = cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain('Examples:');
    }
  });
});
