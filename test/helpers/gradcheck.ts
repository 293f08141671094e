// Central finite-difference check of a backward pass on a fixed random projection of the
// output: L = sum(r * forward(x)); compares dL/dx from backward(dout = r) with
// (L(x + h e_i) - L(x - h e_i)) / 2h, accumulated in double precision.
import { expect } from 'vitest';

import { rng } from './buffers';

export interface GradCheckSpec {
  /** Inputs by name; the ones in `wrt` are perturbed in place (and restored). */
  inputs: Record<string, Float32Array>;
  wrt: string[];
  /** Runs the forward pass on the current inputs and returns the output (any layout). */
  forward(): Float32Array;
  /** Runs the backward pass with the given output gradient; returns fresh gradients by name. */
  backward(dout: Float32Array): Record<string, Float32Array>;
  /** Step; default 1e-2 (float32 forward passes need a large step). */
  h?: number;
  /** Coordinates checked per input (all when the input is smaller); default 24. */
  samples?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

export function gradCheck(spec: GradCheckSpec): void {
  const h = spec.h ?? 1e-2;
  const atol = spec.atol ?? 2e-3;
  const rtol = spec.rtol ?? 2e-2;
  const r = rng(spec.seed ?? 1234);
  const out0 = spec.forward();
  const proj = new Float32Array(out0.length);
  for (let i = 0; i < proj.length; i++) proj[i] = r() * 2 - 1;
  const loss = () => {
    const o = spec.forward();
    let s = 0;
    for (let i = 0; i < o.length; i++) s += proj[i] * o[i];
    return s;
  };
  const grads = spec.backward(proj);
  for (const name of spec.wrt) {
    const x = spec.inputs[name];
    const g = grads[name];
    expect(g, `gradient for ${name}`).toBeDefined();
    expect(g.length, `gradient length for ${name}`).toBe(x.length);
    const n = Math.min(x.length, spec.samples ?? 24);
    for (let s = 0; s < n; s++) {
      const i = x.length <= (spec.samples ?? 24) ? s : Math.floor(r() * x.length);
      const keep = x[i];
      x[i] = keep + h;
      const lp = loss();
      x[i] = keep - h;
      const lm = loss();
      x[i] = keep;
      const num = (lp - lm) / (2 * h);
      const err = Math.abs(g[i] - num);
      expect(err, `${name}[${i}]: analytic ${g[i]} vs numeric ${num}`).toBeLessThanOrEqual(atol + rtol * Math.abs(num));
    }
  }
}
