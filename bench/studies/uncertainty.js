#!/usr/bin/env node
// Which per-row quantity tracks the SIM-like table's ambiguity u? For each configuration (the
// demo model with overrides, trained on 70% of 6,000 rows, seed 0), reports on the test 20%:
// linear-probe accuracy; Spearman(posterior std, u) (mean and 90th percentile, full-row
// context); and for each (views, viewFraction): Spearman(surprise, u) and the accuracy after
// dropping the 20% most uncertain / most surprising rows. Also the raw-feature yardsticks: the
// distance to the nearest class centroid and the entropy of a linear probe on raw features.
// Appends to bench/results/studies/uncertainty.json (the runs of docs/uncertainty-study.md). Not
// part of `npm run bench` (minutes per config).
//   node bench/studies/uncertainty.js '[{"epochs":50,"model":{"lr":0.002},"views":[[16,0.5]]}]'
'use strict';
const fs = require('fs');
const path = require('path');
const { VarTJepa, simTable, LinearProbe, selectiveAccuracy, spearman } = require('../../dist/cjs/index.js');
const { DEMO_MODEL } = require('../../dist/cjs/commands/demo.js');
const { RESULTS } = require('./output.js');

function split(sim) {
  const D = sim.schema.features.length;
  const nTrain = Math.floor(sim.rows * 0.7), nVal = Math.floor(sim.rows * 0.1);
  const take = (lo, hi) => ({ x: sim.x.slice(lo * D, hi * D), rows: hi - lo, labels: sim.labels.slice(lo, hi), amb: sim.ambiguity.slice(lo, hi) });
  return { D, train: take(0, nTrain), test: take(nTrain + nVal, sim.rows) };
}

function yardsticks(sim) {
  const { D, train, test } = split(sim);
  const K = sim.classes, P = sim.schema.features.filter((f) => f.kind === 'numeric').length;
  const probe = LinearProbe.fit(train.x, train.rows, train.labels, K);
  const p = probe.predictProba(test.x, test.rows);
  const ent = new Float32Array(test.rows), dist = new Float32Array(test.rows);
  const cent = Array.from({ length: K }, () => new Float64Array(P)), cnt = new Array(K).fill(0);
  for (let i = 0; i < train.rows; i++) {
    cnt[train.labels[i]]++;
    for (let j = 0; j < P; j++) cent[train.labels[i]][j] += train.x[i * D + j];
  }
  for (let k = 0; k < K; k++) for (let j = 0; j < P; j++) cent[k][j] /= cnt[k];
  for (let i = 0; i < test.rows; i++) {
    for (let k = 0; k < K; k++) ent[i] -= p[i * K + k] * Math.log(p[i * K + k] + 1e-12);
    let best = Infinity;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < P; j++) s += (test.x[i * D + j] - cent[k][j]) ** 2;
      best = Math.min(best, s);
    }
    dist[i] = best;
  }
  return { rawProbeEntropy: spearman(ent, test.amb), nearestCentroidDistance: spearman(dist, test.amb) };
}

async function run(c) {
  const t0 = Date.now();
  const sim = simTable({ rows: 6000, seed: 0 });
  const { train, test } = split(sim);
  const model = new VarTJepa(sim.schema, { ...DEMO_MODEL, seed: 0, ...(c.model ?? {}) });
  try {
    await model.fit(train, { epochs: c.epochs ?? 50 });
    const et = await model.embed(train), es = await model.embed(test);
    const pred = LinearProbe.fit(et.embeddings, train.rows, train.labels, sim.classes).predict(es.embeddings, test.rows);
    const out = {
      config: c,
      probe: selectiveAccuracy(pred, test.labels, null, 0),
      drop20Posterior: selectiveAccuracy(pred, test.labels, es.uncertainty, 0.2),
      spearmanPosterior: spearman(es.uncertainty, test.amb),
      spearmanPosteriorP90: spearman(es.uncertaintyP90, test.amb),
      views: [],
    };
    for (const [views, fraction] of c.views ?? []) {
      const a = await model.embed(train, { views, viewFraction: fraction });
      const b = await model.embed(test, { views, viewFraction: fraction });
      const pv = LinearProbe.fit(a.embeddings, train.rows, train.labels, sim.classes).predict(b.embeddings, test.rows);
      out.views.push({
        views, fraction,
        probe: selectiveAccuracy(pv, test.labels, null, 0),
        spearmanMixtureStd: spearman(b.uncertainty, test.amb),
        spearmanSurprise: spearman(b.surprise, test.amb),
        drop20Surprise: selectiveAccuracy(pred, test.labels, b.surprise, 0.2),
      });
    }
    out.seconds = (Date.now() - t0) / 1000;
    return out;
  } finally {
    model.dispose();
  }
}

async function main() {
  const configs = JSON.parse(process.argv[2] ?? '[{"epochs":50,"model":{"lr":0.002},"views":[[16,0.5]]}]');
  const file = path.join(RESULTS, 'uncertainty.json');
  const db = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { yardsticks: null, runs: [] };
  db.yardsticks = yardsticks(simTable({ rows: 6000, seed: 0 }));
  console.log('raw-feature yardsticks', JSON.stringify(db.yardsticks));
  for (const c of configs) {
    const r = await run(c);
    console.log(JSON.stringify(r));
    db.runs.push({ date: new Date().toISOString(), ...r });
    fs.writeFileSync(file, JSON.stringify(db, null, 1) + '\n');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
