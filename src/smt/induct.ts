/**
 * Inductiveness without bounds, by SMT: for a symbolic protocol (./symbolic.ts) and an invariant (a
 * conjunction of its named conjuncts), Z3 is asked whether
 *
 *     Dom(s) ∧ Inv(s) ∧ Step(s, s') ∧ ¬C(s')
 *
 * is satisfiable, for every action (an action over a finite sort once per element, or per renaming of
 * a symmetric one) and every conjunct C (of the invariant and the domain) that reads a function the
 * action changes; the others are unchanged by it. Unsat everywhere: the invariant is inductive for all
 * values of the unbounded sorts (every ballot and value, and every number of elements of an open sort).
 * Sat: a counterexample to induction, decoded into the plain shape the bounded checker
 * (src/check/induct.ts) reports: the state before, the step, the messages sent, the state after and the
 * conjuncts it breaks.
 *
 * Two passes. The first works inside a window: every open and ordered sort cut to a few elements (the
 * first of the model's window sizes; for Paxos, ballots 1..2 and values v1, v2: the bounded universe of
 * two proposers), every quantifier expanded into them, so that each call is quantifier-free. It finds
 * the counterexamples a bounded checker would. The second is without bounds: the quantifiers are the
 * solver's, in the effectively propositional fragment, and an unsatisfiable call is the proof. A call it
 * finds satisfiable is looked for again in the larger windows; in none, the solver's model is shown as
 * it is. A counterexample found in a window is then shown with the last copy of the message received,
 * if possible, and with as few messages in flight as possible; the conjuncts it breaks are those false
 * in the model after the step.
 *
 * The state after a step is not a second set of symbols: it is the state's functions rewritten by the
 * action's updates (if-then-else over the old functions), so an action adds no quantifier. The
 * initial states are checked separately: Init(s) ∧ ¬C(s) for every conjunct C.
 *
 * A delivery on a network that does not duplicate consumes one copy: the relation of that message type
 * loses the message unless another copy remains (a choice of the solver, shown as two copies in the
 * state before). Conjuncts read messages only through their relations, i.e. through which messages are
 * in flight and not how many times, so this is exactly the bag semantics of the checker.
 *
 * Every solver call has a resource budget (Z3's rlimit, deterministic, unlike a timeout); a call that
 * runs out of it makes the verdict 'unknown' unless a counterexample turns up elsewhere.
 */
import type { Model } from 'z3-solver';
import { encode } from '../core/plain.ts';
import type { InFlight } from '../core/properties.ts';
import type { Action } from '../core/trace.ts';
import { describeAction } from '../core/trace.ts';
import { decodeTerm, evaluator, SymbolicError, Sym, vocabulary } from './symbolic.ts';
import type { ActionBody, BoolTerm, Conjunct, Decoded, Evaluator, FiniteSort, Fn, OpenSort, OrderedSort, PlainState, SortSpec, SymbolicModel, Term } from './symbolic.ts';
import { inductContext } from './induct-z3.ts';

export interface SmtInductOptions {
  /** Conjunct names or presets, as a list or comma-separated. */
  readonly invariant: string | readonly string[];
  /** Give up on one solver call after this long (wall clock; `budget` is the deterministic limit). */
  readonly timeoutMs?: number;
  /** Window sizes to look for a finite counterexample in, in order (default: the model's). */
  readonly windows?: readonly number[];
  /** Try to show a counterexample with at most 0, 1, ... this many messages in flight (default 4). */
  readonly fewestMessages?: number;
  /** Take the actions of a symmetric finite sort's elements up to renaming (default true). */
  readonly symmetry?: boolean;
  /** Resource budget of one solver call, in Z3 rlimit units (deterministic, unlike a timeout; default DEFAULT_BUDGET). */
  readonly budget?: number;
  /** Called after every solver call. */
  readonly onQuery?: (q: { readonly label: string; readonly result: string; readonly ms: number }) => void;
}

export interface SmtCounterexample {
  /** `invariant`: the successor breaks a conjunct; `domain`: it leaves the domain. */
  readonly kind: 'invariant' | 'domain';
  readonly before: PlainState;
  readonly step: Action;
  readonly sent: readonly InFlight[];
  readonly after: PlainState;
  /** The conjuncts false after the step. */
  readonly violated: readonly string[];
  /** The domain constraints false after the step (kind `domain`). */
  readonly outside?: string;
  /** The symbolic action, with the elements of its finite parameters. */
  readonly action: string;
  /** The window the counterexample was found in (e.g. ballots and values 1..window, window elements of an open sort); null: none of those tried held one, and the state is the solver's own model. */
  readonly window: number | null;
}

