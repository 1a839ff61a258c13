import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine, createSharedBuffers } from '../src/check/engine.ts';
import { instantiate } from '../src/core/index.ts';
import type { CheckOptions } from '../src/check/index.ts';
import { ActionList } from '../src/check/model.ts';
import type { Protocol } from '../src/core/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';

/** Walks every reachable state and compares each successor's incremental fingerprint with a fresh one. */
function compareAll(protocol: Protocol, options: CheckOptions): number {
  const { model } = createEngine(instantiate(protocol, options), createSharedBuffers(8, 1 << 20), 1 << 20);
  assert.equal(model.incremental, true);
  const seen = new Set<string>();
  const queue = [model.initial().slice()];
  const actions = new ActionList();
  const fp = new Int32Array(2);
  const incremental = new Int32Array(2);
  const fresh = new Int32Array(2);
  let compared = 0;
  while (queue.length > 0) {
    const v = queue.pop()!;
    model.fingerprint(v, fp);
    model.enumerate(v, actions);
    for (let a = 0; a < actions.length; a++) {
      const [kind, node, arg] = [actions.kind[a], actions.node[a], actions.arg[a]];
      model.successorFingerprint(v, fp, kind, node, arg, incremental);
      const w = model.apply(v, kind, node, arg).slice();
      model.fingerprint(w, fresh);
      assert.deepEqual([...incremental], [...fresh]);
      compared++;
      const key = w.join(',');
      if (!seen.has(key)) { seen.add(key); queue.push(w); }
    }
  }
  return compared;
}

test('incremental fingerprints equal fingerprints of the built successor, on every transition', () => {
  assert.equal(compareAll(twoPhaseCommit, { params: { rms: 3 } }), 1601);
  assert.equal(compareAll(twoPhaseCommit, { params: { rms: 3 }, network: { lossy: true, crashes: 1, crashMode: 'recover' } }), 275156);
  assert.equal(compareAll(paxos, { params: { proposers: 2, acceptors: 2 }, network: { duplicating: true } }), 25818);
  assert.equal(compareAll(paxos, { params: { proposers: 2, acceptors: 3 } }), 120769);
});
