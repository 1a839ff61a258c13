import path from 'node:path';
import { Command, Option } from 'commander';
import { runningLauncher } from '../runtime/control.ts';
import { wholeNumber } from './flags.ts';
import type { Io } from './io.ts';
import { UsageError } from './usage-error.ts';

interface KvFlags {
  data: string;
  node?: string;
  expect?: string;
  json?: boolean;
  timeout: number;
}

/** A value from the command line: a number when it reads as one, else the string. */
const valueOf = (text: string): string | number => (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text);

/** The HTTP addresses of the running nodes of the cluster in `data`, the one named by `--node` first. */
function addresses(flags: KvFlags): string[] {
  const data = path.resolve(flags.data);
  const status = runningLauncher(data);
  if (!status) throw new UsageError(`no cluster is running from ${data} (start one with: protoforge cluster up multi-paxos -p commands=0 -p maxBallot=1000000000 --http --data ${flags.data})`);
  const nodes = status.nodes.filter((n) => n.state === 'running' && n.http !== undefined);
  if (status.nodes.every((n) => n.http === undefined)) throw new UsageError(`the cluster in ${data} serves no key-value API: start it with --http`);
  if (flags.node !== undefined && !status.nodes.some((n) => n.id === flags.node)) {
    throw new UsageError(`the cluster has no node ${JSON.stringify(flags.node)} (nodes: ${status.nodes.map((n) => n.id).join(', ')})`);
  }
  nodes.sort((a, b) => Number(b.id === flags.node) - Number(a.id === flags.node));
  return nodes.map((n) => `http://127.0.0.1:${n.http}`);
}

/**
 * Sends one request to the first node that answers (a node that refuses the connection is skipped;
 * one that times out is not, since the command may have been applied). Exit 0 done, 1 absent or
 * compare-and-set failed, 3 outcome unknown.
 */
async function request(method: string, key: string, suffix: string, body: unknown, flags: KvFlags, io: Io): Promise<number> {
  const urls = addresses(flags);
  for (const base of urls) {
    let res: Response;
    try {
      res = await fetch(`${base}/kv/${encodeURIComponent(key)}${suffix}`, {
        method, signal: AbortSignal.timeout(flags.timeout),
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') break;
      continue; // refused: try the next node
    }
    const reply = (await res.json()) as Record<string, unknown>;
    if (res.status === 400) throw new UsageError(String(reply.error));
    if (res.status === 504) break;
    if (flags.json) io.out(JSON.stringify({ status: res.status, ...reply }) + '\n');
    else if (method === 'GET') io.out(res.status === 200 ? `${JSON.stringify(reply.value)}\n` : `${key}: absent\n`);
    else if (method === 'PUT') io.out('OK\n');
    else if (method === 'DELETE') io.out(res.status === 200 ? 'deleted\n' : `${key}: absent\n`);
    else io.out(res.status === 200 ? 'OK\n' : `compare failed: the value is ${JSON.stringify(reply.value)}\n`);
    return res.status === 200 ? 0 : 1;
  }
  io.err(`protoforge: no reply within ${flags.timeout} ms from ${urls.length === 0 ? 'any node (none is running)' : urls.join(', ')}: the outcome is unknown\n`);
  return 3;
}

export function addKvCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const kv = program.command('kv').description('read and write the key-value service of a cluster started with `cluster up ... --http`');
  const common = (c: Command) => c
    .addOption(new Option('--data <dir>', 'the cluster\'s folder').default('.protoforge-cluster'))
    .option('--node <id>', 'ask this node first (default: the first running node)')
    .addOption(new Option('--timeout <ms>', 'how long to wait for a reply').default(5000).argParser(wholeNumber('--timeout', 1, 3_600_000)))
    .option('--json', 'print the reply as JSON');
  common(kv.command('get').argument('<key>').description('the value of a key (linearizable: read through the log); exit 1 when absent'))
    .action(async (key: string, flags: KvFlags) => setExit(await request('GET', key, '', undefined, flags, io)));
  common(kv.command('put').argument('<key>').argument('<value>', 'a string, or a number').description('set a key'))
    .action(async (key: string, value: string, flags: KvFlags) => setExit(await request('PUT', key, '', { value: valueOf(value) }, flags, io)));
  common(kv.command('delete').argument('<key>').description('remove a key; exit 1 when it was absent'))
    .action(async (key: string, flags: KvFlags) => setExit(await request('DELETE', key, '', undefined, flags, io)));
  common(kv.command('cas').argument('<key>').argument('<value>').description('set a key only if its value is --expect (absent when not given); exit 1 when it is not'))
    .option('--expect <value>', 'the value the key must hold')
    .action(async (key: string, value: string, flags: KvFlags) =>
      setExit(await request('POST', key, '/cas', { expect: flags.expect === undefined ? null : valueOf(flags.expect), value: valueOf(value) }, flags, io)));
}
