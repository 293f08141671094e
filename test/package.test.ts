import { execFileSync } from 'child_process';
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
