// Model files: safetensors round trip (bit-identical embeddings), the file read by an independent
// minimal parser, every corruption refused with a pinned message, atomic saves, and checkpoints:
// resuming (from an epoch boundary or from an abort mid-epoch) equals uninterrupted training bit
// for bit.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { loadModel } from '../lib/model/load';
import { readModelFile } from '../lib/model/persist';
import { TJepa } from '../lib/model/tjepa';
import type { VarTJepaEpoch as EpochSummary } from '../lib/model/fit-types';
import { VarTJepa } from '../lib/model/vartjepa';
import { TINY_OPTIONS, TINY_SCHEMA, TINY_T_OPTIONS, tinyData } from './helpers/tiny-model';

const data = tinyData(30, 11); // batch 6: 5 steps per epoch
let dir: string;
let model: VarTJepa;
let good: Buffer; // a valid model file

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'varjepa-persist-'));
  model = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
  await model.fit(data, { epochs: 1 });
  await model.save(path.join(dir, 'good.safetensors'));
  good = fs.readFileSync(path.join(dir, 'good.safetensors'));
});
afterAll(() => {
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

// ---- an independent minimal safetensors reader and writer (no code shared with lib/) ----------
interface Parsed {
  headerLen: number;
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> };
  data: Buffer;
}
function parse(buf: Buffer): Parsed {
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  return { headerLen, header, data: buf.subarray(8 + headerLen) };
}
type Tensor = { name: string; dtype?: string; shape: number[]; bytes: Buffer; offsets?: [number, number] };
function tensorsOf(p: Parsed): Tensor[] {
  return Object.entries(p.header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, t]) => ({ name, shape: [...t.shape], bytes: Buffer.from(p.data.subarray(t.data_offsets[0], t.data_offsets[1])) }));
}
function build(meta: Record<string, unknown> | undefined, tensors: Tensor[]): Buffer {
  const header: Record<string, unknown> = meta === undefined ? {} : { __metadata__: meta };
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: t.offsets ?? [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, ...tensors.map((t) => t.bytes)]);
}
const goodParsed = () => parse(good);
const goodMeta = () => ({ ...goodParsed().header.__metadata__! });

async function loadBytes(buf: Buffer, name = 'bad.safetensors') {
  const p = path.join(dir, name);
  fs.writeFileSync(p, buf);
  return VarTJepa.load(p);
}
const fileMsg = (problem: string) => new RegExp(`^Invalid model file '.*bad\\.safetensors': ${problem}`);

