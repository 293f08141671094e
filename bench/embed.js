#!/usr/bin/env node
// Embedding throughput of Var-T-JEPA, Adult configuration (d 64, L 8, 14 features), on 1 and 2
// threads: median rows/s over several timed runs after warm-up. Run after `npm run compile`.
//   node bench/embed.js [--runs 5] [--rows 20000]
'use strict';
const fs = require('fs');
const path = require('path');
const { VarTJepa, setThreads, info } = require('../dist/cjs/index.js');
const { adultSchema, adultLikeRows, median } = require('./adult-config');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main() {
  const runs = arg('runs', 5);
  const rows = arg('rows', 20000);
  const data = adultLikeRows(rows);
  const results = [];
  for (const threads of [1, 2]) {
    setThreads(threads);
    const model = new VarTJepa(adultSchema(), { batchSize: 512 });
    await model.embed({ x: data.x.subarray(0, 2048 * 14), rows: 2048 }); // warm-up
    const rates = [];
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      await model.embed(data);
      rates.push(rows / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
    results.push({ threads, runs: rates.map((v) => Math.round(v)), median: Math.round(median(rates)) });
    console.log(`threads ${threads}: ${rates.map((v) => v.toFixed(0)).join(', ')} rows/s (median ${median(rates).toFixed(0)})`);
    model.dispose();
  }
  const i = info();
  const out = { date: new Date().toISOString(), isa: i.isa.inUse, sourceHash: i.binary.sourceHash, config: 'adult (d 64, L 8, H 4, ff 256, D 14)', rows, results };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'embed.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
