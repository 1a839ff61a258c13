import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { always, defineProtocol, instantiate, node, role } from '../src/core/index.ts';
import type { Instance } from '../src/core/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';
import { readTrace, replayTrace, shrinkTrace, simulate, writeTrace } from '../src/sim/index.ts';
import type { EventRecord, ShrinkResult, SimOptions, SimTrace } from '../src/sim/index.ts';

/** Each record as `i:node:kind`, with a drop's reason and a timer's name. */
const summary = (trace: SimTrace): string[] => trace.events.map((e) => {
  const what = e.event.kind === 'drop' ? `drop/${e.event.reason}` : e.event.kind === 'timer' ? `timer/${e.event.name}` : e.event.kind;
  return `${e.i}:${e.node}:${what}`;
});

/**
 * Shrinks the failing run and checks what every shrunk trace must be: it violates the same property
 * at its last record, survives writing and reading, replays, comes out the same byte for byte a second
 * time, and is 1-minimal (shrinking it again removes nothing).
 */
function shrinkChecked(inst: Instance, options: SimOptions): { original: SimTrace; shrunk: ShrinkResult } {
  const original = simulate(inst, options).trace;
  const shrunk = shrinkTrace(inst, original);
  const text = writeTrace(shrunk.trace);
  const { events, end } = shrunk.trace;
  assert.deepEqual(end, {
    type: 'end', stop: 'violation', events: events.length, endTimeMs: events.at(-1)!.t,
    violation: { i: events.length - 1, property: original.end.violation!.property },
  });
  assert.deepEqual(shrunk.trace.header, { ...original.header, shrunkFrom: { events: original.events.length } });
  const replay = replayTrace(inst, readTrace(text));
  assert.equal(replay.matches, true, replay.explanation);
  assert.equal(writeTrace(shrinkTrace(inst, original).trace), text);
  const again = shrinkTrace(inst, readTrace(text));
  assert.equal(again.removed, 0);
  assert.equal(writeTrace(again.trace), text);
  return { original, shrunk };
}

type Beat = { type: 'beat' };

/** `a` sends `b` a beat every tick, ten times; `b` counts them and forgets the count when it crashes. */
const beacon = defineProtocol({
  name: 'beacon',
  description: 'a sends b ten beats',
  nodes: () => [
    node('a', 'sender', role<{ sent: number }, Beat, 'tick'>({
      init(ctx) {
        ctx.setTimer('tick', 1);
        return { sent: 0 };
      },
      timers: {
        tick(s, ctx) {
          ctx.send('b', { type: 'beat' });
          if (s.sent < 9) ctx.setTimer('tick', 1);
          return { sent: s.sent + 1 };
        },
      },
    })),
    node('b', 'receiver', role<{ got: number }, Beat>({
      init: () => ({ got: 0 }),
      on: { beat: (s) => ({ got: s.got + 1 }) },
    })),
  ],
  properties: () => [
    always('no beat missing before one arrives', (w) => w.node('b').state.got > 0 || w.node('a').state.sent === w.messages.length),
  ],
});

