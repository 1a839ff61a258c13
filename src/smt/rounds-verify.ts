/**
 * The round verifier of the zero-knowledge learning document (section 2.3), over Z3: the inputs of a
 * run are variables (every process's initial state, and the crash pattern: which processes crash, in
 * which round, and who still hears them then, at most F crashes), the transition table becomes one
 * implication per process, round and key ("own state o and heard counts c imply next state t"), and the
 * negation of the properties' conjunction is asserted. Unsat: every run meets every property. Sat: the
 * model is a run that breaks one, decoded into the `RoundRun` the exhaustive checker would report (and
 * replayed through `runRounds` to make sure).
 *
 * The heard vector is positional, as in the paper: "process p heard q in round r" is
 * `alive(q, r) ∨ (q crashes in round r ∧ p ∈ heardBy(q))`, and an unheard sender counts as Lost; the
 * table is keyed by the counts of that vector (see core/rounds.ts), so the implications test counts.
 *
 * A counterexample has the fewest crashes possible (each smaller bound is tried once a run is found),
 * as the exhaustive checker's does; among those the solver's model decides which run is shown.
 */
import { runRounds, tabulate, validateTable } from '../core/rounds.ts';
import type { Crash, RoundFunction, RoundInstance, RoundRun, RoundTable } from '../core/rounds.ts';
import { CountAtoms, matchProperties, propertyTerms, smtMeaning, tableKeys } from './round-encoding.ts';
import type { SymbolicProperty } from './round-formula.ts';
import { checkSat, finiteDomainSolver, freshContext, Smt2, term } from './z3.ts';

export interface SmtVerifyOptions {
  /** Give up after this long per solver call: verdict 'unknown'. No limit by default. */
  readonly timeoutMs?: number;
  /** Keep the SMT-LIB script in the result (`script`), e.g. to run it under native z3. */
  readonly script?: boolean;
  /** Look for a counterexample with fewer crashes once one is found; true by default. */
  readonly fewestCrashes?: boolean;
}

export interface SmtStats {
  /** Table keys encoded (those with at most F Lost). */
  readonly keys: number;
  /** Lines (declarations and assertions) of the SMT-LIB script. */
  readonly lines: number;
  /** Solver calls. */
  readonly checks: number;
  /** Building the script and handing it to Z3. */
  readonly encodeMs: number;
  /** In the solver's check calls. */
  readonly solveMs: number;
}

export type SmtRoundResult =
  | { readonly verdict: 'holds'; readonly stats: SmtStats; readonly script?: string }
  | { readonly verdict: 'fails'; readonly property: string; readonly run: RoundRun; readonly stats: SmtStats; readonly script?: string }
  | { readonly verdict: 'unknown'; readonly reason: string; readonly stats: SmtStats; readonly script?: string };

/**
 * Verifies a table (validated first) or a hand-written function (tabulated first) on every run of
 * `inst`, with `properties` the instance's properties in symbolic form (same names, same order).
 */
