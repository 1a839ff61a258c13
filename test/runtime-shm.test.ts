// The shared-memory transport: a group of members as worker threads of this process, pushes as
// one-sided writes into row slots, other messages through rings, clients' messages injected. The
// link is also driven directly, two members in this thread, where the order of writes and reads is
// in the test's hands.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { Plain } from '../src/core/plain.ts';
import { deliveryOrder, memberIds } from '../src/protocols/derecho-multicast.ts';
import type { Body, MulticastApp, MulticastRow } from '../src/protocols/derecho-multicast.ts';
import type { SstNodeState } from '../src/core/sst.ts';
import type { LogEntry } from '../src/runtime/log.ts';
import { startShmGroup } from '../src/runtime/shm-group.ts';
import type { ShmGroup, ShmGroupOptions } from '../src/runtime/shm-group.ts';
import { allocateInboxes, ShmError, ShmLink } from '../src/runtime/shm-link.ts';
import type { ShmSizes } from '../src/runtime/shm-link.ts';
import { waitFor } from './wait.ts';

const groups: ShmGroup[] = [];
after(async () => { await Promise.all(groups.map((g) => g.stop())); });

const multicast = { module: new URL('../src/protocols/derecho-multicast.ts', import.meta.url).href, exportName: 'derechoMulticast' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function launch(options: ShmGroupOptions): Promise<ShmGroup> {
  const group = await startShmGroup(options);
  groups.push(group);
  return group;
}

/** Runs the multicast until every member delivered every message; returns each member's deliveries. */
async function multicastRun(params: { members: number; messages: number; produceMs: number; batching: boolean }) {
  const delivered: Record<string, Body[]> = {};
  const group = await launch({
    source: multicast, params, defaultTimerMs: { 'sst-evaluate': 1 },
    onOutput: (o) => (delivered[o.member] ??= []).push((o.value as { deliver: Body }).deliver),
  });
  const total = params.members * params.messages;
  await waitFor('every member to deliver every message', () => group.outputs.length === params.members * total, 5000);
  return { group, delivered };
}

/** The application messages in the senders' own send buffers, in round-robin order: what every member must deliver. */
function roundRobin(states: Record<string, unknown>, members: readonly string[]): string[] {
  const slots = members.map((m) => (states[m] as SstNodeState<MulticastRow, MulticastApp>).sst.rows[m].slots);
  const out: string[] = [];
  for (let k = 0; ; k++) {
    for (const s of slots) {
      if (k === s.length) return out;
      if (s[k] !== null) out.push(s[k]!);
    }
  }
}

describe('Derecho multicast on a shared-memory group', () => {
  for (const batching of [true, false]) {
    const mode = batching ? 'on' : 'off';
    test(`three members, four messages each handed over at the start, batching ${mode}: every member delivers the round-robin order`, { timeout: 10000 }, async () => {
      const params = { members: 3, messages: 4, produceMs: 0, batching };
      const { group, delivered } = await multicastRun(params);
      const order = deliveryOrder({ ...params, quiet: 0 });
      assert.deepEqual(order.slice(0, 4), ['m1.1', 'm2.1', 'm3.1', 'm1.2']);
      assert.deepEqual(delivered, { m1: order, m2: order, m3: order });
      assert.deepEqual(group.logs, []);
    });

    test(`one message every 3 ms at each member, batching ${mode}: every member delivers the senders' buffers in round-robin order, each message once`, { timeout: 10000 }, async () => {
      // A member whose message comes late fills that round with a null and sends it in a later
      // one, so the order is read from the senders' own buffers, not fixed in advance.
      const params = { members: 3, messages: 4, produceMs: 3, batching };
      const { group, delivered } = await multicastRun(params);
      const order = roundRobin(await group.states(), memberIds(3));
      assert.deepEqual(delivered, { m1: order, m2: order, m3: order });
      assert.deepEqual([...order].sort(), deliveryOrder({ ...params, quiet: 0 }).sort());
      assert.deepEqual(group.logs, []);
    });
  }

  test('a row larger than its slot ends its member with one error naming it and both sizes; nothing is delivered', { timeout: 10000 }, async () => {
    // Only m1 sends (quiet: 2): its first push carries ten messages; m2 and m3 have nothing to push.
    const group = await launch({ source: multicast, params: { messages: 10, quiet: 2 }, slotBytes: 64, defaultTimerMs: { 'sst-evaluate': 1 } });
    const err = await group.failed;
    assert.equal(err.name, 'ShmError');
    assert.equal(err.message, 'member m1: its row (sst-push seq 1 of epoch 0) takes 112 bytes, more than the 64 bytes of a row slot: raise slotBytes');
    await group.exited('m1');
    assert.deepEqual(Object.keys(await group.states()), ['m2', 'm3']);
    assert.deepEqual(group.outputs, []);
  });
});

describe('other messages through the rings of a shared-memory group', () => {
  test('two-phase commit with 2 resource managers commits on three threads', { timeout: 10000 }, async () => {
    const group = await launch({
      source: { module: new URL('../src/protocols/two-phase-commit.ts', import.meta.url).href, exportName: 'twoPhaseCommit' },
      params: { rms: 2 }, defaultTimerMs: { prepare: 5, commit: 5, abort: 3000 },
    });
    assert.deepEqual(group.members, ['tm', 'rm1', 'rm2']);
    let states: Record<string, unknown> = {};
    const status = () => Object.values(states).map((s) => (s as { status: string }).status);
    const deadline = Date.now() + 5000;
    while (!status().every((s) => s === 'committed') || status().length < 3) {
      assert.ok(Date.now() < deadline, `timed out: ${JSON.stringify(states)}`);
      await sleep(10);
      states = await group.states();
    }
    assert.deepEqual(states, {
      tm: { status: 'committed', prepared: { rm1: true, rm2: true } },
      rm1: { status: 'committed' },
      rm2: { status: 'committed' },
    });
    assert.deepEqual(group.logs, []);
  });
});

describe('messages injected into the members of a shared-memory group', () => {
  test('two puts injected into different replicas of multi-paxos are applied in the same slots at every replica, with their replies', { timeout: 10000 }, async () => {
    const group = await launch({
      source: { module: new URL('../src/protocols/multi-paxos.ts', import.meta.url).href, exportName: 'multiPaxos' },
      params: { replicas: 3, commands: 0, electMs: 100 },
    });
    const put = (id: string, key: string, value: string) => ({ type: 'request', cmd: { id, op: 'put', key, value, expect: null }, redirect: false });
    const applied = (slots: number) => group.outputs.filter((o) => (o.value as { type: string }).type === 'apply').length === 3 * slots;
    // r1 hears of a command first, so it is the one that stands for election and leads; r2, once it
    // has applied slot 1 from r1, forwards its request to r1.
    group.inject('r1', 'client', put('c-1', 'x', 'one'));
    await waitFor('every replica to apply slot 1', () => applied(1), 5000);
    group.inject('r2', 'client', put('c-2', 'y', 'two'));
    await waitFor('every replica to apply slot 2', () => applied(2), 5000);
    const expected = [
      { type: 'apply', slot: 1, batch: ['c-1'], replies: [{ id: 'c-1', ok: true, value: 'one' }] },
      { type: 'apply', slot: 2, batch: ['c-2'], replies: [{ id: 'c-2', ok: true, value: 'two' }] },
    ];
    const byMember = (m: string) => group.outputs.filter((o) => o.member === m).map((o) => o.value);
    assert.deepEqual({ r1: byMember('r1'), r2: byMember('r2'), r3: byMember('r3') }, { r1: expected, r2: expected, r3: expected });
    assert.deepEqual(group.logs, []);
    assert.throws(() => group.inject('r1', 'r2', put('c-3', 'z', 'three')), { message: 'inject: "r2" is a node of the instance; name the outside party otherwise' });
    assert.throws(() => group.inject('r9', 'client', put('c-3', 'z', 'three')), { message: 'the group has no member "r9" (members: r1, r2, r3)' });
  });
});

describe('the shared-memory link, two members driven in one thread', () => {
  const links: ShmLink[] = [];
  after(async () => { await Promise.all(links.map((l) => l.close())); });

  /** Members m1 and m2 over fresh inboxes; what m2 receives is collected in order. */
  function pair(sizes: ShmSizes, queueLimit?: number) {
    const inboxes = allocateInboxes(2, sizes);
    const received: [string, Plain][] = [];
    const logs: LogEntry[] = [];
    const make = (self: string) => new ShmLink({
      self, members: ['m1', 'm2'], inboxes, ...sizes, ...(queueLimit === undefined ? {} : { queueLimit }),
      deliver: (from, body) => received.push([from, body]), log: (entry) => logs.push(entry),
    });
    const m1 = make('m1');
    const m2 = make('m2');
    links.push(m1, m2);
    return { m1, received, logs };
  }

  test('pushes overwrite in their slot, but the last push of an epoch is not lost to the first of the next', async () => {
    const { m1, received } = pair({ slotBytes: 256, ringBytes: 256 });
    // All three written before m2 reads: seq 1 is overwritten by seq 2, which the ring keeps when epoch 1 takes the slot.
    for (const [epoch, seq] of [[0, 1], [0, 2], [1, 1]]) m1.send('m2', { type: 'sst-push', epoch, seq, row: { n: seq } });
    await waitFor('two pushes', () => received.length === 2);
    await sleep(20);
    assert.deepEqual(received, [
      ['m1', { type: 'sst-push', epoch: 0, seq: 2, row: { n: 2 } }],
      ['m1', { type: 'sst-push', epoch: 1, seq: 1, row: { n: 1 } }],
    ]);
  });

  test('a reader never sees a torn row while a writer thread overwrites the slot as fast as it can', { timeout: 10000 }, async () => {
    const sizes = { slotBytes: 1024, ringBytes: 64 };
    const inboxes = allocateInboxes(2, sizes);
    const pushes = 20000;
    const seen: number[] = [];
    const torn: Plain[] = [];
    const reader = new ShmLink({
      self: 'reader', members: ['writer', 'reader'], inboxes, ...sizes, log: () => {},
      deliver: (_from, body) => {
        const { seq, row } = body as { seq: number; row: number[] };
        if (row.length !== seq % 50 + 1 || row.some((x) => x !== seq)) torn.push(body);
        seen.push(seq);
      },
    });
    links.push(reader);
    const writer = new Worker(new URL('./fixtures/shm-writer.js', import.meta.url), { workerData: { inboxes, sizes, pushes } });
    await new Promise((resolve, reject) => writer.once('exit', resolve).once('error', reject));
    await waitFor('the last push', () => seen.at(-1) === pushes);
    assert.deepEqual(torn, []);
    assert.ok(seen.every((seq, i) => i === 0 || seq > seen[i - 1]), 'rows only move forward');
    assert.ok(seen.length > 10, `the reader took ${seen.length} rows while the writer wrote`);
  });

  test('other messages arrive in order, through a ring that fills up many times', async () => {
    const { m1, received, logs } = pair({ slotBytes: 64, ringBytes: 64 });
    for (let i = 0; i < 50; i++) m1.send('m2', { type: 'note', i });
    assert.deepEqual(m1.backlog('m2'), { queued: 47, dropped: 0 });
    await waitFor('fifty notes', () => received.length === 50);
    assert.deepEqual(received.map(([from, body]) => `${from}:${(body as { i: number }).i}`), Array.from({ length: 50 }, (_, i) => `m1:${i}`));
    assert.deepEqual([m1.backlog('m2'), logs], [{ queued: 0, dropped: 0 }, []]);
  });

  test('a full backlog drops the oldest messages, with one warning', async () => {
    const { m1, received, logs } = pair({ slotBytes: 64, ringBytes: 64 }, 5);
    for (let i = 0; i < 20; i++) m1.send('m2', { type: 'note', i });
    assert.deepEqual(m1.backlog('m2'), { queued: 5, dropped: 12 });
    await waitFor('eight notes', () => received.length === 8);
    await sleep(20);
    assert.deepEqual(received.map(([, body]) => (body as { i: number }).i), [0, 1, 2, 15, 16, 17, 18, 19]);
    assert.deepEqual(logs, [{ level: 'warn', event: 'queue-overflow', node: 'm1', peer: 'm2', message: 'the ring to m2 is full and so is its backlog: dropping the oldest messages' }]);
  });

  test('a message larger than a ring, or to no member, is refused with one clear error', () => {
    const { m1 } = pair({ slotBytes: 64, ringBytes: 64 });
    assert.throws(() => m1.send('m2', { type: 'big', data: 'x'.repeat(100) }),
      new ShmError('member m1: a big message to m2 takes 124 bytes with its length prefix, more than the 64 bytes of a ring: raise ringBytes'));
    assert.throws(() => m1.send('m9', { type: 'note' }), { message: 'member m1 has no peer "m9"' });
  });
});
