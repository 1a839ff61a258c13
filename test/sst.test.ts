// The shared state table notation: monotonic columns, own-row writes, FIFO pushes that may skip but
// never go back, the three kinds of predicates, opportunistic batching, and the compiled protocol.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import { always, eventually, instantiate, param, sometimes, stepNode } from '../src/core/index.ts';
import type { Effect, Message, NodeEvent } from '../src/core/index.ts';
import {
  action, applyPush, counter, counters, countOver, createTable, defineSstProtocol, EVALUATE, flag, flags, log, maxOver, minOver,
  oneTime, PUSH, recurrent, SstError, sstMembers, transition, versioned, writeRow,
} from '../src/core/sst.ts';
import type { Evaluation, Row, SstNodeState, SstProgram, TableView } from '../src/core/sst.ts';
import { simulate } from '../src/sim/index.ts';

const columns = {
  n: counter(),
  done: flag(),
  received: counters(),
  suspected: flags(),
  proposal: versioned<string>('none'),
  slots: log<string>(),
};
type R = Row<typeof columns>;
const members = ['a', 'b', 'c'];

describe('the table', () => {
  test('a fresh table: one initial row per member, nothing pushed', () => {
    const t = createTable(columns, members);
    assert.deepEqual(t.members, members);
    assert.deepEqual(t.rows.b, {
      n: 0, done: false, received: { a: 0, b: 0, c: 0 }, suspected: { a: false, b: false, c: false },
      proposal: { version: 0, value: 'none' }, slots: [],
    });
    assert.deepEqual(t.seq, { a: 0, b: 0, c: 0 });
    assert.equal(t.epoch, 0);
    assert.throws(() => createTable(columns, ['a', 'a']), { name: 'SstError', message: 'the members of a table must be distinct, got a, a' });
  });

  test('monotonic columns move forward; going back throws, naming the row, the column and both values', () => {
    let t = createTable(columns, members);
    t = writeRow(columns, t, 'a', 'a', { n: 3, done: true, received: { a: 1, b: 2, c: 0 }, suspected: { a: false, b: true, c: false }, slots: ['x'] });
    t = writeRow(columns, t, 'a', 'a', { proposal: { version: 1, value: 'v1' }, slots: ['x', 'y'] });
    assert.deepEqual(t.rows.a, {
      n: 3, done: true, received: { a: 1, b: 2, c: 0 }, suspected: { a: false, b: true, c: false },
      proposal: { version: 1, value: 'v1' }, slots: ['x', 'y'],
    });
    const cases: [Partial<R>, string][] = [
      [{ n: 2 }, 'column n of row a is a monotonic counter: it cannot go back from 3 to 2'],
      [{ n: 3.5 }, 'column n of row a is a counter: expected a whole number, got 3.5'],
      [{ done: false }, 'column done of row a is a monotonic flag: it cannot go back from true to false'],
      [{ received: { a: 1, b: 1, c: 0 } }, 'column received of row a is a monotonic counter per member: received[b] cannot go back from 2 to 1'],
      [{ received: { a: 1, b: 2, c: 0, z: 1 } as never }, 'column received of row a has an entry per member (a, b, c), got "z"'],
      [{ suspected: { a: false, b: false, c: true } }, 'column suspected of row a is a monotonic flag per member: suspected[b] cannot go back from true to false'],
      [{ proposal: { version: 0, value: 'v0' } }, 'column proposal of row a is versioned: its version cannot go back from 1 to 0'],
      [{ proposal: { version: 1, value: 'v2' } }, 'column proposal of row a is versioned: its value cannot change from "v1" to "v2" without a new version (still 1)'],
      [{ slots: ['x', 'z'] }, 'column slots of row a is an append-only log: it cannot go from ["x","y"] to ["x","z"]'],
      [{ slots: ['x'] }, 'column slots of row a is an append-only log: it cannot go from ["x","y"] to ["x"]'],
      [{ nope: 1 } as never, 'row a has no column nope (columns: n, done, received, suspected, proposal, slots)'],
    ];
    for (const [values, message] of cases) {
      assert.throws(() => writeRow(columns, t, 'a', 'a', values), { name: 'SstError', message });
    }
    // Staying put is allowed, and changes nothing.
    assert.equal(writeRow(columns, t, 'a', 'a', { n: 3, proposal: { version: 1, value: 'v1' } }), t);
  });

  test('a member writes only its own row', () => {
    const t = createTable(columns, members);
    assert.throws(() => writeRow(columns, t, 'a', 'b', { n: 1 }), {
      name: 'SstError', message: 'member a cannot write row b (n = 1): a member writes only its own row',
    });
    assert.throws(() => writeRow(columns, t, 'c', 'a', { n: 1, done: true }), {
      name: 'SstError', message: 'member c cannot write row a (n = 1, done = true): a member writes only its own row',
    });
  });

  test('pushes: a newer push replaces the row, an older or repeated one is stale, another epoch is not taken', () => {
    const t0 = createTable(columns, members);
    const row = (n: number): R => ({ ...t0.rows.b, n });
    let t = applyPush(t0, 'b', { epoch: 0, seq: 2, row: row(2) }); // push 1 is overtaken by push 2
    assert.equal(t.rows.b.n, 2);
    assert.equal(t.seq.b, 2);
    assert.equal(applyPush(t, 'b', { epoch: 0, seq: 1, row: row(1) }), t); // arrives late: dropped
    assert.equal(applyPush(t, 'b', { epoch: 0, seq: 2, row: row(2) }), t); // a duplicate
    assert.equal(applyPush(t, 'b', { epoch: 1, seq: 3, row: row(3) }), t);
    t = applyPush(t, 'b', { epoch: 0, seq: 3, row: row(3) });
    assert.equal(t.rows.b.n, 3);
  });

  test('monotonic functions over the rows: min, max, count', () => {
    let t = createTable(columns, members);
    t = writeRow(columns, t, 'a', 'a', { n: 4 });
    t = applyPush(t, 'c', { epoch: 0, seq: 1, row: { ...t.rows.c, n: 2, done: true } });
    const view: TableView<R> = { self: 'a', epoch: 0, members, params: {}, row: (m) => t.rows[m], mine: t.rows.a };
    assert.equal(minOver(view, (r) => r.n), 0);
    assert.equal(maxOver(view, (r) => r.n), 4);
    assert.equal(minOver(view, (r) => r.n, ['a', 'c']), 2);
    assert.equal(countOver(view, (r) => r.done), 1);
  });
});

