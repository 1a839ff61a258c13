// The replicated key-value service against etcd, side by side in the same run, on loopback:
//   node --import tsx bench/kv-etcd.ts                    1, 16 and 128 clients, 5 s each, median of 3
//   node --import tsx bench/kv-etcd.ts --seconds 10 --repeat 5 --clients 1,16,128,256
//
// Both are 3 members on 127.0.0.1 with their logs under a temporary folder, fsync on (etcd always
// fsyncs its WAL; our nodes fsync theirs before any reply). etcd is Debian's `etcd-server` package
// (apt-get install etcd-server), spoken to through its v3 JSON gateway. Each client is a loop of PUTs
// of a 64-byte value to one of 1000 keys, at a node picked round robin, one request at a time, over
// keep-alive HTTP connections; the same load generator drives both. Throughput is acknowledged
// operations per second over the measured window (after a 1 s warm-up); latency is per operation.
// Each row alternates the two systems `--repeat` times and reports the median of each figure, with
// the range of the throughputs: on a shared 2-core machine single runs move by tens of percent.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rememberSource, sourceOf } from '../src/core/source.ts';
import { multiPaxos } from '../src/protocols/multi-paxos.ts';
import { startCluster } from '../src/runtime/cluster.ts';
import { cpuModel } from './machine.ts';

const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, repeat: { type: 'string', default: '3' }, clients: { type: 'string', default: '1,16,128' } } });
const SECONDS = Number(flags.seconds);
const REPEAT = Number(flags.repeat);
const CLIENTS = flags.clients!.split(',').map(Number);
const KEYS = 1000;
const VALUE = 'v'.repeat(64);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** One PUT: where to send it and what to send, for key k. */
type Put = (node: number, k: number) => { host: string; port: number; method: string; path: string; body: string };

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  });
});

async function startEtcd(dir: string): Promise<{ ports: number[]; stop: () => Promise<void> }> {
  const names = ['e1', 'e2', 'e3'];
  const client: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < 3; i++) {
    client.push(await freePort());
    peer.push(await freePort());
  }
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${peer[i]}`).join(',');
  const procs: ChildProcess[] = names.map((name, i) => spawn('etcd', [
    '--name', name, '--data-dir', path.join(dir, name),
    '--listen-client-urls', `http://127.0.0.1:${client[i]}`, '--advertise-client-urls', `http://127.0.0.1:${client[i]}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer[i]}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer[i]}`,
    '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', 'bench',
    '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'inherit'] }));
  for (const p of procs) p.once('error', (err) => { throw new Error(`cannot start etcd (apt-get install etcd-server): ${err.message}`); });
  const deadline = Date.now() + 30_000;
  for (const port of client) {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<{ health: string }>).then((h) => h.health === 'true', () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`etcd on port ${port} did not become healthy`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    ports: client,
    stop: async () => {
      await Promise.all(procs.map((p) => new Promise((resolve) => { p.once('exit', resolve); p.kill('SIGTERM'); })));
    },
  };
}

/** `clients` loops of PUTs for `SECONDS` after a 1 s warm-up; ops/s and latency percentiles of the window. */
async function measure(put: Put, nodes: number, clients: number): Promise<{ ops: number; p50: number; p99: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const t0 = performance.now();
  const from = t0 + 1000;
  const to = from + SECONDS * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const one = (k: number) => new Promise<number>((resolve) => {
    const r = put(next++ % nodes, k);
    const req = http.request({ host: r.host, port: r.port, method: r.method, path: r.path, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(r.body);
  });
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; performance.now() < to; i++) {
      const start = performance.now();
      const status = await one((c * 7919 + i * 104729) % KEYS);
      const end = performance.now();
      if (status !== 200) errors++;
      else if (start >= from && end <= to) latencies.push(end - start);
    }
  }));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
  return { ops: latencies.length / SECONDS, p50: pct(0.5), p99: pct(0.99), errors };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-kv-bench-'));
console.log(`# Key-value service against etcd\n\n${cpuModel()}, ${os.cpus().length} cores, Node ${process.version}; load average ${load()}\n`);
const source = sourceOf(rememberSource(multiPaxos, { module: new URL('../src/protocols/multi-paxos.ts', import.meta.url).href, exportName: 'multiPaxos' }))!;
const params = { replicas: 3, commands: 0, maxBallot: 1_000_000_000, batch: 256, window: 1, snapshotEvery: 100, electMs: 100 };
const service = await startCluster({ source, params, dataDir: path.join(dir, 'protoforge'), http: true, quiet: true });
const etcd = await startEtcd(dir);
const ourPorts = service.nodes.map((id) => service.httpPorts[id]);
const putOurs: Put = (node, k) => ({ host: '127.0.0.1', port: ourPorts[node], method: 'PUT', path: `/kv/k${k}`, body: JSON.stringify({ value: VALUE }) });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const putEtcd: Put = (node, k) => ({ host: '127.0.0.1', port: etcd.ports[node], method: 'POST', path: '/v3/kv/put', body: JSON.stringify({ key: b64(`k${k}`), value: b64(VALUE) }) });

console.log(`multi-paxos ${JSON.stringify(params)}; etcd 3.4 with defaults. ${SECONDS} s per run after 1 s warm-up, median of ${REPEAT} (throughput range in brackets).\n`);
console.log('| clients | protoforge ops/s | p50 ms | p99 ms | etcd ops/s | p50 ms | p99 ms | throughput ratio | p99 ratio |');
console.log('|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
type Run = Awaited<ReturnType<typeof measure>>;
const median = (runs: Run[], f: (r: Run) => number) => runs.map(f).sort((x, y) => x - y)[Math.floor(runs.length / 2)];
const cell = (runs: Run[]) => {
  const ops = runs.map((r) => r.ops);
  return `${median(runs, (r) => r.ops).toFixed(0)} (${Math.min(...ops).toFixed(0)}-${Math.max(...ops).toFixed(0)}) | ${median(runs, (r) => r.p50).toFixed(2)} | ${median(runs, (r) => r.p99).toFixed(2)}`;
};
try {
  for (const clients of CLIENTS) {
    const ours: Run[] = [];
    const theirs: Run[] = [];
    for (let i = 0; i < REPEAT; i++) {
      ours.push(await measure(putOurs, 3, clients));
      theirs.push(await measure(putEtcd, 3, clients));
    }
    const errors = [ours, theirs].map((runs) => runs.reduce((n, r) => n + r.errors, 0));
    if (errors[0] || errors[1]) console.log(`(errors: protoforge ${errors[0]}, etcd ${errors[1]})`);
    const ratio = (f: (r: Run) => number) => (median(ours, f) / median(theirs, f)).toFixed(2);
    console.log(`| ${clients} | ${cell(ours)} | ${cell(theirs)} | ${ratio((r) => r.ops)}× | ${ratio((r) => r.p99)}× |`);
  }
} finally {
  await service.stop();
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nload average after: ${load()}`);
