/**
 * Symbolic protocols: a protocol written a second time, in a restricted declarative form that an SMT
 * solver can reason about without bounds, for inductiveness checking (see ./induct.ts and
 * docs/smt-induction.md).
 *
 * A symbolic protocol has
 * - sorts: `orderedSort` (any number of elements in a total order, with an optional least element:
 *   ballots), `openSort` (any number of elements, compared only for equality: values, the resource
 *   managers of two-phase commit for every N), `finiteSort` (a fixed list of named elements: the
 *   acceptors, a phase), `intSort` (the integers, when arithmetic is wanted);
 * - state variables: total functions from sorts to a sort (a constant when there are no arguments), e.g.
 *   `promised: acceptor -> ballot`, `vote: acceptor x ballot -> value`. A map or an optional field is a
 *   pair of functions (present?, value);
 * - messages in flight: one relation per message type over its sender, receiver and fields;
 * - actions: guarded updates. An action has parameters (a finite sort is expanded into one action per
 *   element, any other becomes a constant the solver chooses), a guard, at most one message received,
 *   new values for some state variables, and messages sent under conditions (a position left null is a
 *   broadcast). Guards and updates are quantifier-free: an update is a function of the arguments built
 *   from if-then-else, the old functions and the parameters (`Sym.at`, `Sym.when`). A value the action
 *   computes is named with `Sym.let`, which may also name a closed quantified formula ("every resource
 *   manager has prepared");
 * - the initial states, the domain (what a well-typed state is: the plain types of the bounded domains,
 *   without their upper bounds) and the invariant conjuncts, each a closed formula over the state;
 * - windows (small finite universes counterexamples are looked for in first) and how to print a state
 *   as the plain node states and messages the bounded checker reports.
 *
 * Quantifiers over a finite sort are expanded into conjunctions and disjunctions before the solver sees
 * them; quantifiers over the other sorts are the solver's. An ordered sort is an uninterpreted sort with
 * a total order given by axioms, as in Ivy, so that the checks stay in the effectively propositional
 * fragment (EPR), where the solver's model-based quantifier instantiation is a decision procedure and
 * quick. For that, a conjunct should be universal once finite quantifiers are expanded (an existential
 * may appear only outside every universal over an unbounded sort, where it becomes a constant), and
 * every variable a quantifier binds should appear as an argument of some state function or relation,
 * not only in equalities (a value is better named by the function that holds it than quantified).
 */
import type { Arith, Bool, Context, Expr, FuncDecl, Model, Sort } from 'z3-solver';
import type { InFlight } from '../core/properties.ts';
import type { Action } from '../core/trace.ts';

export type Ctx = Context<'main'>;
export type Term = Expr<'main'>;
export type BoolTerm = Bool<'main'>;
export type IntTerm = Arith<'main'>;

// ---- sorts ----------------------------------------------------------------------------------------

/** Unbounded integers, from `min` when given (a quantifier ranges over min, min+1, ...). */
export interface IntSort {
  readonly kind: 'int';
  readonly name: string;
  readonly min?: number;
}

/** A fixed, named list of elements (a Z3 enumeration); quantifiers over it are expanded. */
export interface FiniteSort {
  readonly kind: 'finite';
  readonly name: string;
  readonly elements: readonly string[];
  /**
   * The protocol treats the elements alike (as a `symmetric` role): the checker then takes an action
   * only for its parameters' elements up to renaming (a1; a1 a1 and a1 a2; ...).
   */
  readonly symmetric?: boolean;
}

/**
 * Any number (at least one) of elements, compared only for equality: an uninterpreted sort. A window of
 * k names its elements prefix1..prefixk: by default k distinct constants; `window` may give the terms
 * instead (e.g. the values of the first k proposers), which the window then consists of.
 */
export interface OpenSort {
  readonly kind: 'open';
  readonly name: string;
  readonly prefix: string;
  readonly window?: (s: State, S: Sym, k: number) => Term[];
}

/**
 * Any number of elements in a total order (an uninterpreted sort with an order relation and its
 * axioms), with a least element when `bottom` names one. Quantifiers range over the elements above
 * the least one, unless `withBottom` (see `withBottom()`). Elements decode to numbers: the least one
 * to 0, those of a window of k to 1..k in order.
 */