// A pump: member a counts up (an action), member b watches a's counter with one predicate of each kind.
interface Watch {
  readonly seen: number;
  readonly log: readonly string[];
}
type P = Row<{ n: ReturnType<typeof counter> }>;
const watching = (t: TableView<P>) => t.self === 'b';
const pumpProgram = (evaluation: Evaluation = 'when-enabled'): SstProgram<{ batching: ReturnType<typeof param.bool>; upTo: ReturnType<typeof param.int> }, { n: ReturnType<typeof counter> }, Watch> => ({
  name: 'pump',
  description: 'a counts up, b watches',
  params: { batching: param.bool('batch', true), upTo: param.int('how far a counts', 5, 0, 9) },
  members: () => ['a', 'b'],
  columns: { n: counter() },
  init: () => ({ seen: 0, log: [] }),
  evaluation,
  actions: ({ upTo }) => [action<P, Watch>('tick', (_app, t) => t.self === 'a' && t.mine.n < upTo, (app, t) => { t.write({ n: t.mine.n + 1 }); return app; })],
  predicates: () => [
    oneTime<P, Watch>('first', (_app, t) => watching(t) && t.row('a').n >= 1, (app, t) => ({ ...app, log: [...app.log, `first at ${t.row('a').n}`] })),
    recurrent<P, Watch, number>('count', (app, t) => (watching(t) ? Array.from({ length: t.row('a').n - app.seen }, (_, i) => app.seen + i + 1) : []),
      (app, _t, items) => ({ seen: items.at(-1)!, log: [...app.log, `count ${items.join(',')}`] })),
    transition<P, Watch>('odd', (_app, t) => watching(t) && t.row('a').n % 2 === 1, (app, t) => ({ ...app, log: [...app.log, `odd at ${t.row('a').n}`] })),
  ],
  properties: ({ upTo }) => [
    always('b sees a count up in order', (w) => {
      const [a, b] = sstMembers<P, Watch>(w);
      return b.table.rows.a.n <= a.row.n && b.app.seen <= b.table.rows.a.n;
    }),
    eventually('b has counted everything', (w) => sstMembers<P, Watch>(w)[1].app.seen === upTo),
    sometimes('b counts two at once', (w) => sstMembers<P, Watch>(w)[1].app.log.some((l) => l.startsWith('count') && l.includes(','))),
  ],
});
const pump = defineSstProtocol(pumpProgram());

