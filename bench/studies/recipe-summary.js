#!/usr/bin/env node
// The issue-17 goals over every bench/results/studies/recipe-<table>.json that recipe.js wrote with
// its default settings (seed 0, 300 s, 100 epochs, no --rows or --scaling): the seven tables of the
// reproduction and the tables no one tuned for (recipe.js --csv), each tallied separately.
//   node bench/studies/recipe-summary.js
// Also the numeric-scaling comparison, from the runs of recipe.js --max-seconds 90 --scaling S --no-tjepa.
// Tables run with several pretraining seeds (recipe.js --seed S) get a table of means and spreads.
// Writes bench/results/studies/recipe-summary.{json,md}.
'use strict';
const fs = require('fs');
const path = require('path');
const { studyOutput, writeStudy } = require('./output.js');

const SEVEN = ['adult', 'covertype', 'electricity', 'credit', 'bank', 'mnist', 'sim'];
const LATENT = ['std-mean', 'std-p90', 'mix-std', 'surprise', 'rel-surprise', 'prior-std'];
const PROBE = ['probe-maxprob', 'probe-entropy', 'probe-margin'];
const dir = path.join(__dirname, '..', 'results', 'studies');

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));

/** Every result file with its settings (for the scaling comparison). */
function loadAll() {
  return fs.readdirSync(dir).filter((f) => /^recipe-.+\.json$/.test(f) && f !== 'recipe-summary.json')
    .map((f) => ({ file: f, r: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }));
}

/** recipe.js --max-seconds 90 --scaling S --no-tjepa: the same table under each scaling, side by side. */
function scalingRows() {
  const runs = loadAll().filter(({ r }) => r.settings.maxSeconds === 90 && r.settings.tjepa === false && r.settings.scaling && r.settings.seed === 0);
  return runs.map(({ r }) => ({
    table: r.dataset, scaling: r.settings.scaling, epochs: r.varTJepa.fit.epochs,
    raw100: r.raw[1].mlp.mean, var100: r.varTJepa.probes[1].mlp.mean, var5: r.varTJepa.probes[0.05].mlp.mean, var1: r.varTJepa.probes[0.01].mlp.mean,
    lin100: r.varTJepa.probes[1].linear, spread: r.varTJepa.embeddingSpread, cvStd: r.selective.scores['std-mean'].cv, aurcStd: r.selective.scores['std-mean'].aurc,
  })).sort((a, b) => a.table.localeCompare(b.table) || a.scaling.localeCompare(b.scaling));
}

/** The runs with the default settings (any pretraining seed; MNIST's may have fewer rows). */
function load() {
  const out = [];
  for (const { r } of loadAll()) {
    const s = r.settings;
    const rowsOk = s.rows === undefined || s.rows === null || r.dataset === 'mnist';
    if (s.maxSeconds !== 300 || s.epochs !== 100 || !rowsOk || s.scaling || s.tjepa === false) continue;
    out.push({ table: r.dataset, seen: SEVEN.includes(r.dataset), seed: s.seed, r });
  }
  return out.sort((a, b) => Number(b.seen) - Number(a.seen) || a.table.localeCompare(b.table) || a.seed - b.seed);
}

/** Tables with runs of several pretraining seeds: the key differences, mean and std over seeds. */
function seedRows(all) {
  const by = {};
  for (const x of all) (by[x.table] ??= []).push(x);
  return Object.entries(by).filter(([, xs]) => xs.length > 1).map(([table, xs]) => {
    const stat = (f) => ({ mean: mean(xs.map(f)), sd: sd(xs.map(f)) });
    return {
      table, seeds: xs.map((x) => x.seed),
      d100: stat((x) => x.at100.var - x.at100.raw), dT100: stat((x) => x.at100.var - x.at100.tjepa),
      d5: stat((x) => x.at5.var - x.at5.raw), d1: stat((x) => x.at1.var - x.at1.raw),
      aurcStd: stat((x) => x.aurc['std-mean']), aurcMaxprob: stat((x) => x.aurc['probe-maxprob']), aurcCombined: stat((x) => x.aurc.combined),
      cvStd: stat((x) => x.cvStd),
    };
  });
}

