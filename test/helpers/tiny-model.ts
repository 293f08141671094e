// A tiny Var-T-JEPA configuration for gradient and reference tests: d 8, 2 layers, 5 features (2 categorical).
import type { ModelSchema } from '../../lib/model/schema';
import { rng } from './buffers';

export const TINY_SCHEMA: ModelSchema = {
  features: [
    { name: 'a', kind: 'numeric' },
    { name: 'b', kind: 'categorical', categories: 4 },
    { name: 'c', kind: 'numeric' },
    { name: 'd', kind: 'categorical', categories: 3 },
    { name: 'e', kind: 'numeric' },
  ],
};
export const TINY_OPTIONS = {
  d: 8, layers: 2, heads: 2, ff: 16, dropout: 0, dP: 4, layersP: 1, headsP: 2, ffP: 8, dropoutP: 0,
  pool: 2, masks: 2, ctxMin: 0.2, ctxMax: 0.4, trgMin: 0.2, trgMax: 0.6, batchSize: 6, seed: 3,
};

/** The same architecture for T-JEPA (no pooling queries), one auxiliary token. */
export const TINY_T_OPTIONS = (({ pool: _p, ...rest }) => ({ ...rest, nAux: 1 }))(TINY_OPTIONS);

export function tinyData(rows: number, seed: number) {
  const r = rng(seed);
  const cards = [0, 4, 0, 3, 0];
  const x = new Float32Array(rows * 5);
  for (let i = 0; i < rows; i++) for (let j = 0; j < 5; j++) x[i * 5 + j] = cards[j] ? Math.floor(r() * cards[j]) : r();
  return { x, rows };
}

