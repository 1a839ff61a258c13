import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { formatRun } from '../check/rounds.ts';
import { instantiateRounds } from '../core/rounds.ts';
import { learnTabular } from '../learn/tabular.ts';
import { tableToMachine } from '../learn/machine.ts';
import type { PhaseReport } from '../learn/tabular.ts';
import { roundLibrary } from '../protocols/index.ts';
import type { RoundLibraryEntry } from '../protocols/index.ts';
import type { RoundInstance } from '../core/rounds.ts';
import { keyValue, positive, wholeNumber } from './flags.ts';
import type { Io } from './io.ts';
import { UsageError } from './usage-error.ts';
import { loadRoundProblem } from './load-protocol.ts';

interface LearnFlags {
  param: Record<string, string>;
  nodes?: number;
  rounds?: number;
  states?: number;
  crashes?: number;
  seed: number;
  method: 'tabular' | 'dqn' | 'smt';
  episodes: number;
  maxPhases: number;
  nonBlocking?: boolean;
  simplify?: boolean;
  timeout?: number;
  maxIterations: number;
  grow: number;
  out?: string;
  machine?: string;
  export?: string;
  json?: boolean;
  progress: boolean;
}

/**
 * What `learn` asks of a problem unless told otherwise: atomic commit's own defaults are the paper's
 * appendix (P5 as written, no obligation to decide), whose only solutions never decide; learning is
 * asked for P5 as rule 5 states it and for T (decide when nothing is Lost).
 */
const LEARNING_DEFAULTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'atomic-commit': { p5: 'rule-5', decide: 'true' },
};

function problemParams(name: string, flags: LearnFlags): Record<string, string> {
  const named: Record<string, number | undefined> = { n: flags.nodes, rounds: flags.rounds, extra: flags.states, crashes: flags.crashes };
  const params: Record<string, string> = { ...LEARNING_DEFAULTS[name], ...flags.param };
  for (const [key, value] of Object.entries(named)) {
    if (value === undefined) continue;
    if (key in flags.param) throw new UsageError(`give ${key} once: with its flag or with -p ${key}=..., not both`);
    params[key] = String(value);
  }
  return params;
}

/** `--method smt`: counterexample-guided synthesis by Z3 (loaded only when asked for). */
async function synthesize(entry: RoundLibraryEntry, inst: RoundInstance, flags: LearnFlags, io: Io): Promise<number> {
  if (!entry.symbolic || !entry.progress) throw new UsageError(`${entry.problem.name} states no symbolic form of its properties, so --method smt cannot synthesize for it`);
  const { synthesizeRounds } = await import('../smt/rounds-synth.ts');
  const show = flags.progress && io.tty && !flags.json;
  const t0 = performance.now();
  const result = await synthesizeRounds(inst, {
    properties: entry.symbolic(inst.params),
    progress: flags.nonBlocking ? entry.progress('always') : null,
    simplify: flags.simplify,
    timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
    maxIterations: flags.maxIterations,
    onIteration: show ? (r) => io.err(`\r\x1b[2KSynthesizing: iteration ${r.iteration}, ${r.runs} runs, ${r.verdict === 'unsat' ? 'no table' : r.failed ? `candidate fails ${r.failed}` : 'candidate'}`) : undefined,
  });
  if (show) io.err('\r\x1b[2K');
  const seconds = (performance.now() - t0) / 1000;
  const setting = Object.entries(inst.params).map(([k, v]) => `${k}=${v}`).join(' ') + (flags.nonBlocking ? ', non-blocking' : '');
  if (result.verdict === 'found' && flags.out) writeFileSync(flags.out, JSON.stringify(result.table, null, 2) + '\n');
  if (result.verdict === 'found' && flags.machine) writeFileSync(flags.machine, JSON.stringify(tableToMachine(inst, result.table), null, 2) + '\n');
  if (flags.json) io.out(JSON.stringify({ problem: entry.problem.name, params: inst.params, method: 'smt', seconds, ...result }, null, 2) + '\n');
  else if (result.verdict === 'found') {
    io.out(`Synthesized ${entry.problem.name} (${setting}) with Z3: ${Object.keys(result.table.next).length} table entries, proven over every run by the checker.\n` +
      `${result.iterations} iterations, ${result.runs} runs in the solver, ${seconds.toFixed(2)} s\n`);
    if (flags.out) io.out(`Table: ${flags.out}\n`);
  } else if (result.verdict === 'impossible') {
    io.out(`No table exists for ${entry.problem.name} (${setting}): Z3 proves it (unsat) on ${result.core.length === 1 ? 'this run' : `these ${result.core.length} runs`} alone:\n` +
      result.core.map((r) => `  initial ${r.initial.join(' ')}; ${r.crashes.length === 0 ? 'no crash' : r.crashes.map((c) => `p${c.process} crashes in round ${c.round}, heard by ${c.heardBy.map((q) => `p${q}`).join(' ') || 'nobody'}`).join('; ')}`).join('\n') +
      `\nTry more rounds (--rounds) or more states (--states). ${seconds.toFixed(2)} s\n`);
  } else io.err(`protoforge: stopped: Z3 gave no answer: ${result.reason}\n`);
  return result.verdict === 'found' ? 0 : result.verdict === 'impossible' ? 1 : 3;
}

