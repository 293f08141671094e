#!/usr/bin/env node
'use strict';
require('../dist/cjs/cli.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
