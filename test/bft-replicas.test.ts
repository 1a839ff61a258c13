import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import type { CheckOptions, CheckResult } from '../src/check/index.ts';
import { instantiate } from '../src/core/index.ts';
import { simulate } from '../src/sim/index.ts';
import type { SimResult } from '../src/sim/index.ts';
import { bftReplicas, replicaMachine, setup } from '../src/protocols/bft-replicas.ts';
import type { ReplicaState } from '../src/protocols/bft-replicas.ts';

const verdicts = (r: CheckResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.verdict]));
const outcome = (r: SimResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.explanation]));
const NO_CONFLICT = 'no conflicting commits';

/** Every property of a complete run with two or more updates: the invariant holds, every witness is found. */
const allHold = {
  [NO_CONFLICT]: 'holds',
  'an update is committed': 'found',
  'an update finishes at every correct replica': 'found',
  'two updates are committed': 'found',
  'stuck: nothing committed, every correct vote counted': 'found',
};

describe('bft-replicas: the generated BFT commit machines running', () => {
  test('replicas read what they need off the generated machine: states, labels, merged states, inert messages', () => {
    const four = replicaMachine(4);
    assert.equal(four.machine.states.length, 33);
    assert.equal(four.kept, 27);
    assert.equal(replicaMachine(4, false).kept, 33);
    assert.equal(replicaMachine(7).machine.states.length, 85);
    assert.equal(replicaMachine(7).kept, 64);
    assert.equal(four.names[four.start], 'F/0/F/0/F/T/F');
    assert.equal(four.names[four.finish], 'finish');
    const label = (name: string) => {
      const i = four.at(name);
      return { voted: four.voted[i], committed: four.committed[i], put: four.hasPut[i], voteInert: four.voteInert[i], commitInert: four.commitInert[i] };
    };
    // Chosen on its put: voted, not committed; votes and commits still count.
    assert.deepEqual(label('T/0/T/0/F/T/T'), { voted: true, committed: false, put: true, voteInert: false, commitInert: false });
    // Figure 9's state: the put, two votes, no vote of its own.
    assert.deepEqual(label('T/2/F/0/F/F/F'), { voted: false, committed: false, put: true, voteInert: false, commitInert: false });
    // Voted and committed: further votes change nothing, so the senders of votes are forgotten.
    assert.deepEqual(label('T/2/T/0/T/T/T'), { voted: true, committed: true, put: true, voteInert: true, commitInert: false });
    assert.equal(four.committed[four.finish], true);
    // The machine's own transition on FREE from Figure 9's state, as the replicas execute it.
    const t = four.next[four.at('T/2/F/0/F/F/F')][four.message.free]!;
    assert.deepEqual(t.actions, ['vote', 'commit', 'not free']);
    assert.equal(four.names[t.to], 'T/2/T/0/T/T/T');
  });

  test('nodes: r replicas of which `byzantine` are faulty, one client per update; more than f+1 faulty is refused', () => {
    assert.deepEqual(setup({ r: 4, updates: 2, byzantine: 'f' }), { r: 4, f: 1, byzantine: 1, correct: ['r1', 'r2', 'r3'], faulty: ['b1'], updates: ['c1', 'c2'] });
    assert.deepEqual(setup({ r: 7, updates: 2, byzantine: 'f' }).faulty, ['b1', 'b2']);
    assert.equal(setup({ r: 7, updates: 2, byzantine: 'f+1' }).correct.length, 4);
    assert.deepEqual(instantiate(bftReplicas).topo.ids, ['c1', 'c2', 'r1', 'r2', 'r3', 'b1']);
    assert.throws(() => instantiate(bftReplicas, { params: { byzantine: '2' } }), {
      name: 'ParamError',
      message: 'parameter byzantine of bft-replicas must be at most f = floor((r-1)/3) = 1 for r = 4 (or f+1 to exceed the bound on purpose), got 2',
    });
  });
});

