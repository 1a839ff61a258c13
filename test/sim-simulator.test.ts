import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantiate } from '../src/core/index.ts';
import { defineProtocol, node, role } from '../src/core/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';
import { simulate, writeTrace } from '../src/sim/index.ts';
import type { EventRecord, SimResult } from '../src/sim/index.ts';
import { faulty, pair } from './fixtures/toy.ts';

/** Each record as `i:node:kind@t`, with a drop's reason and a timer's name. */
function summary(r: SimResult): string[] {
  return r.trace.events.map((e) => {
    const what = e.event.kind === 'drop' ? `drop/${e.event.reason}` : e.event.kind === 'timer' ? `timer/${e.event.name}` : e.event.kind;
    return `${e.i}:${e.node}:${what}@${e.t}`;
  });
}

const outcome = (r: SimResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.explanation]));

describe('simulator: determinism', () => {
  test('the same seed and options give byte-identical traces; another seed gives another run', () => {
    const inst = instantiate(paxos);
    const options = { seed: 11, faults: { dropRate: 0.1, duplicateRate: 0.2 } };
    const a = writeTrace(simulate(inst, options).trace);
    const b = writeTrace(simulate(instantiate(paxos), options).trace);
    assert.equal(a, b);
    assert.notEqual(writeTrace(simulate(inst, { ...options, seed: 12 }).trace), a);
  });
});

describe('simulator: two-phase commit', () => {
  const tpc = instantiate(twoPhaseCommit, { params: { rms: 3 } });
  const fixed = { default: { kind: 'fixed', ms: 2 } } as const;

  test('a run reaches quiescence with consistency holding (pinned event count)', () => {
    const r = simulate(tpc, { seed: 7, latency: fixed });
    assert.equal(r.stop, 'quiescent');
    assert.equal(r.events, 10);
    assert.equal(r.endTimeMs, 3.656);
    assert.deepEqual(outcome(r), { consistency: 'held after every step', 'commit happens': 'no witness in this run' });
    assert.deepEqual(r.trace.end, { type: 'end', stop: 'quiescent', events: 10, endTimeMs: 3.656, violation: null });
  });

  test('seed 87 is a run in which the transaction commits', () => {
    const r = simulate(tpc, { seed: 87, latency: fixed });
    assert.equal(r.stop, 'quiescent');
    assert.equal(r.events, 14);
    assert.deepEqual(outcome(r), { consistency: 'held after every step', 'commit happens': 'witnessed at record 11' });
    const last = r.trace.events.at(-1)!;
    assert.equal(last.changes.at(-1)?.after, 'committed');
  });

  test('the broken manager that commits on a majority of prepares violates consistency with seed 100', () => {
    const broken = instantiate(twoPhaseCommit, { params: { rms: 3, variant: 'majority-commit' } });
    const r = simulate(broken, { seed: 100 });
    assert.equal(r.stop, 'violation');
    assert.equal(r.events, 11);
    assert.deepEqual(r.trace.end.violation, { i: 10, property: 'consistency' });
    assert.deepEqual(outcome(r), { consistency: 'violated after record 10', 'commit happens': 'witnessed at record 10' });
    const last = r.trace.events[10];
    assert.deepEqual(last.event, { kind: 'message', from: 'tm', msg: { type: 'commit' } });
    assert.deepEqual(last.changes, [{ field: 'status', before: 'prepared', after: 'committed' }]);
    assert.ok(r.trace.events.some((e) => e.event.kind === 'timer' && e.event.name === 'abort' && e.node.startsWith('rm')));
  });

  test('drop rate 1 delivers nothing: every send is a loss', () => {
    const r = simulate(tpc, { seed: 3, faults: { dropRate: 1 } });
    assert.equal(r.stop, 'quiescent');
    const sends = r.trace.events.flatMap((e) => e.sent);
    assert.equal(sends.length, 5);
    assert.ok(sends.every((s) => s.at.length === 0));
    assert.equal(r.trace.events.filter((e) => e.event.kind === 'message').length, 0);
    assert.equal(r.trace.events.filter((e) => e.event.kind === 'drop' && e.event.reason === 'loss').length, 5);
  });

  test('duplicate rate 1 delivers every send twice', () => {
    const r = simulate(tpc, { seed: 3, faults: { duplicateRate: 1 } });
    const sends = r.trace.events.flatMap((e) => e.sent);
    assert.ok(sends.length > 0 && sends.every((s) => s.at.length === 2));
    assert.equal(r.trace.events.filter((e) => e.event.kind === 'message').length, 2 * sends.length);
  });

  test('maxEvents and maxTimeMs stop a run', () => {
    const byEvents = simulate(tpc, { seed: 7, latency: fixed, maxEvents: 6 });
    assert.equal(byEvents.stop, 'events');
    assert.equal(byEvents.events, 6);
    const byTime = simulate(tpc, { seed: 7, latency: fixed, maxTimeMs: 1 });
    assert.equal(byTime.stop, 'time');
    assert.equal(byTime.endTimeMs, 1);
    assert.ok(byTime.trace.events.every((e) => e.t <= 1));
  });
});