/** Drives the nodes of a protocol by hand, one event at a time, keeping the messages sent. */
class Driver {
  readonly inst;
  readonly states: unknown[];
  readonly sent: { from: string; to: string; msg: Message }[] = [];
  readonly outputs: { node: string; value: unknown }[] = [];
  readonly timers: Set<string>[];
  constructor(protocol: Parameters<typeof instantiate>[0], params: Record<string, unknown> = {}) {
    this.inst = instantiate(protocol, { params });
    this.states = this.inst.topo.ids.map(() => null);
    this.timers = this.inst.topo.ids.map(() => new Set<string>());
    this.inst.topo.ids.forEach((id) => this.step(id, { kind: 'start' }));
  }
  private step(id: string, event: NodeEvent): readonly Effect[] {
    const i = this.inst.topo.index.get(id)!;
    const r = stepNode(this.inst.topo, i, this.states[i], event);
    this.states[i] = r.state;
    if (event.kind === 'timer') this.timers[i].delete(event.name);
    for (const e of r.effects) {
      if (e.kind === 'send') this.sent.push({ from: id, to: e.to, msg: e.msg });
      if (e.kind === 'setTimer') this.timers[i].add(e.name);
      if (e.kind === 'cancelTimer') this.timers[i].delete(e.name);
      if (e.kind === 'output') this.outputs.push({ node: id, value: e.value });
    }
    return r.effects;
  }
  state<A = Watch>(id: string): SstNodeState<any, A> {
    return this.states[this.inst.topo.index.get(id)!] as SstNodeState<any, A>;
  }
  armed(id: string): string[] {
    return [...this.timers[this.inst.topo.index.get(id)!]].sort();
  }
  fire(id: string, timer: string): readonly Effect[] {
    assert.ok(this.armed(id).includes(timer), `${id} has ${timer} armed (armed: ${this.armed(id).join(', ')})`);
    return this.step(id, { kind: 'timer', name: timer });
  }
  /** Delivers the `k`-th message sent so far (from 1), wherever it is in flight. */
  deliver(k: number): void {
    const m = this.sent[k - 1];
    this.step(m.to, { kind: 'message', from: m.from, msg: m.msg });
  }
}

