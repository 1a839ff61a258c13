// The Derecho multicast on the runtime, and the replicated log beside it: `node --import tsx bench/derecho-runtime.ts`.
// For 3 and 5 members, on the shared-memory group (one worker thread per member) and on TCP
// (RuntimeNodes on 127.0.0.1, all in this thread); the baseline, measured in the same run, is the
// same program with `batching: false`.
// Throughput: each member hands its messages over at the start and sends at most WINDOW beyond what
// every member received (the program's `window`, Derecho's send window), so batched they flow as a
// stream of many passes; messages delivered per second at the slowest member, from the moment every
// member had started to the last delivery (median of REPEATS runs). Unbatched, a member delivers at
// most one message per pass, so a shorter stream gives the same rate, and one as long would take minutes.
// Latency: one message every PRODUCE_MS at each member; from the sender handing it over to each
// member delivering it (over the samples of REPEATS runs).
// The replicated log: multi-paxos with 3 replicas on the same two transports, driven by put commands
// injected into every replica: the same stream (STREAM per replica, at most WINDOW outstanding at
// each) and the same paced load (one every PRODUCE_MS at each replica). No write-ahead log, as the
// multicast keeps nothing on disk either.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { encode } from '@msgpack/msgpack';
import { instantiate } from '../src/core/instance.ts';
import type { Instance } from '../src/core/instance.ts';
import type { Plain } from '../src/core/plain.ts';
import type { SstNodeState } from '../src/core/sst.ts';
import { describeEvent } from '../src/core/step.ts';
import { derechoMulticast } from '../src/protocols/derecho-multicast.ts';
import type { MulticastApp, MulticastRow } from '../src/protocols/derecho-multicast.ts';
import { multiPaxos } from '../src/protocols/multi-paxos.ts';
import type { Command, Output, ReplicaState } from '../src/protocols/multi-paxos.ts';
import { RuntimeNode } from '../src/runtime/node.ts';
import type { RuntimeNodeOptions } from '../src/runtime/node.ts';
import { startShmGroup } from '../src/runtime/shm-group.ts';
import { cpuModel } from './machine.ts';

/** Messages per member of a batched throughput run (rows then reach about 15 KB, within a slot's 64 KiB). */
const STREAM = 2000;
/** Messages per member of an unbatched throughput run. */
const UNBATCHED = 99;
/** The program's largest `window`. */
const WINDOW = 99;
const REPEATS = 3;
const LATENCY_MESSAGES = 40;
const PRODUCE_MS = 5;
/** The evaluation timer's delay: setTimeout's least, 1 ms, so a pass costs at least that. */
const TIMERS = { 'sst-evaluate': 1 };
const HANDOVER = 'timer sst-action:produce';

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const now = () => performance.timeOrigin + performance.now();
const source = { module: new URL('../src/protocols/derecho-multicast.ts', import.meta.url).href, exportName: 'derechoMulticast' };

type Params = { members: number; messages: number; produceMs: number; window: number; batching: boolean };

/** What a run leaves behind: when it started, the hand-overs and deliveries, and the members' final states. */
interface Run {
  /** When the last member started. */
  readonly startedAt: number;
  /** Per member, the times its produce action fired: the k-th hands over message `<member>.<k>`. */
  readonly handovers: Record<string, number[]>;
  /** Per member, each delivered body with its time. */
  readonly deliveries: Record<string, { body: string; at: number }[]>;
  readonly states: Record<string, unknown>;
}

function emptyRun(members: readonly string[]): Pick<Run, 'handovers' | 'deliveries'> {
  return { handovers: Object.fromEntries(members.map((m) => [m, []])), deliveries: Object.fromEntries(members.map((m) => [m, []])) };
}

