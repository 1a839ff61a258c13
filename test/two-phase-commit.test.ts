import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import type { CheckOptions, CheckResult } from '../src/check/index.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';

const verdicts = (r: CheckResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.verdict]));

describe('two-phase commit', () => {
  test('distinct states equal those of the TLA+ TwoPhase specification (1 to 6 resource managers)', async () => {
    const expected = [12, 56, 288, 1568, 8832, 50816];
    for (let rms = 1; rms <= expected.length; rms++) {
      const r = await check(twoPhaseCommit, { params: { rms } });
      assert.equal(r.states, expected[rms - 1], `rms=${rms}`);
      assert.deepEqual(verdicts(r), { consistency: 'holds', 'commit happens': 'found' });
      assert.equal(r.exitCode, 0);
    }
  });

  test('exact counts under other network semantics and faults', async () => {
    const cases: [CheckOptions, number, number][] = [
      [{ params: { rms: 3 }, network: { duplicating: false } }, 584, 10],
      [{ params: { rms: 3 }, network: { duplicating: false, ordering: 'ordered' } }, 584, 10],
      [{ params: { rms: 3 }, network: { lossy: true } }, 6560, 16],
      [{ params: { rms: 3 }, network: { duplicating: false, lossy: true } }, 1880, 10],
      [{ params: { rms: 3 }, network: { crashes: 1 } }, 1440, 11],
      [{ params: { rms: 3 }, network: { duplicating: false, crashes: 1, crashMode: 'recover' } }, 3504, 12],
    ];
    for (const [options, states, depth] of cases) {
      const r = await check(twoPhaseCommit, options);
      assert.equal(r.states, states, JSON.stringify(options));
      assert.equal(r.depth, depth, JSON.stringify(options));
      assert.deepEqual(verdicts(r), { consistency: 'holds', 'commit happens': 'found' });
    }
  });

  test('symmetry reduction over resource managers', async () => {
    for (const [rms, states] of [[3, 102], [4, 263], [5, 648]]) {
      const r = await check(twoPhaseCommit, { params: { rms }, symmetry: true });
      assert.equal(r.states, states, `rms=${rms}`);
      assert.equal(r.symmetry, true);
      assert.deepEqual(verdicts(r), { consistency: 'holds', 'commit happens': 'found' });
    }
  });

  test('one and two worker threads find exactly the same states', async () => {
    for (const options of [{ params: { rms: 5 } }, { params: { rms: 4 }, symmetry: true }, { params: { rms: 3 }, network: { lossy: true } }]) {
      const one = await check(twoPhaseCommit, { ...options, workers: 1 });
      const two = await check(twoPhaseCommit, { ...options, workers: 2 });
      assert.equal(two.states, one.states);
      assert.equal(two.transitions, one.transitions);
      assert.equal(two.depth, one.depth);
      assert.deepEqual(verdicts(two), verdicts(one));
    }
  });

  test('depth-first search finds the same states', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 4 }, strategy: 'dfs' });
    assert.equal(r.states, 1568);
    assert.deepEqual(verdicts(r), { consistency: 'holds', 'commit happens': 'found' });
  });

  test('the broken manager that commits on a majority of prepares is caught with a shortest counterexample', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 3, variant: 'majority-commit' } });
    assert.equal(r.exitCode, 1);
    const consistency = r.properties.find((p) => p.name === 'consistency')!;
    assert.equal(consistency.verdict, 'fails');
    const trace = consistency.trace!;
    assert.equal(trace.steps.length, 8); // the initial state and 7 steps
    assert.equal(trace.path, '1/2/2/1/2/1/3');
    const actions = trace.steps.map((s) => s.action);
    assert.deepEqual(actions[1], { kind: 'timer', node: 'rm1', timer: 'abort' });
    assert.deepEqual(actions[6], { kind: 'timer', node: 'tm', timer: 'commit' });
    assert.deepEqual(actions[7], { kind: 'deliver', node: 'rm2', from: 'tm', msg: { type: 'commit' } });
    assert.deepEqual(trace.steps[7].states, {
      tm: { status: 'committed', prepared: { rm2: true, rm3: true } },
      rm1: { status: 'aborted' },
      rm2: { status: 'committed' },
      rm3: { status: 'prepared' },
    });
    assert.deepEqual(trace.steps[7].changes, [{ node: 'rm2', field: 'status', before: 'prepared', after: 'committed' }]);
    assert.deepEqual(trace.steps[6].sent.map((m) => m.to), ['rm1', 'rm2', 'rm3']);
  });
});
