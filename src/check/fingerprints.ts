import { counterBuffer } from './shared-array.ts';

/**
 * The set of visited states, stored as 64-bit fingerprints in one open-addressing table in shared
 * memory (8 bytes a slot), so that worker threads insert concurrently with 32-bit compare-and-swap.
 * A slot is [high, low]; neither word is ever 0, so 0 marks an empty slot. The table grows by half
 * when it is three-quarters full, between batches of work, when no thread is inserting.
 */
export interface FingerprintBuffers {
  readonly table: SharedArrayBuffer;
  readonly meta: SharedArrayBuffer; // [count]
}

export const MAX_LOAD = 0.8;
const GROWTH = 1.4;

export function createFingerprintBuffers(capacity = 1 << 16): FingerprintBuffers {
  return { table: new SharedArrayBuffer(capacity * 8), meta: counterBuffer() };
}

/** 64-bit hash of an int vector as two 32-bit words (two murmur3-style lanes and a final mix). */
export function hashVector(v: Int32Array, out: Int32Array): void {
  let a = 0x9747b28c ^ v.length;
  let b = 0x2545f491 ^ Math.imul(v.length, 0x9e3779b9);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    let k = Math.imul(x, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    a ^= Math.imul(k, 0x1b873593);
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    b = Math.imul(b ^ x ^ (x >>> 15), 0x2c1b3c6d);
    b = (b << 17) | (b >>> 15);
    b = (Math.imul(b, 0x297a2d39) + a) | 0;
  }
  a ^= a >>> 16; a = Math.imul(a, 0x85ebca6b); a ^= a >>> 13; a = Math.imul(a, 0xc2b2ae35); a ^= a >>> 16;
  b ^= b >>> 16; b = Math.imul(b, 0x7feb352d); b ^= b >>> 15; b = Math.imul(b, 0x846ca68b); b ^= b >>> 16;
  out[0] = a === 0 ? 1 : a;
  out[1] = b === 0 ? 1 : b;
}

export class FingerprintSet {
  private table: Int32Array;
  private capacity: number;
  private readonly meta: Int32Array;

  constructor(readonly buffers: FingerprintBuffers) {
    this.table = new Int32Array(buffers.table);
    this.capacity = this.table.length / 2;
    this.meta = new Int32Array(buffers.meta);
  }

  get size(): number {
    return Atomics.load(this.meta, 0);
  }

  get bytes(): number {
    return this.buffers.table.byteLength;
  }

  /** Whether inserting `more` further fingerprints could pass the load limit. */
  wouldOverfill(more: number): boolean {
    return this.size + more > this.capacity * MAX_LOAD;
  }

  /** Adds a fingerprint; true when it was not there before. */
  add(hi: number, lo: number): boolean {
    const t = this.table;
    const cap = this.capacity;
    let slot = Math.floor(((hi >>> 0) / 4294967296) * cap);
    for (;;) {
      const at = slot << 1;
      // Most lookups find a state seen before: read first, and only lock the slot when it looks empty.
      let seen = t[at];
      if (seen === 0) seen = Atomics.compareExchange(t, at, 0, hi);
      if (seen === 0) {
        Atomics.store(t, at + 1, lo);
        Atomics.add(this.meta, 0, 1);
        return true;
      }
      if (seen === hi) {
        let low: number;
        while ((low = Atomics.load(t, at + 1)) === 0) { /* another thread is writing this slot */ }
        if (low === lo) return false;
      }
      slot = slot + 1 === cap ? 0 : slot + 1;
    }
  }

  /** A table half again as large holding the same fingerprints. Call only while nothing inserts. */
  grown(): FingerprintBuffers {
    const next: FingerprintBuffers = {
      table: new SharedArrayBuffer(Math.ceil(this.capacity * GROWTH) * 8),
      meta: counterBuffer(),
    };
    const set = new FingerprintSet(next);
    const t = this.table;
    for (let at = 0; at < t.length; at += 2) if (t[at] !== 0) set.add(t[at], t[at + 1]);
    return next;
  }
}
