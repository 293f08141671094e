// The Backend table crosses dlopen into varjepa_cuda.so, so the loader checks the library's
// backend version and table size first: a library built from other sources (here a stub that
// reports another version) is refused with a message naming both versions, before any of its
// functions is called. Runs everywhere: the stub needs only a C compiler.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { info } from '../lib';

const root = path.resolve(__dirname, '..');
let dir: string;
let stub: string;

// a library with every vj_cuda_* entry point; vj_cuda_open must never be reached
const STUB = `
#include <stdint.h>
#include <stdlib.h>
uint64_t vj_cuda_backend_version(void) { return 0x0123456789abcdefull; }
uint32_t vj_cuda_backend_size(void) { return 64; }
const char* vj_cuda_architectures(void) { return "stub"; }
int vj_cuda_probe(int d, int* a, int* b, int* c, char* n, int nl, int* e, int* f, int64_t* m, char* err, int el) { abort(); }
const void* vj_cuda_open(int d, char* err, int el) { abort(); }
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-cuda-stub-'));
  fs.writeFileSync(path.join(dir, 'stub.c'), STUB);
  stub = path.join(dir, 'varjepa_cuda.so');
  execFileSync(process.env.CC ?? 'cc', ['-shared', '-fPIC', '-o', stub, path.join(dir, 'stub.c')]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// runs `code` in a child process whose loader finds the stub (the library is loaded once per process)
function child(code: string) {
  return spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', env: { ...process.env, VARJEPA_CUDA_LIBRARY: stub } });
}

describe('the CUDA library must match the addon\'s backend version', () => {
  const mine = info().backend.version;

  it('the addon reports its own backend version', () => {
    expect(mine).toMatch(/^[0-9a-f]{16} \(\d+-byte table\)$/);
  });

  it("device 'cuda' refuses a library of another version, naming both versions", () => {
    const r = child(`
      const { VarTJepa } = require('./dist/cjs/index.js');
      try { new VarTJepa({ features: [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'numeric' }] }, { d: 8, heads: 2, dP: 8, headsP: 2, device: 'cuda' }); console.log('constructed'); }
      catch (e) { console.log(e.message); }
    `);
    expect(r.status).toBe(0);
    const msg = r.stdout.trim();
    expect(msg).toContain(`device 'cuda' is not available: CUDA library of another version: ${stub} was built for backend version 0123456789abcdef (64-byte table) but this addon has backend version ${mine}; rebuild both from the same sources (npm run compile)`);
  });

  it("'auto' falls back to the CPU and doctor reports the mismatch", () => {
    const r = child(`
      const { VarTJepa, info } = require('./dist/cjs/index.js');
      const m = new VarTJepa({ features: [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'numeric' }] }, { d: 8, heads: 2, dP: 8, headsP: 2 });
      console.log(JSON.stringify({ device: m.device, reason: m.stats().deviceReason, cuda: info().cuda }));
    `);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.device).toBe('cpu');
    expect(out.reason).toMatch(/^auto: device 'cuda' is not available: CUDA library of another version: .* backend version 0123456789abcdef \(64-byte table\)/);
    expect(out.cuda.available).toBe(false);
    expect(out.cuda.reason).toMatch(/^CUDA library of another version: /);
  });
});
