// The one tolerance rule of the test suite: |a - ref| <= atol + rtol * |ref|.
// An override passes its own atol/rtol and says why at the call site.
import { expect } from 'vitest';

export const DEFAULT_TOL = { atol: 1e-5, rtol: 1e-4 };

export interface Tol {
  atol: number;
  rtol: number;
}

/** Index and values of the worst violation, or null when every element is within tolerance. */
export function worstViolation(a: ArrayLike<number>, ref: ArrayLike<number>, tol: Tol = DEFAULT_TOL) {
  if (a.length !== ref.length) return { index: -1, a: a.length, ref: ref.length, excess: Infinity };
  let worst: { index: number; a: number; ref: number; excess: number } | null = null;
  for (let i = 0; i < a.length; i++) {
    const bound = tol.atol + tol.rtol * Math.abs(ref[i]);
    const err = Math.abs(a[i] - ref[i]);
    const excess = Number.isNaN(err) ? Infinity : err - bound;
    if (excess > 0 && (!worst || excess > worst.excess)) worst = { index: i, a: a[i], ref: ref[i], excess };
  }
  return worst;
}

/** Asserts a matches ref elementwise under the tolerance rule. */
export function expectClose(a: ArrayLike<number>, ref: ArrayLike<number>, tol: Tol = DEFAULT_TOL, what = 'value') {
  const w = worstViolation(a, ref, tol);
  expect(w, `${what}: worst element ${JSON.stringify(w)} (atol ${tol.atol}, rtol ${tol.rtol})`).toBeNull();
}
