import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSpin } from '../bench/spin/run-spin.ts';
import { check } from '../src/check/index.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';

// The benchmark compares against SPIN on a Promela model of the same specification; this pins
// that both explore exactly the same state space, so the comparison is like for like.
test('SPIN and protoforge reach the same number of two-phase commit states', async () => {
  for (const rms of [2, 4, 5]) {
    const [spin, ours] = await Promise.all([runSpin(rms), check(twoPhaseCommit, { params: { rms } })]);
    assert.equal(spin.errors, 0);
    assert.equal(ours.states, spin.states, `rms=${rms}`);
  }
});