/** The instances to try: the one asked for, then (with --grow N) up to N more rounds and N more anonymous states, smallest first. */
function growth(entry: RoundLibraryEntry, params: Record<string, string>, grow: number): RoundInstance[] {
  const first = instantiateRounds(entry.problem, params);
  const extraSpec = entry.problem.params.extra;
  const out: RoundInstance[] = [];
  for (let total = 0; total <= 2 * grow; total++) {
    for (let dr = Math.min(total, grow); dr >= 0; dr--) {
      const dk = total - dr;
      if (dk > grow || (dk > 0 && !extraSpec)) continue;
      const rounds = first.rounds + dr;
      const extra = Number(first.params.extra ?? 0) + dk;
      if (rounds > entry.problem.params.rounds.max || (extraSpec && extra > (extraSpec as { max: number }).max)) continue;
      out.push(instantiateRounds(entry.problem, { ...params, rounds: String(rounds), ...(extraSpec ? { extra: String(extra) } : {}) }));
    }
  }
  return out;
}

/** One learning run (tabular or DQN) on one instance; prints its outcome; 0 when proven, 3 when the budget ran out. */
async function learnOnce(entry: RoundLibraryEntry, inst: RoundInstance, flags: LearnFlags, io: Io): Promise<number> {
  const bar = flags.progress && io.tty && !flags.json
    ? new SingleBar({ format: 'Learning [{bar}] phase {value}/{total}, {episodes} episodes, mean reward {reward}, last check: {verdict}', stream: process.stderr })
    : null;
  bar?.start(flags.maxPhases, 0, { episodes: 0, reward: '-', verdict: '-' });
  const t0 = performance.now();
  const learnOptions = {
    seed: flags.seed, episodes: flags.episodes, maxPhases: flags.maxPhases,
    onPhase: (p: PhaseReport) => bar?.update(p.phase, { episodes: p.episodes, reward: p.meanReward.toFixed(1), verdict: p.verdict === 'holds' ? 'holds' : `fails ${p.property}` }),
  };
  // TensorFlow.js loads only when asked for.
  const result = flags.method === 'dqn' ? await (await import('../learn/dqn.ts')).learnDqn(inst, learnOptions) : learnTabular(inst, learnOptions);
  bar?.stop();
  const seconds = (performance.now() - t0) / 1000;
  const failuresFile = flags.out && result.failure ? flags.out.replace(/\.json$/, '') + '.counterexample.json' : undefined;
  if (flags.out) writeFileSync(flags.out, JSON.stringify(result.table, null, 2) + '\n');
  if (flags.machine) writeFileSync(flags.machine, JSON.stringify(tableToMachine(inst, result.table), null, 2) + '\n');
  if (failuresFile) writeFileSync(failuresFile, JSON.stringify(result.failure, null, 2) + '\n');
  const setting = Object.entries(inst.params).map(([k, v]) => `${k}=${v}`).join(' ');
  if (flags.json) {
    io.out(JSON.stringify({ problem: entry.problem.name, params: inst.params, method: flags.method, seed: flags.seed, seconds, ...result }, null, 2) + '\n');
  } else {
    const summary = `${result.phases} phases, ${result.episodes.toLocaleString('en-US')} episodes, ${result.counterexamples} counterexamples fed back, ` +
      `${result.checkedRuns.toLocaleString('en-US')} runs checked, ${seconds.toFixed(2)} s`;
    if (result.verdict === 'proven') {
      io.out(`Learned ${entry.problem.name} (${setting}) by ${flags.method === 'dqn' ? 'deep' : 'tabular'} Q-learning, seed ${flags.seed}: proven over every run by the checker.\n${summary}\n`);
    } else {
      io.out(`No proven table for ${entry.problem.name} (${setting}) within ${flags.maxPhases} phases: the best one fails ${result.failure!.property}:\n` +
        `${formatRun(result.failure!.run)}\n${summary}\n`);
    }
    if (flags.out) io.out(`Table: ${flags.out}${failuresFile ? `, its counterexample: ${failuresFile}` : ''}\n`);
  }
  return result.verdict === 'proven' ? 0 : 3;
}

