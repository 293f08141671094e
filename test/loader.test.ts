import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { describe, expect, it } from 'vitest';

import { loadNativeFrom, native } from '../lib/native';

const root = path.resolve(__dirname, '..');

describe('loader', () => {
  it('loads the local build from build/Release first', () => {
    const got = loadNativeFrom(root);
    expect(got.source).toBe('build');
    expect(got.path).toBe(path.join(root, 'build', 'Release', 'varjepa.node'));
    expect(got.binding.info().sourceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('loads from prebuilds/ through node-gyp-build when there is no local build', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-prebuild-'));
    fs.cpSync(path.join(root, 'prebuilds'), path.join(tmp, 'prebuilds'), { recursive: true });
    const got = loadNativeFrom(tmp);
    expect(got.source).toBe('prebuild');
    expect(got.path.startsWith(path.join(tmp, 'prebuilds', `${process.platform}-${process.arch}`))).toBe(true);
    expect(typeof got.binding.info().threads).toBe('number');
  });

  it('falls through a broken local build to the prebuild and says nothing is lost', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-broken-'));
    fs.mkdirSync(path.join(tmp, 'build', 'Release'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'build', 'Release', 'varjepa.node'), 'not an ELF file');
    fs.cpSync(path.join(root, 'prebuilds'), path.join(tmp, 'prebuilds'), { recursive: true });
    expect(loadNativeFrom(tmp).source).toBe('prebuild');
  });

  it('throws one error listing every place tried and what to do when nothing loads', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-empty-'));
    fs.mkdirSync(path.join(tmp, 'build', 'Release'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'build', 'Release', 'varjepa.node'), 'garbage');
    let message = '';
    try {
      loadNativeFrom(tmp);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`could not load the native addon for ${process.platform}-${process.arch}`);
    expect(message).toContain(path.join(tmp, 'build', 'Release', 'varjepa.node'));
    expect(message).toMatch(/invalid ELF header|file too short/);
    expect(message).toContain(path.join(tmp, 'prebuilds', `${process.platform}-${process.arch}`));
    expect(message).toContain('no prebuilds/ folder');
    expect(message).toContain('npm run build:native');
  });

  it('loads in two worker_threads at once and in the main thread', async () => {
    const main = native().binding.info();
    const code = `
      const { parentPort, workerData } = require('worker_threads');
      const b = require(workerData);
      const out = new Float32Array(2);
      b.callOp('auto', 'linear_forward', { out, inp: new Float32Array([1, 2, 3]), weight: new Float32Array([1, 1, 1, 2, 0, 0]) }, { M: 1, K: 3, N: 2 });
      parentPort.postMessage({ hash: b.info().sourceHash, out: Array.from(out) });
    `;
    const run = () =>
      new Promise<{ hash: string; out: number[] }>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: native().path });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a).toEqual({ hash: main.sourceHash, out: [6, 2] });
    expect(b).toEqual({ hash: main.sourceHash, out: [6, 2] });
  });
});

// The op runner's linear_forward (out (M, N) = inp (M, K) . weight (N, K)^T + bias) as the probe
// of the boundary: every typed array checked for type, length and detachment, named in the error.
describe('typed-array boundary', () => {
  const b = () => native().binding;
  const linear = (inp: unknown, weight: unknown, bias: unknown, M: number, K: number, N: number, out: unknown = new Float32Array(Math.max(M * N, 0))) => {
    b().callOp('scalar', 'linear_forward', { out, inp, weight, bias } as never, { M, K, N });
    return out as Float32Array;
  };

  it('reads inputs and writes outputs in place', () => {
    const inp = new Float32Array([1, 2, 3, 4, 5, 6]);
    const w = new Float32Array([1, 0, 0, 0, 1, 0]);
    expect(Array.from(linear(inp, w, new Float32Array([10, 20]), 2, 3, 2))).toEqual([11, 22, 14, 25]);
    // zero-copy: a subarray view is read and written at its own offset
    const whole = new Float32Array([99, 1, 2, 3, 4, 5, 6]);
    const outWhole = new Float32Array([7, 0, 0, 0, 0, 8]);
    linear(whole.subarray(1), w, null, 2, 3, 2, outWhole.subarray(1, 5));
    expect(Array.from(outWhole)).toEqual([7, 1, 2, 4, 5, 8]);
  });

  it('rejects a wrong type with a TypeError naming the argument', () => {
    expect(() => linear(new Float64Array(6), new Float32Array(6), null, 2, 3, 2)).toThrow(
      new TypeError('Expected a Float32Array for buffers.inp but received Float64Array of length 6'),
    );
    expect(() => linear(new Float32Array(6), [1, 2], null, 2, 3, 2)).toThrow(
      new TypeError('Expected a Float32Array for buffers.weight but received Array'),
    );
  });

  it('rejects a wrong length with a RangeError naming the argument', () => {
    expect(() => linear(new Float32Array(6), new Float32Array(6), new Float32Array(3), 2, 3, 2)).toThrow(
      new RangeError('Expected a Float32Array of length 2 for buffers.bias but received length 3'),
    );
    expect(() => linear(new Float32Array(6), new Float32Array(6), null, 0, 3, 2)).toThrow(
      new RangeError('Expected an integer between 1 and 16777216 for dims.M but received 0 (number)'),
    );
  });

  it('rejects a detached buffer with a TypeError and the process survives', () => {
    const inp = new Float32Array(6);
    structuredClone(inp.buffer, { transfer: [inp.buffer] });
    expect(() => linear(inp, new Float32Array(6), null, 2, 3, 2)).toThrow(
      new TypeError('Expected an attached Float32Array for buffers.inp but its ArrayBuffer is detached'),
    );
    expect(linear(new Float32Array([2]), new Float32Array([3]), null, 1, 1, 1)[0]).toBe(6);
  });

  it('carries the JavaScript call site in native error stacks', () => {
    function callSiteMarker() {
      return linear(new Float32Array(1), new Float32Array(2), null, 1, 1, 1);
    }
    let stack = '';
    try {
      callSiteMarker();
    } catch (err) {
      stack = (err as Error).stack ?? '';
    }
    expect(stack).toContain('callSiteMarker');
  });

  it('survives bad calls in a child process (no abort, exit code 0)', () => {
    const script = `
      const b = require(${JSON.stringify(native().path)});
      let n = 0;
      for (const bad of [[null, 1], [new Float32Array(1), 'x'], [undefined, undefined]]) {
        try { b.callOp('scalar', 'linear_forward', { out: new Float32Array(1), inp: bad[0], weight: bad[1] }, { M: 1, K: 1, N: 1 }); } catch (e) { n++; }
      }
      try { b.callOp('avx9', 'linear_forward', {}, {}); } catch (e) { n++; }
      try { b.callOp('scalar', 'nope', {}, {}); } catch (e) { n++; }
      console.log(n);
    `;
    expect(execFileSync(process.execPath, ['-e', script]).toString().trim()).toBe('5');
  });
});
