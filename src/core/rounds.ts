/**
 * The rounds notation (the Heard-Of model of the zero-knowledge learning document): in every round each
 * process broadcasts its state to all, itself included, and every process applies the same transition
 * from (own state, what it heard) to its next state. A process that has crashed is heard as `Lost`.
 *
 * What a process hears is keyed symmetrically: its own state and how many copies of each state (and of
 * Lost) arrived, not who sent which. The paper feeds the positional vector to its network, but its
 * processes are anonymous and run one machine, so a positional table would only spend entries telling
 * apart runs that differ by renaming the senders; the counts key is up to N! times smaller, is the
 * natural condition on an edge ("three 2s" in the paper's Figure 1a) and keeps its shape as N grows.
 */
import { ParamError, resolveParams } from './instance.ts';
import type { IntParam, ParamSpec, ParamsOf, ParamValue } from './protocol.ts';

export const LOST = 'Lost';

/** A round protocol that user input got wrong: a bad table, a bad state name. */
export class RoundsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoundsError';
  }
}

/** The local states a problem declares. */
export interface RoundStates {
  /** The states a process may start in; every assignment of them to the processes is checked. */
  readonly initial: readonly string[];
  /** Further states the problem gives a meaning to (decisions such as Commit and Abort). */
  readonly named: readonly string[];
  /** How many anonymous states a protocol may use besides, named x1 ... xk. */
  readonly extra: number;
}

/** A completed run of R rounds. Processes are numbered from 0. */
export interface RoundRun {
  readonly initial: readonly string[];
  /** In process order. */
  readonly crashes: readonly Crash[];
  /** `states[r][p]`: p's state after round r (`states[0]` is `initial`); null from the round p crashed in. */
  readonly states: readonly (readonly (string | null)[])[];
  /** The paper's L: some process that took a step heard Lost. */
  readonly lost: boolean;
}

/** A process that crashed in `round`: its message of that round reached `heardBy` only, and nothing after. */
export interface Crash {
  readonly process: number;
  readonly round: number;
  readonly heardBy: readonly number[];
}

export interface RoundProperty {
  readonly name: string;
  readonly description: string;
  readonly holds: (run: RoundRun) => boolean;
}

/** Every round problem has these: processes, rounds, and the most processes that may crash. */
export type RoundParamSpecs = { readonly n: IntParam; readonly rounds: IntParam; readonly crashes: IntParam } & Record<string, ParamSpec>;

/** A problem: the states and properties a protocol must meet, for processes running rounds. */
export interface RoundProblem<D extends RoundParamSpecs = any> {
  readonly kind: 'protoforge.round-problem';
  readonly name: string;
  readonly description: string;
  readonly params: D;
  readonly states: (params: ParamsOf<D>) => RoundStates;
  /** Checked in this order on every run; the first that fails is the one reported. */
  readonly properties: (params: ParamsOf<D>) => readonly RoundProperty[];
  /** The reward each process earns in a run, for learning. */
  readonly rewards?: (run: RoundRun, params: ParamsOf<D>) => readonly number[];
}

export function defineRoundProblem<D extends RoundParamSpecs>(def: Omit<RoundProblem<D>, 'kind'>): RoundProblem<D> {
  return { ...def, kind: 'protoforge.round-problem' };
}

/**
 * The same transition on every process, as plain data (JSON, drawings, a learner's output): `next` maps
 * `heardKey(...)` to the next state; a key that is absent keeps the process in its state.
 */
export interface RoundTable {
  readonly kind: 'protoforge.round-table';
  readonly name: string;
  readonly description: string;
  /** The problem's states in its order: initial, named, then x1 ... xk. */
  readonly states: readonly string[];
  /** The number of processes the keys count. */
  readonly processes: number;
  readonly next: Readonly<Record<string, string>>;
}

/** What a process heard: for every declared state and for Lost, how many copies (its own included). */
export type Heard = Readonly<Record<string, number>>;

/** A hand-written transition; `tabulate` turns it into a table for a given number of processes. */
export interface RoundFunction {
  readonly kind: 'protoforge.round-function';
  readonly name: string;
  readonly description: string;
  readonly next: (own: string, heard: Heard, n: number) => string;
}

