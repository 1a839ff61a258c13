import type { Protocol } from '../core/protocol.ts';
import { rememberSource } from '../core/source.ts';
import type { MetaModel } from '../metamodel/index.ts';
import type { RoundFunction, RoundProblem } from '../core/rounds.ts';
import { abortAfterCommitOnLost, abortOnAbortVote, abortOnLost, atomicCommit, commitIfAllVoteCommit, ignoreVotes } from './atomic-commit.ts';
import { atomicCommitProgress, atomicCommitSymbolic } from './atomic-commit-smt.ts';
import type { SymbolicProperty } from '../smt/round-formula.ts';
import type { ParamValue } from '../core/protocol.ts';
import { bftCommit } from './bft-commit.ts';
import { bftReplicas } from './bft-replicas.ts';
import { derechoMembership } from './derecho-membership.ts';
import { derechoMulticast } from './derecho-multicast.ts';
import { multiPaxos } from './multi-paxos.ts';
import { paxos } from './paxos.ts';
import { twoPhaseCommit } from './two-phase-commit.ts';

const here = (file: string) => new URL(file, import.meta.url).href;

/** The built-in library, in the order `protoforge list` shows it. */
export const library: readonly Protocol[] = [
  rememberSource(twoPhaseCommit, { module: here('./two-phase-commit.ts'), exportName: 'twoPhaseCommit' }),
  rememberSource(paxos, { module: here('./paxos.ts'), exportName: 'paxos' }),
  rememberSource(multiPaxos, { module: here('./multi-paxos.ts'), exportName: 'multiPaxos' }),
  rememberSource(derechoMulticast, { module: here('./derecho-multicast.ts'), exportName: 'derechoMulticast' }),
  rememberSource(derechoMembership, { module: here('./derecho-membership.ts'), exportName: 'derechoMembership' }),
  rememberSource(bftReplicas, { module: here('./bft-replicas.ts'), exportName: 'bftReplicas' }),
];

/**
 * Where a protocol's defaults take minutes to check (multi-paxos: 25 million states; bft-replicas:
 * 10.7 million), the smaller setting `check-all` uses instead; its table prints the parameters.
 */
export const checkAllParams: Readonly<Record<string, Readonly<Record<string, ParamValue>>>> = {
  'multi-paxos': { maxBallot: 1 },
  'bft-replicas': { updates: 1 },
};

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

export { bftCommit, bftReplicas, derechoMembership, derechoMulticast, multiPaxos, paxos, twoPhaseCommit };