export type SmtInductVerdict = 'inductive' | 'not inductive' | 'unknown';

export interface SmtInductResult {
  readonly model: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  /** The conjuncts, presets expanded. */
  readonly invariant: readonly string[];
  readonly verdict: SmtInductVerdict;
  readonly counterexample?: SmtCounterexample;
  /** Whether every initial state satisfies the invariant (null: the solver could not tell), and the conjuncts some initial state breaks. */
  readonly initial: { readonly holds: boolean | null; readonly violated: readonly string[] };
  /** Actions checked (one per element of their finite parameters). */
  readonly actions: number;
  /** Solver calls. */
  readonly queries: number;
  /** Why the verdict is unknown. */
  readonly reason?: string;
  readonly seconds: number;
  /** 0 inductive and true initially, 1 a counterexample to induction or an initial state that breaks the invariant, 3 unknown. */
  readonly exitCode: 0 | 1 | 3;
}

/** An invariant that names no conjunct or preset of the model. */
export class SmtInductError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmtInductError';
  }
}

/** The conjunct names of an invariant given as names and presets. */
export function resolveInvariant(model: SymbolicModel, invariant: string | readonly string[]): string[] {
  const given = (typeof invariant === 'string' ? [invariant] : invariant).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  const presets = model.presets ?? {};
  const declared = model.invariants.map((c) => c.name);
  const names: string[] = [];
  const unknown: string[] = [];
  for (const n of given) {
    const expanded = Object.hasOwn(presets, n) ? presets[n] : [n];
    for (const m of expanded) {
      if (!declared.includes(m)) unknown.push(m);
      else if (!names.includes(m)) names.push(m);
    }
  }
  const list = (xs: readonly string[]) => xs.map((x) => JSON.stringify(x)).join(', ');
  if (unknown.length > 0 || names.length === 0) {
    const presetList = Object.keys(presets);
    throw new SmtInductError(`${model.name} (symbolic) declares no invariant conjunct ${unknown.length ? list(unknown) : '(none given)'} ` +
      `(declared: ${list(declared)}${presetList.length ? `; presets: ${list(presetList)}` : ''})`);
  }
  return names;
}

/** One action with its finite parameters chosen. */
interface Instance {
  readonly label: string;
  readonly spec: SymbolicModel['actions'][number];
  readonly params: Readonly<Record<string, Term>>;
  /** The decoded value of each finite parameter. */
  readonly fixed: Readonly<Record<string, Decoded>>;
  /** The sorts of the parameters the solver chooses. */
  readonly free: readonly (readonly [string, SortSpec])[];
  readonly keep: BoolTerm;
  readonly body: ActionBody;
  readonly guard: BoolTerm;
  readonly next: Record<string, Fn>;
  /** The variables and relations the action may change. */
  readonly changes: ReadonlySet<string>;
}

type Solver = InstanceType<Sym['z']['Solver']>;

/**
 * Checks that the conjunction of the named conjuncts of `model` is inductive for every value of its
 * unbounded sorts, and that it holds in every initial state.
 *
 * Two passes over the actions, each action checked against every conjunct it may change (it reads a
 * function the action updates), one solver call each: first inside the first window (for Paxos the
 * bounded universe of the given proposers: every sort closed to a few elements, where the solver's
 * search is finite and finds counterexamples quickly), then without bounds (where an unsatisfiable call
 * is the proof). A call the second pass finds satisfiable is looked for again in the larger windows.
 * Every call has a resource budget (Z3's rlimit), so none runs away; a call that exhausts it leaves the
 * verdict unknown unless a counterexample turns up.
 */
