import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { instantiate } from '../core/index.ts';
import type { FaultEvent } from '../sim/index.ts';
import { readTrace, replayTrace, shrinkTrace, simulate, simulateSwarm, writeTrace } from '../sim/index.ts';
import type { LatencyDistribution, SimOptions } from '../sim/index.ts';
import { parseLatency, partition, skew, timedNode } from './fault-flags.ts';
import { positive, wholeNumber, withProtocol } from './flags.ts';
import { loadProtocol } from './load-protocol.ts';
import type { Io } from './io.ts';
import { formatSimResult } from './sim-text.ts';
import { renderTraceHtml } from '../viz/trace-html.ts';
import { UsageError } from './usage-error.ts';

interface SimulateFlags {
  param: Record<string, string>;
  export?: string;
  seed: number;
  runs: number;
  workers: number;
  latency?: LatencyDistribution;
  dropRate?: number;
  duplicateRate?: number;
  crash?: FaultEvent[];
  recover?: FaultEvent[];
  partition?: FaultEvent[];
  skew?: Record<string, number>;
  maxTime?: number;
  maxEvents?: number;
  out?: string;
  saveFailures?: string;
  json?: boolean;
  progress: boolean;
  shrink: boolean;
}

function rate(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number from 0 to 1.`);
    return n;
  };
}

function simOptions(flags: SimulateFlags, seed: number): SimOptions {
  return {
    seed,
    latency: flags.latency ? { default: flags.latency } : undefined,
    faults: {
      events: [...(flags.crash ?? []), ...(flags.recover ?? []), ...(flags.partition ?? [])],
      dropRate: flags.dropRate,
      duplicateRate: flags.duplicateRate,
      clockSkew: flags.skew,
    },
    maxTimeMs: flags.maxTime,
    maxEvents: flags.maxEvents,
  };
}


async function runSimulate(arg: string, flags: SimulateFlags, io: Io): Promise<number> {
  if (flags.runs > 1 && flags.out) throw new UsageError('--out writes the trace of one run: with --runs, use --save-failures DIR');
  const protocol = await loadProtocol(arg, flags.export);
  const inst = instantiate(protocol, { params: flags.param });
  if (flags.runs === 1) {
    const result = simulate(inst, simOptions(flags, flags.seed));
    // A failing run is reported, and saved, as the smallest run the shrinker finds failing the same way.
    const trace = result.trace.end.violation && flags.shrink ? shrinkTrace(inst, result.trace).trace : result.trace;
    if (flags.out) writeFileSync(flags.out, writeTrace(trace));
    if (flags.json) io.out(JSON.stringify({ ...result, trace }, null, 2) + '\n');
    else {
      io.out(formatSimResult(result, trace) + '\n');
      if (flags.out) io.out(`Trace: ${flags.out}  (replay: protoforge replay ${flags.out})\n`);
    }
    return result.trace.end.violation ? 1 : 0;
  }
  // A swarm: one run per seed (on worker threads with --workers), a progress bar on a terminal.
  const bar = flags.progress && io.tty && !flags.json ? new SingleBar({ format: 'Simulating [{bar}] {value}/{total} runs, {failures} failing', stream: process.stderr }) : null;
  bar?.start(flags.runs, 0, { failures: 0 });
  let failing = 0;
  const { seed: _, ...sim } = simOptions(flags, flags.seed);
  const runs = await simulateSwarm(protocol, {
    instance: { params: flags.param }, sim, firstSeed: flags.seed, runs: flags.runs, workers: flags.workers,
    onRun: (done, run) => { if (run.violation) failing++; bar?.update(done, { failures: failing }); },
  });
  bar?.stop();
  const events = runs.reduce((sum, r) => sum + r.events, 0);
  const failures = runs.filter((r) => r.violation).map((r) => {
    let trace: string | undefined;
    if (flags.saveFailures) {
      mkdirSync(flags.saveFailures, { recursive: true });
      trace = path.join(flags.saveFailures, `${protocol.name}-seed-${r.seed}.jsonl`);
      writeFileSync(trace, flags.shrink ? writeTrace(shrinkTrace(inst, readTrace(r.trace!)).trace) : r.trace!);
    }
    return { seed: r.seed, property: r.violation!.property, record: r.violation!.i, trace };
  });
  if (flags.json) io.out(JSON.stringify({ protocol: protocol.name, params: inst.params, runs: flags.runs, events, failures }, null, 2) + '\n');
  else {
    io.out(`${protocol.name}: ${flags.runs} runs (seeds ${flags.seed}..${flags.seed + flags.runs - 1}), ${events} events, ${failures.length} failing\n`);
    for (const f of failures) io.out(`  seed ${f.seed}: ${f.property} violated after record ${f.record}${f.trace ? `  (trace: ${f.trace})` : ''}\n`);
    if (failures.length > 0 && !flags.saveFailures) io.out('To see one: the same command with --seed SEED --runs 1 --out trace.jsonl (or --save-failures DIR).\n');
  }
  return failures.length > 0 ? 1 : 0;
}

function readTraceFile(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read trace ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return readTrace(text);
}

function runView(file: string, flags: { out?: string }, io: Io): number {
  const trace = readTraceFile(file);
  const out = flags.out ?? file.replace(/\.jsonl?$/, '') + '.html';
  writeFileSync(out, renderTraceHtml(trace));
  io.out(`${out}\n`);
  return 0;
}

async function runReplay(file: string, flags: { protocol?: string; export?: string; json?: boolean }, io: Io): Promise<number> {
  const trace = readTraceFile(file);
  const protocol = await loadProtocol(flags.protocol ?? trace.header.protocol, flags.export);
  if (protocol.name !== trace.header.protocol) {
    throw new UsageError(`trace ${file} is a run of ${trace.header.protocol}, not of ${protocol.name}`);
  }
  const inst = instantiate(protocol, { params: trace.header.params, network: trace.header.network });
  const result = replayTrace(inst, trace);
  if (flags.json) io.out(JSON.stringify({ matches: result.matches, difference: result.difference, explanation: result.explanation }, null, 2) + '\n');
  else io.out(`${result.explanation}\n`);
  return result.matches ? 0 : 1;
}

export function addSimCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  withProtocol(program.command('simulate')
    .description('run a protocol in virtual time with random delays and injected faults, from a seed'))
    .addOption(new Option('--seed <n>', 'the seed of the (first) run').default(1).argParser(wholeNumber('--seed', 0, 2 ** 32 - 1)))
    .addOption(new Option('--runs <n>', 'runs with seeds seed, seed+1, ...; every failing seed is reported').default(1).argParser(wholeNumber('--runs', 1, 1_000_000)))
    .addOption(new Option('--workers <n>', 'worker threads for --runs (results do not depend on it)').default(1).argParser(wholeNumber('--workers', 1, 64)))
    .addOption(new Option('--latency <dist>', 'message latency: fixed:MS, uniform:MIN-MAX, exponential:MEAN, long-tail:MEDIAN,ALPHA (default uniform:1-10)').argParser(parseLatency))
    .addOption(new Option('--drop-rate <p>', 'probability that a message is lost').argParser(rate('--drop-rate')))
    .addOption(new Option('--duplicate-rate <p>', 'probability that a message arrives twice').argParser(rate('--duplicate-rate')))
    .addOption(new Option('--crash <node@ms>', 'crash a node at a time (repeatable)').argParser(timedNode('crash')))
    .addOption(new Option('--recover <node@ms>', 'restart a crashed node with its durable state (repeatable)').argParser(timedNode('recover')))
    .addOption(new Option('--partition <sides@from-until>', 'cut the network, like p1,a1|a2,a3@10-50 (repeatable)').argParser(partition))
    .addOption(new Option('--skew <node=x>', 'a node\'s timers run 1+x times as long (repeatable)').argParser(skew))
    .addOption(new Option('--max-time <ms>', 'virtual time limit (default 60000)').argParser(positive('--max-time')))
    .addOption(new Option('--max-events <n>', 'event limit (default 100000)').argParser(wholeNumber('--max-events', 1, 10_000_000)))
    .option('--out <file>', 'write the run\'s trace (JSON Lines) to this file')
    .option('--save-failures <dir>', 'with --runs: write each failing run\'s trace into this folder')
    .option('--no-shrink', 'report and save a failing run whole, not shrunk to the smallest run that fails the same way')
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (arg: string, flags: SimulateFlags) => setExit(await runSimulate(arg, flags, io)));

  program.command('view')
    .description('write a trace as one self-contained HTML page: a space-time diagram with every state')
    .argument('<trace>', 'a trace file written by simulate --out')
    .option('-o, --out <file>', 'the page to write (default: the trace\'s name with .html)')
    .action((file: string, flags: { out?: string }) => setExit(runView(file, flags, io)));

  program.command('replay')
    .description('re-execute a recorded trace and report the first place the protocol now behaves differently')
    .argument('<trace>', 'a trace file written by simulate --out')
    .option('--protocol <name|file>', 'the protocol, when it is not in the library (a .ts file)')
    .option('--export <name>', 'which export of the file, when it exports several protocols')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (file: string, flags: { protocol?: string; export?: string; json?: boolean }) => setExit(await runReplay(file, flags, io)));
}
