import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, fingerprint, PlainDataError } from '../src/core/index.ts';

test('canonical encoding sorts object keys, so key order does not matter', () => {
  assert.equal(encode({ b: 1, a: [true, null, 'x'] }), '{"a":[true,null,"x"],"b":1}');
  assert.equal(encode({ a: [true, null, 'x'], b: 1 }), encode({ b: 1, a: [true, null, 'x'] }));
  assert.deepEqual(decode(encode({ z: { y: 2 }, a: -0 })), { a: 0, z: { y: 2 } });
});

test('undefined properties are left out, as in JSON', () => {
  assert.equal(encode({ a: undefined, b: 2 }), '{"b":2}');
});

test('fingerprints are 64-bit, stable, and differ for different values', () => {
  assert.equal(fingerprint({ a: 1 }), fingerprint({ a: 1 }));
  assert.match(fingerprint({ a: 1 }), /^[0-9a-f]{16}$/);
  assert.notEqual(fingerprint({ a: 1 }), fingerprint({ a: 2 }));
  assert.equal(fingerprint({ x: 1, y: 2 }), fingerprint({ y: 2, x: 1 }));
});

test('the first non-plain value is named by its path', () => {
  const cases: [unknown, string, string][] = [
    [{ votes: new Map() }, 'state.votes', 'a Map'],
    [{ list: [1, 2, NaN] }, 'state.list[2]', 'NaN'],
    [{ f: () => 1 }, 'state.f', 'a function'],
    [{ deep: { when: new Date(0) } }, 'state.deep.when', 'a Date'],
    [{ n: Infinity }, 'state.n', 'Infinity'],
    [{ big: 1n }, 'state.big', 'a bigint (1n)'],
  ];
  for (const [value, path, found] of cases) {
    assert.throws(() => encode(value, 'state'), (err: unknown) => {
      assert.ok(err instanceof PlainDataError);
      assert.equal(err.path, path);
      assert.equal(err.found, found);
      return true;
    });
  }
});

test('class instances are not plain data', () => {
  class Ballot { constructor(readonly n: number) {} }
  assert.throws(() => encode({ b: new Ballot(1) }, 'msg'), /msg\.b is a Ballot, which is not plain data/);
});