export interface OrderedSort {
  readonly kind: 'ordered';
  readonly name: string;
  readonly bottom?: boolean;
  readonly withBottom?: boolean;
}

export interface BoolSort {
  readonly kind: 'bool';
}

export type SortSpec = IntSort | OrderedSort | FiniteSort | OpenSort | BoolSort;

export const boolSort: BoolSort = { kind: 'bool' };

export function intSort(name: string, min?: number): IntSort {
  return min === undefined ? { kind: 'int', name } : { kind: 'int', name, min };
}

export function finiteSort(name: string, elements: readonly string[], options: { symmetric?: boolean } = {}): FiniteSort {
  if (elements.length === 0) throw new SymbolicError(`the finite sort ${name} has no elements`);
  if (new Set(elements).size !== elements.length) throw new SymbolicError(`the finite sort ${name} names an element twice`);
  return { kind: 'finite', name, elements: [...elements], ...(options.symmetric ? { symmetric: true } : {}) };
}

export function openSort(name: string, prefix: string, window?: OpenSort['window']): OpenSort {
  return window ? { kind: 'open', name, prefix, window } : { kind: 'open', name, prefix };
}

export function orderedSort(name: string, options: { bottom?: boolean } = {}): OrderedSort {
  return options.bottom ? { kind: 'ordered', name, bottom: true } : { kind: 'ordered', name };
}

/** The same ordered sort, with quantifiers that also range over its least element. */
export function withBottom(spec: OrderedSort): OrderedSort {
  return { ...spec, withBottom: true };
}

/** A symbolic protocol that is malformed: an unknown name, a sort used where it cannot be. */
export class SymbolicError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SymbolicError';
  }
}

// ---- declarations ---------------------------------------------------------------------------------

/** A state variable: a function from `args` to `type`. */
export interface VarSpec {
  readonly args: readonly SortSpec[];
  readonly type: SortSpec;
}

/** Plain values a sort's elements decode to: a number, an element's name, a Boolean. */
export type Decoded = number | string | boolean;

/** A message type: a relation over `args`; `decode` gives the message in flight for one tuple of it. */
export interface MessageSpec {
  readonly args: readonly SortSpec[];
  readonly decode: (args: readonly Decoded[]) => InFlight;
}

/** A function of the state: applied to terms of its argument sorts. */
export type Fn<T extends Term = Term> = (...args: Term[]) => T;

/**
 * A state as functions, by name: every state variable and every message relation (a relation gives a
 * Boolean term). Terms are loosely typed: a Boolean variable's application is a BoolTerm, an integer
 * one's an IntTerm, a finite or open one's a Term.
 */
export type State = { readonly [name: string]: Fn<any> };

/** A named closed formula over the state: an invariant conjunct or a domain constraint. */
export interface Conjunct {
  readonly name: string;
  readonly holds: (s: State, S: Sym) => BoolTerm;
}

export interface Send {
  /** The message type (a relation of the model). */
  readonly type: string;
  /** The message's arguments; null at a position sends to every element of its sort (a broadcast). */
  readonly args: readonly (Term | null)[];
  /** Sent only when this holds (default: always). */
  readonly when?: BoolTerm;
}

export interface ActionBody {
  /** When the action may be taken (with the message received, if any, in flight). */
  readonly guard?: BoolTerm;
  /** The message delivered. On a network that does not duplicate, one copy is consumed. */
  readonly receive?: { readonly type: string; readonly args: readonly Term[] };
  /** New values: replaces the named variables' functions; the others stay. */
  readonly update?: { readonly [name: string]: Fn };
  readonly send?: readonly Send[];
}

export interface ActionSpec {
  readonly name: string;
  /** Parameters: a finite sort is expanded into one action per element; any other sort is chosen by the solver. */
  readonly params: Readonly<Record<string, SortSpec>>;
  readonly apply: (s: State, p: Readonly<Record<string, Term>>, S: Sym) => ActionBody;
  /** How the checker names this step when it receives no message (a timer); given the decoded parameters. */
  readonly step?: (p: Readonly<Record<string, Decoded>>) => Action;
}

