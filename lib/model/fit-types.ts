// The fit types of each model kind by name: progress, epoch summaries, options and result of
// VarTJepa.fit and TJepa.fit (the generic types of lib/model/fit.ts with the kind's loss terms and
// schedule summary).
import type { EpochSummary, FitOptions, FitProgress, FitResult } from './fit';
import type { TJepaLoss, TJepaScheduleSummary } from './tjepa';
import type { LossTerms, VarTJepaScheduleSummary } from './vartjepa';

export type VarTJepaFitProgress = FitProgress<LossTerms, VarTJepaScheduleSummary>;
export type VarTJepaEpoch = EpochSummary<LossTerms, VarTJepaScheduleSummary>;
export type VarTJepaFitOptions = FitOptions<LossTerms, VarTJepaScheduleSummary>;
export type VarTJepaFitResult = FitResult<LossTerms, VarTJepaScheduleSummary>;

export type TJepaFitProgress = FitProgress<TJepaLoss, TJepaScheduleSummary>;
export type TJepaEpoch = EpochSummary<TJepaLoss, TJepaScheduleSummary>;
export type TJepaFitOptions = FitOptions<TJepaLoss, TJepaScheduleSummary>;
export type TJepaFitResult = FitResult<TJepaLoss, TJepaScheduleSummary>;
