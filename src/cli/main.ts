import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { check, CheckOptionsError, PropertyError, replayPath, ReplayError } from '../check/index.ts';
import type { CheckOptions, CheckResult } from '../check/index.ts';
import { HandlerError, instantiate, NetworkOptionsError, ParamError, PlainDataError } from '../core/index.ts';
import type { NetworkOptions, Protocol, Trace } from '../core/index.ts';
import { InternFullError } from '../check/intern.ts';
import { checkAllParams, library, metaModelLibrary } from '../protocols/index.ts';
import { formatTrace } from '../viz/trace-text.ts';
import { serveExplorer } from '../viz/explorer-server.ts';
import { loadProtocol } from './load-protocol.ts';
import { formatProgress, formatResult, formatTable } from './report.ts';
import { UsageError } from './usage-error.ts';
import { ClusterStartError } from '../runtime/cluster.ts';
import { positive, wholeNumber, withNetwork, withProtocol } from './flags.ts';
import type { Io } from './io.ts';
import { addSimCommands } from './sim-commands.ts';
import { addGenerateCommand } from './generate-command.ts';
import { addRoundsCommand } from './rounds-command.ts';
import { addLearnCommand } from './learn-command.ts';
import { addClusterCommand } from './cluster-command.ts';
import { addInductCommand } from './induct-command.ts';
import { addKvCommand } from './kv-command.ts';
import { DomainError, MissingBoundError } from '../core/domains.ts';
import { InductOptionsError, NoDomainsError, UnknownInvariantError, UniverseTooLargeError } from '../check/induct.ts';
import { ControlError } from '../runtime/control.ts';
import { RoundsError } from '../core/rounds.ts';
import { MetaModelError } from '../metamodel/index.ts';
import type { MetaModel } from '../metamodel/index.ts';
import { PropertyCheckError, ShrinkError, SimOptionsError, TraceFormatError, TraceReplayError, traceFromCheckerRun, writeTrace } from '../sim/index.ts';
import type { CheckerOrigin } from '../sim/index.ts';

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  tty: Boolean(process.stderr.isTTY),
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

interface CheckFlags {
  param: Record<string, string>;
  export?: string;
  network?: 'unordered' | 'ordered';
  lossy?: boolean;
  duplicating?: boolean;
  crashes?: number;
  crashMode?: 'stop' | 'recover';
  symmetry?: boolean;
  workers: number;
  dfs?: boolean;
  bfs?: boolean;
  maxStates?: number;
  maxDepth?: number;
  timeLimit?: number;
  memoryLimit?: number;
  replay?: string;
  out?: string;
  json?: boolean;
  progress: boolean;
}

function searchOptions(program: Command): (cmd: Command) => Command {
  return (cmd) => cmd
    .addOption(new Option('--workers <n>', 'worker threads for breadth-first search').default(1).argParser(wholeNumber('--workers', 1, 64)))
    .addOption(new Option('--max-states <n>', 'stop after storing this many distinct states (exit 3)').argParser(wholeNumber('--max-states', 1, 2 ** 30 - 2)))
    .addOption(new Option('--max-depth <n>', 'do not explore beyond this many steps (exit 3 if cut)').argParser(wholeNumber('--max-depth', 0, 1e9)))
    .addOption(new Option('--time-limit <seconds>', 'stop after this long (exit 3)').argParser(positive('--time-limit')))
    .addOption(new Option('--memory-limit <MB>', 'stop when resident memory passes this (exit 3)').argParser(positive('--memory-limit')))
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-progress', 'no live progress line on stderr')
    .showHelpAfterError(program.showHelpAfterError === undefined);
}

function checkOptions(flags: CheckFlags, io: Io): CheckOptions {
  const network: Partial<NetworkOptions> = {
    ordering: flags.network,
    lossy: flags.lossy,
    duplicating: flags.duplicating,
    crashes: flags.crashes,
    crashMode: flags.crashMode,
  };
  const showProgress = flags.progress && io.tty && !flags.json;
  return {
    params: flags.param,
    network,
    symmetry: flags.symmetry,
    workers: flags.workers,
    strategy: flags.dfs ? 'dfs' : 'bfs',
    maxStates: flags.maxStates,
    maxDepth: flags.maxDepth,
    timeLimitMs: flags.timeLimit === undefined ? undefined : flags.timeLimit * 1000,
    memoryLimitBytes: flags.memoryLimit === undefined ? undefined : flags.memoryLimit * 1024 * 1024,
    onProgress: showProgress ? (p) => io.err(`\r\x1b[2K${formatProgress(p)}`) : undefined,
  };
}

