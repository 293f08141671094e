// Loading a model file of either kind: the file's config names its kind, and the loader builds
// that kind. Each kind's static load (VarTJepa.load, TJepa.load) refuses files of the other.
import { loadFile, type ModelConfig } from './persist';
import { TJepa, type TJepaConfig } from './tjepa';
import { VarTJepa, type VarTJepaConfig } from './vartjepa';

/** A model of either kind. */
export type Model = VarTJepa | TJepa;

/** Builds a fresh model (untrained parameters) of the kind a config names. */
export function modelFromConfig(config: ModelConfig): Model {
  return config.kind === 'TJepa' ? TJepa.fromConfig(config as TJepaConfig) : VarTJepa.fromConfig(config as VarTJepaConfig);
}

/**
 * Loads a model file written by either kind's `save`, validating the whole file first; a
 * checkpoint's optimiser state and counters are restored too. `place` moves the model between
 * devices: `loadModel(path, { device: 'cpu' })` loads a model saved from a CUDA run onto the CPU.
 *
 * @example
 * const model = await loadModel('adult.safetensors');
 * if (model.kind === 'VarTJepa') console.log((await model.embed(table)).uncertainty);
 */
export function loadModel(path: string, place?: { device?: 'auto' | 'cpu' | 'cuda'; deviceIndex?: number }): Promise<Model> {
  return loadFile(path, undefined, modelFromConfig, place);
}
