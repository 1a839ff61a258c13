// Derecho's atomic multicast in the shared state table notation: checked (exact counts, verdicts,
// the broken variants' counterexamples, one crash), simulated with latencies, run as processes.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import type { CheckOptions, CheckResult } from '../src/check/index.ts';
import { instantiate } from '../src/core/index.ts';
import { defineSstProtocol } from '../src/core/sst.ts';
import type { SstNodeState } from '../src/core/sst.ts';
import { deliveryOrder, derechoMulticast, derechoMulticastProgram, receivedPrefix } from '../src/protocols/derecho-multicast.ts';
import type { MulticastApp, MulticastRow } from '../src/protocols/derecho-multicast.ts';
import { startCluster } from '../src/runtime/cluster.ts';
import type { Cluster } from '../src/runtime/cluster.ts';
import { simulate } from '../src/sim/index.ts';

const verdicts = (r: CheckResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.verdict]));
const allHold = {
  'total order': 'holds', 'no gaps': 'holds', 'sender order': 'holds', stability: 'holds',
  'all delivered': 'holds', 'every member delivered every message': 'found',
};
const ORDER = ['m1.1', 'm2.1', 'm3.1', 'm1.2', 'm2.2', 'm3.2'];
type State = SstNodeState<MulticastRow, MulticastApp>;
const lastStates = (r: CheckResult, property: string) => r.properties.find((p) => p.name === property)!.trace!.steps.at(-1)!.states as Record<string, State>;
const stepsOf = (r: CheckResult, property: string) => r.properties.find((p) => p.name === property)!.trace!.steps.length - 1;

describe('Derecho multicast, checked', () => {
  test('the round-robin order, and how far a row has received in it', () => {
    assert.deepEqual(deliveryOrder({ members: 3, messages: 2, quiet: 0 }), ORDER);
    assert.deepEqual(deliveryOrder({ members: 3, messages: 2, quiet: 1 }), ['m1.1', 'm2.1', 'm1.2', 'm2.2']);
    const row = (m1: number, m2: number, m3: number): MulticastRow => ({ slots: [], received: { m1, m2, m3 } });
    assert.equal(receivedPrefix(row(2, 1, 1), ['m1', 'm2', 'm3']), 4); // m1.1 m2.1 m3.1 m1.2, then m2.2 is missing
    assert.equal(receivedPrefix(row(1, 0, 2), ['m1', 'm2', 'm3']), 1);
  });

  test('3 members, 2 messages each, on FIFO channels: 182,942 states, every property holds', async () => {
    const r = await check(derechoMulticast, {});
    assert.equal(r.network.ordering, 'ordered');
    assert.deepEqual([r.states, r.depth, r.complete], [182942, 29, true]);
    assert.deepEqual(verdicts(r), allHold);
    const done = lastStates(r, 'every member delivered every message');
    for (const m of ['m1', 'm2', 'm3']) assert.deepEqual(done[m].app.delivered, ORDER);
  });

  test('exact counts for smaller configurations, with and without batching, on several networks', async () => {
    const cases: [CheckOptions, number][] = [
      [{ params: { quiet: 1 } }, 44963], // m3 only sends nulls
      [{ params: { members: 2, messages: 3 } }, 34],
      [{ params: { members: 2, messages: 3, batching: false } }, 5621],
      [{ params: { members: 2, messages: 2, batching: false } }, 698],
      [{ params: { members: 2, messages: 2, window: 1 } }, 85],
      [{ params: { members: 2, messages: 2, batching: false }, network: { ordering: 'unordered' } }, 5239],
      [{ params: { quiet: 1 }, network: { ordering: 'unordered', duplicating: true } }, 56729],
    ];
    for (const [options, states] of cases) {
      const r = await check(derechoMulticast, options);
      assert.equal(r.states, states, JSON.stringify(options));
      assert.deepEqual(verdicts(r), allHold, JSON.stringify(options));
    }
  });

  test('delivering on its own received counter breaks stability in one step', async () => {
    const r = await check(derechoMulticast, { params: { variant: 'own-counter' } });
    assert.equal(r.exitCode, 1);
    assert.equal(r.states, 91733);
    assert.deepEqual(verdicts(r), { ...allHold, stability: 'fails' });
    assert.equal(stepsOf(r, 'stability'), 1);
    const last = lastStates(r, 'stability');
    // m1's first pass sends its two messages and delivers m1.1 before anyone else has it.
    assert.deepEqual(last.m1.app.delivered, ['m1.1']);
    assert.deepEqual(last.m2.sst.rows.m2.received, { m1: 0, m2: 0, m3: 0 });
  });

  test('delivering each sender\'s stable messages without the round-robin order breaks total order', async () => {
    const r = await check(derechoMulticast, { params: { variant: 'per-sender', members: 2 } });
    assert.equal(r.states, 37);
    assert.deepEqual(verdicts(r), { ...allHold, 'total order': 'fails', 'no gaps': 'fails' });
    assert.equal(stepsOf(r, 'total order'), 5);
    assert.equal(stepsOf(r, 'no gaps'), 3);
    const last = lastStates(r, 'total order');
    assert.deepEqual(last.m1.app.delivered, ['m2.1', 'm2.2']);
    assert.deepEqual(last.m2.app.delivered, ['m1.1', 'm1.2', 'm2.1', 'm2.2']);
  });

  test('one crash and no membership: safety holds, the survivors block', async () => {
    const r = await check(derechoMulticast, { params: { quiet: 1 }, network: { crashes: 1 } });
    assert.equal(r.states, 179852);
    assert.deepEqual(verdicts(r), { ...allHold, 'all delivered': 'fails' });
    assert.equal(stepsOf(r, 'all delivered'), 7);
    const trace = r.properties.find((p) => p.name === 'all delivered')!.trace!;
    assert.deepEqual(trace.steps.at(-1)!.action, { kind: 'crash', node: 'm3' });
    const last = lastStates(r, 'all delivered');
    // m1 and m2 hold every message, but m3's received counters stay at 0: nothing is ever stable.
    for (const m of ['m1', 'm2']) {
      assert.deepEqual(last[m].sst.rows[m].received, { m1: 2, m2: 2, m3: 0 });
      assert.deepEqual(last[m].app.delivered, []);
    }
  });

  test('eager evaluation (a pass right after each push): 8,257 states, and 33,028 with one crash', async () => {
    const eager = defineSstProtocol({ ...derechoMulticastProgram, evaluation: 'eager' });
    const r = await check(eager, {});
    assert.equal(r.states, 8257);
    assert.deepEqual(verdicts(r), allHold);
    const crash = await check(eager, { network: { crashes: 1 } });
    assert.equal(crash.states, 33028);
    assert.deepEqual(verdicts(crash), { ...allHold, 'all delivered': 'fails' });
  });

  test('an always-armed evaluation loop gives the same states', async () => {
    const polled = defineSstProtocol({ ...derechoMulticastProgram, evaluation: 'always' });
    const [a, b] = await Promise.all([check(polled, { params: { members: 2, messages: 3, batching: false } }), check(derechoMulticast, { params: { members: 2, messages: 3, batching: false } })]);
    assert.equal(a.states, b.states);
    assert.ok(a.transitions > b.transitions);
  });
});

