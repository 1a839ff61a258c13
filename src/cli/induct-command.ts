import { Command, Option } from 'commander';
import { checkInductive, describeInduction, formatInductResult, inductResultJson } from '../check/induct.ts';
import type { InductProgress } from '../check/induct.ts';
import { instantiate } from '../core/instance.ts';
import type { ParamValue, Protocol } from '../core/protocol.ts';
import type { SymbolicModel } from '../smt/symbolic.ts';
import { keyValue, positive, wholeNumber, withProtocol } from './flags.ts';
import type { Io } from './io.ts';
import { loadProtocol } from './load-protocol.ts';
import { UsageError } from './usage-error.ts';

interface InductFlags {
  param: Record<string, string>;
  export?: string;
  invariant: string[];
  bound: Record<string, string>;
  maxStates?: number;
  workers: number;
  symmetry: boolean;
  allowEscapes?: boolean;
  lossy?: boolean;
  duplicating?: boolean;
  list?: boolean;
  json?: boolean;
  progress: boolean;
  backend: 'bounded' | 'smt';
  timeout?: number;
  budget?: number;
}

function bounds(given: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, text] of Object.entries(given)) {
    if (!/^\d+$/.test(text)) throw new UsageError(`--bound ${name}=${text}: a bound is a whole number`);
    out[name] = Number(text);
  }
  return out;
}

const formatProgress = (p: InductProgress) =>
  `examined ${p.examined.toLocaleString('en-US')} states (${p.satisfying.toLocaleString('en-US')} satisfying, ${p.steps.toLocaleString('en-US')} steps), ` +
  `${p.tuples.toLocaleString('en-US')}/${p.nodeTuples.toLocaleString('en-US')} node-state combinations, ${Math.round(p.statesPerSecond).toLocaleString('en-US')} states/s`;

/**
 * The protocols of the library that have a symbolic model for `--backend smt`, built from the
 * protocol's parameters (loaded only when asked for: the solver takes a while to start).
 */
const symbolicModels: Readonly<Record<string, (params: Readonly<Record<string, ParamValue>>) => Promise<SymbolicModel>>> = {
  paxos: async (p) => (await import('../protocols/paxos-smt.ts')).paxosSymbolic({
    proposers: p.proposers as number, acceptors: p.acceptors as number, variant: p.variant as 'paxos', learners: p.learners as number,
  }),
  'two-phase-commit': async (p) => (await import('../protocols/two-phase-commit-smt.ts')).twoPhaseCommitSymbolicFor({ rms: p.rms as number, variant: p.variant as string }),
};

/** Inductiveness by Z3, without bounds on ballots and values (`docs/smt-induction.md`). */
async function inductSmt(protocol: Protocol, flags: InductFlags, invariant: string[], io: Io): Promise<number> {
  const build = symbolicModels[protocol.name];
  if (!build) throw new UsageError(`${protocol.name} has no symbolic model: --backend smt knows ${Object.keys(symbolicModels).join(' and ')} (use the bounded back end for the others)`);
  const boundedOnly: [string, boolean][] = [
    ['--bound', Object.keys(flags.bound).length > 0], ['--max-states', flags.maxStates !== undefined], ['--workers', flags.workers !== 1],
    ['--allow-escapes', flags.allowEscapes === true], ['--lossy', flags.lossy !== undefined], ['--duplicating', flags.duplicating !== undefined],
  ];
  const given = boundedOnly.find(([, set]) => set);
  if (given) throw new UsageError(`${given[0]} is for the bounded back end: the symbolic one has no bounds, workers or network options`);
  const { checkInductiveSmt, formatSmtInductResult, smtInductResultJson, SmtInductError } = await import('../smt/induct.ts');
  const { closeZ3 } = await import('../smt/z3.ts');
  try {
    const result = await checkInductiveSmt(await build(instantiate(protocol, { params: flags.param }).params), {
      invariant, symmetry: flags.symmetry,
      ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout * 1000 }),
      ...(flags.budget === undefined ? {} : { budget: flags.budget }),
    });
    io.out(flags.json ? JSON.stringify(smtInductResultJson(result), null, 2) + '\n' : formatSmtInductResult(result) + '\n');
    return result.exitCode;
  } catch (err) {
    if (err instanceof SmtInductError) throw new UsageError(err.message);
    throw err;
  } finally {
    await closeZ3();
  }
}

