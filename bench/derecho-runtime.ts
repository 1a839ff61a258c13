// The Derecho multicast on the runtime: `node --import tsx bench/derecho-runtime.ts`.
// Throughput: every message handed over at the start; messages delivered per second at the slowest
// member, from the moment every member had started to the last delivery (median of REPEATS runs).
// Latency: one message every PRODUCE_MS at each member; from the sender handing it over to each
// member delivering it (over the samples of REPEATS runs). For 3 and 5 members, on the shared-memory
// group (one worker thread per member) and on TCP (RuntimeNodes on 127.0.0.1, all in this thread).
// The baseline, measured in the same run, is the same program with `batching: false`.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { encode } from '@msgpack/msgpack';
import { instantiate } from '../src/core/instance.ts';
import type { Plain } from '../src/core/plain.ts';
import type { SstNodeState } from '../src/core/sst.ts';
import { describeEvent } from '../src/core/step.ts';
import { derechoMulticast } from '../src/protocols/derecho-multicast.ts';
import type { MulticastApp, MulticastRow } from '../src/protocols/derecho-multicast.ts';
import { RuntimeNode } from '../src/runtime/node.ts';
import { startShmGroup } from '../src/runtime/shm-group.ts';
import { cpuModel } from './machine.ts';

/** The program's `messages` parameter goes up to 99. */
const THROUGHPUT_MESSAGES = 99;
const REPEATS = 3;
const LATENCY_MESSAGES = 40;
const PRODUCE_MS = 5;
/** The evaluation timer's delay: setTimeout's least, 1 ms, so a pass costs at least that. */
const TIMERS = { 'sst-evaluate': 1 };
const HANDOVER = 'timer sst-action:produce';

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const now = () => performance.timeOrigin + performance.now();
const source = { module: new URL('../src/protocols/derecho-multicast.ts', import.meta.url).href, exportName: 'derechoMulticast' };

type Params = { members: number; messages: number; produceMs: number; batching: boolean };

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

async function onTcp(p: Params): Promise<Run> {
  const instance = instantiate(derechoMulticast, { params: { ...p } });
  const ids = instance.topo.ids;
  const run = emptyRun(ids);
  const secret = randomBytes(32).toString('hex');
  let delivered = 0;
  const nodes = ids.map((id) => new RuntimeNode({
    instance, id, secret, defaultTimerMs: (timer) => TIMERS[timer as keyof typeof TIMERS] ?? 10,
    onOutput: (value) => { run.deliveries[id].push({ body: (value as { deliver: string }).deliver, at: now() }); delivered++; },
    onStep: (_state, event) => { if (describeEvent(event) === HANDOVER) run.handovers[id].push(now()); },
  }));
  const ports = await Promise.all(nodes.map((n) => n.listen()));
  const addresses = Object.fromEntries(ids.map((id, i) => [id, { port: ports[i] }]));
  for (const n of nodes) n.connect(addresses);
  for (const n of nodes) n.start();
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
  return { rate: rates.sort((a, b) => a - b)[REPEATS >> 1], push };
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

/** p50 and p99 over the samples of REPEATS runs. */
async function latencies(runOn: (p: Params) => Promise<Run>, p: Params): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const run = await runOn(p);
    checkOrder(run, p);
    samples.push(...latencySamples(run));
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

const transports = { 'shared memory': onShm, TCP: onTcp } as const;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const ms = (x: number) => x.toFixed(1);

console.log(`# Derecho multicast on the runtime: batching on / off\n\n${cpuModel()}, ${os.cpus().length} cores, Node ${process.version}; load average ${load()}\n`);
console.log(`Shared memory: one worker thread per member, rows written into each other's slots. TCP: RuntimeNodes on 127.0.0.1, all on this one thread. The evaluation timer fires after ${TIMERS['sst-evaluate']} ms.`);
console.log(`Rows carry the member's whole send buffer, so a push grows with every message sent: the counts are kept small enough for the whole run to take under a minute (the largest push of each run is shown).\n`);

const headlineRows: string[] = [];
const throughputRows: string[] = [];
const latencyRows: string[] = [];
const began = Date.now();
for (const [name, runOn] of Object.entries(transports)) {
  for (const members of [3, 5]) {
    const t = { members, messages: THROUGHPUT_MESSAGES, produceMs: 0 };
    const [on, off] = [await medianThroughput(runOn, { ...t, batching: true }), await medianThroughput(runOn, { ...t, batching: false })];
    throughputRows.push(`| ${name} | ${members} × ${THROUGHPUT_MESSAGES} | ${on.rate.toFixed(0)} | ${off.rate.toFixed(0)} | **${ratio(on.rate, off.rate)}** | ${Math.max(on.push, off.push)} |`);

    const l = { members, messages: LATENCY_MESSAGES, produceMs: PRODUCE_MS };
    const [a, b] = [await latencies(runOn, { ...l, batching: true }), await latencies(runOn, { ...l, batching: false })];
    latencyRows.push(`| ${name} | ${members} × ${LATENCY_MESSAGES} | ${ms(a.p50)} | ${ms(b.p50)} | **${ratio(a.p50, b.p50)}** | ${ms(a.p99)} | ${ms(b.p99)} | **${ratio(a.p99, b.p99)}** |`);
    headlineRows.push(`| ${name} | ${members} | **${ratio(on.rate, off.rate)}** | **${ratio(a.p50, b.p50)}** | **${ratio(a.p99, b.p99)}** |`);
  }
}

console.log('## Headline: batched / unbatched\n');
console.log('| transport | members | throughput | latency p50 | latency p99 |');
console.log('|---|--:|--:|--:|--:|');
for (const row of headlineRows) console.log(row);
console.log(`\n## Throughput: every message handed over at the start\n\nMessages delivered per second at every member (the slowest), from the moment every member had started to the last delivery; median of ${REPEATS} runs. ${THROUGHPUT_MESSAGES} messages per member is the most the program's \`messages\` parameter allows: batched, that is a burst of a few passes, not a steady stream.\n`);
console.log('| transport | members × messages | batched msg/s | unbatched msg/s | batched / unbatched | largest push, bytes |');
console.log('|---|---|--:|--:|--:|--:|');
for (const row of throughputRows) console.log(row);
console.log(`\n## Latency: one message every ${PRODUCE_MS} ms at each member\n\nFrom the sender's hand-over (its produce action) to the delivery, over every message at every member of ${REPEATS} runs, ms.\n`);
console.log('| transport | members × messages | batched p50 | unbatched p50 | batched / unbatched | batched p99 | unbatched p99 | batched / unbatched |');
console.log('|---|---|--:|--:|--:|--:|--:|--:|');
for (const row of latencyRows) console.log(row);
console.log(`\n${((Date.now() - began) / 1000).toFixed(1)} s in all; load average after: ${load()}`);