/** Reads values out of a solver model, for decoding states into plain data. */
export interface Evaluator {
  int(t: Term): number;
  bool(t: Term): boolean;
  /** The name of the element a term of a finite or open sort denotes. */
  name(t: Term, sort: FiniteSort | OpenSort): string;
  /** The elements shown: every element of a finite sort, those of the window for an int or open sort. */
  elements(sort: SortSpec): readonly (readonly [Decoded, Term])[];
}

/** A decoded global state, in the shape the bounded checker reports. */
export interface PlainState {
  readonly states: Readonly<Record<string, unknown>>;
  readonly timers: Readonly<Record<string, readonly string[]>>;
  readonly messages: readonly InFlight[];
}

export interface SymbolicDef {
  readonly name: string;
  /** The parameters this model was built for, as shown in results. */
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly vars: Readonly<Record<string, VarSpec>>;
  readonly messages: Readonly<Record<string, MessageSpec>>;
  /** A delivered message stays in flight (a set of messages); otherwise one copy is consumed (a bag). */
  readonly duplicating: boolean;
  readonly init: (s: State, S: Sym) => BoolTerm;
  /** What every state of the universe satisfies (assumed before a step, checked after it). */
  readonly domain?: readonly Conjunct[];
  readonly invariants: readonly Conjunct[];
  readonly presets?: Readonly<Record<string, readonly string[]>>;
  readonly actions: readonly ActionSpec[];
  /**
   * Window sizes to look for counterexamples in, in order (default [1, 2, 3, 4]); the first is searched
   * for every action before the proof without bounds. A window of size k has k elements of every open
   * sort (those `OpenSort.window` names, or fresh ones), the least element and k more of every ordered
   * sort, the integers from an int sort's least value, and every quantifier expanded into them.
   */
  readonly windows?: readonly number[];
  /** What else holds in a window of size `S.window` (an int sort's functions outside its range, say). */
  readonly window?: (s: State, S: Sym) => BoolTerm;
  /** The node states and timers of a state (the messages are decoded from the relations). */
  readonly decode: (s: State, ev: Evaluator) => Omit<PlainState, 'messages'>;
}

/** A symbolic protocol, as the checker takes it. */
export interface SymbolicModel extends SymbolicDef {
  readonly kind: 'protoforge.symbolic';
}

export function defineSymbolic(def: SymbolicDef): SymbolicModel {
  const names = new Set<string>();
  for (const n of [...Object.keys(def.vars), ...Object.keys(def.messages)]) {
    if (names.has(n)) throw new SymbolicError(`${def.name} declares ${JSON.stringify(n)} both as a state variable and as a message type`);
    names.add(n);
  }
  const conjuncts = new Set<string>();
  for (const c of [...def.invariants, ...(def.domain ?? [])]) {
    if (conjuncts.has(c.name)) throw new SymbolicError(`${def.name} has two conjuncts named ${JSON.stringify(c.name)}`);
    conjuncts.add(c.name);
  }
  return { kind: 'protoforge.symbolic', ...def };
}

export function isSymbolicModel(value: unknown): value is SymbolicModel {
  return typeof value === 'object' && value !== null && (value as SymbolicModel).kind === 'protoforge.symbolic';
}

// ---- building terms -------------------------------------------------------------------------------

/** Subsets of size k of n: a disjunction of conjunctions while there are few of them. */
function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

function* subsets(n: number, k: number): Generator<number[]> {
  if (k > n) return;
  const c = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield [...c];
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i]++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
  }
}

/**
 * The term builder a symbolic protocol is written with: connectives that fold constants, comparisons
 * on ordered and integer sorts, quantifiers that expand finite sorts, names for computed values, point
 * updates of functions, and the windows a counterexample is read in.
 */