describe('simulator: faults', () => {
  test('Paxos keeps agreement when an acceptor that promised crashes and recovers with its durable state', () => {
    const r = simulate(instantiate(paxos), { seed: 2, faults: { events: [{ kind: 'crash', node: 'a2', atMs: 10 }, { kind: 'recover', node: 'a2', atMs: 20 }] } });
    assert.equal(r.stop, 'quiescent');
    assert.deepEqual(summary(r), [
      '0:p1:start@0', '1:p2:start@0', '2:a1:start@0', '3:a2:start@0', '4:a3:start@0', '5:p2:timer/start@6.416',
      '6:a3:message@8.335', '7:a2:message@9.671', '8:p1:timer/start@9.871', '9:a2:crash@10', '10:a1:message@11.813',
      '11:p2:message@13.54', '12:a3:message@14.175', '13:p1:message@16.082', '14:p2:message@16.322', '15:a1:message@16.436',
      '16:a1:message@17.517', '17:a2:drop/crashed@19.253', '18:p2:message@19.367', '19:a2:recover@20', '20:a3:message@21.525',
      '21:p1:message@25.883', '22:a2:message@26.23',
    ]);
    // Every acceptor field is durable: the restart changes nothing.
    assert.deepEqual(r.trace.events[19].changes, []);
    assert.deepEqual(outcome(r), {
      agreement: 'held after every step', validity: 'held after every step', I1: 'held after every step', I2: 'held after every step',
      'a value is chosen': 'witnessed at record 20',
    });
  });

  test('a partition drops exactly the messages arriving across the cut while it lasts', () => {
    const inst = instantiate(paxos);
    const cut = { fromMs: 4, untilMs: 15 };
    let dropped = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = simulate(inst, { seed, faults: { events: [{ kind: 'partition', sides: [['a1', 'p1']], ...cut }] } });
      const arrivals = r.trace.events.filter((e) => e.event.kind === 'message' || e.event.kind === 'drop');
      const copies = r.trace.events.flatMap((e) => e.sent.flatMap((s) => s.at.map((t) => ({ from: e.node, to: s.to, t }))));
      assert.equal(arrivals.length, copies.length);
      for (const a of arrivals) {
        const from = (a.event as Extract<EventRecord['event'], { from: string }>).from;
        const across = (from === 'a1' || from === 'p1') !== (a.node === 'a1' || a.node === 'p1');
        const inForce = a.t >= cut.fromMs && a.t < cut.untilMs;
        assert.equal(a.event.kind === 'drop' && a.event.reason === 'partition', across && inForce, `seed ${seed} record ${a.i}`);
        if (a.event.kind === 'drop') dropped++;
      }
    }
    assert.equal(dropped, 14);
  });

  test('messages on a FIFO network arrive in send order', () => {
    assert.equal(simulate(instantiate(pair), { seed: 1 }).stop, 'violation'); // unordered: 2 overtakes 1
    for (const seed of [1, 2, 8, 11]) {
      const r = simulate(instantiate(pair, { network: { ordering: 'ordered' } }), { seed });
      assert.equal(r.stop, 'quiescent');
      assert.deepEqual(r.trace.events.flatMap((e) => e.outputs), [1, 2]);
    }
  });

  test('an eventually property that never holds is reported as not reached within the run', () => {
    const r = simulate(instantiate(pair), { seed: 1, faults: { dropRate: 1 } });
    assert.equal(outcome(r)['both arrive'], 'not reached within this run');
    assert.equal(outcome(r)['outputs seen'], 'no witness in this run');
  });
});

