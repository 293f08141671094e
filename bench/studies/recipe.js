#!/usr/bin/env node
// The package's recipe on a table as a new user would run it: the configuration from
// recipe(schema, rows), self-supervised pretraining of Var-T-JEPA and T-JEPA (no labels: the run
// ends at its last epoch, within a time budget), then on the test rows:
//   - label efficiency: the MLP probe (3 seeds) and the linear probe on raw features, Var-T-JEPA
//     and T-JEPA embeddings with 100%, 20%, 5% and 1% of the training labels (and the same share
//     of the validation labels for the probe's early stopping);
//   - the spread of every per-row score over the test rows (coefficient of variation);
//   - selective prediction with the MLP probe (100% labels, seed 0): AURC and the accuracy with
//     10/20/50% of the rows dropped, for the latent scores (posterior std, its 90th percentile,
//     the view mixture's std, the surprise, the relative surprise, the conditional prior's
//     spread), the probe's own scores (1 - max probability, entropy, 1 - margin) and a combined
//     selector: a logistic model fitted on the validation rows only, predicting the probe's error
//     from all of them.
// Writes bench/results/studies/recipe-<dataset>[-<settings>].{json,md}; the trained models are
// cached in bench/results/cache/ under the same name.
//   node bench/studies/recipe.js <dataset> [--seed 0] [--max-seconds 300] [--epochs 100] [--rows N] [--scaling minmax]
//   node bench/studies/recipe.js --csv FILE --target COLUMN [same options]
//   --no-tjepa: Var-T-JEPA only (the T-JEPA columns read '-'), for comparing settings
// datasets: those of bench/studies/reproduce.js (adult covertype electricity credit bank mnist sim);
// --csv reads any table as a user would (prepareDataset: column kinds inferred, the default
// scaling, a stratified 70/10/20 split with seed 0), named after the file (bench/studies/unseen-tables.R
// writes the tables no one tuned for).
'use strict';
const fs = require('fs');
const path = require('path');
const pkg = require('../../dist/cjs/index.js');
const { VarTJepa, TJepa, MlpProbe, LinearProbe, recipe, prepareDataset, rawFeatures, accuracy, selectiveAccuracy, aurc, surpriseReference, relativeSurprise, embeddingSpread, coefficientOfVariation } = pkg;
const { loadData, labelled, DATASETS } = require('./reproduce.js');
const { cacheDir, studyOutput, writeStudy } = require('./output.js');

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const FRACTIONS = [1, 0.2, 0.05, 0.01];
const DROPS = [0.1, 0.2, 0.5];
const PROBE_SEEDS = 3;
const VIEWS = 8;
const REFERENCE_ROWS = 2000;

function args() {
  const a = process.argv.slice(2);
  const o = { dataset: null, csv: null, target: null, seed: 0, maxSeconds: 300, epochs: 100, rows: undefined, scaling: undefined, tjepa: true };
  for (let i = 0; i < a.length; i++) {
    const num = () => {
      const v = Number(a[++i]);
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`Expected a non-negative number after ${a[i - 1]} but received '${a[i]}'`);
      return v;
    };
    if (a[i] === '--seed') o.seed = num();
    else if (a[i] === '--max-seconds') o.maxSeconds = num();
    else if (a[i] === '--epochs') o.epochs = num();
    else if (a[i] === '--rows') o.rows = num();
    else if (a[i] === '--scaling') o.scaling = a[++i];
    else if (a[i] === '--csv') o.csv = a[++i];
    else if (a[i] === '--no-tjepa') o.tjepa = false;
    else if (a[i] === '--target') o.target = a[++i];
    else if (a[i].startsWith('-')) throw new RangeError(`Unknown option ${a[i]}`);
    else if (!DATASETS[a[i]]) throw new RangeError(`Unknown dataset '${a[i]}'; choose from: ${Object.keys(DATASETS).join(', ')}`);
    else o.dataset = a[i];
  }
  if (o.csv) {
    if (o.dataset) throw new RangeError('Name a dataset or give --csv, not both');
    if (!o.target) throw new RangeError('--csv needs --target COLUMN');
    if (!fs.existsSync(o.csv)) throw new RangeError(`--csv: no file '${o.csv}'`);
    if (o.rows !== undefined) throw new RangeError('--rows applies to the named datasets only');
    o.dataset = path.basename(o.csv).replace(/\.csv(\.gz)?$/, '');
  }
  if (!o.dataset) throw new RangeError('Name a dataset or give --csv FILE --target COLUMN');
  return o;
}

