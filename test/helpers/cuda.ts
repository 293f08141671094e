// Whether the CUDA tests can run here, and why not. CUDA suites use
// `describe.skipIf(!cudaOps.ok)` and print the reason once, so a skip is never silent.
import { info } from '../../lib/info';

function probe() {
  const c = info().cuda;
  const ops = c.available ? { ok: true, reason: '' } : { ok: false, reason: `CUDA tests skipped: ${c.reason ?? 'CUDA unavailable'}` };
  const model = !ops.ok ? ops : c.modelSupported ? { ok: true, reason: '' }
    : { ok: false, reason: 'CUDA model tests skipped: the model does not run on the CUDA backend yet (info().cuda.modelSupported is false)' };
  return { cuda: c, ops, model };
}

export const cudaStatus = probe();

/** Prints why a CUDA suite is skipped (vitest shows skipped tests, not their reason). */
export function announceSkip(what: { ok: boolean; reason: string }) {
  if (!what.ok) console.warn(`[varjepa] ${what.reason}`);
}
