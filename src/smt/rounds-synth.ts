/**
 * Exact synthesis of a round protocol: the transition table itself is the unknown. Every table key an
 * instance can reach (own state + heard counts, at most F Lost) gets a one-hot next-state variable, and
 * counterexample-guided inductive synthesis (CEGIS) alternates two steps:
 *
 * 1. solve: find a table under which every run of a finite set (initial assignment + crash pattern,
 *    the failure-free runs to start with) meets every property: a run's states are terms over the
 *    table's variables, round by round;
 * 2. check: `checkRounds` the candidate over every run; if it holds, it is the answer, otherwise its
 *    counterexample joins the set.
 *
 * Unsat in step 1 proves that no table over these states and rounds exists at all, since the set is a
 * subset of the runs every table must pass; the proof is the unsat core, a handful of runs that already
 * admit no table (made minimal by deletion). The loop ends: each counterexample is a run the set did not
 * hold (a candidate that passed it fails it), and there are finitely many runs.
 *
 * Safety properties alone are met by the table that never moves, so the caller states an obligation to
 * decide (`progress`) explicitly, or passes null to ask for safety only.
 */
import { checkRounds } from '../check/rounds.ts';
import { instantiateRounds, playRounds, RoundsError } from '../core/rounds.ts';
import type { Crash, RoundInstance, RoundProblem, RoundTable } from '../core/rounds.ts';
import { CountAtoms, matchProperties, propertyTerms, smtMeaning, tableKeys } from './round-encoding.ts';
import type { Key } from './round-encoding.ts';
import { toRoundProperty } from './round-formula.ts';
import type { SymbolicProperty } from './round-formula.ts';
import { checkSat, finiteDomainSolver, freshContext, Smt2, term } from './z3.ts';

/** The inputs of one run: who starts where, and who crashes when. */
export interface RoundScenario {
  readonly initial: readonly string[];
  readonly crashes: readonly Crash[];
}

export interface SynthOptions {
  /** The instance's properties in symbolic form (same names, same order). */
  readonly properties: readonly SymbolicProperty[];
  /** The obligation to decide, required on top of the properties; null asks for safety only. */
  readonly progress: SymbolicProperty | null;
  /** The most solve-check rounds; 10000 by default. */
  readonly maxIterations?: number;
  /** Per solver call; verdict 'unknown' when it runs out. No limit by default. */
  readonly timeoutMs?: number;
  /** Shrink the unsat core to a minimal one (each run in it needed); true by default. */
  readonly minimizeCore?: boolean;
  /** Drop the entries no run reaches from the table found; true by default. */
  readonly prune?: boolean;
  /**
   * Then drop every entry whose removal (the process keeps its state there) the checker still proves,
   * one at a time in key order: a table with no entry that can go. False by default.
   */
  readonly simplify?: boolean;
  /** States a process never leaves once in them (decisions, say): their keys get no variable. */
  readonly absorbing?: readonly string[];
  readonly onIteration?: (report: { readonly iteration: number; readonly runs: number; readonly verdict: 'candidate' | 'unsat'; readonly failed?: string }) => void;
}

interface SynthCommon {
  /** Solve-check rounds. */
  readonly iterations: number;
  /** Runs in the set when the loop ended. */
  readonly runs: number;
  /** Runs `checkRounds` went through over all candidates. */
  readonly checkedRuns: number;
  /** Table keys with a variable. */
  readonly keys: number;
  readonly solveMs: number;
  readonly totalMs: number;
}

export type SynthResult =
  /** `table` holds on every run (checkRounds said so), the progress property included. */
  | ({ readonly verdict: 'found'; readonly table: RoundTable } & SynthCommon)
  /** No table over these states and rounds exists: already these runs admit none. */
  | ({ readonly verdict: 'impossible'; readonly core: readonly RoundScenario[] } & SynthCommon)
  | ({ readonly verdict: 'unknown'; readonly reason: string } & SynthCommon);

/** The instance with the progress property added (as the exhaustive checker's RoundProperty). */
export function withProgress(inst: RoundInstance, progress: SymbolicProperty | null): RoundInstance {
  if (!progress) return inst;
  if (inst.properties.some((p) => p.name === progress.name)) throw new RoundsError(`${inst.problem.name} already has a property named ${progress.name}`);
  return { ...inst, properties: [...inst.properties, toRoundProperty(progress)] };
}