export class Sym {
  /** The window size while counterexamples are looked for in a window, else null. */
  window: number | null = null;
  /**
   * Inside a window: expand quantifiers over every sort into the window's elements (the window is then
   * a finite, quantifier-free problem: a bounded check).
   */
  expand = false;
  private readonly sorts = new Map<string, Sort<'main'>>();
  private readonly elementTerms = new Map<string, Term[]>();
  private readonly orders = new Map<string, { spec: OrderedSort; le: FuncDecl<'main'>; bottom: Term | null }>();
  private readonly windowTerms = new Map<string, Term[]>();
  private readonly axiomList: BoolTerm[] = [];
  private fresh = 0;
  private readonly definitions: BoolTerm[] = [];

  constructor(readonly z: Ctx) {}

  // -- sorts and constants

  sort(spec: SortSpec): Sort<'main'> {
    switch (spec.kind) {
      case 'bool': return this.z.Bool.sort();
      case 'int': return this.z.Int.sort();
      case 'finite': return this.finite(spec).sort;
      case 'open': {
        let s = this.sorts.get(`open:${spec.name}`);
        if (!s) this.sorts.set(`open:${spec.name}`, (s = this.z.Sort.declare(spec.name)));
        return s;
      }
      case 'ordered': return this.order(spec).sort;
    }
  }

  private finite(spec: FiniteSort): { sort: Sort<'main'>; elements: Term[] } {
    const key = `finite:${spec.name}`;
    let s = this.sorts.get(key);
    if (!s) {
      const dt = this.z.Datatype(spec.name);
      for (const e of spec.elements) dt.declare(`${spec.name}!${e}`);
      s = dt.create();
      this.sorts.set(key, s);
      this.elementTerms.set(key, spec.elements.map((e) => (s as unknown as Record<string, Term>)[`${spec.name}!${e}`]));
    } else if (this.elementTerms.get(key)!.length !== spec.elements.length) {
      throw new SymbolicError(`two finite sorts are named ${spec.name}`);
    }
    return { sort: s, elements: this.elementTerms.get(key)! };
  }

  /** An ordered sort: the sort, its order relation and least element, declared with their axioms on first use. */
  private order(spec: OrderedSort): { sort: Sort<'main'>; le: FuncDecl<'main'>; bottom: Term | null } {
    let o = this.orders.get(spec.name);
    if (!o) {
      const sort = this.z.Sort.declare(spec.name);
      this.sorts.set(`ordered:${spec.name}`, sort);
      const le = this.z.Function.declare(`${spec.name}.le`, sort, sort, this.z.Bool.sort()) as unknown as FuncDecl<'main'>;
      const bottom = spec.bottom ? this.z.Const(`${spec.name}.0`, sort) : null;
      o = { spec, le, bottom };
      this.orders.set(spec.name, o);
      const [x, y, w] = [0, 1, 2].map((i) => this.z.Const(`${spec.name}!ax${i}`, sort));
      const leq = (a: Term, b: Term) => le.call(a as never, b as never) as unknown as BoolTerm;
      this.axiomList.push(
        this.z.ForAll([x, y] as never, this.z.Or(leq(x, y), leq(y, x))) as BoolTerm,
        this.z.ForAll([x, y] as never, this.z.Implies(this.z.And(leq(x, y), leq(y, x)), x.eq(y))) as BoolTerm,
        this.z.ForAll([x, y, w] as never, this.z.Implies(this.z.And(leq(x, y), leq(y, w)), leq(x, w))) as BoolTerm,
      );
      if (bottom) this.axiomList.push(this.z.ForAll([x] as never, leq(bottom, x)) as BoolTerm);
    } else if (Boolean(o.spec.bottom) !== Boolean(spec.bottom)) {
      throw new SymbolicError(`two ordered sorts are named ${spec.name}`);
    }
    return { sort: this.sorts.get(`ordered:${spec.name}`)!, le: o.le, bottom: o.bottom };
  }

  /** The axioms of the sorts declared so far (the total orders), for every solver. */
  axioms(): readonly BoolTerm[] {
    return this.axiomList;
  }

  /** The least element of an ordered sort. */
  bottom(spec: OrderedSort): Term {
    const b = this.order(spec).bottom;
    if (!b) throw new SymbolicError(`the ordered sort ${spec.name} has no least element`);
    return b;
  }

