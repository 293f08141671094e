// Context and target masks (docs/model.md, section 2; T-JEPA's MaskCollator). Per step: M_ctx and
// M_trg are drawn for the whole batch (redrawn until M_ctx + M_trg <= D and both >= 1); per row a
// random context set, then K target sets drawn from the features outside the context (they may
// overlap each other). Masks are index lists.
import { Rng } from './random';

export interface MaskConfig {
  features: number;
  ctxMin: number;
  ctxMax: number;
  trgMin: number;
  trgMax: number;
  masks: number;
}

/** One step's masks: ctx (B, Mc) and trg (K, B, Mt), k-major. */
export interface StepMaskSet {
  ctxSize: number;
  trgSize: number;
  ctx: Int32Array;
  trg: Int32Array;
}

/** The largest context and target sizes a draw can give (the native buffers are sized for them). */
export function maskBounds(c: MaskConfig): { maxCtx: number; maxTrg: number } {
  const D = c.features;
  const clampCount = (m: number) => Math.min(Math.max(m, 1), Math.max(D - 1, 1));
  return { maxCtx: clampCount(Math.round(D * c.ctxMax)), maxTrg: clampCount(Math.round(D * c.trgMax)) };
}

export function sampleMasks(c: MaskConfig, rows: number, rng: Rng): StepMaskSet {
  const D = c.features;
  const { maxCtx, maxTrg } = maskBounds(c);
  const cLo = Math.min(Math.max(Math.round(D * c.ctxMin), 1), maxCtx);
  const tLo = Math.min(Math.max(Math.round(D * c.trgMin), 1), maxTrg);
  let Mc = 0;
  let Mt = 0;
  for (let tries = 0; ; tries++) {
    Mc = rng.int(cLo, maxCtx);
    Mt = rng.int(tLo, maxTrg);
    if (Mc + Mt <= D) break;
    if (tries > 1000) {
      // the ranges cannot satisfy Mc + Mt <= D often; take the smallest target that fits
      Mt = Math.max(1, D - Mc);
      break;
    }
  }
  const ctx = new Int32Array(rows * Mc);
  const trg = new Int32Array(c.masks * rows * Mt);
  const perm = new Int32Array(D);
  const rest = new Int32Array(D);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < D; j++) perm[j] = j;
    // partial Fisher-Yates: the first Mc entries are the context
    for (let i = 0; i < Mc; i++) {
      const k = i + Math.floor(rng.next() * (D - i));
      const t = perm[i];
      perm[i] = perm[k];
      perm[k] = t;
      ctx[b * Mc + i] = perm[i];
    }
    const nRest = D - Mc;
    for (let k = 0; k < c.masks; k++) {
      for (let i = 0; i < nRest; i++) rest[i] = perm[Mc + i];
      for (let i = 0; i < Mt; i++) {
        const r = i + Math.floor(rng.next() * (nRest - i));
        const t = rest[i];
        rest[i] = rest[r];
        rest[r] = t;
        trg[(k * rows + b) * Mt + i] = rest[i];
      }
    }
  }
  return { ctxSize: Mc, trgSize: Mt, ctx, trg };
}
