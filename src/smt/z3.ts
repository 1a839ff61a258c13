/**
 * The Z3 solver (the `z3-solver` package: Z3 compiled to WebAssembly, run on Emscripten threads),
 * loaded once per process on first use.
 *
 * Exiting: in z3-solver 5.2.0 an idle worker thread is weakly referenced (`worker.unref()`), so node
 * exits by itself once no `check()` is pending; nothing needs to be called for a script or a test
 * file to end. `closeZ3()` ends the threads at once (z3-solver's `killThreads`, which calls
 * `em.PThread.terminateAllThreads()` and waits until none is left), for a long-lived process that is
 * done with the solver; the next `z3()` loads it again.
 */
import { init, killThreads } from 'z3-solver';
import type { Context } from 'z3-solver';

export type Z3Api = Awaited<ReturnType<typeof init>>;
export type Z3Context = Context<'main'>;

let loading: Promise<Z3Api> | null = null;

/** The solver's API, loaded once per process. */
export function z3(): Promise<Z3Api> {
  loading ??= init();
  return loading;
}

/**
 * A new Z3 context. Each verification and synthesis gets its own, so that its result depends on its
 * inputs only: in one shared context, terms made by earlier calls change the numbering of later ones
 * and with it which model (which counterexample, which table) the solver happens to return. A context
 * is deleted when it is garbage-collected.
 */
export async function freshContext(): Promise<Z3Context> {
  return (await z3()).Context('main');
}

/**
 * A solver for finite-domain problems (Z3's QF_FD: Booleans and pseudo-Boolean constraints go to its
 * SAT core), several times faster on these encodings than the default solver.
 */
export function finiteDomainSolver(ctx: Z3Context, timeoutMs?: number) {
  // The typings list no argument, but the constructor takes a logic name (Z3_mk_solver_for_logic).
  const solver = new (ctx.Solver as unknown as new (logic: string) => InstanceType<Z3Context['Solver']>)('QF_FD');
  if (timeoutMs !== undefined) solver.set('timeout', timeoutMs);
  return solver;
}

/**
 * `solver.check`, holding the event loop open meanwhile: the check runs on a worker thread that
 * Emscripten marks weakly referenced, and a pending promise alone does not keep node running, so a
 * script whose only work is a long check could otherwise end (exit code 13, an unsettled top-level
 * await) before the answer arrives.
 */
export async function checkSat(ctx: Z3Context, solver: InstanceType<Z3Context['Solver']>, assumptions: readonly string[] = []) {
  const open = setInterval(() => {}, 1 << 30);
  try {
    return await solver.check(...assumptions.map((name) => ctx.Bool.const(name)));
  } finally {
    clearInterval(open);
  }
}

/** Ends Z3's worker threads now (see above); safe to call when Z3 was never loaded. */
export async function closeZ3(): Promise<void> {
  if (!loading) return;
  const api = await loading;
  loading = null;
  await killThreads(api.em);
}

/**
 * An SMT-LIB 2 script written incrementally: constants are declared once, on first use, and each
 * `flush()` hands the solver what was added since the last one. Text rather than API objects keeps the
 * encoding fast to build in WebAssembly and printable (`text()`), e.g. to run it under native z3.
 */
export class Smt2 {
  private readonly declared = new Set<string>();
  private pending: string[] = [];
  private readonly all: string[] = [];

  /** Declares a Boolean constant (once) and returns its name. */
  bool(name: string): string {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.push(`(declare-const ${name} Bool)`);
    }
    return name;
  }

  /** Asserts a term unless it is the constant true. */
  assert(term: string): void {
    if (term !== 'true') this.push(`(assert ${term})`);
  }

  /**
   * A constant `name` equal to `term` (or the term itself when it is a constant or a name). Defining a
   * name again returns it without a second definition: a name stands for one term.
   */
  define(name: string, term: string): string {
    if (/^[\w!.$-]+$/.test(term)) return term;
    if (this.declared.has(name)) return name;
    this.bool(name);
    this.push(`(assert (= ${name} ${term}))`);
    return name;
  }

  private push(line: string): void {
    this.pending.push(line);
    this.all.push(line);
  }

  /** What was added since the last flush. */
  flush(): string {
    const text = this.pending.join('\n');
    this.pending = [];
    return text;
  }

  /** The whole script so far, with a check-sat, to run elsewhere. */
  text(): string {
    return [...this.all, '(check-sat)', ''].join('\n');
  }

  get lines(): number {
    return this.all.length;
  }
}

/** Propositional terms as SMT-LIB text, folding the constants true and false away. */
export const term = {
  not(a: string): string {
    if (a === 'true') return 'false';
    if (a === 'false') return 'true';
    const m = /^\(not (.*)\)$/s.exec(a);
    if (m && balanced(m[1])) return m[1];
    return `(not ${a})`;
  },
  and(args: readonly string[]): string {
    if (args.includes('false')) return 'false';
    const rest = [...new Set(args.filter((a) => a !== 'true'))];
    return rest.length === 0 ? 'true' : rest.length === 1 ? rest[0] : `(and ${rest.join(' ')})`;
  },
  or(args: readonly string[]): string {
    if (args.includes('true')) return 'true';
    const rest = [...new Set(args.filter((a) => a !== 'false'))];
    return rest.length === 0 ? 'false' : rest.length === 1 ? rest[0] : `(or ${rest.join(' ')})`;
  },
  implies(a: string, b: string): string {
    return term.or([term.not(a), b]);
  },
  /** Exactly `k` of the arguments hold. */
  countIs(args: readonly string[], k: number): string {
    const free = args.filter((a) => a !== 'true' && a !== 'false');
    const need = k - args.filter((a) => a === 'true').length;
    if (need < 0 || need > free.length) return 'false';
    if (need === 0) return term.and(free.map(term.not));
    if (need === free.length) return term.and(free);
    return `((_ pbeq ${need} ${free.map(() => '1').join(' ')}) ${free.join(' ')})`;
  },
  /** At most `k` of the arguments hold. */
  atMost(args: readonly string[], k: number): string {
    const free = args.filter((a) => a !== 'true' && a !== 'false');
    const left = k - args.filter((a) => a === 'true').length;
    if (left < 0) return 'false';
    if (left >= free.length) return 'true';
    if (left === 0) return term.and(free.map(term.not));
    return `((_ at-most ${left}) ${free.join(' ')})`;
  },
};

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}
