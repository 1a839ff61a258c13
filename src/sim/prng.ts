/**
 * The simulator's only source of randomness, specified here rather than borrowed from the platform
 * so that a seed means the same run everywhere and forever: xoshiro128** (Blackman and Vigna) with
 * its 128-bit state filled by four outputs of splitmix32 from a 32-bit seed. Changing anything here
 * changes every recorded run: give the generator a new `PRNG_NAME` (traces record it).
 */
import { show, SimOptionsError } from './options-error.ts';

export const PRNG_NAME = 'xoshiro128** v1';

export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SimOptionsError(`seed must be a whole number from 0 to 4294967295, got ${show(seed)}`);
  }
  return seed;
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/**
 * splitmix32: a Weyl sequence (step 0x9e3779b9) through a bijective mixer, so four consecutive
 * outputs are distinct and the xoshiro state is never all zero.
 */
function splitmix32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    const init = splitmix32(checkSeed(seed));
    this.s0 = init();
    this.s1 = init();
    this.s2 = init();
    this.s3 = init();
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of precision: one output. */
  float(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** A whole number from `min` to `max` inclusive, unbiased (rejection sampling: one or more outputs). */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min > max || max - min >= 0x100000000) {
      throw new RangeError(`int(min, max) needs whole numbers with min <= max and at most 2^32 values, got ${min}, ${max}`);
    }
    const range = max - min + 1;
    const limit = 0x100000000 - (0x100000000 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return min + (x % range);
  }
}