export async function checkInductiveSmt(model: SymbolicModel, options: SmtInductOptions): Promise<SmtInductResult> {
  const started = performance.now();
  const names = resolveInvariant(model, options.invariant);
  const conjuncts = names.map((n) => model.invariants.find((c) => c.name === n)!);
  const run = new Run(model, conjuncts, options, await inductContext());
  const { S, s } = run;
  const windows = options.windows ?? model.windows ?? [1, 2, 3, 4];

  // The base case: every initial state satisfies every conjunct.
  const initial = await (async () => {
    const solver = run.solver();
    solver.add(model.init(s, S));
    const violated: string[] = [];
    let holds: boolean | null = true;
    for (const c of conjuncts) {
      solver.push();
      solver.add(S.not(c.holds(s, S)));
      const r = await run.check(solver, `initial states / ${c.name}`);
      solver.pop();
      if (r === 'sat') violated.push(c.name);
      else if (r === 'unknown') holds = null;
    }
    return { holds: violated.length > 0 ? false : holds, violated };
  })();

  const solver = run.solver();
  for (const c of [...run.domain, ...conjuncts]) solver.add(c.holds(s, S));
  let counterexample: SmtCounterexample | undefined;
  let found = false;

  // First pass: inside the first window.
  if (windows.length > 0) {
    const hit = await run.windowPass(windows[0]);
    if (hit) {
      found = true;
      counterexample = await run.counterexample(hit, windows);
    }
  }
  // Second pass: without bounds.
  let unknown = false;
  if (!found) {
    const hit = await run.pass(solver);
    unknown = run.unknown;
    if (hit) {
      found = true;
      counterexample = await run.counterexample(hit, windows.slice(1)) ?? run.unwindowed(hit);
    }
  }
  const verdict: SmtInductVerdict = found ? 'not inductive' : unknown ? 'unknown' : 'inductive';
  return {
    model: model.name,
    params: model.params,
    invariant: names,
    verdict,
    ...(counterexample ? { counterexample } : {}),
    initial,
    actions: run.instances.length,
    queries: run.queries,
    ...(verdict === 'unknown' || (found && !counterexample) ? { reason: run.reasons.join('; ') || 'no counterexample could be read from the solver' } : {}),
    seconds: (performance.now() - started) / 1000,
    exitCode: found || initial.holds === false ? 1 : verdict === 'unknown' || initial.holds === null ? 3 : 0,
  };
}

/** Default resource budget of one solver call (Z3 rlimit units). */
export const DEFAULT_BUDGET = 30_000_000;

/** A satisfiable call: an action, the conjuncts it was asked to break, and (without bounds) the model. */
interface Hit {
  readonly index: number;
  readonly model: Model<'main'> | null;
  readonly asked: readonly string[];
}

/** One check: the vocabulary, the actions, the solver calls. */
class Run {
  readonly S: Sym;
  readonly s: Record<string, Fn>;
  readonly domain: readonly Conjunct[];
  readonly instances: readonly Instance[];
  readonly reasons: string[] = [];
  queries = 0;
  unknown = false;
  private readonly reads: ReadonlyMap<string, ReadonlySet<string>>;
  private readonly opens: readonly (OpenSort | OrderedSort)[];

  constructor(readonly model: SymbolicModel, readonly conjuncts: readonly Conjunct[], readonly options: SmtInductOptions, z: Sym['z']) {
    this.S = new Sym(z);
    this.s = vocabulary(model, this.S, '').state;
    this.domain = model.domain ?? [];
    this.instances = expandActions(model, this.S, this.s, options.symmetry ?? true);
    this.reads = new Map([...conjuncts, ...this.domain].map((c) => [c.name, vocabularyOf(c, this.S, this.s)]));
    this.opens = openSorts(model);
  }

  /** A solver with the axioms of the ordered sorts (all declared with the state's functions) and the budget. */
  solver(): Solver {
    const solver = new this.S.z.Solver();
    solver.set('rlimit', this.options.budget ?? DEFAULT_BUDGET);
    if (this.options.timeoutMs !== undefined) solver.set('timeout', this.options.timeoutMs);
    for (const axiom of this.S.axioms()) solver.add(axiom);
    return solver;
  }

  async check(solver: Solver, label: string): Promise<'sat' | 'unsat' | 'unknown'> {
    this.queries++;
    const t0 = performance.now();
    // The call runs on a worker thread that does not keep node alive by itself.
    const open = setInterval(() => {}, 1 << 30);
    let r: 'sat' | 'unsat' | 'unknown';
    try {
      r = await solver.check();
    } finally {
      clearInterval(open);
    }
    if (r === 'unknown') this.reasons.push(`${label}: ${solver.reasonUnknown()}`);
    this.options.onQuery?.({ label, result: r, ms: performance.now() - t0 });
    return r;
  }

  /** The conjuncts (and domain constraints) that read something the action changes. */
  private targets(inst: Instance): Conjunct[] {
    return [...this.conjuncts, ...this.domain].filter((c) => [...this.reads.get(c.name)!].some((n) => inst.changes.has(n)));
  }