describe('model files (safetensors)', () => {
  it('round trip: identical parameters, config and bit-identical embeddings', async () => {
    const loaded = await VarTJepa.load(path.join(dir, 'good.safetensors'));
    try {
      expect(loaded.getConfig()).toEqual(model.getConfig());
      expect(bytesOf(loaded.exportParameters()).equals(bytesOf(model.exportParameters()))).toBe(true);
      const a = await model.embed(data), b = await loaded.embed(data);
      expect(bytesOf(b.embeddings).equals(bytesOf(a.embeddings))).toBe(true);
      expect(bytesOf(b.uncertainty).equals(bytesOf(a.uncertainty))).toBe(true);
      expect(bytesOf(b.uncertaintyP90).equals(bytesOf(a.uncertaintyP90))).toBe(true);
      expect(loaded.step).toBe(0); // no optimiser state in a plain save
    } finally {
      loaded.dispose();
    }
  });

  it('is a safetensors file an independent parser reads: 8-byte length, JSON header, aligned offsets, one F32 tensor per parameter', () => {
    const p = goodParsed();
    expect((8 + p.headerLen) % 8).toBe(0);
    const meta = p.header.__metadata__!;
    for (const v of Object.values(meta)) expect(typeof v).toBe('string');
    expect(meta.format).toBe('varjepa.model');
    expect(JSON.parse(meta.config)).toEqual(model.getConfig());
    expect(JSON.parse(meta.schema)).toEqual(TINY_SCHEMA);
    expect(meta.varjepa_version).toBe(model.getConfig().version);
    const table = model.parameterTable();
    const params = model.exportParameters();
    const names = Object.keys(p.header).filter((k) => k !== '__metadata__');
    expect(names).toEqual(table.map((e) => e.name));
    expect(names).toContain('ctx.encoder.layers.0.attn.qkv.weight');
    let end = 0;
    for (const e of table) {
      const t = p.header[e.name];
      expect(t.dtype).toBe('F32');
      expect(t.shape).toEqual(e.shape);
      expect(t.data_offsets[1] - t.data_offsets[0]).toBe(e.size * 4);
      expect(p.data.subarray(t.data_offsets[0], t.data_offsets[1]).equals(bytesOf(params.subarray(e.offset, e.offset + e.size)))).toBe(true);
      end = Math.max(end, t.data_offsets[1]);
    }
    expect(end).toBe(p.data.length);
  });

  it('stores history and preprocessor as JSON strings, and a checkpoint restores the optimiser state and counters', async () => {
    const p = path.join(dir, 'ckpt.safetensors');
    const history = [{ epoch: 1, note: 'x' }] as unknown as EpochSummary[];
    await model.save(p, { optimizer: true, history, preprocessor: { columns: ['a', 'b'] } });
    const f = await readModelFile(p);
    expect(f.history).toEqual(history);
    expect(f.preprocessor).toEqual({ columns: ['a', 'b'] });
    expect(f.training).toEqual({ step: 5, epoch: 1 });
    expect(typeof f.metadata.training).toBe('string');
    expect([...f.tensors.keys()].filter((k) => k.startsWith('optim.m.')).length).toBe(model.parameterTable().length);
    const loaded = await loadModel(p);
    try {
      const a = model.exportOptimizerState(), b = loaded.exportOptimizerState();
      expect(b.step).toBe(5);
      expect(b.epoch).toBe(1);
      expect(bytesOf(b.m).equals(bytesOf(a.m))).toBe(true);
      expect(bytesOf(b.v).equals(bytesOf(a.v))).toBe(true);
    } finally {
      loaded.dispose();
    }
  });

  describe('refuses corrupt files with a message naming the file and the problem', () => {
    const hl = () => goodParsed().headerLen;
    const cases: Array<[string, () => Buffer, () => RegExp]> = [
      ['empty file', () => Buffer.alloc(0), () => fileMsg('0 bytes is shorter than the 8-byte header length')],
      ['7 bytes', () => good.subarray(0, 7), () => fileMsg('7 bytes is shorter than the 8-byte header length')],
      ['cut mid-header', () => good.subarray(0, 8 + (hl() >> 1)), () => fileMsg(`header length ${hl()} exceeds the ${hl() >> 1} bytes after the length field \\(truncated file\\?\\)`)],
      ['cut mid-data', () => good.subarray(0, 8 + hl() + ((good.length - 8 - hl()) >> 1)), () => fileMsg(`tensor '.+' data_offsets \\[\\d+, \\d+\\] lie outside the data area of ${(good.length - 8 - hl()) >> 1} bytes \\(truncated file\\?\\)`)],
      ['last byte missing', () => good.subarray(0, good.length - 1), () => fileMsg(`tensor '.+' data_offsets \\[\\d+, ${good.length - 8 - hl()}\\] lie outside the data area of ${good.length - 9 - hl()} bytes`)],
      ['absurd header length', () => { const b = Buffer.from(good); b.writeBigUInt64LE(2n ** 60n, 0); return b; }, () => fileMsg('header length 1152921504606846976 exceeds the limit of 100000000 bytes')],
      ['flipped header byte (invalid JSON)', () => { const b = Buffer.from(good); b[8] ^= 0x20; return b; }, () => fileMsg('header is not valid JSON')],
      ['header byte set to 0xff (invalid UTF-8)', () => { const b = Buffer.from(good); b[20] = 0xff; return b; }, () => fileMsg('header is not valid UTF-8')],
      ['header not an object', () => { const l = Buffer.alloc(8); l.writeBigUInt64LE(5n); return Buffer.concat([l, Buffer.from('[1,2]')]); }, () => fileMsg('header is not a JSON object')],
      ['no metadata', () => build(undefined, tensorsOf(goodParsed())), () => fileMsg('header has no __metadata__')],
      ['non-string metadata', () => build({ ...goodMeta(), config: JSON.parse(goodMeta().config) }, tensorsOf(goodParsed())), () => fileMsg('__metadata__.config must be a string but is object')],
      ['missing config', () => { const m: Record<string, unknown> = goodMeta(); delete m.config; return build(m, tensorsOf(goodParsed())); }, () => fileMsg('__metadata__.config is missing')],
      ['config not JSON', () => build({ ...goodMeta(), config: '{oops' }, tensorsOf(goodParsed())), () => fileMsg('__metadata__.config is not valid JSON')],
      ['config failing validation', () => {
        const c = JSON.parse(goodMeta().config);
        c.options.heads = 3;
        return build({ ...goodMeta(), config: JSON.stringify(c) }, tensorsOf(goodParsed()));
      }, () => fileMsg('__metadata__.config is invalid: options.d \\(8\\) must be divisible by options.heads \\(3\\)')],
      ['wrong dtype', () => { const t = tensorsOf(goodParsed()); t[1].dtype = 'F16'; return build(goodMeta(), t); }, () => fileMsg(`tensor '.+' has dtype "F16"; only 'F32' is supported`)],
      ['lying offset (size does not match the shape)', () => {
        const t = tensorsOf(goodParsed());
        t[0].offsets = [0, t[0].bytes.length - 4];
        return build(goodMeta(), t);
      }, () => fileMsg(`tensor '${model.parameterTable()[0].name}' holds \\d+ bytes but its shape \\[[\\d, ]+\\] needs \\d+`)],
      ['lying offset (past the data area)', () => {
        const t = tensorsOf(goodParsed());
        const total = t.reduce((a, x) => a + x.bytes.length, 0);
        t[0].offsets = [total, total + t[0].bytes.length];
        return build(goodMeta(), t);
      }, () => fileMsg(`tensor '${model.parameterTable()[0].name}' data_offsets \\[\\d+, \\d+\\] lie outside the data area`)],
      ['overlapping offsets', () => {
        const t = tensorsOf(goodParsed());
        t[1].offsets = [4, 4 + t[1].bytes.length];
        return build(goodMeta(), t);
      }, () => fileMsg(`tensor '.+' data_offsets \\[\\d+, \\d+\\] (overlap|leave a gap after) the previous tensor ending at \\d+`)],
      ['trailing bytes after the tensors', () => Buffer.concat([good, Buffer.alloc(4)]), () => fileMsg(`the data area holds ${good.length + 4 - 8 - hl()} bytes but the tensors end at ${good.length - 8 - hl()}`)],
      ['NaN weight', () => { const b = Buffer.from(good); b.writeFloatLE(NaN, 8 + hl() + 8); return b; }, () => fileMsg(`tensor '${model.parameterTable()[0].name}' holds a non-finite value \\(NaN\\) at index 2`)],
      ['Infinity weight', () => { const b = Buffer.from(good); b.writeFloatLE(-Infinity, b.length - 4); return b; }, () => fileMsg(`tensor '.+' holds a non-finite value \\(-Infinity\\) at index \\d+`)],
      ['wrong shape', () => {
        const t = tensorsOf(goodParsed());
        const k = t.findIndex((x) => x.shape.length === 2 && x.shape[0] !== x.shape[1]);
        t[k].shape = [t[k].shape[1], t[k].shape[0]];
        return build(goodMeta(), t);
      }, () => fileMsg(`tensor '.+' has shape \\[\\d+, \\d+\\] but the config needs \\[\\d+, \\d+\\]`)],
      ['missing tensor', () => build(goodMeta(), tensorsOf(goodParsed()).filter((x) => x.name !== 'ctx.encoder.layers.0.attn.qkv.weight')),
        () => fileMsg(`tensor 'ctx.encoder.layers.0.attn.qkv.weight' is missing \\(the config's parameter table needs it\\)`)],
      ['extra tensor', () => build(goodMeta(), [...tensorsOf(goodParsed()), { name: 'extra.weight', shape: [2], bytes: Buffer.alloc(8) }]),
        () => fileMsg(`unexpected tensor 'extra.weight' \\(not in the config's parameter table\\)`)],
    ];
    it.each(cases)('%s', async (_name, make, msg) => {
      await expect(loadBytes(make())).rejects.toThrow(msg());
    });

    it('a missing file names the path', async () => {
      await expect(VarTJepa.load(path.join(dir, 'nope.safetensors'))).rejects.toThrow(/^Could not read model file '.*nope\.safetensors': ENOENT/);
    });
  });

  describe('atomic save', () => {
    const listing = (d: string) => fs.readdirSync(d).sort();

    it('replaces an existing file and leaves no temporary file', async () => {
      const d = fs.mkdtempSync(path.join(dir, 'a-'));
      fs.writeFileSync(path.join(d, 'm.safetensors'), 'old');
      await model.save(path.join(d, 'm.safetensors'));
      expect(listing(d)).toEqual(['m.safetensors']);
      expect(fs.readFileSync(path.join(d, 'm.safetensors')).equals(good)).toBe(true);
    });

    it('a missing target directory fails with the path and creates nothing', async () => {
      const d = fs.mkdtempSync(path.join(dir, 'b-'));
      await expect(model.save(path.join(d, 'missing', 'm.safetensors'))).rejects.toThrow(/^Could not save the model to '.*missing\/m\.safetensors': ENOENT/);
      expect(listing(d)).toEqual([]);
    });

    it('a failed rename leaves the existing file untouched and removes the temporary file', async () => {
      const d = fs.mkdtempSync(path.join(dir, 'c-'));
      fs.writeFileSync(path.join(d, 'm.safetensors'), 'precious');
      const spy = vi.spyOn(fs.promises, 'rename').mockRejectedValueOnce(new Error('disk on fire'));
      await expect(model.save(path.join(d, 'm.safetensors'))).rejects.toThrow(/^Could not save the model to '.*m\.safetensors': disk on fire$/);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(listing(d)).toEqual(['m.safetensors']);
      expect(fs.readFileSync(path.join(d, 'm.safetensors'), 'utf8')).toBe('precious');
    });

    it('a target that is a directory is left untouched', async () => {
      const d = fs.mkdtempSync(path.join(dir, 'd-'));
      fs.mkdirSync(path.join(d, 'm.safetensors'));
      fs.writeFileSync(path.join(d, 'm.safetensors', 'keep'), 'x');
      await expect(model.save(path.join(d, 'm.safetensors'))).rejects.toThrow(/^Could not save the model to '.*m\.safetensors': E(ISDIR|NOTEMPTY|EXIST)/);
      expect(listing(d)).toEqual(['m.safetensors']);
      expect(listing(path.join(d, 'm.safetensors'))).toEqual(['keep']);
    });
  });
});

