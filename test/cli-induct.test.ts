import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cli } from './run-cli.ts';

describe('protoforge induct', () => {
  test('I1 and I2 alone are not inductive: exit 1 and the counterexample to induction', async () => {
    const r = await cli('induct', 'paxos', '--invariant', 'I1-I2', '--bound', 'messages=2');
    assert.equal(r.code, 1);
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'paxos (proposers=2 acceptors=3 variant=paxos learners=0), bounds messages=2 perType=2 ballots=2: invariant agreement & I1 & I2');
    assert.match(r.out, /examined 12,082 states, satisfying 12,082/);
    assert.match(r.out, /\n  in flight: accept n=1 value="v2" \(p1 -> a1\)\nStep: a1 receives accept from p1\n/);
    assert.match(r.out, /\nIt breaks I1\.\nThe initial state satisfies the invariant\.\n$/);
  });

  test('the strengthened invariant is inductive: exit 0; JSON has the counts', async () => {
    const r = await cli('induct', 'paxos', '--invariant', 'inductive', '--bound', 'messages=2', '--json');
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out);
    assert.deepEqual([j.verdict, j.examined, j.satisfying, j.steps, j.anyMessageCount, j.universe.states], ['inductive', 515760, 514375, 1081240, true, '7071224562732220']);
  });

  test('two-phase commit: consistency alone is not inductive, the strengthening is', async () => {
    assert.equal((await cli('induct', 'two-phase-commit', '-p', 'rms=3', '--invariant', 'consistency')).code, 1);
    const r = await cli('induct', 'two-phase-commit', '-p', 'rms=3', '--invariant', 'inductive');
    assert.equal(r.code, 0);
    assert.match(r.out, /\nInductive within the bounds/);
  });

  test('--backend smt: Z3 without bounds agrees: I1 and I2 are not inductive, the strengthening is; for 2PC with any number of resource managers', async () => {
    const cti = await cli('induct', 'paxos', '--backend', 'smt', '--invariant', 'I1-I2');
    assert.equal(cti.code, 1);
    assert.equal(cti.out.split('\n')[0], 'paxos (acceptors=3 variant=paxos ballots=any values=any), symbolic: invariant agreement & I1 & I2');
    assert.match(cti.out, /\nNot inductive\. Counterexample to induction:\n/);
    assert.match(cti.out, /\nIt breaks I2\.\nEvery initial state satisfies the invariant\.\n$/);
    const proof = await cli('induct', 'paxos', '--backend', 'smt', '--invariant', 'inductive', '--json');
    assert.equal(proof.code, 0);
    assert.deepEqual([JSON.parse(proof.out).verdict, JSON.parse(proof.out).initial.holds], ['inductive', true]);
    const tpc = await cli('induct', 'two-phase-commit', '--backend', 'smt', '--invariant', 'inductive');
    assert.equal(tpc.code, 0);
    assert.match(tpc.out, /^two-phase-commit \(rms=any variant=correct\), symbolic: .*\nInductive for every value of the unbounded sorts\.\n/s);
    assert.deepEqual(await cli('induct', 'paxos', '--backend', 'smt', '--invariant', 'I1', '--bound', 'messages=2'),
      { code: 2, out: '', err: 'protoforge: error: --bound is for the bounded back end: the symbolic one has no bounds, workers or network options\n' });
    assert.equal((await cli('induct', 'paxos', '--backend', 'smt', '--invariant', 'I1', '--workers', '2')).err,
      'protoforge: error: --workers is for the bounded back end: the symbolic one has no bounds, workers or network options\n');
    assert.deepEqual(await cli('induct', 'examples/ping-pong.ts', '--backend', 'smt', '--invariant', 'x'),
      { code: 2, out: '', err: 'protoforge: error: ping-pong has no symbolic model: --backend smt knows paxos and two-phase-commit (use the bounded back end for the others)\n' });
    const unknown = await cli('induct', 'paxos', '--backend', 'smt', '--invariant', 'nope');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^protoforge: error: .*nope/);
  });

  test('bad input: an undeclared invariant, a missing bound, a bound out of range, a universe too large', async () => {
    const unknown = await cli('induct', 'paxos', '--invariant', 'nope', '--bound', 'messages=1');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^protoforge: error: paxos declares no always property "nope" \(declared: "agreement", "validity", "I1", "I2", /);
    const missing = await cli('induct', 'paxos', '--invariant', 'I1');
    assert.deepEqual([missing.code, missing.err], [2, 'protoforge: error: paxos needs a bound to enumerate its states: messages (most messages in flight at once); give it, e.g. --bound messages=N\n']);
    const range = await cli('induct', 'paxos', '--invariant', 'I1', '--bound', 'messages=99');
    assert.equal(range.code, 2);
    assert.match(range.err, /messages/);
    const none = await cli('induct', 'paxos', '--bound', 'messages=1');
    assert.deepEqual([none.code, none.err], [2, 'protoforge: error: give the invariant: --invariant NAME[,NAME...] (see: protoforge induct paxos --list)\n']);
    const big = await cli('induct', 'paxos', '--invariant', 'agreement', '--bound', 'messages=2', '--max-states', '1000');
    assert.equal(big.code, 3);
    assert.match(big.err, /^protoforge: stopped: the bounded universe of paxos has 7,071,224,562,732,220 states; .* raise maxStates\n$/);
  });
});
