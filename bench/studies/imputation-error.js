#!/usr/bin/env node
// Does `varjepa impute` fill cells better than the obvious baseline? Per dataset: a model of the
// recipe `varjepa fit --preset auto --epochs 100 --max-seconds S --seed 0` uses (cached; see
// trainModel for with and without probe selection), the fit's own test
// split (20%, seed 0) with `rate` of its observed feature cells blanked at random (seeded), and
// each blanked cell filled by
//   median/mode    the training median (numeric) or most frequent category: the baseline
//   mean/mode      the training mean instead of the median
//   mean of draws  the model: mean of `draws` draws of VarTJepa.generate (categorical: the
//                  category of highest mean probability over the draws)
//   median of draws  the median of the draws (categorical: the same)
//   mode of draws  numeric: the median of the draws; categorical: the most frequent drawn category
//   single draw    the first draw alone
//   CLI default    `varjepa impute <model> <blanked.csv>` as a user runs it (--fill auto: per
//                  column the model where it beats median/mode on hidden observed cells of the
//                  table, the baseline elsewhere), read back from its CSV
// Every model fill is clamped to the training range and rounded in integer columns, as the CLI
// does; rows with no observed cell get the baseline in every method. Errors: per numeric column
// MAE and RMSE in original units, summarised as nMAE / nRMSE (divided by the training std,
// averaged over the numeric columns); per categorical column the error rate, averaged. The
// prior mean is not a candidate: generate has no option for it (it always draws z and s_y).
// Writes bench/results/studies/imputation-error[-<settings>].{json,md}; models go to
// bench/results/cache/. Not part of `npm run bench` (a few minutes a dataset and rate on 2 cores,
// plus the training).
//   node bench/studies/imputation-error.js [--datasets adult,bank] [--rates 0.1,0.3]
//     [--max-seconds 240] [--draws 20] [--rows N (test rows, default all)] [--select] [--force]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { prepareDataset, readTable, Preprocessor, readModelFile, VarTJepa } = require('../../dist/cjs/index.js');
const { numericEstimates, categoricalEstimates, numericBaseline, toColumn } = require('../../dist/cjs/commands/impute.js');
const { recipe } = require('../../dist/cjs/model/recipe.js');
const { cacheDir, studyOutput, writeStudy } = require('./output.js');
const { seededRandom } = require('../../dist/cjs/data/split.js');

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'varjepa.js');
const DATA = '/work/shared/data';
const TABLES = { adult: { file: 'adult.csv.gz', target: 'income' }, bank: { file: 'bank_marketing.csv.gz', target: 'y' } };
const METHODS = ['median/mode', 'mean/mode', 'mean of draws', 'median of draws', 'mode of draws', 'single draw', 'CLI default'];

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

