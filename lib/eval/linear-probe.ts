// A linear probe: multinomial logistic regression on standardised features, fitted by full-batch
// Adam with a small L2 penalty, keeping the iterate with the lowest training loss. The matrix products run on the native engine.
import { Rng } from '../model/random';
import { native } from '../native';
import { integer, invalid, number } from '../validate';
import { accuracy } from './metrics-classification';
import { abortError } from '../abort';
import { argmaxRows, checkLabels, checkXY, type Probe, type ProbeFitOptions, type ProbeFitResult } from './probe';

/** Options of {@link LinearProbe}. */
export interface LinearProbeOptions {
  /** Full-batch Adam iterations, 1..100000; default 300. */
  iterations?: number;
  /** Adam learning rate, >0; default 0.05. */
  lr?: number;
  /** L2 penalty on the weights, >= 0; default 1e-4. */
  l2?: number;
}

/** Defaults of {@link LinearProbeOptions}. */
export const LINEAR_PROBE_DEFAULTS: Readonly<Required<LinearProbeOptions>> = Object.freeze({ iterations: 300, lr: 0.05, l2: 1e-4 });

function resolve(options: LinearProbeOptions): Required<LinearProbeOptions> {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options, 'type');
  return {
    iterations: integer('options.iterations', options.iterations ?? LINEAR_PROBE_DEFAULTS.iterations, 1, 100000),
    lr: number('options.lr', options.lr ?? LINEAR_PROBE_DEFAULTS.lr, 1e-9, 10),
    l2: number('options.l2', options.l2 ?? LINEAR_PROBE_DEFAULTS.l2, 0, 1e6),
  };
}

/**
 * A linear probe (softmax regression on standardised features) for scoring embeddings. Two
 * forms: the {@link Probe} interface shared with {@link MlpProbe} (`new LinearProbe(options)`,
 * `await fit(x, y, options)`, `predict(x)`), and the synchronous `LinearProbe.fit(x, rows,
 * labels, classes)` used during training. Deterministic: no randomness at all.
 *
 * @example
 * const probe = new LinearProbe();
 * await probe.fit(train.embeddings, yTrain);
 * const pred = probe.predict(test.embeddings);
 * const acc = selectiveAccuracy(pred, yTest, test.uncertainty, 0.2); // 20% most uncertain dropped
 */
export class LinearProbe implements Probe {
  private readonly opts: Required<LinearProbeOptions>;
  private F = 0;
  private K = 0;
  private mean = new Float32Array(0);
  private scale = new Float32Array(0);
  private w = new Float32Array(0);
  private b = new Float32Array(0);

  constructor(options: LinearProbeOptions = {}) {
    this.opts = resolve(options);
  }

  /** Input width F (0 before the first fit). */
  get features(): number {
    return this.F;
  }

  /** Classes K (0 before the first fit). */
  get classes(): number {
    return this.K;
  }

  /** The resolved options. */
  getConfig(): Required<LinearProbeOptions> {
    return { ...this.opts };
  }

  /** Fits on x (rows, features) with integer labels in [0, classes), synchronously. */
  static fit(x: Float32Array, rows: number, labels: Int32Array, classes: number, options: LinearProbeOptions = {}): LinearProbe {
    const F = Math.floor(x.length / rows);
    if (!(x instanceof Float32Array) || F * rows !== x.length || F < 1) throw invalid('x', `a Float32Array of rows * features values`, x, 'type');
    if (!(labels instanceof Int32Array) || labels.length !== rows) throw invalid('labels', `an Int32Array of length ${rows}`, labels, 'type');
    integer('classes', classes, 2, 100000);
    for (let i = 0; i < rows; i++) {
      if (!(labels[i] >= 0 && labels[i] < classes)) throw new RangeError(`Expected labels in [0, ${classes}) but received ${labels[i]} at index ${i}`);
    }
    const p = new LinearProbe(options);
    p.train(x, rows, labels, classes);
    return p;
  }

  /**
   * Fits on x (rows, F) with labels y (rows); the {@link Probe} form. The whole fit runs at once
   * (full batch); `options.validation` only reports the accuracy of the fitted probe.
   * `options.seed` 0 (the default) starts from zero weights, so the fit is the same every time;
   * another seed starts from small random weights drawn from it (uniform in +-0.01), so probes
   * over seeds differ where the loss surface lets them.
   */
  async fit(x: Float32Array, y: Int32Array, options: ProbeFitOptions = {}): Promise<ProbeFitResult> {
    const F = checkXY(x, y);
    const classes = checkLabels(y, F, options);
    const seed = options.seed === undefined ? 0 : integer('options.seed', options.seed, 0, Number.MAX_SAFE_INTEGER);
    if (options.signal?.aborted) throw abortError(options.signal);
    const t0 = Date.now();
    const loss = this.train(x, y.length, y, classes, seed);
    const v = options.validation;
    const acc = v ? accuracy(this.predict(v.x), v.y) : null;
    return {
      epochs: this.opts.iterations,
      bestEpoch: this.opts.iterations,
      validationAccuracy: acc,
      stoppedEarly: false,
      history: { loss, validationAccuracy: acc === null ? [] : [acc] },
      seconds: (Date.now() - t0) / 1000,
    };
  }

