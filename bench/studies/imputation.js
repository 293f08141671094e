#!/usr/bin/env node
// Does the generative path (docs/model.md, section 8) rank the SIM-like table's rows by ambiguity better
// than the latent scores? For each seed: trains the demo model (DEMO_MODEL, DEMO_EPOCHS) on the
// first 70% of simTable({ rows: 6000, seed }), then on the last 20% reports Spearman with the
// generating ambiguity u of
//   imputation   per row, the squared error of the held-out numeric features' imputed values
//                (the mean of `draws` draws of VarTJepa.generate, half the row observed, `views`
//                seeded random halves), each divided by that feature's variance over the training
//                rows, averaged; and the same without the division (imputation-raw)
//   category-nll the held-out categorical features' negative log-probability under the draws' mean
//   draw-spread  the model's own predictive uncertainty, no true value used: per row, the variance
//                over the draws of each held-out numeric feature's imputed value, divided by that
//                feature's variance over the training rows, averaged (multiple imputation, section 8)
//   category-entropy  the entropy of the draws' mean class probabilities of the held-out
//                categorical features, averaged
//   surprise     the demo's score (16 views of half the row)
//   distance     a model-free yardstick: the squared standardised distance of the row from the
//                training rows' column means
// Writes bench/results/studies/imputation[-<settings>].{json,md}. Not part of `npm run bench`
// (about 40 s a seed).
//   node bench/studies/imputation.js [--seeds 3] [--views 8] [--draws 8]
'use strict';
const fs = require('fs');
const path = require('path');
const { VarTJepa, simTable, spearman } = require('../../dist/cjs/index.js');
const { DEMO_MODEL, DEMO_EPOCHS, DEMO_VIEWS } = require('../../dist/cjs/commands/demo.js');
const { studyOutput, writeStudy } = require('./output.js');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

// seeded partial Fisher-Yates: the first half of a permutation of the D features is observed
function observedHalves(rows, D, seed) {
  let st = seed >>> 0;
  const next = () => {
    st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
    return st / 2 ** 32;
  };
  const obs = new Uint8Array(rows * D);
  const perm = new Int32Array(D);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < D; j++) perm[j] = j;
    for (let t = 0; t < D / 2; t++) {
      const k = t + Math.floor(next() * (D - t));
      [perm[t], perm[k]] = [perm[k], perm[t]];
      obs[i * D + perm[t]] = 1;
    }
  }
  return obs;
}

async function runSeed(seed, views, draws) {
  const sim = simTable({ rows: 6000, seed });
  const D = sim.schema.features.length;
  const isNum = sim.schema.features.map((f) => f.kind === 'numeric');
  const nTrain = Math.floor(sim.rows * 0.7), nTest = Math.floor(sim.rows * 0.2);
  const train = { x: sim.x.slice(0, nTrain * D), rows: nTrain };
  const test = { x: sim.x.slice((sim.rows - nTest) * D), rows: nTest };
  const amb = sim.ambiguity.slice(sim.rows - nTest);
  const mean = new Float64Array(D), vari = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    if (!isNum[j]) continue;
    for (let i = 0; i < nTrain; i++) mean[j] += train.x[i * D + j] / nTrain;
    for (let i = 0; i < nTrain; i++) vari[j] += (train.x[i * D + j] - mean[j]) ** 2 / nTrain;
  }
  const model = new VarTJepa(sim.schema, { ...DEMO_MODEL, seed });
  try {
    await model.fit(train, { epochs: DEMO_EPOCHS });
    const N = test.rows;
    const err = new Float64Array(N), raw = new Float64Array(N), nll = new Float64Array(N), cn = new Float64Array(N), cc = new Float64Array(N);
    const spread = new Float64Array(N), ent = new Float64Array(N);
    for (let v = 0; v < views; v++) {
      const obs = observedHalves(N, D, 1000 * seed + v + 1);
      const g = await model.generate(test, obs, { draws, seed: v });
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < D; j++) {
          if (obs[i * D + j]) continue;
          const at = (r) => (r * N + i) * D + j;
          if (isNum[j]) {
            let m = 0;
            for (let r = 0; r < draws; r++) m += g.values[at(r)] / draws;
            let q = 0;
            for (let r = 0; r < draws; r++) q += (g.values[at(r)] - m) ** 2 / Math.max(draws - 1, 1);
            spread[i] += q / Math.max(vari[j], 1e-12);
            const e2 = (m - test.x[i * D + j]) ** 2;
            err[i] += e2 / Math.max(vari[j], 1e-12);
            raw[i] += e2;
            cn[i]++;
          } else {
            // the draws' mean class probabilities, once: the true class's gives the NLL, all the entropy
            const C = sim.schema.features[j].categories;
            for (let c = 0; c < C; c++) {
              let pc = 0;
              for (let r = 0; r < draws; r++) pc += g.probs[(r * N + i) * g.probsPerRow + g.categoryOffsets[j] + c] / draws;
              if (c === test.x[i * D + j]) nll[i] -= Math.log(pc + 1e-9);
              if (pc > 0) ent[i] -= pc * Math.log(pc);
            }
            cc[i]++;
          }
        }
      }
    }
    const per = (a, c) => Float32Array.from(a, (s, i) => (c[i] > 0 ? s / c[i] : 0));
    const dist = new Float32Array(N);
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) if (isNum[j]) dist[i] += (test.x[i * D + j] - mean[j]) ** 2 / Math.max(vari[j], 1e-12);
    const e = await model.embed(test, { views: DEMO_VIEWS, viewFraction: 0.5 });
    return {
      seed,
      imputation: spearman(per(err, cn), amb),
      imputationRaw: spearman(per(raw, cn), amb),
      categoryNll: spearman(per(nll, cc), amb),
      drawSpread: spearman(per(spread, cn), amb),
      categoryEntropy: spearman(per(ent, cc), amb),
      surprise: spearman(e.surprise, amb),
      posteriorStd: spearman(e.uncertainty, amb),
      distance: spearman(dist, amb),
    };
  } finally {
    model.dispose();
  }
}

async function main() {
  const seeds = arg('seeds', 3), views = arg('views', 8), draws = arg('draws', 8);
  const rows = [];
  for (let s = 0; s < seeds; s++) {
    const r = await runSeed(s, views, draws);
    console.log(JSON.stringify(r));
    rows.push(r);
  }
  const keys = ['imputation', 'imputationRaw', 'categoryNll', 'drawSpread', 'categoryEntropy', 'surprise', 'posteriorStd', 'distance'];
  const lines = ['# Ambiguity on the SIM-like table: the generative path against the latent scores', '',
    `Generated by \`node bench/studies/imputation.js --seeds ${seeds} --views ${views} --draws ${draws}\` on ${new Date().toISOString().slice(0, 10)}: the demo model trained per seed; Spearman with the generating ambiguity u on the test rows (see the script's header for each score).`, '',
    `| seed | ${keys.join(' | ')} |`, `|---|${keys.map(() => '---:').join('|')}|`,
    ...rows.map((r) => `| ${r.seed} | ${keys.map((k) => r[k].toFixed(3)).join(' | ')} |`)];
  const out = studyOutput('imputation', { seeds, views, draws }, { seeds: 3, views: 8, draws: 8 });
  writeStudy(out, { date: new Date().toISOString(), seeds, views, draws, rows }, lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
