#!/usr/bin/env node
// npm run prebuild: build the addon with cmake-js through prebuildify (--napi --strip) and
// write prebuilds/<platform>-<arch>/. The result is committed so users compile nothing.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const bin = require.resolve('prebuildify/bin.js');
const res = spawnSync(process.execPath, [bin, '--napi', '--strip', '--tag-libc'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PREBUILD_NODE_GYP: path.join(__dirname, 'cmake-js-as-node-gyp.js') },
});
if (res.status !== 0) process.exit(res.status === null ? 1 : res.status);

// The CUDA backend library, when the build made one, goes beside the addon: the addon loads it
// at run time (dlopen) and runs without it. Not committed for now (.gitignore), pending a
// decision on shipping it (about 2.5 MB: sm_80 + sm_90 SASS and compute_90 PTX).
const fs = require('fs');
const cudaLib = path.join(root, 'build', 'Release', 'varjepa_cuda.so');
if (fs.existsSync(cudaLib)) {
  const dest = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'varjepa_cuda.so');
  fs.copyFileSync(cudaLib, dest);
  console.log(`prebuild: copied ${path.relative(root, cudaLib)} (${(fs.statSync(cudaLib).size / 1e6).toFixed(1)} MB) to ${path.relative(root, dest)}`);
} else {
  console.log('prebuild: no CUDA library built (no nvcc); prebuilds/ has the CPU addon only');
}
