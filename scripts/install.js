#!/usr/bin/env node
// npm "install" hook: use a prebuilt binary when one matches this platform, otherwise build
// the addon from source with cmake-js (and say so). Never downloads anything.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');

function prebuildPath() {
  try {
    return require('node-gyp-build').path(root);
  } catch (err) {
    return null;
  }
}

if (process.env.VARJEPA_BUILD_FROM_SOURCE !== '1') {
  const found = prebuildPath();
  if (found) {
    process.exit(0);
  }
}

console.log(`varjepa: no prebuilt binary for ${process.platform}-${process.arch}; building from source with cmake-js`);
let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js');
} catch (err) {
  console.error('varjepa: cmake-js is not installed, so the addon cannot be built from source.');
  process.exit(1);
}
const res = spawnSync(process.execPath, [cmakeJs, 'compile', '--CDCMAKE_BUILD_TYPE=Release'], {
  cwd: root,
  stdio: 'inherit',
});
if (res.status !== 0) {
  console.error('varjepa: building the native addon failed. It needs cmake >= 3.18 and a C++17 compiler.');
  process.exit(res.status || 1);
}
