/**
 * One protocol node in its own OS process (started through the `node-process.js` shim).
 *
 * Config: a JSON object (`NodeProcessConfig`) as the first argument, or in PROTOFORGE_NODE_CONFIG.
 * The cluster secret is read from the environment variable named by `secretEnv`
 * (PROTOFORGE_SECRET by default), never from the command line, where `ps` would show it.
 *
 * stdout carries one JSON line per event, nothing else:
 *   {"event":"listening","node":"rm1","port":40123,"pid":4242}   once, when the transport listens
 *   {"event":"started","node":"rm1"}                             after init ran
 *   {"event":"step","node":"rm1","on":"timer prepare","at":1763770000123.25,"input":{...},"state":{...},"effects":[...]}
 *                                                                after each handled event: the wall-clock time in ms, the
 *                                                                event, the new state and the effects the handler asked for
 *   {"event":"output","node":"rm1","value":...}                  per output effect
 *   {"event":"error","node":"rm1","message":"..."}               before exiting on a fatal error
 * Runtime logs (transport warnings, failing handlers) go to stderr as JSON lines.
 *
 *   {"event":"recovered","node":"a1","records":12,"droppedBytes":0}  with a data folder, before starting
 *
 * With `http`, the node also serves the key-value HTTP API (`kv-http.ts`; for replicated logs with
 * multi-paxos's request contract): `listening` then carries `httpPort`, and the launcher's peers line
 * may carry `http: {id: {host?, port}}`, the other nodes' HTTP addresses, for redirects. With
 * `quiet`, no step and output lines are printed (a service under load).
 *
 * When the config has no `peers`, the process waits for one JSON line `{"peers":{id:{host?,port}}}`
 * on stdin, then connects and starts; it then also stops when stdin ends, so it does not outlive the
 * launcher that died. It stops (and exits 0) on SIGTERM or SIGINT. Later stdin lines inject network
 * faults: `{"partition":[["a1","a2"],["a3"]]}` cuts this node off from the nodes on other sides, and
 * `{"partition":[]}` heals it.
 *
 * With `dataDir`, the node's durable fields are kept in the write-ahead log `<dataDir>/<node>.wal`;
 * a node started on a log that holds records restarts from the last one.
 */
import { createInterface } from 'node:readline';
import { instantiate } from '../core/instance.ts';
import { describeEvent } from '../core/step.ts';
import type { Effect, NodeEvent } from '../core/step.ts';
import { tsImport } from 'tsx/esm/api';
import { loadFromSource } from '../core/source.ts';
import type { ProtocolSource } from '../core/source.ts';
import { KvHttpFrontEnd } from './kv-http.ts';
import { stderrLogger } from './log.ts';
import { RuntimeNode } from './node.ts';
import { WriteAheadLog } from './wal.ts';
import { foldDurable } from './durable.ts';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PeerAddress } from './transport.ts';
import { timerDelay } from './timer-defaults.ts';
import type { TimerDefaults } from './timer-defaults.ts';

export interface NodeProcessConfig {
  readonly source: ProtocolSource;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly node: string;
  /** 127.0.0.1 and 0 (any free port) by default. */
  readonly host?: string;
  readonly port?: number;
  readonly peers?: Readonly<Record<string, PeerAddress>>;
  readonly defaultTimerMs?: TimerDefaults;
  /** The environment variable holding the cluster secret; PROTOFORGE_SECRET by default. */
  readonly secretEnv?: string;
  /** The folder of the node's write-ahead log; without it the node keeps nothing across a crash. */
  readonly dataDir?: string;
  /** Serve the key-value HTTP API on this port (0: any free one). */
  readonly http?: { readonly port?: number; readonly timeoutMs?: number };
  /** Print no step and output lines. */
  readonly quiet?: boolean;
}

let nodeId = '?';
const emit = ({ event, ...rest }: { event: string; [key: string]: unknown }) =>
  process.stdout.write(JSON.stringify({ event, node: nodeId, ...rest }) + '\n');
const fatal = (message: string): never => {
  emit({ event: 'error', message });
  process.stderr.write(JSON.stringify({ level: 'error', event: 'node-process-failed', node: nodeId, message }) + '\n');
  process.exit(1);
};

function readConfig(): NodeProcessConfig {
  const text = process.argv[2] ?? process.env.PROTOFORGE_NODE_CONFIG;
  if (!text) return fatal('no config: pass a JSON object as the first argument or in PROTOFORGE_NODE_CONFIG');
  let config: NodeProcessConfig;
  try {
    config = JSON.parse(text) as NodeProcessConfig;
  } catch (err) {
    return fatal(`config is not JSON: ${(err as Error).message}`);
  }
  if (typeof config?.node !== 'string') return fatal('config has no "node"');
  if (typeof config.source?.module !== 'string' || typeof config.source?.exportName !== 'string') {
    return fatal('config has no "source" {module, exportName}');
  }
  return config;
}

