// The one file that loads the native addon. It looks in build/Release (a local build from
// source) first, then prebuilds/ (through node-gyp-build's matching rules), and when nothing
// loads it throws one error listing every place it tried, why each failed, and what to do.
import * as fs from 'fs';
import * as path from 'path';

/** Shape of what the native binary reports about itself. */
export interface NativeInfo {
  sourceHash: string;
  napiVersionBuilt: number;
  napiVersionRuntime: number;
  compiler: string;
  buildType: string;
  simd: Record<string, boolean>;
  isaAvailable: string[];
  isa: string;
  opsProvided: number;
  opCount: number;
  backendVersion: string;
  threads: number;
  defaultThreads: number;
  cuda: {
    available: boolean;
    /** Why CUDA cannot be used (no library, no driver, no device). */
    reason?: string;
    /** Path of varjepa_cuda.so when it loaded, else null. */
    library: string | null;
    /** Compiled architectures, e.g. 'sm_80 sm_90 compute_90'. */
    architectures?: string;
    driver?: string;
    runtime?: string;
    devices?: number;
    device?: { index: number; name: string; computeCapability: string; memoryBytes: number };
  };
}

/** Typed arrays accepted by the op runner. */
export type OpBuffer = Float32Array | Int32Array | Uint8Array;

/** The raw binding. Internal: use the functions exported from the package. */
export interface NativeBinding {
  info(): NativeInfo;
  setThreads(n: number): number;
  configFields(): unknown;
  callOp(isa: string, op: string, buffers: Record<string, OpBuffer | null | undefined>, dims: Record<string, number>): number | undefined;
  opNames(): string[];
  [key: string]: unknown;
}

/** The loaded binding and where it came from. */
export interface LoadedNative {
  binding: NativeBinding;
  path: string;
  source: 'build' | 'prebuild' | 'env';
}

interface Attempt {
  place: string;
  why: string;
}

function packageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'varjepa') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start, '..', '..');
    dir = up;
  }
}

function libc(): string {
  const report = (process as unknown as { report?: { getReport(): { header?: { glibcVersionRuntime?: string } } } }).report;
  const glibc = report?.getReport().header?.glibcVersionRuntime;
  return glibc ? `glibc ${glibc}` : 'musl or unknown libc';
}

/** Platform description used in messages and by `doctor`. */
export function platformTag(): string {
  return `${process.platform}-${process.arch} (${libc()}, Node-API ${process.versions.napi}, node ${process.version})`;
}

// node-gyp-build's own tuple/tag matching, restricted to prebuilds/ (a failed local build must
// not shadow a good prebuild)
function resolvePrebuild(root: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ngb = require('node-gyp-build') as {
    parseTuple(name: string): { name: string } | undefined;
    matchTuple(platform: string, arch: string): (t: unknown) => boolean;
    compareTuples(a: unknown, b: unknown): number;
    parseTags(file: string): unknown;
    matchTags(runtime: string, abi: string): (t: unknown) => boolean;
    compareTags(runtime: string): (a: unknown, b: unknown) => number;
  };
  const dir = path.join(root, 'prebuilds');
  if (!fs.existsSync(dir)) throw new Error('no prebuilds/ folder');
  const tuples = fs.readdirSync(dir).map((n) => ngb.parseTuple(n)).filter((t): t is { name: string } => !!t);
  const tuple = tuples.filter(ngb.matchTuple(process.platform, process.arch)).sort(ngb.compareTuples)[0];
  if (!tuple) throw new Error(`no prebuilds/${process.platform}-${process.arch} folder (have: ${fs.readdirSync(dir).join(', ') || 'none'})`);
  const folder = path.join(dir, tuple.name);
  const files = fs.readdirSync(folder);
  const parsed = files.map((f) => ngb.parseTags(f)).filter(Boolean) as Array<{ file: string }>;
  const winner = parsed.filter(ngb.matchTags('node', process.versions.modules)).sort(ngb.compareTags('node'))[0];
  if (!winner) throw new Error(`no binary in ${folder} matches this Node-API/libc (files: ${files.join(', ') || 'none'})`);
  return path.join(folder, winner.file);
}

/**
 * Loads the addon below `root` (the package folder). Exposed for tests; use {@link native}.
 * @throws Error listing every place tried when none loads.
 */
export function loadNativeFrom(root: string): LoadedNative {
  const attempts: Attempt[] = [];
  const tryLoad = (file: string, source: LoadedNative['source']): LoadedNative | undefined => {
    if (!fs.existsSync(file)) {
      attempts.push({ place: file, why: 'not found' });
      return undefined;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const binding = require(file) as NativeBinding;
      return { binding, path: file, source };
    } catch (err) {
      attempts.push({ place: file, why: (err as Error).message.split('\n')[0] });
      return undefined;
    }
  };
  const explicit = process.env.VARJEPA_NATIVE_PATH;
  if (explicit) {
    const got = tryLoad(path.resolve(explicit), 'env');
    if (got) return got;
  }
  const local = tryLoad(path.join(root, 'build', 'Release', 'varjepa.node'), 'build');
  if (local) return local;
  try {
    const got = tryLoad(resolvePrebuild(root), 'prebuild');
    if (got) return got;
  } catch (err) {
    attempts.push({ place: path.join(root, 'prebuilds', `${process.platform}-${process.arch}`), why: (err as Error).message });
  }
  const lines = [
    `varjepa: could not load the native addon for ${platformTag()}.`,
    'Tried:',
    ...attempts.map((a) => `  - ${a.place}: ${a.why}`),
    'What to do:',
    `  - build it from source in ${root}: npm run build:native (needs cmake >= 3.18 and a C++17 compiler)`,
    '  - or set VARJEPA_NATIVE_PATH to a varjepa.node built for this platform',
    '  - prebuilt binaries ship for linux-x64 (glibc); on other platforms the install builds from source',
  ];
  throw new Error(lines.join('\n'));
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(__dirname), 'package.json'), 'utf8')) as { version: string }).version;
}

let loaded: LoadedNative | undefined;

/**
 * VARJEPA_THREADS, when set, must be an integer 1..256: the engine sizes its thread pool from it
 * at load, and a value it cannot use must not be ignored in silence.
 */
export function checkThreadsEnv(env: NodeJS.ProcessEnv = process.env): void {
  const v = env.VARJEPA_THREADS;
  if (v === undefined || v === '') return;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || n < 1 || n > 256) throw new RangeError(`Expected an integer between 1 and 256 for the environment variable VARJEPA_THREADS but received '${v}'`);
}

/** The loaded addon (loaded on first use, then cached). */
export function native(): LoadedNative {
  if (!loaded) {
    checkThreadsEnv();
    loaded = loadNativeFrom(packageRoot(__dirname));
  }
  return loaded;
}