  /**
   * A solver for window k: every quantifier expanded into the window's elements (ordered sorts: the
   * least element and k elements in order; open sorts: k distinct elements; int sorts: k integers),
   * every state function's value inside the window, the domain and the invariant before the step. A
   * quantifier-free, finite problem: in effect the bounded check of that window.
   */
  private windowSolver(k: number): Solver {
    let solver = this.windowSolvers.get(k);
    if (solver) return solver;
    const { S, s, model } = this;
    const created = new S.z.Solver();
    created.set('rlimit', this.options.budget ?? DEFAULT_BUDGET);
    if (this.options.timeoutMs !== undefined) created.set('timeout', this.options.timeoutMs);
    this.inWindow(k, () => {
      const all = (spec: SortSpec): Term[] => (spec.kind === 'ordered' && spec.bottom ? [S.bottom(spec), ...S.windowElements(spec, s)] : S.windowElements(spec, s));
      for (const o of this.opens) {
        const els = all(o);
        if (els.length > 1) created.add(S.z.Distinct(...els));
        if (o.kind !== 'ordered') continue;
        for (let i = 0; i < els.length; i++) {
          for (let j = 0; j < els.length; j++) created.add(i <= j ? S.leFact(els[i], els[j]) : S.not(S.leFact(els[i], els[j])));
        }
      }
      for (const [name, v] of Object.entries(model.vars)) {
        if (v.type.kind !== 'open' && v.type.kind !== 'ordered') continue;
        const range = all(v.type);
        for (const args of tuples(v.args.map(all))) {
          const value = s[name](...args);
          created.add(S.or(...range.map((e) => value.eq(e))));
        }
      }
      if (model.window) created.add(model.window(s, S));
      for (const c of [...this.domain, ...this.conjuncts]) created.add(c.holds(s, S));
    });
    this.windowSolvers.set(k, created);
    return created;
  }

  private readonly windowSolvers = new Map<number, Solver>();
  private readonly windowInstanceLists = new Map<number, readonly Instance[]>();

  /**
   * The actions built inside window k (a quantifier in a named value of an action, e.g. "every
   * resource manager has prepared", is then expanded like the rest); the same order as `instances`.
   */
  private windowInstances(k: number): readonly Instance[] {
    let out = this.windowInstanceLists.get(k);
    if (!out) {
      out = this.inWindow(k, () => expandActions(this.model, this.S, this.s, this.options.symmetry ?? true));
      this.windowInstanceLists.set(k, out);
    }
    return out;
  }

  /** Runs `build` with quantifiers expanded into window k. */
  private inWindow<T>(k: number, build: () => T): T {
    const { S } = this;
    S.window = k;
    S.expand = true;
    S.windowState = this.s;
    try {
      return build();
    } finally {
      S.window = null;
      S.expand = false;
      S.windowState = null;
    }
  }

  /** The parameters the solver chooses, inside the current window. */
  private paramsInWindow(inst: Instance): BoolTerm[] {
    const { S } = this;
    return inst.free.map(([name, sort]) => {
      if (sort.kind === 'int') return S.inWindow(sort, inst.params[name]);
      if (sort.kind === 'bool' || sort.kind === 'finite') return S.bool(true);
      return S.or(...S.windowElements(sort, this.s).map((e) => inst.params[name].eq(e)));
    });
  }

  /** Every action against every conjunct it may change, without bounds; the first satisfiable one, with its model. */
  async pass(solver: Solver): Promise<Hit | null> {
    const S = this.S;
    for (let i = 0; i < this.instances.length; i++) {
      const inst = this.instances[i];
      const targets = this.targets(inst);
      if (targets.length === 0) continue;
      // Quantified: one call per conjunct keeps each small.
      const groups = targets.map((c) => [c]);
      solver.push();
      solver.add(inst.guard);
      try {
        for (const group of groups) {
          solver.push();
          solver.add(S.or(...group.map((c) => S.not(c.holds(inst.next, S)))));
          const r = await this.check(solver, `${inst.label} / ${group[0].name}`);
          const found = r === 'sat' ? solver.model() : null;
          solver.pop();
          if (r === 'unknown') this.unknown = true;
          if (found) return { index: i, model: found, asked: group.map((c) => c.name) };
        }
      } finally {
        solver.pop();
      }
    }
    return null;
  }

