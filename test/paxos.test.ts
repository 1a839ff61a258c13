import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import type { CheckOptions, CheckResult } from '../src/check/index.ts';
import { paxos } from '../src/protocols/index.ts';
import { chosen } from '../src/protocols/paxos.ts';
import type { AcceptorState } from '../src/protocols/paxos.ts';

const verdicts = (r: CheckResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.verdict]));
const allHold = { agreement: 'holds', validity: 'holds', I1: 'holds', I2: 'holds', 'a value is chosen': 'found' };

describe('single-decree Paxos', () => {
  test('exact counts for several configurations, every property holds', async () => {
    const cases: [CheckOptions, number, number][] = [
      [{}, 28606, 20],
      [{ params: { proposers: 1 } }, 89, 10],
      [{ params: { proposers: 1, acceptors: 5 } }, 2625, 16],
      [{ params: { variant: 'simplified' } }, 3291, 20],
      [{ network: { duplicating: true } }, 144251, 24],
      [{ network: { lossy: true } }, 161607, 19],
    ];
    for (const [options, states, depth] of cases) {
      const r = await check(paxos, options);
      assert.equal(r.states, states, JSON.stringify(options));
      assert.equal(r.depth, depth, JSON.stringify(options));
      assert.deepEqual(verdicts(r), allHold, JSON.stringify(options));
    }
  });

  test('symmetry reduction over acceptors', async () => {
    const cases: [CheckOptions, number][] = [
      [{ symmetry: true }, 9302],
      [{ params: { proposers: 1, acceptors: 5 }, symmetry: true }, 417],
      [{ params: { variant: 'simplified' }, symmetry: true }, 1354],
    ];
    for (const [options, states] of cases) {
      const r = await check(paxos, options);
      assert.equal(r.states, states, JSON.stringify(options));
      assert.deepEqual(verdicts(r), allHold);
    }
  });

  test('acceptors that crash and recover with durable state keep agreement', async () => {
    const r = await check(paxos, { params: { proposers: 2, acceptors: 2 }, network: { crashes: 1, crashMode: 'recover', duplicating: false }, symmetry: true });
    assert.equal(r.states, 6550);
    assert.deepEqual(verdicts(r), allHold);
  });

  test('one and two worker threads find exactly the same states', async () => {
    const one = await check(paxos, { workers: 1 });
    const two = await check(paxos, { workers: 2 });
    assert.equal(one.states, 28606);
    assert.equal(two.states, one.states);
    assert.equal(two.transitions, one.transitions);
  });

  test('a proposer that ignores accepted proposals in promises breaks agreement', async () => {
    const r = await check(paxos, { params: { variant: 'ignores-accepted' } });
    assert.equal(r.exitCode, 1);
    assert.deepEqual(verdicts(r), { agreement: 'fails', validity: 'holds', I1: 'holds', I2: 'fails', 'a value is chosen': 'found' });
    const agreement = r.properties.find((p) => p.name === 'agreement')!.trace!;
    assert.equal(agreement.steps.length - 1, 14);
    const last = agreement.steps[agreement.steps.length - 1];
    const acceptors = ['a1', 'a2', 'a3'].map((a) => last.states[a] as AcceptorState);
    // Two different values are each accepted by a majority.
    const world = { statesOf: () => acceptors } as never;
    assert.deepEqual(chosen(world).map((p) => p[1]).sort(), ['v1', 'v2']);
    const i2 = r.properties.find((p) => p.name === 'I2')!.trace!;
    assert.equal(i2.steps.length - 1, 13);
  });
});
