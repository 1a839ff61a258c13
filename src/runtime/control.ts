/**
 * The control channel of a running cluster launcher: a Unix socket in the cluster's data folder,
 * one JSON request and one JSON reply per connection. `protoforge cluster kill|pause|resume|restart|
 * partition|heal|status|down` talk to `protoforge cluster up` through it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Cluster } from './cluster.ts';

export type ControlRequest =
  | { readonly cmd: 'kill' | 'pause' | 'resume' | 'restart'; readonly node: string }
  | { readonly cmd: 'partition'; readonly sides: readonly (readonly string[])[] }
  | { readonly cmd: 'heal' | 'status' | 'down' };

export type ControlReply = { readonly ok: true; readonly message: string; readonly status?: ClusterStatus } | { readonly ok: false; readonly error: string };

export interface ClusterStatus {
  readonly protocol: string;
  readonly launcher: number;
  readonly nodes: readonly {
    readonly id: string; readonly port: number; readonly pid: number; readonly state: 'running' | 'paused' | 'exited';
    /** Where the node serves the key-value HTTP API, when it does. */
    readonly http?: number;
  }[];
  readonly partition: readonly (readonly string[])[];
}

export class ControlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

export const controlSocket = (dataDir: string) => path.join(dataDir, 'control.sock');
const statusFile = (dataDir: string) => path.join(dataDir, 'cluster.json');

/** Where the launcher that owns `dataDir` says it is, if one says so and its process is alive. */
export function runningLauncher(dataDir: string): ClusterStatus | undefined {
  if (!existsSync(statusFile(dataDir))) return undefined;
  let status: ClusterStatus;
  try {
    status = JSON.parse(readFileSync(statusFile(dataDir), 'utf8')) as ClusterStatus;
    process.kill(status.launcher, 0);
  } catch {
    return undefined; // unreadable, or its launcher is gone
  }
  return status;
}

/**
 * Serves control requests for `cluster` until `down` (which stops it and resolves `done`). Writes
 * `cluster.json` into the data folder for `status` and for other launchers to see the folder is taken.
 */
export async function serveControl(cluster: Cluster, protocol: string, dataDir: string): Promise<{ done: Promise<void>; close: () => Promise<void> }> {
  const paused = new Set<string>();
  const exited = new Set<string>();
  let sides: readonly (readonly string[])[] = [];
  const status = (): ClusterStatus => ({
    protocol, launcher: process.pid,
    nodes: cluster.nodes.map((id) => ({
      id, port: cluster.ports[id], pid: cluster.pids[id], state: exited.has(id) ? 'exited' : paused.has(id) ? 'paused' : 'running',
      ...(cluster.httpPorts[id] === undefined ? {} : { http: cluster.httpPorts[id] }),
    })),
    partition: sides,
  });
  const save = () => writeFileSync(statusFile(dataDir), JSON.stringify(status(), null, 2) + '\n');
  for (const id of cluster.nodes) void cluster.exited(id).then(() => { exited.add(id); });

  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const handle = async (req: ControlRequest): Promise<ControlReply> => {
    switch (req.cmd) {
      case 'kill':
        await cluster.kill(req.node);
        exited.add(req.node);
        paused.delete(req.node);
        return { ok: true, message: `${req.node} killed (SIGKILL)` };
      case 'pause':
        cluster.pause(req.node);
        paused.add(req.node);
        return { ok: true, message: `${req.node} paused (SIGSTOP)` };
      case 'resume':
        cluster.resume(req.node);
        paused.delete(req.node);
        return { ok: true, message: `${req.node} resumed (SIGCONT)` };
      case 'restart':
        await cluster.restart(req.node);
        exited.delete(req.node);
        void cluster.exited(req.node).then(() => { exited.add(req.node); });
        return { ok: true, message: `${req.node} restarted on port ${cluster.ports[req.node]}` };
      case 'partition':
        cluster.partition(req.sides);
        sides = req.sides;
        return { ok: true, message: `partitioned: ${req.sides.map((s) => s.join(',')).join(' | ')}` };
      case 'heal':
        cluster.heal();
        sides = [];
        return { ok: true, message: 'partition healed' };
      case 'status':
        return { ok: true, message: 'status', status: status() };
      case 'down':
        setImmediate(finish);
        return { ok: true, message: 'stopping the cluster' };
    }
  };

  const socketPath = controlSocket(dataDir);
  rmSync(socketPath, { force: true }); // left by a launcher that was killed
  const server = net.createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      let req: ControlRequest;
      try {
        req = JSON.parse(text.slice(0, end)) as ControlRequest;
      } catch {
        socket.end(JSON.stringify({ ok: false, error: 'the request is not JSON' }) + '\n');
        return;
      }
      handle(req).then(
        (reply) => { save(); socket.end(JSON.stringify(reply) + '\n'); },
        (err: Error) => socket.end(JSON.stringify({ ok: false, error: err.message }) + '\n'),
      );
    });
  });
  server.listen(socketPath);
  await new Promise<void>((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
  save();
  return {
    done,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(statusFile(dataDir), { force: true });
    },
  };
}

/** Sends one request to the launcher of the cluster in `dataDir`. */
export async function sendControl(dataDir: string, req: ControlRequest): Promise<ControlReply> {
  if (!runningLauncher(dataDir)) throw new ControlError(`no cluster is running from ${dataDir} (start one with: protoforge cluster up PROTOCOL --data ${dataDir})`);
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(controlSocket(dataDir));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(req) + '\n'));
    socket.on('data', (chunk) => { text += chunk; });
    socket.on('error', (err) => reject(new ControlError(`cannot reach the cluster launcher of ${dataDir}: ${err.message}`)));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(text) as ControlReply);
      } catch {
        reject(new ControlError(`the cluster launcher of ${dataDir} gave no reply`));
      }
    });
  });
}
