// Seeded random data and guard-banded buffers for op tests.
import { expect } from 'vitest';

/** mulberry32: a small seeded generator for test data (not the engine's Philox). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi). */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export const GUARD = 16;
export const GUARD_VALUE = -12345.678;

/**
 * A Float32Array view of n elements with GUARD sentinel elements on both sides in the same
 * ArrayBuffer; checkGuards() asserts the op wrote nothing outside the view.
 */
export function guarded(n: number, fill = 0): { view: Float32Array; checkGuards(what?: string): void } {
  const whole = new Float32Array(n + 2 * GUARD).fill(GUARD_VALUE);
  const view = whole.subarray(GUARD, GUARD + n);
  view.fill(fill);
  return {
    view,
    checkGuards(what = 'buffer') {
      for (let i = 0; i < GUARD; i++) {
        expect(whole[i], `${what}: guard before [${i}] overwritten`).toBe(Math.fround(GUARD_VALUE));
        expect(whole[GUARD + n + i], `${what}: guard after [${i}] overwritten`).toBe(Math.fround(GUARD_VALUE));
      }
    },
  };
}

/** A guarded copy of `src`. */
export function guardedCopy(src: Float32Array) {
  const g = guarded(src.length);
  g.view.set(src);
  return g;
}