async function induct(arg: string, flags: InductFlags, io: Io): Promise<number> {
  const protocol = await loadProtocol(arg, flags.export);
  if (flags.list) {
    const info = describeInduction(protocol, flags.param);
    if (flags.json) io.out(JSON.stringify(info, null, 2) + '\n');
    else {
      io.out(`Bounds of ${protocol.name}:\n`);
      for (const b of info.bounds) io.out(`  ${b.name}${b.required ? ' (required)' : b.default === undefined ? '' : `=${b.default}`}  ${b.description}\n`);
      io.out('Invariants (always properties):\n');
      for (const p of info.invariants) io.out(`  ${p.name}${p.shape === 'general' ? '' : `  (${p.shape})`}${p.own ? '' : '  [strengthening]'}\n`);
      io.out('Presets:\n');
      for (const [name, list] of Object.entries(info.presets)) io.out(`  ${name} = ${list.join(', ')}\n`);
    }
    return 0;
  }
  if (flags.invariant.length === 0) throw new UsageError(`give the invariant: --invariant NAME[,NAME...] (see: protoforge induct ${arg} --list)`);
  const invariant = flags.invariant.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  if (flags.backend === 'smt') return inductSmt(protocol, flags, invariant, io);
  const showProgress = flags.progress && io.tty && !flags.json;
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await checkInductive(protocol, flags.param, {
      invariant,
      bounds: bounds(flags.bound),
      maxStates: flags.maxStates,
      workers: flags.workers,
      symmetry: flags.symmetry,
      escapes: flags.allowEscapes ? 'allow' : 'fail',
      network: { ...(flags.lossy === undefined ? {} : { lossy: flags.lossy }), ...(flags.duplicating === undefined ? {} : { duplicating: flags.duplicating }) },
      signal: interrupt.signal,
      onProgress: showProgress ? (p) => io.err(`\r\x1b[2K${formatProgress(p)}`) : undefined,
    });
    if (showProgress) io.err('\r\x1b[2K');
    io.out(flags.json ? JSON.stringify(inductResultJson(result), null, 2) + '\n' : formatInductResult(result) + '\n');
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function addInductCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  withProtocol(program.command('induct'))
    .description('check that an invariant is inductive: from every state of a bounded universe that satisfies it, every step keeps it')
    .addOption(new Option('--invariant <names>', 'always properties or presets, comma-separated (repeatable)').argParser((v: string, prev: string[]) => [...prev, v]).default([]))
    .addOption(new Option('--bound <name=n>', 'a bound of the universe, such as messages=2 (repeatable; see --list)').argParser(keyValue).default({}))
    .addOption(new Option('--max-states <n>', 'give up (exit 3) after examining this many states one by one').argParser(wholeNumber('--max-states', 1, 2 ** 40)))
    .addOption(new Option('--workers <n>', 'worker threads').default(1).argParser(wholeNumber('--workers', 1, 64)))
    .option('--no-symmetry', 'enumerate interchangeable nodes in every order, not only sorted')
    .option('--allow-escapes', 'count steps that leave the declared domains instead of reporting them')
    .option('--lossy', 'messages in flight may be lost').option('--no-lossy', 'messages are never lost')
    .option('--duplicating', 'a delivered message stays in flight').option('--no-duplicating', 'delivery consumes the message')
    .addOption(new Option('--backend <b>', 'bounded: enumerate a bounded universe; smt: ask Z3, without bounds on ballots and values (paxos, two-phase-commit)').choices(['bounded', 'smt']).default('bounded'))
    .addOption(new Option('--timeout <s>', 'with --backend smt: give up (exit 3) after this long per solver call').argParser(positive('--timeout')))
    .addOption(new Option('--budget <n>', 'with --backend smt: resource budget of one solver call, in Z3 rlimit units (deterministic, unlike --timeout)').argParser(wholeNumber('--budget', 1, 2 ** 40)))
    .option('--list', 'list the bounds, the invariants and the presets the protocol declares')
    .option('--json', 'print the result as JSON')
    .option('--no-progress', 'no live progress line on stderr')
    .action(async (arg: string, flags: InductFlags) => setExit(await induct(arg, flags, io)));
}
