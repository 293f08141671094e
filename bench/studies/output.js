// Where a study writes its results: bench/results/studies/<study>[-<setting>...].{json,md}. The
// name carries every setting the run was given that differs from the study's defaults, in the
// order given, so a reader knows which run made a file and two runs never overwrite each other;
// the JSON repeats the settings in full. Models a study caches go to bench/results/cache/ (not
// committed).
'use strict';
const fs = require('fs');
const path = require('path');

const RESULTS = path.join(__dirname, '..', 'results', 'studies');
const CACHE = path.join(__dirname, '..', 'results', 'cache');

/** A setting as it reads in a file name: seed1, epochs100, noselect, decoderLogvarInit-data. */
function part(key, value) {
  if (value === true) return key;
  if (value === false) return `no${key}`;
  const v = String(value).replace(/[^A-Za-z0-9.]+/g, '-');
  return /^[A-Za-z]/.test(v) ? `${key}-${v}` : `${key}${v}`;
}

/**
 * The path (without extension) of a study's results: `settings` and `defaults` are plain objects
 * of the run's settings and the study's defaults; nested objects (model overrides) are spread.
 */
function studyOutput(study, settings = {}, defaults = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(settings)) {
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) if (defaults[k]?.[k2] !== v2) parts.push(part(k2, v2));
    } else if (JSON.stringify(defaults[k]) !== JSON.stringify(v)) parts.push(part(k, Array.isArray(v) ? v.join('-') : v));
  }
  fs.mkdirSync(RESULTS, { recursive: true });
  return path.join(RESULTS, [study, ...parts].join('-'));
}

/** Writes <base>.json (with the settings) and, when given, <base>.md; returns the paths written. */
function writeStudy(base, json, markdown) {
  fs.writeFileSync(`${base}.json`, JSON.stringify(json, null, 1) + '\n');
  const written = [`${base}.json`];
  if (markdown !== undefined) {
    fs.writeFileSync(`${base}.md`, markdown);
    written.push(`${base}.md`);
  }
  return written.map((p) => path.relative(path.join(__dirname, '..', '..'), p));
}

function cacheDir() {
  fs.mkdirSync(CACHE, { recursive: true });
  return CACHE;
}

module.exports = { studyOutput, writeStudy, cacheDir, RESULTS };