  /** The element of a finite sort with this name. */
  el(spec: FiniteSort, name: string): Term {
    const i = spec.elements.indexOf(name);
    if (i < 0) throw new SymbolicError(`the finite sort ${spec.name} has no element ${JSON.stringify(name)} (its elements: ${spec.elements.join(', ')})`);
    return this.finite(spec).elements[i];
  }

  /** Whether a term of a finite sort is the named element. */
  is(t: Term, spec: FiniteSort, name: string): BoolTerm {
    return t.eq(this.el(spec, name));
  }

  /** Whether a term of a finite sort is one of the named elements. */
  isOneOf(t: Term, spec: FiniteSort, names: readonly string[]): BoolTerm {
    return this.or(...names.map((n) => this.is(t, spec, n)));
  }

  int(n: number): IntTerm {
    return this.z.Int.val(n);
  }

  /** The constants true and false (one term each, so that the connectives fold them by identity). */
  bool(b: boolean): BoolTerm {
    this.truth ??= [this.z.Bool.val(false), this.z.Bool.val(true)];
    return this.truth[b ? 1 : 0];
  }

  private truth?: [BoolTerm, BoolTerm];

  private isTrue(x: BoolTerm | boolean): boolean {
    return x === true || x === this.bool(true);
  }

  private isFalse(x: BoolTerm | boolean): boolean {
    return x === false || x === this.bool(false);
  }

  /**
   * A name for a term: a fresh constant defined equal to it (the definition joins the guard of the
   * action being built). Naming the values an action computes keeps the terms of the state after it
   * shallow, which the solver needs: deep if-then-else terms overflow its stack. It is also the one
   * place an action may use a quantifier ("every resource manager has prepared"): the definition is
   * then a closed formula beside the guard, and the updates stay quantifier-free.
   */
  let<T extends Term>(t: T, hint = 'let'): T {
    if (this.z.isConst(t) || this.z.isIntVal(t)) return t;
    const c = this.z.Const(`${hint}!${this.fresh++}`, t.sort) as unknown as T;
    this.definitions.push(c.eq(t));
    return c;
  }

  /** Definitions made by `let` since the last call, taken. */
  takeDefinitions(): BoolTerm[] {
    return this.definitions.splice(0, this.definitions.length);
  }

  /** A fresh constant of a sort (an existential the solver chooses). */
  constant(spec: SortSpec, hint: string): Term {
    return this.z.Const(`${hint}!${this.fresh++}`, this.sort(spec));
  }

  // -- connectives

  and(...xs: (BoolTerm | boolean)[]): BoolTerm {
    const rest: BoolTerm[] = [];
    for (const x of xs) {
      if (this.isFalse(x)) return this.bool(false);
      if (this.isTrue(x)) continue;
      rest.push(x as BoolTerm);
    }
    return rest.length === 0 ? this.bool(true) : rest.length === 1 ? rest[0] : this.z.And(...rest);
  }

  or(...xs: (BoolTerm | boolean)[]): BoolTerm {
    const rest: BoolTerm[] = [];
    for (const x of xs) {
      if (this.isTrue(x)) return this.bool(true);
      if (this.isFalse(x)) continue;
      rest.push(x as BoolTerm);
    }
    return rest.length === 0 ? this.bool(false) : rest.length === 1 ? rest[0] : this.z.Or(...rest);
  }

  not(x: BoolTerm | boolean): BoolTerm {
    if (this.isTrue(x)) return this.bool(false);
    if (this.isFalse(x)) return this.bool(true);
    return this.z.Not(x as BoolTerm);
  }

  implies(a: BoolTerm | boolean, b: BoolTerm | boolean): BoolTerm {
    return this.or(this.not(a), b);
  }

  iff(a: BoolTerm, b: BoolTerm): BoolTerm {
    return this.z.Iff(a, b);
  }

  ite<T extends Term>(c: BoolTerm | boolean, a: T, b: T): T {
    if (this.isTrue(c)) return a;
    if (this.isFalse(c)) return b;
    return this.z.If(c as BoolTerm, a, b) as unknown as T;
  }

  eq(a: Term, b: Term): BoolTerm {
    return a.eq(b);
  }