export function roundFunction(name: string, description: string, next: RoundFunction['next']): RoundFunction {
  return { kind: 'protoforge.round-function', name, description, next };
}

/** A problem with its parameters chosen. */
export interface RoundInstance {
  readonly problem: RoundProblem;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly n: number;
  readonly rounds: number;
  readonly crashes: number;
  readonly states: readonly string[];
  readonly initial: readonly string[];
  readonly properties: readonly RoundProperty[];
}

const STATE_NAME = /^[A-Za-z_][\w-]*$/; // keys are built with | : and , around names

export function instantiateRounds(problem: RoundProblem, given: Readonly<Record<string, unknown>> = {}): RoundInstance {
  if (problem?.kind !== 'protoforge.round-problem') throw new RoundsError('not a round problem: define it with defineRoundProblem()');
  // resolveParams reads only a protocol's name and paramSpecs.
  const params = resolveParams({ name: problem.name, paramSpecs: problem.params }, given);
  const { n, rounds, crashes } = params as { n: number; rounds: number; crashes: number };
  if (crashes > n) throw new ParamError(`parameter crashes of ${problem.name} must be at most n (${n}), got ${crashes}`);
  const decl = problem.states(params as never);
  const states = [...decl.initial, ...decl.named, ...Array.from({ length: decl.extra }, (_, i) => `x${i + 1}`)];
  const seen = new Set<string>();
  for (const s of states) {
    if (!STATE_NAME.test(s) || s === LOST) throw new RoundsError(`${problem.name} declares a state named ${JSON.stringify(s)}: state names are letters, digits, _ and -, and not ${LOST}`);
    if (seen.has(s)) throw new RoundsError(`${problem.name} declares the state ${s} twice`);
    seen.add(s);
  }
  if (decl.initial.length === 0) throw new RoundsError(`${problem.name} declares no initial state`);
  return { problem, params, n, rounds, crashes, states, initial: decl.initial, properties: problem.properties(params as never) };
}

/** The table key for a process in `own` that heard `counts[i]` copies of `states[i]` and `counts[states.length]` Lost. */
export function heardKey(states: readonly string[], own: string, counts: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i <= states.length; i++) if (counts[i] > 0) parts.push(`${i < states.length ? states[i] : LOST}:${counts[i]}`);
  return `${own}|${parts.join(',')}`;
}

/** Every count vector over the states and Lost that sums to n with at least one copy of `own` (its own message). */
function* countVectors(width: number, n: number, ownIndex: number): Generator<number[]> {
  const counts = new Array<number>(width).fill(0);
  function* fill(i: number, left: number): Generator<number[]> {
    if (i === width - 1) {
      counts[i] = left;
      if (counts[ownIndex] >= 1) yield counts.slice();
      return;
    }
    for (let c = left; c >= 0; c--) {
      counts[i] = c;
      yield* fill(i + 1, left - c);
    }
  }
  yield* fill(0, n);
}

/** Every table key of `inst`: each own state with each vector of counts (the states', then Lost's) summing to n. */
export function* allKeys(inst: RoundInstance): Generator<{ readonly key: string; readonly own: string; readonly counts: readonly number[] }> {
  const { states, n } = inst;
  for (const own of states) {
    for (const counts of countVectors(states.length + 1, n, states.indexOf(own))) yield { key: heardKey(states, own, counts), own, counts };
  }
}

/** The table of a hand-written transition for `inst`'s states and processes (entries that keep the state left out). */
export function tabulate(inst: RoundInstance, fn: RoundFunction): RoundTable {
  const { states, n } = inst;
  const next: Record<string, string> = {};
  for (const { key, own, counts } of allKeys(inst)) {
    const heard: Record<string, number> = {};
    states.forEach((s, i) => { heard[s] = counts[i]; });
    heard[LOST] = counts[states.length];
    const to = fn.next(own, heard, n);
    if (!states.includes(to)) throw new RoundsError(`round function ${fn.name} goes from ${key} to ${JSON.stringify(to)}, which is not a declared state (declared: ${states.join(', ')})`);
    if (to !== own) next[key] = to;
  }
  return { kind: 'protoforge.round-table', name: fn.name, description: fn.description, states, processes: n, next };
}