export async function verifyRoundsSmt(inst: RoundInstance, protocol: RoundTable | RoundFunction, properties: readonly SymbolicProperty[],
  options: SmtVerifyOptions = {}): Promise<SmtRoundResult> {
  const table = protocol.kind === 'protoforge.round-function' ? tabulate(inst, protocol) : protocol;
  validateTable(inst, table);
  matchProperties(inst, properties);
  const t0 = performance.now();
  const { n, rounds: R, crashes: F, states } = inst;
  const m = states.length;
  const smt = new Smt2();
  const keys = tableKeys(inst);
  const next = keys.map((k) => states.indexOf(table.next[k.key] ?? states[k.own]));

  // Inputs: initial states, crash rounds, who hears a crashing process in its last round.
  const x = (r: number, p: number, s: number) => smt.bool(`x${r}_${p}_${s}`);
  const c = (p: number, r: number) => smt.bool(`c${p}_${r}`);
  const h = (p: number, q: number) => smt.bool(`h${p}_${q}`);
  const others = (p: number) => Array.from({ length: n - 1 }, (_, i) => (i < p ? i : i + 1));
  const I = inst.initial.length;
  for (let p = 0; p < n; p++) {
    smt.assert(term.countIs(Array.from({ length: I }, (_, s) => x(0, p, s)), 1));
    for (let s = I; s < m; s++) smt.assert(term.not(x(0, p, s)));
    const rs = Array.from({ length: R }, (_, i) => c(p, i + 1));
    smt.assert(term.atMost(rs, 1));
    // Who hears a process that does not crash is left out of the model: fixed to nobody.
    for (const q of others(p)) smt.assert(term.implies(term.not(term.or(rs)), term.not(h(p, q))));
  }
  const allCrashes = Array.from({ length: n }, (_, p) => Array.from({ length: R }, (_, i) => c(p, i + 1))).flat();
  smt.assert(term.atMost(allCrashes, F));

  // alive(r, p): p takes the step of round r (it has not crashed in rounds 1..r).
  const alive = (r: number, p: number) => (r === 0 ? 'true' : smt.define(`a${r}_${p}`, term.not(term.or(Array.from({ length: r }, (_, i) => c(p, i + 1))))));
  const lostParts: string[] = [];
  for (let r = 1; r <= R; r++) {
    for (let p = 0; p < n; p++) {
      const a = alive(r, p);
      // heard[q]: p hears q's state of round r - 1 (p always hears itself while it is alive).
      const heard = Array.from({ length: n }, (_, q) => (q === p ? 'true' : smt.define(`g${r}_${p}_${q}`, term.or([alive(r, q), term.and([c(q, r), h(q, p)])]))));
      const carriers = [
        ...Array.from({ length: m }, (_, s) => heard.map((g, q) => term.and([g, x(r - 1, q, s)]))),
        heard.filter((_, q) => q !== p).map(term.not),
      ];
      const count = new CountAtoms(smt, `e${r}_${p}`, carriers);
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k];
        smt.assert(term.implies(term.and([a, x(r - 1, p, key.own), count.matches(key.counts)]), x(r, p, next[k])));
      }
      const here = Array.from({ length: m }, (_, s) => x(r, p, s));
      smt.assert(term.atMost(here, 1));
      smt.assert(`(= ${a} ${term.or(here)})`);
      for (const g of heard) if (g !== 'true') lostParts.push(term.and([a, term.not(g)]));
    }
  }
  const lostVar = smt.define('lost', term.or(lostParts));

  const stateTerms = Array.from({ length: R + 1 }, (_, r) => Array.from({ length: n }, (_, p) => Array.from({ length: m }, (_, s) => x(r, p, s))));
  const meaning = smtMeaning(inst, stateTerms, (p) => term.not(alive(R, p)), lostVar);
  const props = propertyTerms(properties, meaning).map((t, i) => smt.define(`prop${i}`, t));
  smt.assert(term.not(term.and(props)));
  const bounds = Array.from({ length: F }, (_, j) => smt.define(`atmost${j}`, term.atMost(allCrashes, j)));

  const ctx = await freshContext();
  const solver = finiteDomainSolver(ctx, options.timeoutMs);
  let checks = 0;
  let solveMs = 0;
  try {
    solver.fromString(smt.flush());
    const encodeMs = performance.now() - t0;
    const check = async (...assume: string[]) => {
      const s0 = performance.now();
      checks++;
      const result = await checkSat(ctx, solver, assume);
      solveMs += performance.now() - s0;
      return result;
    };
    const stats = () => ({ keys: keys.length, lines: smt.lines, checks, encodeMs, solveMs });
    const extra = () => (options.script ? { script: smt.text() } : {});
    let result = await check();
    if (result === 'unknown') return { verdict: 'unknown', reason: String(solver.reasonUnknown()), stats: stats(), ...extra() };
    if (result === 'unsat') return { verdict: 'holds', stats: stats(), ...extra() };
    let model = solver.model();
    const isTrue = (name: string) => ctx.isTrue(model.eval(ctx.Bool.const(name), true));
    if (options.fewestCrashes ?? true) {
      const found = allCrashes.filter(isTrue).length;
      for (let j = 0; j < found; j++) {
        result = await check(bounds[j]);
        if (result === 'sat') {
          model = solver.model();
          break;
        }
      }
    }
    const run = decodeRun(inst, isTrue, lostVar);
    const replay = runRounds(table, R, run.initial, run.crashes);
    if (JSON.stringify(replay) !== JSON.stringify(run)) {
      throw new Error(`the solver's run disagrees with its replay (${JSON.stringify(run)} against ${JSON.stringify(replay)}): the encoding is wrong`);
    }
    const failed = props.findIndex((p) => !(p === 'true' || (p !== 'false' && isTrue(p))));
    return { verdict: 'fails', property: properties[failed].name, run, stats: stats(), ...extra() };
  } finally {
    solver.release();
  }
}

/** The run a model describes, in the shape `runRounds` gives. */
function decodeRun(inst: RoundInstance, isTrue: (name: string) => boolean, lostTerm: string): RoundRun {
  const { n, rounds: R, states } = inst;
  const stateAt = (r: number, p: number) => {
    const s = states.findIndex((_, i) => isTrue(`x${r}_${p}_${i}`));
    return s < 0 ? null : states[s];
  };
  const initial = Array.from({ length: n }, (_, p) => stateAt(0, p)!);
  const crashes: Crash[] = [];
  for (let p = 0; p < n; p++) {
    for (let r = 1; r <= R; r++) {
      if (!isTrue(`c${p}_${r}`)) continue;
      crashes.push({ process: p, round: r, heardBy: Array.from({ length: n }, (_, q) => q).filter((q) => q !== p && isTrue(`h${p}_${q}`)) });
    }
  }
  const runStates = Array.from({ length: R + 1 }, (_, r) => Array.from({ length: n }, (_, p) => stateAt(r, p)));
  return { initial, crashes, states: runStates, lost: lostTerm === 'true' || (lostTerm !== 'false' && isTrue(lostTerm)) };
}
