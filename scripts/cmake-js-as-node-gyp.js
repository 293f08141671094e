#!/usr/bin/env node
// prebuildify calls its build tool the way it calls node-gyp ("rebuild --release ...").
// This maps that call onto cmake-js, which builds native/ through CMakeLists.txt.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const args = process.argv.slice(2);
const debug = args.includes('--debug');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const res = spawnSync(
  process.execPath,
  [cmakeJs, 'rebuild', `--CDCMAKE_BUILD_TYPE=${debug ? 'Debug' : 'Release'}`],
  { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' },
);
process.exit(res.status === null ? 1 : res.status);