  /** a <= b, for terms of one ordered sort or integers. */
  le(a: Term | number, b: Term | number): BoolTerm {
    const [x, y] = [this.num(a), this.num(b)];
    if (this.z.isInt(x) && this.z.isInt(y)) return (x as IntTerm).le(y as IntTerm);
    const o = this.orders.get(String(x.sort.name()));
    if (!o || String(y.sort.name()) !== String(x.sort.name())) throw new SymbolicError(`${x.sort.name()} and ${y.sort.name()} cannot be compared: compare terms of one ordered sort, or integers`);
    if (x.eqIdentity(y)) return this.bool(true);
    if (o.bottom && x.eqIdentity(o.bottom)) return this.bool(true);
    return o.le.call(x as never, y as never) as unknown as BoolTerm;
  }

  /** The order relation itself applied to two elements (no simplification), for stating its facts. */
  leFact(a: Term, b: Term): BoolTerm {
    const o = this.orders.get(String(a.sort.name()));
    if (!o) throw new SymbolicError(`${a.sort.name()} is not an ordered sort`);
    return o.le.call(a as never, b as never) as unknown as BoolTerm;
  }

  lt(a: Term | number, b: Term | number): BoolTerm { return this.not(this.le(b, a)); }
  ge(a: Term | number, b: Term | number): BoolTerm { return this.le(b, a); }
  gt(a: Term | number, b: Term | number): BoolTerm { return this.not(this.le(a, b)); }

  private num(a: Term | number): Term {
    return typeof a === 'number' ? this.int(a) : a;
  }

  /** At least k of the conditions hold (a disjunction over subsets while there are at most 64 of them). */
  atLeast(k: number, xs: readonly BoolTerm[]): BoolTerm {
    if (k <= 0) return this.bool(true);
    if (k > xs.length) return this.bool(false);
    if (binomial(xs.length, k) <= 64) return this.or(...[...subsets(xs.length, k)].map((c) => this.and(...c.map((i) => xs[i]))));
    return this.z.AtLeast(xs as [BoolTerm, ...BoolTerm[]], k);
  }

  /** At most k of the conditions hold. */
  atMost(k: number, xs: readonly BoolTerm[]): BoolTerm {
    return this.not(this.atLeast(k + 1, xs));
  }

  // -- quantifiers

  /** The terms a quantifier over a finite or Boolean sort expands to, or null for a sort the solver quantifies. */
  private expansion(spec: SortSpec): Term[] | null {
    if (spec.kind === 'finite') return this.finite(spec).elements;
    if (spec.kind === 'bool') return [this.bool(false), this.bool(true)];
    return null;
  }

  /** Where a quantifier over the sort ranges: int sorts from their least value, ordered sorts above their least element. */
  range(spec: SortSpec, x: Term): BoolTerm {
    if (spec.kind === 'int' && spec.min !== undefined) return this.ge(x, spec.min);
    if (spec.kind === 'ordered' && spec.bottom && !spec.withBottom) return this.not(x.eq(this.bottom(spec)));
    return this.bool(true);
  }

  /** Every element of the sorts satisfies the body: finite sorts expanded, the others in their range. */
  forall(sorts: readonly SortSpec[], body: (...xs: any[]) => BoolTerm): BoolTerm {
    return this.quantify(true, sorts, body);
  }

  /** Some element of the sorts satisfies the body. */
  exists(sorts: readonly SortSpec[], body: (...xs: any[]) => BoolTerm): BoolTerm {
    return this.quantify(false, sorts, body);
  }

  /** The elements a quantifier over the sort ranges over in an expanded window: the window's, with an ordered sort's least element when in range. */
  private windowRange(spec: SortSpec): Term[] {
    const els = this.windowElements(spec, this.windowState ?? undefined);
    return spec.kind === 'ordered' && spec.bottom && spec.withBottom ? [this.bottom(spec), ...els] : els;
  }

  /** The state the window of an open sort is named in (while expanding). */
  windowState: State | null = null;

