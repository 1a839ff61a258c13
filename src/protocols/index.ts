import type { Protocol } from '../core/protocol.ts';
import { rememberSource } from '../core/source.ts';
import type { MetaModel } from '../metamodel/index.ts';
import type { RoundFunction, RoundProblem } from '../core/rounds.ts';
import { abortAfterCommitOnLost, abortOnAbortVote, abortOnLost, atomicCommit, commitIfAllVoteCommit, ignoreVotes } from './atomic-commit.ts';
import { atomicCommitProgress, atomicCommitSymbolic } from './atomic-commit-smt.ts';
import type { SymbolicProperty } from '../smt/round-formula.ts';
import type { ParamValue } from '../core/protocol.ts';
import { bftCommit } from './bft-commit.ts';
import { paxos } from './paxos.ts';
import { twoPhaseCommit } from './two-phase-commit.ts';

/** The built-in library, in the order `protoforge list` shows it. */
export const library: readonly Protocol[] = [
  rememberSource(twoPhaseCommit, { module: new URL('./two-phase-commit.ts', import.meta.url).href, exportName: 'twoPhaseCommit' }),
  rememberSource(paxos, { module: new URL('./paxos.ts', import.meta.url).href, exportName: 'paxos' }),
];

export function findProtocol(name: string): Protocol | undefined {
  return library.find((p) => p.name === name);
}

/** A round problem of the library, its hand-written protocols, and its properties in symbolic form for Z3. */
export interface RoundLibraryEntry {
  readonly problem: RoundProblem;
  readonly protocols: readonly RoundFunction[];
  /** The instance's properties as formulas (same names, same order), for `--verifier smt` and `--method smt`. */
  readonly symbolic?: (params: Readonly<Record<string, ParamValue>>) => SymbolicProperty[];
  /** Deciding as an extra obligation: without Lost (T) or always (non-blocking). */
  readonly progress?: (when: 'without-lost' | 'always') => SymbolicProperty;
}

/** The built-in round problems, each with the hand-written round protocols the library has for it. */
export const roundLibrary: readonly RoundLibraryEntry[] = [
  {
    problem: atomicCommit, protocols: [commitIfAllVoteCommit, abortAfterCommitOnLost, ignoreVotes, abortOnLost, abortOnAbortVote],
    symbolic: atomicCommitSymbolic, progress: atomicCommitProgress,
  },
];

/** The built-in meta-models: families of machines generated per parameter. */
export const metaModelLibrary: readonly MetaModel[] = [bftCommit];

export function findMetaModel(name: string): MetaModel | undefined {
  return metaModelLibrary.find((m) => m.name === name);
}

export { bftCommit, paxos, twoPhaseCommit };
