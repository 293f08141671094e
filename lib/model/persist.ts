// Model files in the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON header, then the tensor bytes. The header maps
// each tensor name to { dtype: 'F32', shape, data_offsets: [begin, end] } (byte offsets into the
// data area after the header) and holds `__metadata__`, a string -> string map; ours carries the
// config, schema, package version, training history, preprocessor and checkpoint counters as JSON
// strings. The config names the model kind ('VarTJepa' or 'TJepa'). One tensor per parameter,
// named as in parameterTable(), so Python reads the weights with `safetensors.numpy.load_file`.
// Checkpoints add the AdamW moments as `optim.m.<name>` and `optim.v.<name>`. Saving is atomic
// (temporary file, fsync, rename, fsync of the directory); loading validates the whole file
// before any model is built. This file knows models only through PersistableModel: it builds
// none (lib/model/load.ts picks the kind).
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as nodePath from 'path';

import { packageVersion } from '../native';
import { invalid } from '../validate';
import type { ModelSchema } from './schema';

/** Format tag written to `__metadata__.format`. */
export const MODEL_FORMAT = 'varjepa.model';
/**
 * Version of the metadata layout written to `__metadata__.format_version`. 2: the options dp and
 * ffp are named dP and ffP (files of version 1 are read with those two keys renamed). 3: the
 * option scheduleEpochs (files of versions 1 and 2 had absolute schedules: read as scheduleEpochs 0).
 */
export const MODEL_FORMAT_VERSION = '3';
/** The format versions this package reads. */
const READABLE_VERSIONS = ['1', '2', '3'];
/** Headers above this size are refused as corrupt (bytes). */
export const MAX_HEADER_BYTES = 100_000_000;

/** The model kinds a file can hold. */
export type ModelKind = 'VarTJepa' | 'TJepa';
export const MODEL_KINDS: readonly ModelKind[] = ['VarTJepa', 'TJepa'];

/** JSON that rebuilds a model's architecture: `new <kind>(config.schema, config.options)`. */
export interface ModelConfig<K extends ModelKind = ModelKind, O = Record<string, unknown>> {
  kind: K;
  /** Package version that made the config. */
  version: string;
  schema: ModelSchema;
  options: O;
}

/** One named tensor in the flat parameter array. */
export interface ParamEntry {
  name: string;
  offset: number;
  size: number;
  shape: number[];
  /** Whether AdamW's weight decay applies. */
  decay: boolean;
}

/** The optimiser state: AdamW moments (the flat layout), step and epoch counters. */
export interface OptimizerState {
  m: Float32Array;
  v: Float32Array;
  step: number;
  epoch: number;
}

/** What saving and loading need of a model (both kinds give it). */
export interface PersistableModel {
  getConfig(): ModelConfig;
  parameterTable(): ParamEntry[];
  exportParameters(): Float32Array;
  importParameters(params: Float32Array): void;
  exportOptimizerState(): OptimizerState;
  importOptimizerState(state: OptimizerState): void;
  /**
   * Takes the preprocessor state a file stores (both kinds do). Returns false for JSON that is no
   * preprocessor state (a file may store any JSON there); throws for a preprocessor of other features.
   */
  adoptPreprocessor?(state: unknown): boolean;
  /** Takes the downstream head a file stores; throws when it does not fit the model. */
  adoptHead?(head: StoredHead): void;
}

/** Where a checkpoint stands inside `fit`, so `fit({ resume })` continues exactly. */
export interface TrainingState {
  /** Optimiser steps taken. */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** Steps already taken inside the unfinished epoch `epoch` (0 at an epoch boundary). */
  epochStep?: number;
  /** Epoch count the interrupted fit was training towards (its learning-rate schedule ends there). */
  targetEpochs?: number;
  /** Epoch at which that fit started (probes are counted from it). */
  fitStart?: number;
  /** Optimiser steps per epoch and rows of the training table of that fit. */
  stepsPerEpoch?: number;
  rows?: number;
  /** Row-weighted loss sums of the unfinished epoch so far (the kind's loss terms). */
  partial?: Record<string, number>;
}

/** Options of a model's `save`. */
export interface SaveOptions {
  /** Also write the AdamW moments and the step/epoch counters (a checkpoint); default false. */
  optimizer?: boolean;
  /** Training history to store (`__metadata__.history`, any JSON array: fit's epoch summaries); default none. */
  history?: unknown[];
  /** Preprocessor state (any JSON value) to store (`__metadata__.preprocessor`); default none. */
  preprocessor?: unknown;
  /** Fit position stored with the optimiser state (set by fit's checkpoints). */
  training?: Omit<TrainingState, 'step' | 'epoch'>;
  /** A downstream head: its JSON (`__metadata__.head`) and its arrays, stored as tensors `head.<name>`. */
  head?: StoredHead;
}

