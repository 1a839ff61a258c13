/**
 * Round properties in a small symbolic form, so that an SMT solver can take their negation: a formula
 * over the facts of one completed run (what `RoundRun` records) with quantifiers over processes.
 *
 * Atoms:
 * - `initial(n, s)`: process n started in s (the paper's b_n = s);
 * - `at(n, r, s)`: n was in s after round r (r = 0 is the initial state, `'last'` is round R);
 * - `visited(n, s)`: n was in s after some round 1..R, before any crash of its own;
 * - `crashed(n)`: n crashed at some round (its states are null from then on);
 * - `lost`: the paper's L, some process that took a step heard Lost;
 * - `same(n, m)`: n and m are the same process.
 * Connectives: true/false, not, and, or, implies, iff, and `forall`/`exists` over the processes 0..N-1,
 * binding a name that atoms then use (a process may also be named by its number).
 *
 * The restriction: a property must be a statement about these facts only, finite in N and R: no counting
 * of processes ("a majority decided"), no reference to who heard whom or in which round a process crashed
 * (beyond `at` and `crashed`), no reference to the table itself. Every property of the atomic commit
 * problem (P1-P5 and the obligation to decide) is of that shape. The same formula is evaluated on a run
 * in TypeScript (`holdsOn`), which gives the `RoundProperty` the exhaustive checker uses, so a problem
 * that states its properties this way has one definition for both checkers.
 */
import { RoundsError } from '../core/rounds.ts';
import type { RoundProperty, RoundRun } from '../core/rounds.ts';

/** A process: the name a quantifier bound, or a process number. */
export type ProcessRef = string | number;

export type RoundFormula =
  | { readonly op: 'const'; readonly value: boolean }
  | { readonly op: 'lost' }
  | { readonly op: 'initial'; readonly process: ProcessRef; readonly state: string }
  | { readonly op: 'at'; readonly process: ProcessRef; readonly round: number | 'last'; readonly state: string }
  | { readonly op: 'visited'; readonly process: ProcessRef; readonly state: string }
  | { readonly op: 'crashed'; readonly process: ProcessRef }
  | { readonly op: 'same'; readonly a: ProcessRef; readonly b: ProcessRef }
  | { readonly op: 'not'; readonly arg: RoundFormula }
  | { readonly op: 'and' | 'or'; readonly args: readonly RoundFormula[] }
  | { readonly op: 'implies' | 'iff'; readonly left: RoundFormula; readonly right: RoundFormula }
  | { readonly op: 'forall' | 'exists'; readonly bind: string; readonly body: RoundFormula };

/** A property in symbolic form: holds on a run when `formula` is true of it. */
export interface SymbolicProperty {
  readonly name: string;
  readonly description: string;
  readonly formula: RoundFormula;
}

export const TRUE: RoundFormula = { op: 'const', value: true };
export const FALSE: RoundFormula = { op: 'const', value: false };
export const lost: RoundFormula = { op: 'lost' };
export const initial = (process: ProcessRef, state: string): RoundFormula => ({ op: 'initial', process, state });
export const at = (process: ProcessRef, round: number | 'last', state: string): RoundFormula => ({ op: 'at', process, round, state });
export const visited = (process: ProcessRef, state: string): RoundFormula => ({ op: 'visited', process, state });
export const crashed = (process: ProcessRef): RoundFormula => ({ op: 'crashed', process });
export const same = (a: ProcessRef, b: ProcessRef): RoundFormula => ({ op: 'same', a, b });
export const not = (arg: RoundFormula): RoundFormula => ({ op: 'not', arg });
export const and = (...args: RoundFormula[]): RoundFormula => ({ op: 'and', args });
export const or = (...args: RoundFormula[]): RoundFormula => ({ op: 'or', args });
export const implies = (left: RoundFormula, right: RoundFormula): RoundFormula => ({ op: 'implies', left, right });
export const iff = (left: RoundFormula, right: RoundFormula): RoundFormula => ({ op: 'iff', left, right });
export const forall = (bind: string, body: RoundFormula): RoundFormula => ({ op: 'forall', bind, body });
export const exists = (bind: string, body: RoundFormula): RoundFormula => ({ op: 'exists', bind, body });
/** Exactly one of the arguments holds. */
export const exactlyOne = (...args: RoundFormula[]): RoundFormula =>
  or(...args.map((a, i) => and(a, ...args.filter((_, j) => j !== i).map(not))));

/**
 * What a formula's atoms mean in one setting: a run in TypeScript (booleans) or an SMT encoding
 * (SMT-LIB terms). `process` is always a number here; quantifiers have been expanded.
 */
export interface AtomMeaning<V> {
  readonly n: number;
  readonly rounds: number;
  lost(): V;
  initial(p: number, state: string): V;
  at(p: number, round: number, state: string): V;
  visited(p: number, state: string): V;
  crashed(p: number): V;
  constant(value: boolean): V;
  not(v: V): V;
  and(vs: V[]): V;
  or(vs: V[]): V;
}