async function until(what: string, ready: () => boolean, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function onShm(p: Params): Promise<Run> {
  const group = await startShmGroup({ source, params: p, defaultTimerMs: TIMERS, recordEvents: ['start', HANDOVER] });
  const total = p.members * p.messages * p.members;
  await until('every delivery', () => group.outputs.length === total);
  const run = emptyRun(group.members);
  for (const e of group.events) if (e.on === HANDOVER) run.handovers[e.member].push(e.at);
  for (const o of group.outputs) run.deliveries[o.member].push({ body: (o.value as { deliver: string }).deliver, at: o.at });
  const startedAt = Math.max(...group.events.filter((e) => e.on === 'start').map((e) => e.at));
  const states = await group.states();
  await group.stop();
  return { ...run, startedAt, states };
}

/** Nodes on 127.0.0.1, all in this thread, connected and started. */
async function tcpNodes(instance: Instance, options: (id: string) => Partial<RuntimeNodeOptions>): Promise<RuntimeNode[]> {
  const ids = instance.topo.ids;
  const secret = randomBytes(32).toString('hex');
  const nodes = ids.map((id) => new RuntimeNode({ instance, id, secret, ...options(id) }));
  const ports = await Promise.all(nodes.map((n) => n.listen()));
  const addresses = Object.fromEntries(ids.map((id, i) => [id, { port: ports[i] }]));
  for (const n of nodes) n.connect(addresses);
  for (const n of nodes) n.start();
  return nodes;
}

async function onTcp(p: Params): Promise<Run> {
  const instance = instantiate(derechoMulticast, { params: { ...p } });
  const run = emptyRun(instance.topo.ids);
  let delivered = 0;
  const nodes = await tcpNodes(instance, (id) => ({
    defaultTimerMs: (timer) => TIMERS[timer as keyof typeof TIMERS] ?? 10,
    onOutput: (value) => { run.deliveries[id].push({ body: (value as { deliver: string }).deliver, at: now() }); delivered++; },
    onStep: (_state, event) => { if (describeEvent(event) === HANDOVER) run.handovers[id].push(now()); },
  }));
  const startedAt = now();
  await until('every delivery', () => delivered === p.members * p.messages * p.members);
  const states = Object.fromEntries(nodes.map((n) => [n.id, n.state]));
  await Promise.all(nodes.map((n) => n.stop()));
  return { ...run, startedAt, states };
}

/** Every member must have delivered the same sequence, every message once. */
function checkOrder(run: Run, p: Params): void {
  const sequences = Object.values(run.deliveries).map((d) => d.map((x) => x.body).join(' '));
  if (new Set(sequences).size !== 1 || new Set(sequences[0].split(' ')).size !== p.members * p.messages) {
    throw new Error(`${JSON.stringify(p)}: the members did not deliver the same ${p.members * p.messages} messages in the same order`);
  }
}

/** The largest push of the run: a member's last, with its whole final row, encoded as the transports send it. */
function largestPush(run: Run): number {
  return Math.max(...Object.entries(run.states).map(([m, state]) => {
    const { sst } = state as SstNodeState<MulticastRow, MulticastApp>;
    return encode({ type: 'sst-push', epoch: sst.epoch, seq: sst.seq[m], row: sst.rows[m] as Plain }).length;
  }));
}

function throughput(run: Run): number {
  const last = Math.max(...Object.values(run.deliveries).map((d) => d.at(-1)!.at));
  return run.deliveries[Object.keys(run.deliveries)[0]].length / ((last - run.startedAt) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The median throughput of REPEATS runs, and the largest push seen. */
async function medianThroughput(runOn: (p: Params) => Promise<Run>, p: Params): Promise<{ rate: number; push: number }> {
  const rates: number[] = [];
  let push = 0;
  for (let i = 0; i < REPEATS; i++) {
    const run = await runOn(p);
    checkOrder(run, p);
    rates.push(throughput(run));
    push = Math.max(push, largestPush(run));
  }
  return { rate: median(rates), push };
}

/** Hand-over to delivery, for every message at every member. */
function latencySamples(run: Run): number[] {
  const samples: number[] = [];
  for (const deliveries of Object.values(run.deliveries)) {
    for (const { body, at } of deliveries) {
      const dot = body.lastIndexOf('.');
      samples.push(at - run.handovers[body.slice(0, dot)][Number(body.slice(dot + 1)) - 1]);
    }
  }
  return samples;
}

function percentiles(samples: number[]): { p50: number; p99: number } {
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

/** p50 and p99 over the samples of REPEATS runs. */
async function latencies(runOn: (p: Params) => Promise<Run>, p: Params): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const run = await runOn(p);
    checkOrder(run, p);
    samples.push(...latencySamples(run));
  }
  return percentiles(samples);
}

const paxosSource = { module: new URL('../src/protocols/multi-paxos.ts', import.meta.url).href, exportName: 'multiPaxos' };
const PAXOS = { replicas: 3, commands: 0, maxBallot: 1_000_000_000, electMs: 100, batch: 64, window: 4, snapshotEvery: 100 };
const CLIENT = 'bench';
const KEYS = 100;

/** Hears an apply at a replica: the ids of the commands it executed, and when it output them. */
type OnApply = (replica: string, ids: readonly string[], at: number) => void;

/** A running replicated log: `inject` hands a replica a command from the client. */
interface Log {
  readonly replicas: readonly string[];
  inject(replica: string, cmd: Command): void;
  states(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const request = (cmd: Command) => ({ type: 'request', cmd, redirect: false });
const executed = (value: unknown) => ((value as Output).type === 'apply' ? (value as Extract<Output, { type: 'apply' }>).replies.map((r) => r.id) : []);

async function paxosOnShm(onApply: OnApply): Promise<Log> {
  const group = await startShmGroup({ source: paxosSource, params: PAXOS, onOutput: (o) => onApply(o.member, executed(o.value), o.at) });
  return { replicas: group.members, inject: (r, cmd) => group.inject(r, CLIENT, request(cmd)), states: () => group.states(), stop: () => group.stop() };
}

async function paxosOnTcp(onApply: OnApply): Promise<Log> {
  const instance = instantiate(multiPaxos, { params: PAXOS });
  const nodes = await tcpNodes(instance, (id) => ({ onOutput: (value) => onApply(id, executed(value), now()) }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return {
    replicas: instance.topo.ids,
    inject: (r, cmd) => byId.get(r)!.inject(CLIENT, request(cmd)),
    states: async () => Object.fromEntries(nodes.map((n) => [n.id, n.state])),
    stop: async () => { await Promise.all(nodes.map((n) => n.stop())); },
  };
}

/**
 * Drives a log: one command to elect a leader, then the paced load (latency: injection to the apply
 * at the replica injected into), then REPEATS streams (commands applied per second at the slowest
 * replica, from the first injection to that replica's last apply; the median; and the mean commands per slot).
 */
async function driveLog(open: (onApply: OnApply) => Promise<Log>): Promise<{ rate: number; perSlot: number; p50: number; p99: number }> {
  /** Commands injected and not yet applied at their replica. */
  const waiting = new Map<string, { replica: string; at: number; applied: (ms: number) => void }>();
  /** Per replica, the commands of the current stream it executed, in how many slots, and when it executed the last. */
  let executedInStream: Record<string, { count: number; slots: number; at: number }> = {};
  let stream = '';
  const log = await open((replica, ids, at) => {
    const ours = stream ? ids.filter((id) => id.startsWith(stream)).length : 0;
    if (ours > 0) {
      const e = executedInStream[replica] ?? { count: 0, slots: 0, at };
      executedInStream[replica] = { count: e.count + ours, slots: e.slots + 1, at };
    }
    for (const id of ids) {
      const w = waiting.get(id);
      if (w?.replica !== replica) continue;
      waiting.delete(id);
      w.applied(at - w.at);
    }
  });
  // Ids numbered 1, 2, ... per prefix, so that the replicas' record of applied ids stays one entry per prefix.
  const sent = new Map<string, number>();
  const inject = (tag: string, replica: string, applied: (ms: number) => void) => {
    const prefix = `${tag}${replica}-`;
    const n = (sent.get(prefix) ?? 0) + 1;
    sent.set(prefix, n);
    const id = `${prefix}${n}`;
    waiting.set(id, { replica, at: now(), applied });
    log.inject(replica, { id, op: 'put', key: `k${n % KEYS}`, value: `v${n}`, expect: null });
  };

  inject('warm-', log.replicas[0], () => {});
  await until('a leader to apply the first command', () => waiting.size === 0);

  const samples: number[] = [];
  let ticks = 0;
  const paced = setInterval(() => {
    for (const r of log.replicas) inject('paced-', r, (ms) => samples.push(ms));
    if (++ticks === LATENCY_MESSAGES * REPEATS) clearInterval(paced);
  }, PRODUCE_MS);
  await until('every paced command to be applied', () => ticks === LATENCY_MESSAGES * REPEATS && waiting.size === 0);

  const rates: number[] = [];
  let slots = 0;
  for (let i = 1; i <= REPEATS; i++) {
    stream = `stream${i}-`;
    executedInStream = {};
    const left: Record<string, number> = Object.fromEntries(log.replicas.map((r) => [r, STREAM]));
    // Injected once the output call has returned: a RuntimeNode without a write-ahead log hands out
    // outputs while it handles events, and an event injected then would wait for its next event.
    const next = (r: string) => {
      if (left[r] === 0) return;
      left[r]--;
      inject(stream, r, () => queueMicrotask(() => next(r)));
    };
    const startedAt = now();
    for (const r of log.replicas) for (let k = 0; k < WINDOW; k++) next(r);
    const total = STREAM * log.replicas.length;
    await until(`every replica to execute the ${total} commands of stream ${i}`, () => log.replicas.every((r) => executedInStream[r]?.count === total));
    rates.push(total / ((Math.max(...Object.values(executedInStream).map((e) => e.at)) - startedAt) / 1000));
    slots += executedInStream[log.replicas[0]].slots;
  }

  // Every replica must end with the same state machine: the same key-value map and applied commands.
  const machines = Object.values(await log.states()).map((s) => JSON.stringify((s as ReplicaState).sm));
  if (new Set(machines).size !== 1) throw new Error('the replicas ended with different state machines');
  await log.stop();
  return { rate: median(rates), perSlot: (STREAM * log.replicas.length * REPEATS) / slots, ...percentiles(samples) };
}

const transports = { 'shared memory': { multicast: onShm, log: paxosOnShm }, TCP: { multicast: onTcp, log: paxosOnTcp } } as const;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const ms = (x: number) => x.toFixed(1);

console.log(`# Derecho multicast on the runtime: batching on / off, and the replicated log beside it\n\n${cpuModel()}, ${os.cpus().length} cores, Node ${process.version}; load average ${load()}\n`);
console.log(`Shared memory: one worker thread per member, rows written into each other's slots, other messages through rings. TCP: RuntimeNodes on 127.0.0.1, all on this one thread. The evaluation timer fires after ${TIMERS['sst-evaluate']} ms. Rows carry the member's whole send buffer, so a push grows with every message sent (the largest of the batched throughput runs is shown).\n`);

const headlineRows: string[] = [];
const throughputRows: string[] = [];
const latencyRows: string[] = [];
const logRows: string[] = [];
const began = Date.now();
for (const [name, runOn] of Object.entries(transports)) {
  for (const members of [3, 5]) {
    const t = { members, produceMs: 0, window: WINDOW };
    const on = await medianThroughput(runOn.multicast, { ...t, messages: STREAM, batching: true });
    const off = await medianThroughput(runOn.multicast, { ...t, messages: UNBATCHED, batching: false });
    throughputRows.push(`| ${name} | ${members} | ${on.rate.toFixed(0)} | ${off.rate.toFixed(0)} | **${ratio(on.rate, off.rate)}** | ${on.push} |`);

    const l = { members, messages: LATENCY_MESSAGES, produceMs: PRODUCE_MS, window: 0 };
    const [a, b] = [await latencies(runOn.multicast, { ...l, batching: true }), await latencies(runOn.multicast, { ...l, batching: false })];
    latencyRows.push(`| ${name} | ${members} × ${LATENCY_MESSAGES} | ${ms(a.p50)} | ${ms(b.p50)} | **${ratio(a.p50, b.p50)}** | ${ms(a.p99)} | ${ms(b.p99)} | **${ratio(a.p99, b.p99)}** |`);
    headlineRows.push(`| ${name} | ${members} | **${ratio(on.rate, off.rate)}** | **${ratio(a.p50, b.p50)}** | **${ratio(a.p99, b.p99)}** |`);

    if (members === PAXOS.replicas) {
      const paxos = await driveLog(runOn.log);
      logRows.push(`| ${name} | ${on.rate.toFixed(0)} | ${paxos.rate.toFixed(0)} | **${ratio(paxos.rate, on.rate)}** | ${paxos.perSlot.toFixed(1)} | ${ms(a.p50)} | ${ms(paxos.p50)} | ${ms(a.p99)} | ${ms(paxos.p99)} |`);
    }
  }
}

console.log('## Headline: batched / unbatched\n');
console.log('| transport | members | throughput | latency p50 | latency p99 |');
console.log('|---|--:|--:|--:|--:|');
for (const row of headlineRows) console.log(row);
console.log(`\n## Throughput: a stream of messages handed over at the start, at most ${WINDOW} in flight per sender\n\nMessages delivered per second at every member (the slowest), from the moment every member had started to the last delivery; median of ${REPEATS} runs. Batched: ${STREAM} messages per member; unbatched: ${UNBATCHED} (at most one delivery per pass, so its rate does not depend on the length).\n`);
console.log(`| transport | members | batched msg/s (${STREAM} each) | unbatched msg/s (${UNBATCHED} each) | batched / unbatched | largest batched push, bytes |`);
console.log('|---|--:|--:|--:|--:|--:|');
for (const row of throughputRows) console.log(row);
console.log(`\n## Latency: one message every ${PRODUCE_MS} ms at each member\n\nFrom the sender's hand-over (its produce action) to the delivery, over every message at every member of ${REPEATS} runs, ms.\n`);
console.log('| transport | members × messages | batched p50 | unbatched p50 | batched / unbatched | batched p99 | unbatched p99 | batched / unbatched |');
console.log('|---|---|--:|--:|--:|--:|--:|--:|');
for (const row of latencyRows) console.log(row);
console.log(`\n## The replicated log beside the multicast: 3 members, 3 replicas\n\nmulti-paxos ${JSON.stringify(PAXOS)}, no write-ahead log; put commands of ${KEYS} keys injected into every replica. Throughput: the same stream as the batched multicast, ${STREAM} commands per replica with at most ${WINDOW} outstanding at each; commands applied per second at every replica (the slowest), from the first injection to the last apply; median of ${REPEATS} streams. Latency: one command every ${PRODUCE_MS} ms at each replica, ${LATENCY_MESSAGES * REPEATS} per replica, from the injection to the apply at that replica, ms (the multicast's: to the delivery at every member).\n`);
console.log('| transport | multicast msg/s | multi-paxos commands/s | paxos / multicast | commands per slot | multicast p50 | multi-paxos p50 | multicast p99 | multi-paxos p99 |');
console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const row of logRows) console.log(row);
console.log(`\n${((Date.now() - began) / 1000).toFixed(1)} s in all; load average after: ${load()}`);
