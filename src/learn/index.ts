export { learnTabular } from './tabular.ts';
export type { PhaseReport, TabularOptions, TabularResult } from './tabular.ts';
export { learnDqn } from './dqn.ts';
export type { DqnOptions, DqnResult } from './dqn.ts';
export type { EpsilonSchedule, Scenario } from './self-play.ts';
export { tableToMachine } from './machine.ts';