  private quantify(universal: boolean, sorts: readonly SortSpec[], body: (...xs: any[]) => BoolTerm): BoolTerm {
    if (this.expand && this.window !== null) {
      const go = (i: number, xs: Term[]): BoolTerm => {
        if (i === sorts.length) return body(...xs);
        const parts = this.windowRange(sorts[i]).map((e) => go(i + 1, [...xs, e]));
        return universal ? this.and(...parts) : this.or(...parts);
      };
      return go(0, []);
    }
    // One bound variable per unbounded position, shared by every expansion of the finite positions.
    const bound: Term[] = [];
    const guards: BoolTerm[] = [];
    const vars = sorts.map((spec) => {
      if (this.expansion(spec)) return null;
      const x = this.z.Const(`${(spec as { name: string }).name}!q${this.fresh++}`, this.sort(spec));
      bound.push(x);
      guards.push(this.range(spec, x));
      return x;
    });
    const go = (i: number, xs: Term[]): BoolTerm => {
      if (i === sorts.length) return body(...xs);
      const v = vars[i];
      if (v) return go(i + 1, [...xs, v]);
      const parts = this.expansion(sorts[i])!.map((e) => go(i + 1, [...xs, e]));
      return universal ? this.and(...parts) : this.or(...parts);
    };
    const inner = go(0, []);
    if (bound.length === 0) return inner;
    const guard = this.and(...guards);
    const matrix = universal ? this.implies(guard, inner) : this.and(guard, inner);
    return (universal ? this.z.ForAll(bound as never, matrix) : this.z.Exists(bound as never, matrix)) as BoolTerm;
  }

  // -- updates

  /** `f` updated at one point (when `when` holds): the function that is `value` at `at` and `f` elsewhere. */
  at<T extends Term>(f: Fn<T>, at: readonly Term[], value: T, when: BoolTerm | boolean = true): Fn<T> {
    return (...xs: Term[]) => this.ite(this.and(when, ...xs.map((x, i) => x.eq(at[i]))), value, f(...xs));
  }

  /** `next` where `cond` holds, else `f`. */
  when<T extends Term>(cond: BoolTerm | boolean, next: Fn<T>, f: Fn<T>): Fn<T> {
    return (...xs: Term[]) => this.ite(cond, next(...xs), f(...xs));
  }

  // -- windows

  /** Whether a term lies in the current window: an int sort's range (any other sort is closed by its window). */
  inWindow(spec: SortSpec, x: Term): BoolTerm {
    if (this.window === null || spec.kind !== 'int') return this.bool(true);
    const lo = spec.min ?? 0;
    return this.and(this.ge(x, lo), this.le(x, lo + this.window - 1));
  }

  /**
   * The elements of the current window of a sort, in order: every element of a finite sort, the range of
   * an int sort, the k named elements of an ordered sort (above its least element) or of an open sort.
   * `s` is the state an open sort's `window` names its elements in.
   */
  windowElements(spec: SortSpec, s?: State): Term[] {
    if (spec.kind === 'bool' || spec.kind === 'finite') return this.expansion(spec)!;
    const k = this.window;
    if (k === null) throw new SymbolicError(`the elements of ${spec.name} are listed only within a window`);
    if (spec.kind === 'int') {
      const lo = spec.min ?? 0;
      return Array.from({ length: k }, (_, i) => this.int(lo + i));
    }
    const key = `${spec.name}#${k}`;
    let out = this.windowTerms.get(key);
    if (!out) {
      if (spec.kind === 'open' && spec.window) {
        if (!s) throw new SymbolicError(`the window of ${spec.name} is named in a state`);
        out = spec.window(s, this, k);
      } else {
        out = Array.from({ length: k }, (_, i) => this.z.Const(`${spec.name}!w${k}.${i + 1}`, this.sort(spec)));
      }
      this.windowTerms.set(key, out);
    }
    return out;
  }

  /** The ordered sort of a term, if it has one. */
  orderedSortOf(t: Term): OrderedSort | undefined {
    return this.orders.get(String(t.sort.name()))?.spec;
  }
}

// ---- the state as functions ------------------------------------------------------------------------

/** The uninterpreted functions of one state, and the state made of them. */
export interface Vocabulary {
  readonly decls: ReadonlyMap<string, FuncDecl<'main'> | Term>;
  readonly state: Record<string, Fn>;
}

