// Checks of fit() options that VarTJepa and TJepa share: the callbacks and signal, and the
// labels and validation rows of online model selection.
import { invalid } from '../validate';
import { checkTable, type ModelSchema, type TableData } from './schema';

/** onProgress, onEpoch and signal, when given, must be functions and an AbortSignal. */
export function checkFitCallbacks(options: { onProgress?: unknown; onEpoch?: unknown; signal?: unknown }): void {
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalid('options.onProgress', 'a function', options.onProgress, 'type');
  if (options.onEpoch !== undefined && typeof options.onEpoch !== 'function') throw invalid('options.onEpoch', 'a function', options.onEpoch, 'type');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalid('options.signal', 'an AbortSignal', options.signal, 'type');
}

/**
 * Validates labels and validation rows for online model selection. Returns the class count, or
 * 0 when neither is given (no selection).
 */
export function checkSelection(data: TableData, options: { labels?: Int32Array; validation?: { data: TableData; labels: Int32Array } }, schema: ModelSchema, cards: Int32Array): number {
  if (options.labels === undefined && options.validation === undefined) return 0;
  let classes = 0;
  if (!(options.labels instanceof Int32Array) || options.labels.length !== data.rows) throw invalid('options.labels', `an Int32Array of length ${data.rows}`, options.labels, 'type');
  if (!options.validation) throw new RangeError('options.labels needs options.validation ({ data, labels }) for model selection');
  checkTable(options.validation.data, schema, cards, 'options.validation.data');
  const vl = options.validation.labels;
  if (!(vl instanceof Int32Array) || vl.length !== options.validation.data.rows) throw invalid('options.validation.labels', `an Int32Array of length ${options.validation.data.rows}`, vl, 'type');
  for (const l of [options.labels, vl]) for (let i = 0; i < l.length; i++) classes = Math.max(classes, l[i] + 1);
  if (classes < 2) throw new RangeError('options.labels must hold at least 2 classes for model selection');
  return classes;
}
