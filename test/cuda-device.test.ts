// Device selection where CUDA cannot be used (this runs everywhere): device 'cuda' fails with an
// error naming the cause and never falls back; 'auto' picks the CPU and says why; bad values
// are rejected naming the option; the CLI's --device behaves the same; doctor reports CUDA.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

import { TJepa, VarTJepa, info } from '../lib';
import { cudaStatus } from './helpers/cuda';
import { callOp } from './helpers/native';

const root = path.resolve(__dirname, '..');
const schema = { features: [{ name: 'a', kind: 'numeric' as const }, { name: 'b', kind: 'numeric' as const }, { name: 'c', kind: 'categorical' as const, categories: 3 }] };
const small = { d: 8, heads: 2, dP: 8, headsP: 2, ff: 16, ffP: 16, layers: 1, layersP: 1, batchSize: 4 };
const CAUSE = /^device 'cuda' is not available: (no CUDA library|no NVIDIA driver|no CUDA device|could not start CUDA|.*out of (device )?memory|self-test failed)/;

describe.skipIf(cudaStatus.model.ok)('device selection without a usable CUDA model backend', () => {
  it("device 'cuda' throws naming the cause and never falls back", () => {
    expect(() => new VarTJepa(schema, { ...small, device: 'cuda' })).toThrow(CAUSE);
    expect(() => new TJepa(schema, { ...small, device: 'cuda' })).toThrow(CAUSE);
  });

  it("device 'auto' picks the CPU and reports why", () => {
    const m = new VarTJepa(schema, { ...small, device: 'auto' });
    expect(m.device).toBe('cpu');
    expect(m.stats().deviceReason).toMatch(/^auto: /);
    m.dispose();
    const d = new VarTJepa(schema, small);  // the default is 'auto'
    expect(d.device).toBe('cpu');
    d.dispose();
    const t = new TJepa(schema, { ...small, device: 'auto' });
    expect(t.device).toBe('cpu');
    expect(t.stats().deviceReason).toMatch(/^auto: /);
    t.dispose();
  });

  it("device 'cpu' runs on the CPU", () => {
    const m = new VarTJepa(schema, { ...small, device: 'cpu' });
    expect(m.device).toBe('cpu');
    expect(m.stats().deviceReason).toBe('requested');
    m.dispose();
  });

  it('the CUDA op runner names the cause too', () => {
    if (cudaStatus.ops.ok) return;  // the ops do run here
    expect(() => callOp('cuda', 'relu_forward', { out: new Float32Array(2), inp: new Float32Array(2) }, { n: 2 })).toThrow(/^device 'cuda' is not available: (no CUDA library|no NVIDIA driver|no CUDA device)/);
  });

  it('the CLI: --device cuda exits 1 with the cause; a bad --device names the flag', () => {
    const cli = path.join(root, 'bin', 'varjepa.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-device-'));
    const csv = path.join(dir, 't.csv');
    fs.writeFileSync(csv, 'a,b,c\n' + Array.from({ length: 20 }, (_, i) => `${i},${(i * 7) % 5},${'xyz'[i % 3]}`).join('\n') + '\n');
    const r = spawnSync(process.execPath, [cli, 'fit', csv, '--device', 'cuda', '--epochs', '1', '--quiet', '--out', path.join(dir, 'm.safetensors')], { cwd: root, encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.stderr).toMatch(/^varjepa: device 'cuda' is not available: /m);
    expect(r.status).toBe(1);
    const bad = spawnSync(process.execPath, [cli, 'fit', 'x.csv', '--device', 'gpu'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("--device: expected one of 'auto', 'cpu', 'cuda' but received 'gpu'");
  });
});

describe('device options', () => {
  it('rejects unknown devices and device indices out of range, naming the option', () => {
    expect(() => new VarTJepa(schema, { ...small, device: 'gpu' as never })).toThrow("Expected one of 'auto', 'cpu', 'cuda' for options.device but received 'gpu' (string)");
    expect(() => new VarTJepa(schema, { ...small, deviceIndex: -1 })).toThrow(/options\.deviceIndex/);
    expect(() => new VarTJepa(schema, { ...small, deviceIndex: 1.5 })).toThrow(/options\.deviceIndex/);
  });

  it('doctor reports CUDA: the library, architectures, or why it is unavailable', () => {
    const c = info().cuda;
    expect(typeof c.available).toBe('boolean');
    if (!c.available) expect(c.reason).toMatch(/^(no CUDA library|no NVIDIA driver|no CUDA device)/);
    if (c.library) expect(c.architectures).toBe('sm_80 sm_90 compute_90');
    const out = execFileSync(process.execPath, [path.join(root, 'bin', 'varjepa.js'), 'doctor'], { cwd: root }).toString();
    expect(out).toMatch(/^cuda {10}(available|not available: .+)$/m);
  });
});
