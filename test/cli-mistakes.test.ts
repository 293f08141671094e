// The CLI on a user's mistakes and on what the API offers: every mistake is one line naming the
// flag or file and exit 1 (checked before training where it concerns an output), a closed
// stdout ends the command quietly, doctor reports an addon that does not load as its finding,
// Ctrl-C leaves a checkpoint that --resume continues, and the table flags reach the model.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';

import { errnoOf, isClosedPipe, userMessage } from '../lib/commands/errors';
import { detectDelimiter } from '../lib/data/csv';
import { FIT_DEFAULTS } from '../lib/model/fit';
import { ModelFileError, readModelFile } from '../lib/model/persist';
import { checkThreadsEnv } from '../lib/native';
import { simTable } from '../lib/sim';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'varjepa.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-cli-mistakes-'));
const csv = path.join(dir, 'sim.csv');
const model = path.join(dir, 'sim.safetensors');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A shell pipeline; resolves to the varjepa side's exit code and stderr. */
function piped(args: string[], reader: string) {
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} ${args.map((a) => JSON.stringify(a)).join(' ')} 2>${JSON.stringify(path.join(dir, 'pipe.err'))} | ${reader} >/dev/null; exit \${PIPESTATUS[0]}`;
  const r = spawnSync('bash', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, err: fs.readFileSync(path.join(dir, 'pipe.err'), 'utf8') };
}

function writeTable(file: string, rows: number, delimiter = ',', opts: { blank?: boolean } = {}) {
  const t = simTable({ rows, seed: 3, numeric: 4, categorical: 2 });
  const names = t.schema.features.map((f) => f.name);
  const D = names.length;
  const lines = [['id', ...names, 'label'].join(delimiter)];
  for (let i = 0; i < t.rows; i++) {
    const cells = names.map((_, j) => (j < 4 ? t.x[i * D + j].toFixed(4) : `c${t.x[i * D + j]}`));
    if (opts.blank && i % 10 === 0) cells[1] = '';
    lines.push([`r${i}`, ...cells, `k${t.labels[i]}`].join(delimiter));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

beforeAll(() => {
  writeTable(csv, 300, ',', { blank: true });
  const r = cli(['fit', csv, '--target', 'label', '--ignore', 'id', '--epochs', '1', '--out', model, '--quiet']);
  expect(r.code, r.err).toBe(0);
});

describe('varjepa CLI on a user\'s mistakes', () => {
  it('checks --out, --report and --checkpoint before any training', () => {
    fs.mkdirSync(path.join(dir, 'folder'), { recursive: true });
    const cases: Array<[string[], RegExp]> = [
      [['--out', '/nonexistent/dir/m.safetensors'], /^varjepa: --out: the folder '\/nonexistent\/dir' does not exist/],
      [['--report', '/nonexistent/r.html'], /^varjepa: --report: the folder '\/nonexistent' does not exist/],
      [['--out', 'folder'], /^varjepa: --out: 'folder' is a folder; name a file inside it/],
      [['--checkpoint', '/nonexistent/c.ckpt'], /^varjepa: --checkpoint: the folder '\/nonexistent' does not exist/],
      [['--report', 'same.safetensors', '--out', 'same.safetensors'], /^varjepa: --report: 'same.safetensors' is also the model file/],
    ];
    for (const [flags, message] of cases) {
      // --epochs 1000000 would train for hours: a quick exit proves the check comes first
      const r = cli(['fit', csv, '--epochs', '1000000', '--quiet', ...flags]);
      expect(r.code, flags.join(' ')).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).not.toContain('internal error');
    }
  });

  it('names the flag the user typed for every bad value', () => {
    const cases: Array<[string[], string]> = [
      [['fit', csv, '--seed', 'abc'], "varjepa: --seed: expected an integer between 0 and 4294967295 but received 'abc'"],
      [['fit', csv, '--seed', '-5'], "varjepa: --seed: expected an integer between 0 and 4294967295 but received '-5'"],
      [['fit', csv, '--epochs', '1e9'], "varjepa: --epochs: expected an integer between 1 and 1000000 but received '1e9'"],
      [['fit', csv, '--epochs', '2.5'], "varjepa: --epochs: expected an integer between 1 and 1000000 but received '2.5'"],
      [['fit', csv, '--max-seconds', '0'], "varjepa: --max-seconds: expected an integer between 1 and 100000000 but received '0'"],
      [['fit', csv, '--threads', 'many'], "varjepa: --threads: expected an integer between 1 and 256 but received 'many'"],
      [['fit', csv, '--scaling', 'zscore'], "varjepa: --scaling: expected one of 'minmax', 'standard', 'quantile', 'log' but received 'zscore'"],
      [['fit', csv, '--delimiter', ';;'], "varjepa: --delimiter: expected one character (or 'tab', or 'auto' to detect it) but received ';;'"],
      [['fit', csv, '--ignore', 'nosuch'], "varjepa: --ignore: the table has no column 'nosuch'"],
      [['fit', csv, '--categorical', 'x0', '--numeric', 'x0'], "varjepa: --categorical and --numeric both name 'x0'"],
      [['fit', csv, '--device', 'tpu'], "varjepa: --device: expected one of 'auto', 'cpu', 'cuda' but received 'tpu'"],
      [['evaluate', model, csv, '--seed', 'x'], "varjepa: --seed: expected an integer between 0 and 4294967295 but received 'x'"],
      [['evaluate', model, csv, '--target', 'x0'], "varjepa: --target: the model was fitted with target 'label', not 'x0'"],
      [['demo', '--rows', 'lots'], "varjepa: --rows: expected an integer between 100 and 10000000 but received 'lots'"],
    ];
    for (const [args, message] of cases) {
      const r = cli(args[0] === 'evaluate' ? args : [...args, '--quiet']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err.startsWith(message), `${args.join(' ')}: ${r.err}`).toBe(true);
    }
  });

  it('reports a CSV parse error with its line and column, as the user\'s data', () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'a,b,c\n1,2,3\n4,x"y,6\n');
    const r = cli(['fit', bad, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^varjepa: Cannot parse '.*bad\.csv' as CSV at line 3, column 'b' \(field 2\): a quote inside a field/);
    const open = path.join(dir, 'open.csv');
    fs.writeFileSync(open, 'a,b\n1,"never closed\n2,3\n');
    const o = cli(['fit', open, '--quiet']);
    expect(o.code).toBe(1);
    expect(o.err).toMatch(/as CSV at line \d+.*a quoted field is never closed/);
  });

  it('validates VARJEPA_THREADS', () => {
    const r = cli(['fit', csv, '--epochs', '1', '--quiet', '--out', 'env.safetensors'], { VARJEPA_THREADS: 'abc' });
    expect(r.code).toBe(1);
    expect(r.err).toContain("varjepa: Expected an integer between 1 and 256 for the environment variable VARJEPA_THREADS but received 'abc'");
    expect(() => checkThreadsEnv({ VARJEPA_THREADS: '0' })).toThrow(RangeError);
    expect(() => checkThreadsEnv({ VARJEPA_THREADS: '2.5' })).toThrow(RangeError);
    expect(() => checkThreadsEnv({ VARJEPA_THREADS: '3' })).not.toThrow();
    expect(() => checkThreadsEnv({})).not.toThrow();
  });

  it('ends quietly when the reader closes stdout', () => {
    const e = piped(['embed', model, csv], 'head -c 10');
    expect(e.code).toBe(0);
    expect(e.err).toBe('');
    const i = piped(['impute', model, csv], 'head -2');
    expect(i.code).toBe(0);
    expect(i.err).not.toMatch(/EPIPE|error/i);  // only impute's own fallback summary, if any
  });

  it('classifies a full disk and other file-system refusals as the user\'s to fix', () => {
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC' });
    const save = new ModelFileError("Could not save the model to 'm.safetensors': ENOSPC: no space left on device, write", { cause: full });
    expect(errnoOf(save)).toBe('ENOSPC');
    expect(userMessage(save)).toBe("Could not save the model to 'm.safetensors': ENOSPC: no space left on device, write (the disk is full)");
    expect(userMessage(full)).toContain('(the disk is full)');
    expect(userMessage(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' }))).toContain('(the file system is read-only)');
    // a bug stays a bug
    expect(userMessage(new Error('something inside broke'))).toBeUndefined();
    expect(isClosedPipe(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(true);
  });

  it('doctor reports an addon that does not load as its finding, without a stack trace', () => {
    // the package without any binary: dist, bin and package.json only
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'vj-nobinary-'));
    fs.cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    fs.cpSync(path.join(root, 'bin'), path.join(pkg, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
    const env = { ...process.env };
    delete env.VARJEPA_NATIVE_PATH;
    const r = spawnSync(process.execPath, [path.join(pkg, 'bin', 'varjepa.js'), 'doctor'], { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('native addon  NOT LOADED');
    expect(r.stdout).toContain('could not load the native addon');
    expect(r.stdout + r.stderr).not.toContain('internal error');
    const j = spawnSync(process.execPath, [path.join(pkg, 'bin', 'varjepa.js'), 'doctor', '--json'], { encoding: 'utf8', env });
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false });
    fs.rmSync(pkg, { recursive: true, force: true });
  });
});

describe('varjepa CLI has what the API has', () => {
  it('detects the delimiter, or takes --delimiter', () => {
    const semi = path.join(dir, 'semi.csv');
    writeTable(semi, 200, ';');
    const r = cli(['fit', semi, '--target', 'label', '--epochs', '1', '--out', 'semi.safetensors', '--json', '--quiet']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).features).toBe(7);  // id and 6 features
    const tab = path.join(dir, 'tab.tsv');
    writeTable(tab, 200, '\t');
    const t = cli(['fit', tab, '--target', 'label', '--delimiter', 'tab', '--epochs', '1', '--out', 'tab.safetensors', '--json', '--quiet']);
    expect(t.code, t.err).toBe(0);
    expect(JSON.parse(t.out).features).toBe(7);
    expect(detectDelimiter('a;b;c\n1;2;3\n')).toBe(';');
    expect(detectDelimiter('a,b,c\n"x;y",2,3\n')).toBe(',');
    expect(detectDelimiter('a\tb\n1,5\t2\n')).toBe('\t');
    expect(detectDelimiter('name;note\nx;"a, b, c"\n')).toBe(';');
    expect(detectDelimiter('single\n1\n')).toBe(',');
  });

  it('selects, ignores and types columns, adds missing-value markers, and takes the scaling', async () => {
    const out = path.join(dir, 'cols.safetensors');
    const r = cli(['fit', csv, '--target', 'label', '--columns', 'x0,x1,c0', '--numeric', 'c0', '--epochs', '1', '--out', out, '--quiet']);
    expect(r.code).toBe(1);  // c0 holds texts like 'c3': it cannot be numeric
    const marked = path.join(dir, 'marked.csv');
    fs.writeFileSync(marked, fs.readFileSync(csv, 'utf8').replace(/\n(r\d*5),[^,]*,/g, '\n$1,MISSING,'));
    const ok = cli(['fit', marked, '--target', 'label', '--columns', 'x0,x1,x2,c0', '--categorical', 'x2', '--missing-values', 'MISSING', '--scaling', 'quantile', '--epochs', '1', '--out', out, '--quiet']);
    expect(ok.code, ok.err).toBe(0);
    const file = await readModelFile(out);
    const state = file.preprocessor as { features: Array<{ name: string; kind: string }>; scaling: string; missingValues: string[] };
    expect(state.features.map((f) => `${f.name}:${f.kind}`)).toEqual(['x0:numeric', 'x1:numeric', 'x2:categorical', 'c0:categorical']);
    expect(state.scaling).toBe('quantile');
    expect(state.missingValues).toContain('MISSING');
    const ig = cli(['fit', csv, '--ignore', 'id,c1', '--epochs', '1', '--out', out, '--json', '--quiet']);
    expect(ig.code, ig.err).toBe(0);
    expect(JSON.parse(ig.out).features).toBe(6);  // x0..x3, c0 and label: no target given, label is a feature
  });

  it('trains on every row without a target, with the API\'s default epochs, and says "1 epoch"', () => {
    const r = cli(['fit', csv, '--ignore', 'id,label', '--epochs', '1', '--out', 'all.safetensors', '--json', '--quiet']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).rows).toEqual({ train: 300, validation: 0, test: 0 });
    const t = cli(['fit', csv, '--target', 'label', '--ignore', 'id', '--epochs', '1', '--out', 'one.safetensors', '--quiet']);
    expect(t.out).toContain(', 1 epoch in ');
    expect(t.out).toMatch(/validation accuracy [\d.]+% \(always guessing the most frequent class: [\d.]+%/);
    const help = cli(['fit', '--help']);
    expect(help.out).toContain(`(default: "${FIT_DEFAULTS.epochs}")`);
    expect(cli(['embed', '--help']).out).toContain('arrow-stream');
  });

  it('embeds with a key column carried through, pooled, and unseen categories reported or refused', () => {
    const jsonl = path.join(dir, 'keyed.jsonl');
    const r = cli(['embed', model, csv, '--key', 'id', '--pool', 'mean', '--out', jsonl, '--json', '--quiet']);
    expect(r.code, r.err).toBe(0);
    const lines = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(300);
    expect(lines[7].id).toBe('r7');
    const full = cli(['embed', model, csv, '--json', '--out', path.join(dir, 'full.jsonl'), '--quiet']);
    expect(JSON.parse(full.out).embeddingDim).toBe(6 * JSON.parse(r.out).embeddingDim);  // 6 features
    expect(lines[7].embedding).toHaveLength(JSON.parse(r.out).embeddingDim);
    const csvOut = cli(['embed', model, csv, '--key', 'id']);
    expect(csvOut.out.split('\n')[0].startsWith('id,e0,')).toBe(true);
    expect(csvOut.out.split('\n')[1].startsWith('r0,')).toBe(true);
    expect(cli(['embed', model, csv, '--key', 'id', '--out', path.join(dir, 'k.f32')]).err).toContain('--key: the f32 format holds numbers only');
    expect(cli(['embed', model, csv, '--key', 'nosuch', '--out', path.join(dir, 'k.jsonl')]).err).toContain("The key column 'nosuch' is not in");
    const odd = path.join(dir, 'odd.csv');
    fs.writeFileSync(odd, fs.readFileSync(csv, 'utf8').replace(/\n(r1\d),([^,]*,[^,]*,[^,]*,[^,]*,[^,]*),c\d,/g, '\n$1,$2,cNEW,'));
    const warn = cli(['embed', model, odd, '--out', path.join(dir, 'odd.jsonl'), '--quiet']);
    expect(warn.code, warn.err).toBe(0);
    expect(warn.err).toMatch(/warning: column 'c1' has 10 cells with a category the training rows did not have/);
    const refuse = cli(['embed', model, odd, '--unseen', 'error', '--out', path.join(dir, 'odd2.jsonl'), '--quiet']);
    expect(refuse.code).toBe(1);
    expect(refuse.err).toMatch(/^varjepa: Column 'c1' has the category 'cNEW' in row 11 \(line 12\)/);
    expect(fs.existsSync(path.join(dir, 'odd2.jsonl'))).toBe(false);
  });

  it('predicts with the head fit --target saved, with the key, probabilities and abstention', () => {
    const out = path.join(dir, 'pred.csv');
    const r = cli(['predict', model, csv, '--key', 'id', '--abstain', '0.2', '--out', out, '--json', '--quiet']);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.rows).toBe(300);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    expect(header.slice(0, 4)).toEqual(['id', 'prediction', 'confidence', 'withheld']);
    expect(header.slice(4).sort()).toEqual(['p_k0', 'p_k1', 'p_k2']);
    expect(lines).toHaveLength(301);
    let withheld = 0;
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      const probs = f.slice(4).map(Number);
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(Number(f[2])).toBeCloseTo(Math.max(...probs), 5);
      expect(f[1]).toBe(header[4 + probs.indexOf(Math.max(...probs))].slice(2));
      withheld += Number(f[3]);
      expect(Number(f[3]) === 1).toBe(Number(f[2]) < summary.threshold);
    }
    expect(withheld).toBe(summary.withheld);
    expect(withheld).toBeGreaterThan(0);
    expect(lines[1].startsWith('r0,')).toBe(true);
    const noHead = cli(['predict', path.join(dir, 'all.safetensors'), csv]);
    expect(noHead.code).toBe(1);
    expect(noHead.err).toContain("has no prediction head: fit it with 'varjepa fit --target <column>'");
    expect(cli(['predict', model, csv, '--abstain', '1.5']).err).toContain("--abstain: expected a number between 0 and 1 (both excluded) but received '1.5'");
    const fitOut = cli(['fit', csv, '--target', 'label', '--ignore', 'id', '--epochs', '1', '--out', 'h.safetensors', '--quiet']);
    expect(fitOut.out).toMatch(/prediction head \(MLP probe on the embeddings\): validation accuracy [\d.]+% \(always guessing the most frequent class: [\d.]+%\)/);
  });

  it('evaluates with the target stored in the model, beside the majority-class rate', () => {
    const r = cli(['evaluate', model, csv, '--json']);
    expect(r.code, r.err).toBe(0);
    const e = JSON.parse(r.out);
    expect(e.target).toBe('label');
    expect(e.majorityRate).toBeGreaterThan(0.2);
    expect(e.majorityRate).toBeLessThan(1);
    expect(cli(['evaluate', model, csv]).out).toContain('always guessing the most frequent class');
  });

  it('Ctrl-C writes a checkpoint and exits 130; --resume continues it; --threads sets the pool', async () => {
    const big = path.join(dir, 'big.csv');
    writeTable(big, 3000);
    const out = path.join(dir, 'int.safetensors');
    const child = spawn(process.execPath, [bin, 'fit', big, '--target', 'label', '--ignore', 'id', '--epochs', '100000', '--out', out, '--threads', '1'], { cwd: dir });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    // interrupt once training has started (the first progress line)
    await new Promise<void>((resolve) => child.stderr.on('data', () => (/epoch \d+: loss/.test(err) ? resolve() : undefined)));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(err).toContain(`interrupted: the run so far is in the checkpoint '${out}.checkpoint'`);
    expect(fs.existsSync(`${out}.checkpoint`)).toBe(true);
    expect(fs.existsSync(out)).toBe(false);
    const ck = await readModelFile(`${out}.checkpoint`);
    expect(ck.training?.step).toBeGreaterThan(0);
    const r = cli(['fit', big, '--target', 'label', '--ignore', 'id', '--epochs', String(ck.training!.epoch + 1), '--resume', `${out}.checkpoint`, '--out', out, '--json', '--quiet']);
    expect(r.code, r.err).toBe(0);
    expect(fs.existsSync(out)).toBe(true);
    expect(fs.existsSync(`${out}.checkpoint`)).toBe(false);  // kept only while the run is unfinished
    const kept = cli(['fit', csv, '--target', 'label', '--epochs', '2', '--checkpoint', 'kept.ckpt', '--out', 'kept.safetensors', '--json', '--quiet']);
    expect(kept.code, kept.err).toBe(0);
    expect((await readModelFile(path.join(dir, 'kept.ckpt'))).training?.epoch).toBe(2);
  });
});
