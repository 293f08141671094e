// Learning-rate and KL-weight schedules (docs/model.md, sections 5-6), in optimiser steps, and how
// a run shorter than the schedule compresses it.

/** Linear warm-up from 0 over `warmupSteps`, then cosine decay to 0 at `totalSteps`. */
export function learningRate(step: number, base: number, warmupSteps: number, totalSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (base * step) / warmupSteps;
  const span = Math.max(totalSteps - warmupSteps, 1);
  const progress = Math.min(Math.max((step - warmupSteps) / span, 0), 1);
  return base * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** KL weight ramp a(t) = min(t / T_anneal, 1) * a_final (a step count of 0 means no ramp). */
export function klWeight(step: number, final: number, annealSteps: number): number {
  if (annealSteps <= 0) return final;
  return Math.min(step / annealSteps, 1) * final;
}

/** T-JEPA target-encoder momentum: linear from `start` at step 0 to `end` at `totalSteps`. */
export function emaMomentum(step: number, start: number, end: number, totalSteps: number): number {
  if (totalSteps <= 0) return end;
  return start + (end - start) * Math.min(Math.max(step / totalSteps, 0), 1);
}

/**
 * How much a run of `runEpochs` compresses a schedule given for `scheduleEpochs` (the options
 * warmup and anneal*): runEpochs / scheduleEpochs for a shorter run, 1 for a run as long or longer,
 * or when scheduleEpochs is 0 (the schedule is taken as given).
 */
export function scheduleScale(runEpochs: number, scheduleEpochs: number): number {
  return scheduleEpochs > 0 && runEpochs < scheduleEpochs ? runEpochs / scheduleEpochs : 1;
}