/** A downstream head as a file holds it. */
export interface StoredHead {
  meta: unknown;
  tensors: Record<string, Float32Array>;
}

/** Tensors of a file whose names start with this belong to its downstream head. */
export const HEAD_PREFIX = 'head.';

/** A model file read and checked for structure, before any model is built. */
export interface ModelFile {
  path: string;
  config: ModelConfig;
  /** Package version that wrote the file. */
  version: string;
  history?: unknown[];
  preprocessor?: unknown;
  /** The downstream head, when the file holds one. */
  head?: StoredHead;
  /** Present in checkpoints (files with optimiser state). */
  training?: TrainingState;
  /** Every tensor by name, in file order. */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  /** The raw `__metadata__` strings. */
  metadata: Record<string, string>;
}

/** A model file that cannot be read or written: missing, corrupt, or a folder or disk that refuses it. `cause` holds the file system's error where there is one. */
export class ModelFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelFileError';
  }
}

function fileError(file: string, problem: string): Error {
  return new ModelFileError(`Invalid model file '${file}': ${problem}`);
}

const fmtShape = (s: number[]) => `[${s.join(', ')}]`;

// ---------------------------------------------------------------------------------------------
// Writing

/** Writes `buf` fully at the handle's position. */
async function writeAll(fh: fs.promises.FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** The header JSON and the byte views of each tensor, in order. */
function encode(model: PersistableModel, options: SaveOptions): { header: Buffer; chunks: Uint8Array[] } {
  const table = model.parameterTable();
  const params = model.exportParameters();
  const named: Array<[string, number[], Float32Array]> = table.map((e) => [e.name, e.shape, params.subarray(e.offset, e.offset + e.size)]);
  for (const [name, , data] of named) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new RangeError(`Refusing to save a model whose tensor '${name}' holds a non-finite value (${data[i]}) at index ${i}`);
    }
  }
  const config = model.getConfig();
  const meta: Record<string, string> = {
    format: MODEL_FORMAT,
    format_version: MODEL_FORMAT_VERSION,
    varjepa_version: packageVersion(),
    config: JSON.stringify(config),
    schema: JSON.stringify(config.schema),
  };
  if (options.history !== undefined) meta.history = JSON.stringify(options.history);
  if (options.preprocessor !== undefined) meta.preprocessor = JSON.stringify(options.preprocessor);
  if (options.head !== undefined) {
    meta.head = JSON.stringify(options.head.meta);
    for (const [name, data] of Object.entries(options.head.tensors)) named.push([HEAD_PREFIX + name, [data.length], data]);
  }
  if (options.optimizer) {
    const st = model.exportOptimizerState();
    for (const e of table) named.push([`optim.m.${e.name}`, e.shape, st.m.subarray(e.offset, e.offset + e.size)]);
    for (const e of table) named.push([`optim.v.${e.name}`, e.shape, st.v.subarray(e.offset, e.offset + e.size)]);
    const training: TrainingState = { step: st.step, epoch: st.epoch, ...(options.training ?? {}) };
    meta.training = JSON.stringify(training);
  }
  const header: Record<string, unknown> = { __metadata__: meta };
  let off = 0;
  const chunks: Uint8Array[] = [];
  for (const [name, shape, data] of named) {
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + data.byteLength] };
    off += data.byteLength;
    chunks.push(littleEndianBytes(data));
  }
  let json = JSON.stringify(header);
  // pad with spaces so the data area starts 8-byte aligned, as the reference writer does
  const len = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + len) % 8)) % 8);
  const body = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + body.length);
  out.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(out, 8);
  return { header: out, chunks };
}

function littleEndianBytes(a: Float32Array): Uint8Array {
  if (os.endianness() === 'LE') return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i], true);
  return out;
}

/**
 * Saves the model's parameters (and, with `optimizer`, its AdamW state) to a safetensors file.
 * The write is atomic: a temporary file next to `path` is written, fsynced and renamed over
 * `path`; on any error the temporary file is removed and an existing `path` is left untouched.
 * Models call it from their `save`.
 */