describe('predicates and the evaluation loop', () => {
  test('one-time, recurrent and transition predicates; a late push is stale; batching acts on what became true', () => {
    const d = new Driver(pump);
    assert.deepEqual(d.armed('a'), ['sst-action:tick']); // nothing to evaluate yet
    assert.deepEqual(d.armed('b'), []);
    d.fire('a', 'sst-action:tick');
    assert.deepEqual(d.sent, [{ from: 'a', to: 'b', msg: { type: PUSH, epoch: 0, seq: 1, row: { n: 1 } } }]);
    d.deliver(1);
    assert.deepEqual(d.armed('b'), [EVALUATE]); // b now has something to act on
    d.fire('b', EVALUATE);
    assert.deepEqual(d.state('b').app.log, ['first at 1', 'count 1', 'odd at 1']);
    assert.deepEqual(d.armed('b'), []); // nothing more to do until something changes
    d.fire('a', 'sst-action:tick');
    d.fire('a', 'sst-action:tick');
    d.fire('a', 'sst-action:tick'); // pushes 2, 3 and 4 in flight
    d.deliver(4); // the newest push overtakes the others
    d.deliver(2); // stale: dropped
    assert.equal(d.state('b').sst.rows.a.n, 4);
    d.fire('b', EVALUATE);
    // One pass counts 2, 3 and 4 together; the transition predicate saw 1 then 4 and missed 3.
    assert.deepEqual(d.state('b').app.log, ['first at 1', 'count 1', 'odd at 1', 'count 2,3,4']);
    assert.deepEqual(d.armed('b'), []); // idle: nothing would change
    d.fire('a', 'sst-action:tick');
    d.deliver(5);
    d.fire('b', EVALUATE);
    assert.deepEqual(d.state('b').app.log, ['first at 1', 'count 1', 'odd at 1', 'count 2,3,4', 'count 5', 'odd at 5']);
    assert.deepEqual(d.armed('a'), []); // a counted to 5
    assert.equal(d.state('a').sst.seq.a, 5);
  });

  test('without batching, a trigger takes one item per pass', () => {
    const d = new Driver(pump, { batching: false });
    for (let i = 0; i < 3; i++) d.fire('a', 'sst-action:tick');
    d.deliver(3);
    const passes: string[][] = [];
    while (d.armed('b').includes(EVALUATE)) {
      d.fire('b', EVALUATE);
      passes.push([...d.state('b').app.log]);
    }
    assert.deepEqual(passes.at(-1), ['first at 3', 'count 1', 'odd at 3', 'count 2', 'count 3']);
    assert.equal(passes.length, 3);
  });

  test('a trigger that takes a column back, or writes another row, fails the step with the table\'s message', () => {
    const bad = (write: (t: Parameters<Parameters<typeof recurrent<P, null>>[2]>[1]) => void) => defineSstProtocol({
      name: 'bad', description: 'writes what it must not',
      members: () => ['a', 'b'], columns: { n: counter(5) }, init: () => null,
      predicates: () => [oneTime<P, null>('once', () => true, (app, t) => { write(t); return app; })],
      properties: () => [],
    });
    assert.throws(() => new Driver(bad((t) => t.write({ n: 4 }))).fire('a', EVALUATE), {
      name: 'HandlerError', message: 'node a (member) handling timer sst-evaluate threw: column n of row a is a monotonic counter: it cannot go back from 5 to 4',
    });
    assert.throws(() => new Driver(bad((t) => t.writeRow('b', { n: 6 }))).fire('a', EVALUATE), {
      name: 'HandlerError', message: 'node a (member) handling timer sst-evaluate threw: member a cannot write row b (n = 6): a member writes only its own row',
    });
  });
});

