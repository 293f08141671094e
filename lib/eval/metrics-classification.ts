// Classification metrics for probes: accuracy and macro-F1.

/** Macro-averaged F1 over the classes present in labels or predictions. */
export function macroF1(pred: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  if (pred.length !== labels.length) throw new RangeError(`Expected predictions and labels of the same length but received ${pred.length} and ${labels.length}`);
  let sum = 0, counted = 0;
  for (let c = 0; c < classes; c++) {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < labels.length; i++) {
      if (pred[i] === c && labels[i] === c) tp++;
      else if (pred[i] === c) fp++;
      else if (labels[i] === c) fn++;
    }
    if (tp + fp + fn === 0) continue;
    sum += (2 * tp) / (2 * tp + fp + fn);
    counted++;
  }
  return counted ? sum / counted : 0;
}