  /** Every action against the conjuncts it may change, inside window k; the first satisfiable one. */
  async windowPass(k: number): Promise<Hit | null> {
    const solver = this.windowSolver(k);
    const S = this.S;
    const instances = this.windowInstances(k);
    for (let i = 0; i < instances.length; i++) {
      const inst = instances[i];
      const targets = this.targets(inst);
      if (targets.length === 0) continue;
      // Quantifier-free: one call per action asks for any conjunct it breaks.
      solver.push();
      try {
        this.inWindow(k, () => {
          solver.add(inst.guard);
          for (const c of this.paramsInWindow(inst)) solver.add(c);
          solver.add(S.or(...targets.map((c) => S.not(c.holds(inst.next, S)))));
        });
        if ((await this.check(solver, `window ${k}: ${inst.label}`)) === 'sat') return { index: i, model: null, asked: targets.map((c) => c.name) };
      } finally {
        solver.pop();
      }
    }
    return null;
  }

  /**
   * A counterexample for the action of `hit` in the first of `windows` that holds one (with the last
   * copy of the message received if possible, then as few messages in flight as possible), decoded;
   * the conjuncts it breaks are those false after the step in the model.
   */
  async counterexample(hit: Hit, windows: readonly number[]): Promise<SmtCounterexample | undefined> {
    const { S, s, model } = this;
    const z = S.z;
    const fewest = this.options.fewestMessages ?? 4;
    for (const k of windows) {
      const solver = this.windowSolver(k);
      const inst = this.windowInstances(k)[hit.index];
      solver.push();
      try {
        const after = this.inWindow(k, () => {
          solver.add(inst.guard);
          for (const c of this.paramsInWindow(inst)) solver.add(c);
          const v = this.conjuncts.map((c) => [c.name, c.holds(inst.next, S)] as const);
          const d = this.domain.map((c) => [c.name, c.holds(inst.next, S)] as const);
          solver.add(S.or(...[...v, ...d].map((x) => S.not(x[1]))));
          return { v, d };
        });
        if ((await this.check(solver, `window ${k}: ${inst.label}, counterexample`)) !== 'sat') continue;
        let found = solver.model();
        if (inst.body.receive && !model.duplicating && z.isTrue(found.eval(inst.keep, true))) {
          solver.push();
          solver.add(S.not(inst.keep));
          const r = await this.check(solver, `window ${k}: ${inst.label}, last copy`);
          if (r === 'sat') found = solver.model();
          solver.pop();
          if (r === 'sat') solver.add(S.not(inst.keep));
        }
        const points = this.inWindow(k, () => messagePoints(model, S, s));
        const inFlight = points.filter((p) => z.isTrue(found.eval(p, true))).length;
        for (let m = 0; m < Math.min(fewest + 1, inFlight) && points.length > 0; m++) {
          solver.push();
          solver.add(z.AtMost(points as [BoolTerm, ...BoolTerm[]], m));
          const r = await this.check(solver, `window ${k}: ${inst.label}, at most ${m} messages`);
          if (r === 'sat') found = solver.model();
          solver.pop();
          if (r === 'sat') break;
        }
        const final = found;
        const falseIn = (xs: readonly (readonly [string, BoolTerm])[]) => xs.filter(([, t]) => !z.isTrue(final.eval(t, true))).map(([n]) => n);
        return this.inWindow(k, () => decodeCounterexample(model, s, inst, evaluator(final, S, (spec) => S.windowElements(spec, s)), k, falseIn(after.v), falseIn(after.d)));
      } finally {
        solver.pop();
      }
    }
    return undefined;
  }

  /**
   * The counterexample of `hit` outside every window: the solver's model, on the elements it chose. Its
   * `violated` names the conjuncts the call was asked about (others may be false too).
   */
  unwindowed(hit: Hit): SmtCounterexample | undefined {
    const { S, s, model } = this;
    const z = S.z;
    const found = hit.model;
    if (!found) return undefined;
    const inst = this.instances[hit.index];
    const universe = (o: OpenSort | OrderedSort): Term[] => {
      const els = found.sortUniverse(S.sort(o) as never);
      let out = Array.from({ length: els.length() }, (_, i) => els.get(i) as Term);
      if (o.kind === 'ordered') {
        const bottom = o.bottom ? found.eval(S.bottom(o), true).toString() : null;
        out = out.filter((e) => e.toString() !== bottom);
        out.sort((a, b) => (z.isTrue(found.eval(S.le(a, b), true)) ? -1 : 1));
      }
      return out;
    };
    const ev = evaluator(found, S, (spec) => {
      if (spec.kind === 'open' || spec.kind === 'ordered') return universe(spec);
      if (spec.kind === 'int') throw new SymbolicError(`a counterexample outside every window cannot list the integers of ${spec.name}`);
      return S.windowElements(spec, s);
    });
    const domainNames = new Set(this.domain.map((c) => c.name));
    return decodeCounterexample(model, s, inst, ev, null, hit.asked.filter((n) => !domainNames.has(n)), hit.asked.filter((n) => domainNames.has(n)));
  }

}

