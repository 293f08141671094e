import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

describe('package entry points', () => {
  it('loads with require()', () => {
    const out = execFileSync(process.execPath, ['-e', `const v = require(${JSON.stringify(root)}); const m = new v.VarTJepa({ features: [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'numeric' }] }, { d: 8, heads: 2, dP: 8, headsP: 2, layers: 1, layersP: 1 }); console.log(typeof v.info, m.embeddingDim); m.dispose()`], { cwd: root });
    expect(out.toString().trim()).toBe('function 16');
  });

  it('loads with import', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `import { info } from 'varjepa'; import def from 'varjepa'; console.log(typeof info, typeof def.info, info().threads > 0)`], { cwd: root });
    expect(out.toString().trim()).toBe('function function true');
  });

  it('the CLI doctor prints the report', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'bin', 'varjepa.js'), 'doctor', '--json'], { cwd: root }).toString();
    const report = JSON.parse(out);
    expect(report.binary.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(report.isa.available).toContain('scalar');
    expect(report.threads).toBeGreaterThan(0);
    expect(report.cuda.available).toBe(false);
  });
});

describe('the package a user can trust', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

  it('has a LICENSE matching package.json and a CHANGELOG naming the version', () => {
    expect(pkg.license).toBe('MIT');
    const license = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toContain('Permission is hereby granted, free of charge');
    const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(`## [${pkg.version}]`);
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md']) expect(pkg.files).toContain(f);
  });

  it('declares the one platform it ships a binary for, and runs no install script', () => {
    expect(pkg.os).toEqual(['linux']);
    expect(pkg.cpu).toEqual(['x64']);
    expect(pkg.libc).toEqual(['glibc']);
    expect(fs.readdirSync(path.join(root, 'prebuilds'))).toEqual(['linux-x64']);
    for (const hook of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts[hook], hook).toBeUndefined();
    // build tools are for building, not for running: a consumer does not install them
    for (const dep of ['cmake-js', 'node-addon-api', 'prebuildify']) expect(pkg.dependencies[dep], dep).toBeUndefined();
  });

  it('says in the README what the test command needs and where the package runs', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## What it does'));
    expect(quick.match(/```sh\n([^`]*)```/g)?.map((b) => b.replace(/```(sh)?\n?/g, '').trim())).toEqual(['npm install && npx varjepa demo', 'npm install && npm test']);
    expect(quick).toMatch(/cmake >= 3\.18 and a\s+C\+\+17 compiler/);
    expect(readme).not.toMatch(/anywhere else[^.]*builds from source/i);
  });
});

describe("the README's first example", () => {
  it('runs as written, on a table with the columns it names', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const code = readme.slice(readme.indexOf('## Using it')).match(/```js\n([\s\S]*?)```/)![1];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-readme-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'varjepa'));
    const jobs = ['admin.', 'technician', 'services', 'retired'];
    const lines = ['age,job,balance,y'];
    for (let i = 0; i < 400; i++) {
      const age = 18 + ((i * 37) % 60), job = jobs[(i * 7) % 4], balance = ((i * 613) % 5000) - 500;
      lines.push(`${age},${job},${balance},${(age > 50) === (job !== 'retired') ? 'yes' : 'no'}`);
    }
    fs.writeFileSync(path.join(dir, 'bank.csv'), lines.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'example.mjs'), code);
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: dir, env: { ...process.env, VARJEPA_THREADS: '2' } }).toString();
    expect(out).toMatch(/^epoch 1: loss [\d.]+$/m);  // online selection may stop before epoch 20
    expect(out.trim().split('\n').pop()).toMatch(/^(yes|no) [\d.]+ (withheld|answered) [\d.]+ \d+$/);
    expect(fs.existsSync(path.join(dir, 'bank.safetensors'))).toBe(true);
  }, 120_000);
});