/** One node with timers a (100 ms), b (50 ms), c (30 ms) and d (40 ms): c cancels d, b re-sets a. */
const timers = defineProtocol({
  name: 'timers',
  description: 'timer semantics',
  nodes: () => [node('n', 'clock', role<{ fired: string[] }, { type: 'none' }, 'a' | 'b' | 'c' | 'd'>({
    init(ctx) {
      ctx.setTimer('a', 100);
      ctx.setTimer('b', 50);
      ctx.setTimer('c', 30);
      ctx.setTimer('d', 40);
      return { fired: [] };
    },
    timers: {
      a: (s) => ({ fired: [...s.fired, 'a'] }),
      b(s, ctx) {
        ctx.setTimer('a', 100);
        return { fired: [...s.fired, 'b'] };
      },
      c(s, ctx) {
        ctx.cancelTimer('d');
        return { fired: [...s.fired, 'c'] };
      },
      d: (s) => ({ fired: [...s.fired, 'd'] }),
    },
  }))],
  properties: () => [],
});

describe('simulator: timers', () => {
  const noJitter = { kind: 'fixed', ms: 0 } as const;

  test('a cancelled or re-set timer does not fire at its old time', () => {
    const r = simulate(instantiate(timers), { seed: 1, timerJitter: noJitter });
    assert.deepEqual(summary(r), ['0:n:start@0', '1:n:timer/c@30', '2:n:timer/b@50', '3:n:timer/a@150']);
  });

  test('clock skew scales a node\'s timer delays', () => {
    const r = simulate(instantiate(timers), { seed: 1, timerJitter: noJitter, faults: { clockSkew: { n: 0.5 } } });
    assert.deepEqual(summary(r), ['0:n:start@0', '1:n:timer/c@45', '2:n:timer/b@75', '3:n:timer/a@225']);
  });

  test('a crash cancels the node\'s timers; a restart without durable state runs init again', () => {
    const r = simulate(instantiate(timers), {
      seed: 1, timerJitter: noJitter, faults: { events: [{ kind: 'crash', node: 'n', atMs: 60 }, { kind: 'recover', node: 'n', atMs: 70 }] },
    });
    assert.deepEqual(summary(r), [
      '0:n:start@0', '1:n:timer/c@30', '2:n:timer/b@50', '3:n:crash@60', '4:n:recover@70', '5:n:timer/c@100', '6:n:timer/b@120', '7:n:timer/a@220',
    ]);
    assert.deepEqual(r.trace.events[4].changes, [{ field: 'fired', before: ['c', 'b'], after: [] }]);
  });
});

describe('simulator: protocol errors', () => {
  test('a handler that throws, a property that throws and a timer with a negative delay stop the run with one message', () => {
    assert.throws(() => simulate(instantiate(faulty, { params: { fault: 'throw' } }), { seed: 1 }), {
      name: 'HandlerError', message: 'node n1 (worker) handling timer go threw: boom',
    });
    assert.throws(() => simulate(instantiate(faulty, { params: { fault: 'property' } }), { seed: 1 }), {
      name: 'PropertyCheckError', message: 'property fine threw after record 1: predicate bug',
    });
    const negative = defineProtocol({
      name: 'negative',
      description: 'a timer set to fire in the past',
      nodes: () => [node('n', 'clock', role<null, { type: 'none' }, 'a'>({
        init(ctx) {
          ctx.setTimer('a', -5);
          return null;
        },
        timers: { a: (s) => s },
      }))],
      properties: () => [],
    });
    assert.throws(() => simulate(instantiate(negative), { seed: 1 }), {
      name: 'HandlerError', message: 'node n (clock) handling start set timer a with delay -5: a delay must be a finite number of ms from 0',
    });
  });
});
