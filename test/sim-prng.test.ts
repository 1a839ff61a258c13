import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Prng, PRNG_NAME } from '../src/sim/prng.ts';

describe('simulator PRNG', () => {
  test('xoshiro128** seeded through splitmix32: the first outputs for seed 1 are pinned', () => {
    // Computed independently with the reference C code of both generators.
    const rng = new Prng(1);
    const first = Array.from({ length: 8 }, () => rng.nextUint32());
    assert.deepEqual(first, [393288148, 2174103013, 3814759091, 2092745082, 1865176206, 2179171167, 3207394750, 2858353069]);
    assert.equal(PRNG_NAME, 'xoshiro128** v1');
  });

  test('floats are outputs over 2^32; seeds at both ends of the range work', () => {
    const rng = new Prng(1);
    assert.equal(rng.float(), 393288148 / 2 ** 32);
    assert.equal(new Prng(0).nextUint32(), 1789933344);
    assert.equal(new Prng(4294967295).nextUint32(), 4104197751);
  });

  test('int(min, max) stays in range, reaches both ends, and is the same for the same seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const seen = new Set<number>();
    for (let k = 0; k < 200; k++) {
      const x = a.int(-2, 3);
      assert.equal(b.int(-2, 3), x);
      assert.ok(x >= -2 && x <= 3);
      seen.add(x);
    }
    assert.deepEqual([...seen].sort((x, y) => x - y), [-2, -1, 0, 1, 2, 3]);
    assert.equal(new Prng(1).int(1, 6), 5);
    assert.throws(() => a.int(3, 2), /min <= max/);
  });

  test('a seed that is not a 32-bit whole number is refused', () => {
    for (const seed of [-1, 1.5, 2 ** 32, NaN]) {
      assert.throws(() => new Prng(seed), { name: 'SimOptionsError', message: `seed must be a whole number from 0 to 4294967295, got ${seed}` });
    }
  });
});
