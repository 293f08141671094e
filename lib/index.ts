/**
 * varjepa: Var-T-JEPA, a variational self-supervised representation learner for tables, on a
 * native C++ engine.
 * @packageDocumentation
 */
export { info, formatInfo } from './info';
export type { VarjepaInfo } from './info';
export { linear, setThreads, getThreads } from './ops';
export type { Isa, LinearOptions } from './ops';
export { VarTJepa } from './model/vartjepa';
export { saveModel, loadModel, readModelFile, parseModelFile, MODEL_FORMAT, MAX_HEADER_BYTES, type SaveOptions, type ModelFile, type TrainingState } from './model/persist';
export type { LossTerms, FitOptions, FitProgress, FitResult, EpochSummary, Embedding, EmbedOptions, Generation, ParamEntry, VarTJepaConfig } from './model/vartjepa';
export { DEFAULT_OPTIONS, PRESETS, PRESET_NAMES, preset, resolveOptions } from './model/options';
export type { VarTJepaOptions, PresetName, IsaOption, DeviceOption } from './model/options';
export type { StepMaskSet } from './model/masks';
export type { ModelSchema, FeatureSpec, TableData } from './model/schema';
export { LinearProbe, selectiveAccuracy } from './eval/linear-probe';
export type { LinearProbeOptions } from './eval/linear-probe';
export { simTable } from './sim';
export type { SimOptions, SimTable } from './sim';
export { spearman, pearson, embeddingSpread } from './eval/metrics';
export { surpriseReference, relativeSurprise } from './eval/surprise';
export type { FeatureSurprise } from './eval/surprise';
export * from './data';
// T-JEPA baseline (MODEL.md section 10)
export { TJepa } from './model/tjepa';
export type { TJepaLoss, TJepaSchedule, TJepaFitOptions, TJepaFitProgress, TJepaFitResult, TJepaEpochSummary, TJepaConfig } from './model/tjepa';
export { TJEPA_DEFAULT_OPTIONS, resolveTJepaOptions, tjepaPreset } from './model/tjepa-options';
export type { TJepaOptions } from './model/tjepa-options';
// evaluation: probes, metrics, raw-feature baseline
export { MlpProbe, MLP_PROBE_DEFAULTS } from './eval/mlp-probe';
export type { MlpProbeOptions } from './eval/mlp-probe';
export { LINEAR_PROBE_DEFAULTS } from './eval/linear-probe';
export type { Probe, ProbeFitOptions, ProbeFitResult } from './eval/probe';
export { accuracy, macroF1, riskCoverage, aurc } from './eval/metrics-classification';
export type { RiskCoverage, Labels } from './eval/metrics-classification';
export { rawFeatures } from './eval/raw-features';
export type { FeatureMatrix } from './eval/raw-features';
