/**
 * A local cluster: one OS process per node of a protocol instance, on 127.0.0.1.
 *
 * Each node runs `node-process.js` with port 0 and reports where it listens; once every node has,
 * the launcher sends each one the addresses of all nodes as one JSON line on stdin, and the nodes
 * connect and start. Every JSON line a node prints lands in `history`, stamped with the node and the
 * time it was read; stderr lines (runtime logs) land in `logs`.
 *
 * Faults are OS signals: `kill` is SIGKILL (a crash: the node loses what it had not logged),
 * `pause`/`resume` are SIGSTOP/SIGCONT (a node that stops answering, then comes back with its state
 * and timers); `restart` starts a killed node again on its port (from its write-ahead log when the
 * cluster has a data folder); `partition` cuts the network between groups of nodes until `heal`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { instantiate } from '../core/instance.ts';
import { tsImport } from 'tsx/esm/api';
import { loadFromSource } from '../core/source.ts';
import type { ProtocolSource } from '../core/source.ts';
import type { NodeProcessConfig } from './node-process-main.ts';
import type { TimerDefaults } from './timer-defaults.ts';
import type { PeerAddress } from './transport.ts';

export type { TimerDefaults } from './timer-defaults.ts';

export interface ClusterOptions {
  readonly source: ProtocolSource;
  readonly params?: Readonly<Record<string, unknown>>;
  /** The cluster secret, given to the nodes in their environment; random when absent. */
  readonly secret?: string;
  /** Delays for timers set without one: for every node, or per node id (evaluated here, in the launcher). */
  readonly defaultTimerMs?: TimerDefaults | ((node: string) => TimerDefaults | undefined);
  /** How long the nodes may take to listen and start; default 15000 ms. */
  readonly startTimeoutMs?: number;
  /** How long `stop` waits after SIGTERM before SIGKILL; default 2000 ms. */
  readonly stopGraceMs?: number;
  /** A folder for the nodes' write-ahead logs (`<node>.wal`); without it nodes keep nothing across a crash. */
  readonly dataDir?: string;
  /** Every node serves the key-value HTTP API (`kv-http.ts`); `timeoutMs` bounds a request's wait. */
  readonly http?: boolean | { readonly timeoutMs?: number };
  /** Nodes print no step and output lines (a service under load): `history` then holds only lifecycle lines. */
  readonly quiet?: boolean;
}

/** One line a node printed: `line` is its JSON (or `{event: 'text', text}` when it was not JSON). */
export interface HistoryEntry {
  readonly node: string;
  /** Date.now() when the launcher read it. */
  readonly at: number;
  readonly line: { readonly event: string; readonly [key: string]: unknown };
}

export interface NodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Cluster {
  readonly nodes: readonly string[];
  readonly ports: Readonly<Record<string, number>>;
  /** Where each node serves HTTP, with the `http` option. */
  readonly httpPorts: Readonly<Record<string, number>>;
  /** Process ids, as the launcher spawned them (a restarted node's is its new one). */
  readonly pids: Readonly<Record<string, number>>;
  /** Every stdout line of every node, in the order the launcher read them. */
  readonly history: readonly HistoryEntry[];
  /** Every stderr line of every node. */
  readonly logs: readonly HistoryEntry[];
  /** Resolves when the node's process has exited. */
  exited(node: string): Promise<NodeExit>;
  /** SIGKILL; resolves when the process has exited. */
  kill(node: string): Promise<NodeExit>;
  /** SIGSTOP. */
  pause(node: string): void;
  /** SIGCONT. */
  resume(node: string): void;
  /** Starts a node that exited again, on the same port; resolves once it has started. */
  restart(node: string): Promise<void>;
  /** Cuts the network between `sides` (nodes not listed form one more side), for every live node. */
  partition(sides: readonly (readonly string[])[]): void;
  /** Ends a partition. */
  heal(): void;
  /** Ends every process still running (SIGCONT + SIGTERM, SIGKILL after the grace period); resolves when all have exited. */
  stop(): Promise<void>;
}

/** The cluster could not start: a node exited before it started (its last error is in the message), or the nodes took too long. */
export class ClusterStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterStartError';
  }
}

const shim = fileURLToPath(new URL('./node-process.js', import.meta.url));

interface Member {
  readonly id: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly exit: Promise<NodeExit>;
  done: NodeExit | undefined;
  port: number | undefined;
  httpPort: number | undefined;
  started: boolean;
}

