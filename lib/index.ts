/**
 * varjepa: Var-T-JEPA, a variational self-supervised representation learner for tables, on a
 * native C++ engine.
 * @packageDocumentation
 */
export { info, formatInfo } from './info';
export type { VarjepaInfo } from './info';
export { linear, setThreads, getThreads } from './ops';
export type { Isa, LinearOptions } from './ops';
export * from './data';
