#!/usr/bin/env node
// Which per-row score of a trained Var-T-JEPA ranks test rows by how much to trust the probe?
// Pretrains on one dataset of bench/studies/reproduce.js (the same split, preset and online model
// selection; the model is cached under bench/results/cache/ and reused), fits the MLP probe on
// the embeddings over several seeds, and for every candidate score reports the accuracy after
// dropping the q% highest-scoring rows, on the validation rows and on the test rows. The score is
// chosen on validation, never on test. Writes bench/results/studies/selective-<dataset>[-<settings>]
// .{json,md}, named by the settings that differ from the defaults (studies/output.js).
//   node bench/studies/selective.js adult [--epochs 10] [--seeds 3] [--views 8] [--seed S]
//       [--model '{"decoderLogvarInit":"data"}'] [--select 0] [--patience N]
// --seed: the pretraining seed (default 0); --model: option overrides; --select 0: pretrain every
// epoch without online model selection; --patience: probes without improvement before the
// online selection stops (default 3).
// Scores (all unsupervised, from the model alone):
//   std-mean, std-p90        the posterior standard deviations of section 7 (full-row context)
//   mix-mean, mix-p90        the same for the mixture over `views` random context views of half the row
//   surprise                 mean KL_sy of the features outside each view
//   rel-surprise             the same per feature, divided by the feature's mean over (up to 2,000) training rows
//   std-num, std-cat         mean posterior std over the numeric / the categorical features only
//   std-z                    per feature, the posterior std as a z-score over the training rows, averaged
//   sx-std, z-std            the posterior std of the other latents, s_x (context tokens) and z, full-row context
//   sx-std-views, z-std-views  the same averaged over the context views
'use strict';
const fs = require('fs');
const path = require('path');
const { VarTJepa, MlpProbe, accuracy, selectiveAccuracy, aurc, surpriseReference, relativeSurprise } = require('../../dist/cjs/index.js');
const { loadData, pretrain } = require('./reproduce.js');
const { cacheDir, studyOutput, writeStudy } = require('./output.js');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
function textArg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const DROPS = [0.1, 0.2, 0.5];

function featureMean(fu, rows, D, keep) {
  const out = new Float32Array(rows);
  const js = [...Array(D).keys()].filter(keep);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (const j of js) s += fu[r * D + j];
    out[r] = s / js.length;
  }
  return out;
}

function zScored(fu, rows, D, ref, refRows) {
  const mu = new Float64Array(D), sd = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    let s = 0, q = 0;
    for (let r = 0; r < refRows; r++) s += ref[r * D + j];
    mu[j] = s / refRows;
    for (let r = 0; r < refRows; r++) q += (ref[r * D + j] - mu[j]) ** 2;
    sd[j] = Math.sqrt(q / refRows) || 1;
  }
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += (fu[r * D + j] - mu[j]) / sd[j];
    out[r] = s / D;
  }
  return out;
}

const REFERENCE_ROWS = 2000;

async function scores(model, part, data, trainFu, reference) {
  const D = data.schema.features.length;
  const isNum = (j) => data.schema.features[j].kind === 'numeric';
  const e = await model.embed({ x: data[part].x, rows: data[part].rows }, { featureUncertainty: true, latentUncertainty: true });
  const v = await model.embed({ x: data[part].x, rows: data[part].rows }, { ...viewOptions(), latentUncertainty: true, featureSurprise: true });
  const rows = data[part].rows;
  const s = {
    'std-mean': e.uncertainty, 'std-p90': e.uncertaintyP90, 'mix-mean': v.uncertainty, 'mix-p90': v.uncertaintyP90, surprise: v.surprise,
    'rel-surprise': relativeSurprise(v, reference),
    'sx-std': e.contextUncertainty, 'z-std': e.auxUncertainty, 'sx-std-views': v.contextUncertainty, 'z-std-views': v.auxUncertainty,
    'std-z': zScored(e.featureUncertainty, rows, D, trainFu, trainFu.length / D),
  };
  if ([...Array(D).keys()].some(isNum)) s['std-num'] = featureMean(e.featureUncertainty, rows, D, isNum);
  if ([...Array(D).keys()].some((j) => !isNum(j))) s['std-cat'] = featureMean(e.featureUncertainty, rows, D, (j) => !isNum(j));
  return { emb: e.embeddings, s };
}

const viewOptions = () => ({ views: arg('views', 8), viewFraction: 0.5 });