/** Expands the formula over N processes and R rounds into `meaning`'s values. */
export function interpret<V>(formula: RoundFormula, meaning: AtomMeaning<V>, env: ReadonlyMap<string, number> = new Map()): V {
  const proc = (ref: ProcessRef): number => {
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref) || ref < 0 || ref >= meaning.n) throw new RoundsError(`formula names process ${ref}, but there are ${meaning.n} (0 to ${meaning.n - 1})`);
      return ref;
    }
    const p = env.get(ref);
    if (p === undefined) throw new RoundsError(`formula uses the process ${JSON.stringify(ref)}, which no forall or exists binds`);
    return p;
  };
  const go = (f: RoundFormula): V => interpret(f, meaning, env);
  const f = checked(formula);
  switch (f.op) {
    case 'const': return meaning.constant(f.value);
    case 'lost': return meaning.lost();
    case 'initial': return meaning.initial(proc(f.process), f.state);
    case 'at': {
      const r = f.round === 'last' ? meaning.rounds : f.round;
      if (!Number.isInteger(r) || r < 0 || r > meaning.rounds) throw new RoundsError(`formula names round ${f.round}, but rounds run 0 to ${meaning.rounds}`);
      return meaning.at(proc(f.process), r, f.state);
    }
    case 'visited': return meaning.visited(proc(f.process), f.state);
    case 'crashed': return meaning.crashed(proc(f.process));
    case 'same': return meaning.constant(proc(f.a) === proc(f.b));
    case 'not': return meaning.not(go(f.arg));
    case 'and': return meaning.and(f.args.map(go));
    case 'or': return meaning.or(f.args.map(go));
    case 'implies': return meaning.or([meaning.not(go(f.left)), go(f.right)]);
    case 'iff': {
      const l = go(f.left);
      const r = go(f.right);
      return meaning.or([meaning.and([l, r]), meaning.and([meaning.not(l), meaning.not(r)])]);
    }
    case 'forall':
    case 'exists': {
      const parts = Array.from({ length: meaning.n }, (_, p) => interpret(f.body, meaning, new Map([...env, [f.bind, p]])));
      return f.op === 'forall' ? meaning.and(parts) : meaning.or(parts);
    }
  }
}

const OPS = new Set(['const', 'lost', 'initial', 'at', 'visited', 'crashed', 'same', 'not', 'and', 'or', 'implies', 'iff', 'forall', 'exists']);

/** The formula itself once its op is known (a formula may come from JSON). */
function checked(f: RoundFormula): RoundFormula {
  const op = (f as { op?: unknown } | null)?.op;
  if (typeof op !== 'string' || !OPS.has(op)) throw new RoundsError(`not a round formula: ${JSON.stringify(f)?.slice(0, 80)}`);
  return f;
}

/** Whether the formula is true of a completed run. */
export function holdsOn(formula: RoundFormula, run: RoundRun): boolean {
  const rounds = run.states.length - 1;
  const crashedP = (p: number) => run.states.some((row) => row[p] === null);
  return interpret<boolean>(formula, {
    n: run.initial.length, rounds,
    lost: () => run.lost,
    initial: (p, s) => run.initial[p] === s,
    at: (p, r, s) => run.states[r][p] === s,
    visited: (p, s) => run.states.slice(1).some((row) => row[p] === s),
    crashed: crashedP,
    constant: (v) => v,
    not: (v) => !v,
    and: (vs) => vs.every(Boolean),
    or: (vs) => vs.some(Boolean),
  });
}

/** The property the exhaustive checker uses for a symbolic one: the same formula, evaluated on each run. */
export function toRoundProperty(p: SymbolicProperty): RoundProperty {
  return { name: p.name, description: p.description, holds: (run) => holdsOn(p.formula, run) };
}

/** The formula in the appendix's notation, for reports. */
export function formatFormula(f: RoundFormula): string {
  const ref = (r: ProcessRef) => (typeof r === 'number' ? `p${r}` : r);
  const wrap = (g: RoundFormula) => (['and', 'or', 'implies', 'iff', 'forall', 'exists'].includes(g.op) ? `(${formatFormula(g)})` : formatFormula(g));
  switch (f.op) {
    case 'const': return f.value ? 'true' : 'false';
    case 'lost': return 'L';
    case 'initial': return `b(${ref(f.process)}) = ${f.state}`;
    case 'at': return `s(${ref(f.process)}, ${f.round === 'last' ? 'R' : f.round}) = ${f.state}`;
    case 'visited': return `${f.state} ∈ visited(${ref(f.process)})`;
    case 'crashed': return `crashed(${ref(f.process)})`;
    case 'same': return `${ref(f.a)} = ${ref(f.b)}`;
    case 'not': return `¬${wrap(f.arg)}`;
    case 'and': return f.args.length === 0 ? 'true' : f.args.map(wrap).join(' ∧ ');
    case 'or': return f.args.length === 0 ? 'false' : f.args.map(wrap).join(' ∨ ');
    case 'implies': return `${wrap(f.left)} ⟹ ${wrap(f.right)}`;
    case 'iff': return `${wrap(f.left)} ⟺ ${wrap(f.right)}`;
    // A quantifier's body reaches as far right as it can; as an operand, a quantifier is parenthesized.
    case 'forall': return `∀${f.bind}. ${formatFormula(f.body)}`;
    case 'exists': return `∃${f.bind}. ${formatFormula(f.body)}`;
  }
}

/**
 * An obligation to decide, the non-triviality a synthesizer needs (safety properties alone are met by a
 * table that never moves): every process that did not crash visited exactly one of `decisions` by the
 * last round; with `when: 'without-lost'` only in runs without Lost (blocking allowed), with `'always'`
 * in every run (non-blocking).
 */
export function decidesProperty(decisions: readonly string[], when: 'without-lost' | 'always', name: string): SymbolicProperty {
  const body = forall('n', or(crashed('n'), exactlyOne(...decisions.map((d) => visited('n', d)))));
  return {
    name,
    description: when === 'always'
      ? `every process that did not crash decides (${decisions.join(' or ')}), Lost or not`
      : `without Lost, every process that did not crash decides (${decisions.join(' or ')})`,
    formula: when === 'always' ? body : implies(not(lost), body),
  };
}