export function addLearnCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program.command('learn')
    .description('learn a round-based protocol from its properties alone by self-play, and keep it only once the checker proves it')
    .argument('<problem>', `a round problem of the library (${roundLibrary.map((e) => e.problem.name).join(', ')}) or a .ts file exporting one`)
    .option('--export <name>', 'which export of the file, when it exports several problems')
    .addOption(new Option('--nodes <n>', 'processes (the problem\'s n)').argParser(wholeNumber('--nodes', 1, 64)))
    .addOption(new Option('--rounds <r>', 'rounds').argParser(wholeNumber('--rounds', 1, 64)))
    .addOption(new Option('--states <k>', 'anonymous states besides the named ones (the problem\'s extra)').argParser(wholeNumber('--states', 0, 64)))
    .addOption(new Option('--crashes <f>', 'the most processes that crash').argParser(wholeNumber('--crashes', 0, 64)))
    .addOption(new Option('-p, --param <key=value>', 'set a problem parameter (repeatable); atomic-commit learns with p5=rule-5 and decide=true unless told otherwise').argParser(keyValue).default({}, 'the learning defaults'))
    .addOption(new Option('--seed <s>', 'seed of the learner\'s random numbers').default(1).argParser(wholeNumber('--seed', 0, 2 ** 32 - 1)))
    .addOption(new Option('--method <m>', 'tabular: Q-learning by self-play, checked after each phase; dqn: the same with a neural Q-function (TensorFlow.js, WebAssembly); smt: exact synthesis by Z3 (counterexample-guided), or a proof that no table exists').choices(['tabular', 'dqn', 'smt']).default('tabular'))
    .addOption(new Option('--episodes <n>', 'training episodes per phase (each phase ends with a check)').default(1000).argParser(wholeNumber('--episodes', 1, 1e9)))
    .addOption(new Option('--max-phases <n>', 'the budget: phases before giving up (exit 3)').default(20).argParser(wholeNumber('--max-phases', 1, 1e6)))
    .option('--non-blocking', 'with --method smt: also require every process that did not crash to decide, Lost or not')
    .option('--simplify', 'with --method smt: drop every table entry the checker proves unneeded')
    .addOption(new Option('--timeout <s>', 'with --method smt: give up (exit 3) after this long per solver call').argParser(positive('--timeout')))
    .addOption(new Option('--max-iterations <n>', 'with --method smt: the most solve-and-check rounds').default(10_000).argParser(wholeNumber('--max-iterations', 1, 1e9)))
    .addOption(new Option('--grow <n>', 'when no table is found, try up to n more rounds and n more anonymous states, smallest first').default(0).argParser(wholeNumber('--grow', 0, 8)))
    .option('--machine <file>', 'also write the table as a state machine (JSON) that `protoforge generate FILE --format text|dot|svg|mermaid|ts` renders')
    .option('--out <file>', 'write the learned transition table (JSON; `protoforge rounds PROBLEM --protocol FILE` checks it)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (name: string, flags: LearnFlags) => {
      const entry = await loadRoundProblem(name, flags.export);
      const sizes = growth(entry, problemParams(name, flags), flags.grow);
      for (const [k, inst] of sizes.entries()) {
        // With --json only the last attempt's result is printed: one JSON document.
        let captured = '';
        const attemptIo: Io = flags.json ? { ...io, out: (t) => { captured += t; } } : io;
        const code = flags.method === 'smt' ? await synthesize(entry, inst, flags, attemptIo) : await learnOnce(entry, inst, flags, attemptIo);
        if (code === 0 || k === sizes.length - 1) {
          io.out(captured);
          return setExit(code);
        }
        const next = sizes[k + 1].params;
        if (!flags.json) io.out(`Trying a larger machine: rounds=${next.rounds}${'extra' in next ? ` extra=${next.extra}` : ''}\n`);
      }
    });
}
