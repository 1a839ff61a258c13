import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import type { CheckOptions, CheckResult } from '../src/check/index.ts';
import { defineProtocol, instantiate, sometimes, stepNode } from '../src/core/index.ts';
import type { Trace } from '../src/core/index.ts';
import { simulate } from '../src/sim/index.ts';
import { commandFor, execute, multiPaxos } from '../src/protocols/multi-paxos.ts';
import type { KvValue, Output, ReplicaState } from '../src/protocols/multi-paxos.ts';

const verdicts = (r: CheckResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.verdict]));
const allHold = {
  agreement: 'holds', 'no gaps': 'holds', 'state machines agree': 'holds', validity: 'holds',
  'all commands applied everywhere': 'found',
};

/** Every output of a trace, as [node, value], in the order the steps emitted them. */
const outputsOf = (trace: Trace) => trace.steps.flatMap((s) => s.outputs.map((o) => [o.node, o.value as Output] as const));

async function expectCounts(cases: [CheckOptions, number, number][]): Promise<void> {
  for (const [options, states, depth] of cases) {
    const r = await check(multiPaxos, options);
    assert.equal(r.complete, true, JSON.stringify(options));
    assert.equal(r.states, states, JSON.stringify(options));
    assert.equal(r.depth, depth, JSON.stringify(options));
    assert.deepEqual(verdicts(r), allHold, JSON.stringify(options));
  }
}

