/**
 * varjepa: Var-T-JEPA, a variational self-supervised representation learner for tables, on a
 * native C++ engine. The exports, by concern: models, their options, training, model files,
 * tables (the data layer), evaluation, and the installation.
 * @packageDocumentation
 */

// ---- models: Var-T-JEPA, the T-JEPA baseline, and loading either from a file ----------------
export { VarTJepa, EMBED_DEFAULTS, GENERATE_DEFAULTS } from './model/vartjepa';
export type { Embedding, EmbedOutputs, EmbedOptions, Generation, GenerateOptions, LossTerms, VarTJepaConfig, VarTJepaSchedule, VarTJepaScheduleSummary } from './model/vartjepa';
export { TJepa } from './model/tjepa';
export type { TJepaEmbedding, TJepaLoss, TJepaConfig, TJepaSchedule, TJepaScheduleSummary } from './model/tjepa';
export { loadModel, modelFromConfig } from './model/load';
export type { Model } from './model/load';
export { HOST_MEMORY_SHARE, BatchTooLargeError } from './model/memory';
export { POOLS, isEncoded } from './model/shell';
export type { ModelStats, EmbeddingBase, ModelInput, EncodeOptions, SharedEmbedOptions, HeadFitOptions, PredictOptions } from './model/shell';
export type { HeadMeta, Prediction } from './model/head';
export type { ModelSchema, FeatureSpec, TableData } from './model/schema';

// ---- options: defaults, the paper's Table 7 presets ---------------------------------------------
export { VARTJEPA_DEFAULTS, TJEPA_DEFAULTS, PRESETS, PRESET_NAMES, preset, tjepaPreset } from './model/options';
export type { SharedOptions, VarTJepaOptions, TJepaOptions, PresetName, IsaOption, DeviceOption } from './model/options';

// ---- training: fit's options and reports (the same for both kinds), one step's masks ---------
export { FIT_DEFAULTS, DIAGNOSTIC_THRESHOLDS } from './model/fit';
export type { FitOptions, FitProgress, EpochSummary, FitResult, FitDiagnostics, ProbeScore } from './model/fit';
export { recipe, RECIPE_TABLES, RECIPE_MEMORY_SHARE } from './model/recipe';
export type { Recipe, RecipeOptions } from './model/recipe';
export type { VarTJepaFitOptions, VarTJepaFitProgress, VarTJepaEpoch, VarTJepaFitResult, TJepaFitOptions, TJepaFitProgress, TJepaEpoch, TJepaFitResult } from './model/fit-types';
export type { StepMaskSet } from './model/masks';

// ---- model files: reading one without building a model (save with model.save) -------------
export { readModelFile, ModelFileError } from './model/persist';
export type { ModelFile, ModelConfig, ModelKind, SaveOptions, TrainingState, ParamEntry, OptimizerState, StoredHead } from './model/persist';

// ---- tables: reading, preprocessing, splits, the streaming embed, the benchmark tables ------
export * from './data';
export { simTable } from './sim';
export type { SimOptions, SimTable } from './sim';

// ---- evaluation: probes, metrics, the raw-feature baseline, the surprise -------------------
export { LinearProbe, LINEAR_PROBE_DEFAULTS } from './eval/linear-probe';
export type { LinearProbeOptions } from './eval/linear-probe';
export { MlpProbe, MLP_PROBE_DEFAULTS } from './eval/mlp-probe';
export type { MlpProbeOptions, MlpProbeState } from './eval/mlp-probe';
export type { Probe, ProbeFitOptions, ProbeFitResult } from './eval/probe';
export { accuracy, macroF1, selectiveAccuracy, riskCoverage, aurc } from './eval/metrics-classification';
export type { RiskCoverage, Labels } from './eval/metrics-classification';
export { spearman, pearson, embeddingSpread, coefficientOfVariation } from './eval/metrics';
export { surpriseReference, relativeSurprise } from './eval/surprise';
export type { FeatureSurprise } from './eval/surprise';
export { rawFeatures } from './eval/raw-features';
export type { FeatureMatrix } from './eval/raw-features';

// ---- the installation: what was loaded, threads ----------------------------------------------
export { info, formatInfo } from './info';
export type { VarjepaInfo } from './info';
export { setThreads, getThreads } from './threads';