/** The command that replays a counterexample path with the same protocol, parameters and network. */
function replayCommand(arg: string, flags: CheckFlags, result: CheckResult): (path: string) => string {
  return (path) => {
    const parts = ['protoforge check', arg];
    for (const [k, v] of Object.entries(result.params)) parts.push(`--param ${k}=${v}`);
    if (flags.export) parts.push(`--export ${flags.export}`);
    const net = result.network;
    parts.push(`--network ${net.ordering}`, net.lossy ? '--lossy' : '--no-lossy', net.duplicating ? '--duplicating' : '--no-duplicating');
    if (net.crashes > 0) parts.push(`--crashes ${net.crashes} --crash-mode ${net.crashMode}`);
    parts.push(`--replay ${path}`);
    return parts.join(' ');
  };
}

async function runCheck(arg: string, flags: CheckFlags, io: Io): Promise<number> {
  if (flags.bfs && flags.dfs) throw new UsageError('choose one of --bfs and --dfs');
  const protocol = await loadProtocol(arg, flags.export);
  const options = checkOptions(flags, io);
  if (flags.replay !== undefined) {
    const trace = replayPath(protocol, options, flags.replay);
    io.out(flags.json ? JSON.stringify(trace, null, 2) + '\n' : formatTrace(trace) + '\n');
    if (flags.out) saveRun(protocol, options, trace, { path: trace.path }, flags.out, io);
    return 0;
  }
  // Ctrl-C ends the search with what was explored so far (exit 3) instead of losing it.
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  let result: CheckResult;
  try {
    result = await check(protocol, { ...options, signal: interrupt.signal });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (options.onProgress) io.err('\r\x1b[2K');
  io.out(flags.json ? JSON.stringify(result, null, 2) + '\n' : formatResult(result, replayCommand(arg, flags, result)) + '\n');
  if (flags.out) {
    // The shortest counterexample: it ends where its own property fails, as a simulated run stops.
    const failed = result.properties.filter((p) => p.verdict === 'fails' && p.trace)
      .sort((a, b) => a.trace!.steps.length - b.trace!.steps.length)[0];
    if (failed) saveRun(protocol, options, failed.trace!, { property: failed.name, kind: failed.kind, path: failed.trace!.path }, flags.out, io);
    else io.err(`No counterexample to write: ${flags.out} was not written.\n`);
  }
  return result.exitCode;
}

/** Writes a checker run as a simulation trace, which `replay` and `view` take. */
function saveRun(protocol: Protocol, options: CheckOptions, run: Trace, origin: CheckerOrigin, file: string, io: Io): void {
  const inst = instantiate(protocol, { params: options.params, network: options.network });
  writeFileSync(file, writeTrace(traceFromCheckerRun(inst, run, origin)));
  const what = origin.property ? `The counterexample to ${origin.property}` : 'The run';
  io.err(`${what} is written to ${file} as a trace: protoforge replay ${file}, protoforge view ${file}\n`);
}

async function runCheckAll(flags: { workers: number; json?: boolean; progress: boolean }, io: Io): Promise<number> {
  const results: CheckResult[] = [];
  for (const protocol of library) {
    if (flags.progress && io.tty && !flags.json) io.err(`\r\x1b[2KChecking ${protocol.name} ...`);
    results.push(await check(protocol, { workers: flags.workers, params: checkAllParams[protocol.name] }));
  }
  if (flags.progress && io.tty && !flags.json) io.err('\r\x1b[2K');
  if (flags.json) io.out(JSON.stringify(results, null, 2) + '\n');
  else io.out(formatTable(results) + '\n');
  return Math.max(...results.map((r) => r.exitCode));
}

function describeProtocol(p: Protocol | MetaModel): string {
  const params = Object.entries(p.paramSpecs).map(([k, s]) => {
    const range = s.kind === 'int' ? `${s.min}..${s.max}` : s.kind === 'bool' ? 'true|false' : s.choices.join('|');
    return `    ${k}=${s.default}  (${range}) ${s.description}`;
  });
  return [`${p.name}  ${p.description}`, ...params].join('\n');
}

export function createProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('protoforge')
    .description('Distributed protocols as TypeScript state machines: model-check them exhaustively under faults.')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .version(version(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  const withSearch = searchOptions(program);

  program.command('list')
    .description('list the protocols and meta-models of the built-in library and their parameters')
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => {
      const entries = (xs: readonly (Protocol | MetaModel)[]) => xs.map((p) => ({ name: p.name, description: p.description, params: p.paramSpecs }));
      if (flags.json) io.out(JSON.stringify({ protocols: entries(library), metaModels: entries(metaModelLibrary) }, null, 2) + '\n');
      else io.out(`${library.map(describeProtocol).join('\n')}\n\nMeta-models (protoforge generate):\n${metaModelLibrary.map(describeProtocol).join('\n')}\n`);
      setExit(0);
    });

  withSearch(withNetwork(withProtocol(program.command('check')
    .description('check every property of a protocol over all its reachable states')))
    .option('--symmetry', 'symmetry reduction over the protocol\'s interchangeable roles')
    .option('--bfs', 'breadth-first search: shortest counterexamples (default)')
    .option('--dfs', 'depth-first search (one worker)')
    .option('--replay <path>', 'print the run given by a counterexample path such as 0/2/1 instead of checking')
    .option('--out <file>', 'write the shortest counterexample (or the --replay run) as a trace (JSON Lines) for replay and view'))
    .action(async (arg: string, flags: CheckFlags) => setExit(await runCheck(arg, flags, io)));

  addSimCommands(program, io, setExit);
  addGenerateCommand(program, io, setExit);
  addRoundsCommand(program, io, setExit);
  addLearnCommand(program, io, setExit);
  addClusterCommand(program, io, setExit);
  addInductCommand(program, io, setExit);
  addKvCommand(program, io, setExit);

  withNetwork(withProtocol(program.command('explore')
    .description('step through a protocol\'s states by hand in the browser (served on 127.0.0.1)')))
    .addOption(new Option('--port <n>', 'the port (default: any free one)').default(0).argParser(wholeNumber('--port', 0, 65535)))
    .action(async (arg: string, flags: CheckFlags & { port: number }) => {
      const protocol = await loadProtocol(arg, flags.export);
      const inst = instantiate(protocol, { params: flags.param, network: checkOptions(flags, io).network });
      const server = await serveExplorer(inst, flags.port).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new UsageError(`port ${flags.port} on 127.0.0.1 is in use: choose another with --port, or leave it out for any free port`);
        throw err;
      });
      io.out(`Exploring ${protocol.name} at ${server.url}  (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await server.close();
      setExit(0);
    });

  withSearch(program.command('check-all')
    .description('check every protocol of the library on its defaults (a smaller setting where those take minutes) and print a verdict table'))
    .action(async (flags: { workers: number; json?: boolean; progress: boolean }) => setExit(await runCheckAll(flags, io)));

  return program;
}

const USAGE_ERRORS = [UsageError, ClusterStartError, ParamError, NetworkOptionsError, CheckOptionsError, ReplayError, SimOptionsError, TraceFormatError, TraceReplayError, ShrinkError, MetaModelError, RoundsError, ControlError,
  DomainError, MissingBoundError, InductOptionsError, NoDomainsError, UnknownInvariantError];
const PROTOCOL_ERRORS = [HandlerError, PlainDataError, PropertyError, PropertyCheckError];

/** Runs the CLI; resolves to the exit code. Never calls process.exit. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = createProgram(io, (c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    if (USAGE_ERRORS.some((E) => err instanceof E) || (err as Error)?.name === 'NetworkOptionsError') {
      io.err(`protoforge: error: ${(err as Error).message}\n`);
      return 2;
    }
    if (PROTOCOL_ERRORS.some((E) => err instanceof E) || ['HandlerError', 'PlainDataError', 'PropertyError', 'PropertyCheckError'].includes((err as Error)?.name)) {
      io.err(`protoforge: error in the protocol: ${(err as Error).message}\n`);
      return 2;
    }
    // A file the user named that cannot be opened or written (--out into a missing folder, say).
    const fsErr = err as NodeJS.ErrnoException;
    if (typeof fsErr?.syscall === 'string' && typeof fsErr.path === 'string' && typeof fsErr.code === 'string') {
      io.err(`protoforge: error: cannot ${fsErr.syscall} ${fsErr.path}: ${fsErr.code === 'ENOENT' ? 'no such file or folder' : fsErr.code === 'EACCES' ? 'permission denied' : fsErr.message}\n`);
      return 2;
    }
    if (err instanceof InternFullError || err instanceof UniverseTooLargeError || (err as Error)?.name === 'InternFullError') {
      io.err(`protoforge: stopped: ${(err as Error).message}\n`);
      return 3;
    }
    throw err;
  }
}