describe('shrinking a failing simulation', () => {
  const broken = (rms: number) => instantiate(twoPhaseCommit, { params: { rms, variant: 'majority-commit' } });
  const noisy: SimOptions = {
    seed: 214,
    latency: { default: { kind: 'uniform', minMs: 0.1, maxMs: 3 } },
    faults: { dropRate: 0.2, duplicateRate: 0.5, events: [{ kind: 'crash', node: 'rm2', atMs: 2 }, { kind: 'recover', node: 'rm2', atMs: 5 }] },
  };

  test('the 2PC run of seed 100 is already minimal: its 11 records come back unchanged', () => {
    const { original, shrunk } = shrinkChecked(broken(3), { seed: 100 });
    assert.equal(original.end.violation?.i, 10);
    assert.equal(shrunk.removed, 0);
    assert.equal(shrunk.attempts, 15);
    // The same run, byte for byte, but for the header's note that it went through the shrinker.
    assert.equal(writeTrace({ ...shrunk.trace, header: original.header }), writeTrace(original));
  });

  test('a noisy 2PC run (6 resource managers, losses, duplicates, a crash and a recovery) shrinks from 32 records to 18', () => {
    const { original, shrunk } = shrinkChecked(broken(6), noisy);
    assert.equal(original.events.length, 32);
    assert.equal(original.events.filter((e) => ['crash', 'recover', 'drop'].includes(e.event.kind)).length, 4);
    assert.equal(shrunk.removed, 14);
    assert.equal(shrunk.attempts, 58);
    // Four prepares reach the manager (its quorum of 6), it commits, one commit arrives, and rm2,
    // which never prepared, aborts: no fault, duplicate delivery or other record is needed.
    assert.deepEqual(summary(shrunk.trace), [
      '0:tm:start', '1:rm1:start', '2:rm2:start', '3:rm3:start', '4:rm4:start', '5:rm5:start', '6:rm6:start',
      '7:rm4:timer/prepare', '8:tm:message', '9:rm1:timer/prepare', '10:rm3:timer/prepare', '11:rm5:timer/prepare',
      '12:tm:message', '13:tm:message', '14:tm:message', '15:tm:timer/commit', '16:rm3:message', '17:rm2:timer/abort',
    ]);
    // Times are the original ones; a send whose loss was removed stays in flight, arriving never.
    const same = (a: EventRecord, b: EventRecord) => a.t === b.t && a.node === b.node && JSON.stringify(a.event) === JSON.stringify(b.event);
    assert.ok(shrunk.trace.events.every((e) => original.events.some((o) => same(o, e))));
    assert.deepEqual(shrunk.trace.events[15].sent.map((s) => s.at), [[7.393, 7.828], [6.884], [9.178], [6.884], [8.528], [8.425, 7.914]]);
  });

  test('with no attempts allowed the result is the original run, byte for byte', () => {
    const inst = broken(6);
    const original = simulate(inst, noisy).trace;
    const shrunk = shrinkTrace(inst, original, { maxAttempts: 0 });
    assert.equal(shrunk.attempts, 0);
    assert.equal(writeTrace({ ...shrunk.trace, header: original.header }), writeTrace(original));
  });

  test('faults the violation needs stay: a crash and the drop of a beat sent to the crashed node', () => {
    const { shrunk } = shrinkChecked(instantiate(beacon), { seed: 1, faults: { events: [{ kind: 'crash', node: 'b', atMs: 5 }, { kind: 'recover', node: 'b', atMs: 12 }] } });
    assert.equal(shrunk.removed, 2);
    assert.deepEqual(summary(shrunk.trace), ['0:a:start', '1:b:start', '2:a:timer/tick', '3:b:crash', '4:b:drop/crashed']);
  });

  test('a lost send stays lost when the violation moves to the step that sent it, before its drop record', () => {
    // The run: a beat arrives, b crashes, a beat is lost, one is dropped at crashed b, b recovers with
    // nothing counted. Shrunk: the lost beat alone, violating at once.
    const { original, shrunk } = shrinkChecked(instantiate(beacon), {
      seed: 10, faults: { dropRate: 0.3, events: [{ kind: 'crash', node: 'b', atMs: 12 }, { kind: 'recover', node: 'b', atMs: 20 }] },
    });
    assert.deepEqual(summary(original), [
      '0:a:start', '1:b:start', '2:a:timer/tick', '3:b:message', '4:b:crash', '5:a:timer/tick', '6:a:timer/tick',
      '7:b:drop/loss', '8:b:drop/crashed', '9:b:recover',
    ]);
    assert.deepEqual(summary(shrunk.trace), ['0:a:start', '1:b:start', '2:a:timer/tick']);
    assert.deepEqual(shrunk.trace.events[2].sent, [{ to: 'b', msg: { type: 'beat' }, at: [] }]);
    assert.equal(shrunk.trace.events[2].t, 17.314);
    assert.deepEqual(shrunk.trace.events[0].timers, [{ set: 'tick', delayMs: 1, at: 17.314 }]);
  });

  test('a run that violates nothing is refused with one clear message', () => {
    const tpc = instantiate(twoPhaseCommit, { params: { rms: 3 } });
    assert.throws(() => shrinkTrace(tpc, simulate(tpc, { seed: 7 }).trace), {
      name: 'ShrinkError',
      message: 'the trace has no violation to shrink: it stopped for "quiescent" with every always property holding',
    });
    const px = instantiate(paxos);
    const crashes = simulate(px, { seed: 2, faults: { events: [{ kind: 'crash', node: 'a2', atMs: 10 }, { kind: 'recover', node: 'a2', atMs: 20 }] } }).trace;
    assert.equal(crashes.events.filter((e) => e.event.kind === 'crash' || e.event.kind === 'recover').length, 2);
    assert.throws(() => shrinkTrace(px, crashes), {
      name: 'ShrinkError',
      message: 'the trace has no violation to shrink: it stopped for "quiescent" with every always property holding',
    });
  });

  test('a trace that does not replay, or a bad attempt bound, is refused', () => {
    const inst = broken(3);
    const text = writeTrace(simulate(inst, { seed: 100 }).trace);
    assert.throws(() => shrinkTrace(inst, readTrace(text.replace('"from":"rm3"', '"from":"rm1"'))), {
      name: 'ShrinkError',
      message: 'the trace cannot be shrunk because it does not replay: record 7 (tm, message at 4.394 ms) differs in event: ' +
        'recorded {"kind":"message","from":"rm1","msg":{"type":"prepared"}}, now "no such message from rm1 to tm is in flight then"',
    });
    assert.throws(() => shrinkTrace(inst, readTrace(text), { maxAttempts: -1 }), { name: 'ShrinkError', message: 'maxAttempts must be a whole number from 0, got -1' });
  });
});
