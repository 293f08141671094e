// The downstream head a model keeps for `predict`: the paper's MLP probe on the model's
// embeddings, fitted on labelled rows, saved in the model's file. Its abstain score is the
// probe's own confidence (the largest class probability): on all eleven tables of the recipe
// study (docs/findings.md) it ranked errors better than any latent score, and a combination of
// both was better on only two. `abstain: q` withholds the rows whose confidence is below the q
// quantile of the confidences on the rows the head was validated on, so a threshold exists for
// one row as for a million.
import { MlpProbe, type MlpProbeOptions, type MlpProbeState } from '../eval/mlp-probe';
import { invalid, number } from '../validate';
import type { StoredHead } from './persist';

/** The head's JSON in a model file (`__metadata__.head`). */
export interface HeadMeta {
  kind: 'mlp-probe';
  /** The target column the head predicts, when it came from a table. */
  target: string | null;
  /** Class names, index = class (null when the labels were given as indices). */
  classNames: string[] | null;
  features: number;
  classes: number;
  probe: Required<MlpProbeOptions>;
  /** Confidence (largest class probability) at quantiles 0, 0.01, ..., 1 of the validation rows. */
  confidenceQuantiles: number[];
  /** Accuracy on the rows the quantiles came from. */
  validationAccuracy: number;
  /** Rows the quantiles came from: 'validation' or, without validation rows, 'training'. */
  calibratedOn: 'validation' | 'training';
}

/** What `predict` returns. */
export interface Prediction {
  rows: number;
  classes: number;
  /** (rows, classes) row-major. */
  probabilities: Float32Array;
  /** The most probable class of each row. */
  predicted: Int32Array;
  /** Class names of `predicted`, when the head knows them. */
  labels?: string[];
  /** The largest class probability of each row. */
  confidence: Float32Array;
  /** 1 - confidence: the score rows are withheld by (larger = less certain). */
  uncertainty: Float32Array;
  /** With `abstain`: 1 for a withheld row. */
  withheld?: Uint8Array;
  /** With `abstain`: the confidence below which a row is withheld. */
  threshold?: number;
  /** Var-T-JEPA only: the mean posterior standard deviation of the row's embedding. */
  latentUncertainty?: Float32Array;
  /** Rows given as a table: categories the training rows did not have, per column. */
  unseen?: Record<string, number>;
  warnings?: string[];
}

/** The largest value of each row of `p` (rows, K) and its index. */
function confidenceOf(p: Float32Array, K: number): { confidence: Float32Array; predicted: Int32Array } {
  const rows = p.length / K;
  const confidence = new Float32Array(rows);
  const predicted = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (p[r * K + k] > p[r * K + best]) best = k;
    predicted[r] = best;
    confidence[r] = p[r * K + best];
  }
  return { confidence, predicted };
}

/** Values at quantiles 0, 0.01, ..., 1 (linear interpolation). */
function quantiles(v: Float32Array): number[] {
  const s = Float64Array.from(v).sort();
  return Array.from({ length: 101 }, (_, i) => {
    const pos = (i / 100) * (s.length - 1);
    const lo = Math.floor(pos);
    return lo + 1 < s.length ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
  });
}

export class Head {
  private constructor(readonly meta: HeadMeta, private readonly probe: MlpProbe) {}

  /**
   * Fits the MLP probe on embeddings (rows, features) with class labels, early-stopped and
   * calibrated on the validation rows when given (else calibrated on the training rows).
   */
  static async fit(
    train: { embeddings: Float32Array; labels: Int32Array },
    validation: { embeddings: Float32Array; labels: Int32Array } | undefined,
    info: { features: number; classes: number; target: string | null; classNames: string[] | null; probe?: MlpProbeOptions },
  ): Promise<Head> {
    const probe = new MlpProbe(info.probe ?? {});
    try {
      await probe.fit(train.embeddings, train.labels, { classes: info.classes, ...(validation ? { validation: { x: validation.embeddings, y: validation.labels } } : {}) });
      const on = validation ?? { embeddings: train.embeddings, labels: train.labels };
      const { confidence, predicted } = confidenceOf(await probe.predictProba(on.embeddings), info.classes);
      const right = predicted.reduce((n, k, i) => n + (k === on.labels[i] ? 1 : 0), 0);
      const meta: HeadMeta = {
        kind: 'mlp-probe', target: info.target, classNames: info.classNames, features: info.features, classes: info.classes,
        probe: probe.getConfig(), confidenceQuantiles: quantiles(confidence), validationAccuracy: right / on.labels.length,
        calibratedOn: validation ? 'validation' : 'training',
      };
      return new Head(meta, probe);
    } catch (err) {
      probe.dispose();
      throw err;
    }
  }

  /** The head as a model file stores it. */
  toStored(): StoredHead {
    const s = this.probe.exportState();
    return { meta: this.meta, tensors: { params: s.params, mean: s.mean, rstd: s.rstd } };
  }

  /** The head a model file stored, for a model whose embeddings have `features` values. */
  static fromStored(stored: StoredHead, features: number): Head {
    const m = stored.meta as HeadMeta;
    if (typeof m !== 'object' || m === null || m.kind !== 'mlp-probe') throw invalid('head.kind', "'mlp-probe'", (m as HeadMeta | null)?.kind);
    if (m.features !== features) throw new RangeError(`The head reads ${m.features} values a row but the model embeds ${features}`);
    if (!Array.isArray(m.confidenceQuantiles) || m.confidenceQuantiles.length !== 101) throw invalid('head.confidenceQuantiles', 'an array of 101 numbers', m.confidenceQuantiles, 'type');
    const { params, mean, rstd } = stored.tensors;
    if (!params || !mean || !rstd) throw new RangeError("Expected the head's tensors head.params, head.mean and head.rstd");
    const state: MlpProbeState = { params, mean, rstd };
    return new Head(m, MlpProbe.fromState(m.probe, m.features, m.classes, state));
  }

  /** The confidence below which `abstain` (a share, 0..1) of the calibration rows fall. */
  threshold(abstain: number): number {
    const q = number('options.abstain', abstain, 0, 1) * 100;
    const lo = Math.floor(q);
    const t = this.meta.confidenceQuantiles;
    return lo >= 100 ? t[100] : t[lo] + (q - lo) * (t[lo + 1] - t[lo]);
  }

  /** Class probabilities, the class, confidence and (with `abstain`) which rows are withheld. */
  async predict(embeddings: Float32Array, rows: number, abstain?: number): Promise<Prediction> {
    const K = this.meta.classes;
    const probabilities = rows === 0 ? new Float32Array(0) : await this.probe.predictProba(embeddings);
    const { confidence, predicted } = confidenceOf(probabilities, K);
    const out: Prediction = { rows, classes: K, probabilities, predicted, confidence, uncertainty: confidence.map((c) => 1 - c) };
    if (this.meta.classNames) out.labels = Array.from(predicted, (k) => this.meta.classNames![k]);
    if (abstain !== undefined) {
      const t = this.threshold(abstain);
      out.threshold = t;
      out.withheld = Uint8Array.from(confidence, (c) => (c < t ? 1 : 0));
    }
    return out;
  }

  dispose(): void {
    this.probe.dispose();
  }
}
