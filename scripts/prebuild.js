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
process.exit(res.status === null ? 1 : res.status);
