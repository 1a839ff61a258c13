import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { checkRounds, countRuns, formatRun } from '../check/rounds.ts';
import { instantiateRounds, tabulate } from '../core/rounds.ts';
import type { RoundFunction, RoundTable } from '../core/rounds.ts';
import { roundLibrary } from '../protocols/index.ts';
import type { RoundLibraryEntry } from '../protocols/index.ts';
import type { RoundInstance } from '../core/rounds.ts';
import { keyValue, positive, wholeNumber } from './flags.ts';
import type { Io } from './io.ts';
import { UsageError } from './usage-error.ts';
import { loadRoundProblem } from './load-protocol.ts';

interface RoundsFlags {
  param: Record<string, string>;
  protocol: string;
  maxRuns: number;
  saveTable?: string;
  verifier: 'exhaustive' | 'smt';
  export?: string;
  timeout?: number;
  json?: boolean;
}

/** A protocol of the library by name, or a transition table saved as JSON (a learner's output, say). */
function protocolFor(entry: (typeof roundLibrary)[number], given: string): RoundFunction | RoundTable {
  const named = entry.protocols.find((p) => p.name === given);
  if (named) return named;
  if (!given.endsWith('.json')) {
    throw new UsageError(`${entry.problem.name} has no protocol ${JSON.stringify(given)} (the library has: ${entry.protocols.map((p) => p.name).join(', ')}; or give a table as a .json file)`);
  }
  let text: string;
  try {
    text = readFileSync(given, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read table ${given}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as RoundTable;
  } catch (err) {
    throw new UsageError(`table ${given} is not JSON: ${(err as Error).message}`);
  }
}

/** The check by Z3 (loaded only when asked for: the solver takes a while to start). */
async function verifyWithZ3(entry: RoundLibraryEntry, inst: RoundInstance, protocol: RoundFunction | RoundTable, flags: RoundsFlags, io: Io): Promise<number> {
  if (!entry.symbolic) throw new UsageError(`${entry.problem.name} states no symbolic form of its properties, so --verifier smt cannot check it`);
  const { verifyRoundsSmt } = await import('../smt/rounds-verify.ts');
  const result = await verifyRoundsSmt(inst, protocol, entry.symbolic(inst.params), { timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000 });
  const setting = Object.entries(inst.params).map(([k, v]) => `${k}=${v}`).join(' ');
  if (flags.json) io.out(JSON.stringify({ problem: entry.problem.name, params: inst.params, protocol: protocol.name, verifier: 'smt', ...result }, null, 2) + '\n');
  else if (result.verdict === 'holds') io.out(`${protocol.name} holds on ${entry.problem.name} (${setting}): every property, over every run (Z3: unsat)\n`);
  else if (result.verdict === 'fails') io.out(`${protocol.name} fails ${result.property} on ${entry.problem.name} (Z3: sat):\n${formatRun(result.run)}\n`);
  else io.err(`protoforge: stopped: Z3 gave no answer: ${result.reason}\n`);
  return result.verdict === 'holds' ? 0 : result.verdict === 'fails' ? 1 : 3;
}

export function addRoundsCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program.command('rounds')
    .description('check a round-based protocol on every initial assignment and every crash pattern')
    .argument('<problem>', `a round problem of the library (${roundLibrary.map((e) => e.problem.name).join(', ')}) or a .ts file exporting one`)
    .option('--export <name>', 'which export of the file, when it exports several problems')
    .requiredOption('--protocol <name|table.json>', 'a protocol of the library for this problem, or a transition table saved as JSON')
    .addOption(new Option('-p, --param <key=value>', 'set a problem parameter (repeatable)').argParser(keyValue).default({}, 'the problem\'s defaults'))
    .addOption(new Option('--max-runs <n>', 'refuse (exit 3) to check more runs than this').default(10_000_000).argParser(wholeNumber('--max-runs', 1, Number.MAX_SAFE_INTEGER)))
    .option('--save-table <file>', 'also write the protocol as a transition table (JSON) for these parameters')
    .addOption(new Option('--verifier <v>', 'exhaustive: play every run; smt: ask Z3 whether a run breaks a property').choices(['exhaustive', 'smt']).default('exhaustive'))
    .addOption(new Option('--timeout <s>', 'with --verifier smt: give up (exit 3) after this long per solver call').argParser(positive('--timeout')))
    .option('--json', 'print the result as JSON on stdout')
    .action(async (name: string, flags: RoundsFlags) => {
      const entry = await loadRoundProblem(name, flags.export);
      const inst = instantiateRounds(entry.problem, flags.param);
      const protocol = protocolFor(entry, flags.protocol);
      const total = countRuns(inst.n, inst.rounds, inst.crashes, inst.initial.length);
      if (flags.verifier === 'smt') return setExit(await verifyWithZ3(entry, inst, protocol, flags, io));
      if (total > flags.maxRuns) {
        io.err(`protoforge: stopped: ${entry.problem.name} with these parameters has ${total.toLocaleString('en-US')} runs, more than --max-runs ${flags.maxRuns}: raise it, or lower n, rounds or crashes\n`);
        return setExit(3);
      }
      if (flags.saveTable) {
        const table = protocol.kind === 'protoforge.round-function' ? tabulate(inst, protocol) : protocol;
        writeFileSync(flags.saveTable, JSON.stringify(table, null, 2) + '\n');
      }
      const result = checkRounds(inst, protocol);
      if (flags.json) io.out(JSON.stringify({ problem: entry.problem.name, params: inst.params, protocol: protocol.name, ...result }, null, 2) + '\n');
      else if (result.verdict === 'holds') io.out(`${protocol.name} holds on ${entry.problem.name} (${Object.entries(inst.params).map(([k, v]) => `${k}=${v}`).join(' ')}): every property, over ${result.runs.toLocaleString('en-US')} runs\n`);
      else io.out(`${protocol.name} fails ${result.property} on run ${result.runs} of ${total.toLocaleString('en-US')}:\n${formatRun(result.run)}\n`);
      setExit(result.verdict === 'holds' ? 0 : 1);
    });
}
