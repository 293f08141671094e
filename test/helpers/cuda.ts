// Whether the CUDA tests can run here, and why not. CUDA suites use
// `describe.skipIf(!cudaOps.ok)` and print the reason once, so a skip is never silent.
import { info } from '../../lib/info';

function probe() {
  const c = info().cuda;
  const ops = c.available ? { ok: true, reason: '' } : { ok: false, reason: `CUDA tests skipped: ${c.reason ?? 'CUDA unavailable'}` };
  return { cuda: c, ops, model: ops };
}

export const cudaStatus = probe();

/** Prints why a CUDA suite is skipped (vitest shows skipped tests, not their reason). */
export function announceSkip(what: { ok: boolean; reason: string }) {
  if (!what.ok) console.warn(`[varjepa] ${what.reason}`);
}