function row({ table, seen, seed, r }) {
  const at = (share) => {
    const raw = r.raw[share].mlp, v = r.varTJepa.probes[share].mlp, t = r.tJepa.probes[share].mlp;
    // the probe seeds' noise: the larger of the two standard deviations compared
    return { raw: raw.mean, var: v.mean, tjepa: t.mean, noiseRaw: Math.max(sd(raw.runs), sd(v.runs)), noiseT: Math.max(sd(t.runs), sd(v.runs)) };
  };
  const sc = r.selective.scores;
  const bestLatent = LATENT.reduce((a, k) => (sc[k].aurc < sc[a].aurc ? k : a), 'std-mean');
  const bestProbe = PROBE.reduce((a, k) => (sc[k].aurc < sc[a].aurc ? k : a), 'probe-maxprob');
  return {
    table, seen, seed, rows: r.rows.train, at100: at(1), at5: at(0.05), at1: at(0.01),
    aurc: Object.fromEntries(Object.entries(sc).map(([k, s]) => [k, s.aurc])),
    error: 1 - r.selective.base, bestLatent, bestProbe, cvStd: sc['std-mean'].cv, embeddingSpread: r.varTJepa.embeddingSpread,
  };
}

function tally(rows) {
  const n = rows.length;
  const count = (f) => rows.filter(f).length;
  return {
    tables: n,
    at100AtOrAbove: count((x) => x.at100.var >= x.at100.raw && x.at100.var >= x.at100.tjepa),
    at100WithinNoise: count((x) => x.at100.var >= x.at100.raw - x.at100.noiseRaw && x.at100.var >= x.at100.tjepa - x.at100.noiseT),
    aboveRawAt1And5: count((x) => x.at1.var > x.at1.raw && x.at5.var > x.at5.raw),
    // the default abstain score (probe-maxprob) against the better of latent std and probe confidence
    maxprobAtOrBelowStd: count((x) => x.aurc['probe-maxprob'] <= x.aurc['std-mean']),
    combinedAtOrBelowBoth: count((x) => x.aurc.combined <= Math.min(x.aurc['std-mean'], x.aurc['probe-maxprob'])),
    combinedBelowBoth: count((x) => x.aurc.combined < Math.min(x.aurc['std-mean'], x.aurc['probe-maxprob'])),
    cvBelow1pct: count((x) => x.cvStd < 0.01),
    stdWorseThanRandom: count((x) => x.aurc['std-mean'] > x.error),
  };
}

