#!/usr/bin/env node
// npm run bench: every benchmark in turn (each writes its figures to bench/results/). Builds
// first if dist/ or the addon is missing. Benchmarks never run in CI.
//   npm run bench [-- ops|train|embed|data ...]
//   npm run bench -- reproduce [dataset ...] [--epochs N] [--rows N] [--seeds N] [--force]
//     (Table 2 of the paper, bench/studies/reproduce.js; hours at the paper's settings, so never part of
//     the default run; everything after 'reproduce' goes to it)
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const ALL = {
  ops: ['bench/ops/matmul.js', 'bench/ops/attention.js'],
  train: ['bench/train.js'],
  embed: ['bench/embed.js'],
  data: ['bench/data.js'],
};
const argv = process.argv.slice(2);
const reproduce = argv[0] === 'reproduce';
const pick = reproduce ? [] : argv.filter((a) => !a.startsWith('-'));
for (const p of pick) {
  if (!ALL[p]) {
    console.error(`Unknown benchmark '${p}'; choose from: ${Object.keys(ALL).join(', ')}, reproduce`);
    process.exit(1);
  }
}
if (!fs.existsSync(path.join(root, 'dist', 'cjs', 'index.js')) || !fs.existsSync(path.join(root, 'build', 'Release', 'varjepa.node'))) {
  const r = spawnSync('npm', ['run', 'compile'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}
if (reproduce) {
  const r = spawnSync(process.execPath, [path.join(root, 'bench', 'studies', 'reproduce.js'), ...argv.slice(1)], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
for (const name of pick.length ? pick : Object.keys(ALL)) {
  for (const script of ALL[name]) {
    console.log(`\n== ${script}`);
    const r = spawnSync(process.execPath, [path.join(root, script)], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status || 1);
  }
}
