/**
 * Atomic commit's properties in symbolic form (src/smt/round-formula.ts), for the SMT verifier and
 * synthesizer: P1-P5 of the appendix, read exactly as atomic-commit.ts reads them, with F_n the
 * decisions (Commit, Abort) process n reached after some round, empty when n crashed.
 */
import type { ParamValue } from '../core/protocol.ts';
import { and, crashed, decidesProperty, exists, forall, implies, initial, lost, not, visited } from '../smt/round-formula.ts';
import type { ProcessRef, RoundFormula, SymbolicProperty } from '../smt/round-formula.ts';
import { ABORT, COMMIT, LOCAL_ABORT, LOCAL_COMMIT } from './atomic-commit.ts';

/** d ∈ F_n: n did not crash and reached d after some round. */
export const decided = (n: ProcessRef, d: string): RoundFormula => and(not(crashed(n)), visited(n, d));

/** ∀f ∈ F_n (f = d): F_n holds only Commit and Abort, so this is "n never decided the other". */
const decidesOnly = (n: ProcessRef, d: string): RoundFormula => not(decided(n, d === COMMIT ? ABORT : COMMIT));

/** P1-P5 for `p5` as written in the appendix or as rule 5 states it (see atomic-commit.ts). */
export function atomicCommitFormulas(p5: 'as-written' | 'rule-5'): SymbolicProperty[] {
  return [
    { name: 'P1', description: 'no process reaches both Commit and Abort',
      formula: forall('n', not(and(decided('n', COMMIT), decided('n', ABORT)))) },
    { name: 'P2', description: 'a process that voted LocalAbort never commits',
      formula: forall('n', implies(initial('n', LOCAL_ABORT), not(decided('n', COMMIT)))) },
    { name: 'P3', description: 'no process commits while another (or the same) aborts',
      formula: not(and(exists('n', decided('n', COMMIT)), exists('m', decided('m', ABORT)))) },
    { name: 'P4', description: 'without Lost, a process that voted LocalAbort decides only Abort',
      formula: implies(not(lost), forall('n', implies(initial('n', LOCAL_ABORT), decidesOnly('n', ABORT)))) },
    p5 === 'as-written'
      ? { name: 'P5', description: 'without Lost, a process that voted LocalCommit decides only Commit',
          formula: implies(not(lost), forall('n', implies(initial('n', LOCAL_COMMIT), decidesOnly('n', COMMIT)))) }
      : { name: 'P5', description: 'without Lost, if every process voted LocalCommit, every process decides only Commit',
          formula: implies(and(not(lost), forall('n', initial('n', LOCAL_COMMIT))), forall('n', decidesOnly('n', COMMIT))) },
  ];
}

/**
 * The obligation to decide: T (the learner's, and the problem's `decide` parameter where it has one):
 * without Lost, every process that did not crash decides exactly one of Commit and Abort; or NB
 * (non-blocking): the same in every run, Lost or not.
 */
export function atomicCommitProgress(when: 'without-lost' | 'always'): SymbolicProperty {
  return decidesProperty([COMMIT, ABORT], when, when === 'always' ? 'NB' : 'T');
}

/**
 * The symbolic properties of an atomic-commit instance, in its order: P1-P5 for its `p5`, then T when
 * the instance has `decide` set.
 */
export function atomicCommitSymbolic(params: Readonly<Record<string, ParamValue>>): SymbolicProperty[] {
  const p5 = params.p5 === 'rule-5' ? 'rule-5' : 'as-written';
  return params.decide === true ? [...atomicCommitFormulas(p5), atomicCommitProgress('without-lost')] : atomicCommitFormulas(p5);
}