/** Every crash pattern (fewest crashes first) times every initial assignment. */
export function* allScenarios(inst: RoundInstance): Generator<RoundScenario> {
  const { n, rounds, crashes: most } = inst;
  const patterns: Crash[][] = [];
  const pick = (from: number, left: number, chosen: Crash[]) => {
    if (left === 0) {
      patterns.push(chosen);
      return;
    }
    for (let p = from; p < n; p++) {
      const others = Array.from({ length: n }, (_, q) => q).filter((q) => q !== p);
      for (let r = 1; r <= rounds; r++) {
        for (let mask = 0; mask < 2 ** others.length; mask++) {
          pick(p + 1, left - 1, [...chosen, { process: p, round: r, heardBy: others.filter((_, i) => mask & (1 << i)) }]);
        }
      }
    }
  };
  for (let j = 0; j <= Math.min(most, n); j++) pick(0, j, []);
  const I = inst.initial.length;
  for (const crashes of patterns) {
    for (let k = 0; k < I ** n; k++) {
      const initial = Array.from({ length: n }, (_, p) => inst.initial[Math.floor(k / I ** (n - 1 - p)) % I]);
      yield { initial, crashes };
    }
  }
}

/**
 * The order in which `checkRounds` (and `allScenarios`) meet scenarios: fewest crashes first, then the
 * crashes by process, round and the set that still hears it, then the initial assignment.
 */
