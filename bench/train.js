#!/usr/bin/env node
// Training throughput of Var-T-JEPA, Adult configuration (d 64, L 8, batch 512, 14 features),
// on 1 and 2 threads: median samples/s over several timed runs after warm-up. Also peak RSS and
// its growth over many steps (--memory). Run after `npm run compile`.
//   node bench/train.js [--runs 5] [--steps 20] [--memory 1000]
'use strict';
const fs = require('fs');
const path = require('path');
const { VarTJepa, setThreads, info } = require('../dist/cjs/index.js');
const { adultSchema, adultLikeRows, median } = require('./adult-config');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

async function timeSteps(model, data, steps, startStep) {
  const B = 512;
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < steps; s++) {
    const step = startStep + s;
    const r0 = (step * B) % (data.rows - B);
    const batch = { x: data.x.subarray(r0 * 14, (r0 + B) * 14), rows: B };
    const masks = model.masksAt(step, B);
    const sched = model.scheduleAt(step, 64, 6400);
    await model.trainStep(batch, masks, sched);
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main() {
  const runs = arg('runs', 5);
  const steps = arg('steps', 20);
  const memSteps = arg('memory', 0);
  const data = adultLikeRows(8192);
  const results = [];
  for (const threads of [1, 2]) {
    setThreads(threads);
    const model = new VarTJepa(adultSchema(), { batchSize: 512 });
    await timeSteps(model, data, 3, 0); // warm-up
    const rates = [];
    for (let r = 0; r < runs; r++) {
      const secs = await timeSteps(model, data, steps, 3 + r * steps);
      rates.push((steps * 512) / secs);
    }
    results.push({ threads, runs: rates.map((v) => Math.round(v)), median: Math.round(median(rates)) });
    console.log(`threads ${threads}: ${rates.map((v) => v.toFixed(0)).join(', ')} samples/s (median ${median(rates).toFixed(0)})`);
    model.dispose();
  }
  let memory = null;
  if (memSteps > 0) {
    setThreads(2);
    const model = new VarTJepa(adultSchema(), { batchSize: 512 });
    const rss = [];
    for (let s = 0; s < memSteps; s += 100) {
      await timeSteps(model, data, Math.min(100, memSteps - s), s);
      rss.push(Math.round(process.memoryUsage().rss / 1048576));
    }
    memory = { steps: memSteps, rssMiBEvery100Steps: rss, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
    console.log(`memory: RSS every 100 steps (MiB) ${rss.join(' ')}; peak ${memory.peakRssMiB} MiB`);
    model.dispose();
  }
  const i = info();
  const out = { date: new Date().toISOString(), isa: i.isa.inUse, sourceHash: i.binary.sourceHash, config: 'adult (d 64, L 8, H 4, ff 256, dP 16, LP 2, K 4, batch 512, D 14: 6 numeric, 8 categorical)', steps, results, memory };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
