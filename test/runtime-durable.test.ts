// Durable fields logged as what changed: found by identity, folded back in order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { durableDelta, durableFields, foldDurable } from '../src/runtime/durable.ts';

describe('durable-state records', () => {
  const vote1 = [1, ['c1']];
  const vote2 = [2, ['c2']];
  const snap = { last: 0, kv: {} };
  const before = durableFields({ promised: 1, leader: 'r1', accepted: { 1: vote1, 2: vote2, 3: vote1, 4: vote2 }, snap, pending: { c9: {} } }, ['promised', 'leader', 'accepted', 'snap']);

  test('the first record sets every field; then only what changed, by identity', () => {
    assert.deepEqual(durableDelta(undefined, before), { set: before });
    assert.equal(durableDelta(before, { ...before }), null, 'the same values in a new object: nothing changed');
    assert.equal(durableDelta(before, { ...before, accepted: { ...before.accepted as object } }), null, 'a copied map with the same entries: nothing changed');
    const after = { ...before, promised: 2, accepted: { 1: vote1, 2: vote2, 3: vote1, 5: vote1 } };
    assert.deepEqual(durableDelta(before, after), { set: { promised: 2 }, patch: { accepted: { set: { 5: vote1 }, del: ['4'] } } });
    // Mostly rewritten: logged whole.
    const rewritten = { ...before, accepted: { 7: vote1, 8: vote2 } };
    assert.deepEqual(durableDelta(before, rewritten), { set: { accepted: { 7: vote1, 8: vote2 } } });
    assert.deepEqual(durableDelta(before, { ...before, snap: { last: 0, kv: {} } }), { patch: { snap: { set: { kv: {} } } } }, 'a new kv object is a change, even if equal');
  });

  test('folding the records gives the fields as last logged', () => {
    const steps = [
      before,
      { ...before, promised: 2, accepted: { 1: vote1, 2: vote2, 3: vote1, 5: vote1 } },
      { ...before, promised: 2, leader: null, accepted: { 5: vote2 }, snap: { last: 4, kv: { x: 1 } } },
    ];
    const records = [];
    let last: Record<string, unknown> | undefined;
    for (const s of steps) {
      const r = durableDelta(last, s);
      if (r) records.push(JSON.parse(JSON.stringify(r)));
      last = s;
    }
    assert.deepEqual(foldDurable(records), JSON.parse(JSON.stringify(steps.at(-1))));
    assert.equal(foldDurable([]), undefined);
  });

  test('a record of another shape is an error naming it', () => {
    assert.throws(() => foldDurable([{ set: { a: 1 } }, { status: 'x', set: 3 }]), new Error('log record 2 is not a durable-state record ({set?, patch?})'));
    // A log of whole durable fields (not what changed) is refused, not read as empty records.
    assert.throws(() => foldDurable([{ promised: 3 }]), new Error('log record 1 is not a durable-state record ({set?, patch?})'));
    assert.throws(() => foldDurable([{}]), new Error('log record 1 is not a durable-state record ({set?, patch?})'));
    assert.throws(() => foldDurable([{ set: { a: 1 } }, { patch: { a: { set: { b: 2 } } } }]), new Error('log record 2 patches field "a", which is not an object'));
  });
});
