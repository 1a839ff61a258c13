/**
 * The learner's source of randomness: mulberry32 (Tommy Ettinger's 32-bit generator), written out here
 * so that a seed means the same training run everywhere. learn/ keeps its own generator rather than
 * borrowing the simulator's: changing either must not change the other's recorded runs.
 */
export class LearnRng {
  private s: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a whole number from 0 to 4294967295, got ${seed}`);
    this.s = seed >>> 0;
  }

  /** The next 32-bit output of mulberry32. */
  nextU32(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** A whole number in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}
