// Comparisons shared by the op suites: a fast path against the scalar reference with guard
// bands, bit-identity (determinism, dropout masks) and a thread-count switch.
import { expect } from 'vitest';

import type { OpBuffer } from '../../lib/native';
import { GUARD, guardedCopy } from './buffers';
import { binding, callOp } from './native';
import { DEFAULT_TOL, expectClose, type Tol } from './tolerance';

/**
 * Runs `op` on `isa` into guarded copies of `outs` and on the scalar reference into plain
 * copies (both start from the given contents, since backward accumulates), checks the guards
 * and compares every output under the tolerance rule; `tol` holds per-output overrides.
 */
export function matchScalar(
  isa: string,
  op: string,
  outs: Record<string, Float32Array>,
  ins: Record<string, OpBuffer>,
  dims: Record<string, number>,
  tol: Record<string, Tol> = {},
) {
  const ref: Record<string, Float32Array> = {};
  const got: Record<string, ReturnType<typeof guardedCopy>> = {};
  const views: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(outs)) {
    ref[k] = v.slice();
    got[k] = guardedCopy(v);
    views[k] = got[k].view;
  }
  callOp('scalar', op, { ...ref, ...ins }, dims);
  callOp(isa, op, { ...views, ...ins }, dims);
  for (const k of Object.keys(outs)) {
    got[k].checkGuards(`${op} ${k}`);
    expectClose(views[k], ref[k], tol[k] ?? DEFAULT_TOL, `${op} ${k} on ${isa}`);
  }
  return { ref, got: views };
}

/** A Uint8Array of n bytes with GUARD sentinel bytes on both sides in the same buffer. */
export function guardedBytes(n: number) {
  const whole = new Uint8Array(n + 2 * GUARD).fill(0xa5);
  const view = whole.subarray(GUARD, GUARD + n);
  return {
    view,
    checkGuards(what = 'buffer') {
      for (let i = 0; i < GUARD; i++) {
        expect(whole[i], `${what}: guard before [${i}] overwritten`).toBe(0xa5);
        expect(whole[GUARD + n + i], `${what}: guard after [${i}] overwritten`).toBe(0xa5);
      }
    },
  };
}

/** Asserts a and b hold the same bits (NaN payloads and signed zeros included). */
export function expectSameBits(a: OpBuffer, b: OpBuffer, what = 'value') {
  expect(a.length, `${what}: length`).toBe(b.length);
  const ua = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const ub = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  let first = -1;
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) {
      first = Math.floor(i / a.BYTES_PER_ELEMENT);
      break;
    }
  }
  expect(first, `${what}: first differing element ${first} (${a[first]} vs ${b[first]})`).toBe(-1);
}

/** Runs f with the native thread pool at n threads, then restores the previous count. */
export function withThreads<T>(n: number, f: () => T): T {
  const before = binding().info().threads;
  binding().setThreads(n);
  try {
    return f();
  } finally {
    binding().setThreads(before);
  }
}