describe('bft-replicas: the checker', () => {
  test('f = 0 members (r = 2, 3) with concurrent updates: exact counts, no conflicting commits, split votes get stuck', async () => {
    const cases: [CheckOptions, number, number][] = [
      [{ params: { r: 2 }, symmetry: true }, 72, 10],
      [{ params: { r: 3 }, symmetry: true }, 1532, 17],
      [{ params: { r: 3 } }, 7270, 17],
      [{ params: { r: 3, updates: 3 }, symmetry: true }, 58846, 25],
    ];
    for (const [options, states, depth] of cases) {
      const r = await check(bftReplicas, options);
      assert.equal(r.states, states, JSON.stringify(options));
      assert.equal(r.depth, depth, JSON.stringify(options));
      assert.equal(r.complete, true);
      assert.deepEqual(verdicts(r), allHold, JSON.stringify(options));
      assert.equal(r.exitCode, 0);
    }
  });

  test('r = 4, one update, with and without its Byzantine replica: exact counts; merging states changes counts, not verdicts', async () => {
    const one = { [NO_CONFLICT]: 'holds', 'an update is committed': 'found', 'an update finishes at every correct replica': 'found' };
    const cases: [CheckOptions, number, number][] = [
      [{ params: { updates: 1 }, symmetry: true }, 2173, 13],
      [{ params: { updates: 1 } }, 10904, 12],
      [{ params: { updates: 1, byzantine: '0' }, symmetry: true }, 4953, 17],
      [{ params: { updates: 1, merge: false }, symmetry: true }, 8564, 15],
    ];
    for (const [options, states, depth] of cases) {
      const r = await check(bftReplicas, options);
      assert.equal(r.states, states, JSON.stringify(options));
      assert.equal(r.depth, depth, JSON.stringify(options));
      assert.deepEqual(verdicts(r), one, JSON.stringify(options));
      assert.equal(r.exitCode, 0);
    }
  });

  test('r = 4, two concurrent updates, one Byzantine replica: no conflicting commits among the first 50,000 states', async () => {
    // The whole state space is checked from the command line (docs/bft-commit.md has the count).
    const r = await check(bftReplicas, { symmetry: true, maxStates: 50_000 });
    assert.equal(r.states, 50_000);
    assert.equal(r.bound, 'states');
    assert.equal(r.exitCode, 3);
    assert.equal(verdicts(r)[NO_CONFLICT], 'unknown');
    assert.equal(r.properties.find((p) => p.name === 'an update is committed')!.trace!.steps.length - 1, 4);
  });

  test('r = 7, two concurrent updates, two Byzantine replicas: no conflicting commits among the first 20,000 states', async () => {
    const r = await check(bftReplicas, { params: { r: 7 }, symmetry: true, maxStates: 20_000 });
    assert.equal(r.states, 20_000);
    assert.equal(r.exitCode, 3);
    assert.equal(verdicts(r)[NO_CONFLICT], 'unknown');
    assert.equal(r.depth, 5);
  });

  test('replicas that count every copy of a vote are caught: a Byzantine vote delivered twice commits two updates (6 steps)', async () => {
    const r = await check(bftReplicas, { params: { variant: 'counts-duplicates' }, symmetry: true });
    assert.equal(r.exitCode, 1);
    const trace = r.properties.find((p) => p.name === NO_CONFLICT)!.trace!;
    assert.equal(trace.steps.length - 1, 6);
    assert.deepEqual(trace.steps.slice(1).map((s) => s.action), [
      { kind: 'deliver', node: 'r1', from: 'c1', msg: { type: 'put' } },
      { kind: 'deliver', node: 'r2', from: 'c2', msg: { type: 'put' } },
      { kind: 'deliver', node: 'r2', from: 'b1', msg: { type: 'vote', u: 'c2' } },
      { kind: 'deliver', node: 'r2', from: 'b1', msg: { type: 'vote', u: 'c2' } },
      { kind: 'deliver', node: 'r1', from: 'b1', msg: { type: 'vote', u: 'c1' } },
      { kind: 'deliver', node: 'r1', from: 'b1', msg: { type: 'vote', u: 'c1' } },
    ]);
    const last = trace.steps.at(-1)!.states as Record<string, ReplicaState>;
    // Own vote and b1's vote twice reach the vote threshold (3): r1 commits c1, r2 commits c2.
    assert.equal(last.r1.u.c1.s, 'T/2/T/0/T/T/T');
    assert.equal(last.r2.u.c2.s, 'T/2/T/0/T/T/T');
  });

  test('a replica freed once its update commits, not finishes, is caught (8 steps)', async () => {
    const r = await check(bftReplicas, { params: { variant: 'free-on-commit' }, symmetry: true });
    assert.equal(r.exitCode, 1);
    const trace = r.properties.find((p) => p.name === NO_CONFLICT)!.trace!;
    assert.equal(trace.steps.length - 1, 8);
    const last = trace.steps.at(-1)!.states as Record<string, ReplicaState>;
    const d = replicaMachine(4);
    const committed = Object.entries(last).filter(([id]) => id.startsWith('r'))
      .flatMap(([id, s]) => Object.entries(s.u).filter(([, x]) => d.committed[d.at(x.s)]).map(([u]) => `${id}:${u}`));
    const finished = Object.values(last).flatMap((s) => (s && typeof s === 'object' && 'u' in s ? Object.values(s.u).map((x) => x.s) : []));
    // Both updates committed by correct replicas, neither finished anywhere.
    assert.ok(committed.some((x) => x.endsWith('c1')) && committed.some((x) => x.endsWith('c2')), committed.join(' '));
    assert.ok(!finished.includes('finish'));
  });

  test('f + 1 Byzantine replicas (beyond the bound) break the algorithm (6 steps)', async () => {
    const r = await check(bftReplicas, { params: { byzantine: 'f+1' }, symmetry: true });
    assert.equal(r.exitCode, 1);
    assert.equal(r.properties.find((p) => p.name === NO_CONFLICT)!.trace!.steps.length - 1, 6);
  });
});

