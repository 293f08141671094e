// A training step of more than trainPieceRows rows runs as pieces in parallel
// (native/src/model/vartjepa_backward.cc, loss_and_grad_pieces): the same mean loss and gradient
// as one pass up to float summation order (same noise, no dropout here), bit-identical from run
// to run and on any thread count.
import { afterAll, describe, expect, it } from 'vitest';

import { getThreads, setThreads } from '../lib/index';
import { TJepa } from '../lib/model/tjepa';
import { VarTJepa } from '../lib/model/vartjepa';
import { TINY_OPTIONS, TINY_SCHEMA, tinyData } from './helpers/tiny-model';

const before = getThreads();
afterAll(() => setThreads(before));

const OPTS = { ...TINY_OPTIONS, batchSize: 14 };
const data = tinyData(14, 5); // pieces of 4: 4 + 4 + 4 + 2 rows
const sched = { lr: 0, aRec: 1, aGen: 1, aSx: 1, aZ: 1, aSy: 1, noiseSeed: 99 };

function maxRel(a: Float32Array, b: Float32Array): number {
  let scale = 0, err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / scale;
}

async function lossAndGrads(pieceRows: number, threads = 2) {
  setThreads(threads);
  const model = new VarTJepa(TINY_SCHEMA, { ...OPTS, trainPieceRows: pieceRows });
  try {
    const loss = await model.lossAndGrad(data, model.masksAt(0, data.rows), sched, true);
    return { loss, grads: model.exportGradients() };
  } finally {
    model.dispose();
  }
}

describe('training steps in pieces', () => {
  it('gives the one-pass loss terms and gradient (up to summation order)', async () => {
    const one = await lossAndGrads(0);
    const pieces = await lossAndGrads(4);
    for (const k of ['rec', 'gen', 'klSx', 'klZ', 'klSy', 'total', 'gradNorm'] as const) {
      expect(Math.abs(pieces.loss[k] - one.loss[k]), k).toBeLessThanOrEqual(1e-5 * Math.abs(one.loss[k]) + 1e-7);
    }
    expect(maxRel(pieces.grads, one.grads)).toBeLessThan(1e-5);
    // the pieces did run: float sums in another order are not the same bits
    expect(Buffer.from(pieces.grads.buffer).equals(Buffer.from(one.grads.buffer))).toBe(false);
  });

  it('caps a full batch at 16 pieces and still gives the one-pass gradient', async () => {
    // batch 200, trainPieceRows 1: pieces of ceil(200 / 16) = 13 rows (15 of 13 and one of 5)
    const big = tinyData(200, 6);
    const run = async (pieceRows: number) => {
      const model = new VarTJepa(TINY_SCHEMA, { ...TINY_OPTIONS, batchSize: 200, trainPieceRows: pieceRows });
      try {
        const loss = await model.lossAndGrad(big, model.masksAt(0, big.rows), sched, true);
        return { loss, grads: model.exportGradients() };
      } finally {
        model.dispose();
      }
    };
    const one = await run(0), capped = await run(1);
    expect(Math.abs(capped.loss.total - one.loss.total)).toBeLessThanOrEqual(1e-5 * Math.abs(one.loss.total));
    expect(maxRel(capped.grads, one.grads)).toBeLessThan(1e-5);
  });

  it('is bit-identical from run to run and on 1 and 2 threads', async () => {
    const a = await lossAndGrads(4, 1);
    const b = await lossAndGrads(4, 2);
    const c = await lossAndGrads(4, 2);
    expect(Buffer.from(b.grads.buffer).equals(Buffer.from(a.grads.buffer))).toBe(true);
    expect(Buffer.from(c.grads.buffer).equals(Buffer.from(b.grads.buffer))).toBe(true);
    expect(b.loss).toEqual(a.loss);
  });

  it('trains with dropout to the same loss curve on 1 and 2 threads', async () => {
    const curve = async (threads: number) => {
      setThreads(threads);
      const m = new VarTJepa(TINY_SCHEMA, { ...OPTS, dropout: 0.1, dropoutP: 0.1, trainPieceRows: 4 });
      try {
        const out: number[] = [];
        await m.fit(tinyData(42, 2), { epochs: 3, onProgress: (p) => out.push(p.loss.total) });
        return out;
      } finally {
        m.dispose();
      }
    };
    const a = await curve(1), b = await curve(2);
    expect(b).toEqual(a);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('names a bad trainPieceRows', () => {
    expect(() => new VarTJepa(TINY_SCHEMA, { ...OPTS, trainPieceRows: -1 })).toThrow('trainPieceRows');
    expect(() => new VarTJepa(TINY_SCHEMA, { ...OPTS, trainPieceRows: 1.5 })).toThrow('trainPieceRows');
  });

  it('runs T-JEPA steps in pieces too: the one-pass loss and gradient, the same bits on 1 and 2 threads', async () => {
    const TJ = {
      d: 8, layers: 2, heads: 2, ff: 16, dropout: 0, dP: 4, layersP: 1, headsP: 2, ffP: 8, dropoutP: 0,
      masks: 2, ctxMin: 0.2, ctxMax: 0.4, trgMin: 0.2, trgMax: 0.6, batchSize: 14, seed: 3, nAux: 2,
    };
    const run = async (pieceRows: number, threads: number) => {
      setThreads(threads);
      const model = new TJepa(TINY_SCHEMA, { ...TJ, trainPieceRows: pieceRows });
      try {
        const loss = await model.lossAndGrad(data, model.masksAt(0, data.rows), { lr: 0, momentum: 0.996, noiseSeed: 99 }, true);
        return { loss, grads: model.exportGradients() };
      } finally {
        model.dispose();
      }
    };
    const one = await run(0, 2), a = await run(4, 1), b = await run(4, 2);
    expect(Math.abs(a.loss.loss - one.loss.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(one.loss.loss));
    expect(maxRel(a.grads, one.grads)).toBeLessThan(1e-5);
    expect(Buffer.from(a.grads.buffer).equals(Buffer.from(one.grads.buffer))).toBe(false);
    expect(Buffer.from(b.grads.buffer).equals(Buffer.from(a.grads.buffer))).toBe(true);
    expect(b.loss).toEqual(a.loss);
  });
});
