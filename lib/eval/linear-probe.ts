// A linear probe: multinomial logistic regression on standardised features, fitted by full-batch
// Adam with a small L2 penalty. The matrix products run on the native engine.
import { native } from '../native';
import { integer, invalid, number } from '../validate';

/** Options of {@link LinearProbe.fit}. */
export interface LinearProbeOptions {
  /** Full-batch Adam iterations, 1..100000; default 300. */
  iterations?: number;
  /** Adam learning rate, >0; default 0.05. */
  lr?: number;
  /** L2 penalty on the weights, >= 0; default 1e-4. */
  l2?: number;
}

/**
 * A linear probe (softmax regression on standardised features) for scoring embeddings.
 *
 * @example
 * const probe = LinearProbe.fit(train.embeddings, train.rows, yTrain, 2);
 * const pred = probe.predict(test.embeddings, test.rows);
 * const acc = selectiveAccuracy(pred, yTest, test.uncertainty, 0.2); // 20% most uncertain dropped
 */
export class LinearProbe {
  readonly classes: number;
  readonly features: number;
  private mean: Float32Array;
  private scale: Float32Array;
  private w: Float32Array;
  private b: Float32Array;

  private constructor(features: number, classes: number) {
    this.features = features;
    this.classes = classes;
    this.mean = new Float32Array(features);
    this.scale = new Float32Array(features).fill(1);
    this.w = new Float32Array(classes * features);
    this.b = new Float32Array(classes);
  }

  /** Fits on x (rows, features) with integer labels in [0, classes). */
  static fit(x: Float32Array, rows: number, labels: Int32Array, classes: number, options: LinearProbeOptions = {}): LinearProbe {
    const F = Math.floor(x.length / rows);
    if (!(x instanceof Float32Array) || F * rows !== x.length || F < 1) throw invalid('x', `a Float32Array of rows * features values`, x, 'type');
    if (!(labels instanceof Int32Array) || labels.length !== rows) throw invalid('labels', `an Int32Array of length ${rows}`, labels, 'type');
    integer('classes', classes, 2, 100000);
    const iterations = integer('options.iterations', options.iterations ?? 300, 1, 100000);
    const lr = number('options.lr', options.lr ?? 0.05, 1e-9, 10);
    const l2 = number('options.l2', options.l2 ?? 1e-4, 0, 1e6);
    for (let i = 0; i < rows; i++) {
      if (!(labels[i] >= 0 && labels[i] < classes)) throw new RangeError(`Expected labels in [0, ${classes}) but received ${labels[i]} at index ${i}`);
    }
    const p = new LinearProbe(F, classes);
    // standardise with the training statistics
    const mean = new Float64Array(F);
    const sq = new Float64Array(F);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < F; j++) {
        const v = x[i * F + j];
        mean[j] += v;
        sq[j] += v * v;
      }
    }
    for (let j = 0; j < F; j++) {
      const m = mean[j] / rows;
      const v = Math.max(sq[j] / rows - m * m, 0);
      p.mean[j] = m;
      p.scale[j] = v > 1e-12 ? 1 / Math.sqrt(v) : 1;
    }
    const xs = p.standardise(x, rows);
    const K = classes;
    const logits = new Float32Array(rows * K);
    const dlogits = new Float32Array(rows * K);
    const dw = new Float32Array(K * F);
    const db = new Float32Array(K);
    const mw = new Float32Array(K * F), vw = new Float32Array(K * F), mb = new Float32Array(K), vb = new Float32Array(K);
    const bind = native().binding;
    for (let it = 1; it <= iterations; it++) {
      bind.callOp('auto', 'linear_forward', { out: logits, inp: xs, weight: p.w, bias: p.b }, { M: rows, K: F, N: K });
      for (let i = 0; i < rows; i++) {
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, logits[i * K + k]);
        let s = 0;
        for (let k = 0; k < K; k++) s += Math.exp(logits[i * K + k] - mx);
        for (let k = 0; k < K; k++) dlogits[i * K + k] = (Math.exp(logits[i * K + k] - mx) / s - (labels[i] === k ? 1 : 0)) / rows;
      }
      dw.fill(0);
      db.fill(0);
      bind.callOp('auto', 'linear_backward', { dweight: dw, dbias: db, dout: dlogits, inp: xs, weight: p.w }, { M: rows, K: F, N: K });
      const b1 = 0.9, b2 = 0.999, c1 = 1 - b1 ** it, c2 = 1 - b2 ** it;
      for (let i = 0; i < dw.length; i++) {
        const g = dw[i] + l2 * p.w[i];
        mw[i] = b1 * mw[i] + (1 - b1) * g;
        vw[i] = b2 * vw[i] + (1 - b2) * g * g;
        p.w[i] -= (lr * (mw[i] / c1)) / (Math.sqrt(vw[i] / c2) + 1e-8);
      }
      for (let k = 0; k < K; k++) {
        mb[k] = b1 * mb[k] + (1 - b1) * db[k];
        vb[k] = b2 * vb[k] + (1 - b2) * db[k] * db[k];
        p.b[k] -= (lr * (mb[k] / c1)) / (Math.sqrt(vb[k] / c2) + 1e-8);
      }
    }
    return p;
  }

  private standardise(x: Float32Array, rows: number): Float32Array {
    const F = this.features;
    if (x.length !== rows * F) throw new RangeError(`Expected ${rows * F} values in x but received ${x.length}`);
    const out = new Float32Array(rows * F);
    for (let i = 0; i < rows; i++) for (let j = 0; j < F; j++) out[i * F + j] = (x[i * F + j] - this.mean[j]) * this.scale[j];
    return out;
  }

  /** Class probabilities (rows, classes). */
  predictProba(x: Float32Array, rows: number): Float32Array {
    const K = this.classes;
    const logits = new Float32Array(rows * K);
    native().binding.callOp('auto', 'linear_forward', { out: logits, inp: this.standardise(x, rows), weight: this.w, bias: this.b }, { M: rows, K: this.features, N: K });
    for (let i = 0; i < rows; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, logits[i * K + k]);
      let s = 0;
      for (let k = 0; k < K; k++) s += (logits[i * K + k] = Math.exp(logits[i * K + k] - mx));
      for (let k = 0; k < K; k++) logits[i * K + k] /= s;
    }
    return logits;
  }

  /** Predicted class per row. */
  predict(x: Float32Array, rows: number): Int32Array {
    const p = this.predictProba(x, rows);
    const K = this.classes;
    const out = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (p[i * K + k] > p[i * K + best]) best = k;
      out[i] = best;
    }
    return out;
  }
}

/** Accuracy of `pred` against `labels` over the rows kept after dropping the `drop` fraction with the highest uncertainty. */
export function selectiveAccuracy(pred: Int32Array, labels: Int32Array, uncertainty: Float32Array | null, drop = 0): number {
  const n = labels.length;
  let order = Array.from({ length: n }, (_, i) => i);
  if (uncertainty && drop > 0) {
    order.sort((a, b) => uncertainty[a] - uncertainty[b] || a - b);
    order = order.slice(0, Math.max(1, Math.round(n * (1 - drop))));
  }
  let ok = 0;
  for (const i of order) if (pred[i] === labels[i]) ok++;
  return ok / order.length;
}