/** The state functions a conjunct reads. */
function vocabularyOf(c: Conjunct, S: Sym, s: Record<string, Fn>): Set<string> {
  const read = new Set<string>();
  const spy: Record<string, Fn> = {};
  for (const [name, f] of Object.entries(s)) spy[name] = (...xs: Term[]) => { read.add(name); return f(...xs); };
  c.holds(spy, S);
  return read;
}

/**
 * The combinations of a parameter list's finite elements: every one, or, for the parameters of a
 * symmetric sort, one per renaming (each parameter takes an element already taken or the next new one).
 */
function* finiteChoices(params: readonly (readonly [string, FiniteSort])[], symmetry: boolean): Generator<Record<string, string>> {
  const go = function* (i: number, chosen: Record<string, string>, used: Map<string, number>): Generator<Record<string, string>> {
    if (i === params.length) { yield { ...chosen }; return; }
    const [name, sort] = params[i];
    const limit = symmetry && sort.symmetric ? Math.min(sort.elements.length, (used.get(sort.name) ?? 0) + 1) : sort.elements.length;
    for (let e = 0; e < limit; e++) {
      const before = used.get(sort.name) ?? 0;
      if (symmetry && sort.symmetric) used.set(sort.name, Math.max(before, e + 1));
      chosen[name] = sort.elements[e];
      yield* go(i + 1, chosen, used);
      used.set(sort.name, before);
    }
  };
  yield* go(0, {}, new Map());
}

/** Every action once per combination of its finite parameters, with its guard and the state after it. */
function expandActions(model: SymbolicModel, S: Sym, s: Record<string, Fn>, symmetry: boolean): Instance[] {
  const out: Instance[] = [];
  for (const spec of model.actions) {
    const entries = Object.entries(spec.params);
    const finite = entries.filter((e): e is [string, FiniteSort] => e[1].kind === 'finite');
    const free = entries.filter(([, sort]) => sort.kind !== 'finite');
    for (const choice of finiteChoices(finite, symmetry)) {
      const params: Record<string, Term> = {};
      for (const [name, sort] of finite) params[name] = S.el(sort, choice[name]);
      for (const [name, sort] of free) params[name] = S.constant(sort, `${spec.name}.${name}`);
      const keep = S.constant({ kind: 'bool' }, `${spec.name}.keep`) as BoolTerm;
      S.takeDefinitions();
      const body = spec.apply(s, params, S);
      const definitions = S.takeDefinitions();
      const ranges = free.map(([name, sort]) => S.range(sort, params[name]));
      const fixedText = Object.entries(choice).map(([k, v]) => `${k}=${v}`).join(' ');
      const changes = new Set([
        ...Object.keys(body.update ?? {}),
        ...(body.send ?? []).map((m) => m.type),
        ...(body.receive && !model.duplicating ? [body.receive.type] : []),
      ]);
      out.push({
        label: fixedText ? `${spec.name} (${fixedText})` : spec.name,
        spec, params, fixed: choice, free, keep, body, changes,
        guard: S.and(...ranges, ...definitions, body.guard ?? true, body.receive ? s[body.receive.type](...body.receive.args) as BoolTerm : true),
        next: successor(model, S, s, body, keep),
      });
    }
  }
  return out;
}
/** The state after an action: its updates, the message it consumed, the messages it sent. */
function successor(model: SymbolicModel, S: Sym, s: Record<string, Fn>, body: ActionBody, keep: BoolTerm): Record<string, Fn> {
  const next: Record<string, Fn> = { ...s };
  for (const [name, f] of Object.entries(body.update ?? {})) {
    if (!(name in model.vars)) throw new SymbolicError(`an action of ${model.name} updates ${JSON.stringify(name)}, which is not a state variable`);
    next[name] = f as Fn;
  }
  const sends = body.send ?? [];
  for (const send of sends) if (!(send.type in model.messages)) throw new SymbolicError(`an action of ${model.name} sends ${JSON.stringify(send.type)}, which is not a message type`);
  if (body.receive && !(body.receive.type in model.messages)) throw new SymbolicError(`an action of ${model.name} receives ${JSON.stringify(body.receive.type)}, which is not a message type`);
  for (const type of Object.keys(model.messages)) {
    const mine = sends.filter((x) => x.type === type);
    const consumed = body.receive?.type === type && !model.duplicating ? body.receive : undefined;
    if (mine.length === 0 && !consumed) continue;
    const old = s[type];
    next[type] = (...xs: Term[]) => {
      const same = (args: readonly (Term | null)[]) => S.and(...xs.map((x, i) => (args[i] === null ? true : x.eq(args[i]!))));
      const stays = consumed ? S.and(old(...xs) as BoolTerm, S.or(keep, S.not(same(consumed.args)))) : old(...xs) as BoolTerm;
      return S.or(stays, ...mine.map((m) => S.and(m.when ?? true, same(m.args))));
    };
  }
  return next;
}

