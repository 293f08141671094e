#!/usr/bin/env node
// The provenance hash of the native sources, computed exactly as CMakeLists.txt computes it:
// sha256 over sorted "relative/path:sha256(content)\n" lines of CMakeLists.txt and every file
// under native/. Prints it when run directly.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

function walk(dir, rel, out) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    if (ent.isDirectory()) walk(path.join(dir, ent.name), r, out);
    else if (ent.isFile()) out.push(r);
  }
  return out;
}

function sourceHash(root) {
  const files = walk(path.join(root, 'native'), 'native', []);
  files.push('CMakeLists.txt');
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let input = '';
  for (const f of files) {
    const h = crypto.createHash('sha256').update(fs.readFileSync(path.join(root, f))).digest('hex');
    input += `${f}:${h}\n`;
  }
  return crypto.createHash('sha256').update(input).digest('hex');
}

module.exports = { sourceHash };
if (require.main === module) console.log(sourceHash(path.resolve(__dirname, '..')));