describe('compiled to a protocol', () => {
  test('one node per member; state is the replica, the loop\'s bookkeeping and the application', () => {
    const inst = instantiate(pump);
    assert.deepEqual(inst.topo.ids, ['a', 'b']);
    assert.deepEqual(inst.topo.decls.map((d) => d.role), ['member', 'member']);
    const d = new Driver(pump);
    assert.deepEqual(d.state('b'), {
      sst: { epoch: 0, members: ['a', 'b'], rows: { a: { n: 0 }, b: { n: 0 } }, seq: { a: 0, b: 0 }, fired: {}, held: {}, ahead: {}, stopped: false },
      app: { seen: 0, log: [] },
    });
  });

  test('checked on an unordered network: replicas never go back; idle passes of an always-armed loop add no state; eager passes fewer', async () => {
    const verdicts = (r: Awaited<ReturnType<typeof check>>) => r.properties.map((p) => `${p.name}: ${p.verdict}`);
    const expected = ['b sees a count up in order: holds', 'b has counted everything: holds', 'b counts two at once: found'];
    const r = await check(pump, { params: { upTo: 3 } });
    assert.equal(r.network.ordering, 'unordered');
    assert.deepEqual([r.states, r.transitions], [40, 65]);
    assert.deepEqual(verdicts(r), expected);
    const polled = await check(defineSstProtocol(pumpProgram('always')), { params: { upTo: 3 } });
    assert.deepEqual([polled.states, polled.transitions], [40, 127]); // the same states, plus idle passes
    assert.deepEqual(verdicts(polled), expected);
    const single = await check(pump, { params: { upTo: 3, batching: false } });
    assert.deepEqual([single.states, single.transitions], [60, 101]);
    assert.deepEqual(verdicts(single), [...expected.slice(0, 2), 'b counts two at once: not found']);
    // Eager evaluation: a pass right after each push, so no separate pass steps, fewer states.
    const eager = await check(defineSstProtocol(pumpProgram('eager')), { params: { upTo: 3 } });
    assert.deepEqual([eager.states, eager.transitions], [22, 28]);
    assert.deepEqual(verdicts(eager), expected); // pushes still overtake each other: b still skips values
  });

  test('simulated, the loop goes quiet once nothing is left to do', () => {
    const run = simulate(instantiate(pump), { seed: 3 });
    assert.equal(run.stop, 'quiescent');
    assert.ok(run.properties.every((p) => p.ok));
  });

  test('epochs: a push from a later epoch waits until the member gets there; a stopped member ignores pushes', () => {
    type E = Row<{ n: ReturnType<typeof counter> }>;
    const epochs = defineSstProtocol({
      name: 'epochs', description: 'a and b move on to epoch 1 once both counted to 1; c leaves',
      members: () => ['a', 'b', 'c'], columns: { n: counter() }, init: () => null,
      predicates: () => [
        oneTime<E, null>('count', (_app, t) => t.epoch === 0 && t.self !== 'c', (app, t) => { t.write({ n: 1 }); return app; }),
        oneTime<E, null>('leave', (_app, t) => t.self === 'c', (app, t) => { t.stop(); return app; }),
        oneTime<E, null>('next', (_app, t) => t.epoch === 0 && t.row('a').n === 1 && t.row('b').n === 1, (app, t) => { t.newEpoch(['a', 'b']); return app; }),
        oneTime<E, null>('again', (_app, t) => t.epoch === 1, (app, t) => { t.write({ n: 7 }); return app; }),
      ],
      properties: () => [],
    });
    const d = new Driver(epochs);
    d.fire('c', EVALUATE);
    assert.equal(d.state('c').sst.stopped, true);
    assert.deepEqual(d.armed('c'), []);
    d.fire('a', EVALUATE); // a counts: pushes 1 (to b), 2 (to c)
    d.fire('b', EVALUATE); // b counts: pushes 3 (to a), 4 (to c)
    d.deliver(2);
    assert.equal(d.state('c').sst.rows.a.n, 0); // c stopped: ignored
    d.deliver(3);
    d.fire('a', EVALUATE); // a enters epoch 1 ...
    assert.equal(d.state('a').sst.epoch, 1);
    assert.deepEqual(d.state('a').sst.rows, { a: { n: 0 }, b: { n: 0 } });
    d.fire('a', EVALUATE); // ... and writes there: push 5 (to b)
    assert.deepEqual(d.sent[4], { from: 'a', to: 'b', msg: { type: PUSH, epoch: 1, seq: 1, row: { n: 7 } } });
    d.deliver(5); // b is still in epoch 0: kept aside
    assert.deepEqual(d.state('b').sst.ahead, { a: { epoch: 1, seq: 1, row: { n: 7 } } });
    assert.equal(d.state('b').sst.rows.a.n, 0);
    d.deliver(1); // a's epoch-0 row
    d.fire('b', EVALUATE);
    assert.equal(d.state('b').sst.epoch, 1);
    assert.deepEqual(d.state('b').sst.rows.a, { n: 7 });
    assert.deepEqual(d.state('b').sst.ahead, {});
    // A push of epoch 1 from c, which left: the handler ignores it, and the runtime logs why.
    const forged = { type: PUSH, epoch: 1, seq: 1, row: { n: 9 } };
    const { topo } = instantiate(epochs);
    const b = topo.index.get('b')!;
    assert.equal(topo.decls[b].def.rejects!(d.state('b'), forged, 'c'), 'push from c, which is not a member of epoch 1 (members: a, b)');
    assert.equal(topo.decls[b].def.rejects!(d.state('b'), forged, 'a'), null);
    assert.equal(stepNode(topo, b, d.state('b'), { kind: 'message', from: 'c', msg: forged }).state, d.state('b'));
  });

  test('a program that is not well formed is refused with one message', () => {
    const twice = defineSstProtocol({
      name: 'twice', description: 'two predicates named alike',
      members: () => ['a'], columns: { n: counter() }, init: () => null,
      predicates: () => [recurrent('p', () => false, (a) => a), recurrent('p', () => false, (a) => a)],
      properties: () => [],
    });
    assert.throws(() => instantiate(twice), { name: 'SstError', message: 'twice: two predicates are named p' });
    assert.throws(() => writeRow(columns, createTable(columns, members), 'z', 'z', { n: 1 }), { name: 'SstError', message: 'z has no row in this table (members: a, b, c)' });
    assert.ok(new SstError('x') instanceof Error);
  });
});