/** The first `share` of each split's rows, in the split's (already shuffled, stratified) order, at least 2 per class when there are. */
function labelledShare(part, share, classes, seed) {
  if (share >= 1) return part;
  const n = Math.max(Math.ceil(part.rows * share), 2 * classes);
  // a seeded choice of rows, each class represented
  let s = (seed * 2654435761 + 12345) >>> 0;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
  const idx = Array.from({ length: part.rows }, (_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const pick = [];
  for (let k = 0; k < classes; k++) pick.push(...idx.filter((i) => part.y[i] === k).slice(0, 2));
  for (const i of idx) if (pick.length < n && !pick.includes(i)) pick.push(i);
  return Int32Array.from(pick.sort((a, b) => a - b));
}

function rowsOf(f, dim, idx) {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((r, i) => out.set(f.subarray(r * dim, r * dim + dim), i * dim));
  return out;
}

/** Probes on one feature matrix per part at every label share: MLP over seeds, linear once. */
async function labelEfficiency(feat, dim, data, classes) {
  const out = {};
  for (const share of FRACTIONS) {
    const tr = labelledShare(data.train, share, classes, 1), va = labelledShare(data.validation, share, classes, 2);
    const all = (part) => Int32Array.from({ length: data[part].rows }, (_, i) => i);
    const trI = tr instanceof Int32Array ? tr : all('train'), vaI = va instanceof Int32Array ? va : all('validation');
    const xTr = rowsOf(feat.train, dim, trI), yTr = Int32Array.from(trI, (i) => data.train.y[i]);
    const xVa = rowsOf(feat.validation, dim, vaI), yVa = Int32Array.from(vaI, (i) => data.validation.y[i]);
    const mlp = [];
    for (let seed = 0; seed < PROBE_SEEDS; seed++) {
      if (process.env.RECIPE_DEBUG) log(`    ${share * 100}% seed ${seed}: ${xTr.length / dim} rows, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
      const p = new MlpProbe({ seed });
      await p.fit(xTr, yTr, { classes, validation: { x: xVa, y: yVa } });
      mlp.push(accuracy(await p.predict(feat.test), data.test.y));
      p.dispose();
    }
    log(`    ${share * 100}% labels: MLP ${mlp.map((a) => a.toFixed(3)).join(' ')}`);
    const lin = new LinearProbe();
    await lin.fit(xTr, yTr, { classes });
    out[share] = { labelledRows: trI.length, mlp: { runs: mlp, mean: mean(mlp) }, linear: accuracy(lin.predict(feat.test), data.test.y) };
  }
  return out;
}


/** The probe's own scores from class probabilities (rows, K): higher = less certain. */
function probeScores(proba, K) {
  const rows = proba.length / K;
  const maxp = new Float32Array(rows), ent = new Float32Array(rows), margin = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let a = 0, b = 0, h = 0;
    for (let k = 0; k < K; k++) {
      const p = proba[r * K + k];
      if (p > a) { b = a; a = p; } else if (p > b) b = p;
      if (p > 0) h -= p * Math.log(p);
    }
    maxp[r] = 1 - a;
    ent[r] = h;
    margin[r] = 1 - (a - b);
  }
  return { 'probe-maxprob': maxp, 'probe-entropy': ent, 'probe-margin': margin };
}

/** A logistic model of the probe's error on the validation rows from standardised scores; returns test scores. */
function combined(valScores, valError, testScores) {
  const keys = Object.keys(valScores);
  const stats = keys.map((k) => {
    const a = Array.from(valScores[k]);
    const m = mean(a), sd = Math.sqrt(mean(a.map((v) => (v - m) ** 2))) || 1;
    return { m, sd };
  });
  const feats = (s, r) => keys.map((k, j) => (s[k][r] - stats[j].m) / stats[j].sd);
  const n = valError.length, J = keys.length;
  const w = new Float64Array(J), lr = 0.1, l2 = 1e-3;
  let b = 0;
  for (let it = 0; it < 500; it++) {
    const gw = new Float64Array(J);
    let gb = 0;
    for (let r = 0; r < n; r++) {
      const x = feats(valScores, r);
      let z = b;
      for (let j = 0; j < J; j++) z += w[j] * x[j];
      const g = 1 / (1 + Math.exp(-z)) - valError[r];
      for (let j = 0; j < J; j++) gw[j] += g * x[j];
      gb += g;
    }
    for (let j = 0; j < J; j++) w[j] -= lr * (gw[j] / n + l2 * w[j]);
    b -= lr * gb / n;
  }
  const rows = testScores[keys[0]].length;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const x = feats(testScores, r);
    let z = b;
    for (let j = 0; j < J; j++) z += w[j] * x[j];
    out[r] = z;
  }
  return { score: out, weights: Object.fromEntries(keys.map((k, j) => [k, w[j]])) };
}

/** A CSV as a user reads it: prepareDataset with the defaults, rows with a missing target left out. */
async function loadCsv(o) {
  const p = await prepareDataset(o.csv, { target: o.target, task: 'classification', seed: 0, ...(o.scaling ? { scaling: o.scaling } : {}) });
  return { schema: { features: p.schema.features }, classes: p.schema.target.classes.length, train: labelled(p.train), validation: labelled(p.validation), test: labelled(p.test) };
}

async function pretrainOrLoad(Kind, label, data, o, cacheName) {
  const cache = path.join(cacheDir(), `${cacheName}-${label}.safetensors`);
  if (fs.existsSync(cache)) {
    log(`loaded ${path.relative(process.cwd(), cache)}`);
    return { model: await Kind.load(cache), fit: JSON.parse(fs.readFileSync(`${cache}.json`, 'utf8')) };
  }
  const r = recipe(data.schema, data.train.rows);
  const model = new Kind(data.schema, { ...r.options, seed: o.seed });
  const t0 = Date.now();
  const res = await model.fit({ x: data.train.x, rows: data.train.rows }, {
    epochs: o.epochs, maxSeconds: o.maxSeconds,
    onEpoch: (e) => log(`  ${label} epoch ${e.epoch}: loss ${(e.loss.total ?? e.loss.loss).toFixed(4)}, ${Math.round(e.rowsPerSec)} rows/s`),
  });
  const fit = { recipe: r.why, preset: r.preset, batchSize: r.options.batchSize, epochs: res.epochs, stopReason: res.stopReason, seconds: (Date.now() - t0) / 1000, diagnostics: res.diagnostics };
  await model.save(cache);
  fs.writeFileSync(`${cache}.json`, JSON.stringify(fit, null, 1));
  return { model, fit };
}

async function main() {
  const o = args();
  const name = o.dataset;
  const out = studyOutput(`recipe-${name}`, { seed: o.seed, maxSeconds: o.maxSeconds, epochs: o.epochs, rows: o.rows, scaling: o.scaling, tjepa: o.tjepa }, { seed: 0, maxSeconds: 300, epochs: 100, tjepa: true });
  const data = o.csv ? await loadCsv(o) : await loadData(name, { rows: o.rows, scaling: o.scaling });
  const classes = data.classes;
  const D = data.schema.features.length;
  log(`${name}: ${data.train.rows} train, ${data.validation.rows} validation, ${data.test.rows} test rows, ${D} features`);
  const parts = ['train', 'validation', 'test'];
  const result = { dataset: name, settings: o, rows: { train: data.train.rows, validation: data.validation.rows, test: data.test.rows }, features: D, classes };

  // raw features
  const raw = Object.fromEntries(parts.map((p) => [p, rawFeatures({ x: data[p].x, rows: data[p].rows }, data.schema)]));
  const rawDim = raw.train.dim;
  log('raw features: probes');
  result.raw = await labelEfficiency({ train: raw.train.x, validation: raw.validation.x, test: raw.test.x }, rawDim, data, classes);

  // Var-T-JEPA
  const v = await pretrainOrLoad(VarTJepa, 'varjepa', data, o, path.basename(out));
  result.varTJepa = { fit: v.fit };
  const emb = {}, plain = {};
  for (const p of parts) plain[p] = await v.model.embed({ x: data[p].x, rows: data[p].rows });
  for (const p of parts) emb[p] = plain[p].embeddings;
  const dim = plain.train.dim;
  result.varTJepa.embeddingSpread = embeddingSpread(plain.test.embeddings, data.test.rows, dim);
  log('Var-T-JEPA: probes');
  result.varTJepa.probes = await labelEfficiency(emb, dim, data, classes);
  const refRows = Math.min(REFERENCE_ROWS, data.train.rows);
  const views = { views: VIEWS, viewFraction: 0.5 };
  const reference = surpriseReference(await v.model.embed({ x: data.train.x.subarray(0, refRows * D), rows: refRows }, { ...views, featureSurprise: true }));
  const latent = {};
  for (const p of ['validation', 'test']) {
    const w = await v.model.embed({ x: data[p].x, rows: data[p].rows }, { ...views, featureSurprise: true });
    latent[p] = {
      'std-mean': plain[p].uncertainty, 'std-p90': plain[p].uncertaintyP90, 'mix-std': w.uncertainty,
      surprise: w.surprise, 'rel-surprise': relativeSurprise(w, reference), 'prior-std': w.priorUncertainty,
    };
  }
  v.model.dispose();

  // T-JEPA
  let t = null;
  if (o.tjepa) {
    t = await pretrainOrLoad(TJepa, 'tjepa', data, o, path.basename(out));
    result.tJepa = { fit: t.fit };
    const temb = {};
    for (const p of parts) temb[p] = (await t.model.embed({ x: data[p].x, rows: data[p].rows })).embeddings;
    t.model.dispose();
    result.tJepa.embeddingSpread = embeddingSpread(temb.test, data.test.rows, dim);
    log('T-JEPA: probes');
    result.tJepa.probes = await labelEfficiency(temb, dim, data, classes);
  }

  // selective prediction: the MLP probe on Var-T-JEPA embeddings, 100% labels, seed 0
  const probe = new MlpProbe({ seed: 0 });
  await probe.fit(emb.train, data.train.y, { classes, validation: { x: emb.validation, y: data.validation.y } });
  const sel = {};
  for (const p of ['validation', 'test']) {
    const proba = await probe.predictProba(emb[p]);
    sel[p] = { pred: await probe.predict(emb[p]), scores: { ...latent[p], ...probeScores(proba, classes) } };
  }
  probe.dispose();
  const valError = Array.from(sel.validation.pred, (k, i) => (k === data.validation.y[i] ? 0 : 1));
  const comb = combined(sel.validation.scores, valError, sel.test.scores);
  sel.test.scores.combined = comb.score;
  result.selective = { base: accuracy(sel.test.pred, data.test.y), combinedWeights: comb.weights, scores: {} };
  for (const [k, s] of Object.entries(sel.test.scores)) {
    result.selective.scores[k] = {
      cv: coefficientOfVariation(s), aurc: aurc(sel.test.pred, data.test.y, s),
      ...Object.fromEntries(DROPS.map((q) => [`drop${q * 100}`, selectiveAccuracy(sel.test.pred, data.test.y, s, q)])),
    };
  }
  result.date = new Date().toISOString();

  // the report
  const f3 = (x) => (x === undefined ? '-' : x.toFixed(3));
  const tj = (q, k) => (t ? (k === 'mlp' ? result.tJepa.probes[q].mlp.mean : result.tJepa.probes[q].linear) : undefined);
  const md = [`# The recipe on ${name}`, '',
    `Generated by \`node bench/studies/recipe.js ${process.argv.slice(2).join(' ')}\` on ${result.date.slice(0, 10)}. ${data.train.rows} train / ${data.validation.rows} validation / ${data.test.rows} test rows, ${D} features, ${classes} classes. Pretraining without labels (the recipe's configuration, at most ${o.epochs} epochs within ${o.maxSeconds} s each), pretraining seed ${o.seed}.`, '',
    `Var-T-JEPA: ${v.fit.recipe}; ${v.fit.epochs} epochs (${v.fit.stopReason}), ${Math.round(v.fit.seconds)} s; ${t ? `T-JEPA: ${t.fit.epochs} epochs, ${Math.round(t.fit.seconds)} s` : 'T-JEPA not run (--no-tjepa)'}. Embedding spread on the test rows: Var-T-JEPA ${result.varTJepa.embeddingSpread.toPrecision(3)}${t ? `, T-JEPA ${result.tJepa.embeddingSpread.toPrecision(3)}` : ''}.`, '',
    '## Test accuracy by share of training labels (MLP probe: mean of 3 seeds; linear probe)', '',
    '| labels | raw MLP | Var-T-JEPA MLP | T-JEPA MLP | raw linear | Var-T-JEPA linear | T-JEPA linear |', '|---|---:|---:|---:|---:|---:|---:|',
    ...FRACTIONS.map((q) => `| ${q * 100}% (${result.raw[q].labelledRows} rows) | ${f3(result.raw[q].mlp.mean)} | ${f3(result.varTJepa.probes[q].mlp.mean)} | ${f3(tj(q, 'mlp'))} | ${f3(result.raw[q].linear)} | ${f3(result.varTJepa.probes[q].linear)} | ${f3(tj(q, 'linear'))} |`), '',
    `## Selective prediction (MLP probe on Var-T-JEPA embeddings, seed 0; accuracy keeping every row ${f3(result.selective.base)})`, '',
    '| score | CV over test rows | AURC | 10% dropped | 20% dropped | 50% dropped |', '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(result.selective.scores).map(([k, s]) => `| ${k} | ${(100 * s.cv).toFixed(2)}% | ${s.aurc.toFixed(4)} | ${f3(s.drop10)} | ${f3(s.drop20)} | ${f3(s.drop50)} |`), '',
    `The combined selector's weights (standardised scores, fitted on the validation rows): ${Object.entries(comb.weights).map(([k, w]) => `${k} ${w.toFixed(2)}`).join(', ')}.`, ''];
  log(`wrote ${writeStudy(out, result, md.join('\n')).join(', ')}`);
  console.log(md.join('\n'));
}

main().catch((e) => {
  // a wrong argument or file: the message and exit 1; anything else is a bug: the stack and exit 2
  if (e instanceof RangeError) console.error(`recipe.js: ${e.message}`);
  else console.error(e);
  process.exit(e instanceof RangeError ? 1 : 2);
});