// Both model kinds checkpoint and resume through the one shell: the same tests for each.
type Kind = { name: string; make: (o?: Record<string, unknown>) => VarTJepa | TJepa; load: (p: string) => Promise<VarTJepa | TJepa> };
const KINDS: Kind[] = [
  { name: 'VarTJepa', make: (o = {}) => new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, ...o }), load: (p) => VarTJepa.load(p) },
  { name: 'TJepa', make: (o = {}) => new TJepa(TINY_SCHEMA, { ...TINY_T_OPTIONS, ...o }), load: (p) => TJepa.load(p) },
];

describe.each(KINDS)('checkpoints and resume ($name)', (kind) => {
  const EPOCHS = 4;
  // the loss curve and schedule of the history (timings aside)
  const lossCurve = (h: Array<Record<string, unknown>>) => h.map(({ seconds: _s, rowsPerSec: _r, ...rest }) => rest);
  let straight: { params: Float32Array; m: Float32Array; v: Float32Array; history: Array<Record<string, unknown>> };

  beforeAll(async () => {
    const m = kind.make();
    const res = await m.fit(data, { epochs: EPOCHS });
    const st = m.exportOptimizerState();
    straight = { params: m.exportParameters(), m: st.m, v: st.v, history: res.history as never };
    m.dispose();
  });

  async function expectSameAsStraight(resumed: VarTJepa | TJepa, history: Array<Record<string, unknown>>) {
    expect(lossCurve(history)).toEqual(lossCurve(straight.history));
    expect(bytesOf(resumed.exportParameters()).equals(bytesOf(straight.params))).toBe(true);
    const st = resumed.exportOptimizerState();
    expect(bytesOf(st.m).equals(bytesOf(straight.m))).toBe(true);
    expect(bytesOf(st.v).equals(bytesOf(straight.v))).toBe(true);
    expect(st.step).toBe(EPOCHS * 5);
    expect(st.epoch).toBe(EPOCHS);
  }

  it('resuming from an epoch checkpoint equals uninterrupted training bit for bit', async () => {
    const ck = path.join(dir, `${kind.name}-epoch.ckpt.safetensors`);
    const ac = new AbortController();
    const a = kind.make();
    const first: Array<Record<string, unknown>> = [];
    // the same options as the straight run, stopped after epoch 2 (checkpoints every 2 epochs)
    await expect(a.fit(data, { epochs: EPOCHS, checkpoint: { path: ck, every: 2 }, signal: ac.signal, onEpoch: (e: never) => { first.push(e); if ((e as { epoch: number }).epoch === 2) ac.abort(); } })).rejects.toThrow(/aborted/);
    a.dispose();
    const f = await readModelFile(ck);
    expect(f.config.kind).toBe(kind.name);
    expect(f.training).toMatchObject({ step: 10, epoch: 2, epochStep: 0, targetEpochs: EPOCHS, stepsPerEpoch: 5, rows: 30 });
    expect(lossCurve(f.history as never)).toEqual(lossCurve(first));

    const b = kind.make();
    try {
      const res = await b.fit(data, { resume: ck }); // epochs default to the checkpoint's target (4 in all)
      expect(res.epochs).toBe(2);
      expect(res.steps).toBe(10);
      await expectSameAsStraight(b, [...first, ...(res.history as never[])]);
      expect(lossCurve(((await readModelFile(ck)).history ?? []) as never)).toEqual(lossCurve(first)); // no checkpoint option: file unchanged
    } finally {
      b.dispose();
    }
  });

  it('abort mid-epoch writes a checkpoint; resuming with the total epoch count equals uninterrupted training', async () => {
    const ck = path.join(dir, `${kind.name}-abort.ckpt.safetensors`);
    const ac = new AbortController();
    const a = kind.make();
    const first: Array<Record<string, unknown>> = [];
    await expect(
      a.fit(data, {
        epochs: EPOCHS, checkpoint: { path: ck, every: 100 }, signal: ac.signal,
        onEpoch: (e: never) => first.push(e),
        onProgress: (p: { step: number }) => { if (p.step === 7) ac.abort(); },
      }),
    ).rejects.toThrow(/aborted/);
    const paramsAtAbort = a.exportParameters();
    a.dispose();
    const f = await readModelFile(ck);
    expect(f.training).toMatchObject({ step: 7, epoch: 1, epochStep: 2, targetEpochs: EPOCHS });
    expect(Object.keys(f.training!.partial!)).toEqual(kind.name === 'TJepa' ? ['loss', 'gradNorm'] : ['rec', 'gen', 'klSx', 'klZ', 'klSy', 'total', 'gradNorm']);
    expect(Object.values(f.training!.partial!)[0]).toBeGreaterThan(0);
    // the checkpoint is also a loadable model at the abort point
    const atAbort = await kind.load(ck);
    expect(bytesOf(atAbort.exportParameters()).equals(bytesOf(paramsAtAbort))).toBe(true);
    expect(atAbort.step).toBe(7);
    atAbort.dispose();

    const b = kind.make();
    try {
      const progressSteps: number[] = [];
      const res = await b.fit(data, { epochs: EPOCHS, resume: ck, checkpoint: { path: ck }, onProgress: (p: { step: number }) => progressSteps.push(p.step) });
      expect(progressSteps[0]).toBe(8);
      expect(res.steps).toBe(EPOCHS * 5 - 7);
      await expectSameAsStraight(b, [...first, ...(res.history as never[])]);
      // the final checkpoint holds the whole run's history
      expect(lossCurve((await readModelFile(ck)).history as never)).toEqual(lossCurve(straight.history));
    } finally {
      b.dispose();
    }
  });

  it('refuses to resume into a different model or with too few epochs, leaving the model untouched', async () => {
    const ck = path.join(dir, `${kind.name}-abort.ckpt.safetensors`);
    const other = kind.make({ seed: 4 });
    await expect(other.fit(data, { resume: ck })).rejects.toThrow(/^Cannot resume from '.*abort\.ckpt\.safetensors': its option seed is 3 but the model's is 4$/);
    other.dispose();
    const same = kind.make();
    const before2 = same.exportParameters();
    await expect(same.fit(data, { resume: ck, epochs: 3 })).rejects.toThrow(
      /^Expected options.epochs \(the total epoch count when resuming\) of at least 4 for the checkpoint '.*' but received 3$/,
    );
    await expect(same.fit(tinyData(24, 1), { resume: ck })).rejects.toThrow(/it was written training on 30 rows but data has 24$/);
    await expect(same.fit(data, { resume: path.join(dir, 'good.safetensors') })).rejects.toThrow(kind.name === 'TJepa' ? /it holds no optimiser state|it holds a VarTJepa model but this is a TJepa/ : /it holds no optimiser state/);
    expect(bytesOf(same.exportParameters()).equals(bytesOf(before2))).toBe(true);
    expect(same.step).toBe(0);
    same.dispose();
  });
});

describe('T-JEPA model files', () => {
  it('round trip: the kind, identical parameters (target encoder included), bit-identical embeddings', async () => {
    const t = new TJepa(TINY_SCHEMA, TINY_T_OPTIONS);
    try {
      await t.fit(data, { epochs: 1 });
      const p = path.join(dir, 'tjepa.safetensors');
      await t.save(p);
      const f = await readModelFile(p);
      expect(f.config).toEqual(t.getConfig());
      expect([...f.tensors.keys()].some((k) => k.startsWith('tgt.'))).toBe(true);
      for (const loaded of [await TJepa.load(p), await loadModel(p)]) {
        try {
          expect(loaded).toBeInstanceOf(TJepa);
          expect(loaded.getConfig()).toEqual(t.getConfig());
          expect(bytesOf(loaded.exportParameters()).equals(bytesOf(t.exportParameters()))).toBe(true);
          const a = await t.embed(data), b = await loaded.embed(data);
          expect(bytesOf(b.embeddings).equals(bytesOf(a.embeddings))).toBe(true);
        } finally {
          loaded.dispose();
        }
      }
    } finally {
      t.dispose();
    }
  });

  it('each kind\'s load refuses the other kind\'s file, naming both; loadModel reads either', async () => {
    const tp = path.join(dir, 'tjepa.safetensors');
    await expect(VarTJepa.load(tp)).rejects.toThrow(`Invalid model file '${tp}': it holds a TJepa model, not a VarTJepa (load it with TJepa.load or loadModel)`);
    const vp = path.join(dir, 'good.safetensors');
    await expect(TJepa.load(vp)).rejects.toThrow(`Invalid model file '${vp}': it holds a VarTJepa model, not a TJepa (load it with VarTJepa.load or loadModel)`);
    const v = await loadModel(vp);
    expect(v).toBeInstanceOf(VarTJepa);
    v.dispose();
  });
});

describe('checkpoint options', () => {
  it('validates the checkpoint options', async () => {
    const m = new VarTJepa(TINY_SCHEMA, TINY_OPTIONS);
    try {
      await expect(m.fit(data, { checkpoint: { path: '' } })).rejects.toThrow("Expected a non-empty string for options.checkpoint.path but received '' (string)");
      await expect(m.fit(data, { checkpoint: { path: 'x', every: 0 } })).rejects.toThrow('Expected an integer between 1 and 1000000 for options.checkpoint.every but received 0 (number)');
      await expect(m.fit(data, { resume: 5 as unknown as string })).rejects.toThrow('Expected a non-empty string (a checkpoint path) for options.resume but received 5 (number)');
    } finally {
      m.dispose();
    }
  });
});