function main() {
  const all = load().map(row);
  const rows = all.filter((x) => x.seed === 0);
  const groups = { seven: rows.filter((x) => x.seen), unseen: rows.filter((x) => !x.seen) };
  const seeds = seedRows(all);
  const result = { date: new Date().toISOString(), rows, seeds, tally: { seven: tally(groups.seven), unseen: tally(groups.unseen) } };
  const f3 = (x) => x.toFixed(3);
  const md = ['# The recipe: the issue-17 goals, table by table', '',
    `Generated by \`node bench/studies/recipe-summary.js\` on ${result.date.slice(0, 10)} from bench/results/studies/recipe-<table>.json (recipe.js's default settings: pretraining seed 0, at most 100 epochs within 300 s; MLP probe: mean of 3 probe seeds; "noise": the larger standard deviation over probe seeds of the two compared).`, '',
    '| table | tuned on | 100%: raw / Var / T-JEPA | 5%: raw / Var | 1%: raw / Var | error (AURC of a random order) | AURC std-mean | AURC best latent | AURC probe-maxprob | AURC combined | CV of std | embedding spread |',
    '|---|---|---|---|---|---:|---:|---|---:|---:|---:|---:|',
    ...rows.map((x) => `| ${x.table}${x.table === 'mnist' ? ` (${x.rows} training rows)` : ''} | ${x.seen ? 'yes' : 'no'} | ${f3(x.at100.raw)} / ${f3(x.at100.var)} / ${f3(x.at100.tjepa)} | ${f3(x.at5.raw)} / ${f3(x.at5.var)} | ${f3(x.at1.raw)} / ${f3(x.at1.var)} | ${x.error.toFixed(4)} | ${x.aurc['std-mean'].toFixed(4)} | ${x.bestLatent} ${x.aurc[x.bestLatent].toFixed(4)} | ${x.aurc['probe-maxprob'].toFixed(4)} | ${x.aurc.combined.toFixed(4)} | ${(100 * x.cvStd).toFixed(2)}% | ${x.embeddingSpread.toPrecision(3)} |`),
    '', '## Goals (pretraining seed 0)', '',
    '| goal | the seven tables | tables no one tuned for |', '|---|---|---|',
    ...[
      ['Var-T-JEPA MLP at or above raw and T-JEPA at 100% labels', 'at100AtOrAbove'],
      ['... within the probe seeds\' noise', 'at100WithinNoise'],
      ['Var-T-JEPA MLP above raw at both 1% and 5% labels', 'aboveRawAt1And5'],
      ['probe-maxprob (predict\'s abstain score) AURC at or below std-mean', 'maxprobAtOrBelowStd'],
      ['combined selector at or below both std-mean and probe-maxprob', 'combinedAtOrBelowBoth'],
      ['combined selector strictly below both', 'combinedBelowBoth'],
      ['tables whose posterior std varies by less than 1% (CV)', 'cvBelow1pct'],
      ['tables where std-mean ranks worse than a random order (AURC above the error)', 'stdWorseThanRandom'],
    ].map(([label, k]) => `| ${label} | ${result.tally.seven[k]} of ${result.tally.seven.tables} | ${result.tally.unseen[k]} of ${result.tally.unseen.tables} |`), ''];
  const pm = (x, d = 3) => `${x.mean >= 0 ? '+' : ''}${x.mean.toFixed(d)} ± ${x.sd.toFixed(d)}`;
  if (seeds.length) {
    md.push('## Over pretraining seeds (mean ± std over seeds; accuracy differences Var-T-JEPA MLP minus the other)', '',
      '| table | seeds | 100%: - raw | 100%: - T-JEPA | 5%: - raw | 1%: - raw | AURC std-mean | AURC probe-maxprob | AURC combined | CV of std |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...seeds.map((x) => `| ${x.table} | ${x.seeds.join(', ')} | ${pm(x.d100)} | ${pm(x.dT100)} | ${pm(x.d5)} | ${pm(x.d1)} | ${x.aurcStd.mean.toFixed(4)} ± ${x.aurcStd.sd.toFixed(4)} | ${x.aurcMaxprob.mean.toFixed(4)} ± ${x.aurcMaxprob.sd.toFixed(4)} | ${x.aurcCombined.mean.toFixed(4)} ± ${x.aurcCombined.sd.toFixed(4)} | ${(100 * x.cvStd.mean).toFixed(2)}% ± ${(100 * x.cvStd.sd).toFixed(2)}% |`), '');
  }
  const sc = scalingRows();
  result.scaling = sc;
  if (sc.length) {
    md.push('## Numeric scaling (recipe.js --max-seconds 90 --scaling S --no-tjepa, pretraining seed 0)', '',
      '| table | scaling | epochs | raw MLP 100% | Var MLP 100% | Var MLP 5% | Var MLP 1% | Var linear 100% | embedding spread | CV of std | AURC std-mean |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...sc.map((x) => `| ${x.table} | ${x.scaling} | ${x.epochs} | ${f3(x.raw100)} | ${f3(x.var100)} | ${f3(x.var5)} | ${f3(x.var1)} | ${f3(x.lin100)} | ${x.spread.toPrecision(3)} | ${(100 * x.cvStd).toFixed(2)}% | ${x.aurcStd.toFixed(4)} |`), '');
  }
  const out = studyOutput('recipe-summary');
  console.log(`wrote ${writeStudy(out, result, md.join('\n')).join(', ')}`);
  console.log(md.join('\n'));
}

main();