const config = readConfig();
nodeId = config.node;
const secretEnv = config.secretEnv ?? 'PROTOFORGE_SECRET';
const secret = process.env[secretEnv];
if (!secret) fatal(`no cluster secret in environment variable ${secretEnv}`);

let node!: RuntimeNode;
let frontEnd: KvHttpFrontEnd | undefined;
try {
  const instance = instantiate(await loadFromSource(config.source, (url) => tsImport(url, import.meta.url)), { params: config.params });
  let durable: { wal: WriteAheadLog; recovered?: Record<string, unknown> } | undefined;
  if (config.dataDir) {
    mkdirSync(config.dataDir, { recursive: true });
    const file = path.join(config.dataDir, `${config.node}.wal`);
    const { log, recovery } = WriteAheadLog.open(file);
    let last;
    try {
      last = foldDurable(recovery.records);
    } catch (err) {
      fatal(`${file}: ${(err as Error).message}`);
    }
    durable = { wal: log, ...(last ? { recovered: last } : {}) };
    emit({ event: 'recovered', records: recovery.records.length, droppedBytes: recovery.droppedBytes, ...(recovery.dropped ? { dropped: recovery.dropped } : {}) });
  }
  node = new RuntimeNode({
    instance, id: config.node, secret: secret!, ...durable,
    defaultTimerMs: timerDelay(config.defaultTimerMs),
    onOutput: (value) => {
      frontEnd?.onOutput(value);
      if (!config.quiet) emit({ event: 'output', value });
    },
    ...(config.quiet ? {} : {
      onStep: (state: unknown, event: NodeEvent, effects: readonly Effect[]) =>
        emit({ event: 'step', on: describeEvent(event), at: performance.timeOrigin + performance.now(), input: event, state, effects }),
    }),
    transport: { host: config.host ?? '127.0.0.1', port: config.port ?? 0 },
  });
  const decl = instance.topo.decls[instance.topo.index.get(config.node)!];
  if (config.http && typeof decl.def.on?.request !== 'function') {
    fatal(`--http serves replicated logs that take {type: 'request', cmd} messages (like multi-paxos); node ${config.node} (role ${decl.role}) of ${instance.protocol.name} has no "request" handler`);
  }
  if (config.http) frontEnd = new KvHttpFrontEnd({ node, log: stderrLogger, ...(config.http.timeoutMs ? { timeoutMs: config.http.timeoutMs } : {}) });
} catch (err) {
  fatal((err as Error).message);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await frontEnd?.close().catch(() => {});
  await node.stop().catch(() => {});
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

let started = false;
function connectAndStart(peers: Readonly<Record<string, PeerAddress>>): void {
  if (started) return;
  started = true;
  try {
    node.connect(peers);
    node.start();
  } catch (err) {
    fatal((err as Error).message);
  }
  emit({ event: 'started' });
}

const port = await node.listen().catch((err: Error) => fatal(`cannot listen: ${err.message}`));
const httpPort = frontEnd && await frontEnd.listen(config.host ?? '127.0.0.1', config.http?.port ?? 0).catch((err: Error) => fatal(`cannot listen for HTTP: ${err.message}`));
emit({ event: 'listening', port, pid: process.pid, ...(httpPort === undefined ? {} : { httpPort }) });

if (config.peers) connectAndStart(config.peers);
const stdin = createInterface({ input: process.stdin });
stdin.on('line', (line) => {
  if (!line.trim()) return;
  let msg: { peers?: Record<string, PeerAddress>; http?: Record<string, PeerAddress>; partition?: string[][] };
  try {
    msg = JSON.parse(line);
  } catch {
    return fatal(`stdin line is not JSON: ${line.slice(0, 200)}`);
  }
  if (msg && typeof msg.peers === 'object' && msg.peers !== null) {
    if (typeof msg.http === 'object' && msg.http !== null) frontEnd?.setPeers(msg.http);
    connectAndStart(msg.peers);
  }
  else if (msg && Array.isArray(msg.partition)) {
    try {
      node.partition(msg.partition);
      emit({ event: 'partition', sides: msg.partition });
    } catch (err) {
      emit({ event: 'error', message: (err as Error).message });
    }
  } else fatal(`unknown stdin command: ${line.slice(0, 200)}`);
});
// A launcher that gave no peers talks over stdin: when it goes away, so does this node.
if (!config.peers) stdin.on('close', () => void shutdown(0));