async function main() {
  const name = process.argv[2] || 'adult';
  const epochs = arg('epochs', 10), seeds = arg('seeds', 3);
  const data = await loadData(name, {});
  const modelJson = textArg('model');
  const pretrainSeed = arg('seed', undefined), select = arg('select', 1) !== 0, patience = arg('patience', undefined);
  const overrides = { ...(modelJson ? JSON.parse(modelJson) : {}), ...(pretrainSeed !== undefined ? { seed: pretrainSeed } : {}) };
  const settings = { epochs, seeds, views: viewOptions().views, seed: pretrainSeed ?? 0, select, patience, model: modelJson ? JSON.parse(modelJson) : {} };
  const out = studyOutput(`selective-${name}`, settings, { epochs: 10, seeds: 3, views: 8, seed: 0, select: true, model: {} });
  const cache = path.join(cacheDir(), `${path.basename(out)}.safetensors`);
  let model, pre = null;
  if (fs.existsSync(cache)) {
    model = await VarTJepa.load(cache);
    log(`loaded ${cache}`);
  } else {
    log(`${name}: pretraining ${epochs} epochs`);
    ({ model, pretrain: pre } = await pretrain('varjepa', name, data, { epochs, seeds, model: overrides, select, patience }));
    await model.save(cache);
  }
  const trainE = await model.embed({ x: data.train.x, rows: data.train.rows }, { featureUncertainty: true });
  const refRows = Math.min(REFERENCE_ROWS, data.train.rows), D = data.schema.features.length;
  const reference = surpriseReference(await model.embed({ x: data.train.x.subarray(0, refRows * D), rows: refRows }, { ...viewOptions(), featureSurprise: true }));
  const val = await scores(model, 'validation', data, trainE.featureUncertainty, reference);
  const test = await scores(model, 'test', data, trainE.featureUncertainty, reference);
  model.dispose();
  const res = {};
  for (let seed = 0; seed < seeds; seed++) {
    const probe = new MlpProbe({ seed });
    await probe.fit(trainE.embeddings, data.train.y, { classes: data.classes, validation: { x: val.emb, y: data.validation.y } });
    const pv = await probe.predict(val.emb), pt = await probe.predict(test.emb);
    probe.dispose();
    for (const k of Object.keys(test.s)) {
      const r = (res[k] ??= { validation: { base: [], aurc: [] }, test: { base: [], aurc: [] } });
      for (const [part, pred, y, sc] of [['validation', pv, data.validation.y, val.s[k]], ['test', pt, data.test.y, test.s[k]]]) {
        r[part].base.push(accuracy(pred, y));
        r[part].aurc.push(aurc(pred, y, sc));
        for (const q of DROPS) (r[part][q] ??= []).push(selectiveAccuracy(pred, y, sc, q));
      }
    }
    log(`seed ${seed}: test accuracy ${accuracy(pt, data.test.y).toFixed(4)}`);
  }
  const lines = [`# Selective prediction on ${name}: which score to drop by`, '',
    `Generated by \`node bench/studies/selective.js ${process.argv.slice(2).join(' ')}\` on ${new Date().toISOString().slice(0, 10)}. MLP probe on Var-T-JEPA embeddings (${epochs} pretraining epochs, ${select ? 'online model selection' : 'every epoch, no model selection'}${Object.keys(overrides).length ? `, options ${JSON.stringify(overrides)}` : ''}), mean over ${seeds} probe seeds; accuracy after dropping the q% highest-scoring rows, as a gain in points over keeping every row. AURC: lower is better.`, '',
    '| score | val +10% | val +20% | val +50% | val AURC | test +10% | test +20% | test +50% | test AURC |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const pts = (a, b) => ((mean(a) - mean(b)) * 100).toFixed(2);
  for (const [k, r] of Object.entries(res)) {
    lines.push(`| ${k} | ${DROPS.map((q) => pts(r.validation[q], r.validation.base)).join(' | ')} | ${mean(r.validation.aurc).toFixed(4)} | ${DROPS.map((q) => pts(r.test[q], r.test.base)).join(' | ')} | ${mean(r.test.aurc).toFixed(4)} |`);
  }
  const base = Object.values(res)[0];
  lines.push('', `Accuracy keeping every row: validation ${mean(base.validation.base).toFixed(4)}, test ${mean(base.test.base).toFixed(4)}.`);
  const best = Object.entries(res).sort((a, b) => mean(b[1].validation[0.2]) - mean(a[1].validation[0.2]))[0][0];
  lines.push(`Chosen on validation (+20%): **${best}**, which gives ${pts(res[best].test[0.2], res[best].test.base)} points on test.`);
  // a cached model has no pretraining record: keep the one an earlier run of these settings wrote
  if (!pre && fs.existsSync(`${out}.json`)) pre = JSON.parse(fs.readFileSync(`${out}.json`, 'utf8')).pretrain ?? null;
  writeStudy(out, { dataset: name, epochs, seeds, pretrainSeed: pretrainSeed ?? 0, select, ...(patience !== undefined ? { patience } : {}), overrides, ...(pre ? { pretrain: pre } : {}), date: new Date().toISOString(), results: res }, lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
