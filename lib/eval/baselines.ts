// Baselines a learned representation must beat on the same held-out rows: always predicting the
// training rows' most frequent class, and a linear probe on the raw features (lib/eval/raw-features.ts).
import type { ModelSchema, TableData } from '../model/schema';
import { LinearProbe } from './linear-probe';
import { accuracy } from './metrics-classification';
import { rawFeatures } from './raw-features';

/** Accuracy on `test` of predicting the most frequent class of `train` (ties: the lowest class). */
export function majorityClassAccuracy(train: ArrayLike<number>, test: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < train.length; i++) counts.set(train[i], (counts.get(train[i]) ?? 0) + 1);
  let best = -1, most = -1;
  for (const [c, n] of counts) if (n > most || (n === most && c < best)) [best, most] = [c, n];
  let hit = 0;
  for (let i = 0; i < test.length; i++) if (test[i] === best) hit++;
  return test.length ? hit / test.length : 0;
}

/**
 * Accuracy on `test` of a linear probe (LinearProbe.fit defaults) fitted on the raw features of
 * `train`: numeric columns as preprocessed, categorical columns one-hot.
 */
export function rawFeatureProbeAccuracy(schema: ModelSchema, train: TableData, trainLabels: Int32Array, test: TableData, testLabels: Int32Array, classes: number): number {
  const tr = rawFeatures(train, schema);
  const te = rawFeatures(test, schema);
  const probe = LinearProbe.fit(tr.x, tr.rows, trainLabels, classes);
  return accuracy(probe.predict(te.x, te.rows), testLabels);
}
