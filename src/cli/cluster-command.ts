import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { instantiate, sourceOf } from '../core/index.ts';
import { traceFromHistory } from '../runtime/history-trace.ts';
import { writeTrace } from '../sim/trace-file.ts';
import { startCluster } from '../runtime/cluster.ts';
import { runningLauncher, sendControl, serveControl } from '../runtime/control.ts';
import type { ControlRequest } from '../runtime/control.ts';
import { keyValue, wholeNumber, withProtocol } from './flags.ts';
import type { Io } from './io.ts';
import { loadProtocol } from './load-protocol.ts';
import { UsageError } from './usage-error.ts';

const DEFAULT_DATA = '.protoforge-cluster';

interface UpFlags {
  param: Record<string, string>;
  export?: string;
  data: string;
  timer: Record<string, string>;
  json?: boolean;
  http?: boolean;
  httpTimeout?: number;
  trace: boolean;
}

/** `--timer prepare=100 --timer '*'=20`: delays for timers set without one. */
function timerDefaults(given: Record<string, string>): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const [name, ms] of Object.entries(given)) {
    const n = Number(ms);
    if (!/^\d+(\.\d+)?$/.test(ms) || n > 86_400_000) throw new UsageError(`--timer ${name}=${ms}: the delay must be a number of ms from 0 to 86400000`);
    out[name] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

/** `a1,a2|a3`: the sides of a partition. */
function parseSides(text: string): string[][] {
  const sides = text.split('|').map((side) => side.split(',').map((s) => s.trim()).filter(Boolean));
  if (sides.length < 2 || sides.some((s) => s.length === 0)) {
    throw new UsageError(`partition ${JSON.stringify(text)}: give two or more sides of node ids, like a1,a2|a3`);
  }
  return sides;
}

async function up(arg: string, flags: UpFlags, io: Io): Promise<number> {
  const data = path.resolve(flags.data);
  const running = runningLauncher(data);
  if (running) throw new UsageError(`a cluster of ${running.protocol} is already running from ${data} (launcher pid ${running.launcher}): protoforge cluster down --data ${flags.data}`);
  const protocol = await loadProtocol(arg, flags.export);
  const source = sourceOf(protocol);
  if (!source) throw new UsageError(`${protocol.name} cannot be started as processes: it was not loaded from a file`);
  mkdirSync(data, { recursive: true });
  const cluster = await startCluster({
    source, params: flags.param, dataDir: data, defaultTimerMs: timerDefaults(flags.timer), quiet: !flags.trace,
    ...(flags.http ? { http: flags.httpTimeout === undefined ? true : { timeoutMs: flags.httpTimeout } } : {}),
  });
  const control = await serveControl(cluster, protocol.name, data);
  const addresses = cluster.nodes.map((id) => ({
    node: id, address: `127.0.0.1:${cluster.ports[id]}`, pid: cluster.pids[id],
    ...(flags.http ? { http: `http://127.0.0.1:${cluster.httpPorts[id]}` } : {}),
  }));
  if (flags.json) io.out(JSON.stringify({ event: 'ready', protocol: protocol.name, data, nodes: addresses }) + '\n');
  else {
    io.out(`${protocol.name}: ${cluster.nodes.length} nodes on 127.0.0.1, write-ahead logs in ${data}\n`);
    for (const a of addresses) io.out(`  ${a.node.padEnd(8)} ${a.address.padEnd(16)} pid ${String(a.pid).padEnd(8)}${a.http ? ` ${a.http}` : ''}\n`.replace(/ +\n$/, '\n'));
    io.out(`Ready. Stop with Ctrl-C or: protoforge cluster down --data ${flags.data}\n`);
  }
  const stopSignal = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.race([control.done, stopSignal]);
  await cluster.stop();
  await control.close();
  if (!flags.trace) {
    io.out(flags.json ? JSON.stringify({ event: 'stopped' }) + '\n' : 'Cluster stopped.\n');
    return 0;
  }
  // The run as a trace: `protoforge view` draws it, `protoforge replay` re-executes it.
  const trace = path.join(data, 'trace.jsonl');
  writeFileSync(trace, writeTrace(traceFromHistory(instantiate(protocol, { params: flags.param }), cluster.history)));
  io.out(flags.json ? JSON.stringify({ event: 'stopped', trace }) + '\n' : `Cluster stopped. Its run: ${trace} (protoforge view ${trace})\n`);
  return 0;
}

async function control(dataFlag: string, req: ControlRequest, io: Io, json?: boolean): Promise<number> {
  const reply = await sendControl(path.resolve(dataFlag), req);
  if (!reply.ok) throw new UsageError(reply.error);
  if (json) io.out(JSON.stringify(reply.status ?? { message: reply.message }, null, 2) + '\n');
  else if (reply.status) {
    const s = reply.status;
    io.out(`${s.protocol} (launcher pid ${s.launcher})${s.partition.length ? `, partitioned: ${s.partition.map((x) => x.join(',')).join(' | ')}` : ''}\n`);
    for (const n of s.nodes) io.out(`  ${n.id.padEnd(8)} 127.0.0.1:${String(n.port).padEnd(6)} pid ${String(n.pid).padEnd(8)} ${n.state}${n.http ? `  http://127.0.0.1:${n.http}` : ''}\n`);
  } else io.out(`${reply.message}\n`);
  return 0;
}

export function addClusterCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const cluster = program.command('cluster').description('run a protocol as one OS process per node on 127.0.0.1, and inject faults');
  const dataOption = () => new Option('--data <dir>', 'the cluster\'s folder: write-ahead logs, control socket').default(DEFAULT_DATA);

  withProtocol(cluster.command('up'))
    .description('start every node of the protocol as its own process; wait until Ctrl-C or `cluster down`')
    .addOption(dataOption())
    .addOption(new Option('--timer <name=ms>', 'delay of a timer set without one (repeatable; * for the rest; default 10 ms)').argParser(keyValue).default({}))
    .option('--json', 'print the addresses as one JSON line')
    .option('--http', 'serve the key-value HTTP API on every node (replicated logs with the request contract of multi-paxos)')
    .addOption(new Option('--http-timeout <ms>', 'how long an HTTP request waits for its command to be applied (default 5000)').argParser(wholeNumber('--http-timeout', 1, 3_600_000)))
    .option('--no-trace', 'record no steps (a service under load): no step lines, no trace.jsonl on down')
    .action(async (arg: string, flags: UpFlags) => setExit(await up(arg, flags, io)));

  cluster.command('down').description('stop the cluster').addOption(dataOption())
    .action(async (flags: { data: string }) => setExit(await control(flags.data, { cmd: 'down' }, io)));
  cluster.command('status').description('the nodes, their addresses and processes').addOption(dataOption()).option('--json', 'print as JSON')
    .action(async (flags: { data: string; json?: boolean }) => setExit(await control(flags.data, { cmd: 'status' }, io, flags.json)));
  const faults: [ControlRequest['cmd'], string][] = [
    ['kill', 'kill a node with SIGKILL (a crash)'],
    ['pause', 'stop a node with SIGSTOP'],
    ['resume', 'continue a paused node with SIGCONT'],
    ['restart', 'start a killed node again, on its port, from its write-ahead log'],
  ];
  for (const [cmd, description] of faults) {
    cluster.command(cmd).description(description).argument('<node>', 'a node id').addOption(dataOption())
      .action(async (node: string, flags: { data: string }) => setExit(await control(flags.data, { cmd, node } as ControlRequest, io)));
  }
  cluster.command('partition').description('cut the network between groups of nodes (nodes not listed form one more group)')
    .argument('<sides>', 'groups of node ids, like a1,a2|a3').addOption(dataOption())
    .action(async (sides: string, flags: { data: string }) => setExit(await control(flags.data, { cmd: 'partition', sides: parseSides(sides) }, io)));
  cluster.command('heal').description('end a partition').addOption(dataOption())
    .action(async (flags: { data: string }) => setExit(await control(flags.data, { cmd: 'heal' }, io)));
}