describe('multi-decree Paxos replicated KV log', () => {
  test('exact counts for small configurations on the default network, every property holds', async () => {
    await expectCounts([
      [{ params: { commands: 1, maxBallot: 2 }, symmetry: true }, 1778, 16],
      [{ params: { commands: 2, maxBallot: 1 }, symmetry: true }, 11545, 19],
      [{ params: { commands: 2, maxBallot: 1, batch: 2 }, symmetry: true }, 7122, 19],
      [{ params: { replicas: 1, commands: 3, maxBallot: 2 }, symmetry: true }, 23, 4],
      [{ params: { replicas: 2, commands: 2, maxBallot: 2 }, symmetry: true }, 3367, 19],
      [{ params: { replicas: 5, commands: 1, maxBallot: 1 }, symmetry: true }, 487, 18],
    ]);
  });

  test('symmetry reduction merges the replicas no client talks to, and only those', async () => {
    // Without it: 3634 states where symmetry leaves 487 (r3, r4, r5 are interchangeable). With a client
    // at every replica nothing is interchangeable; representatives are sorted by local state, replicas
    // that tie stay apart, so the reduced count can even exceed the plain one (11,545 above).
    await expectCounts([
      [{ params: { replicas: 5, commands: 1, maxBallot: 1 } }, 3634, 18],
      [{ params: { commands: 2, maxBallot: 1 } }, 9767, 19],
    ]);
  });

  test('other networks: a message multiset, FIFO channels, loss', async () => {
    await expectCounts([
      [{ params: { commands: 2, maxBallot: 1 }, network: { duplicating: false }, symmetry: true }, 34735, 21],
      [{ params: { commands: 2, maxBallot: 1 }, network: { ordering: 'ordered', duplicating: false }, symmetry: true }, 1021, 19],
      [{ params: { commands: 2, maxBallot: 1 }, network: { lossy: true, duplicating: false }, symmetry: true }, 196743, 21],
    ]);
  });

  test('crashes: one replica stops, or restarts with its durable promise, votes and snapshot', async () => {
    await expectCounts([
      [{ params: { commands: 2, maxBallot: 1 }, network: { crashes: 1, crashMode: 'stop' }, symmetry: true }, 65714, 20],
      [{ params: { commands: 1, maxBallot: 2 }, network: { crashes: 1, crashMode: 'recover' }, symmetry: true }, 46713, 21],
    ]);
  });

  test('a new leader fills a gap with a no-op, and a leader installs a snapshot it was promised', async () => {
    const witnesses = defineProtocol({
      ...multiPaxos,
      properties: () => [
        sometimes('a no-op is applied', (w) => w.outputs.some((o) => (o.value as Output).type === 'apply' && (o.value as { batch: string[] }).batch.length === 0)),
        sometimes('a snapshot is installed', (w) => w.outputs.some((o) => (o.value as Output).type === 'install')),
      ],
    });
    const r = await check(witnesses, { symmetry: true, maxDepth: 11 });
    assert.equal(r.states, 27880);
    assert.deepEqual(verdicts(r), { 'a no-op is applied': 'found', 'a snapshot is installed': 'found' });
    const noop = r.properties[0].trace!;
    assert.equal(noop.steps.length - 1, 11);
    // r1 led round 1 and sent slot 2 (c2) before slot 1; r2 won round 2 with r3, which reported only slot 2.
    const actions = noop.steps.map((s) => s.action);
    assert.deepEqual(actions.filter((a) => a.kind === 'timer').map((a) => a.node), ['r1', 'r2']);
    const applied = outputsOf(noop).filter(([, v]) => v.type === 'apply');
    assert.deepEqual(applied, [['r2', { type: 'apply', slot: 1, batch: [], replies: [] }]]);
    assert.equal(r.properties[1].trace!.steps.length - 1, 9);
  });

  test('a leader that does not re-propose accepted batches breaks agreement (12 steps)', async () => {
    // Bounded to the counterexample's depth: breadth-first search has found the shortest one by then.
    const r = await check(multiPaxos, { params: { variant: 'ignores-accepted' }, symmetry: true, maxDepth: 12 });
    assert.equal(r.exitCode, 1);
    assert.equal(r.states, 58488);
    assert.deepEqual(verdicts(r), {
      agreement: 'fails', 'no gaps': 'unknown', 'state machines agree': 'fails', validity: 'unknown',
      'all commands applied everywhere': 'unknown',
    });
    const trace = r.properties.find((p) => p.name === 'agreement')!.trace!;
    assert.equal(trace.steps.length - 1, 12);
    // Slot 1 is applied as put x=1 at one replica and as the compare-and-set c2 at another.
    const applied = outputsOf(trace).filter(([, v]) => v.type === 'apply');
    assert.deepEqual(applied, [
      ['r1', { type: 'apply', slot: 1, batch: ['c1'], replies: [{ id: 'c1', ok: true, value: 1 }] }],
      ['r2', { type: 'apply', slot: 1, batch: ['c2'], replies: [{ id: 'c2', ok: false, value: null }] }],
    ]);
    const last = trace.steps.at(-1)!;
    assert.deepEqual(last.action, { kind: 'deliver', node: 'r2', from: 'r3', msg: { type: 'accepted', round: 2, slot: 1 } });
    // r3 had reported its vote for c1 in slot 1, which r2 ignored.
    const promises = trace.steps.flatMap((s) => (s.action.kind === 'deliver' && s.action.node === 'r2' && s.action.msg.type === 'promise' ? [s.action.msg] : []));
    assert.deepEqual(promises.map((m) => m.accepted), [{ 1: [1, [commandFor(1)]] }]);
    assert.equal((last.states.r2 as ReplicaState).sm.last, 1);
    assert.equal((last.states.r1 as ReplicaState).sm.last, 1);
  });

  test('replicas that apply slots as they learn them leave gaps (7 steps)', async () => {
    const r = await check(multiPaxos, { params: { commands: 2, maxBallot: 1, variant: 'applies-unordered' }, symmetry: true });
    assert.equal(r.exitCode, 1);
    assert.equal(r.states, 36874);
    assert.deepEqual(verdicts(r), {
      agreement: 'holds', 'no gaps': 'fails', 'state machines agree': 'fails', validity: 'holds',
      'all commands applied everywhere': 'found',
    });
    const trace = r.properties.find((p) => p.name === 'no gaps')!.trace!;
    assert.equal(trace.steps.length - 1, 7);
    assert.deepEqual(outputsOf(trace), [['r1', { type: 'apply', slot: 2, batch: ['c2'], replies: [{ id: 'c2', ok: false, value: null }] }]]);
  });

  test('the KV state machine: put, compare-and-set, delete, get', () => {
    const kv: { [key: string]: KvValue } = {};
    assert.deepEqual([1, 2, 3].map((k) => commandFor(k).op), ['put', 'cas', 'delete']);
    assert.deepEqual(execute(kv, commandFor(2)), { id: 'c2', ok: false, value: null });
    assert.deepEqual(execute(kv, commandFor(1)), { id: 'c1', ok: true, value: 1 });
    assert.deepEqual(execute(kv, commandFor(2)), { id: 'c2', ok: true, value: 2 });
    assert.deepEqual(execute(kv, { id: 'g', op: 'get', key: 'x', value: null, expect: null }), { id: 'g', ok: true, value: 2 });
    assert.deepEqual(execute(kv, commandFor(3)), { id: 'c3', ok: true, value: null });
    assert.deepEqual(execute(kv, commandFor(3)), { id: 'c3', ok: false, value: null });
    assert.deepEqual(kv, {});
  });

  test('requests: a malformed command is rejected, a redirect names the leader', () => {
    const inst = instantiate(multiPaxos);
    const r1 = inst.topo.index.get('r1')!;
    const init = stepNode(inst.topo, r1, null, { kind: 'start' }).state as ReplicaState;
    const bad = stepNode(inst.topo, r1, init, { kind: 'message', from: 'c1', msg: { type: 'request', cmd: { id: 'q1', op: 'put', key: 'x' }, redirect: false } });
    assert.equal(bad.state, init);
    assert.deepEqual(bad.effects, [{ kind: 'output', value: { type: 'rejected', id: 'q1', reason: 'put needs a value' } }]);
    const follower: ReplicaState = { ...init, promised: 1, leader: 'r2' };
    const cmd = { id: 'q1', op: 'get', key: 'x' };
    const redirected = stepNode(inst.topo, r1, follower, { kind: 'message', from: 'c1', msg: { type: 'request', cmd, redirect: true } });
    assert.deepEqual(redirected.effects.filter((e) => e.kind !== 'setTimer'), [{ kind: 'output', value: { type: 'redirect', id: 'q1', leader: 'r2' } }]);
    const forwarded = stepNode(inst.topo, r1, follower, { kind: 'message', from: 'c1', msg: { type: 'request', cmd, redirect: false } });
    assert.deepEqual(forwarded.effects.filter((e) => e.kind === 'send'), [
      { kind: 'send', to: 'r2', msg: { type: 'request', cmd: { id: 'q1', op: 'get', key: 'x', value: null, expect: null }, redirect: false } },
    ]);
  });

  test('simulation: the leader crashes in phase 2, a new leader finishes, the old one catches up by snapshot', () => {
    const params = { replicas: 3, commands: 6, batch: 2, maxBallot: 10, snapshotEvery: 2 };
    const faults = { events: [{ kind: 'crash', node: 'r1', atMs: 104 }, { kind: 'recover', node: 'r1', atMs: 600 }] } as const;
    const r = simulate(instantiate(multiPaxos, { params }), { seed: 2, faults });
    assert.equal(r.stop, 'quiescent');
    assert.equal(r.events, 52);
    assert.equal(r.endTimeMs, 615.53);
    assert.deepEqual(Object.fromEntries(r.properties.map((p) => [p.name, p.explanation])), {
      agreement: 'held after every step', 'no gaps': 'held after every step', 'state machines agree': 'held after every step',
      validity: 'held after every step', 'all commands applied everywhere': 'witnessed at record 49',
    });
    const events = r.trace.events;
    // r1 wins round 1, commits slots 1 and 2 and crashes with slot 3 in flight; r2 wins round 2 with
    // r3 and re-proposes slot 3 from r3's vote.
    assert.deepEqual(events.filter((e) => e.event.kind === 'timer').map((e) => `${e.node}@${e.t}`), ['r1@87.747', 'r2@235.333']);
    const applies = (node: string) => events.filter((e) => e.node === node).flatMap((e) => e.outputs as Output[]);
    const expected = [
      { type: 'apply', slot: 1, batch: ['c1', 'c2'], replies: [{ id: 'c1', ok: true, value: 1 }, { id: 'c2', ok: true, value: 2 }] },
      { type: 'apply', slot: 2, batch: ['c4', 'c5'], replies: [{ id: 'c4', ok: true, value: 4 }, { id: 'c5', ok: true, value: 5 }] },
      { type: 'apply', slot: 3, batch: ['c3', 'c6'], replies: [{ id: 'c3', ok: true, value: null }, { id: 'c6', ok: true, value: null }] },
    ];
    assert.deepEqual(applies('r2'), expected);
    assert.deepEqual(applies('r3'), expected);
    assert.deepEqual(applies('r1'), [...expected.slice(0, 2), { type: 'install', last: 3 }]);
    // r2 learned slot 2 before slot 1 and asked r1 to catch it up (lost in the crash); slot 1 came next.
    assert.deepEqual(events[34].event, { kind: 'drop', from: 'r2', to: 'r1', msg: { type: 'catchup', applied: 0 }, reason: 'crashed' });
    // Recovered, r1 asks both; r3's snapshot is installed, r2's (the same) changes nothing.
    const snap = { last: 3, kv: {}, done: { c: { upTo: 6, above: [] } } };
    assert.deepEqual(events[49].event, { kind: 'message', from: 'r3', msg: { type: 'snapshot', snap } });
    assert.deepEqual(events[51].event, { kind: 'message', from: 'r2', msg: { type: 'snapshot', snap } });
  });
});
