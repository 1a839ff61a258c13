/**
 * What the round verifier and the round synthesizer share: the table keys an instance can reach, the
 * counting of heard states, and the translation of symbolic properties into SMT-LIB terms.
 *
 * States are one-hot: a Boolean per (round, process, state), all false for a process that has crashed.
 * A table key (own state, counts of heard states and of Lost) becomes a conjunction of "exactly j of the
 * heard messages carry state s" atoms, each a pseudo-Boolean equality Z3 solves natively.
 */
import { heardKey, RoundsError } from '../core/rounds.ts';
import type { RoundInstance } from '../core/rounds.ts';
import { interpret } from './round-formula.ts';
import type { AtomMeaning, SymbolicProperty } from './round-formula.ts';
import { term } from './z3.ts';
import type { Smt2 } from './z3.ts';

/** One table key: the own state's index, the count of every state (declaration order) and of Lost. */
export interface Key {
  readonly key: string;
  readonly own: number;
  /** `counts[s]` for each state, `counts[states.length]` for Lost. */
  readonly counts: readonly number[];
}

/**
 * Every key of `inst` whose Lost count is at most `maxLost`, in a fixed order (own state, then count
 * vectors with the first state's count highest first). A round has at most F Lost messages for each
 * process, so keys with more never occur.
 */
export function tableKeys(inst: RoundInstance, maxLost = Math.min(inst.crashes, inst.n - 1)): Key[] {
  const m = inst.states.length;
  const keys: Key[] = [];
  const counts = new Array<number>(m + 1).fill(0);
  const fill = (i: number, left: number, own: number) => {
    if (i === m) {
      if (left <= maxLost && counts[own] >= 1) {
        counts[m] = left;
        keys.push({ key: heardKey(inst.states, inst.states[own], counts), own, counts: counts.slice() });
        counts[m] = 0;
      }
      return;
    }
    for (let c = left; c >= 0; c--) {
      counts[i] = c;
      fill(i + 1, left - c, own);
    }
    counts[i] = 0;
  };
  for (let own = 0; own < m; own++) fill(0, inst.n, own);
  return keys;
}

/**
 * The properties in symbolic form must be the instance's, in its order (same names): the solver's
 * verdict is then about the same properties as the exhaustive checker's.
 */
export function matchProperties(inst: RoundInstance, symbolic: readonly SymbolicProperty[]): void {
  const mine = inst.properties.map((p) => p.name).join(', ');
  const theirs = symbolic.map((p) => p.name).join(', ');
  if (mine !== theirs) {
    throw new RoundsError(`the symbolic properties (${theirs || 'none'}) are not those of ${inst.problem.name} with these parameters (${mine || 'none'})`);
  }
  const seen = new Set<string>();
  for (const p of symbolic) {
    if (seen.has(p.name)) throw new RoundsError(`two properties are named ${p.name}`);
    seen.add(p.name);
  }
}

/** One process's states over a run as SMT terms: `state[r][p][s]`, 'false' everywhere once crashed. */
export type StateTerms = readonly (readonly (readonly string[])[])[];

/** The atoms of a formula for one encoded run. */
export function smtMeaning(inst: RoundInstance, state: StateTerms, crashedTerm: (p: number) => string, lostTerm: string): AtomMeaning<string> {
  const index = (s: string) => {
    const i = inst.states.indexOf(s);
    if (i < 0) throw new RoundsError(`formula names the state ${JSON.stringify(s)}, which ${inst.problem.name} does not declare (declared: ${inst.states.join(', ')})`);
    return i;
  };
  return {
    n: inst.n, rounds: inst.rounds,
    lost: () => lostTerm,
    initial: (p, s) => state[0][p][index(s)],
    at: (p, r, s) => state[r][p][index(s)],
    visited: (p, s) => term.or(Array.from({ length: inst.rounds }, (_, r) => state[r + 1][p][index(s)])),
    crashed: crashedTerm,
    constant: (v) => (v ? 'true' : 'false'),
    not: term.not,
    and: term.and,
    or: term.or,
  };
}

/** Each property as a term over one run. */
export function propertyTerms(properties: readonly SymbolicProperty[], meaning: AtomMeaning<string>): string[] {
  return properties.map((p) => interpret(p.formula, meaning));
}

/**
 * "Exactly j of the heard messages carry state s", defined once per (prefix, s, j): `carriers[s]` are
 * the terms "sender q's message was heard and carried s", one per sender.
 */
export class CountAtoms {
  private readonly cache = new Map<string, string>();
  constructor(private readonly smt: Smt2, private readonly prefix: string, private readonly carriers: readonly (readonly string[])[]) {}

  is(s: number, j: number): string {
    const id = `${s}_${j}`;
    let t = this.cache.get(id);
    if (t === undefined) {
      t = this.smt.define(`${this.prefix}_${id}`, term.countIs(this.carriers[s], j));
      this.cache.set(id, t);
    }
    return t;
  }

  /** The conjunction "the heard counts are exactly `counts`" (Lost included, as the last entry). */
  matches(counts: readonly number[]): string {
    return term.and(counts.map((c, s) => this.is(s, c)));
  }
}
