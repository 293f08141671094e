// The memory a model's batch takes (docs/model.md, section 6): the native buffers sized for the
// batch (`stats().activationBytes`) grow linearly with it, and the attention's with the square of
// the features. One estimate and one rule for the batch that fits, used by the model shell (which
// refuses a model the machine cannot hold) and by the recipe (which picks a batch that fits).
import * as os from 'os';

/** A host model's activation memory may take at most this share of the machine's memory (os.totalmem()). */
export const HOST_MEMORY_SHARE = 0.75;

export const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * The batch-sized buffers' bytes for any batch, from a model's bytes at 2 and 4 rows: they grow
 * linearly with the batch from 2 rows on (a batch of 1 has a smaller embedding chunk).
 */
export function activationBytesByBatch(bytesAt: (batchSize: number) => number): (batchSize: number) => number {
  const b2 = bytesAt(2), perRow = (bytesAt(4) - b2) / 2;
  return (B: number) => b2 + perRow * (B - 2);
}

/** `batchSize` halved until `need` of it is at most `limit` (down to 1, which may still not fit). */
export function batchThatFits(batchSize: number, need: (batchSize: number) => number, limit: number): number {
  let B = batchSize;
  while (B > 1 && need(B) > limit) B /= 2;
  return B;
}

/** A model whose batch-sized buffers the machine cannot hold: the batch asked for, and the one that fits. */
export class BatchTooLargeError extends RangeError {
  /** The largest halving of the batch that fits, or undefined when even one row does not. */
  readonly fits?: number;
  /** What does not fit, in words ("64 rows of 200 features need ... of this machine's ..."). */
  readonly reason: string;

  constructor(readonly batchSize: number, readonly features: number, readonly needBytes: number, need: (batchSize: number) => number) {
    const limit = HOST_MEMORY_SHARE * os.totalmem();
    const fits = batchThatFits(batchSize, need, limit);
    const ok = fits < batchSize && need(fits) <= limit;
    const reason = `${batchSize} rows of ${features} features need ${gib(needBytes)} of activation memory, more than ${Math.round(100 * HOST_MEMORY_SHARE)}% of this machine's ${gib(os.totalmem())}`;
    super(`options.batchSize: ${reason}; ${ok ? `batchSize ${fits} fits (recipe(schema, rows) picks a batch that fits)` : 'use fewer or narrower features'}`);
    this.reason = reason;
    if (ok) this.fits = fits;
  }
}