describe('bft-replicas: the simulator', () => {
  test('r = 4 and r = 7 keep the property over seeded runs with duplicated and lost messages', () => {
    const faults = { duplicateRate: 0.3, dropRate: 0.05 };
    for (const [r, seeds, bothCommitted] of [[4, 20, 18], [7, 10, 10]]) {
      const inst = instantiate(bftReplicas, { params: { r } });
      let both = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const run = simulate(inst, { seed, faults });
        assert.equal(run.stop, 'quiescent', `r=${r} seed ${seed}`);
        assert.equal(outcome(run)[NO_CONFLICT], 'held after every step', `r=${r} seed ${seed}`);
        if (run.properties.find((p) => p.name === 'two updates are committed')!.ok) both++;
      }
      assert.equal(both, bothCommitted, `r=${r}`);
    }
  });

  test('r = 4 and r = 7 keep the property with long-tailed latencies, and commit both updates in every run', () => {
    const latency = { default: { kind: 'long-tail', medianMs: 5, alpha: 1.5 } } as const;
    for (const r of [4, 7]) {
      const inst = instantiate(bftReplicas, { params: { r } });
      for (let seed = 1; seed <= 20; seed++) {
        const run = simulate(inst, { seed, latency });
        assert.equal(run.stop, 'quiescent', `r=${r} seed ${seed}`);
        assert.equal(outcome(run)[NO_CONFLICT], 'held after every step', `r=${r} seed ${seed}`);
        assert.equal(run.properties.find((p) => p.name === 'two updates are committed')!.ok, true, `r=${r} seed ${seed}`);
      }
    }
  });

  test('pinned runs: seed 1 for r = 4 and r = 7', () => {
    const four = simulate(instantiate(bftReplicas), { seed: 1 });
    assert.equal(four.events, 48);
    assert.equal(four.endTimeMs, 23.477);
    assert.deepEqual(outcome(four), {
      [NO_CONFLICT]: 'held after every step',
      'an update is committed': 'witnessed at record 21',
      'an update finishes at every correct replica': 'witnessed at record 35',
      'two updates are committed': 'witnessed at record 26',
      'stuck: nothing committed, every correct vote counted': 'no witness in this run',
    });
    const seven = simulate(instantiate(bftReplicas, { params: { r: 7 } }), { seed: 1 });
    assert.equal(seven.events, 139);
    assert.equal(outcome(seven)[NO_CONFLICT], 'held after every step');
  });

  test('the broken variants and f + 1 Byzantine replicas violate the property in simulation', () => {
    const cases: [Record<string, unknown>, number, number][] = [
      [{ variant: 'counts-duplicates' }, 29, 22],
      [{ variant: 'free-on-commit' }, 2, 27],
      [{ byzantine: 'f+1' }, 27, 19],
      [{ r: 7, variant: 'free-on-commit' }, 2, 61],
      [{ r: 7, byzantine: 'f+1' }, 163, 52],
    ];
    for (const [params, seed, record] of cases) {
      const run = simulate(instantiate(bftReplicas, { params }), { seed });
      assert.equal(run.stop, 'violation', JSON.stringify(params));
      assert.deepEqual(run.trace.end.violation, { i: record, property: NO_CONFLICT }, JSON.stringify(params));
    }
  });

  test('correct replicas may commit the two updates in opposite orders (seed 20): the order comes from finishing, not committing', () => {
    const run = simulate(instantiate(bftReplicas, { params: { history: true } }), { seed: 20 });
    assert.equal(run.stop, 'quiescent');
    assert.equal(outcome(run)[NO_CONFLICT], 'held after every step');
    assert.equal(outcome(run)['two correct replicas commit two updates in opposite orders'], 'witnessed at record 31');
    // r1 commits c2, whose machine then finishes, is freed and commits c1; r2 commits c1 on its votes first.
    assert.deepEqual(run.trace.events[28].changes.find((c) => c.field === 'log'), { field: 'log', before: [], after: ['c2', 'c1'] });
    assert.deepEqual(run.trace.events[31].changes.find((c) => c.field === 'log'), { field: 'log', before: ['c1'], after: ['c1', 'c2'] });
  });
});