describe('Derecho multicast, simulated', () => {
  const latency = { default: { kind: 'uniform', minMs: 1, maxMs: 20 } } as const;
  const run = (params: Record<string, unknown>, seed: number) => {
    const result = simulate(instantiate(derechoMulticast, { params }), { seed, latency });
    const delivered: Record<string, string[]> = {};
    const batches: Record<string, number[]> = {};
    for (const e of result.trace.events) {
      if (e.outputs.length === 0) continue;
      for (const o of e.outputs) (delivered[e.node] ??= []).push((o as { deliver: string }).deliver);
      (batches[e.node] ??= []).push(e.outputs.length);
    }
    return { result, delivered, batches };
  };

  test('seed 1: every member delivers the six messages in the same order, in opportunistic batches', () => {
    const { result, delivered, batches } = run({}, 1);
    assert.equal(result.stop, 'quiescent');
    assert.deepEqual([result.events, result.endTimeMs], [32, 48.9]);
    assert.deepEqual(delivered, { m1: ORDER, m2: ORDER, m3: ORDER });
    assert.deepEqual(batches, { m1: [6], m2: [1, 5], m3: [1, 5] });
    assert.ok(result.properties.every((p) => p.ok));
  });

  test('seed 1 without batching: the same order, one message per pass, more events', () => {
    const { result, delivered, batches } = run({ batching: false }, 1);
    assert.deepEqual([result.stop, result.events], ['quiescent', 71]);
    assert.deepEqual(delivered, { m1: ORDER, m2: ORDER, m3: ORDER });
    assert.deepEqual(batches, { m1: [1, 1, 1, 1, 1, 1], m2: [1, 1, 1, 1, 1, 1], m3: [1, 1, 1, 1, 1, 1] });
  });

  test('messages handed over every 4 ms, seed 2: m1 is late with its third, fills its slot with a null, and every member delivers m1.3 last', () => {
    const { result, delivered } = run({ messages: 3, produceMs: 4 }, 2);
    const order = ['m1.1', 'm2.1', 'm3.1', 'm1.2', 'm2.2', 'm3.2', 'm2.3', 'm3.3', 'm1.3'];
    assert.deepEqual([result.stop, result.events], ['quiescent', 59]);
    assert.deepEqual(delivered, { m1: order, m2: order, m3: order });
    const m1Slots = result.trace.events.filter((e) => e.node === 'm1').flatMap((e) => e.changes.filter((c) => c.field === 'sst.rows.m1.slots')).at(-1)!.after;
    assert.deepEqual(m1Slots, ['m1.1', 'm1.2', null, 'm1.3']);
    assert.ok(result.properties.every((p) => p.ok));
  });

  test('twenty seeds, with a quiet member sending nulls: always the same order everywhere', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { result, delivered } = run({ quiet: 1, messages: 3 }, seed);
      const order = ['m1.1', 'm2.1', 'm1.2', 'm2.2', 'm1.3', 'm2.3'];
      assert.deepEqual(delivered, { m1: order, m2: order, m3: order }, `seed ${seed}`);
      assert.ok(result.properties.every((p) => p.ok), `seed ${seed}`);
    }
  });
});

describe('Derecho multicast, as processes', () => {
  const clusters: Cluster[] = [];
  after(async () => { await Promise.all(clusters.map((c) => c.stop())); });

  test('three members deliver the six messages in the same order', { timeout: 30000 }, async () => {
    const cluster = await startCluster({
      source: { module: new URL('../src/protocols/derecho-multicast.ts', import.meta.url).href, exportName: 'derechoMulticast' },
      defaultTimerMs: { 'sst-evaluate': 2 },
    });
    clusters.push(cluster);
    const outputs = () => cluster.history.filter((h) => h.line.event === 'output');
    const deadline = Date.now() + 20000;
    while (outputs().length < 18 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const delivered: Record<string, string[]> = {};
    for (const h of outputs()) (delivered[h.node] ??= []).push((h.line.value as { deliver: string }).deliver);
    assert.deepEqual(delivered, { m1: ORDER, m2: ORDER, m3: ORDER });
    assert.deepEqual(cluster.logs.filter((l) => l.line.level === 'error'), []);
    await cluster.stop();
  });
});