/** Declares a function (a constant when it has no arguments) for every variable and message relation. */
export function vocabulary(model: SymbolicModel, S: Sym, suffix: string): Vocabulary {
  const decls = new Map<string, FuncDecl<'main'> | Term>();
  const state: Record<string, Fn> = {};
  const declare = (name: string, args: readonly SortSpec[], type: SortSpec) => {
    if (args.length === 0) {
      const c = S.z.Const(`${name}${suffix}`, S.sort(type));
      decls.set(name, c);
      state[name] = () => c;
    } else {
      const f = S.z.Function.declare(`${name}${suffix}`, ...args.map((a) => S.sort(a)), S.sort(type) as never) as unknown as FuncDecl<'main'>;
      decls.set(name, f);
      // Applications are remembered by their arguments' terms (which a remembered application keeps
      // alive, so a key is never reused): windows build the same ones many times.
      const made = new Map<string, Term>();
      state[name] = (...xs: Term[]) => {
        if (xs.length !== args.length) throw new SymbolicError(`${name} takes ${args.length} argument(s), got ${xs.length}`);
        const key = xs.map((x) => x.ptr).join(',');
        let t = made.get(key);
        if (!t) made.set(key, (t = f.call(...(xs as never[])) as Term));
        return t;
      };
    }
  };
  for (const [name, v] of Object.entries(model.vars)) declare(name, v.args, v.type);
  for (const [name, m] of Object.entries(model.messages)) declare(name, m.args, boolSort);
  return { decls, state };
}

/**
 * A model's evaluator. Elements are listed by `elementsOf` (by default the current window of `S`); an
 * element of an open sort is named after its position in that list.
 */
export function evaluator(model: Model<'main'>, S: Sym, elementsOf: (spec: SortSpec) => Term[] = (spec) => S.windowElements(spec)): Evaluator {
  const value = (t: Term) => model.eval(t, true);
  const ev: Evaluator = {
    int(t) {
      const v = value(t);
      const ordered = S.orderedSortOf(t);
      if (ordered) {
        const text = v.toString();
        if (ordered.bottom && value(S.bottom(ordered)).toString() === text) return 0;
        const at = elementsOf(ordered).findIndex((e) => value(e).toString() === text);
        if (at >= 0) return at + 1;
        throw new SymbolicError(`the model gives ${text} for an element of ${ordered.name}, which is not among the elements shown`);
      }
      const n = Number(v.toString());
      if (!Number.isSafeInteger(n)) throw new SymbolicError(`the model gives ${v.toString()} for an integer term`);
      return n;
    },
    bool(t) {
      const v = value(t);
      if (S.z.isTrue(v)) return true;
      if (S.z.isFalse(v)) return false;
      throw new SymbolicError(`the model gives ${v.toString()} for a Boolean term`);
    },
    name(t, sort) {
      const v = value(t).toString();
      if (sort.kind === 'finite') {
        const at = sort.elements.findIndex((e) => v === `${sort.name}!${e}` || v === `|${sort.name}!${e}|`);
        if (at >= 0) return sort.elements[at];
      } else {
        const at = elementsOf(sort).findIndex((e) => value(e).toString() === v);
        if (at >= 0) return `${sort.prefix}${at + 1}`;
      }
      throw new SymbolicError(`the model gives ${v} for an element of ${sort.name}, which is not among the elements shown`);
    },
    elements(sort) {
      return elementsOf(sort).map((t, i): readonly [Decoded, Term] => {
        switch (sort.kind) {
          case 'bool': return [i === 1, t];
          case 'int': return [ev.int(t), t];
          case 'ordered': return [i + 1, t];
          case 'finite': return [sort.elements[i], t];
          case 'open': return [`${sort.prefix}${i + 1}`, t];
        }
      });
    },
  };
  return ev;
}

/** A term's value decoded by its sort. */
export function decodeTerm(ev: Evaluator, sort: SortSpec, t: Term): Decoded {
  switch (sort.kind) {
    case 'bool': return ev.bool(t);
    case 'int':
    case 'ordered': return ev.int(t);
    case 'finite':
    case 'open': return ev.name(t, sort);
  }
}
