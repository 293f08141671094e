// What this installation is: Node and Node-API versions, platform, the binary and its origin,
// the instruction sets found at run time, threads, CUDA. Used by `varjepa doctor`.
import { native, packageVersion, platformTag, type NativeInfo } from './native';

/** Report returned by {@link info}. */
export interface VarjepaInfo {
  /** Package version. */
  version: string;
  node: string;
  napi: { runtime: number; built: number };
  platform: string;
  binary: { path: string; source: 'build' | 'prebuild' | 'env'; sourceHash: string; compiler: string; buildType: string };
  simd: Record<string, boolean>;
  /** Instruction sets this CPU can run, and the one in use (VARJEPA_ISA overrides). */
  isa: { available: string[]; inUse: string };
  /** The backend table's version (checked against the CUDA library's) and its op count. */
  backend: { version: string; ops: number };
  threads: number;
  cuda: NativeInfo['cuda'];
}

/** Describes the loaded binary and the machine it runs on.
 *
 * @example
 * console.log(formatInfo(info())); // what `varjepa doctor` prints
 */
export function info(): VarjepaInfo {
  const { binding, path, source } = native();
  const n = binding.info();
  const version = packageVersion();
  return {
    version,
    node: process.version,
    napi: { runtime: n.napiVersionRuntime, built: n.napiVersionBuilt },
    platform: platformTag(),
    binary: { path, source, sourceHash: n.sourceHash, compiler: n.compiler, buildType: n.buildType },
    simd: n.simd,
    isa: { available: n.isaAvailable, inUse: n.isa },
    backend: { version: n.backendVersion, ops: n.opCount },
    threads: n.threads,
    cuda: n.cuda,
  };
}

/** The doctor report as text lines. */
export function formatInfo(i: VarjepaInfo): string {
  const simd = Object.entries(i.simd)
    .filter(([, v]) => v)
    .map(([k]) => k)
    .join(' ');
  return [
    `varjepa ${i.version}`,
    `node          ${i.node}`,
    `node-api      runtime ${i.napi.runtime}, binary built for ${i.napi.built}`,
    `platform      ${i.platform}`,
    `binary        ${i.binary.path} (${i.binary.source}, ${i.binary.buildType}, ${i.binary.compiler})`,
    `source hash   ${i.binary.sourceHash}`,
    `cpu simd      ${simd || 'none'}`,
    `isa           ${i.isa.inUse} (available: ${i.isa.available.join(', ')})`,
    `backend       version ${i.backend.version}, ${i.backend.ops} ops`,
    `threads       ${i.threads}`,
    ...formatCuda(i.cuda),
  ].join('\n');
}

function formatCuda(c: VarjepaInfo['cuda']): string[] {
  const lines = [`cuda          ${c.available ? 'available' : `not available: ${c.reason ?? 'unknown'}`}`];
  if (c.library) lines.push(`cuda library  ${c.library} (architectures ${c.architectures ?? '?'}, runtime ${c.runtime ?? '?'})`);
  if (c.driver) lines.push(`cuda driver   ${c.driver}${c.devices !== undefined ? `, ${c.devices} device(s)` : ''}`);
  if (c.device) lines.push(`cuda device   ${c.device.index}: ${c.device.name}, compute capability ${c.device.computeCapability}, ${(c.device.memoryBytes / 2 ** 30).toFixed(1)} GiB`);
  return lines;
}
