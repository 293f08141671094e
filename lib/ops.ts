// Small tensor functions on the native engine, and the shared thread pool.
import { native } from './native';
import { integer, invalid, oneOf } from './validate';

/** Instruction set choice: the best available ('auto') or one forced (tests, benchmarks). */
export type Isa = 'auto' | 'scalar' | 'avx2' | 'avx512';
const ISAS: readonly Isa[] = ['auto', 'scalar', 'avx2', 'avx512'];

/** Options of {@link linear}. */
export interface LinearOptions {
  /** Instruction set; default 'auto' (VARJEPA_ISA overrides). */
  isa?: Isa;
}

function f32(path: string, v: unknown): Float32Array {
  if (!(v instanceof Float32Array)) throw invalid(path, 'a Float32Array', v, 'type');
  return v;
}

/**
 * A linear layer on the native engine: `out (M, N) = inp (M, K) . weight (N, K)^T + bias (N)`.
 * The inputs are read in place (no copy); the result is a new Float32Array.
 *
 * @example
 * const out = linear(new Float32Array([1, 2]), new Float32Array([3, 4]), null, { M: 1, K: 2, N: 1 }); // [11]
 */
export function linear(
  inp: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  dims: { M: number; K: number; N: number },
  options: LinearOptions = {},
): Float32Array {
  f32('inp', inp);
  f32('weight', weight);
  if (bias !== null) f32('bias', bias);
  const M = integer('dims.M', dims?.M, 1, 1 << 24);
  const K = integer('dims.K', dims?.K, 1, 1 << 24);
  const N = integer('dims.N', dims?.N, 1, 1 << 24);
  const isa = oneOf('options.isa', options.isa ?? 'auto', ISAS);
  return native().binding.linear(inp, weight, bias, M, K, N, isa);
}

/** Sets the size of the shared native thread pool (1..256); returns it. Default: the core count, or VARJEPA_THREADS.
 *
 * @example
 * setThreads(1); // one core for this process's models
 */
export function setThreads(n: number): number {
  return native().binding.setThreads(integer('threads', n, 1, 256));
}

/** The size of the shared native thread pool. */
export function getThreads(): number {
  return native().binding.info().threads;
}
