/** Encodings for the Z3 SMT solver: round-protocol verification and synthesis. */
export {
  and, at, crashed, decidesProperty, exactlyOne, exists, FALSE, forall, formatFormula, holdsOn, iff, implies, initial, interpret, lost, not, or,
  same, toRoundProperty, TRUE, visited,
} from './round-formula.ts';
export type { AtomMeaning, ProcessRef, RoundFormula, SymbolicProperty } from './round-formula.ts';
export { tableKeys } from './round-encoding.ts';
export { verifyRoundsSmt } from './rounds-verify.ts';
export type { SmtRoundResult, SmtStats, SmtVerifyOptions } from './rounds-verify.ts';
export { allScenarios, pruneTable, scenarioOrder, simplifyTable, synthesisGrid, synthesizeRounds, withProgress } from './rounds-synth.ts';
export type { GridCell, RoundScenario, SynthOptions, SynthResult } from './rounds-synth.ts';
export { closeZ3, freshContext, z3 } from './z3.ts';
export { checkInductiveSmt, describeSymbolicModel, formatSmtInductResult, SmtInductError, smtInductResultJson } from './induct.ts';
export type { SmtCounterexample, SmtInductOptions, SmtInductResult, SmtInductVerdict } from './induct.ts';
export { boolSort, defineSymbolic, finiteSort, intSort, openSort, orderedSort, SymbolicError } from './symbolic.ts';
export { paxosSymbolic } from '../protocols/paxos-smt.ts';
export { twoPhaseCommitSymbolic, twoPhaseCommitSymbolicFor } from '../protocols/two-phase-commit-smt.ts';
