// Shared by the op benchmarks: the addon from build/Release and command-line flags.
'use strict';
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const binding = require(path.join(root, 'build', 'Release', 'varjepa.node'));

const args = process.argv.slice(2);
/** The value after `--name`, or the fallback. */
function argValue(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

module.exports = { root, binding, args, argValue };