function cli(args) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`varjepa ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { out: r.stdout, seconds: (Date.now() - t0) / 1000 };
}

const rawText = (col, r) => col.text?.[r] ?? (Number.isNaN(col.num[r]) ? '' : String(col.num[r]));
const csvCell = (s) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Splits a CSV line of the CLI's output (quoted cells possible). */
function splitCsv(line) {
  const out = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') out.push(cur), (cur = '');
    else cur += ch;
  }
  out.push(cur);
  return out;
}

// The model: the recipe of `varjepa fit --preset auto --epochs 100 --max-seconds S --seed 0` on the
// fit's own split. By default trained without labels, so every epoch the budget allows is kept;
// with --select through the CLI with --target, whose online probe selection keeps the best probe's
// epoch (often one of the first, before the generative path has learned much).
async function trainModel(name, maxSeconds, select, force) {
  const t = TABLES[name];
  const file = path.join(cacheDir(), `imputation-error-${name}-maxSeconds${maxSeconds}${select ? '-select' : ''}.safetensors`);
  const meta = `${file}.fit.json`;
  if (force || !fs.existsSync(file) || !fs.existsSync(meta)) {
    console.error(`training ${name} (--max-seconds ${maxSeconds}${select ? ', probe selection' : ''})`);
    if (select) {
      const r = cli(['fit', path.join(DATA, t.file), '--target', t.target, '--preset', 'auto', '--epochs', '100', '--max-seconds', String(maxSeconds), '--seed', '0', '--out', file, '--json', '--quiet']);
      fs.writeFileSync(meta, r.out);
    } else {
      const data = await prepareDataset(path.join(DATA, t.file), { target: t.target, seed: 0 });
      const features = data.schema.features.map((f) => ({ name: f.name, kind: f.kind, categories: f.kind === 'categorical' ? f.categories : undefined }));
      const chosen = recipe({ features }, data.train.rows);
      const model = new VarTJepa({ features }, { ...chosen.options, seed: 0 });
      try {
        const t0 = Date.now();
        const res = await model.fit({ x: data.train.x, rows: data.train.rows }, { epochs: 100, maxSeconds });
        await model.save(file, { history: res.history, preprocessor: data.preprocessor.toJSON() });
        fs.writeFileSync(meta, JSON.stringify({ epochs: res.epochs, seconds: (Date.now() - t0) / 1000, recipe: chosen.why, stopReason: res.stopReason }));
      } finally {
        model.dispose();
      }
    }
  }
  const fit = JSON.parse(fs.readFileSync(meta, 'utf8'));
  return { file, fit: { epochs: fit.epochs, seconds: fit.seconds, recipe: fit.recipe, stopReason: fit.stopReason, select } };
}

async function runCase(name, model, rate, draws, maxRows) {
  const t = TABLES[name];
  const data = await prepareDataset(path.join(DATA, t.file), { target: t.target, seed: 0 });
  const table = data.table;
  const test = Array.from(data.split.test).slice(0, maxRows || undefined);
  const file = await readModelFile(model.file);
  const pre = Preprocessor.fromJSON(file.preprocessor);
  const state = pre.toJSON();
  const D = state.features.length;
  const colIndex = new Map(table.columns.map((c, i) => [c.name, i]));
  const colOf = state.features.map((f) => colIndex.get(f.name));
  // blank `rate` of the observed feature cells of the test rows
  const enc0 = pre.transform(table, { rows: test });
  const miss0 = enc0.missing ?? new Uint8Array(test.length * D);
  const rand = seededRandom(1000 + Math.round(rate * 100));  // the package's mulberry32
  const blank = new Uint8Array(test.length * D);
  for (let i = 0; i < test.length; i++) for (let j = 0; j < D; j++) if (!miss0[i * D + j] && rand() < rate) blank[i * D + j] = 1;
  const lines = [table.columns.map((c) => csvCell(c.name)).join(',')];
  const featureOf = new Map(colOf.map((c, j) => [c, j]));
  test.forEach((r, i) => {
    lines.push(table.columns.map((c, ci) => {
      const j = featureOf.get(ci);
      return j !== undefined && blank[i * D + j] ? '' : csvCell(rawText(c, r));
    }).join(','));
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-imputation-error-'));
  const blanked = path.join(dir, 'blanked.csv'), imputed = path.join(dir, 'imputed.csv');
  fs.writeFileSync(blanked, lines.join('\n') + '\n');
  try {
    // the CLI as a user runs it
    const run = cli(['impute', model.file, blanked, '--draws', String(draws), '--out', imputed, '--json']);
    const report = JSON.parse(run.out);
    const outLines = fs.readFileSync(imputed, 'utf8').trim().split('\n');
    const outHeader = splitCsv(outLines[0]);
    const outRows = outLines.slice(1).map(splitCsv);
    const headerOk = JSON.stringify(outHeader.filter((h) => !/_(spread|source)$/.test(h) || colIndex.has(h))) === JSON.stringify(table.columns.map((c) => c.name));
    const outAt = state.features.map((f) => outHeader.indexOf(f.name));
    // the candidates through the API, on the same blanked table
    const bt = await readTable(blanked);
    const enc = pre.transform(bt);
    const missing = enc.missing ?? new Uint8Array(enc.rows * D);
    const observed = Uint8Array.from(missing, (m) => 1 - m);
    const integer = state.features.map((f) => f.kind === 'numeric' && f.integer === true);
    const usable = [];
    let bare = 0;
    for (let i = 0; i < enc.rows; i++) {
      let o = 0;
      for (let j = 0; j < D; j++) o += observed[i * D + j];
      if (o > 0) usable.push(i);
      else bare++;
    }
    const vm = await VarTJepa.load(model.file);
    const fills = new Map(); // i * D + j -> { method: value (number or category text) }
    const t0 = Date.now();
    try {
      for (let c0 = 0; c0 < usable.length; c0 += 2048) {
        const idx = usable.slice(c0, c0 + 2048);
        const x = new Float32Array(idx.length * D), obs = new Uint8Array(idx.length * D);
        idx.forEach((r, i) => {
          x.set(enc.x.subarray(r * D, r * D + D), i * D);
          obs.set(observed.subarray(r * D, r * D + D), i * D);
        });
        const g = await vm.generate({ x, rows: idx.length }, obs, { draws, seed: c0 });
        idx.forEach((r, i) => {
          for (let j = 0; j < D; j++) {
            if (!blank[r * D + j]) continue;
            const f = state.features[j];
            if (f.kind === 'numeric') {
              const e = numericEstimates(g, i, j, f, state.scaling, integer[j]);
              fills.set(r * D + j, { 'mean of draws': e.mean, 'median of draws': e.median, 'mode of draws': e.median, 'single draw': e.single });
            } else {
              const e = categoricalEstimates(g, i, j, f.categories.length);
              const c = (k) => f.categories[k];
              fills.set(r * D + j, { 'mean of draws': c(e.argmax), 'median of draws': c(e.argmax), 'mode of draws': c(e.mode), 'single draw': c(e.single) });
            }
          }
        });
      }
    } finally {
      vm.dispose();
    }
    const generateSeconds = (Date.now() - t0) / 1000;
    // errors per column and method
    const columns = state.features.map((f, j) => {
      const acc = Object.fromEntries(METHODS.map((m) => [m, { abs: 0, sq: 0, wrong: 0 }]));
      const med = f.kind === 'numeric' ? numericBaseline(f, integer[j]) : f.categories[1];
      const mean = f.kind === 'numeric' ? toColumn(f.mean, f, integer[j]) : f.categories[1];
      let cells = 0;
      test.forEach((r, i) => {
        if (!blank[i * D + j]) return;
        cells++;
        const col = table.columns[colOf[j]];
        const truth = f.kind === 'numeric' ? col.num[r] : rawText(col, r);
        const fill = fills.get(i * D + j);
        const cliText = outRows[i][outAt[j]];
        for (const m of METHODS) {
          let v = m === 'median/mode' ? med : m === 'mean/mode' ? mean : m === 'CLI default' ? (f.kind === 'numeric' ? Number(cliText) : cliText) : fill ? fill[m] : med;
          const a = acc[m];
          if (f.kind === 'numeric') {
            a.abs += Math.abs(v - truth);
            a.sq += (v - truth) ** 2;
          } else a.wrong += v === truth ? 0 : 1;
        }
      });
      const errors = Object.fromEntries(METHODS.map((m) => {
        const a = acc[m];
        return [m, f.kind === 'numeric' ? { mae: a.abs / cells, rmse: Math.sqrt(a.sq / cells) } : { errorRate: a.wrong / cells }];
      }));
      const cliColumn = report.columns.find((c) => c.name === f.name);
      return { name: f.name, kind: f.kind, std: f.kind === 'numeric' ? f.std : undefined, integer: integer[j], cells, errors, cli: cliColumn ? { source: cliColumn.source, reason: cliColumn.reason, check: cliColumn.check } : undefined };
    });
    // the output's own promises, checked on the real tables
    const checks = { headerOk, rows: outRows.length === test.length, inRange: true, integers: true, realCategories: true };
    state.features.forEach((f, j) => {
      test.forEach((_, i) => {
        if (!blank[i * D + j]) return;
        const s = outRows[i][outAt[j]];
        if (f.kind === 'numeric') {
          const v = Number(s);
          if (!(v >= f.min && v <= f.max)) checks.inRange = false;
          if (integer[j] && !/^-?\d+$/.test(s)) checks.integers = false;
        } else if (!f.categories.slice(1).includes(s)) checks.realCategories = false;
      });
    });
    const summary = Object.fromEntries(METHODS.map((m) => {
      const num = columns.filter((c) => c.kind === 'numeric' && c.cells > 0 && c.std > 0);
      const cat = columns.filter((c) => c.kind === 'categorical' && c.cells > 0);
      const avg = (a) => a.reduce((s, v) => s + v, 0) / a.length;
      return [m, { nMAE: avg(num.map((c) => c.errors[m].mae / c.std)), nRMSE: avg(num.map((c) => c.errors[m].rmse / c.std)), errorRate: avg(cat.map((c) => c.errors[m].errorRate)) }];
    }));
    return {
      dataset: name, rate, testRows: test.length, blankedCells: blank.reduce((s, v) => s + v, 0), rowsWithoutObservedCells: bare,
      cliSeconds: run.seconds, generateSeconds, cliFallbackCells: report.fallbackCells, cliImputedCells: report.imputedCells, checks, summary, columns,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const f3 = (v) => (v === undefined || Number.isNaN(v) ? '' : Number(v.toPrecision(3)).toString());

function markdown(res, settings, command) {
  const out = ['# Imputation error: `varjepa impute` against median/mode', '',
    `Generated by \`${command}\` on ${res.date}. Per dataset, a model of the recipe of \`varjepa fit --preset auto --epochs 100 --max-seconds ${settings.maxSeconds} --seed 0\` (${settings.select ? 'through the CLI with --target: the online probe selection keeps the best probe\'s epoch' : 'trained without labels, so no probe selection: the last epoch the budget allows'}); ` +
    `its test split (20%, seed 0) with a share of the observed feature cells blanked at random (seeded); ${settings.draws} draws per cell. ` +
    'nMAE and nRMSE: per numeric column MAE and RMSE in original units divided by the training std, averaged over the numeric columns; error: the categorical error rate averaged over the categorical columns. Lower is better. See the script header for each method.', ''];
  for (const m of res.models) out.push(`- ${m.dataset}: trained ${m.fit.epochs} epochs in ${m.fit.seconds.toFixed(0)} s (stopped by: ${m.fit.stopReason}); ${m.fit.recipe ?? ''}`);
  out.push('');
  for (const c of res.cases) {
    out.push(`## ${c.dataset}, ${c.rate * 100}% blanked (${c.blankedCells} cells of ${c.testRows} test rows)`, '');
    out.push('| method | nMAE | nRMSE | categorical error |', '|---|---:|---:|---:|');
    for (const m of METHODS) out.push(`| ${m} | ${f3(c.summary[m].nMAE)} | ${f3(c.summary[m].nRMSE)} | ${f3(c.summary[m].errorRate)} |`);
    out.push('', `CLI default: ${c.cliFallbackCells} of the ${c.cliImputedCells} cells it filled (the blanked ones and those missing in the source) from the median/mode fallback; output checks: ${Object.entries(c.checks).map(([k, v]) => `${k} ${v ? 'yes' : 'NO'}`).join(', ')}; impute took ${c.cliSeconds.toFixed(0)} s.`, '');
    out.push('| column | cells | median/mode | mean of draws | median of draws | single draw | CLI default | CLI source (check: model vs baseline) |', '|---|---:|---:|---:|---:|---:|---:|---|');
    for (const col of c.columns) {
      const e = (m) => (col.kind === 'numeric' ? `${f3(col.errors[m].mae)}` : `${f3(100 * col.errors[m].errorRate)}%`);
      const chk = col.cli?.check ? ` (${f3(col.cli.check.model)} vs ${f3(col.cli.check.baseline)})` : '';
      out.push(`| ${col.name}${col.kind === 'numeric' ? ' (MAE)' : ''} | ${col.cells} | ${e('median/mode')} | ${e('mean of draws')} | ${e('median of draws')} | ${e('single draw')} | ${e('CLI default')} | ${col.cli?.source ?? ''}${chk} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

async function main() {
  const datasets = arg('datasets', 'adult,bank').split(',');
  const rates = arg('rates', '0.1,0.3').split(',').map(Number);
  const maxSeconds = Number(arg('max-seconds', '240'));
  const draws = Number(arg('draws', '20'));
  const rows = Number(arg('rows', '0'));
  const force = process.argv.includes('--force');
  const select = process.argv.includes('--select');
  for (const d of datasets) if (!TABLES[d]) throw new Error(`Unknown dataset '${d}': one of ${Object.keys(TABLES).join(', ')}`);
  const res = { date: new Date().toISOString().slice(0, 10), datasets, rates, maxSeconds, draws, rows, models: [], cases: [] };
  for (const d of datasets) {
    const model = await trainModel(d, maxSeconds, select, force);
    res.models.push({ dataset: d, fit: model.fit });
    for (const rate of rates) {
      const c = await runCase(d, model, rate, draws, rows);
      console.error(JSON.stringify({ dataset: d, rate, summary: c.summary, checks: c.checks, cliFallbackCells: c.cliFallbackCells }));
      res.cases.push(c);
    }
  }
  const settings = { datasets, rates, maxSeconds, draws, rows, select };
  const base = studyOutput('imputation-error', settings, { datasets: ['adult', 'bank'], rates: [0.1, 0.3], maxSeconds: 240, draws: 20, rows: 0, select: false });
  const command = `node bench/studies/imputation-error.js ${process.argv.slice(2).join(' ')}`.trim();
  const md = markdown(res, settings, command);
  console.log(writeStudy(base, { ...res, command }, md + '\n').join('\n'));
  console.log(md);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