export async function saveModel(model: PersistableModel, path: string, options: SaveOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'a non-empty string', path, 'type');
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options, 'type');
  const { header, chunks } = encode(model, options);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(tmp, 'wx', 0o644);
    await writeAll(fh, header);
    for (const c of chunks) await writeAll(fh, c);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.promises.rename(tmp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await fs.promises.unlink(tmp).catch(() => undefined);
    throw new ModelFileError(`Could not save the model to '${path}': ${(err as Error).message}`, { cause: err });
  }
  // make the rename durable; a file system that cannot fsync a directory still has the file
  try {
    const dir = await fs.promises.open(nodePath.dirname(nodePath.resolve(path)), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // best effort (see above)
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

function parseJson(file: string, what: string, s: string): unknown {
  try {
    return JSON.parse(s);
  } catch (err) {
    throw fileError(file, `${what} is not valid JSON (${(err as Error).message})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The options renamed in format version 2 (old name -> new name). */
const FORMAT_1_RENAMES: Readonly<Record<string, string>> = { dp: 'dP', ffp: 'ffP' };

/** A file's options as this version names them: keys renamed in the same order, new options set to what the file's schedule was. */
function upgradeOptions(o: Record<string, unknown>, formatVersion: string): Record<string, unknown> {
  const renamed = formatVersion === '1' ? Object.fromEntries(Object.entries(o).map(([k, v]) => [FORMAT_1_RENAMES[k] ?? k, v])) : o;
  if (formatVersion !== '1' && formatVersion !== '2') return renamed;
  // scheduleEpochs came after warmup; before it, warmup and the ramps were absolute epochs
  return Object.fromEntries(Object.entries(renamed).flatMap(([k, v]) => (k === 'warmup' ? [[k, v], ['scheduleEpochs', 0]] : [[k, v]])));
}
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function readTensor(bytes: Uint8Array, begin: number, end: number): Float32Array {
  const out = new Float32Array((end - begin) / 4);
  if (os.endianness() === 'LE') {
    new Uint8Array(out.buffer).set(bytes.subarray(begin, end));
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset + begin, end - begin);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  }
  return out;
}

function checkTraining(file: string, v: unknown): TrainingState {
  if (!isObject(v) || !isCount(v.step) || !isCount(v.epoch)) throw fileError(file, '__metadata__.training must be a JSON object with integer step and epoch');
  for (const k of ['epochStep', 'targetEpochs', 'fitStart', 'stepsPerEpoch', 'rows'] as const) {
    if (v[k] !== undefined && !isCount(v[k])) throw fileError(file, `__metadata__.training.${k} must be a non-negative integer`);
  }
  if (v.partial !== undefined) {
    const p = v.partial;
    if (!isObject(p) || Object.keys(p).length === 0 || !Object.values(p).every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw fileError(file, '__metadata__.training.partial must hold the loss terms as finite numbers');
    }
  }
  return v as unknown as TrainingState;
}

/**
 * Parses a model file from its bytes and checks its structure: header length, UTF-8 JSON header,
 * string metadata, F32 dtypes, data offsets (inside the data area, contiguous, matching the
 * shapes) and finite values. The tensors are not yet compared with a parameter table
 * (`checkTensors` does that).
 */
export function parseModelFile(bytes: Uint8Array, file: string): ModelFile {
  if (bytes.length < 8) throw fileError(file, `${bytes.length} bytes is shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw fileError(file, `header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLen = Number(n);
  if (headerLen > bytes.length - 8) throw fileError(file, `header length ${headerLen} exceeds the ${bytes.length - 8} bytes after the length field (truncated file?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw fileError(file, 'header is not valid UTF-8');
  }
  const header = parseJson(file, 'header', text);
  if (!isObject(header)) throw fileError(file, 'header is not a JSON object');
  const meta = header.__metadata__;
  if (meta === undefined) throw fileError(file, 'header has no __metadata__ (not a varjepa model file?)');
  if (!isObject(meta)) throw fileError(file, '__metadata__ is not a JSON object');
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== 'string') throw fileError(file, `__metadata__.${k} must be a string but is ${Array.isArray(v) ? 'an array' : typeof v}`);
  }
  const metadata = meta as Record<string, string>;
  for (const k of ['format', 'varjepa_version', 'config']) {
    if (metadata[k] === undefined) throw fileError(file, `__metadata__.${k} is missing (not a varjepa model file?)`);
  }
  if (metadata.format !== MODEL_FORMAT) throw fileError(file, `__metadata__.format is '${metadata.format}', expected '${MODEL_FORMAT}'`);
  const formatVersion = metadata.format_version ?? '1';
  if (!READABLE_VERSIONS.includes(formatVersion)) {
    throw fileError(file, `__metadata__.format_version is '${formatVersion}'; this varjepa reads versions ${READABLE_VERSIONS.join(', ')} (written by a newer varjepa?)`);
  }
  const config = parseJson(file, '__metadata__.config', metadata.config) as ModelConfig;
  if (!isObject(config)) throw fileError(file, '__metadata__.config is not a JSON object');
  if (!MODEL_KINDS.includes(config.kind)) throw fileError(file, `__metadata__.config.kind is ${JSON.stringify(config.kind)}, expected one of ${MODEL_KINDS.map((k) => `'${k}'`).join(', ')}`);
  if (isObject(config.options)) config.options = upgradeOptions(config.options, formatVersion);
  if (metadata.schema !== undefined && JSON.stringify(parseJson(file, '__metadata__.schema', metadata.schema)) !== JSON.stringify(config.schema)) {
    throw fileError(file, '__metadata__.schema does not match __metadata__.config.schema');
  }
  const history = metadata.history === undefined ? undefined : parseJson(file, '__metadata__.history', metadata.history);
  if (history !== undefined && !Array.isArray(history)) throw fileError(file, '__metadata__.history is not a JSON array');
  const preprocessor = metadata.preprocessor === undefined ? undefined : parseJson(file, '__metadata__.preprocessor', metadata.preprocessor);
  const training = metadata.training === undefined ? undefined : checkTraining(file, parseJson(file, '__metadata__.training', metadata.training));

  // tensors: F32, offsets inside the data area, contiguous in offset order, sizes = shape x 4
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const entries: Array<{ name: string; shape: number[]; begin: number; end: number }> = [];
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isObject(t)) throw fileError(file, `tensor '${name}' is not a JSON object`);
    if (t.dtype !== 'F32') throw fileError(file, `tensor '${name}' has dtype ${JSON.stringify(t.dtype)}; only 'F32' is supported`);
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every(isCount)) throw fileError(file, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isCount(off[0]) || !isCount(off[1]) || off[1] < off[0]) {
      throw fileError(file, `tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLen) throw fileError(file, `tensor '${name}' data_offsets [${begin}, ${end}] lie outside the data area of ${dataLen} bytes (truncated file?)`);
    const need = (shape as number[]).reduce((a, b) => a * b, 1) * 4;
    if (end - begin !== need) throw fileError(file, `tensor '${name}' holds ${end - begin} bytes but its shape ${fmtShape(shape as number[])} needs ${need}`);
    entries.push({ name, shape: shape as number[], begin, end });
  }
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let prev = 0;
  for (const e of byOffset) {
    if (e.begin !== prev) throw fileError(file, `tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] ${e.begin < prev ? 'overlap' : 'leave a gap after'} the previous tensor ending at ${prev}`);
    prev = e.end;
  }
  if (prev !== dataLen) throw fileError(file, `the data area holds ${dataLen} bytes but the tensors end at ${prev}`);
  const data = bytes.subarray(dataStart);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of entries) {
    const values = readTensor(data, e.begin, e.end);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw fileError(file, `tensor '${e.name}' holds a non-finite value (${values[i]}) at index ${i}`);
    }
    tensors.set(e.name, { shape: e.shape, data: values });
  }
  const headMeta = metadata.head === undefined ? undefined : parseJson(file, '__metadata__.head', metadata.head);
  const headTensors: Record<string, Float32Array> = {};
  for (const [name, t] of tensors) if (name.startsWith(HEAD_PREFIX)) headTensors[name.slice(HEAD_PREFIX.length)] = t.data;
  if (headMeta === undefined && Object.keys(headTensors).length > 0) throw fileError(file, `tensors named '${HEAD_PREFIX}*' without __metadata__.head`);
  return {
    path: file, config, version: metadata.varjepa_version, tensors, metadata,
    ...(headMeta !== undefined ? { head: { meta: headMeta, tensors: headTensors } } : {}),
    ...(history !== undefined ? { history: history as unknown[] } : {}),
    ...(preprocessor !== undefined ? { preprocessor } : {}),
    ...(training !== undefined ? { training } : {}),
  };
}

/** Reads a model file and checks its whole structure (header, metadata, tensors); builds no model. */
export async function readModelFile(path: string): Promise<ModelFile> {
  if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'a non-empty string', path, 'type');
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(path);
  } catch (err) {
    throw new ModelFileError(`Could not read model file '${path}': ${(err as Error).message}`, { cause: err });
  }
  return parseModelFile(bytes, path);
}

/**
 * Checks that the file holds exactly the tensors of `table` (plus, in a checkpoint, their
 * `optim.m.` / `optim.v.` moments) with the table's shapes, and returns them as flat arrays of
 * `total` values (the native arena's size) in the table's layout.
 */
export function checkTensors(f: ModelFile, table: ParamEntry[], total: number): { params: Float32Array; m?: Float32Array; v?: Float32Array } {
  const hasOptim = f.training !== undefined;
  const prefixes = hasOptim ? ['', 'optim.m.', 'optim.v.'] : [''];
  // the arena may pad between tensors; padding stays zero
  const flats = prefixes.map(() => new Float32Array(total));
  const expected = new Set<string>();
  prefixes.forEach((pre, k) => {
    for (const e of table) {
      const name = pre + e.name;
      expected.add(name);
      const t = f.tensors.get(name);
      if (!t) throw fileError(f.path, `tensor '${name}' is missing (the config's parameter table needs it)`);
      if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
        throw fileError(f.path, `tensor '${name}' has shape ${fmtShape(t.shape)} but the config needs ${fmtShape(e.shape)}`);
      }
      flats[k].set(t.data, e.offset);
    }
  });
  for (const name of f.tensors.keys()) {
    if (!expected.has(name) && !(f.head && name.startsWith(HEAD_PREFIX))) {
      const hint = !hasOptim && name.startsWith('optim.') ? ' (optimiser state without __metadata__.training)' : " (not in the config's parameter table)";
      throw fileError(f.path, `unexpected tensor '${name}'${hint}`);
    }
  }
  return hasOptim ? { params: flats[0], m: flats[1], v: flats[2] } : { params: flats[0] };
}