  /** Full-batch Adam; returns the mean cross-entropy before each iteration. */
  private train(x: Float32Array, rows: number, labels: Int32Array, classes: number, seed = 0): number[] {
    const F = x.length / rows;
    const { iterations, lr, l2 } = this.opts;
    this.F = F;
    this.K = classes;
    this.mean = new Float32Array(F);
    this.scale = new Float32Array(F).fill(1);
    this.w = new Float32Array(classes * F);
    this.b = new Float32Array(classes);
    if (seed !== 0) {
      const rng = new Rng(seed);
      for (let i = 0; i < this.w.length; i++) this.w[i] = (rng.next() * 2 - 1) * 0.01;
    }
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
      this.mean[j] = m;
      this.scale[j] = v > 1e-12 ? 1 / Math.sqrt(v) : 1;
    }
    const xs = this.standardise(x, rows);
    const K = classes;
    const logits = new Float32Array(rows * K);
    const dlogits = new Float32Array(rows * K);
    const dw = new Float32Array(K * F);
    const db = new Float32Array(K);
    const mw = new Float32Array(K * F), vw = new Float32Array(K * F), mb = new Float32Array(K), vb = new Float32Array(K);
    const bind = native().binding;
    const losses: number[] = [];
    // full-batch Adam at a fixed rate can leave the minimum again (on a 1,024-wide embedding of
    // the SIM-like table the loss fell to 0.46 and ended at 1.02): keep the best iterate seen
    let best = Infinity;
    const bestW = new Float32Array(K * F), bestB = new Float32Array(K);
    for (let it = 1; it <= iterations; it++) {
      bind.callOp('auto', 'linear_forward', { out: logits, inp: xs, weight: this.w, bias: this.b }, { M: rows, K: F, N: K });
      let loss = 0;
      for (let i = 0; i < rows; i++) {
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, logits[i * K + k]);
        let s = 0;
        for (let k = 0; k < K; k++) s += Math.exp(logits[i * K + k] - mx);
        loss += Math.log(s) + mx - logits[i * K + labels[i]];
        for (let k = 0; k < K; k++) dlogits[i * K + k] = (Math.exp(logits[i * K + k] - mx) / s - (labels[i] === k ? 1 : 0)) / rows;
      }
      losses.push(loss / rows);
      if (loss < best) {
        best = loss;
        bestW.set(this.w);
        bestB.set(this.b);
      }
      dw.fill(0);
      db.fill(0);
      bind.callOp('auto', 'linear_backward', { dweight: dw, dbias: db, dout: dlogits, inp: xs, weight: this.w }, { M: rows, K: F, N: K });
      const b1 = 0.9, b2 = 0.999, c1 = 1 - b1 ** it, c2 = 1 - b2 ** it;
      for (let i = 0; i < dw.length; i++) {
        const g = dw[i] + l2 * this.w[i];
        mw[i] = b1 * mw[i] + (1 - b1) * g;
        vw[i] = b2 * vw[i] + (1 - b2) * g * g;
        this.w[i] -= (lr * (mw[i] / c1)) / (Math.sqrt(vw[i] / c2) + 1e-8);
      }
      for (let k = 0; k < K; k++) {
        mb[k] = b1 * mb[k] + (1 - b1) * db[k];
        vb[k] = b2 * vb[k] + (1 - b2) * db[k] * db[k];
        this.b[k] -= (lr * (mb[k] / c1)) / (Math.sqrt(vb[k] / c2) + 1e-8);
      }
    }
    // the weights after the last update were never scored; the best scored ones are kept
    this.w = bestW;
    this.b = bestB;
    return losses;
  }

  private standardise(x: Float32Array, rows: number): Float32Array {
    const F = this.F;
    if (!(x instanceof Float32Array)) throw invalid('x', 'a Float32Array (rows, features) row-major', x, 'type');
    if (x.length !== rows * F) throw new RangeError(`Expected ${rows * F} values in x but received ${x.length}`);
    const out = new Float32Array(rows * F);
    for (let i = 0; i < rows; i++) for (let j = 0; j < F; j++) out[i * F + j] = (x[i * F + j] - this.mean[j]) * this.scale[j];
    return out;
  }

  private rowsOf(x: Float32Array, rows: number | undefined): number {
    if (this.F === 0) throw new Error('This LinearProbe is not fitted: call fit first');
    if (rows !== undefined) return integer('rows', rows, 1, 2 ** 31 - 1);
    if (!(x instanceof Float32Array)) throw invalid('x', 'a Float32Array (rows, features) row-major', x, 'type');
    if (x.length === 0 || x.length % this.F !== 0) throw new RangeError(`Expected x to hold rows of ${this.F} features but received ${x.length} values`);
    return x.length / this.F;
  }

  /** Class probabilities (rows, classes); rows defaults to x.length / features. */
  predictProba(x: Float32Array, rows?: number): Float32Array {
    const n = this.rowsOf(x, rows);
    const K = this.K;
    const logits = new Float32Array(n * K);
    native().binding.callOp('auto', 'linear_forward', { out: logits, inp: this.standardise(x, n), weight: this.w, bias: this.b }, { M: n, K: this.F, N: K });
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, logits[i * K + k]);
      let s = 0;
      for (let k = 0; k < K; k++) s += (logits[i * K + k] = Math.exp(logits[i * K + k] - mx));
      for (let k = 0; k < K; k++) logits[i * K + k] /= s;
    }
    return logits;
  }

  /** Predicted class per row; rows defaults to x.length / features. */
  predict(x: Float32Array, rows?: number): Int32Array {
    return argmaxRows(this.predictProba(x, rows), this.K);
  }
}