/** The open and ordered sorts a model uses anywhere (a window closes each of them). */
function openSorts(model: SymbolicModel): (OpenSort | OrderedSort)[] {
  const out = new Map<string, OpenSort | OrderedSort>();
  const visit = (x: SortSpec) => { if (x.kind === 'open' || x.kind === 'ordered') out.set(x.name, x); };
  for (const v of Object.values(model.vars)) { v.args.forEach(visit); visit(v.type); }
  for (const m of Object.values(model.messages)) m.args.forEach(visit);
  for (const a of model.actions) Object.values(a.params).forEach(visit);
  return [...out.values()];
}

/** Every message of the window that may be in flight before the step. */
function messagePoints(model: SymbolicModel, S: Sym, s: Record<string, Fn>): BoolTerm[] {
  const out: BoolTerm[] = [];
  for (const [type, spec] of Object.entries(model.messages)) {
    for (const args of tuples(spec.args.map((a) => S.windowElements(a, s)))) out.push(s[type](...args) as BoolTerm);
  }
  return out;
}

function* tuples<T>(lists: readonly (readonly T[])[]): Generator<T[]> {
  if (lists.some((l) => l.length === 0)) return;
  const pos = new Array<number>(lists.length).fill(0);
  for (;;) {
    yield pos.map((p, i) => lists[i][p]);
    let i = lists.length - 1;
    while (i >= 0 && ++pos[i] === lists[i].length) pos[i--] = 0;
    if (i < 0) return;
  }
}

/** The messages in flight in a state: every tuple of the shown elements in each relation. */
function decodeMessages(model: SymbolicModel, ev: Evaluator, st: Record<string, Fn>): InFlight[] {
  const out: InFlight[] = [];
  for (const [type, spec] of Object.entries(model.messages)) {
    const lists = spec.args.map((a) => ev.elements(a));
    for (const combo of tuples(lists)) {
      if (ev.bool(st[type](...combo.map((c) => c[1])))) out.push(spec.decode(combo.map((c) => c[0])));
    }
  }
  return out;
}

function decodeState(model: SymbolicModel, ev: Evaluator, st: Record<string, Fn>): PlainState {
  const nodes = model.decode(st, ev);
  return { states: nodes.states, timers: nodes.timers, messages: decodeMessages(model, ev, st) };
}

function decodeCounterexample(
  model: SymbolicModel, s: Record<string, Fn>, inst: Instance, ev: Evaluator, window: number | null,
  violated: readonly string[], outside: readonly string[],
): SmtCounterexample {
  const params: Record<string, Decoded> = { ...inst.fixed };
  for (const [name, sort] of inst.free) params[name] = decodeTerm(ev, sort, inst.params[name]);
  const messageOf = (type: string, args: readonly Term[]) => model.messages[type].decode(args.map((a, i) => decodeTerm(ev, model.messages[type].args[i], a)));
  const before = decodeState(model, ev, s);
  let step: Action;
  const receive = inst.body.receive;
  if (receive) {
    const m = messageOf(receive.type, receive.args);
    step = { kind: 'deliver', node: m.to, from: m.from, msg: m.msg };
    // Another copy stays in flight: the bag held two.
    if (!model.duplicating && ev.bool(inst.keep)) {
      const at = before.messages.findIndex((x) => encode(x) === encode(m));
      (before.messages as InFlight[]).splice(at + 1, 0, m);
    }
  } else {
    if (!inst.spec.step) throw new SymbolicError(`the action ${inst.spec.name} of ${model.name} receives no message and declares no step`);
    step = inst.spec.step(params);
  }
  const sent = (inst.body.send ?? []).filter((m) => m.when === undefined || ev.bool(m.when)).flatMap((m) => {
    // A position left open (null) is every element of its sort: a broadcast.
    const lists = m.args.map((a, i) => (a === null ? ev.elements(model.messages[m.type].args[i]).map((e) => e[1]) : [a]));
    return [...tuples(lists)].map((args) => messageOf(m.type, args));
  });
  const after = decodeState(model, ev, inst.next);
  const label = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
  return {
    kind: violated.length > 0 ? 'invariant' : 'domain',
    before, step, sent, after, violated,
    ...(outside.length > 0 ? { outside: `the successor breaks the domain constraint${outside.length > 1 ? 's' : ''} ${outside.join(', ')}` } : {}),
    action: label ? `${inst.spec.name} (${label})` : inst.spec.name,
    window,
  };
}