/** Checks a table (perhaps read from JSON) against `inst`; throws one RoundsError naming the first bad entry. */
export function validateTable(inst: RoundInstance, table: RoundTable): void {
  const { states, n } = inst;
  if (table?.kind !== 'protoforge.round-table' || !Array.isArray(table.states) || typeof table.next !== 'object' || table.next === null) {
    throw new RoundsError('not a round table: expected { kind: "protoforge.round-table", name, description, states, processes, next }');
  }
  const where = `round table ${table.name}`;
  if (table.states.join() !== states.join()) {
    throw new RoundsError(`${where} is over the states ${table.states.join(', ')} but ${inst.problem.name} declares ${states.join(', ')}`);
  }
  if (table.processes !== n) throw new RoundsError(`${where} is for ${table.processes} processes, not n = ${n}`);
  const undeclared = (name: string, what: string) =>
    new RoundsError(`${where}: ${what} names ${JSON.stringify(name)}, which is not a declared state (declared: ${states.join(', ')})`);
  for (const [key, to] of Object.entries(table.next)) {
    const [own, heard = '', ...rest] = key.split('|');
    if (!states.includes(own)) throw undeclared(own, `key ${JSON.stringify(key)}`);
    if (!states.includes(to)) throw undeclared(to, `the next state of ${key}`);
    const counts = new Array<number>(states.length + 1).fill(0);
    for (const part of heard ? heard.split(',') : []) {
      const [name, c] = part.split(':');
      const i = name === LOST ? states.length : states.indexOf(name);
      if (i < 0) throw undeclared(name, `key ${JSON.stringify(key)}`);
      counts[i] += /^\d+$/.test(c ?? '') ? Number(c) : NaN;
    }
    const sum = counts.reduce((a, b) => a + b, 0);
    const canonical = heardKey(states, own, counts);
    if (rest.length > 0 || sum !== n || counts[states.indexOf(own)] < 1 || canonical !== key) {
      throw new RoundsError(`${where}: key ${JSON.stringify(key)} is not own|State:count,... in declaration order, counting ${n} messages with the process's own among them`);
    }
  }
}

/** Runs a table from `initial` under `crashes` for `rounds` rounds. */
export function runRounds(table: RoundTable, rounds: number, initial: readonly string[], crashes: readonly Crash[]): RoundRun {
  return playRounds(table.states, rounds, initial, crashes, (_p, key, own) => table.next[key] ?? own);
}

/**
 * Plays `rounds` rounds from `initial` under `crashes`: in each round every live process hears the
 * others' states (Lost from a crashed one, unless it crashed this round and reached that process) and
 * `choose` gives its next state from its key. A table looks the key up; a learner explores.
 */
export function playRounds(states: readonly string[], rounds: number, initial: readonly string[], crashes: readonly Crash[],
  choose: (process: number, key: string, own: string) => string): RoundRun {
  const n = initial.length;
  const crashRound = new Array<number>(n).fill(Infinity);
  const heardBy: (readonly number[])[] = new Array(n).fill([]);
  for (const c of crashes) {
    crashRound[c.process] = c.round;
    heardBy[c.process] = c.heardBy;
  }
  const index = new Map(states.map((s, i) => [s, i]));
  const runStates: (string | null)[][] = [initial.slice()];
  let lost = false;
  for (let r = 1; r <= rounds; r++) {
    const prev = runStates[r - 1];
    const cur: (string | null)[] = [];
    for (let p = 0; p < n; p++) {
      if (crashRound[p] <= r) {
        cur.push(null);
        continue;
      }
      const counts = new Array<number>(states.length + 1).fill(0);
      for (let q = 0; q < n; q++) {
        const heard = crashRound[q] > r || (crashRound[q] === r && heardBy[q].includes(p));
        if (heard) counts[index.get(prev[q]!)!]++;
        else counts[states.length]++;
      }
      if (counts[states.length] > 0) lost = true;
      const own = prev[p]!;
      cur.push(choose(p, heardKey(states, own, counts), own));
    }
    runStates.push(cur);
  }
  return { initial: initial.slice(), crashes: crashes.slice(), states: runStates, lost };
}