/**
 * Loads a file of the given kind: reads and checks it, builds the model with `build` (from the
 * file's config, moved to `place`'s device when given) and restores its parameters (and a
 * checkpoint's optimiser state). Everything is validated before the model is returned; a
 * corrupt, truncated or mismatched file gives an Error naming the file and the problem.
 */
export async function loadFile<M extends PersistableModel & { dispose(): void }>(path: string, kind: ModelKind | undefined, build: (config: ModelConfig) => M, place?: { device?: string; deviceIndex?: number }): Promise<M> {
  const f = await readModelFile(path);
  if (kind !== undefined && f.config.kind !== kind) throw fileError(path, `it holds a ${f.config.kind} model, not a ${kind} (load it with ${f.config.kind}.load or loadModel)`);
  let model: M;
  try {
    const options = { ...(f.config.options as Record<string, unknown>) };
    if (place?.device !== undefined) options.device = place.device;
    if (place?.deviceIndex !== undefined) options.deviceIndex = place.deviceIndex;
    model = build({ ...f.config, options });
  } catch (err) {
    if (/^device 'cuda' is not available/.test((err as Error)?.message ?? '')) throw err;  // not the file's fault
    throw fileError(path, `__metadata__.config is invalid: ${(err as Error).message}`);
  }
  try {
    restoreInto(model, f);
  } catch (err) {
    model.dispose();
    throw err;
  }
  if (f.preprocessor !== undefined && model.adoptPreprocessor) {
    try {
      model.adoptPreprocessor(f.preprocessor);
    } catch (err) {
      model.dispose();
      throw fileError(path, `__metadata__.preprocessor is invalid: ${(err as Error).message}`);
    }
  }
  if (f.head !== undefined && model.adoptHead) {
    try {
      model.adoptHead(f.head);
    } catch (err) {
      model.dispose();
      throw fileError(path, `the head (__metadata__.head, tensors 'head.*') is invalid: ${(err as Error).message}`);
    }
  }
  return model;
}

