#!/usr/bin/env node
// npm run test:sanitize: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer
// (CMake option VARJEPA_SANITIZE) into build-sanitize/, leaving build/Release untouched, then runs
// the op suite (test/ops-*.test.ts) against that binary with the sanitizer runtimes preloaded into
// node. Fails on a test failure or on any sanitizer report. Not part of `npm test`.
//
//   npm run test:sanitize                  build (incrementally) and run every op test file
//   npm run test:sanitize -- ops-linear    only the op test files whose name contains a filter
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'build-sanitize');
const config = 'RelWithDebInfo'; // optimised, with line numbers in the reports
const binary = path.join(outDir, config, 'varjepa.node');

function fail(lines) {
  console.error(['varjepa test:sanitize:', ...[].concat(lines).map((l) => `  ${l}`)].join('\n'));
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (res.error) fail(`could not run ${cmd}: ${res.error.message}`);
  return res.status === null ? 1 : res.status;
}

// ---- 1. build ---------------------------------------------------------------------------------
let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js');
} catch {
  fail('cmake-js is not installed: run npm install first');
}
console.log(`varjepa test:sanitize: building ${path.relative(root, binary)} with -DVARJEPA_SANITIZE=ON`);
const built = run(process.execPath, [cmakeJs, 'build', '--out', outDir, '--config', config, '--CDVARJEPA_SANITIZE=ON']);
if (built !== 0) fail(`the sanitizer build failed (exit ${built}); it needs cmake >= 3.18 and gcc with libasan and libubsan`);
if (!fs.existsSync(binary)) fail(`the build finished but ${binary} is missing`);

// ---- 2. the sanitizer runtimes of the compiler that built it ----------------------------------
const cache = fs.readFileSync(path.join(outDir, 'CMakeCache.txt'), 'utf8');
const compiler = (/^CMAKE_CXX_COMPILER:\w+=(.*)$/m.exec(cache) || [])[1] || 'c++';
function runtime(name) {
  const res = spawnSync(compiler, [`-print-file-name=${name}`], { encoding: 'utf8' });
  const file = (res.stdout || '').trim();
  if (res.status !== 0 || !path.isAbsolute(file) || !fs.existsSync(file))
    fail([`${compiler} does not know where ${name} is (got '${file}')`, 'the script expects gcc; install the libasan/libubsan packages of your gcc']);
  return file;
}
const preload = [runtime('libasan.so'), runtime('libubsan.so')];

// ---- 3. environment ---------------------------------------------------------------------------
const env = {
  ...process.env,
  LD_PRELOAD: [...preload, process.env.LD_PRELOAD].filter(Boolean).join(':'),
  // V8 keeps allocations alive until exit by design: leak reports would be noise
  ASAN_OPTIONS: ['detect_leaks=0', 'halt_on_error=1', process.env.ASAN_OPTIONS].filter(Boolean).join(':'),
  UBSAN_OPTIONS: ['print_stacktrace=1', 'halt_on_error=1', process.env.UBSAN_OPTIONS].filter(Boolean).join(':'),
  VARJEPA_NATIVE_PATH: binary,
};

// The loader falls back to build/Release when VARJEPA_NATIVE_PATH does not load; make sure the
// sanitizer build itself loads, so the suite cannot silently test the normal build.
const probe = spawnSync(
  process.execPath,
  ['-e', 'const b = require(process.env.VARJEPA_NATIVE_PATH); process.stdout.write(b.info().isaAvailable.join(","));'],
  { cwd: root, env, encoding: 'utf8' },
);
if (probe.status !== 0) fail([`the sanitizer build does not load under the preloaded runtimes:`, ...(probe.stderr || '').trim().split('\n')]);
console.log(`varjepa test:sanitize: ${path.relative(root, binary)} loads (instruction sets: ${probe.stdout}); preloading ${preload.join(', ')}`);

// ---- 4. the op suite --------------------------------------------------------------------------
const filters = process.argv.slice(2);
const files = fs
  .readdirSync(path.join(root, 'test'))
  .filter((f) => /^ops-.*\.test\.ts$/.test(f) && (filters.length === 0 || filters.some((x) => f.includes(x))))
  .sort()
  .map((f) => path.join('test', f));
if (files.length === 0) fail(`no op test files match ${filters.join(', ') || 'test/ops-*.test.ts'}`);
const vitest = require.resolve('vitest/vitest.mjs');

// The vitest workers (forked node processes) inherit the environment and write sanitizer reports
// to the shared stderr; the output is passed through and scanned for them.
const REPORT = /ERROR: AddressSanitizer|runtime error:|SUMMARY: \w+Sanitizer/;
const child = spawn(process.execPath, [vitest, 'run', ...files], { cwd: root, env, stdio: ['inherit', 'pipe', 'pipe'] });
let reported = false;
let tail = '';
const scan = (out) => (chunk) => {
  out.write(chunk);
  const text = tail + chunk.toString('utf8');
  if (REPORT.test(text)) reported = true;
  tail = text.slice(-200); // a report line split across chunks
};
child.stdout.on('data', scan(process.stdout));
child.stderr.on('data', scan(process.stderr));
child.on('error', (err) => fail(`could not run vitest: ${err.message}`));
child.on('close', (code, signal) => {
  // ---- 5. verdict -----------------------------------------------------------------------------
  if (reported) fail('a sanitizer reported an error (see the report above)');
  if (code !== 0) fail(`the op suite failed under the sanitizers (vitest ${code === null ? `killed by ${signal}` : `exit ${code}`})`);
  console.log(`varjepa test:sanitize: clean (${files.length} op test files, no AddressSanitizer or UndefinedBehaviorSanitizer report)`);
});
