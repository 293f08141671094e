// The MLP probe of docs/model.md, section 11 over several probe seeds, shared by the study scripts
// (collapse.js, electricity-columns.js, probe-scaling.js): fit on f.train with early stopping on
// f.validation, score f.test. Returns the test accuracy per seed and its mean, and with a per-row
// `uncertainty` of the test rows also the mean accuracy after dropping the 20% most uncertain.
//   f: { train, validation, test } feature matrices; y: { train, validation, test } labels
'use strict';
const { MlpProbe, accuracy, selectiveAccuracy } = require('../../dist/cjs/index.js');

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

async function mlpOverSeeds(f, y, classes, { seeds, standardize = true, uncertainty = null }) {
  const acc = [], drop20 = [];
  for (let seed = 0; seed < seeds; seed++) {
    const probe = new MlpProbe({ seed, standardize });
    await probe.fit(f.train, y.train, { classes, validation: { x: f.validation, y: y.validation } });
    const pred = await probe.predict(f.test);
    probe.dispose();
    acc.push(accuracy(pred, y.test));
    if (uncertainty) drop20.push(selectiveAccuracy(pred, y.test, uncertainty, 0.2));
  }
  return { accuracy: acc, mean: mean(acc), ...(uncertainty ? { dropped20: mean(drop20) } : {}) };
}

module.exports = { mlpOverSeeds, mean };
