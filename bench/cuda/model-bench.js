#!/usr/bin/env node
// GPU timings for the device check: Var-T-JEPA training steps and embedding, Adult configuration
// (bench/adult-config.js), at batch 512 and 4096, on device 'cuda' and, for comparison, 'cpu'.
// Where the model cannot run on CUDA the error is recorded instead (it names the cause). Also
// times linear_forward/backward at the Adult encoder shapes through the op runner (includes the
// host<->device copies of the op runner, so it is an upper bound on kernel time).
//   node bench/cuda/model-bench.js --out results.json
'use strict';
const fs = require('fs');
const { VarTJepa, info } = require('../../dist/cjs/index.js');
const { native } = require('../../dist/cjs/native.js');
const { adultSchema, adultLikeRows } = require('../adult-config');

const outIdx = process.argv.indexOf('--out');
const outPath = outIdx >= 0 ? process.argv[outIdx + 1] : null;

async function trainAndEmbed(device, B, data) {
  const model = new VarTJepa(adultSchema(), { batchSize: B, device });
  const steps = 5;
  const run = async (from, n) => {
    for (let s = from; s < from + n; s++) {
      const r0 = (s * B) % (data.rows - B);
      await model.trainStep({ x: data.x.subarray(r0 * 14, (r0 + B) * 14), rows: B }, model.masksAt(s, B), model.scheduleAt(s, 64, 6400));
    }
  };
  await run(0, 2);  // warm-up
  let t0 = process.hrtime.bigint();
  await run(2, steps);
  const trainSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const rows = { x: data.x.subarray(0, B * 14 * 4), rows: B * 4 };
  await model.embed(rows);
  t0 = process.hrtime.bigint();
  await model.embed(rows);
  const embedSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = { device: model.device, batch: B, trainRowsPerSec: (steps * B) / trainSec, embedRowsPerSec: rows.rows / embedSec };
  model.dispose();
  return r;
}

function opBench(B) {
  const b = native().binding;
  const M = B * 15, K = 64, N = 64;  // encoder tokens (B rows x (1 + 14)) through a 64 x 64 projection
  const r = {};
  for (const be of ['cuda', 'avx2']) {
    const inp = new Float32Array(M * K).fill(0.5), weight = new Float32Array(N * K).fill(0.25), out = new Float32Array(M * N);
    try {
      b.callOp(be, 'linear_forward', { out, inp, weight, bias: null }, { M, K, N });
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 10; i++) b.callOp(be, 'linear_forward', { out, inp, weight, bias: null }, { M, K, N });
      const s = Number(process.hrtime.bigint() - t0) / 1e9 / 10;
      r[be] = { M, K, N, seconds: s, gflops: (2 * M * K * N) / s / 1e9 };
    } catch (e) {
      r[be] = { error: e.message };
    }
  }
  return r;
}

async function main() {
  const data = adultLikeRows(16384);
  const results = { cuda: info().cuda, model: [], ops: {} };
  for (const B of [512, 4096]) {
    for (const device of ['cuda', 'cpu']) {
      try {
        results.model.push(await trainAndEmbed(device, B, data));
      } catch (e) {
        results.model.push({ device, batch: B, error: e.message });
      }
      // written after every entry, so a stage timeout keeps what was measured
      if (outPath) fs.writeFileSync(outPath, JSON.stringify(results, null, 2));
      console.error(JSON.stringify(results.model[results.model.length - 1]));
    }
    results.ops[`batch${B}`] = opBench(B);
  }
  const text = JSON.stringify(results, null, 2);
  if (outPath) fs.writeFileSync(outPath, text);
  console.log(text);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