/** What a symbolic protocol declares, for listings: its conjuncts, domain constraints, presets and actions. */
export interface SymbolicModelInfo {
  readonly invariants: readonly string[];
  readonly domain: readonly string[];
  readonly presets: Readonly<Record<string, readonly string[]>>;
  readonly actions: readonly string[];
  readonly windows: readonly number[];
}

export function describeSymbolicModel(model: SymbolicModel): SymbolicModelInfo {
  return {
    invariants: model.invariants.map((c) => c.name),
    domain: (model.domain ?? []).map((c) => c.name),
    presets: model.presets ?? {},
    actions: model.actions.map((a) => a.name),
    windows: model.windows ?? [1, 2, 3, 4],
  };
}

// ---- text -----------------------------------------------------------------------------------------

function describeInFlight(m: InFlight): string {
  const { type, ...rest } = m.msg;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${encode(v)}`).join(' ');
  return `${type}${fields ? ' ' + fields : ''} (${m.from} -> ${m.to})`;
}

function describeState(s: PlainState, indent: string): string[] {
  const lines = Object.entries(s.states).map(([id, st]) => {
    const timers = s.timers[id] ?? [];
    return `${indent}${id}: ${encode(st)}${timers.length ? `  timers [${timers.join(', ')}]` : ''}`;
  });
  lines.push(`${indent}in flight: ${s.messages.length === 0 ? 'nothing' : s.messages.map(describeInFlight).join(', ')}`);
  return lines;
}

/** A counterexample as text, in the bounded checker's layout. */
export function formatSmtCounterexample(cti: SmtCounterexample): string {
  const where = cti.window === null ? 'in no window tried: the solver\'s own model' : `within window ${cti.window}`;
  const lines = [`A state that satisfies the invariant (${where}):`, ...describeState(cti.before, '  '), `Step: ${describeAction(cti.step)}  [${cti.action}]`];
  if (cti.sent.length > 0) lines.push(`  sends ${cti.sent.map(describeInFlight).join(', ')}`);
  lines.push('The successor:', ...describeState(cti.after, '  '));
  if (cti.kind === 'invariant') lines.push(`It breaks ${cti.violated.join(', ')}.`);
  if (cti.outside) lines.push(`It leaves the domain: ${cti.outside}.`);
  return lines.join('\n');
}

/** The whole result as text. */
export function formatSmtInductResult(r: SmtInductResult): string {
  const params = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const lines = [
    `${r.model} (${params}), symbolic: invariant ${r.invariant.join(' & ')}`,
    `${r.actions} actions, ${r.queries} solver calls in ${r.seconds.toFixed(1)} s`,
  ];
  if (r.verdict === 'inductive') lines.push('Inductive for every value of the unbounded sorts.');
  else if (r.verdict === 'unknown') lines.push(`Unknown: the solver gave no answer (${r.reason}).`);
  else lines.push('Not inductive. Counterexample to induction:', formatSmtCounterexample(r.counterexample!));
  if (r.initial.holds === true) lines.push('Every initial state satisfies the invariant.');
  else if (r.initial.holds === false) lines.push(`An initial state breaks ${r.initial.violated.join(', ')}.`);
  else lines.push('Whether every initial state satisfies the invariant is unknown.');
  return lines.join('\n');
}

/** The result as JSON-ready data. */
export function smtInductResultJson(r: SmtInductResult): unknown {
  return JSON.parse(JSON.stringify(r));
}
