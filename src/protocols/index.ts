import type { Protocol } from '../core/protocol.ts';
import { rememberSource } from '../core/source.ts';
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

export { paxos, twoPhaseCommit };
