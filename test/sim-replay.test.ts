import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantiate } from '../src/core/index.ts';
import type { Instance } from '../src/core/index.ts';
import { defineProtocol, node, role } from '../src/core/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';
import { readTrace, replayTrace, simulate, writeTrace } from '../src/sim/index.ts';
import type { SimOptions } from '../src/sim/index.ts';

/** Simulates, writes, reads back and replays; the replayed records must re-record the same bytes. */
function roundTrip(inst: Instance, options: SimOptions): string {
  const text = writeTrace(simulate(inst, options).trace);
  const trace = readTrace(text);
  const replay = replayTrace(inst, trace);
  assert.equal(replay.matches, true, replay.explanation);
  assert.equal(replay.explanation, `all ${trace.events.length} records match`);
  assert.equal(writeTrace({ ...trace, events: replay.events }), text);
  return text;
}

/** A node that arms `a` and, when `b` fires, arms it again with `delayMs`. */
const rearm = (delayMs: number) => defineProtocol({
  name: 'rearm',
  description: 'a timer armed again',
  nodes: () => [node('n', 'clock', role<{ fired: string[] }, { type: 'none' }, 'a' | 'b'>({
    init(ctx) {
      ctx.setTimer('a', 100);
      ctx.setTimer('b', 50);
      return { fired: [] };
    },
    timers: {
      a: (s) => ({ fired: [...s.fired, 'a'] }),
      b(s, ctx) {
        ctx.setTimer('a', delayMs);
        return { fired: [...s.fired, 'b'] };
      },
    },
  }))],
  properties: () => [],
});

describe('replaying a trace', () => {
  test('replayed runs re-record byte for byte: plain, lossy and duplicating, crash and recovery, partition, violation', () => {
    const tpc = instantiate(twoPhaseCommit, { params: { rms: 3 } });
    roundTrip(tpc, { seed: 7 });
    roundTrip(tpc, { seed: 5, faults: { dropRate: 0.3, duplicateRate: 0.5 } });
    roundTrip(instantiate(paxos), { seed: 2, faults: { events: [{ kind: 'crash', node: 'a2', atMs: 10 }, { kind: 'recover', node: 'a2', atMs: 20 }] } });
    roundTrip(instantiate(paxos), { seed: 3, faults: { events: [{ kind: 'partition', sides: [['a1', 'p1']], fromMs: 4, untilMs: 15 }] } });
    const text = roundTrip(instantiate(twoPhaseCommit, { params: { rms: 3, variant: 'majority-commit' } }), { seed: 100 });
    assert.ok(text.endsWith('"violation":{"i":10,"property":"consistency"}}\n'));
  });

  test('the first record where the protocol now behaves differently is reported with what was recorded and what happens now', () => {
    const text = writeTrace(simulate(instantiate(rearm(100)), { seed: 1, timerJitter: { kind: 'fixed', ms: 0 } }).trace);
    const replay = replayTrace(instantiate(rearm(200)), readTrace(text));
    assert.equal(replay.matches, false);
    assert.deepEqual(replay.difference, {
      record: 1, field: 'timers[0]', recorded: { set: 'a', delayMs: 100, at: 150 }, now: { set: 'a', delayMs: 200, at: 150 },
    });
    assert.equal(replay.explanation,
      'record 1 (n, timer at 50 ms) differs in timers[0]: recorded {"set":"a","delayMs":100,"at":150}, now {"set":"a","delayMs":200,"at":150}');
    assert.equal(replay.events.length, 2);
  });

  test('an edited record is found, and so is an event that cannot happen', () => {
    const tpc = instantiate(twoPhaseCommit, { params: { rms: 3 } });
    const text = writeTrace(simulate(tpc, { seed: 7, latency: { default: { kind: 'fixed', ms: 2 } } }).trace);
    const edited = replayTrace(tpc, readTrace(text.replace('"after":"aborted"', '"after":"committed"')));
    assert.deepEqual(edited.difference, {
      record: 4, field: 'changes[0]', recorded: { field: 'status', before: 'init', after: 'committed' }, now: { field: 'status', before: 'init', after: 'aborted' },
    });
    const impossible = replayTrace(tpc, readTrace(text.replace('"from":"tm","msg":{"type":"abort"}', '"from":"rm2","msg":{"type":"abort"}')));
    assert.equal(impossible.difference?.field, 'event');
    assert.equal(impossible.difference?.now, 'no such message from rm2 to rm1 is in flight then');
  });

  test('a trace of another protocol or other parameters is refused with one clear message', () => {
    const trace = readTrace(writeTrace(simulate(instantiate(twoPhaseCommit, { params: { rms: 3 } }), { seed: 1 }).trace));
    assert.throws(() => replayTrace(instantiate(paxos), trace), {
      name: 'TraceReplayError', message: 'the trace is a run of "two-phase-commit", but the protocol given is "paxos"',
    });
    assert.throws(() => replayTrace(instantiate(twoPhaseCommit, { params: { rms: 4 } }), trace), {
      name: 'TraceReplayError', message: 'parameter rms of two-phase-commit is 3 in the trace but 4 in the instance: instantiate it with the trace\'s parameters',
    });
  });
});