/** Spawns the nodes, waits until all listen, tells them each other's addresses, and waits until all started. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const instance = instantiate(await loadFromSource(options.source, (url) => tsImport(url, import.meta.url)), { params: options.params });
  const ids = instance.topo.ids;
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const history: HistoryEntry[] = [];
  const logs: HistoryEntry[] = [];
  const members = new Map<string, Member>();
  let progress = () => {};
  let failure: Error | undefined;

  const env: NodeJS.ProcessEnv = { ...process.env, PROTOFORGE_SECRET: secret };
  delete env.NODE_TEST_CONTEXT; // node --test's marker: children are not test files
  const pids: Record<string, number> = {};
  /** Spawns node `id` listening on `port` (0: any); its lines go to `history` and `logs`. */
  const spawnMember = (id: string, port: number, httpPort: number): Member => {
    const timers = typeof options.defaultTimerMs === 'function' ? options.defaultTimerMs(id) : options.defaultTimerMs;
    const config: NodeProcessConfig = {
      source: options.source, params: instance.params, node: id, host: '127.0.0.1', port,
      ...(timers === undefined ? {} : { defaultTimerMs: timers }),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.http ? { http: { port: httpPort, ...(typeof options.http === 'object' ? options.http : {}) } } : {}),
      ...(options.quiet ? { quiet: true } : {}),
    };
    const child = spawn(process.execPath, [shim, JSON.stringify(config)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const exit = new Promise<NodeExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const member: Member = { id, child, exit, done: undefined, port: undefined, httpPort: undefined, started: false };
    members.set(id, member);
    pids[id] = child.pid!;
    child.stdin.on('error', () => {}); // writing to a node that died
    void exit.then((e) => {
      member.done = e;
      if (!member.started && !failure) {
        const mine = logs.filter((l) => l.node === id);
        const last = mine.findLast((l) => typeof l.line.message === 'string');
        const why = last ? String(last.line.message) : mine.slice(-5).map((l) => JSON.stringify(l.line)).join('\n');
        failure = new ClusterStartError(`node ${id} exited (code ${e.code}, signal ${e.signal}) before it started${why ? `: ${why}` : ''}`);
      }
      progress();
    });
    createInterface({ input: child.stdout }).on('line', (text) => {
      const line = parseLine(text);
      history.push({ node: id, at: Date.now(), line });
      if (line.event === 'listening' && typeof line.port === 'number') {
        member.port = line.port;
        if (typeof line.httpPort === 'number') member.httpPort = line.httpPort;
      }
      if (line.event === 'started') member.started = true;
      progress();
    });
    createInterface({ input: child.stderr }).on('line', (text) => logs.push({ node: id, at: Date.now(), line: parseLine(text) }));
    return member;
  };
  for (const id of ids) spawnMember(id, 0, 0);

  const live = () => [...members.values()].filter((m) => m.done === undefined);
  const killAll = () => {
    for (const m of live()) m.child.kill('SIGKILL');
  };
  // If the launcher exits without `stop`, no node is left behind (a paused one would never see stdin end).
  process.on('exit', killAll);

  async function stop(): Promise<void> {
    for (const m of live()) {
      m.child.kill('SIGCONT');
      m.child.kill('SIGTERM');
    }
    const grace = setTimeout(killAll, options.stopGraceMs ?? 2000);
    await Promise.all([...members.values()].map((m) => m.exit));
    clearTimeout(grace);
    process.off('exit', killAll);
  }

  let deadline = Date.now() + (options.startTimeoutMs ?? 15000);
  async function until(what: string, ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (failure) throw failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new ClusterStartError(`cluster: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        progress = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  const peers: Record<string, PeerAddress> = {};
  const httpPeers: Record<string, PeerAddress> = {};
  let sides: readonly (readonly string[])[] = [];
  const tell = (m: Member, command: unknown) => { if (m.done === undefined) m.child.stdin.write(JSON.stringify(command) + '\n'); };
  try {
    await until('every node to listen', () => [...members.values()].every((m) => m.port !== undefined));
    for (const m of members.values()) {
      peers[m.id] = { host: '127.0.0.1', port: m.port! };
      if (m.httpPort !== undefined) httpPeers[m.id] = { host: '127.0.0.1', port: m.httpPort };
    }
    for (const m of members.values()) m.child.stdin.write(JSON.stringify({ peers, http: httpPeers }) + '\n');
    await until('every node to start', () => [...members.values()].every((m) => m.started));
  } catch (err) {
    await stop();
    throw err;
  }
  progress = () => {};

  const member = (id: string): Member => {
    const m = members.get(id);
    if (!m) throw new Error(`the cluster has no node ${JSON.stringify(id)} (nodes: ${ids.join(', ')})`);
    return m;
  };
  const ports = Object.fromEntries([...members.values()].map((m) => [m.id, m.port!]));
  const httpPorts = Object.fromEntries(Object.entries(httpPeers).map(([id, a]) => [id, a.port]));
  return {
    nodes: ids,
    ports,
    httpPorts,
    pids,
    history,
    logs,
    exited: (id) => member(id).exit,
    kill(id) {
      const m = member(id);
      if (m.done === undefined) {
        m.child.kill('SIGKILL');
        // The node cannot say it was killed: the launcher notes it, for the history's readers.
        history.push({ node: id, at: Date.now(), line: { event: 'killed', node: id, at: performance.timeOrigin + performance.now() } });
      }
      return m.exit;
    },
    pause(id) {
      const m = member(id);
      if (m.done === undefined) m.child.kill('SIGSTOP');
    },
    resume(id) {
      const m = member(id);
      if (m.done === undefined) m.child.kill('SIGCONT');
    },
    async restart(id) {
      const old = member(id);
      if (old.done === undefined) throw new Error(`node ${id} is still running: kill it before restarting it`);
      const m = spawnMember(id, ports[id], httpPorts[id] ?? 0);
      failure = undefined;
      deadline = Date.now() + (options.startTimeoutMs ?? 15000);
      await until(`node ${id} to listen again`, () => m.port !== undefined);
      tell(m, { peers, http: httpPeers });
      await until(`node ${id} to start again`, () => m.started);
      progress = () => {};
      if (sides.length > 0) tell(m, { partition: sides });
    },
    partition(given) {
      for (const id of given.flat()) member(id);
      sides = given.map((side) => [...side]);
      for (const m of members.values()) tell(m, { partition: sides });
    },
    heal() {
      sides = [];
      for (const m of members.values()) tell(m, { partition: [] });
    },
    stop,
  };
}

function parseLine(text: string): HistoryEntry['line'] {
  try {
    const value = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.event === 'string') return value;
  } catch {
    // not JSON
  }
  return { event: 'text', text };
}