/** Writes a checked file's parameters (and optimiser state, if any) into a model built for its config. */
export function restoreInto(model: PersistableModel, f: ModelFile): void {
  const t = checkTensors(f, model.parameterTable(), model.exportParameters().length);
  model.importParameters(t.params);
  if (t.m && t.v && f.training) model.importOptimizerState({ m: t.m, v: t.v, step: f.training.step, epoch: f.training.epoch });
}

/** Why `config` cannot continue training `model` (undefined when it can). Differences in `isa`, `device`, `deviceIndex` and version are allowed. */
export function configMismatch(model: PersistableModel, config: ModelConfig): string | undefined {
  const mine = model.getConfig();
  if (config.kind !== mine.kind) return `it holds a ${config.kind} model but this is a ${mine.kind}`;
  if (JSON.stringify(config.schema) !== JSON.stringify(mine.schema)) return 'its schema differs from the model\'s';
  const a = config.options as unknown as Record<string, unknown>;
  const b = mine.options as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a ?? {}), ...Object.keys(b)])) {
    if (k !== 'isa' && k !== 'device' && k !== 'deviceIndex' && a?.[k] !== b[k]) return `its option ${k} is ${JSON.stringify(a?.[k])} but the model's is ${JSON.stringify(b[k])}`;
  }
  return undefined;
}