export function scenarioOrder(inst: RoundInstance): (a: RoundScenario, b: RoundScenario) => number {
  const rank = (sc: RoundScenario): number[] => [
    sc.crashes.length,
    ...sc.crashes.flatMap((c) => [c.process, c.round, c.heardBy.reduce((mask, q) => mask | (1 << (q < c.process ? q : q - 1)), 0)]),
    ...sc.initial.map((s) => inst.initial.indexOf(s)),
  ];
  return (a, b) => {
    const x = rank(a);
    const y = rank(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
}

/** The table without the entries that no run of `inst` reaches (every run behaves the same). */
export function pruneTable(inst: RoundInstance, table: RoundTable): RoundTable {
  const used = new Set<string>();
  for (const s of allScenarios(inst)) {
    playRounds(table.states, inst.rounds, s.initial, s.crashes, (_p, key, own) => {
      used.add(key);
      return table.next[key] ?? own;
    });
  }
  return { ...table, next: Object.fromEntries(Object.entries(table.next).filter(([k]) => used.has(k))) };
}

/** The table without each entry, in key order, whose removal `checkRounds` still proves on `inst`. */
export function simplifyTable(inst: RoundInstance, table: RoundTable): RoundTable {
  const next: Record<string, string> = { ...table.next };
  for (const key of Object.keys(table.next).sort()) {
    const to = next[key];
    delete next[key];
    if (checkRounds(inst, { ...table, next }).verdict !== 'holds') next[key] = to;
  }
  return { ...table, next: Object.fromEntries(Object.keys(table.next).filter((k) => k in next).map((k) => [k, next[k]])) };
}

/** Synthesizes a table for `inst` meeting its properties and `progress`, or proves there is none. */
export async function synthesizeRounds(inst: RoundInstance, options: SynthOptions): Promise<SynthResult> {
  matchProperties(inst, options.properties);
  const t0 = performance.now();
  const target = withProgress(inst, options.progress);
  const symbolic = options.progress ? [...options.properties, options.progress] : options.properties;
  const { n, rounds: R, states } = inst;
  const m = states.length;
  const keys = tableKeys(inst);
  const keyIndex = new Map(keys.map((k, i) => [k.key, i]));
  const byLost = new Map<number, Key[]>();
  for (const k of keys) byLost.set(k.counts[m], [...(byLost.get(k.counts[m]) ?? []), k]);
  const smt = new Smt2();
  const t = (k: number, s: number) => smt.bool(`t${k}_${s}`);
  for (let k = 0; k < keys.length; k++) smt.assert(term.countIs(Array.from({ length: m }, (_, s) => t(k, s)), 1));
  for (const a of options.absorbing ?? []) {
    const i = states.indexOf(a);
    if (i < 0) throw new RoundsError(`absorbing state ${JSON.stringify(a)} is not a state of ${inst.problem.name} (declared: ${states.join(', ')})`);
    keys.forEach((key, k) => { if (key.own === i) smt.assert(t(k, i)); });
  }

  const scenarios: RoundScenario[] = [];
  const seen = new Set<string>();
  const guards: string[] = [];
  const addRun = (sc: RoundScenario) => {
    const j = scenarios.length;
    scenarios.push(sc);
    seen.add(JSON.stringify(sc));
    const u = smt.bool(`u${j}`);
    guards.push(u);
    encodeRun(sc, j, u);
  };

  function encodeRun(sc: RoundScenario, j: number, u: string) {
    const crashRound = new Array<number>(n).fill(Infinity);
    const heardBy: (readonly number[])[] = new Array(n).fill([]);
    for (const c of sc.crashes) {
      crashRound[c.process] = c.round;
      heardBy[c.process] = c.heardBy;
    }
    const S: string[][][] = [sc.initial.map((b) => states.map((s) => (s === b ? 'true' : 'false')))];
    let lostRun = false;
    for (let r = 1; r <= R; r++) {
      const row: string[][] = [];
      for (let p = 0; p < n; p++) {
        if (crashRound[p] <= r) {
          row.push(states.map(() => 'false'));
          continue;
        }
        const H = Array.from({ length: n }, (_, q) => q).filter((q) => crashRound[q] > r || (crashRound[q] === r && heardBy[q].includes(p)));
        const lostCount = n - H.length;
        if (lostCount > 0) lostRun = true;
        const prev = S[r - 1];
        const concrete = H.every((q) => prev[q].every((v) => v === 'true' || v === 'false'));
        if (concrete) {
          const counts = new Array<number>(m + 1).fill(0);
          for (const q of H) counts[prev[q].indexOf('true')]++;
          counts[m] = lostCount;
          const k = keys.findIndex((key) => key.own === prev[p].indexOf('true') && key.counts.every((c, i) => c === counts[i]));
          row.push(states.map((_, s) => t(k, s)));
          continue;
        }
        const y = states.map((_, s) => smt.bool(`y${j}_${r}_${p}_${s}`));
        const carriers = [...states.map((_, s) => H.map((q) => prev[q][s])), Array.from({ length: lostCount }, () => 'true')];
        const count = new CountAtoms(smt, `e${j}_${r}_${p}`, carriers);
        for (const key of byLost.get(lostCount) ?? []) {
          const cond = term.and([u, prev[p][key.own], count.matches(key.counts)]);
          if (cond === 'false') continue;
          const k = keyIndex.get(key.key)!;
          smt.assert(term.implies(cond, term.and(y.map((v, s) => `(= ${v} ${t(k, s)})`))));
        }
        row.push(y);
      }
      S.push(row);
    }
    const meaning = smtMeaning(inst, S, (p) => (crashRound[p] <= R ? 'true' : 'false'), lostRun ? 'true' : 'false');
    smt.assert(term.implies(u, term.and(propertyTerms(symbolic, meaning))));
  }

  const ctx = await freshContext();
  const solver = finiteDomainSolver(ctx, options.timeoutMs);
  let solveMs = 0;
  let checkedRuns = 0;
  let iterations = 0;
  const check = async (assume: readonly string[]) => {
    solver.fromString(smt.flush());
    const s0 = performance.now();
    const result = await checkSat(ctx, solver, assume);
    solveMs += performance.now() - s0;
    return result;
  };
  const common = () => ({ iterations, runs: scenarios.length, checkedRuns, keys: keys.length, solveMs, totalMs: performance.now() - t0 });
  const maxIterations = options.maxIterations ?? 10_000;
  try {
    for (let k = 0; k < inst.initial.length ** n; k++) addRun({ initial: Array.from({ length: n }, (_, p) => inst.initial[Math.floor(k / inst.initial.length ** (n - 1 - p)) % inst.initial.length]), crashes: [] });
    while (iterations < maxIterations) {
      iterations++;
      const result = await check(guards);
      if (result === 'unknown') return { verdict: 'unknown', reason: String(solver.reasonUnknown()), ...common() };
      if (result === 'unsat') {
        options.onIteration?.({ iteration: iterations, runs: scenarios.length, verdict: 'unsat' });
        let core = solver.unsatCore();
        let names = Array.from({ length: core.length() }, (_, i) => core.get(i).toString());
        if (options.minimizeCore ?? true) {
          for (let i = 0; i < names.length;) {
            const without = names.filter((_, k) => k !== i);
            if ((await check(without)) === 'unsat') {
              core = solver.unsatCore();
              const smaller = new Set(Array.from({ length: core.length() }, (_, c) => core.get(c).toString()));
              names = without.filter((g) => smaller.has(g));
            } else {
              i++;
            }
          }
        }
        const proof = names.map((g) => scenarios[Number(g.slice(1))]).sort(scenarioOrder(inst));
        return { verdict: 'impossible', core: proof, ...common() };
      }
      const model = solver.model();
      const next: Record<string, string> = {};
      keys.forEach((key, k) => {
        const s = states.findIndex((_, i) => ctx.isTrue(model.eval(ctx.Bool.const(`t${k}_${i}`), true)));
        if (s !== key.own) next[key.key] = states[s];
      });
      let table: RoundTable = {
        kind: 'protoforge.round-table', name: `smt-${inst.problem.name}-n${n}-r${R}-k${m - inst.initial.length}`,
        description: `synthesized by SMT (CEGIS) for ${inst.problem.name} with ${Object.entries(inst.params).map(([k, v]) => `${k}=${v}`).join(' ')}`
          + (options.progress ? `, and ${options.progress.name}: ${options.progress.description}` : ''),
        states, processes: n, next,
      };
      const verdict = checkRounds(target, table);
      checkedRuns += verdict.runs;
      options.onIteration?.({ iteration: iterations, runs: scenarios.length, verdict: 'candidate', ...(verdict.verdict === 'fails' ? { failed: verdict.property } : {}) });
      if (verdict.verdict === 'holds') {
        if (options.prune ?? true) table = pruneTable(inst, table);
        if (options.simplify) table = simplifyTable(target, table);
        return { verdict: 'found', table, ...common() };
      }
      const sc = { initial: verdict.run.initial, crashes: verdict.run.crashes };
      if (seen.has(JSON.stringify(sc))) {
        throw new RoundsError(`the symbolic properties disagree with ${inst.problem.name}'s on the run ${JSON.stringify(sc)}: ${verdict.property} fails there for the checker but not for the solver`);
      }
      addRun(sc);
    }
    return { verdict: 'unknown', reason: `no verdict within ${maxIterations} iterations`, ...common() };
  } finally {
    solver.release();
  }
}

export interface GridCell {
  readonly rounds: number;
  readonly extra: number;
  readonly result: SynthResult;
}

/**
 * The least number of extra states for each number of rounds from 1 to `maxRounds`: for each R,
 * extra = 0, 1, ... until a table is found or `maxExtra` is passed. Every cell below a found one is
 * an 'impossible' (or 'unknown') result with its proof.
 */
export async function synthesisGrid(problem: RoundProblem, params: Readonly<Record<string, unknown>>,
  symbolic: (inst: RoundInstance) => readonly SymbolicProperty[], progress: SymbolicProperty | null,
  limits: { readonly maxRounds: number; readonly maxExtra: number; readonly minRounds?: number; readonly stopAtFirst?: boolean },
  options: Omit<SynthOptions, 'properties' | 'progress'> = {}): Promise<GridCell[]> {
  const cells: GridCell[] = [];
  for (let rounds = limits.minRounds ?? 1; rounds <= limits.maxRounds; rounds++) {
    let found = false;
    for (let extra = 0; extra <= limits.maxExtra; extra++) {
      const inst = instantiateRounds(problem, { ...params, rounds, extra });
      const result = await synthesizeRounds(inst, { ...options, properties: symbolic(inst), progress });
      cells.push({ rounds, extra, result });
      if (result.verdict === 'found') {
        found = true;
        break;
      }
    }
    if (found && limits.stopAtFirst) break;
  }
  return cells;
}
