/**
 * The exhaustive round checker: every crash pattern (fewest crashes first) times every initial
 * assignment, each run completed and tested against the properties in their order.
 */
import { RoundsError, runRounds, tabulate, validateTable } from '../core/rounds.ts';
import type { Crash, RoundFunction, RoundInstance, RoundRun, RoundTable } from '../core/rounds.ts';

export type RoundCheckResult =
  | { readonly verdict: 'holds'; readonly runs: number }
  /** `runs` counts the runs checked, the counterexample included. */
  | { readonly verdict: 'fails'; readonly runs: number; readonly property: string; readonly run: RoundRun };

function binomial(n: number, k: number): number {
  let b = 1;
  for (let i = 1; i <= k; i++) b = (b * (n - k + i)) / i;
  return b;
}

/**
 * The number of runs: I^N initial assignments times the crash patterns. A crashing process picks its
 * round (R ways) and the subset of the N - 1 others that still hear it then (2^(N-1) ways), so with
 * at most F crashes there are sum over j = 0..F of C(N, j) (R 2^(N-1))^j patterns.
 */
export function countRuns(n: number, rounds: number, crashes: number, initialStates: number): number {
  let patterns = 0;
  for (let j = 0; j <= crashes; j++) patterns += binomial(n, j) * (rounds * 2 ** (n - 1)) ** j;
  return initialStates ** n * patterns;
}

/** Crash patterns in a fixed order: by number of crashes, then crashed set, then (round, subset) of each. */
function* crashPatterns(n: number, rounds: number, most: number): Generator<Crash[]> {
  const others = (p: number) => Array.from({ length: n - 1 }, (_, i) => (i < p ? i : i + 1));
  const choices = rounds * 2 ** (n - 1);
  function* pick(from: number, left: number, chosen: Crash[]): Generator<Crash[]> {
    if (left === 0) {
      yield chosen;
      return;
    }
    for (let p = from; p <= n - left; p++) {
      for (let c = 0; c < choices; c++) {
        const mask = c % 2 ** (n - 1);
        const heardBy = others(p).filter((_, i) => mask & (1 << i));
        yield* pick(p + 1, left - 1, [...chosen, { process: p, round: Math.floor(c / 2 ** (n - 1)) + 1, heardBy }]);
      }
    }
  }
  for (let j = 0; j <= most; j++) yield* pick(0, j, []);
}

/** Every assignment of initial states, process 0 varying slowest, in the problem's order of initial states. */
function* assignments(n: number, initial: readonly string[]): Generator<string[]> {
  const total = initial.length ** n;
  for (let k = 0; k < total; k++) {
    const a: string[] = [];
    for (let p = n - 1, rest = k; p >= 0; p--, rest = Math.floor(rest / initial.length)) a[p] = initial[rest % initial.length];
    yield a;
  }
}

/** Checks a table (validated first) or a hand-written function (tabulated first) on every run of `inst`. */
export function checkRounds(inst: RoundInstance, protocol: RoundTable | RoundFunction): RoundCheckResult {
  const table = protocol.kind === 'protoforge.round-function' ? tabulate(inst, protocol) : protocol;
  validateTable(inst, table);
  let runs = 0;
  for (const crashes of crashPatterns(inst.n, inst.rounds, inst.crashes)) {
    for (const initial of assignments(inst.n, inst.initial)) {
      const run = runRounds(table, inst.rounds, initial, crashes);
      runs++;
      const failed = inst.properties.find((p) => {
        try {
          return !p.holds(run);
        } catch (err) {
          throw new RoundsError(`property ${p.name} of ${inst.problem.name} threw on run ${runs} (initial ${initial.join(' ')}): ${(err as Error)?.message ?? String(err)}`);
        }
      });
      if (failed) return { verdict: 'fails', runs, property: failed.name, run };
    }
  }
  return { verdict: 'holds', runs };
}

/** A run laid out one row per round, one column per process; `-` marks a crashed process. */
export function formatRun(run: RoundRun): string {
  const rows = run.states.map((row, r) => [r === 0 ? 'initial' : `round ${r}`, ...row.map((s) => s ?? '-')]);
  const header = ['', ...run.initial.map((_, p) => `p${p}`)];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const crashes = run.crashes.map((c) =>
    `p${c.process} crashed in round ${c.round}, heard then by ${c.heardBy.length ? c.heardBy.map((q) => `p${q}`).join(', ') : 'nobody'}`);
  return [line(header), ...rows.map(line), ...(crashes.length ? crashes : ['no crash']), `lost message: ${run.lost ? 'yes' : 'no'}`].join('\n');
}
